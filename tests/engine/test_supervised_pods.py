"""Plain pods on the local backend go through the spawn helper and the shared supervisor thread
(argonb/backends/supervisor.py): the same results as the threaded path, bounded concurrency, logs on disk,
spawn errors reported, and a dead helper never hangs a run (ARGO-SEMANTICS §5.1, §5.3)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

import argonb
from argonb.backends import leftovers
from argonb.backends import supervisor as supervision
from tests.reliability import support

pytestmark = pytest.mark.skipif(not supervision.supported(), reason="no epoll / SOCK_SEQPACKET on this platform")


@pytest.fixture(autouse=True)
def helper_ready():
    """Pods use the helper once it has said it is up (until then a thread starts them): wait for that, so these
    tests exercise the supervised path."""
    assert supervision.wait_ready(30)


def _fan(n: int, command: str) -> str:
    tasks = "".join(f"          - {{name: t{i}, template: work, arguments: {{parameters: [{{name: i, value: '{i}'}}]}}}}\n"
                    for i in range(n))
    return (
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: Workflow\n"
        "metadata: {name: fan}\n"
        "spec:\n"
        "  entrypoint: main\n"
        "  templates:\n"
        "    - name: main\n"
        "      dag:\n"
        "        tasks:\n"
        f"{tasks}"
        "    - name: work\n"
        "      inputs: {parameters: [{name: i}]}\n"
        f"      container: {{image: alpine, command: [sh, -c], args: [\"{command}\"]}}\n"
    )


def test_max_workers_bounds_pods_running_at_once_s5_1(tmp_path):
    """Each pod prints when it starts and ends (nanoseconds); with max_workers=2 no three intervals overlap."""
    now = "python3 -c 'import time; print(time.time_ns())'"
    text = _fan(6, f"{now}; sleep 0.3; {now}")
    run = argonb.run(text, home=tmp_path, max_workers=2).wait(60)
    assert run.phase == "Succeeded", run.message
    spans = [tuple(int(x) for x in n["outputs"]["result"].split()) for n in run.nodes.values() if n["type"] == "Pod"]
    assert len(spans) == 6
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    assert peak <= 2


def test_logs_on_disk_stdout_link_and_both_streams_s5_3(tmp_path):
    text = _fan(3, "if [ {{inputs.parameters.i}} = 1 ]; then echo out; echo err >&2; echo out2; "
                   "elif [ {{inputs.parameters.i}} = 2 ]; then true; else echo only-out; fi")
    run = argonb.run(text, home=tmp_path).wait(60)
    assert run.phase == "Succeeded", run.message
    pods = {n["displayName"]: run.run_dir / "pods" / n["podName"] for n in run.nodes.values() if n["type"] == "Pod"}
    only = pods["t0"]
    assert (only / "main.log").read_text() == "only-out\n" == (only / "stdout.log").read_text()
    assert not (only / "stderr.log").exists()
    both = pods["t1"]
    assert (both / "stdout.log").read_text() == "out\nout2\n"
    assert (both / "stderr.log").read_text() == "err\n"
    assert sorted((both / "main.log").read_text().split()) == ["err", "out", "out2"]
    quiet = pods["t2"]
    assert (quiet / "main.log").read_text() == ""  # every pod has its main.log
    assert not (quiet / "stdout.log").exists() and not (quiet / "stderr.log").exists()


def test_a_program_that_does_not_exist_ends_the_node_in_error_s5_1(tmp_path):
    text = _fan(1, "x").replace("command: [sh, -c]", "command: [no-such-program-argonb]")
    run = argonb.run(text, home=tmp_path).wait(60)
    pod = next(n for n in run.nodes.values() if n["type"] == "Pod")
    assert pod["phase"] == "Error" and "executable file not found" in pod["message"]
    assert (run.run_dir / "pods" / pod["podName"] / "main.log").exists()


def test_a_killed_spawn_helper_fails_its_pods_and_the_next_run_works(tmp_path):
    text = _fan(2, "sleep 30")
    run = argonb.run(text, home=tmp_path)
    helper = supervision.supervisor().spawner()
    deadline = time.time() + 30
    while sum(1 for _, proc in list(helper._pods.values()) if proc.pid) < 2 and time.time() < deadline:
        time.sleep(0.05)  # both pods started by the helper
    os.kill(helper.helper.pid, signal.SIGKILL)
    run.wait(60)
    assert run.done and run.phase in ("Failed", "Error")
    pods = [n for n in run.nodes.values() if n["type"] == "Pod"]
    assert all(n["phase"] == "Error" and "spawn helper exited" in n["message"] for n in pods), pods
    again = argonb.run(_fan(2, "echo ok"), home=tmp_path).wait(60)
    assert again.phase == "Succeeded", again.message


def test_without_a_spawn_helper_pods_run_on_threads(tmp_path, monkeypatch):
    """A platform or sandbox where the helper cannot start (no SOCK_SEQPACKET, an interpreter that cannot be
    re-run) still runs every pod, the threaded way."""
    import argonb.backends.local as local

    class NoHelper:
        def spawner(self):
            raise OSError("no helper here")

    monkeypatch.setattr(local, "supervisor", lambda: NoHelper())
    run = argonb.run(_fan(3, "echo {{inputs.parameters.i}}"), home=tmp_path).wait(60)
    assert run.phase == "Succeeded", run.message
    assert sorted(n["outputs"]["result"] for n in run.nodes.values() if n["type"] == "Pod") == ["0", "1", "2"]


ADOPT = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: adopt}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [sh, -c, COMMAND]}
"""


def test_the_helper_adopts_reaps_and_kills_what_a_pod_left_and_nothing_else(tmp_path):
    """The helper is a child subreaper: a pod's double-forked, setsid'd grandchild is orphaned to it, killed
    once the pod ended, and reaped (no zombie). A process that is not a pod's descendant, even one with the
    same session-less shape, is never touched."""
    escaped, unrelated = support.marker(), support.marker()
    bystander = subprocess.Popen(["sleep", unrelated], start_new_session=True, env={"HOME": str(tmp_path)})
    daemon = ("python3 -c 'import os, sys; os.fork() and os._exit(0); os.setsid(); os.fork() and os._exit(0); "
              f"os.execvp(\"sleep\", [\"sleep\", sys.argv[1]])' {escaped} >/dev/null 2>&1; sleep 0.3")
    text = ADOPT.replace("COMMAND", json.dumps(daemon))
    try:
        run = argonb.run(text, home=tmp_path).wait(60)
        assert run.phase == "Succeeded", run.message
        assert support.wait_gone(f"^sleep {escaped}") == []
        helper = supervision.supervisor().spawner().helper.pid
        assert support.wait_until(lambda: not [p for p in leftovers.children(helper)
                                                if (leftovers.stat(p) or ("Z",))[0] == "Z"], 10)
        assert bystander.poll() is None  # not ours: alive
    finally:
        support.kill_all(f"^sleep {escaped}")
        bystander.kill()
        bystander.wait()
