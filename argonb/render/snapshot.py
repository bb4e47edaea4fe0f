"""The static snapshot of a run: what a shared notebook shows where no widget JavaScript runs.

Owns: `RunPicture` (everything a snapshot shows), `snapshot_bundle` (its `text/html` and `text/plain`),
`snapshot_html`, `snapshot_text` and `static_graph`. The HTML is one self-contained block with inline styles
only: no script, no stylesheet, no external file, so `nbconvert --to html` offline, nbviewer and GitHub show
it as it is. Big sibling groups are folded as in the Argo UI (`argonb.render.collapse`), and the node table
lists what the graph draws plus every real failure, so a 1,000-node run stays a few tens of KB. Every figure
comes from `argonb.render.summary`. Imports: stdlib, argonb.render.*.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from argonb.render.collapse import collapse_groups, fold_chains, phase_note
from argonb.render.graph import GNode, safe_prefix
from argonb.render.report import (
    GROUP_TYPES,
    counts_html,
    format_seconds,
    header_html,
    log_tail_html,
    node_table_html,
    table_rows,
)
from argonb.render.runtree import run_graph
from argonb.render.summary import RunSummary, log_node, summarize

SNAPSHOT_CLASS = "argonb-snapshot"
MAX_FAILURE_ROWS = 20  # failed nodes listed in the table even when the graph folded them away
MAX_FAILURE_LOGS = 3
LOG_LINES = 40
MESSAGE_CHARS = 120  # text/plain keeps each message to one short line
# A static picture cannot be expanded, so groups up to this size stay open (a tutorial's 8-item loop reads
# whole); bigger ones fold the Argo UI's way: first child, "N hidden nodes", last child.
FOLD_ABOVE = 10
MAX_DRAWN = 200  # past this many drawn nodes, long straight chains fold too


@dataclass
class RunPicture:
    name: str
    phase: str | None
    message: str
    nodes: Mapping[str, dict[str, Any]]
    elapsed: float | None = None
    note: str = ""
    kept: Mapping[str, str] = field(default_factory=dict)  # node id -> the run it was kept from
    workflow: dict[str, Any] | None = None
    log_tail: Callable[[str], list[str]] = lambda _node_id: []

    def summary(self) -> RunSummary:
        return summarize(self.nodes, self.kept)


def static_graph(markup: str, alt: str = "workflow graph") -> str:
    """Graph markup for static `text/html` outputs: an inline `<svg>` becomes an `<img>` with a data: URI.

    A reopened notebook's outputs are untrusted, and JupyterLab's HTML sanitizer strips inline `<svg>`,
    leaving its node titles as loose text; GitHub turns inline SVG of notebooks into such images itself. An
    SVG image survives both and needs no script. Markup without `<svg>` (the no-graphviz HTML view) is
    returned unchanged.
    """
    start = markup.find("<svg")
    if start < 0:
        return markup
    data = base64.b64encode(markup[start:].encode("utf-8")).decode("ascii")
    # natural size, like the live graph (the snapshot's wrapper scrolls); JupyterLab would shrink it to fit
    return (f'<img class="argonb-graph" style="max-width:none" alt="{html.escape(alt)}" '
            f'src="data:image/svg+xml;base64,{data}">')


def origin_note(nodes: Mapping[str, dict[str, Any]], kept: Mapping[str, str]) -> str:
    """Which run the kept nodes come from, e.g. "2 nodes kept from wf-abc (not run again)"."""
    origins: dict[str, int] = {}
    for node_id, origin in kept.items():
        if node_id in nodes:
            origins[origin] = origins.get(origin, 0) + 1
    parts = [f"{n} node{'s' if n != 1 else ''} kept from {o}" for o, n in origins.items()]
    return "; ".join(parts) + " (not run again)" if parts else ""


def notes(picture: RunPicture) -> str:
    return " · ".join(n for n in (picture.note, origin_note(picture.nodes, picture.kept)) if n)


def shown_graph(picture: RunPicture, summary: RunSummary) -> tuple[Any, set[str]]:
    """The run's graph folded as the Argo UI folds it, kept nodes marked; and the node ids it hides."""
    graph = run_graph(picture.nodes, name=picture.name, prefix=f"{safe_prefix(picture.name)}_s",
                      workflow=picture.workflow)
    for node_id in summary.kept:
        gnode = graph.get(node_id)
        if gnode is not None:
            gnode.note = "\n".join(filter(None, [gnode.note, "kept"]))
    folded = collapse_groups(graph, max_children=FOLD_ABOVE)
    if len(folded.graph.nodes) <= MAX_DRAWN:
        return folded.graph, folded.hidden
    chains = fold_chains(folded.graph)  # e.g. a 1,000-step sequence: no sibling group to fold
    return chains.graph, folded.hidden | chains.hidden


