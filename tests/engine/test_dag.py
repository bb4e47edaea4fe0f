"""DAG templates: depends/dependencies, Omitted, phase assessment, targets, loops (ARGO-SEMANTICS §3, §6)."""

from __future__ import annotations

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

ENHANCED = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: dag-enh}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: A, template: ok}
      - {name: B, template: ok, depends: A}
      - {name: C, template: fail, depends: A}
      - {name: should-execute-1, template: ok, depends: "A && (C.Succeeded || C.Failed)"}
      - {name: should-not-execute, template: ok, depends: "B && C"}
      - {name: should-execute-3, template: ok, depends: "should-execute-1 || should-not-execute"}
  - name: ok
    container: {image: alpine, command: [sh, -c, "echo ok"]}
  - name: fail
    container: {image: alpine, command: [sh, -c, "exit 1"]}
"""


def test_enhanced_depends_failure_absorbed_by_downstream_s3_2():
    """dag-enhanced-depends: C fails, handled by a task that completes -> DAG Succeeded (§3.2, §15.1)."""
    run = run_yaml(ENHANCED)
    nodes = by_display(run)
    assert nodes["C"]["phase"] == "Failed"
    assert nodes["should-execute-1"]["phase"] == "Succeeded"
    assert nodes["should-not-execute"]["phase"] == "Omitted"
    assert nodes["should-not-execute"]["type"] == "Skipped"
    assert nodes["should-not-execute"]["message"] == "omitted: depends condition not met"
    assert nodes["should-execute-3"]["phase"] == "Succeeded"
    assert run.phase == "Succeeded"


CONTINUE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: dag-cont}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: A, template: ok}
      - {name: E, template: fail, dependencies: [A]}
      - {name: F, template: ok, dependencies: [A]}
      - {name: G, template: ok, dependencies: [E, F]}
  - name: ok
    container: {image: alpine, command: [sh, -c, "echo ok"]}
  - name: fail
    container: {image: alpine, command: [sh, -c, "exit 1"]}
"""


def test_omitted_leaf_inherits_failed_branch_s3_2():
    """dag-continue-on-fail: E fails, leaf G is Omitted and inherits Failed -> DAG Failed (§3.2)."""
    run = run_yaml(CONTINUE)
    nodes = by_display(run)
    assert nodes["G"]["phase"] == "Omitted"
    assert run.phase == "Failed"


def test_continue_on_failed_adds_failed_to_bare_dependency_s3_1():
    run = run_yaml(CONTINUE.replace("{name: E, template: fail, dependencies: [A]}",
                                    "{name: E, template: fail, dependencies: [A], continueOn: {failed: true}}"))
    nodes = by_display(run)
    assert nodes["G"]["phase"] == "Succeeded"
    assert run.phase == "Succeeded"


def test_dag_children_edges_follow_dependencies_s3():
    run = run_yaml(CONTINUE)
    nodes = by_name(run)
    root = nodes["dag-cont"]
    assert root["children"] == [nodes["dag-cont.A"]["id"]]
    assert set(nodes["dag-cont.A"]["children"]) == {nodes["dag-cont.E"]["id"], nodes["dag-cont.F"]["id"]}


TARGET = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: dag-target}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      target: E
      tasks:
      - {name: A, template: ok}
      - {name: B, template: ok, depends: A}
      - {name: C, template: ok, depends: A}
      - {name: D, template: ok, depends: B}
      - {name: E, template: ok, depends: C}
  - name: ok
    container: {image: alpine, command: [sh, -c, "echo ok"]}
"""


def test_target_runs_only_target_and_its_dependencies_s3_2():
    run = run_yaml(TARGET)
    assert sorted(n["displayName"] for n in run.nodes.values() if n["type"] == "Pod") == ["A", "C", "E"]
    assert run.phase == "Succeeded"


LOOP = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: dag-loop}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - name: gen
        template: gen
      - name: each
        template: square
        depends: gen
        withParam: "{{tasks.gen.outputs.result}}"
        arguments: {parameters: [{name: n, value: "{{item}}"}]}
      - name: total
        template: show
        depends: each
        arguments: {parameters: [{name: values, value: "{{tasks.each.outputs.result}}"}]}
  - name: gen
    script: {image: python, command: [python], source: "import json; print(json.dumps([1, 2, 3]))"}
  - name: square
    inputs: {parameters: [{name: n}]}
    script: {image: python, command: [python], source: "print({{inputs.parameters.n}} ** 2)"}
  - name: show
    inputs: {parameters: [{name: values}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.values}}"]}
"""


