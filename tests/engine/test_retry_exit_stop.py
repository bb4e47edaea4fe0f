"""Retries, exit handlers, stop/terminate and timeouts (ARGO-SEMANTICS §1.3, §7, §8, §9)."""

from __future__ import annotations

import threading
import time

import argonb
from tests.engine.helpers import by_display, by_name, run_yaml

RETRY = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: retry}
spec:
  entrypoint: main
  templates:
  - name: main
    retryStrategy: {limit: "2"}
    container:
      image: alpine
      command: [sh, -c, "echo attempt {{retries}}; test {{retries}} -ge 2 || exit 5"]
"""


def test_retry_attempt_nodes_named_with_index_and_retries_variable_s7():
    run = run_yaml(RETRY)
    nodes = by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["retry"]["type"] == "Retry"
    assert [nodes[f"retry({i})"]["phase"] for i in range(3)] == ["Failed", "Failed", "Succeeded"]
    assert run.logs("retry(2)").strip() == "attempt 2"


def test_retry_limit_exhausted_message_s7():
    run = run_yaml(RETRY.replace('limit: "2"', "limit: 1"))
    assert run.phase == "Failed"
    assert by_name(run)["retry"]["message"] == "No more retries left"
    assert len([n for n in run.nodes.values() if n["type"] == "Pod"]) == 2


def test_retry_policy_on_error_does_not_retry_failures_s7():
    run = run_yaml(RETRY.replace('limit: "2"', "limit: 3, retryPolicy: OnError"))
    assert run.phase == "Failed"
    assert len([n for n in run.nodes.values() if n["type"] == "Pod"]) == 1


EXIT = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: exit}
spec:
  entrypoint: main
  onExit: report
  templates:
  - name: main
    container: {image: alpine, command: [sh, -c, "exit 1"]}
  - name: report
    container: {image: alpine, command: [sh, -c, "echo status={{workflow.status}} failures={{workflow.failures}}"]}
"""


def test_exit_handler_sees_final_status_and_failures_s8():
    run = run_yaml(EXIT)
    assert run.phase == "Failed"
    node = by_name(run)["exit.onExit"]
    assert node["phase"] == "Succeeded"
    log = run.logs("exit.onExit")
    assert "status=Failed" in log
    assert '"displayName":"exit"' in log  # the shell's quote removal turns Go's quoted JSON back into JSON


def test_failing_exit_handler_fails_a_succeeded_workflow_s1_3():
    text = EXIT.replace('command: [sh, -c, "exit 1"]', 'command: [sh, -c, "true"]').replace(
        '"echo status={{workflow.status}} failures={{workflow.failures}}"', '"exit 2"')
    run = run_yaml(text)
    assert run.phase == "Failed"
    assert run.message == "main: Error (exit code 2)"


STOPPABLE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: stoppable}
spec:
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    steps:
    - - {name: A, template: sleep}
    - - {name: B, template: bye}
  - name: sleep
    container: {image: alpine, command: [sleep, "60"]}
  - name: bye
    container: {image: alpine, command: [echo, bye]}
"""


def _run_until_pod_running(text: str):
    running = threading.Event()

    def watch(event):
        if event.kind == "NodeUpdated" and event.node.get("type") == "Pod" and event.phase == "Running":
            running.set()

    handle = argonb.run(text, subscribers=[watch])
    assert running.wait(20)
    return handle


def test_stop_kills_running_pod_and_still_runs_exit_handler_s1_3():
    handle = _run_until_pod_running(STOPPABLE)
    started = time.time()
    handle.stop()
    handle.wait(30)
    assert handle.done and time.time() - started < 20
    nodes = by_display(handle)
    assert handle.phase == "Failed"
    assert nodes["A"]["phase"] == "Failed"
    assert nodes["A"]["message"] == "Stopped with strategy 'Stop'"
    assert "B" not in nodes
    assert by_name(handle)["stoppable.onExit"]["phase"] == "Succeeded"


def test_terminate_skips_exit_handlers():
    handle = _run_until_pod_running(STOPPABLE)
    handle.terminate()
    handle.wait(30)
    assert handle.phase == "Failed"
    assert "stoppable.onExit" not in by_name(handle)


def test_template_timeout_fails_the_pod_s9():
    run = run_yaml("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {name: timeout}
    spec:
      entrypoint: main
      templates:
      - name: main
        timeout: 1s
        container: {image: alpine, command: [sleep, "30"]}
    """)
    assert run.phase == "Failed"
    assert by_name(run)["timeout"]["message"] == "Pod was active on the node longer than the specified deadline"


