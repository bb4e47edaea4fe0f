"""fastparse.parse_fast returns exactly what source.parse returns (data, positions, indexes, YAML errors)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from argonb.errors import InvalidWorkflow
from argonb.spec.fastparse import parse_fast
from argonb.spec.source import Source, parse
from tests.shared import SKIP_REASON, argo_examples

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.yaml"))
CORPUS = argo_examples() or Path("/nonexistent/argo-examples")  # absent: the corpus tests skip


def _same(text: str) -> None:
    source = Source(text, "x.yaml")
    try:
        expected = parse(source)
    except InvalidWorkflow as exc:
        with pytest.raises(InvalidWorkflow) as info:
            parse_fast(source)
        assert info.value.diagnostics == exc.diagnostics
        return
    got = parse_fast(source)
    assert [(d.data, d.key_marks, d.value_marks, d.index) for d in got] == \
        [(d.data, d.key_marks, d.value_marks, d.index) for d in expected]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixtures_parse_identically(path: Path) -> None:
    _same(path.read_text())


@pytest.mark.skipif(not CORPUS.is_dir(), reason=SKIP_REASON)
def test_corpus_parses_identically() -> None:
    for path in sorted(CORPUS.rglob("*.yaml")):
        _same(path.read_text())


@pytest.mark.parametrize("text", [
    "a: &x {b: 1}\nc: *x\n", "<<: {a: 1}\nb: 2\n", "a: !!str 1\n", "? [a]\n: b\n", "on: yes\nn: ~\nf: 1.5e3\n",
    "t: 2001-12-14\n", "t: 2001-02-30\n", "a: !!int x\n", "---\n---\na: 1\n", "", "a: [1,\n", "x: 0o17\ny: 0x1F\nz: 1_000\n", "- !foo bar\n",
])
def test_edge_cases(text: str) -> None:
    _same(text)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([p.read_text() for p in FIXTURES]), st.integers(0, 5000), st.text(max_size=6))
def test_mutated_text_parses_identically(seed: str, pos: int, junk: str) -> None:
    pos = min(pos, len(seed))
    _same(seed[:pos] + junk + seed[pos:])


def test_positions_are_built_only_when_asked() -> None:
    """A clean lint never looks at a position, so parse_fast leaves the tables for later (lint speed)."""
    from argonb.spec.lint import lint_documents

    text = (FIXTURES[0].parent / "hello-world.yaml").read_text()
    docs = parse_fast(Source(text, "x.yaml"))
    assert lint_documents(docs) == []
    assert all(doc.marks_loader is not None for doc in docs)
    expected = parse(Source(text, "x.yaml"))
    assert [(d.key_marks, d.value_marks) for d in docs] == [(d.key_marks, d.value_marks) for d in expected]
    assert all(doc.marks_loader is None for doc in docs)


@pytest.mark.parametrize("depth", [50, 198, 199, 5000])
def test_deep_nesting(depth: int) -> None:
    """Nesting past yamlbounds.MAX_NESTING (200 levels, counting the root mapping) is YAML002 at the node that goes
    past it, from both parsers alike; below it both parse the same."""
    from argonb.spec.lint import lint

    text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: a}\nspec:\n  x: " + \
        "[" * depth + "]" * depth + "\n"
    diags = [d for d in lint(text) if d.code.startswith("YAML")]
    assert [(d.code, d.span.line, d.span.col) for d in diags] == \
        ([("YAML002", 5, 6 + 198)] if depth + 2 > 200 else [])
    _same(text)
