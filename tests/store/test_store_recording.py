"""The recorder and the store: rows match the live run, file modes, concurrency, interrupted runs."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from argonb.store import open_store, run_recorded
from argonb.store.db import owner_token
from tests.store.support import ROOT

FANOUT = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: fan-}
    spec:
      entrypoint: main
      arguments: {parameters: [{name: who, value: world}]}
      templates:
      - name: main
        steps:
        - - {name: hi, template: hi, withItems: [1, 2, 3, 4, 5, 6], arguments: {parameters: [{name: n, value: "{{item}}"}]}}
        - - {name: bye, template: hi, arguments: {parameters: [{name: n, value: "{{workflow.parameters.who}}"}]}}
      - name: hi
        inputs: {parameters: [{name: n}]}
        container: {image: alpine, command: [sh, -c, "echo hello {{inputs.parameters.n}}"]}
    """)


def test_recorded_run_matches_live_run(home: Path, tmp_path: Path) -> None:
    handle = run_recorded(FANOUT, {"who": "store"}, wait=True)
    assert handle.phase == "Succeeded"
    with open_store() as store:
        rec = store.get_run(handle.name)
        assert (rec.phase, rec.parameters, rec.progress, rec.attempt) == ("Succeeded", {"who": "store"}, (7, 7), 1)
        assert rec.source == FANOUT and rec.backend == "local" and rec.pid == os.getpid()
        assert store.to_workflow(rec) == json.loads(json.dumps(handle.to_workflow()))
        logs = {r["status"]["displayName"]: Path(r["log"]).read_text() for r in store.node_rows(rec.name) if r["log"]}
    assert logs["bye"] == "hello store\n" and len(logs) == 7


def test_store_files_are_private_and_wal(home: Path) -> None:
    run_recorded(FANOUT, wait=True)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "argonb.db").stat().st_mode) == 0o600
    conn = sqlite3.connect(home / "argonb.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_two_processes_record_into_one_store(cli, home: Path, tmp_path: Path) -> None:
    wf = tmp_path / "fan.yaml"
    wf.write_text(FANOUT)
    procs = [subprocess.Popen(cli.argv("run", str(wf), "-o", "json"), cwd=tmp_path, env=cli.env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for _ in range(2)]
    outputs = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    with open_store() as store:
        names = sorted(r.name for r in store.list_runs())
        assert names == sorted(o["metadata"]["name"] for o in outputs)
        for out in outputs:
            rec = store.get_run(out["metadata"]["name"])
            assert rec.phase == "Succeeded" and len(rec.nodes) == len(out["status"]["nodes"]) == 10
            assert store.to_workflow(rec) == out
    conn = sqlite3.connect(home / "argonb.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_dead_owner_marks_run_interrupted_but_live_owner_does_not(home: Path) -> None:
    with open_store() as store:
        conn = sqlite3.connect(store.db)
        rows = [("live", os.getpid(), owner_token()), ("recycled", os.getpid(), "not-my-start-time"),
                ("dead", _dead_pid(), "")]
        for name, pid, token in rows:
            conn.execute("INSERT INTO runs (name, phase, created, started, updated, pid, pid_token, host)"
                         " VALUES (?, 'Running', 1, 1, 1, ?, ?, '')", (name, pid, token))
            conn.execute("INSERT INTO nodes (run, node_id, name, phase, status, seq, updated)"
                         " VALUES (?, 'n1', ?, 'Running', ?, 1, 1)",
                         (name, name, json.dumps({"id": "n1", "phase": "Running", "type": "Pod"})))
        conn.commit()
        assert sorted(store.mark_interrupted()) == ["dead", "recycled"]
        assert store.get_run("live").phase == "Running"
        dead = store.get_run("dead")
        assert (dead.phase, dead.message, dead.done) == ("Error", "interrupted", True)
        assert dead.nodes["n1"]["phase"] == "Error" and dead.nodes["n1"]["message"] == "interrupted"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"], cwd=ROOT)
    proc.wait()
    return proc.pid


def test_recorder_is_cheap_per_event(home: Path) -> None:
    """Thousands of events queue in well under a second; the writer batches them."""
    import time

    from argonb.engine.events import NodeUpdated, RunStarted
    from argonb.store import RunRecorder

    with open_store() as store:
        rec = RunRecorder(store.db)
        rec.on_event(RunStarted(run_id="bulk", seq=1, time=time.time(), workflow_name="bulk"))
        start = time.perf_counter()
        for i in range(5000):
            rec.on_event(NodeUpdated(run_id="bulk", seq=i + 2, time=time.time(), node_id=f"n{i % 50}",
                                     phase="Running", node={"id": f"n{i % 50}", "name": f"bulk.n{i % 50}"}))
        assert time.perf_counter() - start < 1.0
        assert rec.wait_flushed()
        assert len(store.nodes("bulk")) == 50
