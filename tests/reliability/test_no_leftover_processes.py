"""No process is ever left behind (issue 9): stop, deadline, normal end, and the parent killed with SIGKILL —
including grandchildren that fork into the background inside the pod's process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import argonb
from tests.reliability import support

ROOT = Path(__file__).resolve().parents[2]


def _alive(marker: str) -> list[int]:
    """The pod's `sleep <marker>` processes (not the Python process whose source mentions the marker)."""
    return support.alive(f"^sleep {marker}")


def _wait_gone(marker: str, timeout: float = 30) -> list[int]:
    return support.wait_gone(f"^sleep {marker}", timeout)


def _workflow(marker: str) -> str:
    # `sleep <marker>` is a unique, greppable command line; one copy runs in the background (a grandchild)
    return textwrap.dedent(f"""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {{generateName: leftovers-}}
    spec:
      entrypoint: main
      templates:
      - name: main
        container:
          image: alpine
          command: [sh, -c, "sleep {marker} & sleep {marker}; true"]
    """)


_marker = support.marker


def test_parent_killed_with_sigkill_takes_its_pods_and_their_grandchildren_along(tmp_path):
    marker = _marker()
    script = (f"import argonb, sys; r = argonb.run({_workflow(marker)!r}, home={str(tmp_path)!r}); "
              "print('started', flush=True); r.wait()")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline and len(_alive(marker)) < 2:
        time.sleep(0.05)
    assert len(_alive(marker)) >= 2, "the pod and its background grandchild should be running"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert _wait_gone(marker) == []


def test_stop_kills_the_whole_process_group():
    marker = _marker()
    run = argonb.run(_workflow(marker))
    deadline = time.time() + 20
    while time.time() < deadline and len(_alive(marker)) < 2:
        time.sleep(0.05)
    run.stop()
    run.wait(30)
    assert run.done and run.phase == "Failed"
    assert _wait_gone(marker) == []


def test_background_grandchild_is_killed_when_the_pod_ends():
    marker = _marker()
    text = _workflow(marker).replace(f"sleep {marker} & sleep {marker}; true", f"sleep {marker} & true")
    run = argonb.run(text).wait(30)
    assert run.phase == "Succeeded"
    assert _wait_gone(marker) == []


# ---- more ways a run can end (issue: reliability floor) -------------------------------------------------------


