"""Parse Argo YAML while remembering where every key and value came from.

Owns: `Source` (text plus how its lines map to what the user sees) and `Document` (one YAML document as plain
JSON-like data, with a position table keyed by the path to each node). A notebook cell's YAML line 1 is the
cell's line 2 (the `%%workflow` line comes first), so `Source.line_offset` shifts every reported line.
Imports: yaml, argonb.errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from argonb.errors import Diagnostic, InvalidWorkflow, Span

PathKey = tuple  # tuple[str | int, ...]: the path from the document root to a node
MarkTable = dict  # dict[PathKey, tuple[int, int]]: 0-based (line, column) per path

RUNNABLE_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")


@dataclass(frozen=True)
class Source:
    """Text to parse, the name shown in diagnostics and the offset between YAML lines and user lines."""

    text: str
    name: str = "<string>"
    line_offset: int = 0

    @classmethod
    def from_file(cls, path: str | Path) -> Source:
        return cls(Path(path).read_text(encoding="utf-8"), str(path))

    @classmethod
    def from_cell(cls, text: str, name: str = "cell") -> Source:
        return cls(text, name, line_offset=1)

    def span(self, line0: int, col0: int) -> Span:
        """Span for a 0-based YAML mark."""
        return Span(self.name, line0 + 1 + self.line_offset, col0 + 1)

    def line_text(self, user_line: int) -> str:
        lines = self._lines
        idx = user_line - 1 - self.line_offset
        return lines[idx] if 0 <= idx < len(lines) else ""

    @cached_property
    def _lines(self) -> list[str]:
        # Split once: every diagnostic shows its source line, and a large file may have many diagnostics.
        return self.text.splitlines()


@dataclass
class Document:
    """One YAML document as plain data, with where each path sits in the source."""

    data: Any
    source: Source
    index: int = 0
    # None, or how to build the position tables on first use. argonb.spec.fastparse defers them: building
    # them is about half of parsing, and a lint that finds nothing never looks at a position.
    marks_loader: Callable[[], tuple[MarkTable, MarkTable]] | None = field(default=None, repr=False, compare=False)
    _key_marks: MarkTable = field(default_factory=dict, repr=False)
    _value_marks: MarkTable = field(default_factory=dict, repr=False)

    @property
    def key_marks(self) -> MarkTable:
        """Path of a mapping key -> 0-based (line, column) of the key."""
        if self.marks_loader is not None:
            self._load_marks()
        return self._key_marks

    @property
    def value_marks(self) -> MarkTable:
        """Path of a node -> 0-based (line, column) where its value starts."""
        if self.marks_loader is not None:
            self._load_marks()
        return self._value_marks

    def _load_marks(self) -> None:
        loader = self.marks_loader
        if loader is not None:
            key_marks, value_marks = loader()
            # Tables first, then the loader: another thread either sees the loader (and loads too) or the tables.
            self._key_marks, self._value_marks, self.marks_loader = key_marks, value_marks, None

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", "")) if isinstance(self.data, dict) else ""

    @property
    def name(self) -> str:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        if isinstance(meta, dict):
            return str(meta.get("name") or meta.get("generateName") or "")
        return ""

    def span(self, path: PathKey, *, key: bool = False) -> Span:
        """Best position for `path`: the key (or value) itself, else its nearest ancestor."""
        table = self.key_marks if key else self.value_marks
        p = tuple(path)
        while True:
            mark = table.get(p) or (self.value_marks.get(p) if key else self.key_marks.get(p))
            if mark is not None:
                return self.source.span(*mark)
            if not p:
                return self.source.span(0, 0)
            p = p[:-1]

    def diagnostic(self, code: str, message: str, path: PathKey, *, hint: str = "", key: bool = False,
                   severity: Any = None) -> Diagnostic:
        span = self.span(path, key=key)
        kwargs: dict[str, Any] = {}
        if severity is not None:
            kwargs["severity"] = severity
        return Diagnostic(code, message, span, hint=hint, source_line=self.source.line_text(span.line), **kwargs)


class _Builder:
    """Turns composed YAML nodes into plain data, recording marks per path."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.scalar = SafeConstructor()

    def build(self, node: Node, path: PathKey) -> Any:
        self.doc.value_marks[path] = (node.start_mark.line, node.start_mark.column)
        if isinstance(node, MappingNode):
            self.scalar.flatten_mapping(node)  # resolves `<<` merge keys
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.scalar.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)):
                    key = str(key)
                child = (*path, key)
                self.doc.key_marks[child] = (key_node.start_mark.line, key_node.start_mark.column)
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            value = self.scalar.construct_object(node, deep=True)
            # Kubernetes' YAML->JSON turns timestamps and binary into strings; keep them as text.
            if not isinstance(value, (str, int, float, bool, type(None))):
                value = node.value
            return value
        return None


def parse(source: Source) -> list[Document]:
    """Parse every YAML document in `source`. Raises InvalidWorkflow with a located YAML001 on syntax errors."""
    docs: list[Document] = []
    try:
        for index, node in enumerate(yaml.compose_all(source.text, Loader=yaml.SafeLoader)):
            if node is None:
                continue
            doc = Document(data=None, source=source, index=index)
            doc.data = _Builder(doc).build(node, ())
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = source.span(mark.line, mark.column) if mark else Span(source.name, 1, 1)
        problem = (exc.problem or "invalid YAML").strip()
        context = f" {exc.context}" if exc.context else ""
        raise InvalidWorkflow([Diagnostic("YAML001", f"YAML syntax error: {problem}{context}", span,
                                          hint="check indentation and quoting on this line",
                                          source_line=source.line_text(span.line))]) from None
    except yaml.YAMLError as exc:
        raise InvalidWorkflow([Diagnostic("YAML001", f"YAML error: {exc}", Span(source.name, 1, 1))]) from None
    return docs
