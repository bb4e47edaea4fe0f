"""Unit tests of the executors, run inline (engine/inline.py): one per template type and the shared `when`."""

from __future__ import annotations

from argonb.engine.backend import PodResult
from argonb.engine.model import NodePhase, NodeType
from tests.engine.unit.conftest import pod, workflow


def _result(text: str, code: int = 0):
    return lambda request, on_log: PodResult(exit_code=code, stdout_tail=text.encode())


def test_pod_result_and_exit_code_reach_the_node(inline):
    run = inline(workflow(pod("main")), {"main": _result("hello\n", 3)})
    assert run.run() == "Failed"
    node = run.nodes["unit"]
    assert node.type is NodeType.POD
    assert node.outputs["result"] == "hello"
    assert node.outputs["exitCode"] == "3"


def test_steps_when_false_skips_and_unparsable_when_errors_the_group(inline):
    """§2.3: `when` false -> Skipped with Argo's message; a `when` govaluate cannot parse -> Error."""
    main = {"name": "main", "steps": [[{"name": "no", "template": "leaf", "when": "1 == 2"},
                                       {"name": "yes", "template": "leaf", "when": "1 == 1"}],
                                      [{"name": "bad", "template": "leaf", "when": "((("}]]}
    run = inline(workflow(main, pod("leaf")))
    assert run.run() == "Failed"  # the Steps node fails with its errored group's message
    assert run.nodes["[1]"].phase is NodePhase.ERROR
    assert run.nodes["no"].phase is NodePhase.SKIPPED
    assert run.nodes["no"].message == "when '1 == 2' evaluated false"
    assert run.nodes["yes"].phase is NodePhase.SUCCEEDED
    assert run.nodes["bad"].phase is NodePhase.ERROR
    assert run.nodes["bad"].message == run.rt.message == "Invalid 'when' expression '(((': Unbalanced parenthesis"


def test_dag_when_uses_the_same_evaluation_as_steps(inline):
    main = {"name": "main", "dag": {"tasks": [{"name": "no", "template": "leaf", "when": "1 == 2"},
                                              {"name": "after", "template": "leaf", "depends": "no.Skipped"}]}}
    run = inline(workflow(main, pod("leaf")))
    assert run.run() == "Succeeded"
    assert run.nodes["no"].phase is NodePhase.SKIPPED
    assert run.nodes["no"].message == "when '1 == 2' evaluated false"
    assert run.nodes["after"].phase is NodePhase.SUCCEEDED


def test_dag_depends_failed_branch_and_task_result_reference(inline):
    """§3.1: `depends: a.Failed` runs only when a failed; a task's output reaches the next one (§4.5)."""
    main = {"name": "main", "dag": {"tasks": [
        {"name": "a", "template": "fails", "continueOn": {"failed": True}},
        {"name": "on-fail", "template": "echo", "depends": "a.Failed",
         "arguments": {"parameters": [{"name": "m", "value": "{{tasks.a.outputs.result}}"}]}},
        {"name": "on-ok", "template": "leaf", "depends": "a.Succeeded"}]}}
    echo = pod("echo", inputs={"parameters": [{"name": "m"}]})
    run = inline(workflow(main, pod("fails"), echo, pod("leaf")), {"fails": _result("oops", 1)})
    run.run()
    assert run.nodes["a"].phase is NodePhase.FAILED
    assert run.nodes["on-fail"].phase is NodePhase.SUCCEEDED
    assert run.nodes["on-fail"].inputs["parameters"][0]["value"] == "oops"
    assert run.nodes["on-ok"].phase is NodePhase.OMITTED


def test_suspend_waits_for_resume_and_takes_supplied_outputs(inline):
    """§5.7: `suspend: {}` waits; `valueFrom.supplied` outputs take the resumed value or their default."""
    nap = {"name": "main", "suspend": {}, "outputs": {"parameters": [
        {"name": "x", "valueFrom": {"supplied": {}}}, {"name": "y", "valueFrom": {"supplied": {}, "default": "d"}}]}}
    run = inline(workflow(nap))
    run.run()
    node = run.nodes["unit"]
    assert node.type is NodeType.SUSPEND and node.phase is NodePhase.RUNNING
    run.rt.suspended[node.id].resume({"x": "given"})
    assert run.run() == "Succeeded"
    assert {p["name"]: p["value"] for p in node.outputs["parameters"]} == {"x": "given", "y": "d"}


def test_retry_wraps_attempts_and_keeps_the_last_one(inline):
    """§7: limit 2 -> up to three attempts `(0)`, `(1)`, `(2)` under a Retry node with the last attempt's phase."""
    codes = iter([1, 1, 0])
    run = inline(workflow(pod("main", retryStrategy={"limit": 2})),
                 {"main": lambda request, on_log: PodResult(exit_code=next(codes))})
    assert run.run() == "Succeeded"
    retry = run.nodes["unit"]
    assert retry.type is NodeType.RETRY
    assert [run.rt.nodes[c].display_name for c in retry.children] == ["unit(0)", "unit(1)", "unit(2)"]
    assert [run.rt.nodes[c].phase for c in retry.children] == [NodePhase.FAILED, NodePhase.FAILED,
                                                              NodePhase.SUCCEEDED]


def test_container_set_runs_as_one_pod_with_container_nodes(inline):
    cs = {"name": "main", "containerSet": {"containers": [{"name": "main", "image": "alpine", "command": ["true"]},
                                                          {"name": "b", "image": "alpine", "command": ["true"]}]}}
    run = inline(workflow(cs))
    assert run.run() == "Succeeded"
    pod_node = run.nodes["unit"]
    assert pod_node.type is NodeType.POD
    assert sorted(run.rt.nodes[c].type for c in pod_node.children) == [NodeType.CONTAINER, NodeType.CONTAINER]


def test_unsupported_kind_ends_in_error_without_a_pod(inline):
    run = inline(workflow({"name": "main", "resource": {"action": "create", "manifest": "{}"}}))
    assert run.run() == "Error"
    assert "argonb cannot run this resource template locally" in run.nodes["unit"].message
    assert run.backend.requests == []


def test_workflow_parameters_reach_a_pod_through_a_step(inline):
    """§4.1: `-p` overrides `spec.arguments`; the step passes `{{workflow.parameters.who}}` to the pod."""
    main = {"name": "main", "steps": [[{"name": "hi", "template": "echo", "arguments": {
        "parameters": [{"name": "m", "value": "{{workflow.parameters.who}}"}]}}]]}
    echo = pod("echo", inputs={"parameters": [{"name": "m"}]})
    run = inline(workflow(main, echo, arguments={"parameters": [{"name": "who", "value": "spec"}]}),
                 parameters={"who": "cli"})
    assert run.run() == "Succeeded"
    assert run.nodes["hi"].inputs["parameters"][0]["value"] == "cli"
