"""Fuzz: mutated real examples never make lint raise, and never hit the ARG999 internal-error net."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from argonb.errors import Diagnostic
from argonb.spec.lint import lint, lint_sources

SEEDS = [p.read_text() for p in sorted((Path(__file__).parent / "fixtures").glob("*.yaml"))]
GARBAGE = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=12),
                    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                         max_size=2),
                    st.sampled_from(["{{", "}}", "{{inputs.parameters.x}}", "{{steps.", "{{=", "a && ||",
                                     "{{tasks.a.outputs.result}}", "{{item.k}}", "30", "main"]))


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _mutate(data: Any, draw: Any) -> Any:
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            return draw(GARBAGE)
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "retype", "rename", "insert"]))
        if action == "delete":
            del parent[key]
        elif action == "retype":
            parent[key] = draw(GARBAGE)
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(key)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(GARBAGE)
        else:
            parent.insert(key, draw(GARBAGE))
    return data


def _check(diags: list[Diagnostic]) -> None:
    assert all(isinstance(d, Diagnostic) for d in diags)
    internal = [d.format() for d in diags if d.code == "ARG999"]
    assert not internal, internal


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_structured_mutations(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(SEEDS))
    docs = [d for d in yaml.safe_load_all(seed)]
    docs = [_mutate(d, data.draw) for d in docs]
    text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)
    _check(lint(text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_text_mutations(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(SEEDS))
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["truncate", "insert", "replace"]))
        junk = data.draw(st.text(min_size=1, max_size=8))
        if action == "truncate":
            text = text[:pos]
        elif action == "insert":
            text = text[:pos] + junk + text[pos:]
        else:
            text = text[:pos] + junk + text[pos + len(junk):]
    _check(lint(text))
    _check(lint_sources([text, SEEDS[0]]))


def test_odd_inputs() -> None:
    for text in ["", "---", "[]", "42", "kind: Workflow", "kind: [x]", "{{", "a: !!binary aGk=", "- - - -",
                 "[" * 200 + "]" * 200, "kind: Workflow\nspec: {templates: [{dag: {tasks: [{depends: '((('}]}}]}"]:
        _check(lint(text))