HOOKS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: hooks}
spec:
  entrypoint: main
  hooks:
    running: {expression: 'workflow.status == "Running"', template: note}
    done: {expression: 'workflow.status == "Succeeded"', template: note}
  templates:
  - name: main
    steps:
    - - name: work
        template: work
        hooks:
          started: {expression: 'steps["work"].status == "Running"', template: note}
          never: {expression: 'steps["work"].status == "Failed"', template: note}
  - name: work
    container: {image: alpine, command: [sh, -c, "sleep 0.3"]}
  - name: note
    container: {image: alpine, command: [echo, hook]}
"""


def test_lifecycle_hooks_run_once_when_expression_first_true_s8():
    run = run_yaml(HOOKS)
    nodes = by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["hooks.hooks.running"]["phase"] == "Succeeded"
    assert nodes["hooks.hooks.done"]["phase"] == "Succeeded"
    assert nodes["hooks[0].work.hooks.started"]["phase"] == "Succeeded"
    assert "hooks[0].work.hooks.never" not in nodes
    assert nodes["hooks[0].work.hooks.started"]["id"] in nodes["hooks[0].work"]["children"]


DEADLINE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf-deadline}
spec:
  entrypoint: main
  activeDeadlineSeconds: 1
  onExit: bye
  templates:
  - name: main
    steps:
    - - {name: slow, template: slow}
    - - {name: never, template: bye}
  - name: slow
    container: {image: alpine, command: [sleep, "30"]}
  - name: bye
    container: {image: alpine, command: [echo, bye]}
"""


def test_workflow_deadline_fails_running_pods_and_exit_handler_still_runs_s1_3_s9():
    started = time.time()
    run = run_yaml(DEADLINE)
    assert time.time() - started < 15
    nodes = by_name(run)
    assert run.phase == "Failed"
    assert nodes["wf-deadline[0].slow"]["phase"] == "Failed"
    assert nodes["wf-deadline.onExit"]["phase"] == "Succeeded"
    assert "wf-deadline[1].never" not in nodes


def test_spec_suspend_waits_for_resume_and_spec_shutdown_stops_s5_7():
    text = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: paused-}
spec:
  entrypoint: main
  suspend: true
  templates:
  - name: main
    container: {image: alpine, command: [echo, resumed]}
"""
    run = argonb.run(text)
    run.wait(0.5)
    assert not run.done and not run.nodes
    run.resume()
    run.wait(30)
    assert run.phase == "Succeeded"
    stopped = run_yaml(text.replace("suspend: true", "shutdown: Stop"))
    assert stopped.phase in ("Failed", "Error")
    assert [n["phase"] for n in stopped.nodes.values() if n["type"] != "Skipped"] == []


def test_a_retry_limit_that_is_not_an_int_ends_the_node_in_error_s7():
    """util/intstr Int32 fails on `limit: "x"`; operator.go processNodeRetries returns that error, so the
    retry node ends in Error with Go's message (the fuzz found an engine crash here)."""
    run = run_yaml("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: bad-limit}
        spec:
          entrypoint: main
          templates:
          - name: main
            retryStrategy: {limit: "xx"}
            container: {image: alpine, command: [sh, -c, "exit 1"]}
    """)
    assert run.phase == "Error"
    assert by_name(run)["bad-limit"]["message"] == "value 'xx' cannot be resolved to an int"
    assert "internal error" not in run.message


PARALLELISM_ZERO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: par0-}
spec:
  entrypoint: main
  templates:
  - name: main
    parallelism: 0
    steps: [[{name: a, template: echo}, {name: b, template: echo}]]
  - name: echo
    container: {image: alpine, command: [echo, hi]}
"""

STEPS_SHAPE = "steps: [[{name: a, template: echo}, {name: b, template: echo}]]"


def test_terminate_ends_a_run_whose_children_wait_for_a_parallelism_slot_that_never_frees_s9_s10():
    """`parallelism: 0` (§10: Argo's checkParallelism refuses every child while `children >= parallelism`) keeps
    the run waiting, as on Argo; terminate (§9) must still end it: the waiting children start under the shutdown
    and fail with the stop message. Found by the nightly fuzz: the run stayed Running after terminate."""
    for shape in (STEPS_SHAPE,
                  "dag: {tasks: [{name: a, template: echo}, {name: b, template: echo, depends: a}]}"):
        run = argonb.run(PARALLELISM_ZERO.replace(STEPS_SHAPE, shape))
        run.wait(1.0)
        assert not run.done and run.phase == "Running"
        run.terminate()
        run.wait(30)
        # the phase follows the entry node (§9): a steps node fails, a DAG whose task errored is in Error
        assert run.done and run.phase == ("Failed" if shape.startswith("steps") else "Error"), (shape, run.phase)
        assert "Terminate" in run.message
