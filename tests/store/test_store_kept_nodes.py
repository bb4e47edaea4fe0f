"""Nodes a retry or `--reuse` keeps: their status stays as it was (times included) and their log is found.

Argo's retry keeps a succeeded node's status untouched (`workflow/util/util.go FormulateRetryWorkflow` copies
the kept nodes as they were; only reset nodes get new times), so a kept 2 s node still shows 2 s.
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest

from argonb.notebook.details import node_detail_html
from argonb.render.report import node_duration
from argonb.store import resubmit, resume_edited, retry, run_recorded


def workflow(marker: Path, second: str = "") -> str:
    second = second or f"test -e {marker} || {{ echo 'no marker' >&2; exit 1; }}; echo second done"
    return textwrap.dedent(f"""\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{name: keeper}}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {{name: slow, template: slow}}
            - - {{name: second, template: second}}
          - name: slow
            container: {{image: alpine, command: [sh, -c], args: ["echo slow-token; sleep 2"]}}
          - name: second
            container: {{image: alpine, command: [sh, -c], args: ["{second}"]}}
        """)


@pytest.fixture
def shared_dir():
    """Outside /tmp: each pod of the local backend has a private /tmp."""
    folder = Path(tempfile.mkdtemp(prefix="argonb-kept-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def times(node: dict) -> tuple[str, str]:
    return node["startedAt"], node["finishedAt"]


@pytest.mark.timeout(120)
def test_retry_keeps_a_succeeded_nodes_times(shared_dir):
    marker = shared_dir / "go"
    first = run_recorded(workflow(marker), wait=True)
    assert first.phase == "Failed"
    before = first.node("slow")
    assert node_duration(before) >= 2
    marker.touch()
    again = retry("keeper", wait=True)
    assert again.phase == "Succeeded"
    kept = again.node("slow")
    assert times(kept) == times(before), "a kept node did not run again: its times stay"
    assert node_duration(kept) >= 2  # not start = finish = the retry's time
    assert kept["id"] in again.kept_from
    assert "slow-token" in again.logs("slow")


def resumed_run(shared_dir: Path):
    first = run_recorded(workflow(shared_dir / "go"), wait=True)
    resumed = resume_edited(workflow(shared_dir / "go", second="echo fixed"), "keeper", wait=True)
    assert resumed.phase == "Succeeded" and resumed.name != first.name
    return first, resumed


@pytest.mark.timeout(120)
def test_reuse_keeps_a_succeeded_nodes_times(shared_dir):
    first, resumed = resumed_run(shared_dir)
    kept = resumed.node("slow")
    assert times(kept) == times(first.node("slow")) and node_duration(kept) >= 2
    assert resumed.kept_from == {kept["id"]: first.name}


@pytest.mark.timeout(120)
def test_reuse_detail_pane_shows_the_original_runs_log_path(shared_dir):
    first, resumed = resumed_run(shared_dir)
    kept = resumed.node("slow")
    path = resumed.log_path(kept)  # the one place that knows: the original run's directory, old pod name
    assert path is not None and path.is_file(), path
    assert path.is_relative_to(first.run_dir) and "slow-token" in path.read_text()
    detail = node_detail_html(kept, log_path=path, kept_from=resumed.kept_from[kept["id"]])
    assert str(path) in detail and f"from {first.name}" in detail
    assert str(resumed.run_dir / "pods") not in detail


@pytest.mark.timeout(120)
def test_memoized_resubmit_stamps_kept_nodes_with_its_start_as_argo_does(shared_dir):
    """Unlike retry, Argo's `resubmit --memoized` gives kept nodes StartedAt = FinishedAt = now
    (`workflow/util/util.go FormulateResubmitWorkflow`)."""
    (shared_dir / "go").touch()
    first = run_recorded(workflow(shared_dir / "go"), wait=True)
    again = resubmit("keeper", memoized=True, wait=True)
    kept = again.node("slow")
    assert kept["id"] in again.kept_from
    assert kept["startedAt"] == kept["finishedAt"] >= first.node("slow")["finishedAt"]
