"""expr-lang evaluator: literals, operators, builtins, predicates, Argo helpers (ARGO-SEMANTICS §4.4)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from argonb.expr import ExprError, compile_expr, evaluate, get_func_map, referenced_variables
from argonb.expr.gotime import GoDuration

ENV = get_func_map({
    "inputs.parameters.foo": "3",
    "inputs.parameters.should-print": "true",
    "inputs.parameters.list": '["a","b"]',
    "workflow.parameters.config": '{"employees": [{"name": "Baris", "age":43},{"name": "Mo", "age": 42},'
                                  ' {"name": "Jai", "age" :44}]}',
    "workflow.parameters.json": '[{"name":"should-print","value":"true"}]',
    "steps.flip-coin.outputs.result": "heads",
    "item": {"type": "x"},
})

VALUES = [
    # literals
    ("42", 42), ("4.5", 4.5), ("1e3", 1000.0), ("0x1F", 31), ("1_000", 1000), (".5", 0.5),
    ("'single'", "single"), ('"double"', "double"), (r"'a\nb'", "a\nb"), (r'"q\"q"', 'q"q'),
    ("`raw\\n`", "raw\\n"), (r"'\u00e9'", "é"), ("true", True), ("false", False), ("nil", None),
    ("[1, 'a', nil]", [1, "a", None]), ("{a: 1, 'b': 2, 3: 4}", {"a": 1, "b": 2, "3": 4}), ("[1,]", [1]),
    # arithmetic (Go numeric rules)
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 / 4", 2.5), ("4 / 2", 2.0), ("7 % 3", 1), ("-7 % 3", -1),
    ("2 ** 10", 1024.0), ("2 ^ 3 ^ 2", 512.0), ("1 + 1.5", 2.5), ("-(3)", -3), ("+3", 3), ("-2 ** 2", -4.0),
    ("'a' + 'b'", "ab"), ("1..3", [1, 2, 3]), ("3..1", []),
    # comparison / equality
    ("1 == 1.0", True), ("'1' == 1", False), ("nil == nil", True), ("[1, 2] == [1, 2.0]", True),
    ("'abc' < 'abd'", True), ("2 > 1.5", True), ("1 < 2 < 3", True), ("3 < 2 < 1", False), ("1 != 2", True),
    ("{a: 1} == {a: 1}", True), ("true == 'true'", False),
    # logic
    ("true && false", False), ("true and true", True), ("false || true", True), ("false or false", False),
    ("!true", False), ("not false", True),
    # membership / strings
    ("'x' in ['x', 'y']", True), ("'z' not in ['x']", True), ("'k' in {k: 1}", True), ("1 in nil", False),
    ("'abc' contains 'b'", True), ("'abc' startsWith 'ab'", True), ("'abc' endsWith 'bc'", True),
    ("'abc' matches '^a.c$'", True), ("'abc' not matches 'z'", True), ("nil contains 'a'", False),
    # conditionals
    ("true ? 'a' : 'b'", "a"), ("false ? 'a' : 'b'", "b"), ("nil ?? 'd'", "d"), ("'v' ?? 'd'", "v"),
    ("1 > 2 ? 'x' : 2 > 1 ? 'y' : 'z'", "y"),
    ("if 1 > 2 { 'a' } else { 'b' }", "b"), ("let x = 2; let y = 3; x * y", 6), ("1; 2", 2),
    # members, indexes, slices
    ("{a: {b: 1}}.a.b", 1), ("{a: 1}.missing", None), ("{a: 1}['a']", 1), ("[1, 2, 3][0]", 1),
    ("[1, 2, 3][-1]", 3), ("[1, 2, 3][1:]", [2, 3]), ("[1, 2, 3][:2]", [1, 2]), ("[1, 2, 3][-2:]", [2, 3]),
    ("'hello'[1:3]", "el"), ("[1,2][5:9]", []), ("{a: nil}.a?.b.c", None),
    ("{a: [1]}?.a?.[0]", 1), ("$env['inputs'].parameters.foo", "3"),
    # pipes and predicates
    ("[1, 2] | map(# * 2)", [2, 4]), ("filter([1, 2, 3, 4], # > 2)", [3, 4]), ("map([{n: 1}, {n: 2}], .n)", [1, 2]),
    ("map([1, 2], #index)", [0, 1]), ("all([1, 2], {# > 0})", True), ("any([1, 2], # > 1)", True),
    ("none([1, 2], # > 5)", True), ("one([1, 2], # > 1)", True), ("count([1, 2, 3], # > 1)", 2),
    ("count([true, false, true])", 2), ("sum([1, 2, 3])", 6), ("sum([1, 2], # * 10)", 30),
    ("find([1, 2, 3], # > 1)", 2), ("findIndex([1, 2, 3], # > 1)", 1), ("findLast([1, 2, 3], # > 1)", 3),
    ("findLastIndex([1, 2, 3], # > 5)", -1), ("sortBy([{a: 3}, {a: 1}], .a)", [{"a": 1}, {"a": 3}]),
    ("sortBy([3, 1, 2], #, 'desc')", [3, 2, 1]), ("groupBy([1, 2, 3], # % 2)", {1: [1, 3], 0: [2]}),
    ("reduce([1, 2, 3], #acc + #)", 6), ("reduce([1, 2, 3], #acc + #, 10)", 16),
    ("filter([[1], [2, 3]], len(#) > 1)", [[2, 3]]), ("map([1, 2], {let y = # * 2; y})", [2, 4]),
    # builtins
    ("len('héllo')", 5), ("len([1, 2])", 2), ("len({a: 1})", 1), ("abs(-3)", 3), ("abs(-2.5)", 2.5),
    ("int('42')", 42), ("int(3.9)", 3), ("float('2.5')", 2.5), ("float(2)", 2.0), ("string(1e6)", "1e+06"),
    ("string(2.5)", "2.5"), ("string(10 / 2)", "5"), ("string([1, 'a'])", "[1 a]"), ("string(nil)", "<nil>"),
    ("string({b: 1, a: 2})", "map[a:2 b:1]"), ("trim('  x ')", "x"), ("trim('xxaxx', 'x')", "a"),
    ("trimPrefix('abc', 'a')", "bc"), ("trimSuffix('abc', 'c')", "ab"), ("upper('a')", "A"), ("lower('A')", "a"),
    ("split('a,b,c', ',')", ["a", "b", "c"]), ("split('a,b,c', ',', 2)", ["a", "b,c"]),
    ("splitAfter('a,b', ',')", ["a,", "b"]), ("replace('aaa', 'a', 'b')", "bbb"), ("replace('aaa', 'a', 'b', 2)", "bba"),
    ("repeat('ab', 3)", "ababab"), ("join(['a', 'b'], '-')", "a-b"), ("join(['a', 'b'])", "ab"),
    ("indexOf('abc', 'c')", 2), ("lastIndexOf('abcabc', 'b')", 4), ("hasPrefix('abc', 'a')", True),
    ("hasSuffix('abc', 'x')", False), ("max(1, 5, 3)", 5), ("max([1, 5.5])", 5.5), ("min([4, 2, 8])", 2),
    ("max([])", None), ("mean([1, 2])", 1.5), ("median([3, 1, 2])", 2.0), ("round(2.5)", 3.0), ("ceil(1.2)", 2.0),
    ("floor(-1.2)", -2.0), ("first([1, 2])", 1), ("last([1, 2])", 2), ("first([])", None), ("take([1, 2, 3], 2)", [1, 2]),
    ("keys({a: 1})", ["a"]), ("values({a: 1})", [1]), ("get({a: 1}, 'a')", 1), ("get([1], 5)", None),
    ("get(nil, 'x')", None), ("concat([1], [2, 3])", [1, 2, 3]), ("flatten([[1], [2, [3]]])", [1, 2, 3]),
    ("uniq([1, 1, 2, 1.0])", [1, 2]), ("sort([3, 1, 2])", [1, 2, 3]), ("sort(['b', 'a'], 'desc')", ["b", "a"]),
    ("reverse([1, 2])", [2, 1]), ("toPairs({a: 1})", [["a", 1]]), ("fromPairs([['a', 1]])", {"a": 1}),
    ("type(1)", "int"), ("type(1.0)", "float"), ("type('')", "string"), ("type([])", "array"), ("type({})", "map"),
    ("type(nil)", "nil"), ("toJSON([1, 2.0])", "[\n  1,\n  2\n]"), ("toJSON({b: 1, a: '<'})", '{\n  "a": "\\u003c",\n  "b": 1\n}'),
    ("fromJSON('{\"a\": [1, 2]}')", {"a": [1.0, 2.0]}), ("toBase64('hi')", "aGk="), ("fromBase64('aGk=')", "hi"),
    ("bitand(6, 3)", 2), ("bitor(4, 1)", 5), ("bitnot(0)", -1), ("duration('1h30m')", GoDuration(5_400_000_000_000)),
    ("duration('1m').Seconds()", 60.0), ("date('2024-03-05').Year()", 2024),
    ("date('2024-03-05T10:00:00Z').Format('2006/01/02 15h')", "2024/03/05 10h"),
]


@pytest.mark.parametrize(("source", "expected"), VALUES)
def test_expr_values_s4_4(source: str, expected: object) -> None:
    """expr-lang v1.17 semantics for literals, operators and builtins (§4.4)."""
    result = evaluate(source, ENV)
    assert result == expected
    assert type(result) is type(expected)


ARGO_EXPRESSIONS = [
    ("asInt(inputs.parameters.foo) * 10", 30),
    ("asFloat('1.5') + 1", 2.5),
    ("inputs.parameters['should-print'] == 'true'", True),
    ("inputs.parameters[\"should-print\"] == 'true'", True),
    ("steps['flip-coin'].outputs.result == 'heads' ? 'H' : 'T'", "H"),
    ("toJson(filter([1, 3], {# > 1}))", "[3]"),
    ("toJson({'b': [1, 2.5], 'a': nil})", '{"a":null,"b":[1,2.5]}'),
    ("jsonpath(workflow.parameters.json, '$[0].value') == 'true'", True),
    ("jsonpath(workflow.parameters.config, '$.employees[?(@.name==\"Baris\")].age')", [43.0]),
    ("jsonpath(workflow.parameters.config, '$.employees[?(@.age>42 && @.age<44)].age')", [43.0]),
    ("jsonpath(workflow.parameters.config, '$.employees[0:1]')", [{"name": "Baris", "age": 43.0}]),
    ("jsonpath(workflow.parameters.config, '$.employees[*].name')", ["Baris", "Mo", "Jai"]),
    ("jsonpath(workflow.parameters.config, '$..name')", ["Baris", "Mo", "Jai"]),
    ("jsonpath(workflow.parameters.config, '$.employees[-1].name')", "Jai"),
    ("jsonpath(workflow.parameters.config, '$.employees.length')", 3),
    ("inputs.parameters.list | fromJSON() | join('\",\"')", 'a","b'),
    ("get(item, 'type') ?? 'always'", "x"),
    ("get(item, 'nope') ?? 'always'", "always"),
    ("concat(['always'], 'true' == 'true' ? ['test'] : []) | toJSON()", '[\n  "always",\n  "test"\n]'),
    ("sprig.trim('  x ')", "x"), ("sprig.upper('a')", "A"), ("sprig.int('x')", 0), ("sprig.int('42')", 42),
    ("sprig.int('3.0')", 3), ("sprig.int('0x10')", 16), ("sprig.float64('2.5')", 2.5), ("sprig.atoi('7')", 7),
    ("sprig.add(1, 2, '3')", 6), ("sprig.add1(1)", 2), ("sprig.sub(5, 2)", 3), ("sprig.mul(2, 3, 4)", 24),
    ("sprig.div(7, 2)", 3), ("sprig.mod(7, 2)", 1), ("sprig.max(1, 5, 3)", 5), ("sprig.min(4, 2)", 2),
    ("sprig.b64enc('hi')", "aGk="), ("sprig.b64dec('aGk=')", "hi"), ("sprig.default('d', '')", "d"),
    ("sprig.default('d', 'v')", "v"), ("sprig.empty('')", True), ("sprig.empty(0)", True), ("sprig.empty([1])", False),
    ("sprig.coalesce('', nil, 'x')", "x"), ("sprig.ternary('a', 'b', true)", "a"), ("sprig.list(1, 2)", [1, 2]),
    ("sprig.dict('a', 1, 'b')", {"a": 1, "b": ""}), ("sprig.join(',', ['a', 1])", "a,1"),
    ("sprig.split('.', 'a.b')", {"_0": "a", "_1": "b"}), ("sprig.splitList('.', 'a.b')", ["a", "b"]),
    ("sprig.toJson({'a': '<'})", '{"a":"\\u003c"}'), ("sprig.fromJson('[1]')", [1.0]), ("sprig.fromJson('x')", None),
    ("sprig.first([1, 2])", 1), ("sprig.last([1, 2])", 2), ("sprig.rest([1, 2])", [2]), ("sprig.initial([1, 2])", [1]),
    ("sprig.append([1], 2)", [1, 2]), ("sprig.prepend([1], 0)", [0, 1]), ("sprig.concat([1], [2])", [1, 2]),
    ("sprig.has(1, [1])", True), ("sprig.keys({'a': 1})", ["a"]), ("sprig.values({'a': 1})", [1]),
    ("sprig.pick({'a': 1, 'b': 2}, 'a')", {"a": 1}), ("sprig.omit({'a': 1, 'b': 2}, 'a')", {"b": 2}),
    ("sprig.uniq([1, 1, 2])", [1, 2]), ("sprig.sortAlpha(['b', 'a'])", ["a", "b"]),
    ("sprig.regexMatch('^a', 'abc')", True), ("sprig.regexFind('b+', 'abbc')", "bb"),
    ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"), ("sprig.title('hello world')", "Hello World"),
    ("sprig.repeat(2, 'ab')", "abab"), ("sprig.substr(1, 3, 'hello')", "el"), ("sprig.trunc(2, 'hello')", "he"),
    ("sprig.abbrev(5, 'hello world')", "he..."), ("sprig.quote('a\"b')", '"a\\"b"'), ("sprig.squote('a')", "'a'"),
    ("sprig.cat('a', 1, nil)", "a 1"), ("sprig.indent(2, 'a\\nb')", "  a\n  b"), ("sprig.nindent(2, 'a')", "\n  a"),
    ("sprig.replace('a', 'b', 'aa')", "bb"), ("sprig.contains('b', 'abc')", True), ("sprig.hasPrefix('a', 'abc')", True),
    ("sprig.trimAll('x', 'xax')", "a"), ("sprig.trimPrefix('a', 'abc')", "bc"), ("sprig.trimSuffix('c', 'abc')", "ab"),
    ("sprig.sha256sum('a')", "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
    ("sprig.adler32sum('a')", "6422626"), ("sprig.toString(1.5)", "1.5"), ("len(sprig.randAlphaNum(8))", 8),
    ("len(sprig.uuidv4())", 36), ("sprig.date('2006-01-02', sprig.toDate('2006-01-02', '2024-03-05'))", "2024-03-05"),
    ("sprig.dateInZone('2006-01-02 15:04', sprig.toDate('2006-01-02', '2024-03-05'), 'UTC') != ''", True),
]


@pytest.mark.parametrize(("source", "expected"), ARGO_EXPRESSIONS)
def test_argo_env_helpers_s4_4(source: str, expected: object) -> None:
    """asInt/asFloat/toJson/jsonpath/sprig as added by util/expr/env/env.go (§4.4)."""
    assert evaluate(source, ENV) == expected


ERRORS = [
    ("1 +", "unexpected token EOF"), ("(1", "unexpected token EOF"), ("'abc", "literal not terminated"),
    ("@", "unrecognized character"), ("a b", "unexpected token"), ("1 ?? 2 + 3", "cannot be mixed"),
    ("unknownVar", "unknown name unknownVar"), ("foo(1)", "unknown name foo"), ("false && unknownVar", "unknown name"),
    ("1 + 'a'", "mismatched types int and string"), ("'a' - 'b'", "mismatched"), ("1.5 % 2", "mismatched"),
    ("1 % 0", "integer divide by zero"), ("'a' < 1", "mismatched"), ("!'x'", "mismatched"), ("1 && true", "mismatched"),
    ("nil.x", "unexpected token"), ("{a: nil}.a.b", "cannot fetch b from <nil>"), ("[1][5]", "index out of range"),
    ("'abc'[0]", "undefined"), ("int('3.5')", "invalid operation: int(3.5)"), ("asInt('x')", "int(x)"),
    ("float('x')", "float(x)"), ("'x' in 'xyz'", 'operator "in" not defined on string'), ("1 ? 2 : 3", "non-bool expression (type int)"),
    ("'set' ?: 'x'", "used as condition"), ("nil?.a", "unexpected token"),
    ("filter(1, # > 0)", "takes only array"), ("filter([1], 'x')", "predicate should return boolean"),
    ("join([1])", "not string"), ("fromJSON('{')", ""), ("sprig.trim(1)", "reflect: Call using int as type string"),
    ("sprig.trim()", "invalid number of arguments"), ("sprig.nope(1)", "cannot call nil"),
    ("jsonpath('{', '$')", "invalid JSON"), ("jsonpath('{}', '$.a')", "key 'a' not found"),
    ("toJson(1 / 0)", "unsupported value"), ("'a' matches '('", "error parsing regexp"), ("#", "unexpected token"),
    ("reduce([], #acc)", "reduce of empty array"), ("repeat('a', -1)", "invalid argument for repeat"),
    ("now().Nope()", "has no method Nope"), ("1 2", "unexpected token Number"),
]


@pytest.mark.parametrize(("source", "fragment"), ERRORS)
def test_expr_errors_are_expr_errors_s4_4(source: str, fragment: str) -> None:
    """Syntax, type and runtime failures all raise ExprError (a node Error in Argo, §4.4)."""
    with pytest.raises(ExprError) as info:
        evaluate(source, ENV)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_error_message_has_position_and_snippet_s4_4() -> None:
    with pytest.raises(ExprError) as info:
        evaluate("1 + (2", {})
    assert str(info.value) == "unexpected token EOF (1:6)\n | 1 + (2\n | .....^"


def test_missing_map_key_is_nil_but_member_of_nil_errors_s4_4() -> None:
    env = {"inputs": {"parameters": {"x": "1"}}}
    assert evaluate("inputs.parameters.y", env) is None
    assert evaluate("inputs.parameters.y ?? 'd'", env) == "d"
    assert evaluate("inputs.nope?.x", env) is None
    with pytest.raises(ExprError, match="cannot fetch x from <nil>"):
        evaluate("inputs.nope.x", env)


def test_compiled_program_is_cached() -> None:
    assert compile_expr("1 + 1") is compile_expr("1 + 1")
    assert compile_expr("1 + 1").run({}) == 2


def test_time_arithmetic_for_cron_when_s4_4() -> None:
    """`(now() - cronworkflow.lastScheduledTime).Seconds() > 360` from cron-when examples."""
    env = {"cronworkflow": {"lastScheduledTime": datetime(2020, 1, 1, tzinfo=timezone.utc)}}
    src = "cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() > 360"
    assert evaluate(src, env) is True
    assert evaluate(src, {"cronworkflow": {"lastScheduledTime": None}}) is True


def test_int_overflow_wraps_like_go() -> None:
    assert evaluate("9223372036854775807 + 1", {}) == -9223372036854775808


def test_referenced_variables_follow_argo_get_identifiers_s4_4() -> None:
    """Argo collects identifiers and member paths; `??` left sides and `?.` chains are guarded."""
    assert referenced_variables("inputs.parameters.x == 'a'") == ("inputs", "inputs.parameters", "inputs.parameters.x")
    assert referenced_variables("steps['a-b'].outputs.result") == (
        "steps", "steps.a-b", "steps.a-b.outputs", "steps.a-b.outputs.result")
    assert referenced_variables("tasks.a.outputs.parameters.p ?? 'x'") == ("tasks",)
    assert referenced_variables("filter(items, # > threshold)") == ("items", "threshold")
    assert referenced_variables("asInt(item)") == ("asInt", "item")
    assert referenced_variables("a?.b.c") == ("a",)
