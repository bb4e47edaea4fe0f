"""A tiny graph model shared by every argonb picture, and its DOT text.

Owns: `GNode`, `Cluster`, `Graph` (what to draw, independent of any layout engine), the phase palette
(`PhaseStyle`, `style_for`) and `Graph.to_dot`. Both the run tree (`argonb.render.runtree`) and the static
spec view (`argonb.render.specgraph`) build a `Graph`; `argonb.render.svg` lays it out and recolours it,
`argonb.render.htmlview` draws it without graphviz. Imports: stdlib only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PhaseStyle:
    """How a node in a given phase is painted (fill, border, dashed border, text colour)."""

    fill: str
    stroke: str
    dashed: bool = False
    font: str = "#1f2328"


NEUTRAL = PhaseStyle("#ffffff", "#4a5560")
PHASE_STYLES: dict[str, PhaseStyle] = {
    "Succeeded": PhaseStyle("#b7ebc6", "#18a874"),
    "Failed": PhaseStyle("#f9c0c5", "#d9404f"),
    "Error": PhaseStyle("#f9c0c5", "#d9404f"),
    "Running": PhaseStyle("#b3e1fb", "#0d8fd0"),
    "Pending": PhaseStyle("#e3e7eb", "#8fa4b1"),
    "Skipped": PhaseStyle("#f4f5f7", "#b6bec6", dashed=True, font="#6e7781"),
    "Omitted": PhaseStyle("#f4f5f7", "#b6bec6", dashed=True, font="#6e7781"),
    # not started yet, drawn from the spec (argonb.render.planned)
    "Planned": PhaseStyle("#ffffff", "#c8d1da", dashed=True, font="#8c959f"),
}

# Node kinds drawn as small circles, as Argo's UI draws step and task groups.
POINT_KINDS = ("StepGroup", "TaskGroup")
# Container-like kinds get a bold border so the tree's structure reads at a glance.
BOLD_KINDS = ("Steps", "DAG", "Retry")


def style_for(phase: str | None) -> PhaseStyle:
    """The palette entry for `phase`; unknown or missing phases (static views) are neutral."""
    return PHASE_STYLES.get(phase or "", NEUTRAL)


def phase_class(phase: str | None) -> str:
    """CSS class put on each SVG node group, e.g. `argonb_failed` (underscores: dot escapes '-' in ids)."""
    return f"argonb_{(phase or 'none').lower()}"


@dataclass
class GNode:
    """One drawn node. `key` is the caller's id (an Argo node id or a spec path); `dot_id` is DOT-safe."""

    key: str
    label: str
    kind: str = "Pod"
    phase: str | None = None
    cluster: str | None = None
    loop: bool = False
    note: str = ""  # a second, smaller line (loop kind, `when`, templateRef target)
    dot_id: str = ""


@dataclass
class Cluster:
    id: str
    label: str
    parent: str | None = None


@dataclass
class Edge:
    src: str
    dst: str
    dashed: bool = False


@dataclass
class Graph:
    """Nodes, edges and nested clusters; `prefix` makes SVG element ids unique within a page."""

    name: str = "workflow"
    prefix: str = "g"
    nodes: list[GNode] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    _by_key: dict[str, GNode] = field(default_factory=dict, repr=False)

    def add(self, node: GNode) -> GNode:
        node.dot_id = f"n{len(self.nodes)}"
        self.nodes.append(node)
        self._by_key[node.key] = node
        return node

    def get(self, key: str) -> GNode | None:
        return self._by_key.get(key)

    def connect(self, src: str, dst: str, *, dashed: bool = False) -> None:
        if src in self._by_key and dst in self._by_key:
            self.edges.append(Edge(src, dst, dashed))

    def svg_id(self, node: GNode) -> str:
        return f"{self.prefix}_{node.dot_id}"

    def phases(self) -> dict[str, str | None]:
        """SVG element id -> phase, what a recolour needs."""
        return {self.svg_id(n): n.phase for n in self.nodes}

    def to_dot(self, *, colored: bool = True) -> str:
        """DOT text. `colored=False` leaves phases out: that text is the layout key, so phase changes
        never force a new layout (see `argonb.render.svg.GraphRenderer`)."""
        lines = [f"digraph {quote(self.name)} {{",
                 '  graph [rankdir=TB, bgcolor="transparent", fontname="Helvetica", fontsize=10, '
                 'nodesep=0.25, ranksep=0.3];',
                 f'  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", '
                 f'fillcolor="{NEUTRAL.fill}", color="{NEUTRAL.stroke}", height=0.3, margin="0.12,0.04"];',
                 '  edge [color="#8a949e", arrowsize=0.6];']
        lines += [f"  {n.dot_id} [{self._node_attrs(n, colored)}];" for n in self.nodes if not n.cluster]
        lines += self._cluster_lines(None, colored, "  ")
        for e in self.edges:
            src, dst = self._by_key[e.src].dot_id, self._by_key[e.dst].dot_id
            lines.append(f"  {src} -> {dst}{' [style=dashed]' if e.dashed else ''};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _cluster_lines(self, parent: str | None, colored: bool, indent: str) -> list[str]:
        out: list[str] = []
        for i, c in enumerate(self.clusters):
            if c.parent != parent:
                continue
            out.append(f'{indent}subgraph cluster_{i} {{')
            out.append(f'{indent}  label={quote(c.label)}; labeljust="l"; style="rounded,dashed"; '
                       f'color="#b6bec6"; fontcolor="#57606a"; fontsize=9;')
            out += [f"{indent}  {n.dot_id} [{self._node_attrs(n, colored)}];" for n in self.nodes
                    if n.cluster == c.id]
            out += self._cluster_lines(c.id, colored, indent + "  ")
            out.append(f"{indent}}}")
        return out

    def _node_attrs(self, n: GNode, colored: bool) -> str:
        attrs = {"id": self.svg_id(n)}
        if n.kind in POINT_KINDS:
            attrs.update(shape="circle", width="0.16", fixedsize="true", label="")
        else:
            attrs["label"] = n.label + (f"\n{n.note}" if n.note else "")
            if n.kind in BOLD_KINDS:
                attrs["penwidth"] = "1.8"
        if n.loop:
            attrs["peripheries"] = "2"  # a stacked look: this node fans out over items
        if colored:
            st = style_for(n.phase)
            attrs.update({"class": phase_class(n.phase), "fillcolor": st.fill, "color": st.stroke,
                          "fontcolor": st.font})
            if st.dashed:
                attrs["style"] = "rounded,filled,dashed"
        return ", ".join(f"{k}={quote(v)}" for k, v in attrs.items())


def quote(text: str) -> str:
    """A DOT double-quoted string; newlines become DOT's centred line breaks."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{body}"'


_SAFE = re.compile(r"[^A-Za-z0-9_]")


def safe_prefix(text: str) -> str:
    """An SVG-id-safe prefix from a run name (graphviz writes '-' as '&#45;', which breaks matching)."""
    out = _SAFE.sub("_", text) or "g"
    return out if out[0].isalpha() else f"g{out}"
