"""IPython integration: `%load_ext argonb` registers `%%workflow` / `%workflow` and how a Run displays.

Owns: `load_ipython_extension` / `unload_ipython_extension`. A `Run` shown as a cell result (or with
`display(run)`) becomes its live widget plus a static snapshot; its `text/html` repr is the snapshot.
This package is the only place that imports IPython and ipywidgets (lazily: widgets load on first run).
Imports: IPython, argonb.engine.run, argonb.notebook.*.
"""

from __future__ import annotations

from typing import Any

_STATE: dict[int, Any] = {}


def load_ipython_extension(ip: Any) -> None:
    from argonb.engine.run import Run
    from argonb.notebook.magics import WorkflowMagics

    if id(ip) in _STATE:
        return
    magics = WorkflowMagics(shell=ip)
    ip.register_magics(magics)
    session = magics.session
    formatters = ip.display_formatter
    formatters.ipython_display_formatter.for_type(Run, session.display_run)
    formatters.formatters["text/html"].for_type(Run, run_html)

    def pre_run_cell(info: Any) -> None:
        session.cell_id = getattr(info, "cell_id", None)
        session.cell_serial += 1

    def post_run_cell(_result: Any) -> None:
        session.cell_id = None

    ip.events.register("pre_run_cell", pre_run_cell)
    ip.events.register("post_run_cell", post_run_cell)
    _STATE[id(ip)] = (magics, pre_run_cell, post_run_cell)


def unload_ipython_extension(ip: Any) -> None:
    from argonb.engine.run import Run

    entry = _STATE.pop(id(ip), None)
    if entry is None:
        return
    _magics, pre, post = entry
    ip.events.unregister("pre_run_cell", pre)
    ip.events.unregister("post_run_cell", post)
    for formatter in (ip.display_formatter.ipython_display_formatter, ip.display_formatter.formatters["text/html"]):
        formatter.pop(Run, None)
    ip.magics_manager.magics["line"].pop("workflow", None)
    ip.magics_manager.magics["cell"].pop("workflow", None)


def run_html(run: Any) -> str:
    """Static HTML of a run (graph, node table, failures' logs): the Run's `text/html` representation."""
    from argonb.notebook.recorder import LOG_TAIL_BYTES
    from argonb.render import RunPicture, render_svg, snapshot_html

    def log_tail(node_id: str) -> list[str]:
        return run.logs(node_id, tail_bytes=LOG_TAIL_BYTES).splitlines()[-40:]

    picture = RunPicture(name=run.name, phase=run.phase, message=run.message, nodes=run.nodes,
                         kept=getattr(run, "kept_from", {}), workflow=getattr(run, "workflow", None),
                         log_tail=log_tail)
    return snapshot_html(picture, render=render_svg)