def test_with_param_loop_names_and_aggregated_result_s6_2_s6_4():
    run = run_yaml(LOOP)
    nodes = by_name(run)
    assert nodes["dag-loop.each"]["type"] == "TaskGroup"
    assert [nodes[f"dag-loop.each({i}:{v})"]["phase"] for i, v in enumerate([1, 2, 3])] == ["Succeeded"] * 3
    assert run.node("total")["outputs"]["result"] == "[1,4,9]"
    assert run.phase == "Succeeded"


EMPTY = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: empty-loop}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: none, template: ok, withParam: "[]"}
  - name: ok
    container: {image: alpine, command: [sh, -c, "echo ok"]}
"""


def test_empty_loop_is_one_skipped_node_s6_2():
    run = run_yaml(EMPTY)
    nodes = by_name(run)
    assert nodes["empty-loop[0].none"]["phase"] == "Skipped"
    assert nodes["empty-loop[0].none"]["message"] == "Skipped, empty params"
    assert len(nodes) == 3
    assert run.phase == "Succeeded"


BRANCHES = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: branches}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: smoke, template: fail}
      - {name: announce, template: ok, depends: smoke.Succeeded}
      - {name: rollback, template: slow, depends: smoke.Failed}
  - name: ok
    container: {image: alpine, command: [echo, ok]}
  - name: slow
    container: {image: alpine, command: [sh, -c, "sleep 0.3; echo rolled back"]}
  - name: fail
    container: {image: alpine, command: [sh, -c, "exit 1"]}
"""


def test_dag_is_judged_only_after_every_ready_task_started_and_finished_s3_2():
    """An Omitted first dependent must not end the DAG while its sibling still runs (Argo creates both in one
    pass, and the BFS sees the running one)."""
    run = run_yaml(BRANCHES)
    nodes = by_display(run)
    assert nodes["announce"]["phase"] == "Omitted"
    assert nodes["rollback"]["phase"] == "Succeeded"
    assert run.logs("rollback").strip() == "rolled back"
    assert run.phase == "Failed"  # announce, a leaf, inherits the failed branch


FAIL_FAST = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ff}
spec:
  entrypoint: main
  templates:
  - name: main
    parallelism: 1
    failFast: true
    steps:
    - - {name: item, template: work, withSequence: {count: "5"}, arguments: {parameters: [{name: n, value: "{{item}}"}]}}
  - name: work
    inputs: {parameters: [{name: n}]}
    container: {image: alpine, command: [sh, -c, "test {{inputs.parameters.n}} -ne 1"]}
"""


def test_template_fail_fast_with_parallelism_starts_nothing_new_s3_3():
    run = run_yaml(FAIL_FAST)
    nodes = by_name(run)
    pods = [n for n in run.nodes.values() if n["type"] == "Pod"]
    assert len(pods) == 2  # item 0 succeeded, item 1 failed, items 2-4 never started
    assert nodes["ff"]["phase"] == "Failed"
    assert nodes["ff"]["message"] == "template has failed or errored children and failFast enabled"
    dag = run_yaml(FAIL_FAST.replace("""    steps:
    - - {name: item,""", """    dag:
      tasks:
      - {name: item,"""))
    assert dag.phase == "Failed"
    assert len([n for n in dag.nodes.values() if n["type"] == "Pod"]) == 2
    assert dag.message == "template has failed or errored children and failFast enabled"


# ---- Argo's maximum stack depth (workflow/controller/operator.go executeTemplate, dag.go executeDAGTask) ----

def test_99_nested_dags_run_and_the_100th_call_is_an_error_node_operator_go_max_stack_depth():
    """ErrMaxDepthExceeded is not a task error in dag.go (`continue`): the task node is the error node, and
    the DAGs above it end in Error (assessDAGPhase). Before the fix, 101 levels Succeeded."""
    assert run_bounded(nested_templates(99, "dag")).phase == "Succeeded"
    for levels in (100, 101):
        run = run_bounded(nested_templates(levels, "dag"))
        assert run.phase == "Error", run.message
        [err] = errored(run)
        assert (err["type"], err["message"], err["templateName"]) == ("Skipped", MAX_DEPTH_MESSAGE, "t100")
        assert err["name"] == "deep" + ".s" * 99
        assert not [n for n in run.nodes.values() if n["type"] == "Pod"]


def test_endless_recursion_through_a_dag_stops_at_argo_max_stack_depth_with_or_without_pods():
    run = run_bounded(endless_recursion("dag"), timeout=30)
    assert run.phase == "Error"
    assert [n["message"] for n in errored(run)] == [MAX_DEPTH_MESSAGE]
    with_pods = run_bounded(endless_recursion("dag", pod=True), timeout=120)
    assert with_pods.phase == "Error"
    pods = [n for n in with_pods.nodes.values() if n["type"] == "Pod"]
    assert len(pods) == 98 and all(n["phase"] == "Succeeded" for n in pods)
    assert [n["message"] for n in errored(with_pods)] == [MAX_DEPTH_MESSAGE]
