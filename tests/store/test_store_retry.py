"""Retry after a crash or a fixed failure, resubmit, and edit-and-resume, through the store."""

from __future__ import annotations

import hashlib
import os
import signal
import textwrap
from pathlib import Path

import pytest

from argonb.store import RetryError, open_store, plan_retry, resubmit, resume_edited, retry, run_recorded
from tests.store.support import hidden, indent, wait_for, waiting_script


def kill_workflow(marker: Path) -> str:
    return textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: killme}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: one, template: rand}
            - - {name: two, template: slow, arguments: {parameters: [{name: v, value: "{{steps.one.outputs.result}}"}]}}
          - name: rand
            script: {image: python, command: [python], source: "import random; print(random.random())"}
          - name: slow
            inputs: {parameters: [{name: v}]}
            script:
              image: python
              command: [python]
              source: |
        """) + indent(waiting_script(marker, "two got {{inputs.parameters.v}}"), 10)


def by_display(rows: list[dict]) -> dict[str, dict]:
    return {r["status"]["displayName"]: r for r in rows}


def test_sigkill_mid_run_then_retry_reruns_only_unfinished(cli, home: Path, tmp_path: Path, procs) -> None:
    marker = tmp_path / "go"
    wf = tmp_path / "kill.yaml"
    wf.write_text(kill_workflow(marker))
    proc = cli.start("run", str(wf))
    procs.append(proc)
    store = open_store()

    def midway() -> bool:
        rows = by_display(store.node_rows("killme")) if store.list_runs() else {}
        return rows.get("one", {}).get("status", {}).get("phase") == "Succeeded" and "two" in rows
    wait_for(midway, what="step one to succeed in the store")
    one_before = by_display(store.node_rows("killme"))["one"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)

    rec = open_store().get_run("killme")  # opening the store notices the dead owner
    assert (rec.phase, rec.message) == ("Error", "interrupted")
    log_before = Path(one_before["log"]).read_bytes()
    marker.write_text("")
    result = cli("retry", "killme", "--wait")
    assert result.returncode == 0, result.stderr
    rows = by_display(store.node_rows("killme"))
    assert rows["one"]["extra"].get("reused") is True and not rows["two"]["extra"].get("reused")
    assert rows["one"]["status"]["outputs"] == one_before["status"]["outputs"]
    assert Path(rows["one"]["log"]).read_bytes() == log_before
    value = one_before["status"]["outputs"]["result"]
    assert Path(rows["two"]["log"]).read_text().endswith(f"two got {value}\n")
    rec = store.get_run("killme")
    assert (rec.phase, rec.attempt) == ("Succeeded", 2)
    assert [a["phase"] for a in store.attempts("killme")] == ["Error"]


def fix_workflow(marker: Path) -> str:
    return textwrap.dedent(f"""\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{generateName: fix-}}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {{name: make, template: make}}
              - {{name: side, template: rand}}
              - name: use
                template: use
                dependencies: [make]
                arguments: {{artifacts: [{{name: f, from: "{{{{tasks.make.outputs.artifacts.f}}}}"}}]}}
              - {{name: after, template: rand, dependencies: [use]}}
          - name: make
            script:
              image: python
              command: [python]
              source: "import random; v = str(random.random()); open('/tmp/f.txt', 'w').write(v); print(v)"
            outputs: {{artifacts: [{{name: f, path: /tmp/f.txt}}]}}
          - name: rand
            script: {{image: python, command: [python], source: "import random; print(random.random())"}}
          - name: use
            inputs: {{artifacts: [{{name: f, path: /tmp/in.txt}}]}}
            container:
              image: alpine
              command: [sh, -c, 'cat /tmp/in.txt; test -f "$(echo {hidden(marker)} | tr @ /)"']
        """)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_retry_after_fixing_the_cause_keeps_outputs_and_artifacts(home: Path, tmp_path: Path) -> None:
    marker = tmp_path / "fixed"
    first = run_recorded(fix_workflow(marker), wait=True)
    assert first.phase == "Failed"
    store = open_store()
    before = by_display(store.node_rows(first.name))
    artifact = home / "artifacts" / before["make"]["status"]["outputs"]["artifacts"][0]["s3"]["key"]
    artifact_sha = sha(artifact)
    failed_pod = home / "runs" / first.name / "pods" / before["use"]["status"]["podName"]

    marker.write_text("")
    second = retry(first.name, wait=True)
    assert (second.name, second.phase) == (first.name, "Succeeded")
    after = by_display(store.node_rows(first.name))
    for kept in ("make", "side"):
        assert after[kept]["extra"].get("reused") is True
        assert after[kept]["status"]["outputs"] == before[kept]["status"]["outputs"]
        assert Path(after[kept]["log"]).read_bytes() == Path(before[kept]["log"]).read_bytes()
    assert {n for n, r in after.items() if r["status"]["type"] == "Pod" and not r["extra"].get("reused")} == \
        {"use", "after"}
    assert sha(artifact) == artifact_sha
    assert Path(after["use"]["log"]).read_text() == before["make"]["status"]["outputs"]["result"]
    # the failed attempt is archived: its nodes in the store, its pod directory under attempts/1
    assert store.attempt_nodes(first.name, 1)[before["use"]["id"]]["phase"] == "Failed"
    assert (home / "runs" / first.name / "attempts" / "1" / "pods" / failed_pod.name / "main.log").exists()


def test_restart_successful_node_selection(home: Path, tmp_path: Path) -> None:
    marker = tmp_path / "fixed"
    marker.write_text("")
    first = run_recorded(fix_workflow(marker), wait=True)
    assert first.phase == "Succeeded"
    with pytest.raises(RetryError, match="succeeded"):
        retry(first.name)
    with pytest.raises(RetryError, match="--restart-successful"):
        retry(first.name, node="use")
    before = by_display(open_store().node_rows(first.name))
    again = retry(first.name, node="use", restart_successful=True, wait=True)
    assert again.phase == "Succeeded"
    after = by_display(open_store().node_rows(first.name))
    rerun = {n for n, r in after.items() if r["status"]["type"] == "Pod" and not r["extra"].get("reused")}
    assert rerun == {"use", "after"}
    assert after["side"]["status"]["outputs"] == before["side"]["status"]["outputs"]


def test_plan_retry_resets_failed_leaves_descendants_and_exit_handler() -> None:
    nodes = {
        "w": {"name": "w", "type": "DAG", "phase": "Failed", "children": ["a", "b"]},
        "a": {"name": "w.a", "displayName": "a", "type": "Pod", "phase": "Succeeded", "children": ["c"]},
        "b": {"name": "w.b", "displayName": "b", "type": "Pod", "phase": "Failed", "children": ["d"],
              "templateName": "t"},
        "c": {"name": "w.c", "displayName": "c", "type": "Pod", "phase": "Succeeded"},
        "d": {"name": "w.d", "displayName": "d", "type": "Pod", "phase": "Succeeded"},  # continueOn: failed
        "x": {"name": "w.onExit", "displayName": "w.onExit", "type": "Pod", "phase": "Succeeded"},
    }
    assert plan_retry(nodes, "w") == {"b", "d", "x"}
    assert plan_retry(nodes, "w", "a", restart_successful=True) == {"a", "b", "c", "d", "x"}
    assert plan_retry(nodes, "w", "templateName=t") == {"b", "d", "x"}
    with pytest.raises(RetryError, match="no node matches"):
        plan_retry(nodes, "w", "nope")


def chain(b_text: str, name: str = "") -> str:
    meta = f"{{name: {name}}}" if name else "{generateName: chain-}"
    return textwrap.dedent(f"""\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {meta}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {{name: a, template: rand}}
              - {{name: d, template: rand}}
              - {{name: b, template: echo, dependencies: [a], arguments: {{parameters: [{{name: v, value: "{{{{tasks.a.outputs.result}}}} {b_text}"}}]}}}}
              - {{name: c, template: echo, dependencies: [b], arguments: {{parameters: [{{name: v, value: "c saw {{{{tasks.b.outputs.result}}}}"}}]}}}}
          - name: rand
            script: {{image: python, command: [python], source: "import random; print(random.random())"}}
          - name: echo
            inputs: {{parameters: [{{name: v}}]}}
            container: {{image: alpine, command: [sh, -c, "echo {{{{inputs.parameters.v}}}}"]}}
        """)


def test_edit_and_resume_reruns_exactly_the_changed_node_and_downstream(home: Path) -> None:
    first = run_recorded(chain("v1"), wait=True)
    assert first.phase == "Succeeded"
    second = resume_edited(chain("v2"), first.name, wait=True)
    assert second.phase == "Succeeded" and second.name != first.name
    store = open_store()
    old, new = by_display(store.node_rows(first.name)), by_display(store.node_rows(second.name))
    rerun = {n for n, r in new.items() if r["status"]["type"] == "Pod" and not r["extra"].get("reused")}
    assert rerun == {"b", "c"}
    for kept in ("a", "d"):
        assert new[kept]["status"]["outputs"] == old[kept]["status"]["outputs"]
        assert new[kept]["log"] == old[kept]["log"]  # logs of kept nodes stay where they were written
        assert new[kept]["extra"]["reusedFrom"] == first.name
    assert new["c"]["status"]["outputs"]["result"] == f"c saw {old['a']['status']['outputs']['result']} v2"
    assert store.get_run(second.name).resumed_from == first.name


def test_edit_and_resume_with_a_fixed_name_keeps_the_original(home: Path) -> None:
    first = run_recorded(chain("v1", name="fixed"), wait=True)
    second = resume_edited(chain("v2", name="fixed"), "fixed", wait=True)
    assert first.name == "fixed" and second.name.startswith("fixed-") and second.phase == "Succeeded"
    assert {r.name for r in open_store().list_runs()} == {"fixed", second.name}


def test_resubmit_memoized_and_fresh(home: Path) -> None:
    first = run_recorded(chain("v1"), wait=True)
    memo = resubmit(first.name, memoized=True, wait=True)
    fresh = resubmit(first.name, wait=True)
    store = open_store()
    assert len({first.name, memo.name, fresh.name}) == 3 and memo.name.startswith("chain-")
    memo_rows = [r for r in store.node_rows(memo.name) if r["status"]["type"] == "Pod"]
    fresh_rows = [r for r in store.node_rows(fresh.name) if r["status"]["type"] == "Pod"]
    assert len(memo_rows) == 4 and all(r["extra"].get("reused") for r in memo_rows)
    assert not any(r["extra"].get("reused") for r in fresh_rows)
    assert store.get_run(fresh.name).resubmitted_from == first.name
