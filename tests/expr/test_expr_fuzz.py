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


# regex bombs: nested quantifiers, alternations of overlapping branches, Perl-only syntax; subjects that
# make a backtracking engine explode. RE2 answers each in linear time, or Go's syntax error is raised.
_REGEX_TOKENS = st.sampled_from(["a", "a+", "a*", "(a+)+", "(a|a)*", "(a|aa)+", "(?:a*)*", ".*", "\\d", "[ab]", "(",
                                 ")", "|", "{2,}", "$", "^", "(?=a)", "\\1", "(?P<n>a)", "\\z", "é", "!"])
_PATTERNS = st.lists(_REGEX_TOKENS, min_size=1, max_size=10).map("".join)
_SUBJECTS = st.builds(lambda n, tail: "a" * n + tail, st.integers(0, 2000), st.sampled_from(["", "!", "b", "é"]))
_REGEX_SURFACES = [
    "s matches p", "sprig.regexMatch(p, s)", "sprig.mustRegexFindAll(p, s, -1)", "sprig.mustRegexReplaceAll(p, s, '$1')",
    "sprig.mustRegexSplit(p, s, -1)",
]
_BOMB_FUZZ = settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.too_slow])


@_BOMB_FUZZ
@given(_PATTERNS, _SUBJECTS, st.sampled_from(_REGEX_SURFACES))
def test_regex_bombs_only_raise_expr_error(pattern: str, subject: str, surface: str) -> None:
    try:
        evaluate(surface, {**ENV, "p": pattern, "s": subject})
    except ExprError:
        pass


@_BOMB_FUZZ
@given(_PATTERNS, _SUBJECTS)
def test_regex_bombs_in_when_only_raise_when_error(pattern: str, subject: str) -> None:
    quoted = pattern.replace("'", "")
    try:
        assert isinstance(evaluate_when(f"'{subject}' =~ '{quoted}'"), bool)
    except WhenError:
        pass


# oversize values: functions whose output dwarfs their input, with counts up to 10^12
_COUNTS = st.one_of(st.integers(0, 1000), st.integers(10**7, 10**12))
_OVERSIZE = st.sampled_from([
    "sprig.repeat({n}, 'xy')", "sprig.until({n})", "sprig.untilStep(0, {n}, 1)", "sprig.seq({n})", "1..{n}",
    "sprig.randAlpha({n})", "sprig.indent({n}, 'a')", "repeat('ab', {n})", "map(1..{n}, #)",
    "sprig.join(',', sprig.until({n}))", "toJSON(sprig.until({n}))",
])


@_BOMB_FUZZ
@given(_OVERSIZE, _COUNTS)
def test_oversize_values_only_raise_expr_error(template: str, n: int) -> None:
    try:
        evaluate(template.format(n=n), ENV)
    except ExprError:
        pass