def table_nodes(picture: RunPicture, summary: RunSummary, hidden: set[str]) -> tuple[dict[str, dict[str, Any]], str]:
    """The rows of the snapshot's table (what the graph draws, plus real failures) and a line for the rest."""
    failures = set(summary.failures[:MAX_FAILURE_ROWS])
    rows = {k: n for k, n in picture.nodes.items() if k not in hidden or k in failures}
    rest = [n for k, n in picture.nodes.items() if k not in rows and n.get("type") not in GROUP_TYPES]
    if not rest:
        return rows, ""
    members = [GNode(str(n.get("id")), "", phase=n.get("phase")) for n in rest]
    return rows, f"{len(rest)} more nodes folded in the graph ({phase_note(members)})"


def snapshot_html(picture: RunPicture, *, render: Callable[[Any], str], view_id: str = "") -> str:
    """The static picture (`view_id`: an extra class naming the live view that hides it where it renders): header (with what was kept, and from which run), counts and Argo's progress, the
    folded graph as an SVG image, the node table and the log tails of the real failures."""
    summary = picture.summary()
    graph, hidden = shown_graph(picture, summary)
    rows, rest = table_nodes(picture, summary, hidden)
    classes = " ".join(filter(None, [SNAPSHOT_CLASS, html.escape(view_id)]))
    parts = [f'<div class="{classes}" style="font-family:Helvetica,Arial,sans-serif">',
             header_html(picture.name, picture.phase, picture.message, elapsed=picture.elapsed,
                         note=notes(picture)),
             f'<div style="margin:4px 0;font-size:12px">{counts_html(summary.counts)} '
             f'<span style="color:#57606a">progress {summary.progress_text}</span></div>',
             f'<div style="overflow:auto;max-width:100%">{static_graph(render(graph), f"graph of {picture.name}")}'
             f'</div>',
             node_table_html(rows, kept=picture.kept, footer=rest)]
    for node_id in summary.failures[:MAX_FAILURE_LOGS]:
        target = log_node(picture.nodes, node_id)
        lines = picture.log_tail(target)
        name = (picture.nodes.get(target) or {}).get("displayName")
        parts.append(log_tail_html(lines, title=f"log of {name} (last {LOG_LINES} lines)", limit=LOG_LINES))
    parts.append("</div>")
    return "".join(parts)


def snapshot_text(picture: RunPicture) -> str:
    """A compact node table for `text/plain`: name, phase, duration and message of what the graph draws."""
    summary = picture.summary()
    _graph, hidden = shown_graph(picture, summary)
    rows, rest = table_nodes(picture, summary, hidden)
    counts = ", ".join(f"{c} {p}" for p, c in summary.counts.items())
    head = f"argonb run {picture.name}: {picture.phase}" + (f" ({picture.message})" if picture.message else "")
    lines = [f"{head}; progress {summary.progress_text}" + (f"; {counts}" if counts else "")
             + (f"; {format_seconds(picture.elapsed)}" if picture.elapsed is not None else "")]
    if notes(picture):
        lines.append(notes(picture))
    table = [(("  " if r["attempt"] else "") + str(r["name"]) + (" (kept)" if r["id"] in picture.kept else ""),
              str(r["phase"] or ""), r["duration"], _one_line(r["message"])) for r in table_rows(rows)]
    width = max([len(r[0]) for r in table] + [4])
    lines.append(f"{'NODE'.ljust(width)}  {'PHASE'.ljust(9)}  {'DURATION':>8}  MESSAGE")
    lines += [f"{r[0].ljust(width)}  {r[1].ljust(9)}  {r[2]:>8}  {r[3]}".rstrip() for r in table]
    if rest:
        lines.append(f"… {rest}")
    return "\n".join(lines)


def _one_line(message: Any) -> str:
    text = " ".join(str(message or "").split())
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 1] + "…"


def snapshot_bundle(picture: RunPicture, *, render: Callable[[Any], str], view_id: str = "") -> dict[str, str]:
    """The display data of a snapshot output: `text/html` and a `text/plain` node table."""
    return {"text/html": snapshot_html(picture, render=render, view_id=view_id),
            "text/plain": snapshot_text(picture)}