def _yaml(body: str) -> str:
    return textwrap.dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: leftovers-}
    spec:
    """) + textwrap.indent(textwrap.dedent(body), "  ")


def _started(marker: str, count: int = 2) -> None:
    assert support.wait_until(lambda: len(_alive(marker)) >= count, 30), f"expected {count} processes of {marker}"


def test_template_timeout_kills_the_pod_and_its_grandchildren():
    marker = _marker()
    run = argonb.run(_workflow(marker).replace("  - name: main\n", "  - name: main\n    timeout: 1s\n"))
    run.wait(60)
    assert run.phase == "Failed" and "deadline" in run.node(run.name)["message"]
    assert _wait_gone(marker) == []


def test_workflow_active_deadline_kills_the_pod_and_its_grandchildren():
    marker = _marker()
    run = argonb.run(_workflow(marker).replace("  entrypoint: main\n",
                                               "  entrypoint: main\n  activeDeadlineSeconds: 1\n"))
    run.wait(60)
    assert run.done and run.phase == "Failed"
    assert _wait_gone(marker) == []


@pytest.mark.parametrize("path", ["threaded", "supervised"])
def test_an_exception_while_supervising_a_pod_kills_it_and_errors_the_node(path):
    """Both ways the local backend runs a pod: a worker thread per pod (`run`), or the shared supervisor thread
    fed by the spawn helper (`start`)."""
    from argonb.backends import supervisor
    from argonb.backends.local import LocalBackend

    if path == "supervised":
        assert supervisor.wait_ready(30)
    running_when_it_exploded: list[int] = []

    def explode(stream, line):
        running_when_it_exploded.append(len(_alive(marker)))
        raise RuntimeError("log sink exploded")

    class Exploding(LocalBackend):  # the engine's log sink raising in the middle of a pod's output
        def run(self, request, on_log, cancel):
            return super().run(request, explode, cancel)

        def start(self, request, on_log, cancel, on_exit):
            return path == "supervised" and super().start(request, explode, cancel, on_exit)

    marker = _marker()
    text = _workflow(marker).replace(f'"sleep {marker} & sleep {marker}; true"',
                                     f'"sleep {marker} & sleep 0.3; echo started; sleep {marker}"')
    with support.TracebackCatcher() as caught:
        run = argonb.run(text, backend=Exploding()).wait(60)
    assert run.phase == "Error" and "log sink exploded" in run.node(run.name)["message"]
    assert running_when_it_exploded == [2]  # the pod and its background grandchild
    assert caught.records  # the worker logged the bug; it did not escape
    assert _wait_gone(marker) == []


def test_an_engine_error_ends_the_run_in_error_and_kills_its_pods():
    marker = _marker()
    run = argonb.run(_workflow(marker))
    _started(marker)

    def engine_bug() -> None:
        raise RuntimeError("simulated engine bug")

    with support.TracebackCatcher():
        run._rt.post(engine_bug)  # a callback on the run loop raising, as an engine bug would
        run.wait(60)
    assert run.phase == "Error" and "simulated engine bug" in run.message
    assert _wait_gone(marker) == []


def test_a_subscriber_that_raises_is_swallowed_and_stop_still_cleans_up():
    marker = _marker()

    def bad_subscriber(event) -> None:
        raise ValueError("subscriber bug")

    with support.TracebackCatcher() as caught:
        run = argonb.run(_workflow(marker), subscribers=[bad_subscriber])
        run.subscribe(bad_subscriber)
        _started(marker)
        run.stop()
        run.wait(60)
    assert run.done and run.phase == "Failed"
    assert caught.records and all("subscriber" in r.getMessage() for r in caught.records)
    assert _wait_gone(marker) == []


def test_cli_run_killed_with_sigkill_takes_its_pods_along(tmp_path):
    marker = _marker()
    path = tmp_path / "wf.yaml"
    path.write_text(_workflow(marker))
    proc = subprocess.Popen([sys.executable, "-m", "argonb.cli.main", "run", str(path), "--home", str(tmp_path / "h")],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _started(marker)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert _wait_gone(marker) == []


def test_a_grandchild_that_calls_setsid_leaves_the_group_and_survives_documented(tmp_path):
    """Known limit (docs/reliability.md): a process that double-forks *and* calls setsid() leaves the pod's
    process group, so neither the group kill nor the watchdog reaches it, as with `nohup setsid` on any
    machine. Containers (the docker backend) do not have this hole. If this test fails, argonb learnt to
    catch such processes: update the docs."""
    marker, escaped = _marker(), _marker()
    text = _workflow(marker).replace(f'"sleep {marker} & sleep {marker}; true"',
                                     f'"setsid sleep {escaped} & sleep {marker} & sleep {marker}"')
    script = (f"import argonb; r = argonb.run({text!r}, home={str(tmp_path)!r}); r.wait()")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        _started(marker)
        _started(escaped, 1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    try:
        assert _wait_gone(marker) == []  # everything still in the pod's group is gone
        assert len(_alive(escaped)) == 1  # the setsid one escaped (it is its own session leader now)
    finally:
        support.kill_all(escaped)


SIDECAR_AND_DAEMON = """
entrypoint: main
templates:
- name: main
  steps:
  - - {name: server, template: server}
  - - {name: work, template: work}
- name: server
  daemon: true
  container: {image: alpine, command: [sh, -c, "sleep DAEMON & sleep DAEMON"]}
