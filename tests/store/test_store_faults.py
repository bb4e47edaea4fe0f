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
