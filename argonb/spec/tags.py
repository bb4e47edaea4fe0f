"""Finding `{{...}}` tags in strings and pointing at text inside a YAML scalar.

Owns: `find_tags` (the tags of one string, the way Argo's fasttemplate scan sees them: `{{` up to the next
`}}`, expression tags start with `=`), `iter_strings` (every string, and every string mapping key, below a node
with its path), `ScalarLocator` and `locate` (the exact source line/column of a piece of text inside a scalar value,
e.g. one tag inside a multi-line `args` block). This is lint's own light scanner; the evaluator lives in argonb.expr.
Imports: stdlib, argonb.errors, argonb.spec.source.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argonb.errors import Diagnostic, Severity, Span
from argonb.spec.source import Document, PathKey

OPEN, CLOSE = "{{", "}}"


@dataclass(frozen=True)
class Tag:
    start: int        # offset of `{{` in the string
    end: int          # offset just after `}}` (or len(s) when unterminated)
    inner: str        # text between the braces, untrimmed
    closed: bool = True

    @property
    def text(self) -> str:
        return OPEN + self.inner + (CLOSE if self.closed else "")

    @property
    def is_expression(self) -> bool:
        return self.inner.startswith("=")  # Argo's parseTag: no trimming before the `=` check


def find_tags(s: str) -> list[Tag]:
    """All tags of `s` in order; an unterminated `{{` yields a final Tag with closed=False."""
    out: list[Tag] = []
    pos = s.find(OPEN)
    while pos >= 0:
        end = s.find(CLOSE, pos + 2)
        if end < 0:
            out.append(Tag(pos, len(s), s[pos + 2:], closed=False))
            break
        out.append(Tag(pos, end + 2, s[pos + 2:end]))
        pos = s.find(OPEN, end + 2)
    return out


def iter_strings(node: Any, path: PathKey, skip: frozenset[str] = frozenset(),
                 needle: str = "") -> list[tuple[PathKey, str]]:
    """(path, text) for every string value below `node` that contains `needle`, in document order; mapping
    keys in `skip` are not descended. Paths are only built for the strings returned (lint speed)."""
    out: list[tuple[PathKey, str]] = []
    _collect(node, path, skip, needle, out)
    return out


def _collect(value: Any, path: PathKey, skip: frozenset[str], needle: str, out: list[tuple[PathKey, str]]) -> None:
    if isinstance(value, str):
        if needle in value:
            out.append((path, value))
    elif isinstance(value, dict):
        for key, item in value.items():
            # Strings are tested here rather than in a call of their own: most values are strings (lint speed).
            if isinstance(item, str):
                if needle in item and key not in skip:
                    out.append(((*path, key), item))
            elif isinstance(item, (dict, list)) and key not in skip:
                _collect(item, (*path, key), skip, needle, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                if needle in item:
                    out.append(((*path, i), item))
            elif isinstance(item, (dict, list)):
                _collect(item, (*path, i), skip, needle, out)


@lru_cache(maxsize=64)
def _line_starts(text: str) -> tuple[int, ...]:
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return tuple(starts)


def _offset_to_mark(text: str, offset: int) -> tuple[int, int]:
    starts = _line_starts(text)
    lo, hi = 0, len(starts) - 1
    while lo < hi:  # last line start <= offset
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo, offset - starts[lo]


def locate(doc: Document, path: PathKey, needle: str, occurrence: int = 0) -> Span:
    """Where the `occurrence`-th copy of `needle` sits in the source, searching from the value at `path`.

    Falls back to the value's own position when the text cannot be found verbatim (escapes, folding).
    """
    mark = doc.value_marks.get(tuple(path))
    if mark is None or not needle:
        return doc.span(path)
    text = doc.source.text
    starts = _line_starts(text)
    if mark[0] >= len(starts):
        return doc.span(path)
    pos = starts[mark[0]] + mark[1] - 1
    limit = pos + 1 + 4 * (len(needle) + 2000)  # a scalar is never much longer than its source text
    for _ in range(occurrence + 1):
        pos = text.find(needle, pos + 1, limit)
        if pos < 0:
            return doc.span(path)
    return doc.source.span(*_offset_to_mark(text, pos))


class ScalarLocator:
    """Where pieces of one string value (`text`, at `path`) sit in the source.

    Asked for pieces in increasing offsets (the tags of a string, in order), each search resumes where the last
    one ended, so locating every piece of a string is linear in its length; counting the earlier copies from
    the start for each piece, as `locate` does, is quadratic (20,000 tags in one string took seconds).
    Falls back to the value's own position when a piece cannot be found verbatim (escapes, folding).
    """

    def __init__(self, doc: Document, path: PathKey, text: str):
        self.doc, self.path, self.text = doc, tuple(path), text
        self.start = self._value_start()
        # a scalar's source is its text plus quoting, escapes and indentation: never much longer
        self.limit = -1 if self.start is None else self.start + 4 * (len(text) + 2000) + 64 * text.count("\n")
        self.offset, self.pos = 0, self.start  # the last piece found: its offset in `text`, its offset in source

    def _value_start(self) -> int | None:
        mark = self.doc.value_marks.get(self.path)
        if mark is None:
            return None
        starts = _line_starts(self.doc.source.text)
        return starts[mark[0]] + mark[1] if mark[0] < len(starts) else None

    def span(self, needle: str, offset: int) -> Span:
        """The source position of the copy of `needle` that starts at `offset` in the string."""
        if self.start is None or self.pos is None or not needle:
            return self.doc.span(self.path)
        if offset < self.offset:  # out of order: search again from the start of the value
            self.offset, self.pos = 0, self.start
        source = self.doc.source.text
        pos = self.pos
        for _ in range(self.text.count(needle, self.offset, offset) + 1):
            found = source.find(needle, pos, self.limit)
            if found < 0:
                return self.doc.span(self.path)
            pos = found + 1
        self.offset, self.pos = offset, found
        return self.doc.source.span(*_offset_to_mark(source, found))


def diagnostic_at(doc: Document, span: Span, code: str, message: str, *, hint: str = "",
                  severity: Severity = Severity.ERROR) -> Diagnostic:
    return Diagnostic(code, message, span, severity=severity, hint=hint,
                      source_line=doc.source.line_text(span.line))
