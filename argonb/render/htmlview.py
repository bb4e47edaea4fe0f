"""Draw a `Graph` as plain HTML, for machines without Graphviz's `dot`.

Owns: `graph_html` (nodes in rows by depth, coloured by phase, each naming the parents it waits for when
that is not obvious) and `parse_dot` (reads back the DOT subset `Graph.to_dot` writes, so a DOT string can
still fall back). Never raises on odd input: unknown DOT is shown as text. Imports: stdlib, argonb.render.graph.
"""

from __future__ import annotations

import html
import re

from argonb.render.graph import POINT_KINDS, Cluster, Edge, GNode, Graph, style_for

NO_DOT_NOTE = "Graphviz <code>dot</code> was not found, so this is a simplified view (install graphviz for the graph)."


def ranks(graph: Graph) -> list[list[GNode]]:
    """Nodes grouped by longest distance from a root (creation order inside a row); cycles are cut."""
    parents: dict[str, list[str]] = {n.key: [] for n in graph.nodes}
    for e in graph.edges:
        parents[e.dst].append(e.src)
    depth: dict[str, int] = {}

    def visit(key: str, seen: frozenset[str]) -> int:
        if key in depth:
            return depth[key]
        ps = [p for p in parents[key] if p not in seen]
        depth[key] = 1 + max((visit(p, seen | {key}) for p in ps), default=-1)
        return depth[key]

    for n in graph.nodes:
        visit(n.key, frozenset())
    rows: list[list[GNode]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for n in graph.nodes:
        rows[depth[n.key]].append(n)
    return rows


def graph_html(graph: Graph, *, note: str = NO_DOT_NOTE) -> str:
    """A self-contained HTML block (inline styles only, so it survives nbconvert and GitHub)."""
    parents: dict[str, list[str]] = {n.key: [] for n in graph.nodes}
    for e in graph.edges:
        parents[e.dst].append(e.src)
    labels = {n.key: n.label for n in graph.nodes}
    clusters = {c.id: c.label for c in graph.clusters}
    rows = ranks(graph)
    out = ['<div class="argonb-graph argonb-graph-fallback" style="font-family:Helvetica,Arial,sans-serif;'
           'font-size:12px;line-height:1.3">']
    prev_keys: set[str] = set()
    for i, row in enumerate(rows):
        if i:
            out.append('<div style="color:#8a949e;padding-left:8px">↓</div>')
        out.append('<div style="display:flex;flex-wrap:wrap;gap:6px;align-items:center">')
        out += [_chip(graph, n, parents[n.key], prev_keys, labels, clusters) for n in row]
        out.append("</div>")
        prev_keys = {n.key for n in row}
    if note:
        out.append(f'<div style="color:#6e7781;font-size:11px;margin-top:6px">{note}</div>')
    out.append("</div>")
    return "".join(out)


def _chip(graph: Graph, n: GNode, parents: list[str], prev_keys: set[str], labels: dict[str, str],
          clusters: dict[str, str]) -> str:
    st = style_for(n.phase)
    border = "dashed" if st.dashed else "solid"
    ident = f' id="{html.escape(graph.svg_id(n))}" class="argonb_node argonb_{(n.phase or "none").lower()}"'
    title = html.escape(f"{n.label} ({n.phase})" if n.phase else n.label)
    if n.kind in POINT_KINDS:
        return (f'<span{ident} title="{title}" style="display:inline-block;width:10px;height:10px;'
                f'border-radius:50%;background:{st.fill};border:1px {border} {st.stroke}"></span>')
    extra = []
    if n.cluster and n.cluster in clusters:
        extra.append(f"in {clusters[n.cluster]}")
    far = [labels[p] for p in parents if p not in prev_keys and labels.get(p)]
    if len(parents) > 1 or far:
        extra.append("after " + ", ".join(labels[p] or "·" for p in parents))
    if n.note:
        extra.append(n.note.replace("\n", " · "))
    sub = "".join(f'<div style="font-size:10px;color:#57606a">{html.escape(x)}</div>' for x in extra)
    phase = f'<span style="font-size:10px;color:{st.stroke}"> {html.escape(n.phase)}</span>' if n.phase else ""
    weight = "2px" if n.loop or n.kind in ("Steps", "DAG") else "1px"
    return (f'<span{ident} title="{title}" style="display:inline-block;padding:2px 8px;border-radius:6px;'
            f'background:{st.fill};border:{weight} {border} {st.stroke};color:{st.font}">'
            f'{html.escape(n.label)}{phase}{sub}</span>')


_NODE = re.compile(r"^\s*(n\d+) \[(.*)\];\s*$")
_EDGE = re.compile(r"^\s*(n\d+) -> (n\d+)( \[style=dashed\])?;\s*$")
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_CLUSTER = re.compile(r'^\s*subgraph (cluster_\d+) \{')
_LABEL = re.compile(r'^\s*label="((?:[^"\\]|\\.)*)";')


def parse_dot(dot: str) -> Graph | None:
    """Read back DOT written by `Graph.to_dot`; None for anything else."""
    graph = Graph()
    stack: list[str] = []
    for line in dot.splitlines():
        if m := _CLUSTER.match(line):
            graph.clusters.append(Cluster(m.group(1), "", stack[-1] if stack else None))
            stack.append(m.group(1))
        elif stack and (m := _LABEL.match(line)) and not graph.clusters[-1].label:
            graph.clusters[-1].label = _unquote(m.group(1))
        elif line.strip() == "}" and stack:
            stack.pop()
        elif m := _NODE.match(line):
            graph.add(_parsed_node(m.group(1), dict(_ATTR.findall(m.group(2))), stack[-1] if stack else None))
        elif m := _EDGE.match(line):
            graph.edges.append(Edge(m.group(1), m.group(2), bool(m.group(3))))
    if not graph.nodes:
        return None
    graph.edges = [e for e in graph.edges if graph.get(e.src) and graph.get(e.dst)]
    return graph


def _parsed_node(dot_id: str, attrs: dict[str, str], cluster: str | None) -> GNode:
    label, _, note = _unquote(attrs.get("label", dot_id)).partition("\n")
    phase = attrs.get("class", "").removeprefix("argonb_").capitalize() or None
    kind = "StepGroup" if attrs.get("shape") == "circle" else "Pod"
    node = GNode(key=dot_id, label=label, kind=kind, phase=None if phase == "None" else phase,
                 cluster=cluster, loop=attrs.get("peripheries") == "2", note=note)
    return node


def _unquote(text: str) -> str:
    return text.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


def dot_text_html(dot: str, note: str = NO_DOT_NOTE) -> str:
    """Last resort: the DOT source itself."""
    return (f'<div class="argonb-graph argonb-graph-fallback"><pre style="font-size:11px">{html.escape(dot)}</pre>'
            f'<div style="color:#6e7781;font-size:11px">{note}</div></div>')
