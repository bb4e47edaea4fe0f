"""`{{...}}` tag engine: simple and expression tags, strictness, absent values (ARGO-SEMANTICS §4.1, §4.4, §4.5)."""

from __future__ import annotations

import pytest

from argonb.expr import (
    ABSENT,
    AbsentValueError,
    TemplateError,
    expand_env,
    find_tags,
    get_func_map,
    is_missing_variable_error,
    replace,
    substitute,
)

VARS = {
    "inputs.parameters.message": 'hi\n"there"',
    "inputs.parameters": '[{"name":"message","value":"hi"}]',
    "inputs.parameters.num": "5",
    "workflow.name": "wf-1",
    "workflow.parameters.x": "5",
    "steps.a.outputs.result": ABSENT,
    "tasks.b.outputs.parameters.p": ABSENT,
    "item": "7",
}


def test_simple_tag_exact_lookup_with_trimmed_whitespace_s4_1() -> None:
    assert replace("echo {{inputs.parameters.message}}", VARS) == 'echo hi\n"there"'
    assert replace("{{ inputs.parameters.message }}", VARS) == 'hi\n"there"'
    assert replace("{{workflow.name}}-{{item}}", VARS) == "wf-1-7"


def test_text_without_tags_is_returned_unchanged_s4_1() -> None:
    text = "no tags here { } }}"
    assert replace(text, VARS) is text


def test_unknown_prefix_left_verbatim_s4_1() -> None:
    """functional custom_template_variable.yaml prints `{{custom.variable}}`."""
    assert replace("{{custom.variable}}", VARS) == "{{custom.variable}}"


def test_unresolved_simple_tag_strict_errors_s4_1() -> None:
    with pytest.raises(TemplateError, match=r"failed to resolve \{\{custom.variable\}\}") as info:
        replace("{{custom.variable}}", VARS, allow_unresolved=False)
    assert is_missing_variable_error(info.value)


def test_strict_prefixes_only_enforce_listed_prefixes_s4_1() -> None:
    assert replace("{{custom.x}}", VARS, strict_prefixes=["tasks"]) == "{{custom.x}}"
    with pytest.raises(TemplateError, match="failed to resolve"):
        replace("{{tasks.c.outputs.result}}", VARS, strict_prefixes=["tasks"])
    # artifact references are resolved later (optional artifacts)
    assert replace("{{tasks.c.outputs.artifacts.a}}", VARS, strict_prefixes=["tasks"]) == "{{tasks.c.outputs.artifacts.a}}"
    # `tasksX` is not under the `tasks` prefix
    assert replace("{{tasksX}}", VARS, strict_prefixes=["tasks"]) == "{{tasksX}}"


def test_non_string_value_in_simple_tag_is_error_s4_1() -> None:
    with pytest.raises(TemplateError, match="to string"):
        replace("{{n}}", {"n": 5})


def test_expression_results_strings_raw_others_json_s4_1() -> None:
    assert replace("{{=workflow.parameters.x}}", VARS) == "5"
    assert replace("{{=asInt(workflow.parameters.x) + 1}}", VARS) == "6"
    assert replace("{{=[1, 'a']}}", VARS) == '[1,"a"]'
    assert replace("{{={b: 1, a: true} }}", VARS) == '{"a":true,"b":1}'
    assert replace("{{=4 / 2}}", VARS) == "2"
    assert replace("{{=1 / 3}}", VARS) == "0.3333333333333333"
    assert replace("{{=['<&>']}}", VARS) == '["\\u003c\\u0026\\u003e"]'
    assert replace("{{='<&>'}}", VARS) == "<&>"


def test_expression_env_is_expanded_and_less_specific_keys_dropped_s4_4() -> None:
    """`inputs.parameters` (a JSON string) is shadowed by its children in expressions."""
    assert replace("{{=inputs.parameters.message}}", VARS) == 'hi\n"there"'
    assert replace("{{=inputs.parameters}}", VARS) == '{"message":"hi\\n\\"there\\"","num":"5"}'


def test_expression_with_late_bound_variable_left_for_later_pass_s4_4() -> None:
    for text in ("{{=retries}}", "{{=workflow.status == 'x'}}", "{{=lastRetry.exitCode}}"):
        assert replace(text, VARS) == text
    assert replace("{{=item}}", {}) == "{{=item}}"
    with pytest.raises(TemplateError, match="item is missing"):
        replace("{{=item}}", {}, allow_unresolved=False)


def test_expression_missing_variable_verbatim_or_error_s4_4() -> None:
    assert replace("{{=inputs.parameters.nope}}", VARS) == "{{=inputs.parameters.nope}}"
    with pytest.raises(TemplateError, match="inputs.parameters.nope is missing") as info:
        replace("{{=inputs.parameters.nope}}", VARS, allow_unresolved=False)
    assert is_missing_variable_error(info.value)


