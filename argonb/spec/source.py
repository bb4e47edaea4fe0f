"""Parse Argo YAML while remembering where every key and value came from.

Owns: `Source` (text plus how its lines map to what the user sees) and `Document` (one YAML document as plain
JSON-like data, with a position table keyed by the path to each node). A notebook cell's YAML line 1 is the
cell's line 2 (the `%%workflow` line comes first), so `Source.line_offset` shifts every reported line.
Every document is read within `argonb.spec.yamlbounds` (nesting depth, alias expansion), and every problem
with the input (unreadable file, not UTF-8, YAML syntax, a bound) is an `InvalidWorkflow` with a located
diagnostic: the one way every command (lint, run, render, export, submit, the notebook) reports bad input.
Imports: yaml, argonb.errors, argonb.spec.yamlbounds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
import yaml.reader
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from argonb.errors import Diagnostic, InvalidWorkflow, Span
from argonb.spec.yamlbounds import MAX_NESTING, AliasBudget, YamlBoundExceeded, self_containing, too_deep

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
    def from_file(cls, path: str | Path, name: str | None = None) -> Source:
        """The file's text. Raises InvalidWorkflow (ARG000 at the file) if it cannot be read or is not UTF-8."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidWorkflow([read_error(path, exc)]) from None
        return cls.from_bytes(data, name or str(path))

    @classmethod
    def from_bytes(cls, data: bytes, name: str) -> Source:
        """Text read from a file or standard input. Raises InvalidWorkflow (ARG000 at the first bad byte) if it
        is not UTF-8."""
        try:
            # universal newlines, as read_text gives them: positions are counted in the text YAML sees
            return cls(data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"), name)
        except UnicodeDecodeError as exc:
            raise InvalidWorkflow([read_error(name, exc)]) from None

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


def read_error(path: str | Path, exc: Exception) -> Diagnostic:
    """ARG000 for a file that cannot be read (missing, a directory, no permission), or that is not UTF-8
    (located at the first bad byte)."""
    if isinstance(exc, UnicodeDecodeError):
        before = exc.object[:exc.start]
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        return Diagnostic("ARG000", f"cannot read {path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x})",
                          Span(str(path), before.count(b"\n") + 1, column),
                          hint="save the file as UTF-8; argonb reads YAML as UTF-8, as Kubernetes does")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return Diagnostic("ARG000", f"cannot read {path}: {reason}", Span(str(path), 1, 1))


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses nesting deeper than MAX_NESTING (at the node that goes past it) and remembers
    anchor names and where each alias was used (for the builder's alias budget and its errors)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0
        self.anchor_names: dict[int, str] = {}  # id(node) -> its anchor
        # Where each `*alias` is written, by the place it fills: ("item", id(list), index), or ("key"|"value",
        # id(pair)) for mappings (pairs keep their identity when `<<` merges move them into another mapping).
        self.alias_marks: dict[tuple[str, int, int], Any] = {}
        self._pending: dict[int, list[tuple[str, int, Any]]] = {}  # aliases in mappings still being composed

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            if isinstance(parent, SequenceNode):
                self.alias_marks[("item", id(parent), index)] = event.start_mark
            elif isinstance(parent, MappingNode):  # this pair is appended once its value is composed
                self._pending.setdefault(id(parent), []).append(
                    ("key" if index is None else "value", len(parent.value), event.start_mark))
            return node
        nests = isinstance(event, (MappingStartEvent, SequenceStartEvent))
        if nests:
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise too_deep(event.start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= nests
        for role, position, mark in self._pending.pop(id(node), ()):
            self.alias_marks[(role, id(node.value[position]), 0)] = mark
        if event.anchor is not None:
            self.anchor_names[id(node)] = event.anchor
        return node


_MERGE = "tag:yaml.org,2002:merge"


class _Builder:
    """Turns composed YAML nodes into plain data, recording marks per path.

    Plain data has no sharing, so an alias is built again each time it is used; every node built counts
    against the document's AliasBudget, as aliased while an alias (or a `<<` merge, which is one) is being
    expanded, which bounds the expansion the way go-yaml v2 does.
    """

    def __init__(self, doc: Document, loader: BoundedLoader):
        self.doc = doc
        self.loader = loader
        self.scalar = SafeConstructor()
        self.budget = AliasBudget()
        self.open: set[int] = set()  # nodes being built: meeting one again means a document without end
        self.alias_depth = 0
        self.alias_mark: Any = None  # where the outermost alias being expanded is written

    def build(self, node: Node, path: PathKey, alias_mark: Any = None, record: bool = True) -> Any:
        if id(node) in self.open:
            raise self_containing(self.loader.anchor_names.get(id(node), "?"), alias_mark or node.start_mark)
        if alias_mark is None:
            return self._counted(node, path, record)
        self.budget.count(self.alias_depth > 0, alias_mark)  # go-yaml counts the alias node itself, then its value
        with self._expanding(alias_mark):
            return self._counted(node, path, record)

    def _expanding(self, mark: Any) -> _AliasExpansion:
        return _AliasExpansion(self, mark)

    def _counted(self, node: Node, path: PathKey, record: bool) -> Any:
        self.budget.count(self.alias_depth > 0, self.alias_mark or node.start_mark)
        self.open.add(id(node))
        try:
            return self._value(node, path, record)
        finally:
            self.open.discard(id(node))

    def _value(self, node: Node, path: PathKey, record: bool) -> Any:
        if record:
            self.doc.value_marks[path] = (node.start_mark.line, node.start_mark.column)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, record)
        if isinstance(node, SequenceNode):
            marks = self.loader.alias_marks
            return [self.build(item, (*path, i), marks.get(("item", id(node), i)), record)
                    for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            value = self._scalar(node)
            # Kubernetes' YAML->JSON turns timestamps and binary into strings; keep them as text.
            if not isinstance(value, (str, int, float, bool, type(None))):
                value = node.value
            return value
        return None

    def _scalar(self, node: ScalarNode) -> Any:
        """The scalar's value. As in go-yaml, a plain scalar that only looks like a type (`2001-02-30`) stays
        text, and an explicit tag it does not fit (`!!int x`) is an error at the scalar."""
        try:
            return self.scalar.construct_object(node, deep=True)
        except (ValueError, TypeError, AttributeError, OverflowError):
            implicit = node.style is None and node.tag == self.loader.resolve(ScalarNode, node.value, (True, False))
            if implicit:
                return node.value
            raise ConstructorError(None, None, f"cannot decode {node.value!r} as {node.tag.rsplit(':', 1)[-1]}",
                                   node.start_mark) from None

    def _mapping(self, node: MappingNode, path: PathKey, record: bool) -> dict[Any, Any]:
        merged = self._merge_sources(node)
        self.scalar.flatten_mapping(node)  # resolves `<<` merge keys: their pairs come first
        out: dict[Any, Any] = {}
        marks = self.loader.alias_marks
        for pair in node.value:
            key_node, value_node = pair
            alias = merged.get(id(pair))
            with self._expanding(alias) if alias is not None else _NO_EXPANSION:
                key = self.build(key_node, path, marks.get(("key", id(pair), 0)), record=False)
                if isinstance(key, (list, dict)):
                    key = str(key)
                child = (*path, key)
                if record:
                    self.doc.key_marks[child] = (key_node.start_mark.line, key_node.start_mark.column)
                out[key] = self.build(value_node, child, marks.get(("value", id(pair), 0)), record)
        return out

    def _merge_sources(self, node: MappingNode) -> dict[int, Any]:
        """id(pair) -> where its alias is written, for the pairs `<<` merges from aliases into `node`.

        Counts each merged alias and its mapping as go-yaml's `decoder.merge` does (their pairs are counted
        when built). Refuses a merge of a mapping that contains it (PyYAML would recurse forever).
        """
        marks = self.loader.alias_marks
        merged: dict[int, Any] = {}
        for pair in node.value:
            key_node, value_node = pair
            if key_node.tag != _MERGE:
                continue
            if isinstance(value_node, SequenceNode):
                sources = [(item, marks.get(("item", id(value_node), i))) for i, item in enumerate(value_node.value)]
            else:
                sources = [(value_node, marks.get(("value", id(pair), 0)))]
            for source, alias in sources:
                if id(source) in self.open or source is node:
                    raise self_containing(self.loader.anchor_names.get(id(source), "?"), alias or source.start_mark)
                if not isinstance(source, MappingNode):
                    continue  # flatten_mapping reports it
                self.scalar.flatten_mapping(source)
                if alias is None:
                    self.budget.count(self.alias_depth > 0, self.alias_mark or source.start_mark)
                    continue
                self.budget.count(self.alias_depth > 0, alias)
                self.budget.count(True, alias)
                merged.update((id(p), alias) for p in source.value)
        return merged


class _AliasExpansion:
    """While an alias is expanded, the nodes built count as aliased (and errors point at the alias)."""

    def __init__(self, builder: _Builder, mark: Any):
        self.builder, self.mark = builder, mark

    def __enter__(self) -> None:
        builder = self.builder
        self.outermost = builder.alias_depth == 0
        if self.outermost:
            builder.alias_mark = self.mark
        builder.alias_depth += 1

    def __exit__(self, *exc: Any) -> None:
        builder = self.builder
        builder.alias_depth -= 1
        if self.outermost:
            builder.alias_mark = None


class _NoExpansion:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


_NO_EXPANSION = _NoExpansion()


def parse(source: Source) -> list[Document]:
    """Parse every YAML document in `source`. Raises InvalidWorkflow with a located YAML001 on syntax errors and
    YAML002 past a bound (nesting depth, alias expansion: argonb.spec.yamlbounds)."""
    docs: list[Document] = []
    loader: BoundedLoader | None = None
    try:
        loader = BoundedLoader(source.text)  # the reader refuses some characters at once
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                doc = Document(data=None, source=source, index=index)
                doc.data = _Builder(doc, loader).build(node, ())
                docs.append(doc)
            index += 1
    except YamlBoundExceeded as exc:
        raise InvalidWorkflow([bound_diagnostic(source, exc)]) from None
    except yaml.MarkedYAMLError as exc:
        problem = (exc.problem or "invalid YAML").strip()
        context = f" {exc.context}" if exc.context else ""
        raise InvalidWorkflow([_located(source, exc, "YAML001", f"YAML syntax error: {problem}{context}",
                                        "check indentation and quoting on this line")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids: located by its offset
        before = source.text[:exc.position]
        span = source.span(before.count("\n"), exc.position - (before.rfind("\n") + 1))
        raise InvalidWorkflow([Diagnostic(
            "YAML001", f"YAML error: character U+{exc.character:04X} is not allowed in YAML", span,
            hint="remove it, or write it as an escape inside a double-quoted string",
            source_line=source.line_text(span.line))]) from None
    except yaml.YAMLError as exc:
        raise InvalidWorkflow([Diagnostic("YAML001", f"YAML error: {exc}", Span(source.name, 1, 1))]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return docs


def bound_diagnostic(source: Source, exc: YamlBoundExceeded) -> Diagnostic:
    """YAML002 for a document past one of argonb.spec.yamlbounds' bounds, where it went past."""
    return _located(source, exc, "YAML002", f"YAML error: {exc.problem}", exc.hint)


def _located(source: Source, exc: yaml.MarkedYAMLError, code: str, message: str, hint: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    span = source.span(mark.line, mark.column) if mark else Span(source.name, 1, 1)
    return Diagnostic(code, message, span, hint=hint, source_line=source.line_text(span.line))
