"""Crash safety: `argonb run` (recording into the run store) killed with SIGKILL at random points never corrupts
the store; the next open marks the interrupted run Error "interrupted", and `argonb retry` completes it (and
survives being killed too). The seed of the random kill times is printed; set ARGONB_CRASH_SEED to replay."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from argonb.store import open_store
from tests.reliability.support import ROOT, wait_until

WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: crash-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: work, arguments: {parameters: [{name: n, value: "1"}]}}
    - - {name: b, template: work, arguments: {parameters: [{name: n, value: "{{steps.a.outputs.result}}"}]}}
      - {name: c, template: work, arguments: {parameters: [{name: n, value: "{{steps.a.outputs.result}}"}]}}
    - - {name: d, template: work, arguments: {parameters: [{name: n, value: "{{steps.b.outputs.result}}"}]}}
    - - {name: e, template: save, arguments: {parameters: [{name: n, value: "{{steps.d.outputs.result}}"}]}}
  - name: work
    inputs: {parameters: [{name: n}]}
    script: {image: alpine, command: [sh], source: "sleep 0.3; echo $(({{inputs.parameters.n}} + 1))"}
  - name: save
    inputs: {parameters: [{name: n}]}
    container: {image: alpine, command: [sh, -c, "mkdir -p /out; echo {{inputs.parameters.n}} > /out/n.txt"]}
    outputs: {artifacts: [{name: n, path: /out/n.txt}], parameters: [{name: n, valueFrom: {path: /out/n.txt}}]}
"""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "argonb.cli.main", *args]


def _integrity(home: Path) -> str:
    conn = sqlite3.connect(str(home / "argonb.db"))
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _runs_started(home: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{home / 'argonb.db'}?mode=ro", uri=True, timeout=0.2)
        try:
            return conn.execute("SELECT count(*) FROM runs WHERE finished IS NULL").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _kill_at_random(argv: list[str], home: Path, rng: random.Random, after_start: bool) -> float:
    """Start `argv`, SIGKILL it at a random moment (from process start, or after its run row exists)."""
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if after_start:
            wait_until(lambda: _runs_started(home) > 0 or proc.poll() is not None, 30, 0.01)
        delay = rng.uniform(0.0, 1.0) if after_start else rng.uniform(0.05, 1.5)  # the run takes >= 1.2 s
        time.sleep(delay)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    return delay


def _final_result(home: Path, name: str) -> str:
    with open_store(home) as st:
        nodes = st.nodes(name)
    return next(n for n in nodes.values() if n.get("displayName") == "e")["outputs"]["parameters"][0]["value"]


def test_sigkill_at_random_points_never_corrupts_the_store_and_retry_completes(tmp_path):
    seed = int(os.environ.get("ARGONB_CRASH_SEED") or random.randrange(10**6))
    print(f"ARGONB_CRASH_SEED={seed}")
    rng = random.Random(seed)
    home = tmp_path / "home"
    wf = tmp_path / "wf.yaml"
    wf.write_text(WORKFLOW)
    interrupted = retried_twice = 0
    for i in range(5):
        before = {r.name for r in open_store(home).list_runs()} if (home / "argonb.db").exists() else set()
        _kill_at_random(_cli("run", str(wf), "--home", str(home)), home, rng, after_start=i > 0)
        assert _integrity(home) == "ok" if (home / "argonb.db").exists() else True
        with open_store(home) as st:  # opening marks runs whose owner died
            new = [r for r in st.list_runs() if r.name not in before]
        assert _integrity(home) == "ok"
        for rec in new:
            assert rec.done, rec
            if rec.phase == "Succeeded":
                continue
            interrupted += 1
            assert (rec.phase, rec.message) == ("Error", "interrupted")
            if rng.random() < 0.5:  # kill the retry as well, then retry again
                _kill_at_random(_cli("retry", rec.name, "--wait", "--home", str(home)), home, rng, after_start=True)
                assert _integrity(home) == "ok"
                retried_twice += 1
                with open_store(home) as st:
                    rec = st.get_run(rec.name)
                if rec.phase == "Succeeded":
                    continue
            done = subprocess.run(_cli("retry", rec.name, "--wait", "--home", str(home), "-o", "json"), cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["status"]["phase"] == "Succeeded"
            assert _final_result(home, rec.name) == "4"  # a=2, b=3, d=4: kept outputs flowed into the retry
            assert _integrity(home) == "ok"
    assert interrupted >= 1, "no run was caught mid-flight; the kill window is wrong"
    listing = subprocess.run(_cli("list", "--home", str(home), "-o", "json"), cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
    assert listing.returncode == 0 and all(r["phase"] in ("Succeeded", "Error") for r in json.loads(listing.stdout))


def test_a_run_killed_before_it_was_registered_can_still_be_retried(tmp_path):
    """The window the random kills found: the writer had committed the run's first rows, but not yet the
    source YAML that `attach` registers, when the process died. Retry then refused ("no stored source")."""
    home = tmp_path / "home"
    wf = tmp_path / "wf.yaml"
    wf.write_text(WORKFLOW)
    script = (
        "import os, signal\n"
        "from argonb.store import recorder\n"
        "def attach(self, handle):\n"
        "    self.writer.flush(10)  # RunStarted and the first node rows are committed\n"
        "    os.kill(os.getpid(), signal.SIGKILL)  # ...and the process dies before registering the run\n"
        "recorder.RunRecorder.attach = attach\n"
        "from argonb.store import run_recorded\n"
        f"run_recorded({str(wf)!r}, home={str(home)!r})\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with open_store(home) as st:
        (rec,) = st.list_runs()
    assert (rec.phase, rec.message) == ("Error", "interrupted") and _integrity(home) == "ok"
    done = subprocess.run(_cli("retry", rec.name, "--wait", "--home", str(home)), cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _final_result(home, rec.name) == "4"
