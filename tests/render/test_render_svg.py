"""SVG with and without Graphviz's `dot`, recolouring, and the layout cache."""

from __future__ import annotations

import re
import shutil

import pytest

from argonb.render import GraphRenderer, recolor, render_svg, run_graph
from argonb.render.htmlview import parse_dot
from argonb.render.svg import RenderError, render_bytes

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


@pytest.fixture
def no_dot(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)


def node_classes(svg: str) -> dict[str, str]:
    return dict(re.findall(r'<g id="([^"]+)" class="node ([^"]*)">', svg))


@needs_dot
def test_render_svg_with_dot_is_inline_svg_with_phase_classes(dag_nodes):
    svg = render_svg(run_graph(dag_nodes, name="wf"))
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert node_classes(svg) == {"wf_n0": "argonb_failed", "wf_n1": "argonb_succeeded", "wf_n2": "argonb_failed",
                                 "wf_n3": "argonb_skipped"}


def test_render_svg_without_dot_falls_back_to_html(no_dot, dag_nodes):
    graph = run_graph(dag_nodes, name="wf")
    for markup in (render_svg(graph), render_svg(graph.to_dot())):  # a Graph, and DOT text read back
        assert "argonb-graph-fallback" in markup and "<svg" not in markup
        assert "Graphviz" in markup
        assert markup.index(">wf<") < markup.index(">a<") < markup.index(">b<")  # rows by depth
        assert "argonb_skipped" in markup and "dashed" in markup


def test_render_svg_never_raises_on_foreign_dot(no_dot):
    assert "digraph" in render_svg("digraph { x -> y }")


def test_render_svg_falls_back_when_dot_fails(monkeypatch, dag_nodes, tmp_path):
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\necho boom >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: str(broken))
    markup = render_svg(run_graph(dag_nodes))
    assert "argonb-graph-fallback" in markup and "boom" in markup


def test_render_bytes_needs_dot(no_dot):
    with pytest.raises(RenderError, match="install Graphviz"):
        render_bytes("digraph {}", "png")


@needs_dot
def test_renderer_lays_out_once_per_structure_and_recolours(dag_nodes):
    renderer = GraphRenderer()
    running = {k: {**n, "phase": "Running"} for k, n in dag_nodes.items()}
    first = renderer.render(run_graph(running, name="wf"))
    final = renderer.render(run_graph(dag_nodes, name="wf"))
    assert renderer.layout_count == 1
    assert set(node_classes(first).values()) == {"argonb_running"}
    assert node_classes(final)["wf_n2"] == "argonb_failed"
    assert 'fill="#f9c0c5"' in final and 'stroke-dasharray="5,2"' in final
    grown = {**dag_nodes, "d": {**dag_nodes["b"], "id": "d", "displayName": "d"}}
    renderer.render(run_graph(grown, name="wf"))
    assert renderer.layout_count == 2


def test_recolor_rewrites_fill_stroke_dash_and_class():
    svg = ('<g id="p_n0" class="node argonb_running">\n<title>n0</title>\n'
           '<path fill="#b3e1fb" stroke="#0d8fd0" d="M0,0"/>\n'
           '<polygon fill="none" stroke="#0d8fd0" points="1,1"/>\n<text x="1" fill="#1f2328">a</text>\n</g>\n'
           '<g id="p_n1" class="node"><ellipse fill="#fff" stroke="black"/></g>')
    out = recolor(svg, {"p_n0": "Skipped"})
    assert 'class="node argonb_skipped"' in out
    assert '<path fill="#f4f5f7" stroke-dasharray="5,2" stroke="#b6bec6"' in out
    assert '<polygon fill="none" stroke-dasharray="5,2" stroke="#b6bec6"' in out  # the outer ring stays hollow
    assert '<text x="1" fill="#6e7781">' in out
    assert out.endswith('<g id="p_n1" class="node"><ellipse fill="#fff" stroke="black"/></g>')
    back = recolor(out, {"p_n0": "Succeeded"})
    assert "stroke-dasharray" not in back.split("p_n1")[0] and 'fill="#b7ebc6"' in back


def test_parse_dot_round_trips_what_graph_writes(dag_nodes):
    graph = run_graph(dag_nodes, name="wf")
    back = parse_dot(graph.to_dot())
    assert [(n.label, n.phase) for n in back.nodes] == [(n.label, n.phase) for n in graph.nodes]
    assert len(back.edges) == len(graph.edges)
    assert parse_dot("graph { a -- b }") is None
