"""Graph pictures shared by the CLI and the notebook: run trees and static specs, as DOT, SVG or HTML.

Owns nothing itself; re-exports the public surface of its modules. Submodules import only the stdlib and
`argonb.render.*` (specgraph follows `workflowTemplateRef` through `argonb.engine.workflow`, lazily).
"""

from __future__ import annotations

from argonb.render.graph import GNode, Graph, style_for
from argonb.render.htmlview import graph_html
from argonb.render.report import node_table_html, phase_counts
from argonb.render.runtree import run_dot, run_graph, workflow_nodes
from argonb.render.snapshot import RunPicture, snapshot_bundle, snapshot_html
from argonb.render.specgraph import spec_dot, spec_graph
from argonb.render.svg import GraphRenderer, RenderError, have_dot, recolor, render_bytes, render_svg

__all__ = [
    "GNode", "Graph", "GraphRenderer", "RenderError", "RunPicture", "graph_html", "have_dot", "node_table_html",
    "phase_counts", "recolor", "render_bytes", "render_svg", "run_dot", "run_graph", "snapshot_bundle", "snapshot_html",
    "spec_dot", "spec_graph", "style_for", "workflow_nodes",
]
