"""DOT text for run trees and static specs."""

from __future__ import annotations

import re

import yaml
from render_samples import NESTED_DAG, STEPS, pod

from argonb.render import run_dot, run_graph, spec_dot, spec_graph
from argonb.render.specgraph import depends_on


def edges(graph) -> set[tuple[str, str]]:
    return {(graph.get(e.src).label, graph.get(e.dst).label) for e in graph.edges}


def node_line(dot: str, label: str) -> str:
    return next(line for line in dot.splitlines() if f'label="{label}' in line)


def test_run_dot_follows_children_and_colours_by_phase(dag_nodes):
    dot = run_dot(dag_nodes, name="wf-1")
    assert dot.startswith('digraph "wf-1" {')
    assert 'fillcolor="#b7ebc6"' in node_line(dot, "a")  # Succeeded: green
    assert 'class="argonb_failed"' in node_line(dot, "b") and 'fillcolor="#f9c0c5"' in node_line(dot, "b")
    skipped = node_line(dot, "c")
    assert "dashed" in skipped and 'class="argonb_skipped"' in skipped
    assert edges(run_graph(dag_nodes)) == {("wf", "a"), ("a", "b"), ("a", "c")}


def test_groups_are_small_circles_and_ids_are_svg_safe():
    nodes = {"root": pod("root", "wf", "Running", boundary="", children=["g0"], type_="Steps"),
             "g0": pod("g0", "[0]", "Running", children=["p"], type_="StepGroup"),
             "p": pod("p", "hello", "Running")}
    dot = run_dot(nodes, name="my-run.1")
    group = next(line for line in dot.splitlines() if "circle" in line)
    assert 'label=""' in group and 'fillcolor="#b3e1fb"' in group  # Running: blue
    assert re.findall(r'id="([^"]+)"', dot) == ["my_run_1_n0", "my_run_1_n1", "my_run_1_n2"]


def test_pending_is_grey_and_unknown_phase_is_neutral():
    dot = run_dot({"p": pod("p", "p", "Pending", boundary=""), "q": pod("q", "q", "Weird", boundary="")})
    assert 'fillcolor="#e3e7eb"' in node_line(dot, "p")
    assert 'fillcolor="#ffffff"' in node_line(dot, "q")


def test_orphans_attach_where_argo_puts_them():
    """Snapshots may miss a parent's newest `children`: steps chain via groups, DAG tasks via their deps."""
    wf = yaml.safe_load(NESTED_DAG)
    nodes = {"n": {"id": "n", "name": "nested", "displayName": "nested", "type": "DAG", "phase": "Running",
                   "boundaryID": "", "templateName": "top", "children": ["na"]},
             "na": pod("na", "a", "Succeeded", boundary="n"), "nc": pod("nc", "c", "Pending", boundary="n")}
    nodes["na"]["name"], nodes["nc"]["name"] = "nested.a", "nested.c"
    assert edges(run_graph(nodes, workflow=wf)) == {("nested", "a"), ("a", "c")}
    orphan_only = run_graph({"r": nodes["n"], "x": pod("x", "x", "Pending", boundary="n")})
    assert [e.dashed for e in orphan_only.edges] == [True]


def test_spec_steps_groups_loops_and_when():
    graph = spec_graph(yaml.safe_load(STEPS))
    labels = [n.label for n in graph.nodes]
    assert labels == ["main", "[0]", "hello", "[1]", "fan", "maybe"]
    assert {n.kind for n in graph.nodes if n.label.startswith("[")} == {"StepGroup"}
    fan, maybe = graph.nodes[4], graph.nodes[5]
    assert fan.loop and "withItems" in fan.note
    assert maybe.note.startswith("when ")
    assert edges(graph) == {("main", "[0]"), ("[0]", "hello"), ("hello", "[1]"), ("[1]", "fan"), ("[1]", "maybe")}
    dot = spec_dot(yaml.safe_load(STEPS))
    assert 'peripheries="2"' in node_line(dot, "fan")


def test_spec_dag_dependencies_clusters_and_on_exit():
    graph = spec_graph(yaml.safe_load(NESTED_DAG))
    e = edges(graph)
    assert {("top", "a"), ("a", "b"), ("b", "[0]"), ("[0]", "x"), ("x", "[1]"), ("[1]", "y")} <= e
    assert ("y", "c") in e and ("a", "c") in e  # c waits for a and for the end of b's steps
    assert [c.label for c in graph.clusters] == ["inner"]
    assert {n.label for n in graph.nodes if n.cluster} == {"b", "[0]", "x", "[1]", "y"}
    assert any(n.label == "onExit: cleanup" for n in graph.nodes)
    dot = graph.to_dot()
    assert "subgraph cluster_0 {" in dot and 'label="inner"' in dot


def test_recursive_template_is_a_marked_leaf():
    wf = {"kind": "Workflow", "spec": {"entrypoint": "loop", "templates": [
        {"name": "loop", "steps": [[{"name": "again", "template": "loop"}]]}]}}
    graph = spec_graph(wf)
    assert graph.nodes[-1].label == "again" and "recursive" in graph.nodes[-1].note


def test_depends_names():
    names = {"a", "b-1", "c"}
    assert depends_on({"depends": "(a.Succeeded || b-1.Failed) && !c.Skipped"}, names) == ["a", "b-1", "c"]
    assert depends_on({"dependencies": ["c", "zzz"]}, names) == ["c"]
    assert depends_on({}, names) == []


def test_labels_are_escaped():
    dot = run_dot({"p": pod("p", 'say "hi"\\', "Succeeded", boundary="")})
    assert 'label="say \\"hi\\"\\\\"' in dot
