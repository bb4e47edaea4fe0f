"""The store under faults: values too big for a row, a store written by an earlier schema, listing without
parsing node statuses (issue 15, items 4, 5 and 7)."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from argonb.store import open_store
from argonb.store.db import SCHEMA, SCHEMA_VERSION
from tests.store.support import ROOT


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


HELLO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [sh, -c, "echo hi; head -c 100000 /dev/zero > /tmp/x"]}
"""


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 16 MiB tmpfs mounted for the test (root only), unmounted afterwards whatever happened."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(directory: Path) -> None:
    """Write zeros until the filesystem has no block left (big pieces first, then 4 KiB ones)."""
    with open(directory / "filler", "wb", buffering=0) as fh:
        for size in (1 << 20, 4096):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC


def _cli(home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARGONB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "argonb.cli.main", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def test_a_full_disk_records_the_runs_real_error_and_delete_gc_free_space(small_disk: Path, tmp_path: Path):
    """A full ARGONB_HOME for real (a 16 MiB tmpfs filled up): `list` and `get` work; `run` ends in Error with
    "No space left on device" naming the file, and that (not "interrupted") is what the store records, written
    in argonb's reserve; `delete` and `gc` free space. No command prints a traceback. Before the fix, the run was
    recorded as Error "interrupted", and `delete`/`gc` died with `sqlite3.OperationalError` tracebacks."""
    home = small_disk / "home"
    wf = tmp_path / "hello.yaml"
    wf.write_text(HELLO)
    first = _cli(home, tmp_path, "run", str(wf), "-o", "json")
    assert first.returncode == 0, first.stderr
    first_name = json.loads(first.stdout)["metadata"]["name"]
    reserve = {p.name: p.stat().st_size for p in home.iterdir() if p.is_file()}
    _fill(small_disk)

    for args in (("list",), ("get", "@latest")):
        got = _cli(home, tmp_path, *args)
        assert got.returncode == 0 and "Traceback" not in got.stderr, got.stderr
    run = _cli(home, tmp_path, "run", str(wf), "-o", "json")
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    name = json.loads(run.stdout[run.stdout.index("{"):])["metadata"]["name"]
    listed = {r["name"]: r for r in json.loads(_cli(home, tmp_path, "list", "-o", "json").stdout)}
    assert listed[name]["phase"] == "Error"
    assert "No space left on device" in listed[name]["message"] and "main.log" in listed[name]["message"]
    from argonb.store.reserve import RESERVE_BYTES, RESERVE_NAME

    assert reserve[RESERVE_NAME] == RESERVE_BYTES and not (home / RESERVE_NAME).exists()  # spent on the end
    assert "reserves" in run.stderr  # and the CLI said so

    deleted = _cli(home, tmp_path, "delete", first_name)
    assert deleted.returncode == 0 and "Traceback" not in deleted.stderr, deleted.stderr
    gc = _cli(home, tmp_path, "gc", "--older-than", "0s")
    assert gc.returncode == 0 and "Traceback" not in gc.stderr, gc.stderr
    assert json.loads(_cli(home, tmp_path, "list", "-o", "json").stdout) == []


def test_a_read_only_home_gives_one_line_errors_naming_the_path(small_disk: Path, tmp_path: Path):
    """A read-only ARGONB_HOME (the tmpfs remounted read-only): reading works, writing commands print one
    `argonb: error: <path>: ...` line with a hint and exit 1. Before the fix: raw OSError/sqlite3 tracebacks."""
    home = small_disk / "home"
    wf = tmp_path / "hello.yaml"
    wf.write_text(HELLO)
    assert _cli(home, tmp_path, "run", str(wf)).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    assert _cli(home, tmp_path, "list").returncode == 0
    for args in (("run", str(wf)), ("delete", "@latest"), ("gc", "--older-than", "0s")):
        got = _cli(home, tmp_path, *args)
        lines = got.stderr.strip().splitlines()
        assert got.returncode == 1 and "Traceback" not in got.stderr, (args, got.stderr)
        assert lines[-1].startswith(f"argonb: error: {home}") and "read-only" in lines[-1], (args, got.stderr)
    fresh = _cli(small_disk / "new-home", tmp_path, "list")
    assert fresh.returncode == 1 and fresh.stderr.startswith(f"argonb: error: {small_disk / 'new-home'}")


def test_a_run_whose_end_cannot_be_recorded_exits_1_and_says_so(home: Path, monkeypatch, capsys) -> None:
    """Every write of the writer refused as by a full disk, and no reserve left: the run Succeeds, but what the
    CLI says must agree with the store, which does not hold its end: an error line and exit 1."""
    from argonb.cli.main import main
    from argonb.store import recorder

    class FullDisk:
        def __init__(self, conn):
            pass

        def __enter__(self):
            raise sqlite3.OperationalError("database or disk is full")

        def __exit__(self, *exc):
            return None

    monkeypatch.setattr(recorder, "transaction", FullDisk)
    monkeypatch.setattr(recorder, "release_reserve", lambda home: False)
    wf = home.parent / "hello.yaml"
    wf.write_text(HELLO)
    code = main(["run", str(wf)])
    err = capsys.readouterr().err
    assert code == 1
    assert "the run ended Succeeded but the store could not record its end" in err.splitlines()[-1]
