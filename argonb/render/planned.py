"""Tasks and step groups that have not started yet, drawn from the spec (greyed), so a run's whole DAG is
visible from its first second.

Owns: `with_planned` (Argo-shaped node dicts + the Workflow -> the same nodes plus `Planned` placeholders).
For each running DAG node, every task of its template without a node yet gets one, linked as Argo will link
it: a task without dependencies under the DAG node, else after each dependency (after a loop's items when
the dependency is a task group). For each running steps node, each later step group and its steps. A
placeholder disappears as soon as the engine creates the real node. Nothing here is sent to the run.
Imports: argonb.render.specgraph (`depends_on`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argonb.render.specgraph import depends_on

PLANNED = "Planned"  # node type and phase of a placeholder
_LIVE = ("Running", "Pending")


def with_planned(nodes: Mapping[str, dict[str, Any]], workflow: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    templates = {str(t.get("name")): t for t in ((workflow or {}).get("spec") or {}).get("templates") or []
                 if isinstance(t, dict)}
    out = dict(nodes)
    if not templates:
        return out
    by_name = {str(n.get("name")): key for key, n in nodes.items()}
    for key, node in list(nodes.items()):
        if node.get("phase") not in _LIVE:
            continue
        tmpl = templates.get(str(node.get("templateName")))
        if not tmpl:
            continue
        if node.get("type") == "DAG" and isinstance(tmpl.get("dag"), dict):
            _plan_dag(out, by_name, key, node, tmpl["dag"].get("tasks") or [])
        elif node.get("type") == "Steps" and isinstance(tmpl.get("steps"), list):
            _plan_steps(out, by_name, key, node, tmpl["steps"])
    return out


def _placeholder(key: str, name: str, label: str, boundary: str, template: Any, kind: str = PLANNED) -> dict:
    return {"id": key, "name": name, "displayName": label, "type": kind, "phase": PLANNED,
            "templateName": str(template or ""), "boundaryID": boundary, "children": []}


def _link(out: dict[str, dict[str, Any]], parent: str, child: str) -> None:
    node = out[parent]
    if child not in (node.get("children") or ()):
        out[parent] = {**node, "children": [*(node.get("children") or ()), child]}


def _tails(out: dict[str, dict[str, Any]], key: str) -> list[str]:
    """Where Argo hangs a dependent of node `key`: after a group's members (loop items), else after it."""
    node = out[key]
    if node.get("type") in ("TaskGroup", "StepGroup") and node.get("children"):
        return [c for c in node["children"] if c in out] or [key]
    return [key]


def _plan_dag(out: dict[str, dict[str, Any]], by_name: dict[str, str], key: str, dag: dict[str, Any],
              tasks: list[Any]) -> None:
    tasks = [t for t in tasks if isinstance(t, dict) and t.get("name")]
    names = {str(t["name"]) for t in tasks}
    ids: dict[str, str] = {}
    for t in tasks:
        name = f"{dag.get('name')}.{t['name']}"
        ids[str(t["name"])] = by_name.get(name) or f"planned:{key}:{t['name']}"
    for t in tasks:
        tid = ids[str(t["name"])]
        if tid in out:
            continue
        out[tid] = _placeholder(tid, f"{dag.get('name')}.{t['name']}", str(t["name"]), key, t.get("template"))
    for t in tasks:
        tid = ids[str(t["name"])]
        if not tid.startswith("planned:"):
            continue
        deps = depends_on(t, names)
        for parent in [tail for d in deps for tail in _tails(out, ids[d])] if deps else [key]:
            _link(out, parent, tid)


def _plan_steps(out: dict[str, dict[str, Any]], by_name: dict[str, str], key: str, steps: dict[str, Any],
                groups: list[Any]) -> None:
    previous: list[str] = [key]
    for i, group in enumerate(groups):
        gname = f"{steps.get('name')}[{i}]"
        existing = by_name.get(gname)
        if existing:
            previous = _tails(out, existing)
            continue
        gid = f"planned:{key}:[{i}]"
        out[gid] = _placeholder(gid, gname, f"[{i}]", key, "", kind="StepGroup")
        for parent in previous:
            _link(out, parent, gid)
        members = []
        for step in group if isinstance(group, list) else []:
            if isinstance(step, dict) and step.get("name"):
                sid = f"{gid}.{step['name']}"
                out[sid] = _placeholder(sid, f"{gname}.{step['name']}", str(step["name"]), key, step.get("template"))
                _link(out, gid, sid)
                members.append(sid)
        previous = members or [gid]
