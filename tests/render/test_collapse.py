"""Folding big sibling groups the Argo UI's way (`ui/src/workflows/components/workflow-dag/workflow-dag.tsx`,
`pushChildren`: more than three children -> first child, "N hidden nodes", last child)."""

from __future__ import annotations

from argonb.render.collapse import collapse_groups
from argonb.render.graph import GNode, Graph


def fan(count: int, phases: dict[int, str] | None = None) -> Graph:
    """root -> item0..itemN-1 (each with a private child) -> join."""
    graph = Graph()
    graph.add(GNode("root", "root", "Steps", "Succeeded"))
    for i in range(count):
        graph.add(GNode(f"item{i}", f"item{i}", phase=(phases or {}).get(i, "Succeeded")))
        graph.add(GNode(f"sub{i}", f"sub{i}", phase="Succeeded"))
    graph.add(GNode("join", "join", phase="Succeeded"))
    for i in range(count):
        graph.connect("root", f"item{i}")
        graph.connect(f"item{i}", f"sub{i}")
        graph.connect(f"sub{i}", "join")
    return graph


def test_three_children_stay_open():
    folded = collapse_groups(fan(3))
    assert not folded.hidden and len(folded.graph.nodes) == len(fan(3).nodes)


def test_more_than_three_fold_to_first_hidden_last_with_their_subtrees():
    folded = collapse_groups(fan(6, {3: "Failed"}))
    labels = {n.key: n.label for n in folded.graph.nodes}
    assert set(labels) == {"root", "item0", "sub0", "item5", "sub5", "join", "root::hidden"}
    placeholder = folded.graph.get("root::hidden")
    assert placeholder.label == "4 hidden nodes" and placeholder.phase == "Failed"  # a failure must show
    assert placeholder.note == "1 Failed · 3 Succeeded"
    assert folded.groups["root::hidden"] == ["item1", "item2", "item3", "item4"]
    assert {"sub1", "sub4"} <= folded.hidden  # reachable only through hidden nodes
    edges = {(e.src, e.dst) for e in folded.graph.edges}
    assert ("root", "root::hidden") in edges and ("root::hidden", "join") in edges  # the fan-in stays linked
    assert ("sub0", "join") in edges and ("sub5", "join") in edges


def test_the_threshold_is_a_parameter():
    assert not collapse_groups(fan(8), max_children=10).hidden
    assert collapse_groups(fan(12), max_children=10).graph.get("root::hidden").label == "10 hidden nodes"


def test_a_long_straight_chain_folds_to_its_ends():
    from argonb.render.collapse import fold_chains

    graph = Graph()
    graph.add(GNode("root", "root", "Steps"))
    for i in range(20):
        graph.add(GNode(f"s{i}", f"s{i}", phase="Failed" if i == 7 else "Succeeded"))
    graph.add(GNode("a", "a"))
    graph.add(GNode("b", "b"))
    graph.connect("root", "s0")
    for i in range(19):
        graph.connect(f"s{i}", f"s{i + 1}")
    graph.connect("s19", "a")
    graph.connect("s19", "b")  # s19 has two children: the chain ends there
    folded = fold_chains(graph, max_run=8)
    assert [n.key for n in folded.graph.nodes] == ["root", "s0", "s0::chain", "s18", "s19", "a", "b"]
    placeholder = folded.graph.get("s0::chain")
    assert placeholder.label == "17 hidden nodes" and placeholder.phase == "Failed"
    assert folded.groups["s0::chain"] == [f"s{i}" for i in range(1, 18)]
    edges = {(e.src, e.dst) for e in folded.graph.edges}
    assert {("root", "s0"), ("s0", "s0::chain"), ("s0::chain", "s18"), ("s18", "s19")} <= edges
    assert not fold_chains(graph, max_run=30).hidden
