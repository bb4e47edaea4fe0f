"""Steps templates: groups, node names, outputs, `when` (ARGO-SEMANTICS §1.4, §2, §4.3, §5.3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.engine.helpers import (
    MAX_DEPTH_MESSAGE,
    by_display,
    by_name,
    endless_recursion,
    errored,
    nested_templates,
    run_bounded,
    run_yaml,
)

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


# ---- Argo's maximum stack depth (workflow/controller/operator.go executeTemplate, maxAllowedStackDepth = 100) ----

def test_99_nested_templates_run_and_the_100th_call_is_an_error_node_operator_go_max_stack_depth():
    """The call at depth 100 is created as a Skipped node in Error with ErrMaxDepthExceeded's message
    (initializeNodeOrMarkError); the steps above it fail as for any errored child. Before the fix, 99 levels
    ended in `internal error in argonb` (a Python RecursionError traceback)."""
    ok = run_bounded(nested_templates(99))
    assert ok.phase == "Succeeded", ok.message
    assert ok.logs(next(n["name"] for n in ok.nodes.values() if n["type"] == "Pod")).strip() == "leaf"
    for levels in (100, 101):
        run = run_bounded(nested_templates(levels))
        assert run.phase == "Failed", run.message
        assert "internal error" not in run.message
        [err] = errored(run)
        assert (err["type"], err["message"], err["templateName"]) == ("Skipped", MAX_DEPTH_MESSAGE, "t100")
        assert err["name"] == "deep" + "[0].s" * 99
        assert not [n for n in run.nodes.values() if n["type"] == "Pod"]  # t100, t101 never run
        assert run.node("deep")["phase"] == "Failed"


def test_endless_recursion_through_steps_stops_at_argo_max_stack_depth():
    run = run_bounded(endless_recursion("steps"), timeout=30)
    assert run.phase == "Failed", run.message
    [err] = errored(run)
    assert err["message"] == MAX_DEPTH_MESSAGE
    assert len([n for n in run.nodes.values() if n["displayName"] == "again"]) == 99  # depths 2..100


def test_endless_recursion_with_a_pod_per_level_runs_98_pods_then_stops_with_a_small_store(tmp_path):
    """Each level's pod is a call one deeper than its steps template: the steps at depth 99 get an error node
    for their pod (depth 100). Before the fix the run never stopped (4,934 levels in 120 s, 1.37 GB store)."""
    source = tmp_path / "endless.yaml"
    source.write_text(endless_recursion("steps", pod=True))
    home = Path(os.environ["ARGONB_HOME"])
    proc = subprocess.run([sys.executable, "-m", "argonb.cli.main", "run", str(source), "-o", "json"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    status = json.loads(proc.stdout)["status"]
    nodes = list(status["nodes"].values())
    assert status["phase"] == "Failed"
    pods = [n for n in nodes if n["type"] == "Pod"]
    assert len(pods) == 98 and all(n["phase"] == "Succeeded" for n in pods)
    assert [n["message"] for n in nodes if n["phase"] == "Error"] == [MAX_DEPTH_MESSAGE]
    store_bytes = sum(f.stat().st_size for f in home.glob("argonb.db*"))
    assert store_bytes < 50 * 2**20, store_bytes  # about 2.5 MB measured


def test_no_python_recursion_limit_is_reachable_below_argo_max_stack_depth():
    """The costliest nesting path (a retried, looped step with a lifecycle hook at every level) at depth 99,
    starting from Python's default recursion limit: the engine makes room for Argo's limit itself."""
    lines = ["apiVersion: argoproj.io/v1alpha1", "kind: Workflow", "metadata: {name: heavy}", "spec:",
             "  entrypoint: t1", "  templates:"]
    for i in range(1, 99):
        lines.append(f"  - name: t{i}\n    retryStrategy: {{limit: 1}}\n    steps: [[{{name: s, template: t{i + 1}, "
                     f"withItems: [1], hooks: {{running: {{expression: 'false', template: t99}}}}}}]]")
    lines.append("  - name: t99\n    container: {image: alpine, command: [echo, leaf]}")
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        run = run_bounded("\n".join(lines) + "\n")
    finally:
        sys.setrecursionlimit(max(previous, sys.getrecursionlimit()))
    assert run.phase == "Succeeded", run.message[:500]
