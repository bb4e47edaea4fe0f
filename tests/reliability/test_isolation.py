"""Isolation: 20 runs at once in one process (as in one notebook kernel) and 4 `argonb run` processes sharing
one ARGONB_HOME never cross outputs, logs or artifacts: every run's outputs, logs and artifact files hold its
own unique token and no other run's, although all of them write the same container paths."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

from argonb.store import open_store, run_recorded
from tests.reliability.support import ROOT

WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: isolated-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: token}]}
  templates:
  - name: main
    dag:
      tasks:
      - {name: produce, template: produce, arguments: {parameters: [{name: i, value: x}]}}
      - {name: fan, template: produce, arguments: {parameters: [{name: i, value: "{{item}}"}]}, withItems: [0, 1, 2]}
      - name: consume
        template: consume
        dependencies: [produce]
        arguments: {artifacts: [{name: in, from: "{{tasks.produce.outputs.artifacts.out}}"}]}
  - name: produce
    inputs: {parameters: [{name: i}]}
    container:
      image: alpine
      command: [sh, -c, "echo {{workflow.parameters.token}} > /tmp/t.txt; mkdir -p /out; echo {{workflow.parameters.token}} > /out/a.txt; sleep 0.2; cat /tmp/t.txt"]
    outputs:
      parameters: [{name: p, valueFrom: {path: /tmp/t.txt}, globalName: "tok{{inputs.parameters.i}}"}]
      artifacts: [{name: out, path: /out/a.txt}]
  - name: consume
    inputs: {artifacts: [{name: in, path: /in/a.txt}]}
    container: {image: alpine, command: [sh, -c, "cat /in/a.txt; ls /tmp; echo {{workflow.parameters.token}}"]}
"""


def _artifact_texts(home: Path, nodes: dict) -> list[str]:
    texts = []
    for node in nodes.values():
        for art in (node.get("outputs") or {}).get("artifacts") or []:
            with tarfile.open(home / "artifacts" / art["s3"]["key"]) as tf:
                for member in tf.getmembers():
                    if member.isfile():
                        texts.append(tf.extractfile(member).read().decode())
    return texts


def _check_run(token: str, others: set[str], name: str, nodes: dict, outputs: dict, logs: str, home: Path) -> None:
    by_name = {n["displayName"]: n for n in nodes.values()}
    assert {k: v for k, v in outputs.items() if k.startswith("tok")} == {f"tok{i}": token for i in "x012"}
    for node in ["produce", "fan(0:0)", "fan(1:1)", "fan(2:2)"]:
        assert by_name[node]["outputs"]["result"] == token
    assert by_name["consume"]["outputs"]["result"] == f"{token}\n{token}"  # its own /tmp is empty
    artifacts = _artifact_texts(home, nodes)
    assert len(artifacts) == 4 and all(text == f"{token}\n" for text in artifacts)
    assert logs.count(token) == 6
    blob = json.dumps(nodes) + logs + "".join(artifacts)
    assert not [t for t in others if t in blob], f"run {name} holds another run's token"


def test_twenty_concurrent_runs_in_one_process_do_not_cross(_argonb_home):
    tokens = [uuid.uuid4().hex for _ in range(20)]
    runs = [run_recorded(WORKFLOW, {"token": t}) for t in tokens]
    for run in runs:
        run.wait(120)
    for token, run in zip(tokens, runs, strict=True):
        assert run.phase == "Succeeded", run.message
        _check_run(token, set(tokens) - {token}, run.name, run.nodes, run.outputs.get("parameters") or {},
                   run.logs(), _argonb_home)
    with open_store(_argonb_home) as st:  # the store agrees with the live handles
        for token, run in zip(tokens, runs, strict=True):
            assert st.get_run(run.name).parameters == {"token": token}
            assert st.nodes(run.name) == run.nodes


def test_four_processes_sharing_one_home_do_not_cross(tmp_path):
    home = tmp_path / "shared-home"
    wf = tmp_path / "wf.yaml"
    wf.write_text(WORKFLOW)
    tokens = [uuid.uuid4().hex for _ in range(4)]
    procs = [subprocess.Popen([sys.executable, "-m", "argonb.cli.main", "run", str(wf), "-p", f"token={t}",
                               "--home", str(home), "-o", "json"], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for t in tokens]
    results = [p.communicate(timeout=180) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err[-2000:]
    names = [json.loads(out)["metadata"]["name"] for out, _ in results]
    assert len(set(names)) == 4
    with open_store(home) as st:
        assert {r.name for r in st.list_runs()} == set(names)
        for token, name in zip(tokens, names, strict=True):
            rec = st.get_run(name)
            assert rec.phase == "Succeeded" and rec.parameters == {"token": token}
            outputs = {p["name"]: p["value"] for p in st.to_workflow(rec)["status"]["outputs"]["parameters"]}
            logs = subprocess.run([sys.executable, "-m", "argonb.cli.main", "logs", name, "--home", str(home)],
                                  cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
            _check_run(token, set(tokens) - {token}, name, st.nodes(name), outputs, logs, home)
    conn = sqlite3.connect(str(home / "argonb.db"))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
