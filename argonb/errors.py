"""User-facing error types for argonb.

Owns: `Span` (a position in a source), `Diagnostic` (one problem with a stable code, location, message
and hint) and the exception root `ArgonbError`. Imports nothing from argonb.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

EXCERPT_WIDTH = 160  # characters of a source line shown under a diagnostic


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Span:
    """A 1-based line/column position inside a named source (a file path or `cell`)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in user input: `FILE:LINE:COL: error: CODE: message (hint)`."""

    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.ERROR
    hint: str = ""
    source_line: str = field(default="", compare=False)

    def format(self) -> str:
        where = str(self.span) if self.span else "<input>"
        text = f"{where}: {self.severity.value}: {self.code}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def format_with_source(self) -> str:
        """The one-line diagnostic followed by the offending source line and a caret."""
        text = self.format()
        if self.source_line and self.span:
            line, col = self.excerpt()
            text += f"\n    {line}\n    {' ' * (col - 1)}^"
        return text

    def excerpt(self, width: int = EXCERPT_WIDTH) -> tuple[str, int]:
        """The source line, cut to about `width` characters around the column, and the caret's column in it.

        A whole line per diagnostic would make output quadratic: 20,000 problems on one 500 KB line printed
        14 GB. The cut ends are marked with `...`.
        """
        line, col = self.source_line, max(self.span.col if self.span else 1, 1)
        if len(line) <= width:
            return line, col
        start = max(0, min(col - 1 - width // 2, len(line) - width))
        head = "..." if start > 0 else ""
        tail = "..." if start + width < len(line) else ""
        return head + line[start:start + width] + tail, col - start + len(head)

    def __str__(self) -> str:
        return self.format()


class ArgonbError(Exception):
    """Root of every error argonb raises on purpose."""


class InvalidWorkflow(ArgonbError):
    """Raised when input cannot be run; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics) or "invalid workflow")

    def __reduce__(self):  # keep picklable across threads/processes
        return (InvalidWorkflow, (self.diagnostics,))


def errors_only(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.ERROR]
