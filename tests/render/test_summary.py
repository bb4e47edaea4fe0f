"""The figures of a run (`argonb.render.summary`): counted as the Argo UI counts nodes, with Argo's progress.

Argo's rule for `status.progress` is read from its source (`workflow/progress/updater.go UpdateProgress`;
ARGO-SEMANTICS.md is silent on it): every executable node (Pod, HTTP, Plugin, Container, Suspend) adds 0/1,
or 1/1 once Succeeded, Skipped or Omitted; retry attempts are executable nodes too.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

import argonb
from argonb.render.summary import progress, summarize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebook"))
from notebook_samples import recovered_and_failed  # noqa: E402


def node(id_: str, type_: str, phase: str, children: list[str] = (), **extra) -> dict:
    return {"id": id_, "name": id_, "displayName": id_, "type": type_, "phase": phase,
            "children": list(children), **extra}


def synthetic() -> dict:
    """wf (DAG) -> ok (Pod), flaky (Retry: two Failed attempts, then Succeeded), [check (Steps) -> broken]."""
    nodes = [node("wf", "DAG", "Failed", ["ok", "flaky", "check"]),
             node("ok", "Pod", "Succeeded", finishedAt="2026-01-01T00:00:01Z"),
             node("flaky", "Retry", "Succeeded", ["flaky-0", "flaky-1", "flaky-2"]),
             node("flaky-0", "Pod", "Failed", finishedAt="2026-01-01T00:00:02Z"),
             node("flaky-1", "Pod", "Failed", finishedAt="2026-01-01T00:00:03Z"),
             node("flaky-2", "Pod", "Succeeded"),
             node("check", "Steps", "Failed", ["check[0]"]),
             node("check[0]", "StepGroup", "Failed", ["broken"]),
             node("broken", "Pod", "Failed", finishedAt="2026-01-01T00:00:09Z"),
             node("skipped", "Skipped", "Skipped")]
    return {n["id"]: n for n in nodes}


def test_a_recovered_retry_is_one_succeeded_node_and_its_attempts_are_no_failures():
    summary = summarize(synthetic())
    assert summary.counts == {"Succeeded": 2, "Failed": 1, "Skipped": 1}
    assert summary.failures == ["broken"]


def test_a_succeeded_run_whose_retries_recovered_counts_no_failure():
    nodes = synthetic()
    nodes["broken"]["phase"] = nodes["check"]["phase"] = nodes["wf"]["phase"] = "Succeeded"
    summary = summarize(nodes)
    assert "Failed" not in summary.counts and summary.failures == []  # before: "Failed 2" (the attempts)
    assert summary.focus == "broken"  # the last pod, not a recovered attempt


def test_progress_follows_argo_updater_go():
    # executable: ok, 3 attempts, broken (the Skipped-type node and the Retry/DAG/Steps nodes are not)
    assert progress(synthetic()) == (2, 5)
    assert summarize(synthetic()).progress_text == "2/5"


def test_the_log_opens_on_the_deepest_real_failure_not_a_recovered_attempt():
    nodes = synthetic()
    assert summarize(nodes).focus == "broken"
    # a Retry node that never recovered: its failure's log is its last attempt's
    nodes["flaky"]["phase"], nodes["flaky-2"]["phase"] = "Failed", "Failed"
    nodes["broken"]["phase"] = "Succeeded"
    assert summarize(nodes).failures == ["flaky"] and summarize(nodes).focus == "flaky-2"


def test_a_running_pod_is_followed_first():
    nodes = synthetic()
    nodes["broken"]["phase"] = "Running"
    assert summarize(nodes).focus == "broken"


@pytest.fixture
def state_dir():
    """A folder the pods share (outside /tmp: the local backend gives each pod a private /tmp)."""
    folder = Path(tempfile.mkdtemp(prefix="argonb-state-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(120)
def test_real_run_one_failed_task_counts_one_failure(state_dir):
    run = argonb.run(recovered_and_failed(str(state_dir)), wait=True)
    assert run.phase == "Failed"
    summary = summarize(run.nodes)
    assert summary.counts == {"Succeeded": 2, "Failed": 1}, summary.counts  # not "Failed 3"
    broken = run.node("broken")
    assert summary.failures == [broken["id"]] and summary.focus == broken["id"]
    assert summary.progress == (2, 5) == run.progress()
    assert run.to_workflow()["status"]["progress"] == "2/5"
