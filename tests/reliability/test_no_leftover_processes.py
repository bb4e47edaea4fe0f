"""No process is ever left behind (issue 9): stop, deadline, normal end, and the parent killed with SIGKILL —
including grandchildren that fork into the background inside the pod's process group."""

from __future__ import annotations

import json
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


def test_a_grandchild_that_calls_setsid_is_killed_with_the_run(tmp_path):
    """`setsid sleep &` leaves the pod's process group and session; the spawn helper, a child subreaper, adopts
    it once its shell dies and kills it (it used to survive: docs/reliability.md)."""
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
        assert _wait_gone(marker) == []
        assert _wait_gone(escaped) == []
    finally:
        support.kill_all(escaped)


# ---- descendants that regrouped themselves (issue 15, item 10) ---------------------------------------------
# A container's end kills everything in it. `setpgid` leaves the pod's process group (not its session);
# `setsid` after a double fork leaves both. Each way a pod ends must reach them, on both paths.

ESCAPES = {
    "setpgid": "python3 -c 'import os, sys; os.setpgid(0, 0); os.execvp(\"sleep\", [\"sleep\", sys.argv[1]])' "
               "{m} >/dev/null 2>&1 &",
    "setsid-double-fork": "python3 -c 'import os, sys; os.fork() and os._exit(0); os.setsid(); os.fork() and "
                          "os._exit(0); os.execvp(\"sleep\", [\"sleep\", sys.argv[1]])' {m} >/dev/null 2>&1;",
}

THREADED_RUN = """
import argonb
from argonb.backends.local import LocalBackend

class Threaded(LocalBackend):  # every pod on a worker thread of its own, as init containers and sidecars are
    def start(self, *args, **kwargs):
        return False
"""


def _escaping_workflow(escape: str, escaped: str, then: str, template_extra: str = "") -> str:
    command = json.dumps(["sh", "-c", f"{ESCAPES[escape].format(m=escaped)} {then}"])
    return _yaml(f"""
    entrypoint: main
    templates:
    - name: main{template_extra}
      container: {{image: alpine, command: {command}}}
    """)


def _backend(path: str):
    from argonb.backends import supervisor
    from argonb.backends.local import LocalBackend

    if path == "supervised":
        assert supervisor.wait_ready(30)
        return LocalBackend()

    class Threaded(LocalBackend):
        def start(self, *args, **kwargs):
            return False

    return Threaded()


@pytest.mark.parametrize("escape", sorted(ESCAPES))
@pytest.mark.parametrize("path", ["threaded", "supervised"])
@pytest.mark.parametrize("end", ["pod-end", "stop", "deadline"])
def test_a_grandchild_that_left_the_group_dies_with_the_pod(path, escape, end):
    escaped, main = _marker(), _marker()
    if end == "pod-end":  # main exits at once; nothing of the pod holds its pipes
        text = _escaping_workflow(escape, escaped, "sleep 0.5")
    else:
        text = _escaping_workflow(escape, escaped, f"sleep {main}",
                                  "\n      activeDeadlineSeconds: 2" if end == "deadline" else "")
    try:
        run = argonb.run(text, backend=_backend(path))
        if end == "stop":
            _started(escaped, 1)
            _started(main, 1)
            run.stop()
        run.wait(60)
        assert run.done
        assert run.phase == {"pod-end": "Succeeded", "stop": "Failed", "deadline": "Failed"}[end], run.message
        assert _wait_gone(escaped) == []
        assert _wait_gone(main) == []
    finally:
        support.kill_all(escaped)
        support.kill_all(main)


@pytest.mark.parametrize("escape", sorted(ESCAPES))
@pytest.mark.parametrize("path", ["threaded", "supervised"])
def test_a_grandchild_that_left_the_group_dies_when_the_parent_is_killed(tmp_path, path, escape):
    escaped, main = _marker(), _marker()
    text = _escaping_workflow(escape, escaped, f"sleep {main}")
    if path == "supervised":
        script = ("import argonb\nfrom argonb.backends import supervisor\nassert supervisor.wait_ready(30)\n"
                  f"argonb.run({text!r}, home={str(tmp_path)!r}).wait()")
    else:
        script = THREADED_RUN + f"argonb.run({text!r}, home={str(tmp_path)!r}, backend=Threaded()).wait()"
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        _started(escaped, 1)
        _started(main, 1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    try:
        assert _wait_gone(escaped) == []
        assert _wait_gone(main) == []
    finally:
        support.kill_all(escaped)
        support.kill_all(main)


def test_the_pod_end_spares_processes_of_pods_still_running():
    """The helper kills what it adopted only once that process's pod has ended: a setsid'd grandchild of a
    pod that still runs lives on meanwhile (a container's processes live as long as it does)."""
    escaped, long_main = _marker(), _marker()
    command = json.dumps(["sh", "-c", f"{ESCAPES['setsid-double-fork'].format(m=escaped)} sleep {long_main}"])
    text = _yaml(f"""
    entrypoint: main
    templates:
    - name: main
      dag:
        tasks:
        - {{name: long, template: long}}
        - {{name: short, template: short}}
    - name: long
      container: {{image: alpine, command: {command}}}
    - name: short
      container: {{image: alpine, command: [sh, -c, "sleep 0.3"]}}
    """)
    try:
        run = argonb.run(text, backend=_backend("supervised"))
        _started(escaped, 1)
        assert support.wait_until(lambda: (run.node("short") or {}).get("phase") == "Succeeded", 30)
        time.sleep(1.5)  # the helper's sweeps after a pod end last 1 s
        assert len(_alive(escaped)) == 1  # its pod (long) still runs
        run.stop()
        run.wait(60)
        assert _wait_gone(escaped) == [] and _wait_gone(long_main) == []
    finally:
        support.kill_all(escaped)
        support.kill_all(long_main)


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


CONTAINER_SET = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: ctrset-}
spec:
  entrypoint: main
  templates:
  - name: main
    volumes: [{name: workspace, emptyDir: {}}]
    containerSet:
      volumeMounts: [{mountPath: /workspace, name: workspace}]
      containers:
      - {name: slow, image: alpine, command: [sh, -c, "sleep 1.5; echo late > /workspace/out"]}
      - {name: main, image: alpine, command: [sh, -c, "true"]}
    outputs:
      parameters: [{name: out, valueFrom: {path: /workspace/out}}]
"""


def test_one_containers_end_does_not_kill_a_sibling_container_of_the_same_pod_s5_6():
    """A containerSet's containers share the pod (§5.6), and its private root as HOME: the leftover sweep after
    `main` ended used to kill `slow` by that HOME (exit 137). Only a pod's end may take its processes."""
    for _ in range(3):
        run = argonb.run(CONTAINER_SET).wait(60)
        assert run.phase == "Succeeded", [(n["displayName"], n["phase"], n.get("message")) for n in run.nodes.values()]
        assert run.node(run.name)["outputs"]["parameters"][0]["value"] == "late"  # the pod node holds them
