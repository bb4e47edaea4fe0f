"""HTML for the widget's side panes: one node's details and its bounded log tail; auto-selection.

Owns: `pick_node` (which node the log follows when the user has not chosen: the running pod, else the
deepest real failure), `node_options` (dropdown entries) and `node_detail_html` (inputs, the command or script when
the node carries it, outputs and artifacts, and why a node was Skipped/Omitted). Pure functions of node dicts.
Imports: stdlib, argonb.render.report.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from argonb.render.report import badge, format_seconds, node_duration, work_nodes
from argonb.render.summary import focus_node

# Keys a node may carry (now or later) that say what ran.
COMMAND_KEYS = ("image", "command", "args", "source", "script")


def pick_node(nodes: Mapping[str, dict[str, Any]]) -> str | None:
    """The node to follow: the newest running pod, else the deepest real failure (a retry attempt that a
    later attempt recovered is not one), else the last pod (`argonb.render.summary.focus_node`)."""
    return focus_node(nodes)


def node_options(nodes: Mapping[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """Dropdown entries (label, node id): "(auto)" then every work node in creation order."""
    return [("(follow running / failed)", "")] + [
        (f"{n.get('displayName')} · {n.get('phase')}", str(n["id"])) for n in work_nodes(nodes)]


def _kv_table(rows: list[tuple[str, str]]) -> str:
    cell = "padding:1px 6px;vertical-align:top;text-align:left"
    body = "".join(f'<tr><th style="{cell};color:#57606a;font-weight:normal">{html.escape(k)}</th>'
                   f'<td style="{cell};white-space:pre-wrap;font-family:monospace">{html.escape(v)}</td></tr>'
                   for k, v in rows)
    return f'<table style="border-collapse:collapse;font-size:12px">{body}</table>' if rows else ""


def _params(block: dict[str, Any] | None, prefix: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    block = block or {}
    for p in block.get("parameters") or []:
        if isinstance(p, dict):
            rows.append((f"{prefix}.parameters.{p.get('name')}", _short(p.get("value"))))
    for a in block.get("artifacts") or []:
        if isinstance(a, dict):
            where = a.get("path") or a.get("key") or (a.get("s3") or {}).get("key") or ""
            rows.append((f"{prefix}.artifacts.{a.get('name')}", _short(where)))
    for key in ("result", "exitCode"):
        if block.get(key) not in (None, ""):
            rows.append((f"{prefix}.{key}", _short(block[key])))
    return rows


def _short(value: Any, limit: int = 600) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def _command_rows(node: dict[str, Any]) -> list[tuple[str, str]]:
    sources = [node, node.get("detail") or {}, node.get("command") if isinstance(node.get("command"), dict) else {}]
    rows = []
    for key in COMMAND_KEYS:
        for src in sources:
            value = src.get(key) if isinstance(src, dict) else None
            if value not in (None, "", []) and not isinstance(value, dict):
                rows.append((key, " ".join(map(str, value)) if isinstance(value, list) else str(value)))
                break
    return rows


def node_detail_html(node: dict[str, Any] | None, *, log_path: Path | None = None,
                     kept_from: str | None = None) -> str:
    """`log_path` comes from `Run.log_path` (the one place that knows where a node logged: a kept node's
    log is in the run it was kept from); `kept_from` names that run."""
    if not node:
        return '<div style="color:#6e7781;font-size:12px">no node selected</div>'
    rows = [("type", str(node.get("type"))), ("template", str(node.get("templateName") or "")),
            ("name", str(node.get("name"))), ("duration", format_seconds(node_duration(node)))]
    if kept_from:
        rows.append(("kept", f"from {kept_from} (not run again)"))
    if node.get("podName"):
        rows.append(("pod", str(node["podName"])))
    if log_path is not None:
        rows.append(("full log", str(log_path)))
    why = node.get("message") or ""
    if node.get("phase") in ("Skipped", "Omitted") and not why:
        why = "Omitted: a dependency did not succeed" if node.get("phase") == "Omitted" else "when evaluated false"
    parts = [f'<div style="font-size:13px"><b>{html.escape(str(node.get("displayName")))}</b> '
             f'{badge(node.get("phase"))}</div>']
    if why:
        parts.append(f'<div style="font-size:12px;color:#57606a;white-space:pre-wrap">{html.escape(str(why))}</div>')
    parts.append(_kv_table(rows + _command_rows(node)))
    io = _params(node.get("inputs"), "inputs") + _params(node.get("outputs"), "outputs")
    if io:
        parts.append('<div style="font-size:12px;margin-top:4px"><b>inputs / outputs</b></div>' + _kv_table(io))
    if node.get("memoizationStatus"):
        parts.append(_kv_table([("memoized", _short(node["memoizationStatus"]))]))
    return '<div class="argonb-detail">' + "".join(parts) + "</div>"
