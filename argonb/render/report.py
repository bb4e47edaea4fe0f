"""HTML pieces that describe a run without a kernel: phase badges, node table, counts, log tails, header.

Owns: `node_duration`, `node_table_html`, `log_tail_html`, `header_html` and the phase badges (the static
snapshot that assembles them is `argonb.render.snapshot`; the counts come from `argonb.render.summary`).
Everything takes Argo-shaped node dicts, so it works on `Run.nodes` and on a Workflow's `status.nodes` alike. Imports: stdlib, argonb.render.graph, argonb.render.summary.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from argonb.render import summary
from argonb.render.graph import style_for

GROUP_TYPES = ("StepGroup", "TaskGroup")
CONTAINER_TYPES = ("Steps", "DAG", "Retry", *GROUP_TYPES)
PHASE_ORDER = ("Running", "Pending", "Succeeded", "Failed", "Error", "Skipped", "Omitted")
FAILED = ("Failed", "Error")


def parse_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def node_duration(node: dict[str, Any], now: float | None = None) -> float | None:
    """Seconds from start to finish (to `now` while running); None when it never started."""
    start = parse_time(node.get("startedAt"))
    if start is None:
        return None
    end = parse_time(node.get("finishedAt"))
    if end is None:
        end = time.time() if now is None else now
    return max(0.0, end - start)


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def work_nodes(nodes: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Nodes that do work (pods, suspends, skipped steps): what progress counts."""
    return [n for n in nodes.values() if n.get("type") not in CONTAINER_TYPES]


def phase_counts(nodes: Mapping[str, dict[str, Any]]) -> dict[str, int]:
    """Nodes per phase as the Argo UI counts them (`argonb.render.summary.phase_counts`)."""
    return summary.phase_counts(nodes)


def badge(phase: str | None) -> str:
    st = style_for(phase)
    border = "dashed" if st.dashed else "solid"
    return (f'<span class="argonb-phase argonb_{(phase or "none").lower()}" style="display:inline-block;'
            f'padding:0 6px;border-radius:8px;background:{st.fill};border:1px {border} {st.stroke};'
            f'color:{st.font};font-size:11px">{html.escape(phase or "—")}</span>')


def counts_html(counts: Mapping[str, int]) -> str:
    return " ".join(f"{badge(p)} {c}" for p, c in counts.items()) or "no nodes yet"


def table_rows(nodes: Mapping[str, dict[str, Any]], now: float | None = None) -> list[dict[str, Any]]:
    """Rows for the node table: every node but step/task groups, in creation order, except that a Retry
    node's attempts follow it, marked `attempt` (the Argo UI shows them under their Retry node)."""
    attempts = summary.attempt_ids(nodes)

    def row(n: dict[str, Any], attempt: bool) -> dict[str, Any]:
        return {"id": n.get("id"), "name": n.get("displayName") or n.get("name"), "type": n.get("type"),
                "phase": n.get("phase"), "duration": format_seconds(node_duration(n, now)),
                "message": n.get("message") or "", "attempt": attempt}

    rows = []
    for n in nodes.values():
        if n.get("type") in GROUP_TYPES or str(n.get("id")) in attempts:
            continue
        rows.append(row(n, False))
        if n.get("type") == "Retry":
            rows += [row(nodes[str(c)], True) for c in n.get("children") or () if str(c) in nodes]
    return rows


def node_table_html(nodes: Mapping[str, dict[str, Any]], *, selected: str | None = None,
                    now: float | None = None, max_rows: int = 300, kept: Mapping[str, str] | None = None,
                    footer: str = "") -> str:
    """The node table; `kept` marks nodes a retry or `--reuse` kept (node id -> their run), `footer` is a
    last row (what was left out)."""
    rows = table_rows(nodes, now)
    cell = "padding:2px 8px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top"
    head = "".join(f'<th style="{cell}">{h}</th>' for h in ("node", "type", "phase", "duration", "message"))
    out = [f'<table class="argonb-nodes" style="border-collapse:collapse;font-size:12px">'
           f'<thead><tr>{head}</tr></thead><tbody>']
    for r in rows[:max_rows]:
        mark = ' style="background:#fff8c5"' if selected and r["id"] == selected else ""
        out.append(f'<tr{mark} data-node="{html.escape(str(r["id"]))}">'
                   f'<td style="{cell}{_ATTEMPT_INDENT if r["attempt"] else ""}">{html.escape(str(r["name"]))}'
                   f'{_kept_mark(kept, r["id"])}</td>'
                   f'<td style="{cell};color:#57606a">{html.escape(str(r["type"]))}{" attempt" if r["attempt"] else ""}'
                   f'</td>'
                   f'<td style="{cell}">{badge(r["phase"])}</td>'
                   f'<td style="{cell}">{r["duration"]}</td>'
                   f'<td style="{cell};white-space:pre-wrap">{html.escape(str(r["message"]))}</td></tr>')
    if len(rows) > max_rows:
        out.append(f'<tr><td colspan="5" style="{cell}">… {len(rows) - max_rows} more</td></tr>')
    if footer:
        out.append(f'<tr><td colspan="5" style="{cell};color:#57606a">… {html.escape(footer)}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


_ATTEMPT_INDENT = ";padding-left:22px"  # attempts sit under their Retry node


def _kept_mark(kept: Mapping[str, str] | None, node_id: Any) -> str:
    origin = (kept or {}).get(str(node_id))
    if not origin:
        return ""
    return (f' <span class="argonb-kept" title="kept from {html.escape(origin)}: not run again" '
            f'style="font-size:10px;color:#57606a;border:1px solid #d0d7de;border-radius:6px;padding:0 4px">'
            f'kept</span>')


def log_tail_html(lines: Sequence[str], *, title: str = "", limit: int = 500) -> str:
    tail = list(lines)[-limit:]
    cut = f'<div style="color:#6e7781;font-size:11px">… showing the last {limit} lines</div>' \
        if len(lines) > limit else ""
    head = f'<div style="font-weight:bold;font-size:12px">{html.escape(title)}</div>' if title else ""
    body = html.escape("\n".join(tail)) if tail else "(no output)"
    return (f'{head}{cut}<pre class="argonb-log" style="margin:2px 0;max-height:300px;overflow:auto;'
            f'background:#f6f8fa;padding:4px 6px;font-size:11px;white-space:pre-wrap">{body}</pre>')


def failed_nodes(nodes: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The real failures, deepest first; a retry attempt that a later attempt recovered is not one."""
    return [nodes[i] for i in summary.real_failures(nodes)]


def header_html(name: str, phase: str | None, message: str = "", *, elapsed: float | None = None,
                note: str = "") -> str:
    parts = [f'<b>{html.escape(name)}</b>', badge(phase)]
    if elapsed is not None:
        parts.append(f'<span style="color:#57606a">{format_seconds(elapsed)}</span>')
    if message:
        parts.append(f'<span style="color:#57606a">{html.escape(message)}</span>')
    line = " ".join(parts)
    extra = f'<div style="color:#9a6700;font-size:12px">{html.escape(note)}</div>' if note else ""
    return f'<div class="argonb-header" style="font-size:13px">{line}</div>{extra}'
