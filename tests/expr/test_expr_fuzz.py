"""Random input never escapes the engines' error types (ExprError / WhenError / TemplateError)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from argonb.expr import ExprError, TemplateError, WhenError, evaluate, evaluate_when, get_func_map, replace

ALPHABET = st.sampled_from(list("abcxyz019_.,:;?!#$@%^&*+-/\\=<>()[]{}|'\"` \n\t") + ["in", "not", "nil", "true",
                                                                                      "{{", "}}", "{{=", "??",
                                                                                      "?.", "..", "#", "é"])
SOURCES = st.one_of(st.text(max_size=40), st.lists(ALPHABET, max_size=25).map("".join))
ENV = get_func_map({"a.b": "1", "x": "y", "items": "[1,2]"})
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(SOURCES)
def test_evaluate_only_raises_expr_error(source: str) -> None:
    try:
        evaluate(source, ENV)
    except ExprError:
        pass


@FUZZ
@given(SOURCES)
def test_evaluate_when_only_raises_when_error(source: str) -> None:
    try:
        result = evaluate_when(source)
    except WhenError:
        return
    assert isinstance(result, bool)


@FUZZ
@given(SOURCES, st.booleans())
def test_replace_only_raises_template_error(source: str, allow: bool) -> None:
    try:
        result = replace(source, {"a.b": "1", "x": "y", "n": None}, allow_unresolved=allow)
    except TemplateError:
        return
    assert isinstance(result, str)
