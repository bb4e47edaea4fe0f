"""`argonb run`: exit codes, JSON document shape, text output (issue 3 §10)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def argonb(*args: str, home: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARGONB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "argonb.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wf.yaml"
    path.write_text(text)
    return path


OK = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: cli-ok}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    container: {image: alpine, command: [echo, "hello {{workflow.parameters.who}}"]}
"""


def test_seed_pipeline_runs_end_to_end(tmp_path):
    result = argonb("run", "examples/build-push-deploy.yaml", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "run-tests: All tests passed." in result.stdout
    assert "Succeeded" in result.stdout


def test_json_output_is_one_argo_shaped_document(tmp_path):
    result = argonb("run", str(write(tmp_path, OK)), "-o", "json", "-p", "who=argonb", home=tmp_path)
    assert result.returncode == 0, result.stderr
    wf = json.loads(result.stdout)
    assert wf["status"]["phase"] == "Succeeded"
    assert wf["status"]["progress"] == "1/1"
    node = wf["status"]["nodes"]["cli-ok"]
    for key in ("id", "name", "displayName", "type", "templateName", "phase", "boundaryID", "startedAt",
                "finishedAt", "outputs"):
        assert key in node
    assert node["outputs"]["result"] == "hello argonb"
    assert node["outputs"]["exitCode"] == "0"
    assert "cli-ok: hello argonb" in result.stderr  # logs go to stderr in json mode


def test_failed_workflow_exits_1(tmp_path):
    result = argonb("run", str(write(tmp_path, OK.replace("[echo,", "[sh, -c, 'exit 4', "))), home=tmp_path)
    assert result.returncode == 1
    assert "Failed" in result.stdout


def test_invalid_input_exits_2_with_located_error_and_no_traceback(tmp_path):
    bad = OK.replace("entrypoint: main", "entrypoint: mian")
    result = argonb("run", str(write(tmp_path, bad)), home=tmp_path)
    assert result.returncode == 2
    assert "wf.yaml:5:" in result.stderr
    assert "Traceback" not in result.stderr
    missing = argonb("run", str(tmp_path / "nope.yaml"), home=tmp_path)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    bad_param = argonb("run", str(write(tmp_path, OK)), "-p", "novalue", home=tmp_path)
    assert bad_param.returncode == 2 and "NAME=VALUE" in bad_param.stderr


def test_interrupt_stops_the_run_and_exits_130(tmp_path):
    marker = f"{60 + os.getpid() % 1000}.{time.time_ns() % 10**6}"  # a command line no other test runs
    text = OK.replace('[echo, "hello {{workflow.parameters.who}}"]', f"[sleep, '{marker}']")
    env = {**os.environ, "ARGONB_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "argonb.cli.main", "run", str(write(tmp_path, text))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    pods = tmp_path / "runs" / "cli-ok" / "pods"
    deadline = time.time() + 20
    while time.time() < deadline and not (pods.exists() and any(pods.iterdir())):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    # the sleep's process group is gone
    leftover = subprocess.run(["pgrep", "-f", f"^sleep {marker}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


def test_version():
    result = subprocess.run([sys.executable, "-m", "argonb.cli.main", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("argonb ")
