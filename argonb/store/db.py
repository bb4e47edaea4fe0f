"""The SQLite file behind the run store: schema, connections, and process identity.

Owns: the schema of `<home>/argonb.db` (WAL mode), how a connection is opened (busy timeout, owner-only
file modes) and how a row's owning process is recognised as alive (`owner_token`, `owner_alive`).
Imports: argonb.store.reserve.

Tables
  runs           one row per workflow name: phase, message, times, source YAML, parameters, backend, the
                 Workflow object (status without nodes), owning pid, attempt number, links to other runs
  nodes          the latest attempt's node statuses (Argo-shaped JSON) plus argonb's extra (templateHash...)
  attempts       one row per earlier attempt of a retried run (phase, message, times, parameters)
  attempt_nodes  the node statuses of those earlier attempts, archived by `retry`
  requests       cross-process control: stop / terminate / resume asked by another process
"""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

from argonb.store.reserve import ensure_reserve

DB_NAME = "argonb.db"
BUSY_TIMEOUT_MS = 10_000
SCHEMA_VERSION = 2  # 2: nodes.type, so that listing runs never parses node statuses

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    name TEXT PRIMARY KEY,
    uid TEXT NOT NULL DEFAULT '',
    phase TEXT NOT NULL DEFAULT 'Pending',
    message TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    updated REAL NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    source_path TEXT NOT NULL DEFAULT '',
    parameters TEXT NOT NULL DEFAULT '{}',
    templates TEXT NOT NULL DEFAULT '[]',
    backend TEXT NOT NULL DEFAULT '',
    workflow TEXT NOT NULL DEFAULT '{}',
    pid INTEGER,
    pid_token TEXT NOT NULL DEFAULT '',
    host TEXT NOT NULL DEFAULT '',
    attempt INTEGER NOT NULL DEFAULT 1,
    resumed_from TEXT NOT NULL DEFAULT '',
    resubmitted_from TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS nodes (
    run TEXT NOT NULL,
    node_id TEXT NOT NULL,
    name TEXT NOT NULL,
    phase TEXT NOT NULL,
    status TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',
    log_path TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL,
    updated REAL NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run, node_id)
);
CREATE INDEX IF NOT EXISTS nodes_by_name ON nodes (run, name);
CREATE TABLE IF NOT EXISTS attempts (
    run TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    phase TEXT NOT NULL,
    message TEXT NOT NULL,
    started REAL,
    finished REAL,
    parameters TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run, attempt)
);
CREATE TABLE IF NOT EXISTS attempt_nodes (
    run TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    node_id TEXT NOT NULL,
    name TEXT NOT NULL,
    phase TEXT NOT NULL,
    status TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',
    log_path TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL,
    PRIMARY KEY (run, attempt, node_id)
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL,
    action TEXT NOT NULL,
    arg TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    handled REAL
);
CREATE INDEX IF NOT EXISTS requests_open ON requests (run, handled);
"""


def db_path(home: Path) -> Path:
    return home / DB_NAME


def prepare_home(home: Path) -> Path:
    """Create the home directory (0700) and the db file (0600) if missing; return the db path.

    Only directories and files argonb creates get these modes: an existing home chosen by the user is left
    as it is. SQLite gives the -wal and -shm files the db file's mode.
    """
    if not home.exists():
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = db_path(home)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    ensure_reserve(home)
    return path


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit `BEGIN IMMEDIATE`s), WAL, busy timeout."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _enable_wal(conn)
    # NORMAL is durable against process crashes in WAL mode (only an OS crash can lose the last commits).
    conn.execute("PRAGMA synchronous = NORMAL")
    if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        with transaction(conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            _add_node_type(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return conn


def _add_node_type(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: a store written by an earlier argonb gets `nodes.type`, filled from the statuses once."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(nodes)")}
    if "type" not in columns:
        conn.execute("ALTER TABLE nodes ADD COLUMN type TEXT NOT NULL DEFAULT ''")
        conn.execute("UPDATE nodes SET type=coalesce(json_extract(status, '$.type'), '')")


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. SQLite does not run the busy handler for this switch, so two processes opening a new
    store at once can get "database is locked": retry until the busy timeout."""
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class transaction:
    """`with transaction(conn):` a short write transaction taken with BEGIN IMMEDIATE, so two writers
    queue on the busy timeout instead of failing with SQLITE_BUSY on lock upgrade."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


# ---- process identity ---------------------------------------------------------------------------------
HOST = socket.gethostname()


def owner_token(pid: int | None = None) -> str:
    """The kernel's start time of process `pid` (Linux /proc), so a recycled pid is not taken for the owner.
    Empty where /proc is unavailable (then only the pid is checked)."""
    try:
        stat = Path(f"/proc/{pid or os.getpid()}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else ""


def owner_alive(pid: int | None, token: str, host: str) -> bool:
    """Whether the process that owns a run is still running. A run owned by another host is assumed alive
    (its pid means nothing here)."""
    if host and host != HOST:
        return True
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    if stat[stat.rfind(")") + 2:].split()[:1] == ["Z"]:  # killed but not yet reaped by its parent
        return False
    return not token or owner_token(pid) == token
