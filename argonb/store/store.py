"""`Store`: reading and maintaining the run store (`<home>/argonb.db` plus `<home>/runs/<name>/`).

Owns: run lookup (`get_run` by name, unique prefix or `@latest`), node statuses, the Workflow object rebuilt
from rows (`to_workflow`, the same JSON as `argonb run -o json`), marking runs whose owning process died as
interrupted, control requests for other processes, `delete` and `gc`, and archiving an attempt before a retry.
Rows are only ever *created* by `RunRecorder` from the engine's events; this module reads them and tidies up.
Imports: argonb.errors, argonb.engine.timefmt, argonb.store.db, argonb.store.reserve.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argonb.engine.progress import COMPLETE_PHASES, EXECUTABLE_TYPES, progress
from argonb.engine.timefmt import rfc3339
from argonb.errors import ArgonbError
from argonb.rundir import RunDir, artifacts_dir, home_log_path, log_file_name, run_prefix
from argonb.store.db import HOST, connect, owner_alive, owner_token, prepare_home, transaction
from argonb.store.reserve import is_disk_full, release_reserve

LATEST = "@latest"
FULFILLED = ("Succeeded", "Failed", "Error", "Skipped", "Omitted")
INTERRUPTED = "interrupted"


class StoreError(ArgonbError):
    """A run-store operation that cannot be done as asked (bad reference, run still active, ...)."""


class RunNotFound(StoreError, LookupError):
    pass


class AmbiguousRun(StoreError, LookupError):
    pass


class RunActive(StoreError):
    pass


@dataclass
class RunRecord:
    """One row of `runs`, decoded."""

    name: str
    uid: str
    phase: str
    message: str
    created: float
    started: float | None
    finished: float | None
    source: str
    source_path: str
    parameters: dict[str, Any]
    templates: list[str]
    backend: str
    workflow: dict[str, Any]
    pid: int | None
    pid_token: str
    host: str
    attempt: int
    resumed_from: str
    resubmitted_from: str
    progress: tuple[int, int] = (0, 0)
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def done(self) -> bool:
        return self.finished is not None

    @property
    def active(self) -> bool:
        """Unfinished and its owning process is alive."""
        return not self.done and owner_alive(self.pid, self.pid_token, self.host)

    def duration(self, now: float | None = None) -> float | None:
        if self.started is None:
            return None
        return (self.finished or now or time.time()) - self.started


def _record(row: Any) -> RunRecord:
    return RunRecord(
        name=row["name"], uid=row["uid"], phase=row["phase"], message=row["message"], created=row["created"],
        started=row["started"], finished=row["finished"], source=row["source"], source_path=row["source_path"],
        parameters=json.loads(row["parameters"] or "{}"), templates=json.loads(row["templates"] or "[]"),
        backend=row["backend"], workflow=json.loads(row["workflow"] or "{}"), pid=row["pid"],
        pid_token=row["pid_token"], host=row["host"], attempt=row["attempt"], resumed_from=row["resumed_from"],
        resubmitted_from=row["resubmitted_from"],
    )


class Store:
    """A handle on one store; thread-safe (one connection behind a lock)."""

    def __init__(self, home: Path):
        self.home = home
        self.db = prepare_home(home)
        self._conn = connect(self.db)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_dir(self, name: str) -> Path:
        return RunDir.of(self.home, name).path

    # ---- reading ------------------------------------------------------------------------------------
    def list_runs(self) -> list[RunRecord]:
        """Every run, newest first, with Argo's progress (`argonb.engine.progress`, in SQL)."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM runs ORDER BY created DESC, name").fetchall()
            progress = {r[0]: (r[1], r[2]) for r in self._conn.execute(
                f"SELECT run, SUM(phase IN {COMPLETE_PHASES!r}), COUNT(*) FROM nodes"
                f" WHERE type IN {EXECUTABLE_TYPES!r} GROUP BY run")}
        records = [_record(r) for r in rows]
        for rec in records:
            rec.progress = progress.get(rec.name, (0, 0))
        return records

    def get_run(self, ref: str) -> RunRecord:
        """A run by full name, unique name prefix, or `@latest` (the most recently created)."""
        name = self.resolve(ref)
        with self._lock:
            row = self._conn.execute("SELECT * FROM runs WHERE name=?", (name,)).fetchone()
        if row is None:
            raise RunNotFound(f"no run {ref!r} in {self.home}")
        rec = _record(row)
        rec.nodes = self.nodes(name)
        rec.progress = progress(rec.nodes)
        return rec

    def resolve(self, ref: str) -> str:
        ref = ref.strip()
        with self._lock:
            if ref == LATEST:
                row = self._conn.execute("SELECT name FROM runs ORDER BY created DESC LIMIT 1").fetchone()
                if row is None:
                    raise RunNotFound(f"no runs in {self.home}")
                return str(row[0])
            if not ref:
                raise RunNotFound("empty run reference")
            if self._conn.execute("SELECT 1 FROM runs WHERE name=?", (ref,)).fetchone():
                return ref
            like = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            names = [r[0] for r in self._conn.execute(
                "SELECT name FROM runs WHERE name LIKE ? ESCAPE '\\' ORDER BY name", (like,))]
        if not names:
            raise RunNotFound(f"no run matches {ref!r} in {self.home}")
        if len(names) > 1:
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            raise AmbiguousRun(f"{ref!r} matches {len(names)} runs: {shown}")
        return str(names[0])

    def nodes(self, run: str | RunRecord) -> dict[str, dict[str, Any]]:
        """The run's latest node statuses keyed by node ID, in creation order."""
        run = run.name if isinstance(run, RunRecord) else run
        with self._lock:
            rows = self._conn.execute("SELECT node_id, status FROM nodes WHERE run=? ORDER BY seq",
                                      (run,)).fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

    def node_rows(self, run: str) -> list[dict[str, Any]]:
        """Nodes with argonb's extra (templateHash, reused, reusedFrom) and the log path (absolute)."""
        with self._lock:
            rows = self._conn.execute("SELECT node_id, status, extra, log_path FROM nodes WHERE run=? ORDER BY seq",
                                      (run,)).fetchall()
        return [{"id": r[0], "status": json.loads(r[1]), "extra": json.loads(r[2]),
                 "log": str(self.home / r[3]) if r[3] else ""} for r in rows]

    def attempts(self, run: str) -> list[dict[str, Any]]:
        """Earlier attempts of a retried run (oldest first)."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM attempts WHERE run=? ORDER BY attempt", (run,)).fetchall()
        return [dict(r) for r in rows]

    def attempt_nodes(self, run: str, attempt: int) -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute("SELECT node_id, status FROM attempt_nodes WHERE run=? AND attempt=?"
                                      " ORDER BY seq", (run, attempt)).fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

    def to_workflow(self, rec: RunRecord | str) -> dict[str, Any]:
        """The Workflow object with an Argo-shaped status, as `Run.to_workflow()` / `argonb run -o json`."""
        if isinstance(rec, str):
            rec = self.get_run(rec)
        wf = dict(rec.workflow)
        saved = dict(wf.get("status") or {})
        done, total = rec.progress
        finished = saved.get("finishedAt") if rec.phase == saved.get("phase") else None
        status: dict[str, Any] = {
            "phase": rec.phase,
            "startedAt": saved.get("startedAt") or (rfc3339(rec.started) if rec.started else None),
            "finishedAt": finished or (rfc3339(rec.finished) if rec.finished else None),
            "progress": f"{done}/{total}",
            "nodes": rec.nodes,
        }
        if rec.message:
            status["message"] = rec.message
        if saved.get("outputs") and rec.done:
            status["outputs"] = saved["outputs"]
        meta = dict(wf.get("metadata") or {"name": rec.name})
        meta["uid"] = rec.uid or meta.get("uid", "")  # a retried run keeps its first uid, as in Argo
        wf["metadata"] = meta
        wf["status"] = status
        return wf

    # ---- liveness -----------------------------------------------------------------------------------
    def mark_interrupted(self) -> list[str]:
        """Runs that are not finished and whose owning process is gone end in Error "interrupted" (and can
        be retried); their unfinished nodes too. Returns the names marked."""
        with self._lock:
            rows = self._conn.execute("SELECT name, pid, pid_token, host FROM runs WHERE finished IS NULL").fetchall()
        dead = [r for r in rows if not owner_alive(r["pid"], r["pid_token"], r["host"])]
        marked = []
        for r in dead:
            now = time.time()
            try:
                with self._lock, transaction(self._conn) as conn:
                    cur = conn.execute("UPDATE runs SET phase='Error', message=?, finished=?, updated=?"
                                       " WHERE name=? AND finished IS NULL AND pid IS ?",
                                       (INTERRUPTED, now, now, r["name"], r["pid"]))
                    if cur.rowcount:
                        self._interrupt_nodes(conn, r["name"], now)
                        marked.append(r["name"])
            except sqlite3.OperationalError as exc:
                if not (is_disk_full(exc) or "readonly" in str(exc)):
                    raise
                # a full or read-only store can still be read, and `delete`/`gc` must be able to free space:
                # the run stays unmarked until a later open can write
                break
        return marked

    def _interrupt_nodes(self, conn: Any, run: str, now: float) -> None:
        marks = ",".join("?" * len(FULFILLED))
        rows = conn.execute(f"SELECT node_id, status FROM nodes WHERE run=? AND phase NOT IN ({marks})",
                            (run, *FULFILLED)).fetchall()
        for node_id, status in rows:
            node = json.loads(status)
            node.update(phase="Error", message=INTERRUPTED, finishedAt=rfc3339(now))
            conn.execute("UPDATE nodes SET phase='Error', status=?, updated=? WHERE run=? AND node_id=?",
                         (json.dumps(node, separators=(",", ":")), now, run, node_id))

    # ---- control requests ---------------------------------------------------------------------------
    def request(self, ref: str, action: str, **arg: Any) -> RunRecord:
        """Ask the process that owns a running run to `stop`, `terminate` or `resume` it."""
        rec = self.get_run(ref)
        if not rec.active:
            raise RunActive(f"run {rec.name} is not running (phase {rec.phase})")
        with self._lock, transaction(self._conn) as conn:
            conn.execute("INSERT INTO requests (run, action, arg, created) VALUES (?, ?, ?, ?)",
                         (rec.name, action, json.dumps(arg), time.time()))
        return rec

    def request_handled(self, name: str) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT COUNT(*) FROM requests WHERE run=? AND handled IS NULL",
                                     (name,)).fetchone()
        return row[0] == 0

    # ---- retry bookkeeping --------------------------------------------------------------------------
    def archive_attempt(self, rec: RunRecord, parameters: dict[str, Any], keep: set[str]) -> None:
        """Before a retry: copy the current nodes to `attempt_nodes`, summarise the attempt, clear `nodes` and
        reopen the run row for the next attempt. Pod directories of nodes not in `keep` move under
        `runs/<name>/attempts/<n>/` so that the new attempt starts with empty pod directories."""
        moved = self._move_pod_dirs(rec, keep)
        now = time.time()
        with self._lock, transaction(self._conn) as conn:
            conn.execute("INSERT OR REPLACE INTO attempts (run, attempt, phase, message, started, finished, parameters)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", (rec.name, rec.attempt, rec.phase, rec.message, rec.started,
                                                           rec.finished, json.dumps(rec.parameters)))
            conn.execute("INSERT OR REPLACE INTO attempt_nodes (run, attempt, node_id, name, phase, status, extra,"
                         " log_path, seq) SELECT run, ?, node_id, name, phase, status, extra, log_path, seq"
                         " FROM nodes WHERE run=?", (rec.attempt, rec.name))
            for old, new in moved.items():
                conn.execute("UPDATE attempt_nodes SET log_path=? WHERE run=? AND attempt=? AND log_path=?",
                             (new, rec.name, rec.attempt, old))
            conn.execute("DELETE FROM nodes WHERE run=?", (rec.name,))
            conn.execute("UPDATE requests SET handled=? WHERE run=? AND handled IS NULL", (now, rec.name))
            # owned by this process from now on, so nobody takes the reopened run for an interrupted one
            conn.execute("UPDATE runs SET attempt=attempt+1, phase='Pending', message='', finished=NULL, updated=?,"
                         " parameters=?, pid=?, pid_token=?, host=? WHERE name=?",
                         (now, json.dumps(parameters), os.getpid(), owner_token(), HOST, rec.name))

    def _move_pod_dirs(self, rec: RunRecord, keep: set[str]) -> dict[str, str]:
        moved: dict[str, str] = {}
        base = RunDir.of(self.home, rec.name)
        for node_id, node in rec.nodes.items():
            pod = node.get("podName")
            src = base.pod_dir(str(pod))
            if not pod or node_id in keep or not src.is_dir():
                continue
            dest = base.attempt_pod_dir(rec.attempt, str(pod))
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(dest, ignore_errors=True)
            src.rename(dest)
            moved[home_log_path(rec.name, str(pod))] = str((dest / log_file_name()).relative_to(self.home))
        return moved

    def set_outcome(self, name: str, phase: str, message: str) -> None:
        now = time.time()
        with self._lock, transaction(self._conn) as conn:
            conn.execute("UPDATE runs SET phase=?, message=?, finished=?, updated=? WHERE name=?",
                         (phase, message, now, now, name))

    # ---- retention ----------------------------------------------------------------------------------
    def delete(self, ref: str | RunRecord, *, force: bool = False) -> str:
        """Remove a run: its rows, its run directory and the artifacts no other run still uses. Pod
        directories that later runs reused (their logs) move into the first such run's directory."""
        rec = ref if isinstance(ref, RunRecord) else self.get_run(ref)
        if rec.active and not force:
            raise RunActive(f"run {rec.name} is still running (pid {rec.pid}); stop it first")
        self._hand_over_shared_pods(rec.name)
        # keys argonb generated look like `<workflow>/<workflow>-<pod>/<file>`; user-chosen `s3.key`s are
        # shared storage and never deleted
        roots = {rec.name} | {parts[0] for parts in (k.split("/") for k in _artifact_keys(rec.nodes.values()))
                              if len(parts) == 3 and parts[1].startswith(parts[0] + "-")}
        with self._lock:
            remaining = {r[0] for r in self._conn.execute("SELECT name FROM runs WHERE name!=?", (rec.name,))}
        try:
            self._delete_rows(rec.name)
        except sqlite3.OperationalError as exc:
            if not is_disk_full(exc):
                raise
            # a full disk: even deleting rows needs room in the WAL. Remove the files first (what the user
            # asked for anyway), then try again, and last in the space argonb reserves for such writes.
            self._delete_files(rec.name, roots - remaining)
            try:
                self._delete_rows(rec.name)
            except sqlite3.OperationalError as again:
                if not (is_disk_full(again) and release_reserve(self.home)):
                    raise
                self._delete_rows(rec.name)
        self._delete_files(rec.name, roots - remaining)
        return rec.name

    def _delete_rows(self, name: str) -> None:
        with self._lock, transaction(self._conn) as conn:
            for table in ("nodes", "attempt_nodes", "attempts", "requests"):
                conn.execute(f"DELETE FROM {table} WHERE run=?", (name,))
            conn.execute("DELETE FROM runs WHERE name=?", (name,))

    def _delete_files(self, name: str, artifact_roots: set[str]) -> None:
        """The run directory, then its artifacts and those of deleted runs it kept alive by reusing them."""
        shutil.rmtree(self.run_dir(name), ignore_errors=True)
        for root in sorted(artifact_roots):
            self._delete_artifacts(root)

    def gc(self, older_than_seconds: float) -> list[str]:
        """Delete every finished run that finished more than `older_than_seconds` ago (oldest first)."""
        self.mark_interrupted()
        cutoff = time.time() - older_than_seconds
        with self._lock:
            names = [r[0] for r in self._conn.execute(
                "SELECT name FROM runs WHERE finished IS NOT NULL AND finished < ? ORDER BY finished", (cutoff,))]
        return [self.delete(self.get_run(name)) for name in names]

    def _hand_over_shared_pods(self, name: str) -> None:
        prefix = run_prefix(name)
        with self._lock:
            rows = self._conn.execute(
                "SELECT run, log_path FROM nodes WHERE run!=? AND log_path LIKE ? ESCAPE '\\' ORDER BY rowid",
                (name, prefix.replace("_", "\\_").replace("%", "\\%") + "%")).fetchall()
        for run, log_path in rows:
            src = (self.home / log_path).parent
            dest = RunDir.of(self.home, run).pod_dir(src.name)
            if src.is_dir() and not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                src.rename(dest)
            if dest.exists():
                with self._lock, transaction(self._conn) as conn:
                    conn.execute("UPDATE nodes SET log_path=? WHERE log_path=?",
                                 (str((dest / log_file_name()).relative_to(self.home)), log_path))

    def _delete_artifacts(self, name: str) -> None:
        """Remove `artifacts/<name>/` except files a remaining run's nodes still point to (reused outputs)."""
        root = artifacts_dir(self.home) / name
        if not root.is_dir():
            return
        keep = {artifacts_dir(self.home) / key for key in self._artifact_keys_in_use(name)}
        for path in sorted(root.rglob("*"), reverse=True):
            if path in keep or any(k.is_relative_to(path) for k in keep):
                continue
            if path.is_dir():
                try:
                    path.rmdir()
                except OSError:
                    pass
            else:
                path.unlink(missing_ok=True)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)

    def _artifact_keys_in_use(self, root: str) -> set[str]:
        with self._lock:
            rows = self._conn.execute("SELECT status FROM nodes WHERE instr(status, ?) > 0",
                                      (f'"{root}/',)).fetchall()
        return {k for k in _artifact_keys(json.loads(r[0]) for r in rows) if k.startswith(f"{root}/")}


def _artifact_keys(nodes: Any) -> set[str]:
    """Repository keys of the input and output artifacts of node statuses."""
    keys: set[str] = set()
    for node in nodes:
        for section in (node.get("inputs") or {}, node.get("outputs") or {}):
            for art in section.get("artifacts") or []:
                key = str((art.get("s3") or {}).get("key") or "")
                if key:
                    keys.add(key)
    return keys


def open_store(home: str | Path | None = None) -> Store:
    """Open (creating if needed) the store under `home` (default `$ARGONB_HOME` or `./.argonb`), after
    marking runs whose owning process died as interrupted."""
    from argonb.engine.api import home_dir

    store = Store(home_dir(home).resolve())  # absolute: the local backend mis-handles a relative run dir
    store.mark_interrupted()
    return store
