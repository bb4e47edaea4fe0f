"""Large sibling groups folded into one "N hidden nodes" node, as the Argo UI's workflow graph does.

Owns: `collapse_groups` (a `Graph` -> a smaller `Graph` plus which nodes it hid), `fold_chains` (the
same for long straight chains, for snapshots still too big) and `Collapsed`. Rule, from
the Argo UI (`ui/src/workflows/components/workflow-dag/workflow-dag.tsx`, `pushChildren`): a node with more
than three children shows its first and its last child and one placeholder for the rest, labelled
"N hidden nodes". Nodes reachable only through hidden ones are hidden with them, and edges leaving the hidden
part start from the placeholder, so a fan-out of 1,000 pods draws as five nodes. Imports: argonb.render.graph.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from argonb.render.graph import Edge, GNode, Graph

MAX_SHOWN_CHILDREN = 3  # the Argo UI collapses a node's children when it has more than this
PHASE_RANK = ("Error", "Failed", "Running", "Pending", "Succeeded", "Omitted", "Skipped")
COLLAPSED_KIND = "Collapsed"


@dataclass
class Collapsed:
    graph: Graph
    hidden: set[str] = field(default_factory=set)  # keys of the original nodes not drawn
    groups: dict[str, list[str]] = field(default_factory=dict)  # placeholder key -> the keys it stands for


def collapse_groups(graph: Graph, max_children: int = MAX_SHOWN_CHILDREN) -> Collapsed:
    children: dict[str, list[str]] = {n.key: [] for n in graph.nodes}
    for e in graph.edges:
        children[e.src].append(e.dst)
    hidden: set[str] = set()
    owner: dict[str, str] = {}  # hidden key -> placeholder key
    groups: dict[str, list[str]] = {}
    for n in graph.nodes:
        kids = [k for k in children[n.key] if k not in hidden]
        if n.key in hidden or len(kids) <= max_children:
            continue
        placeholder = f"{n.key}::hidden"
        groups[placeholder] = kids[1:-1]
        for k in kids[1:-1]:
            hidden.add(k)
            owner[k] = placeholder
    if not groups:
        return Collapsed(graph)
    _hide_unreachable(graph, children, hidden, owner)
    return Collapsed(_rebuild(graph, hidden, owner, groups), hidden, groups)


def fold_chains(graph: Graph, max_run: int = 8) -> Collapsed:
    """Fold each straight chain (nodes with one parent and one child) longer than `max_run`: its first and
    last node stay and one "N hidden nodes" node stands for the rest, as a sibling group folds. What only
    a long sequence of steps makes big (a 1,000-step pipeline) stays small the same way."""
    parents: dict[str, list[str]] = {n.key: [] for n in graph.nodes}
    children: dict[str, list[str]] = {n.key: [] for n in graph.nodes}
    for e in graph.edges:
        parents[e.dst].append(e.src)
        children[e.src].append(e.dst)

    def linear(key: str) -> bool:
        return len(parents[key]) == 1 and len(children[key]) == 1

    hidden: set[str] = set()
    owner: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for n in graph.nodes:
        if not linear(n.key) or linear(parents[n.key][0]):
            continue  # not the start of a chain
        chain, key = [], n.key
        while linear(key) and key not in chain:
            chain.append(key)
            key = children[key][0]
        if len(chain) <= max_run:
            continue
        placeholder = f"{chain[0]}::chain"
        groups[placeholder] = chain[1:-1]
        for k in chain[1:-1]:
            hidden.add(k)
            owner[k] = placeholder
    if not groups:
        return Collapsed(graph)
    return Collapsed(_rebuild(graph, hidden, owner, groups), hidden, groups)


def _hide_unreachable(graph: Graph, children: dict[str, list[str]], hidden: set[str],
                      owner: dict[str, str]) -> None:
    """Hide what only hidden nodes lead to (their subtrees), each owned by the placeholder above it."""
    parents: dict[str, list[str]] = {}
    for e in graph.edges:
        parents.setdefault(e.dst, []).append(e.src)
    has_parent = set(parents)
    seen: set[str] = set()
    todo = [n.key for n in graph.nodes if n.key not in has_parent and n.key not in hidden]
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        todo.extend(k for k in children[key] if k not in hidden)
    for n in graph.nodes:  # creation order: a parent is placed before its children
        if n.key in seen or n.key in hidden:
            continue
        parent_owner = next((owner[p] for p in parents.get(n.key, ()) if p in owner), None)
        hidden.add(n.key)
        if parent_owner:
            owner[n.key] = parent_owner


def _rebuild(graph: Graph, hidden: set[str], owner: dict[str, str], groups: dict[str, list[str]]) -> Graph:
    out = Graph(name=graph.name, prefix=graph.prefix, clusters=list(graph.clusters))
    by_key = {n.key: n for n in graph.nodes}
    placed: set[str] = set()
    for n in graph.nodes:
        if n.key not in hidden:
            out.add(GNode(n.key, n.label, n.kind, n.phase, n.cluster, n.loop, n.note))
            continue
        placeholder = owner.get(n.key)
        if placeholder and placeholder not in placed:  # drawn where its first hidden node was
            placed.add(placeholder)
            members = [by_key[k] for k in groups[placeholder]]
            out.add(GNode(placeholder, f"{len(members)} hidden nodes", COLLAPSED_KIND, _group_phase(members),
                          n.cluster, note=phase_note(members)))
    edges: set[tuple[str, str, bool]] = set()
    for e in graph.edges:
        src = e.src if e.src not in hidden else owner.get(e.src)
        dst = e.dst if e.dst not in hidden else owner.get(e.dst)
        if src and dst and src != dst and (src, dst, e.dashed) not in edges:
            edges.add((src, dst, e.dashed))
            out.edges.append(Edge(src, dst, e.dashed))
    return out


def _group_phase(members: list[GNode]) -> str | None:
    """The phase a placeholder is painted in: the most urgent of its members (a failure must show)."""
    phases = {m.phase for m in members}
    return next((p for p in PHASE_RANK if p in phases), None)


def phase_note(members: list[GNode]) -> str:
    counts = Counter(m.phase or "Pending" for m in members)
    return " · ".join(f"{counts[p]} {p}" for p in PHASE_RANK if counts.get(p))
