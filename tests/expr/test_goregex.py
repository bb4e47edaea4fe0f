"""Workflow regular expressions run as Go's `regexp` (RE2) does: syntax, errors, iteration, time.

Argo evaluates govaluate `=~`/`!~` (§4.3), expr-lang `matches` and sprig's `regex*` functions
(§4.4) and jsonpath filters' `=~` with Go's regexp package. The expected values of the table in
data/go_regexp_cases.json were produced by Go itself (tests/expr/goregexp, `go run`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from argonb.expr import ExprError, WhenError, evaluate, evaluate_when, get_func_map

_CASES = json.loads((Path(__file__).parent / "data" / "go_regexp_cases.json").read_text(encoding="utf-8"))
_REPO = Path(__file__).resolve().parents[2]


def _run(case: dict) -> object:
    from argonb.expr.goregex import compile_go, quote_meta

    if case["op"] == "quote":
        return quote_meta(case.get("s", ""))
    rx = compile_go(case["pattern"])
    s, n, repl = case.get("s", ""), case.get("n", 0), case.get("repl", "")
    return {
        "compile": lambda: True,
        "match": lambda: rx.match_string(s),
        "find": lambda: rx.find_string(s),
        "findall": lambda: rx.find_all_string(s, n),
        "replace": lambda: rx.replace_all_string(s, repl),
        "replaceliteral": lambda: rx.replace_all_literal_string(s, repl),
        "split": lambda: rx.split(s, n),
    }[case["op"]]()


@pytest.mark.parametrize("case", _CASES, ids=[f"{i}-{c['op']}" for i, c in enumerate(_CASES)])
def test_go_regexp_table_s4_4(case: dict) -> None:
    """Each case gives what Go's regexp returns (value) or Go's exact syntax error (error)."""
    from argonb.expr.goregex import RegexpError

    try:
        got: dict = {"value": _run(case)}
    except RegexpError as exc:
        got = {"error": str(exc)}
    assert got == case["expect"]


_BOMB = "'" + "a" * 30 + "!'"

_SURFACES = [
    ("when", f"{_BOMB} =~ '^(a+)+$'", False),
    ("when", f"{_BOMB} !~ '^(a+)+$'", True),
    ("expr", f"{_BOMB} matches '^(a+)+$'", False),
    ("expr", f"sprig.regexMatch('^(a+)+$', {_BOMB})", False),
    ("expr", f"sprig.regexFindAll('^(a+)+$', {_BOMB}, -1)", None),
    ("expr", f"sprig.regexReplaceAll('(a+)+$', {_BOMB}, 'x')", "a" * 30 + "!"),
    ("expr", "jsonpath('[{\"n\": \"" + "a" * 30 + "!\"}]', '$[?(@.n =~ \\'^(a+)+$\\')]')", []),
]


def test_catastrophic_backtracking_pattern_is_linear_time_s4_3_s4_4() -> None:
    """`^(a+)+$` against 30 a's and a `!` took 2^30 backtracking steps in Python's `re` (the whole
    process froze, Ctrl-C ignored); RE2 answers at once on every surface. Run in a child so a
    regression fails the test instead of hanging the suite."""
    code = (
        "import json, sys, time\n"
        "from argonb.expr import evaluate, evaluate_when\n"
        "cases = json.loads(sys.argv[1])\n"
        "start = time.monotonic()\n"
        "out = [evaluate_when(src) if kind == 'when' else evaluate(src, {}) for kind, src, _ in cases]\n"
        "print(json.dumps({'out': out, 'seconds': time.monotonic() - start}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(_REPO)}
    try:
        proc = subprocess.run([sys.executable, "-c", code, json.dumps(_SURFACES)], capture_output=True, text=True,
                              timeout=30, env=env, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("regex evaluation still running after 30 s (backtracking engine)")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["out"] == [expected for _, _, expected in _SURFACES]
    assert result["seconds"] < 5


def test_lookaround_is_go_syntax_error_on_every_surface_s4_3_s4_4() -> None:
    """No lookarounds or backreferences in Go: `invalid or unsupported Perl syntax`, Go's wording."""
    go_error = "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"
    with pytest.raises(WhenError) as when_error:
        evaluate_when("abc =~ '(?=a)'")
    assert str(when_error.value).endswith(": " + go_error)
    with pytest.raises(ExprError, match=r"invalid or unsupported Perl syntax: `\(\?=`"):
        evaluate("'a' matches '(?=a)'", {})
    with pytest.raises(ExprError, match=r"^error parsing regexp: invalid escape sequence: `\\1`"):
        evaluate("sprig.mustRegexFind('(a)\\\\1', 'aa')", get_func_map({}))
    # sprig's plain variants panic through regexp.MustCompile; regexMatch swallows the error
    with pytest.raises(ExprError, match=r"regexp: Compile\(`\(\?!a\)`\): error parsing regexp: invalid or unsup"):
        evaluate("sprig.regexFindAll('(?!a)', 'b', -1)", get_func_map({}))
    assert evaluate("sprig.regexMatch('(?<=a)b', 'ab')", get_func_map({})) is False


@pytest.mark.parametrize(("source", "expected"), [
    ("'a\\n' matches 'a$'", False),                              # `$` is end of text, not before a final \n
    ("'a' matches 'a\\\\z'", True),                              # `\z` is Go's end of text
    ("'١٢٣' matches '^\\\\d+$'", False),                         # `\d` is ASCII only
    ("'é' matches '^\\\\w$'", False),                            # so is `\w`
    ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"),
    ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '$1W')", "---"),   # `$1W` names group "1W"
    ("sprig.regexReplaceAll('(?P<n>b)', 'abc', '[$n\\\\1]')", "a[b\\1]c"),   # `\1` is literal in Go
    ("sprig.regexReplaceAll('x*', 'abxd', '-')", "-a-b-d-"),      # no empty match right after a match
    ("sprig.regexFindAll('a*', 'baaab', -1)", ["", "aaa", ""]),
    ("sprig.regexSplit('', 'abc', -1)", ["a", "b", "c"]),
    ("sprig.regexQuoteMeta('a.b*')", "a\\.b\\*"),
])
def test_go_semantics_differ_from_python_re_s4_4(source: str, expected: object) -> None:
    assert evaluate(source, get_func_map({})) == expected


def test_when_regex_semantics_s4_3() -> None:
    assert evaluate_when("'a\n' =~ 'a$'") is False
    assert evaluate_when("abc =~ '(?i)^ABC$'") is True
    # a pattern built at evaluation time is compiled there, under govaluate's wrapper
    with pytest.raises(WhenError, match=r"Unable to compile regexp pattern '\(': error parsing regexp: missing"):
        evaluate_when("abc =~ ('(' + '')")


def test_transient_error_pattern_is_go_regexp(monkeypatch: pytest.MonkeyPatch) -> None:
    """retryPolicy OnTransientError matches TRANSIENT_ERROR_PATTERN with Go's regexp
    (util/errors/errors.go matchTransientErrPattern): an invalid pattern matches nothing."""
    from argonb.engine.retry import _transient

    start = time.monotonic()
    assert _transient("^(a+)+$", "a" * 30 + "!") is False
    assert time.monotonic() - start < 5
    assert _transient("(?=x)", "x") is False
    assert _transient("timeout$", "i/o timeout") is True
