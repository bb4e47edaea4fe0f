"""User-facing error types for argonb.

Owns: `Span` (a position in a source), `Diagnostic` (one problem with a stable code, location, message
and hint) and the exception root `ArgonbError`. Imports nothing from argonb.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


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
            caret = " " * (max(self.span.col, 1) - 1) + "^"
            text += f"\n    {self.source_line}\n    {caret}"
        return text

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
