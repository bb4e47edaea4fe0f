"""No process is ever left behind (issue 9): stop, deadline, normal end, and the parent killed with SIGKILL —
including grandchildren that fork into the background inside the pod's process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import argonb

ROOT = Path(__file__).resolve().parents[2]


def _alive(marker: str) -> list[str]:
    out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    return [pid for pid in out if int(pid) != os.getpid()]


def _wait_gone(marker: str, timeout: float = 10) -> list[str]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not _alive(marker):
            return []
        time.sleep(0.05)
    return _alive(marker)


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


def _marker() -> str:
    return f"{300 + uuid.uuid4().int % 600}.{uuid.uuid4().int % 10**6}"


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
