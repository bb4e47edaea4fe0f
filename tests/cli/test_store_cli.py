"""The run-store sub-commands in real subprocesses: list/get/logs/retry/resubmit/stop/resume/delete/gc and
`run --reuse`, their exit codes, and `@latest` / prefix references."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FLAKY = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {{generateName: flaky-}}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {{name: first, template: rand}}
        - - {{name: check, template: check}}
      - name: rand
        script: {{image: python, command: [python], source: "import random; print(random.random())"}}
      - name: check
        container: {{image: alpine, command: [sh, -c, 'test -f "$(echo {marker} | tr @ /)" && echo checked']}}
    """)

SUSPEND = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {name: approval}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: approve, template: approve}
        - - {name: after, template: say}
      - name: approve
        suspend: {}
      - name: say
        container: {image: alpine, command: [sh, -c, "echo approved"]}
    """)

CHATTY = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {{name: chatty}}
    spec:
      entrypoint: main
      templates:
      - name: main
        script:
          image: python
          command: [python]
          source: |
            import os, time
            marker = {marker!r}.replace('@', '/')
            print('before', flush=True)
            deadline = time.time() + 20
            while not os.path.exists(marker) and time.time() < deadline:
                time.sleep(0.02)
            print('after')
    """)


class Cli:
    def __init__(self, home: Path, cwd: Path):
        self.cwd = cwd
        self.env = {**os.environ, "ARGONB_HOME": str(home), "PYTHONPATH": str(ROOT)}
        self.started: list[subprocess.Popen[str]] = []

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "argonb.cli.main", *args]

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), cwd=self.cwd, env=self.env, capture_output=True, text=True,
                              timeout=60)

    def start(self, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(self.argv(*args), cwd=self.cwd, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.started.append(proc)
        return proc


@pytest.fixture
def cli(_argonb_home: Path, tmp_path: Path):
    runner = Cli(_argonb_home, tmp_path)
    yield runner
    for proc in runner.started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stored(cli: Cli, ref: str) -> dict:
    result = cli("get", ref, "-o", "json")
    return json.loads(result.stdout) if result.returncode == 0 else {}


def node_phase(wf: dict, display: str) -> str | None:
    for node in (wf.get("status") or {}).get("nodes", {}).values():
        if node.get("displayName") == display:
            return node.get("phase")
    return None


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_list_get_and_references(cli: Cli, tmp_path: Path) -> None:
    marker = tmp_path / "ok"
    wf = write(tmp_path, "flaky.yaml", FLAKY.format(marker=str(marker).replace("/", "@")))
    failed = cli("run", wf, "-o", "json")
    assert failed.returncode == 1
    marker.write_text("")
    ok = cli("run", wf, "-o", "json")
    assert ok.returncode == 0
    names = cli("list", "-o", "name").stdout.split()
    ok_name, failed_name = json.loads(ok.stdout)["metadata"]["name"], json.loads(failed.stdout)["metadata"]["name"]
    assert names == [ok_name, failed_name]
    assert stored(cli, "@latest") == json.loads(ok.stdout)  # the same JSON as `run -o json`
    assert stored(cli, failed_name[:-1]) == json.loads(failed.stdout)
    text = cli("get", failed_name)
    assert text.returncode == 0 and "Status:   Failed" in text.stdout and "check" in text.stdout
    assert failed_name in cli("list").stdout
    missing = cli("get", "nope")
    assert missing.returncode == 2 and "no run matches 'nope'" in missing.stderr and "Traceback" not in missing.stderr
    ambiguous = cli("get", "flaky-")
    assert ambiguous.returncode == 2 and "matches 2 runs" in ambiguous.stderr
    assert cli("get", "@latest", "-o", "yaml").returncode == 2  # argparse usage error


def test_retry_in_background_then_logs(cli: Cli, tmp_path: Path) -> None:
    marker = tmp_path / "ok"
    wf = write(tmp_path, "flaky.yaml", FLAKY.format(marker=str(marker).replace("/", "@")))
    assert cli("run", wf).returncode == 1
    before = stored(cli, "@latest")
    name = before["metadata"]["name"]
    marker.write_text("")
    started = cli("retry", "@latest")
    assert started.returncode == 0 and f"Workflow '{name}' retry started" in started.stdout
    after = wait_for(lambda: (wf := stored(cli, name)) and wf["status"]["phase"] == "Succeeded" and wf,
                     what="the background retry to finish")
    first = [n for n in after["status"]["nodes"].values() if n["displayName"] == "first"][0]
    old_first = [n for n in before["status"]["nodes"].values() if n["displayName"] == "first"][0]
    assert first["outputs"] == old_first["outputs"]
    logs = cli("logs", name)
    assert logs.returncode == 0 and f"first: {first['outputs']['result']}" in logs.stdout and "check: checked" in logs.stdout
    assert cli("logs", name, "check").stdout == "checked\n"
    assert cli("logs", name, "nope").returncode == 2
    assert cli("retry", name).returncode == 2  # a succeeded run needs --node and --restart-successful
    again = cli("retry", name, "--node", "check", "--restart-successful", "--wait", "-o", "json")
    assert again.returncode == 0 and json.loads(again.stdout)["status"]["phase"] == "Succeeded"
    assert "Attempt:  3" in cli("get", name).stdout


def test_resubmit_and_run_reuse(cli: Cli, tmp_path: Path) -> None:
    marker = tmp_path / "ok"
    marker.write_text("")
    wf = write(tmp_path, "flaky.yaml", FLAKY.format(marker=str(marker).replace("/", "@")))
    assert cli("run", wf).returncode == 0
    first = stored(cli, "@latest")
    memo = cli("resubmit", "@latest", "--memoized", "--wait", "-o", "json")
    assert memo.returncode == 0
    memo_wf = json.loads(memo.stdout)
    assert memo_wf["metadata"]["name"] != first["metadata"]["name"]
    edited = write(tmp_path, "edited.yaml", Path(wf).read_text().replace("echo checked", "echo checked twice"))
    resumed = cli("run", edited, "--reuse", first["metadata"]["name"], "-o", "json")
    assert resumed.returncode == 0
    nodes = {n["displayName"]: n for n in json.loads(resumed.stdout)["status"]["nodes"].values()}
    assert nodes["first"]["outputs"] == next(n for n in first["status"]["nodes"].values()
                                             if n["displayName"] == "first")["outputs"]
    assert nodes["check"]["outputs"]["result"] == "checked twice"
    assert cli("run", edited, "--reuse", "nope").returncode == 2


def test_stop_and_resume_another_process(cli: Cli, tmp_path: Path) -> None:
    wf = write(tmp_path, "approval.yaml", SUSPEND)
    first = cli.start("run", wf)
    wait_for(lambda: node_phase(stored(cli, "approval"), "approve") == "Running", what="the suspend node")
    resumed = cli("resume", "approval")
    assert resumed.returncode == 0, resumed.stderr
    assert first.wait(30) == 0 and stored(cli, "approval")["status"]["phase"] == "Succeeded"
    assert cli("resume", "approval").returncode == 2  # not running any more

    second = cli.start("run", wf)
    wait_for(lambda: node_phase(stored(cli, "approval"), "approve") == "Running", what="the suspend node")
    stopped = cli("stop", "approval")
    assert stopped.returncode == 0, stopped.stderr
    assert second.wait(30) == 1
    wf_json = stored(cli, "approval")
    assert wf_json["status"]["phase"] == "Failed" and "Stop" in wf_json["status"]["message"]
    assert cli("stop", "approval").returncode == 2


def test_logs_follow_a_run_in_another_process(cli: Cli, tmp_path: Path) -> None:
    marker = tmp_path / "go"
    wf = write(tmp_path, "chatty.yaml", CHATTY.format(marker=str(marker).replace("/", "@")))
    runner = cli.start("run", wf)
    wait_for(lambda: node_phase(stored(cli, "chatty"), "chatty") == "Running", what="the pod to start")
    follower = cli.start("logs", "chatty", "-f")
    marker.write_text("")
    out, _ = follower.communicate(timeout=30)
    assert runner.wait(30) == 0
    assert follower.returncode == 0 and out == "chatty: before\nchatty: after\n"


def test_delete_and_gc(cli: Cli, tmp_path: Path, _argonb_home: Path) -> None:
    marker = tmp_path / "ok"
    marker.write_text("")
    wf = write(tmp_path, "flaky.yaml", FLAKY.format(marker=str(marker).replace("/", "@")))
    for _ in range(3):
        assert cli("run", wf).returncode == 0
    names = cli("list", "-o", "name").stdout.split()
    deleted = cli("delete", names[0], "nope")
    assert deleted.returncode == 2 and f"'{names[0]}' deleted" in deleted.stdout
    assert not (_argonb_home / "runs" / names[0]).exists()
    assert cli("gc", "--older-than", "soon").returncode == 2
    assert cli("gc", "--older-than", "7d").stdout == ""
    dry = cli("gc", "--older-than", "0s", "--dry-run")
    assert dry.returncode == 0 and sorted(dry.stdout.split()[2::3]) == sorted(names[1:])
    assert cli("gc", "--older-than", "0").returncode == 0
    assert cli("list", "-o", "name").stdout == ""