def test_expression_runtime_error_strict_vs_lenient_s4_4() -> None:
    assert replace("{{=asInt('x')}}", VARS) == "{{=asInt('x')}}"
    with pytest.raises(TemplateError, match="failed to evaluate expression"):
        replace("{{=asInt('x')}}", VARS, allow_unresolved=False)


def test_expression_syntax_error_always_fails_s4_4() -> None:
    with pytest.raises(TemplateError, match="unexpected token"):
        replace("{{=1 +}}", VARS)


def test_expression_nil_result_s4_4() -> None:
    assert replace("{{=nil}}", VARS) == "{{=nil}}"
    with pytest.raises(TemplateError, match='failed to evaluate expression "nil"'):
        replace("{{=nil}}", VARS, allow_unresolved=False)


def test_absent_value_in_simple_tag_is_error_s4_5() -> None:
    with pytest.raises(AbsentValueError, match="absent optional"):
        replace("{{steps.a.outputs.result}}", VARS)
    with pytest.raises(AbsentValueError, match="absent optional"):
        substitute({"args": ["x-{{tasks.b.outputs.parameters.p}}"]}, VARS)


def test_absent_value_in_expression_is_nil_s4_5() -> None:
    assert replace("{{=tasks.b.outputs.parameters.p ?? 'fallback'}}", VARS) == "fallback"
    assert replace("{{=tasks.b.outputs.parameters.p == ''}}", VARS) == "false"
    assert replace("{{=tasks.b.outputs.parameters.p == nil}}", VARS) == "true"


def test_nested_tag_resolves_inner_first_s4_1() -> None:
    assert replace("{{workflow.{{workflow.name}}}}", VARS) == "{{workflow.wf-1}}"
    with pytest.raises(AbsentValueError, match="absent optional"):
        replace("{{x.{{steps.a.outputs.result}}}}", VARS)


def test_unclosed_tag_is_error_s4_1() -> None:
    with pytest.raises(TemplateError, match="Cannot find end tag"):
        replace("a {{ b", VARS)


def test_find_tags_kinds_and_offsets_s4_1() -> None:
    text = "a {{ x }} b {{=y + 1}} {{ =z}}"
    tags = find_tags(text)
    assert [(t.kind, t.inner) for t in tags] == [("simple", " x "), ("expression", "=y + 1"), ("simple", " =z")]
    assert [text[t.start:t.end] for t in tags] == ["{{ x }}", "{{=y + 1}}", "{{ =z}}"]
    assert tags[0].name == "x" and tags[1].expression == "y + 1"
    assert find_tags("plain") == [] and find_tags("{{open") == []


def test_expand_env_nests_and_drops_less_specific_s4_4() -> None:
    flat = {"a.b": 1, "a.c.d": 2, "a": 3, "ab": 4, "abb": 5, "x.y": ABSENT}
    assert expand_env(flat) == {"a": {"b": 1, "c": {"d": 2}}, "ab": 4, "abb": 5, "x": {"y": None}}
    assert expand_env({"a": {"k": 1}}) == {"a": {"k": 1}}
    assert expand_env({"a": "v", "a.b": "w", "a-b": "z"}) == {"a": {"b": "w"}, "a-b": "z"}


def test_substitute_walks_keys_lists_and_leaves_scalars() -> None:
    obj = {"{{workflow.name}}": ["{{=1 + 1}}", 3, None, True, {"k": "{{custom.x}}"}]}
    assert substitute(obj, VARS) == {"wf-1": ["2", 3, None, True, {"k": "{{custom.x}}"}]}
    assert obj == {"{{workflow.name}}": ["{{=1 + 1}}", 3, None, True, {"k": "{{custom.x}}"}]}


def test_prebuilt_env_is_used() -> None:
    env = get_func_map({"x": "from-env"})
    assert replace("{{=x}}", {"x": "flat"}, env=env) == "from-env"


def test_expand_env_handles_thousands_of_keys_quickly() -> None:
    import time

    flat = {f"tasks.t{i}.outputs.parameters.p{j}": str(i * j) for i in range(500) for j in range(6)}
    start = time.perf_counter()
    env = expand_env(flat)
    assert time.perf_counter() - start < 0.5
    assert env["tasks"]["t10"]["outputs"]["parameters"]["p3"] == "30"


def test_replace_many_times_is_fast() -> None:
    import time

    start = time.perf_counter()
    for i in range(20000):
        replace("echo {{inputs.parameters.num}} and plain text", VARS)
        replace("no tags at all", VARS)
        if i % 10 == 0:
            replace("{{=asInt(inputs.parameters.num) + 1}}", VARS)
    assert time.perf_counter() - start < 5.0
