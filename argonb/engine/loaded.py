"""The input, loaded once at the edge: documents, template registry, selected workflow, diagnostics.

Owns: `LoadedWorkflow` (the frozen value the CLI, the notebook, the engine, the Argo client and parity all
take), `load_workflow` (the one load → register templates → select → validate sequence), and the steps it is
made of (`load_documents`, `template_documents`, `select_workflow`, `validate`), which callers that need only
one step still use. Positions live in the documents (`Document.span`).
Imports: argonb.engine.workflow (Registry, RUNNABLE), argonb.errors, argonb.spec (fastparse, source, lint).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from argonb.engine.workflow import RUNNABLE, Registry
from argonb.errors import Diagnostic, InvalidWorkflow, Span, errors_only
from argonb.spec.fastparse import parse_fast
from argonb.spec.source import Document, Source

SourceLike = str | Path | Source | dict


@dataclass(frozen=True)
class LoadedWorkflow:
    """One input, parsed and (when asked) linted once. It also answers `text` and `name` as its Source does,
    so code that records a source (the run store) takes it in place of one."""

    documents: tuple[Document, ...]  # the source's own documents, in order
    extra: tuple[Document, ...] = ()  # documents from `templates=` (context: linted, not reported as the source)
    own_registry: Registry = field(default_factory=Registry)  # templates/ConfigMaps of documents + extra
    registry: Registry = field(default_factory=Registry)  # own_registry over a caller's registry
    selected: Document | None = None  # the document to run; None when nothing is runnable
    diagnostics: tuple[Diagnostic, ...] = ()  # every lint finding (errors and warnings), sorted
    validated: bool = False
    source_name: str = "<string>"
    from_text: bool = True  # False for an already-parsed dict: no text to record
    path: str = ""  # the resolved path of the file the source was read from, if it was

    @property
    def text(self) -> str:
        """The whole source text (what the run store records and a re-run parses again)."""
        if not self.from_text:
            return ""
        doc = self.selected or (self.documents[0] if self.documents else None)
        return doc.source.text if doc is not None else ""

    @property
    def name(self) -> str:
        """Where the source came from, as the run store records it: a file's resolved path, else the source's
        name in diagnostics (`cell`, `<string>`), as `Source.name`."""
        return self.path or self.source_name

    @property
    def source_names(self) -> frozenset[str]:
        return frozenset(doc.source.name for doc in self.documents)

    def in_source(self, diagnostics: Iterable[Diagnostic] | None = None) -> list[Diagnostic]:
        """The diagnostics located in the source itself (not in `templates=` or other context documents)."""
        names = self.source_names
        return [d for d in (self.diagnostics if diagnostics is None else diagnostics)
                if d.span is not None and d.span.file in names]

    def require_selected(self) -> Document:
        if self.selected is None:
            raise InvalidWorkflow([no_runnable(list(self.documents), self.source_name)])
        return self.selected

    def with_registry(self, registry: Registry | None) -> LoadedWorkflow:
        """The same input over another caller registry (a notebook re-run sees templates registered since)."""
        return replace(self, registry=self.own_registry.merged(registry)) if registry is not None else self


def load_workflow(source: SourceLike | LoadedWorkflow, *, templates: Any = None, registry: Registry | None = None,
                  validate_input: bool = True, require_runnable: bool = True,
                  context: Iterable[Document] = ()) -> LoadedWorkflow:
    """Parse `source` and `templates`, build the registry, select the workflow and lint everything together.

    Raises InvalidWorkflow: unreadable or unparsable input; ARG010 when nothing is runnable (unless
    `require_runnable=False`); every lint error located in the source (or, if none is, every error).
    `context` adds already-parsed documents (a notebook's registered templates) to lint against.
    A `LoadedWorkflow` is returned as it is (over `registry`, when given): the input is loaded once."""
    if isinstance(source, LoadedWorkflow):
        return source.with_registry(registry)
    loaded = assemble(load_documents(source), template_documents(templates), registry, source_name(source),
                      validate_input=validate_input, require_runnable=require_runnable, context=context,
                      from_text=not isinstance(source, dict))
    return replace(loaded, path=file_path(source))


def file_path(source: SourceLike) -> str:
    """The resolved path `source` names, or "" when it is text, a Source or a dict."""
    if isinstance(source, Path) or (isinstance(source, str) and names_a_file(source)):
        return str(Path(source).resolve())
    return ""


def assemble(docs: list[Document], extra: list[Document], registry: Registry | None, name: str, *,
             validate_input: bool = True, require_runnable: bool = True, context: Iterable[Document] = (),
             from_text: bool = True) -> LoadedWorkflow:
    """The LoadedWorkflow of documents parsed elsewhere (see `load_workflow`)."""
    own = Registry()
    for doc in extra + docs:
        if isinstance(doc.data, dict):
            own.add_document(doc.data)
    merged = own.merged(registry)
    selected = find_runnable(docs)
    if selected is None and require_runnable:
        raise InvalidWorkflow([no_runnable(docs, name)])
    context = list(context)
    diagnostics = tuple(lint_together(docs + extra + context)) if validate_input else ()
    loaded = LoadedWorkflow(tuple(docs), tuple(extra), own, merged, selected, diagnostics, validate_input, name,
                            from_text)
    problems = blocking_errors(loaded, {doc.source.name for doc in context})
    if problems:
        raise InvalidWorkflow(problems)
    return loaded


def blocking_errors(loaded: LoadedWorkflow, context_names: set[str]) -> list[Diagnostic]:
    """The errors that stop a run: those in the source (or unlocated); else those in `templates=`, which the
    run needs too. Context documents (a notebook's registered templates) were checked when registered."""
    errors = [d for d in errors_only(loaded.diagnostics) if not (d.span and d.span.file in context_names)]
    return [d for d in errors if not d.span or d.span.file in loaded.source_names] or errors


def lint_together(docs: list[Document]) -> list[Diagnostic]:
    from argonb.spec.lint import lint_documents

    return lint_documents(docs)


# ---- the steps --------------------------------------------------------------------------------------------
def names_a_file(source: str) -> bool:
    """A one-line `.yaml`/`.yml`/`.json` string is a path if the file exists, or if it cannot be a workflow
    anyway (no `:`), so that a missing file is reported as one (ARG000) rather than as YAML text."""
    if "\n" in source or not source.endswith((".yaml", ".yml", ".json")):
        return False
    try:
        return ":" not in source or Path(source).exists()
    except OSError:  # e.g. a name too long for the filesystem
        return False


def load_documents(source: SourceLike | LoadedWorkflow) -> list[Document]:
    """The documents of `source` (parsed with positions); those of a LoadedWorkflow without parsing again."""
    if isinstance(source, LoadedWorkflow):
        return list(source.documents)
    if isinstance(source, dict):
        return [Document(data=source, source=Source("", "<dict>"))]
    if isinstance(source, Source):
        return parse_fast(source)
    if isinstance(source, Path) or (isinstance(source, str) and names_a_file(source)):
        return parse_fast(Source.from_file(source))
    return parse_fast(Source(str(source), "<string>"))


def source_name(source: SourceLike) -> str:
    """How diagnostics name `source` (as `load_documents` names it)."""
    if isinstance(source, Source):
        return source.name
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and source.endswith(
            (".yaml", ".yml", ".json"))):
        return str(source)
    return "<dict>" if isinstance(source, dict) else "<string>"


def template_documents(templates: Iterable[SourceLike] | str | Path | None) -> list[Document]:
    """Documents from `--templates`: files, directories (every *.yaml inside) or text."""
    if templates is None:
        return []
    items = [templates] if isinstance(templates, (str, Path)) else list(templates)
    docs: list[Document] = []
    for item in items:
        if isinstance(item, (str, Path)) and Path(item).is_dir():
            for path in sorted(Path(item).rglob("*.y*ml")):
                docs.extend(load_documents(path))
        else:
            docs.extend(load_documents(item))
    return docs


def find_runnable(docs: Iterable[Document]) -> Document | None:
    """The first Workflow (or CronWorkflow); else the first WorkflowTemplate with an entrypoint; else None."""
    docs = list(docs)
    for kinds in (("Workflow", "CronWorkflow"), ("WorkflowTemplate", "ClusterWorkflowTemplate")):
        for doc in docs:
            spec = doc.data.get("spec") if doc.kind in kinds else None
            if doc.kind in kinds and (doc.kind in RUNNABLE or (isinstance(spec, dict) and spec.get("entrypoint"))):
                return doc
    return None


def no_runnable(docs: list[Document], name: str) -> Diagnostic:
    # located at the first document (line 1 of an empty source), so the message points somewhere
    span = docs[0].span(()) if docs else Span(name, 1, 1)
    return Diagnostic("ARG010", "no runnable document: expected a Workflow, a CronWorkflow or a "
                      "WorkflowTemplate with an entrypoint", span, hint="add `kind: Workflow` and `spec.entrypoint`")


def select_workflow(docs: list[Document], registry: Registry | None = None, source_name: str = "<input>") -> Document:
    """The document to run (see `find_runnable`); raises InvalidWorkflow (ARG010) when there is none."""
    chosen = find_runnable(docs)
    if chosen is None:
        raise InvalidWorkflow([no_runnable(docs, source_name)])
    return chosen


def validate(docs: list[Document], extra: list[Document]) -> None:
    """Raise InvalidWorkflow with every error the linter finds in `docs` (warnings are ignored)."""
    assemble(docs, extra, None, "<input>", require_runnable=False)
