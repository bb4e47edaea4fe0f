"""Large sibling groups folded as in the Argo UI: a node with more than COLLAPSE_OVER children shows its
first child, one "N hidden nodes" node and its last child, unless it is expanded.

Owns: `collapse_groups` (Argo-shaped node dicts -> the node dicts to draw, with synthetic `Collapsed`
nodes) and `collapsed_parent`. Follows `pushChildren`/`traverse` in the Argo UI's
ui/src/workflows/components/workflow-dag/workflow-dag.tsx: `children.length > 3 && !isExpanded`, the
hidden children's subtrees are not walked, and `expandNodes` holding "*" expands everything.
Imports: stdlib.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

COLLAPSE_OVER = 3  # the Argo UI's threshold (workflow-dag.tsx)
COLLAPSED_PREFIX = "collapsed:"
EXPAND_ALL = "*"
# The hidden group is drawn in the most telling phase among its members, so a failure inside shows.
_SEVERITY = ("Failed", "Error", "Running", "Pending", "Succeeded", "Skipped", "Omitted")


def collapsed_parent(key: str) -> str | None:
    """The parent node id of a synthetic "hidden nodes" key, else None."""
    return key[len(COLLAPSED_PREFIX):] if key.startswith(COLLAPSED_PREFIX) else None


def collapse_groups(nodes: Mapping[str, dict[str, Any]], expanded: Collection[str] = (),
                    limit: int = COLLAPSE_OVER) -> dict[str, dict[str, Any]]:
    """The nodes to draw, in the input's order, with each unexpanded group of > `limit` children folded."""
    child_ids = {c for n in nodes.values() for c in n.get("children") or ()}
    starts = [key for key in nodes if key not in child_ids]
    shown: dict[str, dict[str, Any]] = {}
    extra: dict[str, dict[str, Any]] = {}  # first child's id -> its group's fold (drawn between first and last)
    queue = list(starts)
    while queue:
        key = queue.pop(0)
        if key in shown or key not in nodes:
            continue
        node = nodes[key]
        children = [c for c in node.get("children") or () if c in nodes]
        if len(children) > limit and EXPAND_ALL not in expanded and key not in expanded:
            hidden = children[1:-1]
            synthetic = _hidden_node(key, [nodes[c] for c in hidden])
            extra[children[0]] = synthetic
            node = {**node, "children": [children[0], synthetic["id"], children[-1]]}
            children = [children[0], children[-1]]
        shown[key] = node
        queue.extend(children)
    ordered: dict[str, dict[str, Any]] = {}
    for key in nodes:
        if key in shown:
            ordered[key] = shown[key]
            if key in extra:  # dot keeps declaration order within a rank: first, "N hidden", last
                ordered[extra[key]["id"]] = extra[key]
    return ordered


def _hidden_node(parent: str, hidden: list[dict[str, Any]]) -> dict[str, Any]:
    phases = [str(n.get("phase") or "Pending") for n in hidden]
    worst = next((p for p in _SEVERITY if p in phases), None)
    counts = ", ".join(f"{phases.count(p)} {p}" for p in _SEVERITY if p in phases)
    return {"id": f"{COLLAPSED_PREFIX}{parent}", "name": f"{COLLAPSED_PREFIX}{parent}", "type": "Collapsed",
            "displayName": f"{len(hidden)} hidden nodes", "phase": worst, "message": counts,
            "hiddenNodes": [str(n.get("id")) for n in hidden]}
