"""How the notebook shows problems with a cell: located diagnostics, never a Python traceback.

Owns: `WorkflowCellError` (raised by `%%workflow` when the cell cannot run: IPython prints only
`_render_traceback_`'s lines, the cell counts as failed, so nbclient/papermill stop on a broken notebook)
and `diagnostics_bundle` (the display used by `--lint-only` and `%workflow lint`, which report problems
without failing the cell). Imports: stdlib, argonb.errors.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from argonb.errors import Diagnostic, Severity

RED, YELLOW, BOLD, RESET = "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m"


class WorkflowCellError(Exception):
    """The cell's workflow is invalid or cannot start; carries the diagnostics (or a one-line reason)."""

    def __init__(self, summary: str, diagnostics: Sequence[Diagnostic] = ()):
        self.summary = summary
        self.diagnostics = list(diagnostics)
        super().__init__(summary)

    def __reduce__(self):  # picklable, like argonb's other errors
        return (WorkflowCellError, (self.summary, self.diagnostics))

    def _render_traceback_(self) -> list[str]:
        """IPython calls this instead of formatting a traceback."""
        lines = [f"{RED}{BOLD}argonb: {self.summary}{RESET}"]
        for diag in self.diagnostics:
            colour = RED if diag.severity is Severity.ERROR else YELLOW
            first, *rest = diag.format_with_source().split("\n")
            lines.append(f"{colour}{first}{RESET}")
            lines.extend(rest)
        return lines

    def __str__(self) -> str:
        return "\n".join([self.summary, *(d.format_with_source() for d in self.diagnostics)])


def invalid(diagnostics: Sequence[Diagnostic]) -> WorkflowCellError:
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    noun = "error" if errors == 1 else "errors"
    return WorkflowCellError(f"the workflow in this cell is invalid ({errors} {noun})", diagnostics)


def diagnostics_html(diagnostics: Sequence[Diagnostic]) -> str:
    if not diagnostics:
        return '<div class="argonb-lint" style="color:#18a874">✓ no problems found</div>'
    items = []
    for d in diagnostics:
        colour = "#d9404f" if d.severity is Severity.ERROR else "#9a6700"
        line, col = d.excerpt()
        src = f"\n    {line}\n    {' ' * (col - 1)}^" if d.source_line and d.span else ""
        items.append(f'<pre style="margin:2px 0;font-size:12px"><span style="color:{colour}">'
                     f'{html.escape(d.format())}</span>{html.escape(src)}</pre>')
    return '<div class="argonb-lint">' + "".join(items) + "</div>"


def diagnostics_bundle(diagnostics: Sequence[Diagnostic]) -> dict[str, str]:
    text = "\n".join(d.format_with_source() for d in diagnostics) or "no problems found"
    return {"text/html": diagnostics_html(diagnostics), "text/plain": text}
