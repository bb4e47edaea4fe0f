"""Docker backend: no container outlives the argonb process that started it. A SIGKILLed run's containers are
removed by its watchdog; `argonb gc` removes those whose process is gone anyway (a watchdog killed as well)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from argonb.backends.docker import LABEL_HOST, LABEL_PID, LABEL_RUN, _machine, cleanup_leftovers
from tests.docker.conftest import argonb_containers

REPO = Path(__file__).resolve().parents[2]
SLEEPER = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: sigkilled-docker-run}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [sleep, "300"]}
"""


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_sigkilled_docker_run_leaves_no_container(docker_client, tmp_path):
    wf = tmp_path / "wf.yaml"
    wf.write_text(SLEEPER)
    env = {**os.environ, "PYTHONPATH": str(REPO), "ARGONB_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "argonb.cli.main", "run", str(wf), "--backend", "docker"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert _wait(lambda: any(c["State"] == "running" for c in argonb_containers(docker_client)), 60)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        killed = time.monotonic()
        assert _wait(lambda: not argonb_containers(docker_client), 30), \
            [c["Names"] for c in argonb_containers(docker_client)]
        print(f"containers removed {time.monotonic() - killed:.1f} s after the SIGKILL")
    finally:
        if proc.poll() is None:
            proc.kill()
        cleanup_leftovers("sigkilled-docker-run", client=docker_client)


def test_gc_removes_containers_whose_argonb_process_is_gone(docker_client, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid with no process behind it
    labels = {LABEL_RUN: "gc-orphan-run", LABEL_PID: str(dead.pid), LABEL_HOST: _machine()}
    orphan = docker_client.containers.create("busybox", ["sleep", "300"], labels=labels, network_disabled=True)
    try:
        orphan.start()
        env = {**os.environ, "PYTHONPATH": str(REPO), "ARGONB_HOME": str(tmp_path / "home")}
        dry = subprocess.run([sys.executable, "-m", "argonb.cli.main", "gc", "--older-than", "7d", "--dry-run"],
                             env=env, capture_output=True, text=True, timeout=60)
        assert dry.returncode == 0 and f"would remove container {orphan.name}" in dry.stderr, dry.stderr
        assert argonb_containers(docker_client, "gc-orphan-run")
        done = subprocess.run([sys.executable, "-m", "argonb.cli.main", "gc", "--older-than", "7d"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and f"removed container {orphan.name}" in done.stderr, done.stderr
        assert not argonb_containers(docker_client, "gc-orphan-run")
    finally:
        cleanup_leftovers("gc-orphan-run", client=docker_client)
