"""Public lint API: parse sources, validate them together, return sorted diagnostics.

Owns: `lint` (one source, optionally with other sources as templateRef context), `lint_sources` (several
sources linted together, all reported), `lint_documents` (already parsed documents), `load_and_validate`
(what the engine calls: documents, or InvalidWorkflow carrying every diagnostic) and `parse_sources`.
Never raises for bad input: unreadable files and YAML errors become diagnostics.
Imports: stdlib, argonb.errors, argonb.spec.{fastparse,source,validate}.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from argonb.errors import Diagnostic, InvalidWorkflow, Severity, Span, errors_only
from argonb.spec.fastparse import parse_fast
from argonb.spec.source import Document, Source

SourceLike = str | Path | Source


def as_source(item: SourceLike | bytes, name: str | None = None) -> Source:
    """A Source for text (`str`), a file (`Path`), bytes read from standard input or a Source. Raises
    InvalidWorkflow (ARG000) for unreadable files and bytes that are not UTF-8."""
    if isinstance(item, Source):
        return item
    if isinstance(item, Path):
        return Source.from_file(item, name)
    if isinstance(item, bytes):
        return Source.from_bytes(item, name or "<stdin>")
    return Source(str(item), name or "<string>")


def parse_sources(items: Iterable[SourceLike | bytes]) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every source; read and YAML errors are returned as diagnostics, never raised."""
    docs: list[Document] = []
    diags: list[Diagnostic] = []
    for i, item in enumerate(items):
        try:
            source = as_source(item, None if not isinstance(item, str) or i == 0 else f"<string {i}>")
            docs.extend(parse_fast(source))
        except InvalidWorkflow as exc:
            diags.extend(exc.diagnostics)
    return docs, diags


def sort_key(diag: Diagnostic) -> tuple[str, int, int, str, str]:
    span = diag.span or Span("", 0, 0)
    return span.file, span.line, span.col, diag.code, diag.message


def lint_documents(docs: list[Document]) -> list[Diagnostic]:
    """Every diagnostic for documents parsed elsewhere, checked together, sorted by file/line/column."""
    from argonb.spec.validate import validate_documents

    return sorted(validate_documents(docs), key=sort_key)


def lint_sources(items: Iterable[SourceLike]) -> list[Diagnostic]:
    """Lint several sources together (shared templateRef registry) and report problems in all of them."""
    docs, diags = parse_sources(items)
    return sorted(diags + lint_documents(docs), key=sort_key)


def lint(source: SourceLike, *, extra_sources: Iterable[SourceLike] = (), name: str | None = None) -> list[Diagnostic]:
    """Diagnostics for `source`; `extra_sources` (e.g. WorkflowTemplates) are context and are not reported.

    `source` and `extra_sources` are YAML text (`str`), a `pathlib.Path` or a `Source`; `name` names text
    sources in diagnostics (default `<string>`).
    """
    try:
        primary = as_source(source, name)
    except InvalidWorkflow as exc:
        return exc.diagnostics
    extra_docs, _ = parse_sources([_name_extra(x, i) for i, x in enumerate(extra_sources)])
    docs, diags = parse_sources([primary])
    found = [d for d in validate_all(docs + extra_docs) if d.span is not None and d.span.file == primary.name]
    return sorted(diags + found, key=sort_key)


def _name_extra(item: SourceLike, index: int) -> SourceLike:
    return Source(item, f"<extra {index}>") if isinstance(item, str) else item


def validate_all(docs: list[Document]) -> list[Diagnostic]:
    from argonb.spec.validate import validate_documents

    return validate_documents(docs)


def load_and_validate(sources: SourceLike | Iterable[SourceLike]) -> list[Document]:
    """Parse and validate `sources` (one, or several checked together; a `str` is YAML text) and return the
    documents, or raise InvalidWorkflow with every diagnostic (errors and warnings) if any is an error."""
    if isinstance(sources, (str, Path, Source)):
        sources = [sources]
    docs, diags = parse_sources(sources)
    diags = sorted(diags + (validate_all(docs) if docs else []), key=sort_key)
    if errors_only(diags):
        raise InvalidWorkflow(diags)
    return docs


def count(diags: Iterable[Diagnostic]) -> tuple[int, int]:
    """(errors, warnings)."""
    diags = list(diags)
    errors = sum(1 for d in diags if d.severity is Severity.ERROR)
    return errors, len(diags) - errors
