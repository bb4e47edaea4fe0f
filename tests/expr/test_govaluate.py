"""`when` evaluation with govaluate semantics after Argo's variable->string rewrite (ARGO-SEMANTICS §4.3)."""

from __future__ import annotations

import pytest

from argonb.expr import WhenError, check_when_syntax, evaluate_when
from argonb.expr.govaluate import govaluate_eval


def test_when_bare_words_are_strings_s4_3() -> None:
    assert evaluate_when("heads == heads") is True
    assert evaluate_when("tails == heads") is False
    assert evaluate_when("Succeeded != Succeeded") is False


def test_when_numbers_are_numeric_s4_3() -> None:
    """`9 < 10` is numeric (recursive-for-loop.yaml terminates)."""
    assert evaluate_when("9 < 10") is True
    assert evaluate_when("5 > 10") is False
    assert evaluate_when("5 == 5.0") is True


def test_when_string_and_number_are_unequal_s4_3() -> None:
    assert evaluate_when("'5' == 5") is False
    assert evaluate_when("true == 'true'") is False


def test_when_hyphenated_value_is_subtraction_s4_3() -> None:
    with pytest.raises(WhenError, match="cannot be used with the modifier '-', it is not a number"):
        evaluate_when("my-value == my-value")


@pytest.mark.parametrize("text", ["a b == c", "== heads", "heads ==", "1.2.3 == 1", "(a == b", "a == 'b",
                                  "_a == _a", "a.b == c", "foo(1) == 1", "  ", "heads &&", "!foo"])
def test_when_syntax_errors_s4_3(text: str) -> None:
    with pytest.raises(WhenError):
        evaluate_when(text)
    with pytest.raises(WhenError):
        check_when_syntax(text)


def test_when_error_messages_match_argo_s4_3() -> None:
    with pytest.raises(WhenError) as info:
        evaluate_when("a b")
    assert str(info.value) == (
        "Invalid 'when' expression 'a b': Cannot transition token types from VARIABLE [a] to VARIABLE [b]")
    with pytest.raises(WhenError) as info:
        evaluate_when("_x == y")
    assert "Invalid token: '_'" in str(info.value) and "hint: try wrapping" in str(info.value)
    with pytest.raises(WhenError) as info:
        evaluate_when("!foo")
    assert str(info.value).startswith("Failed to parse 'when' expression '!foo'")
    with pytest.raises(WhenError) as info:
        evaluate_when("a-b == c")
    assert str(info.value).startswith("Failed to evaluate 'when' expresion 'a-b == c'")


def test_when_non_boolean_result_is_error_s4_3() -> None:
    with pytest.raises(WhenError, match="Expected boolean evaluation for 'heads'. Got heads"):
        evaluate_when("heads")
    with pytest.raises(WhenError, match="Got 3"):
        evaluate_when("1 + 2")


def test_when_empty_is_true_s4_3() -> None:
    assert evaluate_when("") is True


VALUES = [
    ("true", True), ("false", False), ("!true", False), ("!(1 < 2)", False), ("-5 < 0", True),
    ("heads != tails && 1 < 2", True), ("( heads == heads && tails == tails ) || ( a == b )", True),
    ("tails =~ tai", True), ("heads =~ tai", False), ("heads !~ tai", True), ("x in (a, b, x)", True),
    ("x IN (a, b)", False), ("'x' in ('a', \"x\", \"\")", True), ("1 - 2 - 3 == -4", True),
    ("10 / 2 / 5 == 1", True), ("2 ** 3 == 8", True), ("7 % 4 == 3", True), ("1 + 2 * 3 == 7", True),
    ("7 - 2 * 3 == 1", True), ("'a' + 1 == 'a1'", True), ("a + b == ab", True), ("0x10 == 16", True),
    ("true ? false : true", False), ("false ? false : true", True), ("1 < 2 == true", True),
    ('"SUCCESS" != "SUCCESS" && "FAILED" == "SUCCESS"', False), ("'2020-01-01' < '2021-01-01'", True),
    ("3 != 1 && 3 != 2", True), ("1 != 1 && 1 != 2", False), ("false && 'x'", False), ("true || 'x'", True),
    ("[a b] == [a b]", True), ("abc > abb", True), ("(1 | 2) == 3", True), ("(6 & 3) == 2", True),
]


@pytest.mark.parametrize(("text", "expected"), VALUES)
def test_when_values_s4_3(text: str, expected: bool) -> None:
    assert evaluate_when(text) is expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("x in (a)", "cannot be used with the comparator 'in'"),
    ("1 < 'a'", "cannot be used with the comparator '<', it is not a number"),
    ("true && 'x'", "cannot be used with the logical operator '&&', it is not a bool"),
    ("a.B == c", "No parameter 'a' found."),
    ("x =~ '('", "error parsing regexp"),
])
def test_when_runtime_errors_s4_3(text: str, fragment: str) -> None:
    with pytest.raises(WhenError, match=None) as info:
        evaluate_when(text)
    assert fragment in str(info.value)


def test_when_coalesce_and_raw_values_s4_3() -> None:
    assert govaluate_eval("1 ?? 2") == 1.0
    assert govaluate_eval("a : b") == "a"
    assert govaluate_eval("()") is None


def test_when_expression_tag_results_are_booleans_s4_3() -> None:
    """`{{= ...}}` renders `true`/`false`, which govaluate reads as booleans."""
    from argonb.expr import replace

    text = replace("{{= inputs.parameters[\"should-print\"] == 'true'}}", {"inputs.parameters.should-print": "true"})
    assert text == "true"
    assert evaluate_when(text) is True


def test_when_in_list_built_by_expression_s4_3() -> None:
    """steps-when-expr-filter.yaml: a quoted value `in` a list rendered by an expression tag."""
    from argonb.expr import replace

    template = '"{{= get(item, \'type\') ?? \'always\' }}"\nin\n("{{= inputs.parameters.list | fromJSON() | join(\'","\') }}","")'
    variables = {"item": {"type": "test"}, "inputs.parameters.list": '["always","test"]'}
    text = replace(template, variables)
    assert text == '"test"\nin\n("always","test","")'
    assert evaluate_when(text) is True
