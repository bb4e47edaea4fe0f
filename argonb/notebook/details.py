"""HTML of the node panel, and which node the view follows by itself.

Owns: `pick_node` (which node the log follows when the user has not chosen: the running pod, else the
deepest real failure), `node_options` (dropdown entries), `node_detail_html` (phase and message, times,
template, what ran after substitution: image, command, args, script, env; inputs, outputs and artifacts;
retry attempts; kept from which run; why a node was Skipped/Omitted) and `artifact_file`. Pure functions of
node dicts.
Imports: stdlib, argonb.render.report.
"""

from __future__ import annotations

import html
import json
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from argonb.render.report import badge, format_seconds, node_duration, work_nodes
from argonb.render.summary import focus_node


def pick_node(nodes: Mapping[str, dict[str, Any]]) -> str | None:
    """The node to follow: the newest running pod, else the deepest real failure (a retry attempt that a
    later attempt recovered is not one), else the last pod (`argonb.render.summary.focus_node`)."""
    return focus_node(nodes)


def node_options(nodes: Mapping[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """Dropdown entries (label, node id): "(auto)" then every work node in creation order."""
    return [("(follow running / failed)", "")] + [
        (f"{n.get('displayName')} · {n.get('phase')}", str(n["id"])) for n in work_nodes(nodes)]


def _kv_table(rows: list[tuple[str, str]]) -> str:
    cell = "padding:1px 6px;vertical-align:top;text-align:left;line-height:1.35"
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


def _short(value: Any, limit: int = 600, max_lines: int = 8) -> str:
    """A value cut for the panel (the full one is in the run's outputs): at most `limit` chars, `max_lines`."""
    text = value if isinstance(value, str) else json.dumps(value)
    lines = text.splitlines()
    if len(lines) > max_lines:
        return "\n".join(lines[:max_lines]) + f"\n… ({len(lines) - max_lines} more lines)"
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def _command_rows(node: dict[str, Any]) -> list[tuple[str, str]]:
    """What ran, after substitution: image, command, args, script source, env (argonb's event details)."""
    detail = node.get("detail") or {}
    container = detail.get("container") or {}
    rows: list[tuple[str, str]] = []
    if container.get("image"):
        rows.append(("image", str(container["image"])))
    for key in ("command", "args"):
        if container.get(key):
            rows.append((key, shlex.join(map(str, container[key]))))
    if not container and detail.get("command"):  # a node recorded before argonb kept the container apart
        rows.append(("command", shlex.join(map(str, detail["command"]))))
    if detail.get("script"):
        rows.append(("script", _short(str(detail["script"]), 4000, max_lines=60)))
    for name, value in (container.get("env") or {}).items():
        rows.append((f"env {name}", _short(value)))
    return rows


def _time_rows(node: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("started", _clock(node.get("startedAt"))), ("finished", _clock(node.get("finishedAt"))),
            ("duration", format_seconds(node_duration(node)))]
    return [(k, v) for k, v in rows if v]


def _clock(stamp: Any) -> str:
    return str(stamp).replace("T", " ").replace("Z", " UTC") if stamp else ""


def _attempt_rows(node: dict[str, Any], nodes: Mapping[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """A Retry node's attempts, or which attempt a retried pod is (Argo keeps each attempt as a child)."""
    parent = next((n for n in nodes.values() if node.get("id") in (n.get("children") or ())
                   and n.get("type") == "Retry"), None)
    retry = node if node.get("type") == "Retry" else parent
    if not retry:
        return []
    attempts = [nodes[c] for c in retry.get("children") or () if c in nodes]
    rows = []
    for i, a in enumerate(attempts):
        code = ((a.get("outputs") or {}).get("exitCode"))
        what = " ".join(filter(None, [str(a.get("phase")), f"exit {code}" if code not in (None, "") else "",
                                      str(a.get("message") or "")]))
        mark = " (this one)" if a.get("id") == node.get("id") else ""
        rows.append((f"attempt {i + 1}{mark}", what))
    return rows


def _artifact_rows(node: dict[str, Any], artifacts_root: Path | None) -> list[tuple[str, str]]:
    """Output artifacts and where each lies on disk, so it can be opened (`artifact_file`)."""
    rows = []
    for a in (node.get("outputs") or {}).get("artifacts") or []:
        if isinstance(a, dict):
            where = artifact_file(a, artifacts_root)
            rows.append((f"artifact {a.get('name')}", str(where) if where else _short(a.get("path") or "")))
    return rows


def artifact_file(artifact: dict[str, Any], artifacts_root: Path | None) -> Path | None:
    """The file holding an output artifact in argonb's local repository, when it is there."""
    key = (artifact.get("s3") or {}).get("key") or artifact.get("key")
    if not key or artifacts_root is None:
        return None
    path = artifacts_root / str(key).lstrip("/")
    return path if path.exists() else None


def node_detail_html(node: dict[str, Any] | None, *, log_path: Path | None = None,
                     kept_from: str | None = None, nodes: Mapping[str, dict[str, Any]] | None = None,
                     artifacts_root: Path | None = None) -> str:
    """The node panel: phase and message, times, template, what ran, inputs, outputs, attempts, log path.
    `log_path` comes from `Run.log_path` (the one place that knows where a node logged: a kept node's
    log is in the run it was kept from); `kept_from` names that run; `nodes` (the run's) give a retried
    node's attempts; `artifacts_root` is the local repository its artifacts are in."""
    if not node:
        return '<div style="color:#6e7781;font-size:12px">no node selected: click a node in the graph or ' \
               'the table</div>'
    nodes = nodes or {}
    rows = [("type", str(node.get("type"))), ("template", str(node.get("templateName") or "")),
            ("name", str(node.get("name")))] + _time_rows(node)
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
        parts.append(f'<div class="argonb-message" style="font-size:12px;color:#57606a;white-space:pre-wrap">'
                     f'{html.escape(str(why))}</div>')
    parts.append(_kv_table(rows + _command_rows(node)))
    io = _params(node.get("inputs"), "inputs") + _params(node.get("outputs"), "outputs")
    io += _artifact_rows(node, artifacts_root)
    if io:
        parts.append('<div style="font-size:12px;margin-top:4px"><b>inputs / outputs</b></div>' + _kv_table(io))
    attempts = _attempt_rows(node, nodes)
    if attempts:
        parts.append('<div style="font-size:12px;margin-top:4px"><b>retry attempts</b></div>' + _kv_table(attempts))
    if node.get("memoizationStatus"):
        parts.append(_kv_table([("memoized", _short(node["memoizationStatus"]))]))
    return '<div class="argonb-detail">' + "".join(parts) + "</div>"
