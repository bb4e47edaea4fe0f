"""The node tree of a run, drawn as Argo's UI draws it: edges follow each node's `children`.

Owns: `run_graph` (Argo-shaped node dicts -> `Graph`) and `run_dot`. Input is `Run.nodes` or a Workflow's
`status.nodes` (from `argonb run -o json` or `argo get -o json`), so nothing here needs a live run.
Imports: argonb.render.graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from argonb.render.graph import GNode, Graph, safe_prefix


def _node_list(nodes: Mapping[str, dict[str, Any]] | Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    values = nodes.values() if isinstance(nodes, Mapping) else nodes
    return [n for n in values if isinstance(n, dict) and n.get("id")]


def run_graph(nodes: Mapping[str, dict[str, Any]] | Iterable[dict[str, Any]], *, name: str = "run",
              prefix: str | None = None, workflow: dict[str, Any] | None = None) -> Graph:
    """A `Graph` of the run's nodes in creation order, coloured by phase.

    A node that no other node lists as a child (other than a tree root) is a snapshot that missed its
    parent's latest `children`: it is attached where Argo would have put it (after the previous step group,
    or after its DAG dependencies, read from `workflow`'s templates), else to its `boundaryID` (dashed).
    """
    items = _node_list(nodes)
    graph = Graph(name=name, prefix=prefix or safe_prefix(name))
    for n in items:
        graph.add(GNode(key=n["id"], label=str(n.get("displayName") or n.get("name") or n["id"]),
                        kind=str(n.get("type") or "Pod"), phase=n.get("phase"),
                        note=_note(n)))
    has_parent: set[str] = set()
    for n in items:
        for child in n.get("children") or ():
            graph.connect(n["id"], child)
            has_parent.add(child)
    orphans = [n for n in items if n["id"] not in has_parent and n.get("boundaryID")
               and n["boundaryID"] != n["id"]]
    if orphans:
        _attach_orphans(graph, orphans, items, workflow)
    return graph


def _attach_orphans(graph: Graph, orphans: list[dict[str, Any]], items: list[dict[str, Any]],
                    workflow: dict[str, Any] | None) -> None:
    by_name = {str(n.get("name")): n for n in items}
    by_id = {n["id"]: n for n in items}
    templates = {str(t.get("name")): t for t in ((workflow or {}).get("spec") or {}).get("templates") or []
                 if isinstance(t, dict)}
    for n in orphans:
        parents = _inferred_parents(n, by_name, by_id, templates)
        for p in parents:
            graph.connect(p, n["id"])
        if not parents:
            graph.connect(n["boundaryID"], n["id"], dashed=True)


_GROUP = re.compile(r"^(?P<base>.*)\[(?P<index>\d+)\]$")


def _inferred_parents(node: dict[str, Any], by_name: dict[str, dict[str, Any]], by_id: dict[str, dict[str, Any]],
                      templates: dict[str, dict[str, Any]]) -> list[str]:
    """Where Argo links `node` from: step group k follows group k-1's steps; a DAG task its dependencies."""
    m = _GROUP.match(str(node.get("name")))
    if node.get("type") == "StepGroup" and m and int(m["index"]) > 0:
        prev = by_name.get(f"{m['base']}[{int(m['index']) - 1}]")
        return list((prev or {}).get("children") or []) or ([prev["id"]] if prev else [])
    boundary = by_id.get(str(node.get("boundaryID")))
    tmpl = templates.get(str((boundary or {}).get("templateName")))
    if not boundary or boundary.get("type") != "DAG" or not tmpl or not isinstance(tmpl.get("dag"), dict):
        return []
    from argonb.render.specgraph import depends_on

    tasks = {str(t.get("name")): t for t in tmpl["dag"].get("tasks") or [] if isinstance(t, dict)}
    task = _task_name(str(node.get("name")), str(boundary.get("name")))
    if task not in tasks:
        return []
    deps = depends_on(tasks[task], set(tasks))
    if not deps:
        return [boundary["id"]]
    prefix = f"{boundary.get('name')}."
    return [n["id"] for n in by_id.values() if str(n.get("name", "")).startswith(prefix)
            and n.get("boundaryID") == boundary["id"]
            and _task_name(str(n["name"]), str(boundary["name"])) in deps and n.get("type") != "TaskGroup"]


def _task_name(node_name: str, boundary_name: str) -> str:
    """`wf.dag.task(0:x)` -> `task`: the DAG task a node belongs to."""
    rest = node_name[len(boundary_name) + 1:] if node_name.startswith(boundary_name + ".") else node_name
    return rest.split("(", 1)[0].split(".", 1)[0]


def _note(node: dict[str, Any]) -> str:
    if node.get("type") == "Collapsed":  # argonb.render.collapse: the hidden members' phases
        return str(node.get("message") or "")
    if (node.get("detail") or {}).get("reused"):  # kept by a retry or --reuse (the recorder's event details)
        return "kept"
    if node.get("type") == "Retry":
        return "retry"
    if node.get("type") == "Suspend":
        return "suspend"
    if (node.get("nodeFlag") or {}).get("hooked"):
        return "hook"
    return ""


def run_dot(nodes: Mapping[str, dict[str, Any]] | Iterable[dict[str, Any]], *, name: str = "run") -> str:
    """DOT text of a run's node tree, coloured by phase."""
    return run_graph(nodes, name=name).to_dot()


def workflow_nodes(workflow: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """`status.nodes` of a Workflow object (a finished or live run), or None for a bare spec."""
    status = workflow.get("status") if isinstance(workflow, dict) else None
    nodes = status.get("nodes") if isinstance(status, dict) else None
    return nodes if isinstance(nodes, dict) and nodes else None
