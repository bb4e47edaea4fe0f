"""The store under faults: values too big for a row, a store written by an earlier schema, listing without
parsing node statuses (issue 15, items 4, 5 and 7)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from argonb.store import open_store
from argonb.store.db import SCHEMA, SCHEMA_VERSION


def test_list_counts_pods_without_parsing_node_statuses(home: Path) -> None:
    """`list` reads each node's type from its own column: a status it cannot parse (or a huge one) is never
    parsed. Before the fix, `list` ran json_extract over every status (+552 MB RSS for one 256 MiB value)."""
    with open_store() as store:
        conn = sqlite3.connect(store.db)
        conn.execute("INSERT INTO runs (name, phase, created, updated) VALUES ('r', 'Succeeded', 1, 1)")
        conn.execute("INSERT INTO nodes (run, node_id, name, phase, status, seq, updated, type)"
                     " VALUES ('r', 'n1', 'r.a', 'Succeeded', '{not json', 1, 1, 'Pod')")
        conn.commit()
        (rec,) = store.list_runs()
    assert rec.progress == (1, 1)


def test_a_store_of_schema_1_gets_the_node_type_column(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home / "argonb.db")
    old_schema = SCHEMA.replace("    type TEXT NOT NULL DEFAULT '',\n", "")
    assert old_schema != SCHEMA and SCHEMA_VERSION == 2
    conn.executescript(old_schema + "; PRAGMA user_version = 1;")
    conn.execute("INSERT INTO runs (name, phase, created, updated) VALUES ('r', 'Succeeded', 1, 1)")
    for i, kind in enumerate(("Steps", "Pod", "Pod")):
        conn.execute("INSERT INTO nodes (run, node_id, name, phase, status, seq, updated)"
                     " VALUES ('r', ?, ?, 'Succeeded', ?, ?, ?)", (f"n{i}", f"r.{i}", json.dumps({"type": kind}), i,
                                                                  time.time()))
    conn.commit()
    conn.close()
    with open_store() as store:
        (rec,) = store.list_runs()
        assert rec.progress == (2, 2)
    assert sqlite3.connect(home / "argonb.db").execute("PRAGMA user_version").fetchone()[0] == 2


BIG_VALUE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: big-value}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: big, template: write, arguments: {parameters: [{name: size, value: "300000"}]}}
      - {name: small, template: write, arguments: {parameters: [{name: size, value: "10"}]}}
  - name: write
    inputs: {parameters: [{name: size}]}
    container:
      image: alpine
      command: [sh, -c, "head -c {{inputs.parameters.size}} /dev/zero | tr '\\\\0' a > /tmp/out"]
    outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
"""


def _small_rows(monkeypatch, limit: int = 200_000) -> None:
    """Every connection of the store's writer refuses values over `limit` bytes ("string or blob too big"),
    as SQLite does past its own limit; the store's readers are unaffected."""
    from argonb.store import recorder

    real = recorder.connect

    def connect(path):
        conn = real(path)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limit)
        return conn

    monkeypatch.setattr(recorder, "connect", connect)


def test_a_value_the_store_refuses_does_not_lose_the_batch_or_the_final_phase(home: Path, monkeypatch,
                                                                              capsys) -> None:
    """One value too big for a row is written without the node's inputs/outputs (with a note), everything else
    of its batch is written, and the run's end is recorded; `argonb run` warns about it. Before the fix the whole
    batch was dropped: the run stayed Running in the store and was later marked Error "interrupted"."""
    from argonb.cli.main import main

    _small_rows(monkeypatch)
    wf = home.parent / "big.yaml"
    wf.write_text(BIG_VALUE)
    code = main(["run", str(wf)])
    err = capsys.readouterr().err
    assert code == 0
    assert "argonb: warning: run store" in err and "node big-value" in err and "string or blob too big" in err
    with open_store() as store:
        rec = store.get_run("big-value")
        assert (rec.phase, rec.finished is not None) == ("Succeeded", True)
        nodes = {n["displayName"]: n for n in rec.nodes.values()}
    assert nodes["big"]["phase"] == "Succeeded" and "outputs" not in nodes["big"]
    assert "could not record this node's inputs and outputs" in nodes["big"]["message"]
    assert nodes["small"]["outputs"]["parameters"][0]["value"] == "a" * 10
    assert nodes["big-value"]["phase"] == "Succeeded"