- name: work  # waits until the daemon and its own sidecar run (`[s]leep` does not match this shell itself)
  container: {image: alpine, command: [sh, -c, "until pgrep -f '[s]leep DAEMON' && pgrep -f '[s]leep SIDECAR'; do sleep 0.05; done; echo main is done"]}
  sidecars:
  - {name: helper, image: alpine, command: [sh, -c, "sleep SIDECAR & sleep SIDECAR"]}
"""


def test_sidecars_and_daemons_are_killed_with_their_grandchildren():
    daemon, sidecar = _marker(), _marker()
    text = _yaml(SIDECAR_AND_DAEMON.replace("DAEMON", daemon).replace("SIDECAR", sidecar))
    run = argonb.run(text).wait(60)
    assert run.phase == "Succeeded", run.message
    assert _wait_gone(daemon) == [] and _wait_gone(sidecar) == []


def test_stop_kills_sidecars_and_daemons():
    daemon, sidecar, main = _marker(), _marker(), _marker()
    text = _yaml(SIDECAR_AND_DAEMON.replace("DAEMON", daemon).replace("SIDECAR", sidecar)
                 .replace("echo main is done", f"sleep {main}"))
    run = argonb.run(text)
    _started(daemon)
    _started(sidecar)
    _started(main, 1)
    run.stop()
    run.wait(60)
    assert run.done and run.phase == "Failed"
    assert _wait_gone(daemon) == [] and _wait_gone(sidecar) == [] and _wait_gone(main) == []


def test_parent_killed_while_sidecars_and_daemons_run(tmp_path):
    daemon, sidecar, main = _marker(), _marker(), _marker()
    text = _yaml(SIDECAR_AND_DAEMON.replace("DAEMON", daemon).replace("SIDECAR", sidecar)
                 .replace("echo main is done", f"sleep {main}"))
    proc = subprocess.Popen([sys.executable, "-c", f"import argonb; argonb.run({text!r}, home={str(tmp_path)!r}).wait()"],
                            cwd=ROOT)
    try:
        _started(daemon)
        _started(sidecar)
        _started(main, 1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert _wait_gone(daemon) == [] and _wait_gone(sidecar) == [] and _wait_gone(main) == []


def _kernel_with_a_running_pod(marker: str, tmp_path: Path):
    jupyter_client = __import__("pytest").importorskip("jupyter_client")
    __import__("pytest").importorskip("ipykernel")
    km = jupyter_client.KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(ROOT), env={**os.environ, "ARGONB_HOME": str(tmp_path / "home"),
                                        "PYTHONPATH": str(ROOT)})
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    kc.execute(f"import argonb\nrun = argonb.run({_workflow(marker)!r})")
    _started(marker)
    return km, kc


def test_kernel_shutdown_kills_the_pods_it_started(tmp_path):
    marker = _marker()
    km, kc = _kernel_with_a_running_pod(marker, tmp_path)
    try:
        km.shutdown_kernel(now=False)  # "Restart kernel" / closing the notebook: a clean shutdown
    finally:
        kc.stop_channels()
    assert _wait_gone(marker) == []


def test_kernel_killed_kills_the_pods_it_started(tmp_path):
    marker = _marker()
    km, kc = _kernel_with_a_running_pod(marker, tmp_path)
    try:
        km.shutdown_kernel(now=True)  # the kernel process is killed outright (SIGKILL)
    finally:
        kc.stop_channels()
    assert _wait_gone(marker) == []


def test_stop_kills_an_init_container_and_its_grandchildren():
    marker = _marker()
    run = argonb.run(_yaml(f"""
    entrypoint: main
    templates:
    - name: main
      initContainers:
      - {{name: setup, image: alpine, command: [sh, -c, "sleep {marker} & sleep {marker}"]}}
      container: {{image: alpine, command: [echo, never]}}
    """))
    _started(marker)
    run.stop()
    run.wait(60)
    assert run.done and run.phase == "Failed"
    assert _wait_gone(marker) == []
