"""The `%%workflow` cell magic and the `%workflow SUBCOMMAND` line magics.

Owns: `WorkflowMagics` (argument parsing only; `argonb.notebook.session.Session` does the work) and its
configurable defaults (`c.WorkflowMagics.backend`, `.home`, `.log_lines` in an IPython config file).
Imports: IPython.core, argonb.notebook.session, argonb.notebook.commands.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Int, Unicode

from argonb.notebook.session import CellOptions, Session


def parse_parameters(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"invalid parameter {item!r}: expected -p NAME=VALUE")
        out[name] = value
    return out


@magics_class
class WorkflowMagics(Magics):
    """Run Argo Workflows YAML from notebook cells."""

    backend = Unicode("local", help="backend used when %%workflow has no --backend").tag(config=True)
    home = Unicode("", help="argonb's state directory (default: $ARGONB_HOME or ./.argonb)").tag(config=True)
    log_lines = Int(500, help="log lines per node kept for the widget (full logs stay on disk)").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any):
        super().__init__(shell=shell, **kwargs)
        self.session = Session(shell, backend=self.backend, home=self.home or None, log_lines=self.log_lines)

    @magic_arguments()
    @argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
              help="override a workflow argument parameter (repeatable)")
    @argument("--backend", default=None, help="where pods run: local (default)")
    @argument("--name", default=None, metavar="VAR", help="also bind the Run to this variable")
    @argument("--wait", action="store_true", help="block until the run ends (Ctrl-C stops it cleanly)")
    @argument("--lint-only", action="store_true", help="only report problems; never fails the cell")
    @argument("--render-only", action="store_true", help="only draw the workflow's structure")
    @argument("--parallelism", type=int, default=None, metavar="N", help="max pods running at once")
    @argument("--templates", action="append", default=[], metavar="PATH",
              help="file or directory of WorkflowTemplates for templateRef (repeatable)")
    @argument("--reuse", nargs="?", const="", default=None, metavar="RUN",
              help="edit-and-resume: keep every unchanged succeeded node of RUN (a name, prefix, @latest or a "
                   "Run variable; default: this cell's previous run) and run only what changed")
    @cell_magic("workflow")
    def workflow_cell(self, line: str, cell: str) -> Any:
        """Validate and run the Argo YAML in this cell; returns the Run at once (its widget updates live).

        A cell holding WorkflowTemplates registers them for later cells' templateRef. Invalid YAML fails
        the cell with located diagnostics (cell line numbers), not a traceback.
        """
        args = parse_argstring(self.workflow_cell, line)
        options = CellOptions(parse_parameters(args.parameter), args.backend, args.name, args.wait,
                              args.lint_only, args.render_only, args.parallelism, list(args.templates), args.reuse)
        return self.session.run_cell(options, cell)

    @line_magic("workflow")
    def workflow_line(self, line: str) -> Any:
        """%workflow list | status [RUN] | logs [RUN] [NODE] | stop [RUN] | wait [RUN] [--timeout S] |
        lint [FILE] | render [RUN|FILE] | templates | retry [RUN] [--node NODE]

        RUN is a run name (or unique prefix) or a variable bound with --name; the latest run by default.
        """
        from argonb.notebook.commands import dispatch

        return dispatch(self.session, line)
