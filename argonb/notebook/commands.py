"""The `%workflow SUBCOMMAND` line magics: list, status, logs, stop, wait, lint, render, templates, retry.

Owns: `COMMANDS` (name -> (parser, handler)) and `dispatch`. Each handler takes the kernel `Session` and
parsed arguments; problems raise IPython's `UsageError` (a one-line message, no traceback).
Imports: IPython.core, argonb.notebook.session/widget/errors, argonb.render, argonb.spec.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser

from argonb.notebook.errors import diagnostics_bundle
from argonb.notebook.session import Session
from argonb.notebook.widget import wait_for
from argonb.render.report import format_seconds, phase_counts

Handler = Callable[[Session, Any], Any]
USAGE = ("%workflow list | status [RUN] | logs [RUN] [NODE] | stop [RUN] | wait [RUN] [--timeout S] | "
         "lint [FILE] | render [RUN|FILE] | templates | retry [RUN] [--node NODE]")


def _parser(name: str, *positionals: tuple[str, str], **flags: dict[str, Any]) -> MagicArgumentParser:
    parser = MagicArgumentParser(prog=f"%workflow {name}", add_help=False)
    for pos, help_text in positionals:
        parser.add_argument(pos, nargs="?", default=None, help=help_text)
    for flag, kwargs in flags.items():
        parser.add_argument(f"--{flag}", **kwargs)
    return parser


def cmd_list(session: Session, _args: Any) -> None:
    rows = []
    for name, view in session.views.items():
        if view.run.name != name:  # its widget moved on to a retry / re-run
            rows.append((name, "", "", "", "", f"followed by {view.run.name}"))
            continue
        state = view.recorder.state()
        counts = ", ".join(f"{c} {p}" for p, c in phase_counts(state.nodes).items())
        later = f"superseded by {view.superseded_by}" if view.superseded_by else ""
        rows.append((name, view.var or "", state.phase, counts, format_seconds(state.elapsed()), later))
    text = "\n".join("  ".join(v for v in r if v) for r in rows) or "no runs"
    cell = "padding:1px 8px;text-align:left"
    body = "".join("<tr>" + "".join(f'<td style="{cell}">{html.escape(v)}</td>' for v in r) + "</tr>"
                   for r in rows)
    head = "".join(f'<th style="{cell}">{h}</th>' for h in ("run", "variable", "phase", "nodes", "elapsed", ""))
    session.show({"text/html": f'<table class="argonb-runs">{head}{body}</table>', "text/plain": text})


def cmd_status(session: Session, args: Any) -> None:
    view = session.find(args.run)
    session.show(view.snapshot_data(replaced_by_widget=False))


def cmd_logs(session: Session, args: Any) -> None:
    run_key, node = args.run, args.node
    if node is None and run_key is not None and not session.has_run(run_key):
        run_key, node = None, run_key  # `%workflow logs NODE`: a node of the latest run
    run = session.find(run_key).run
    try:
        text = run.logs(node)
    except KeyError as exc:
        raise UsageError(str(exc.args[0]) if exc.args else str(exc)) from None
    print(text if text else f"(no log output{' for ' + node if node else ''} in {run.name})", end="" if text else "\n")


def cmd_stop(session: Session, args: Any) -> None:
    view = session.find(args.run)
    view.stop()
    print(f"argonb: stopping {view.run.name}")


def cmd_wait(session: Session, args: Any) -> None:
    view = session.find(args.run)
    finished = wait_for(view, args.timeout)
    run = view.run
    elapsed = format_seconds(view.recorder.state().elapsed())
    verb = "finished" if finished else ("still running after the timeout" if not run.done else "was stopped")
    print(f"argonb: {run.name} {verb}: {run.phase} ({elapsed})")


def cmd_lint(session: Session, args: Any) -> None:
    from argonb.spec.source import Source

    if args.file:
        path = Path(args.file)
        if not path.exists():
            raise UsageError(f"no such file: {args.file}")
        source = Source.from_file(path)
    elif session.last_source is not None:
        source = session.last_source
    else:
        raise UsageError("nothing to lint: pass FILE or run a %%workflow cell first")
    session.show(diagnostics_bundle(session.lint(source)))


def cmd_render(session: Session, args: Any) -> None:
    from argonb.render import render_svg, run_graph
    from argonb.spec.source import Source, parse

    target = args.target
    if target and Path(target).is_file():
        docs = parse(Source.from_file(target))
        runnable = [d for d in docs if d.kind in ("Workflow", "CronWorkflow")]
        session.show_spec(runnable[0] if runnable else None, docs)
        return
    if target is None and not session.views and session.last_source is not None:
        docs = parse(session.last_source)
        session.show_spec(next((d for d in docs if d.kind == "Workflow"), None), docs)
        return
    run = session.find(target).run
    graph = run_graph(run.nodes, name=run.name, workflow=run.workflow)
    from argonb.render.snapshot import static_graph

    session.show({"text/html": static_graph(render_svg(graph), f"graph of {run.name}"), "text/plain": graph.to_dot()})


def cmd_templates(session: Session, _args: Any) -> None:
    names = [f"{kind} {name}" for kind, name in session.template_sources]
    print("\n".join(names) if names else "no WorkflowTemplates registered yet: a %%workflow cell holding "
                                          "`kind: WorkflowTemplate` registers one")


def cmd_retry(session: Session, args: Any) -> None:
    view = session.find(args.run)
    if not view.run.done:
        raise UsageError(f"{view.run.name} is still running: %workflow stop it or wait for it first")
    old = view.run.name
    view.retry(args.node)
    print(f"argonb: retrying {old} (failed nodes and what depends on them run again; succeeded nodes keep "
          "their outputs)")
    view.display(session.execution_count())


COMMANDS: dict[str, tuple[MagicArgumentParser, Handler]] = {
    "list": (_parser("list"), cmd_list),
    "status": (_parser("status", ("run", "run name or variable (default: latest)")), cmd_status),
    "logs": (_parser("logs", ("run", "run (default: latest)"), ("node", "node name (default: all)")), cmd_logs),
    "stop": (_parser("stop", ("run", "run (default: latest)")), cmd_stop),
    "wait": (_parser("wait", ("run", "run (default: latest)"), timeout={"type": float, "default": None}),
             cmd_wait),
    "lint": (_parser("lint", ("file", "YAML file (default: the last %%workflow cell)")), cmd_lint),
    "render": (_parser("render", ("target", "run or YAML file (default: latest run)")), cmd_render),
    "templates": (_parser("templates"), cmd_templates),
    "retry": (_parser("retry", ("run", "run (default: latest)"), node={"default": None}), cmd_retry),
}


def dispatch(session: Session, line: str) -> Any:
    words = shlex.split(line)
    if not words or words[0] not in COMMANDS:
        raise UsageError(f"usage: {USAGE}")
    parser, handler = COMMANDS[words[0]]
    return handler(session, parser.parse_args(words[1:]))
