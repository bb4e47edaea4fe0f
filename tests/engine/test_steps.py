"""Steps templates: groups, node names, outputs, `when` (ARGO-SEMANTICS §1.4, §2, §4.3, §5.3)."""

from __future__ import annotations

from tests.engine.helpers import by_display, by_name, run_yaml

HELLO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: steps-demo}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: hello, template: say, arguments: {parameters: [{name: msg, value: hello}]}}
    - - {name: world, template: say, arguments: {parameters: [{name: msg, value: "{{steps.hello.outputs.result}} world"}]}}
      - {name: skipped, template: say, when: "{{steps.hello.outputs.result}} == bye", arguments: {parameters: [{name: msg, value: x}]}}
  - name: say
    inputs: {parameters: [{name: msg}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.msg}}"]}
"""


def test_steps_node_tree_names_and_types_s1_4_s2():
    run = run_yaml(HELLO)
    assert run.phase == "Succeeded"
    nodes = by_name(run)
    assert nodes["steps-demo"]["type"] == "Steps"
    assert nodes["steps-demo[0]"]["type"] == "StepGroup"
    assert nodes["steps-demo[0].hello"]["type"] == "Pod"
    assert nodes["steps-demo[1].world"]["displayName"] == "world"
    assert nodes["steps-demo[0]"]["displayName"] == "[0]"
    # §1.5 node IDs: <wf>-<fnv32a(name)>, the root is the workflow name
    assert nodes["steps-demo"]["id"] == "steps-demo"
    assert nodes["steps-demo[0].hello"]["id"].startswith("steps-demo-")


def test_step_result_feeds_next_group_s5_3():
    run = run_yaml(HELLO)
    assert run.logs("world").strip() == "hello world"
    assert run.node("world")["outputs"]["result"] == "hello world"
    assert run.node("hello")["outputs"]["exitCode"] == "0"


def test_when_false_is_skipped_with_argo_message_s4_3():
    run = run_yaml(HELLO)
    skipped = by_display(run)["skipped"]
    assert skipped["phase"] == "Skipped"
    assert skipped["type"] == "Skipped"
    assert skipped["message"] == "when 'hello == bye' evaluated false"


FAILING = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: steps-fail}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: bad, template: fail}
      - {name: good, template: ok}
    - - {name: never, template: ok}
  - name: fail
    container: {image: alpine, command: [sh, -c, "exit 3"]}
  - name: ok
    container: {image: alpine, command: [sh, -c, "echo ok"]}
"""


def test_failed_child_fails_group_and_steps_siblings_still_run_s2():
    run = run_yaml(FAILING)
    nodes = by_name(run)
    assert run.phase == "Failed"
    assert nodes["steps-fail[0].bad"]["phase"] == "Failed"
    assert nodes["steps-fail[0].bad"]["message"] == "main: Error (exit code 3)"
    assert nodes["steps-fail[0].good"]["phase"] == "Succeeded"
    assert nodes["steps-fail[0]"]["phase"] == "Failed"
    assert "steps-fail[1]" not in nodes
    assert nodes["steps-fail[0].bad"]["outputs"]["exitCode"] == "3"


def test_continue_on_failed_lets_next_group_run_s2():
    text = FAILING.replace("{name: bad, template: fail}", "{name: bad, template: fail, continueOn: {failed: true}}")
    run = run_yaml(text)
    assert run.phase == "Succeeded"
    assert by_name(run)["steps-fail[1].never"]["phase"] == "Succeeded"


def test_argument_outside_its_enum_is_rejected_at_submission():
    import pytest

    import argonb
    from argonb.errors import InvalidWorkflow

    text = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: enum-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: greeting, value: hello, enum: [hello, hi]}]}
  templates:
  - name: main
    container: {image: alpine, command: [echo, "{{workflow.parameters.greeting}}"]}
"""
    with pytest.raises(InvalidWorkflow) as info:
        argonb.run(text, parameters={"greeting": "yo"})
    assert "spec.arguments.greeting.value should be present in spec.arguments.greeting.enum list" in str(info.value)
    assert argonb.run(text, parameters={"greeting": "hi"}).wait(30).phase == "Succeeded"


def test_node_records_template_ref_as_written_s5_11():
    text = """
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  templates:
  - name: hello
    container: {image: alpine, command: [echo, hi]}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: uses-lib}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: call, templateRef: {name: lib, template: hello}}
"""
    from tests.engine.helpers import by_display, run_yaml

    run = run_yaml(text)
    node = by_display(run)["call"]
    assert node["templateRef"] == {"name": "lib", "template": "hello"}
    assert node["templateName"] == ""
    assert by_display(run)["uses-lib"]["templateName"] == "main"
