"""`RunRecorder`: the engine-event subscriber that writes runs into the store, and its per-process writer.

Owns: turning `RunStarted` / `NodeUpdated` / `RunFinished` into rows, batching them (one writer thread per
process and db file, one short transaction per batch of what arrived in 50 ms, at most 200 items; at once on
`RunFinished`), and
applying control requests (stop / terminate / resume) that other processes leave in the `requests` table for
runs this process owns. `NodeLog` events are ignored: full logs are already files in the run directory.
A batch that fails is written item by item, an item that fails without its bulky parts, and what a full disk
refuses is written with the run's end into the reserve (`store/reserve.py`); what could not be recorded as it
was is kept in `problems` / `end_lost` for the caller to report.
Imports: argonb.engine.events, argonb.store.db, argonb.store.reserve.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from argonb.engine.events import Event, NodeLog, NodeUpdated, RunFinished, RunStarted
from argonb.rundir import home_log_path
from argonb.store.db import HOST, connect, owner_token, transaction
from argonb.store.reserve import RESERVE_NAME, is_disk_full, release_reserve

log = logging.getLogger("argonb.store")

BATCH_SECONDS = 0.05
BATCH_ITEMS = 200
REQUEST_POLL_SECONDS = 0.2
FINISH_FLUSH_TIMEOUT = 10.0


@dataclass
class _Item:
    kind: str  # event | finished | register | barrier
    event: Event | None = None
    data: dict[str, Any] = field(default_factory=dict)
    done: threading.Event | None = None


def compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)


class _Writer:
    """The single writer thread of one process for one db file."""

    _instances: dict[Path, _Writer] = {}
    _lock = threading.Lock()

    @classmethod
    def for_db(cls, path: Path) -> _Writer:
        with cls._lock:
            writer = cls._instances.get(path)
            if writer is None or not writer.thread.is_alive():
                writer = cls._instances[path] = cls(path)
            return writer

    def __init__(self, path: Path):
        self.path = path
        self.queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self.urgent = threading.Event()  # a run finished or someone waits: the batch window ends now
        self.owned: dict[str, RunRecorder] = {}
        self.problems: dict[str, list[str]] = {}  # run name -> what could not be recorded as it was
        self.end_lost: set[str] = set()  # runs whose final phase could not be recorded at all
        self.deferred: dict[str, dict[tuple[str, str], _Item]] = {}  # refused by a full disk, kept for the end
        self.pid = os.getpid()
        self.token = owner_token()
        self.thread = threading.Thread(target=self._loop, name=f"argonb-store-{path.parent.name}", daemon=True)
        self.thread.start()

    def put(self, item: _Item) -> None:
        self.queue.put(item)
        if item.kind in ("finished", "barrier"):
            self.urgent.set()

    def forget(self, run: str) -> None:
        """A new attempt of a run name starts with a clean slate (called before its first event is queued)."""
        self.problems.pop(run, None)
        self.end_lost.discard(run)
        self.deferred.pop(run, None)

    def flush(self, timeout: float = FINISH_FLUSH_TIMEOUT) -> bool:
        """Wait until everything queued so far is committed."""
        done = threading.Event()
        self.put(_Item("barrier", done=done))
        return done.wait(timeout)

    # ---- the loop -----------------------------------------------------------------------------------
    def _loop(self) -> None:
        conn = connect(self.path)
        last_poll = 0.0
        while True:
            batch = self._next_batch(REQUEST_POLL_SECONDS if self.owned else 1.0)
            if batch:
                self._commit(conn, batch)
            now = time.monotonic()
            if self.owned and now - last_poll >= REQUEST_POLL_SECONDS:
                last_poll = now
                self._poll_requests(conn)

    def _next_batch(self, idle_timeout: float) -> list[_Item]:
        try:
            first = self.queue.get(timeout=idle_timeout)
        except queue.Empty:
            return []
        batch = [first]
        self._take_waiting(batch)
        # The window is slept through, not spent in one get() per item: every get() that waits is woken by the
        # next put(), a thread switch per event. The run's end (or a waiter) cuts it short; a full batch goes.
        if len(batch) < BATCH_ITEMS and not any(item.kind in ("finished", "barrier") for item in batch):
            self.urgent.wait(BATCH_SECONDS)
            self._take_waiting(batch)
        self.urgent.clear()
        return batch

    def _take_waiting(self, batch: list[_Item]) -> None:
        while len(batch) < BATCH_ITEMS:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                return

    def _commit(self, conn: Any, batch: list[_Item]) -> None:
        try:
            with transaction(conn):
                self._write(conn, batch)
            self._undefer(batch)
        except Exception:  # a broken store must never break the run
            # one bad value must not lose the batch (and with it the run's end): each item on its own
            self._commit_each(conn, batch)
        for item in batch:
            if item.done is not None:
                item.done.set()
            if item.kind == "finished" and item.event is not None:
                self.owned.pop(item.event.run_id, None)

    def _commit_each(self, conn: Any, batch: list[_Item]) -> None:
        """Write the batch item by item; an item that cannot be written is written without its bulky parts
        (`degraded`), and what still fails is kept in `problems` for the process that waits on the run."""
        for item in batch:
            if item.kind == "barrier":
                continue
            try:
                with transaction(conn):
                    self._write(conn, [item])
                self._undefer([item])
                continue
            except Exception as exc:  # noqa: BLE001 - any store failure is reported, never raised into the run
                first = exc
            if item.kind == "finished" and is_disk_full(first) and self._finish_in_reserve(conn, item):
                continue
            reduced = degraded(item, first)
            try:
                with transaction(conn):
                    self._write(conn, [reduced])
                self._problem(item, f"{_what(item)} recorded without {_dropped(item)}: {first}")
            except Exception as exc:  # noqa: BLE001
                self._problem(item, f"{_what(item)} not recorded: {exc}")
                if is_disk_full(exc):
                    self._defer(reduced)
                if item.kind == "finished" and item.event is not None:
                    self.end_lost.add(item.event.run_id)

    def _defer(self, item: _Item) -> None:
        """Keep what a full disk refused (without its bulky parts) to be written with the run's end: the run's
        start, its metadata and the latest snapshot of each node (with the node's first sequence number)."""
        ev = item.event
        pending = self.deferred.setdefault(_run_of(item), {})
        key = _defer_key(item)
        if isinstance(ev, NodeUpdated) and key in pending and pending[key].event is not None:
            item = _Item(item.kind, replace(ev, seq=pending[key].event.seq), item.data)
        pending[key] = item

    def _undefer(self, written: list[_Item]) -> None:
        """Written after all (the disk had room again): an older deferred copy must not overwrite it later."""
        for item in written:
            pending = self.deferred.get(_run_of(item)) if self.deferred else None
            if pending:
                pending.pop(_defer_key(item), None)

    def _finish_in_reserve(self, conn: Any, item: _Item) -> bool:
        """The disk is full at the run's end: free argonb's reserve and write the run's end together with
        what was deferred. True if that worked."""
        run = item.event.run_id if item.event is not None else ""
        if not release_reserve(self.path.parent):
            return False
        pending = list(self.deferred.get(run, {}).values())
        for final in (item, degraded(item, OSError("disk full"))):
            try:
                with transaction(conn):
                    self._write(conn, [*pending, final])
            except Exception:  # noqa: BLE001 - the next, smaller form, or give up below
                continue
            self.deferred.pop(run, None)
            self._problem(item, "the disk is full: the run's end was recorded in the space argonb reserves "
                                f"for it ({RESERVE_NAME}); free space before the next run")
            return True
        return False

    def _problem(self, item: _Item, text: str) -> None:
        log.debug("argonb store %s: %s", self.path, text)  # the caller reports it (`RunRecorder.problems`)
        self.problems.setdefault(_run_of(item), []).append(text)

    def _write(self, conn: Any, batch: list[_Item]) -> None:
        nodes: dict[tuple[str, str], NodeUpdated] = {}
        first_seq: dict[tuple[str, str], int] = {}

        def flush_nodes() -> None:
            self._write_nodes(conn, [(ev, first_seq[key]) for key, ev in nodes.items()])
            nodes.clear()

        for item in batch:
            ev = item.event
            if item.kind == "event" and isinstance(ev, NodeUpdated):
                key = (ev.run_id, ev.node_id)
                first_seq.setdefault(key, ev.seq)
                nodes[key] = ev  # only the latest snapshot of a node in a batch is written
                continue
            flush_nodes()  # keep run-level rows ordered after the node rows that preceded them
            if item.kind == "event" and isinstance(ev, RunStarted):
                self._write_started(conn, ev)
                if item.data.get("source"):
                    self._write_source(conn, ev.run_id, item.data)
            elif item.kind == "finished" and isinstance(ev, RunFinished):
                self._write_finished(conn, ev, item.data.get("workflow"))
            elif item.kind == "register":
                self._write_register(conn, item.data)
        flush_nodes()

    def _write_started(self, conn: Any, ev: RunStarted) -> None:
        conn.execute(
            "INSERT INTO runs (name, phase, created, started, updated, pid, pid_token, host)"
            " VALUES (?, 'Running', ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET phase='Running', message='', started=excluded.started,"
            " finished=NULL, updated=excluded.updated, pid=excluded.pid, pid_token=excluded.pid_token,"
            " host=excluded.host",
            (ev.run_id, ev.time, ev.time, time.time(), self.pid, self.token, HOST))
        # a stop request left for an earlier attempt of this name must not stop this one
        conn.execute("UPDATE requests SET handled=? WHERE run=? AND handled IS NULL AND created<?",
                     (time.time(), ev.run_id, ev.time))

    def _write_source(self, conn: Any, name: str, data: dict[str, Any]) -> None:
        """What a retry needs (source, parameters, templates, backend) goes in with the first commit, so a run
        interrupted before `attach` registered it can still be retried."""
        conn.execute("UPDATE runs SET source=?, source_path=?, parameters=?, templates=?, backend=?, resumed_from=?,"
                     " resubmitted_from=? WHERE name=?",
                     (data["source"], data["source_path"], compact(data["parameters"]), compact(data["templates"]),
                      data["backend"], data["resumed_from"], data["resubmitted_from"], name))

    def _write_finished(self, conn: Any, ev: RunFinished, workflow: dict[str, Any] | None) -> None:
        # the row may be missing (its start was refused by a full disk): the end must create it, not vanish
        conn.execute("INSERT OR IGNORE INTO runs (name, phase, created, started, updated, pid, pid_token, host)"
                     " VALUES (?, 'Running', ?, ?, ?, ?, ?, ?)",
                     (ev.run_id, ev.time, ev.time, time.time(), self.pid, self.token, HOST))
        conn.execute("UPDATE runs SET phase=?, message=?, finished=?, updated=? WHERE name=?",
                     (ev.phase, ev.message, ev.time, time.time(), ev.run_id))
        if workflow:
            conn.execute("UPDATE runs SET workflow=? WHERE name=?", (compact(workflow), ev.run_id))

    def _write_register(self, conn: Any, data: dict[str, Any]) -> None:
        now = time.time()
        conn.execute("INSERT OR IGNORE INTO runs (name, created, updated, pid, pid_token, host)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (data["name"], now, now, self.pid, self.token, HOST))
        conn.execute(
            "UPDATE runs SET uid=CASE WHEN attempt>1 AND uid!='' THEN uid ELSE ? END, source=?, source_path=?,"
            " parameters=?, templates=?, backend=?, resumed_from=?, resubmitted_from=?,"
            " workflow=CASE WHEN finished IS NULL OR workflow='{}' THEN ? ELSE workflow END, updated=?"
            " WHERE name=?",
            (data["uid"], data["source"], data["source_path"], compact(data["parameters"]),
             compact(data["templates"]), data["backend"], data["resumed_from"], data["resubmitted_from"],
             compact(data["workflow"]), now, data["name"]))

    _NODE_SQL = (
        "INSERT INTO nodes (run, node_id, name, phase, status, extra, log_path, seq, updated, type)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(run, node_id) DO UPDATE SET name=excluded.name, phase=excluded.phase,"
        " status=excluded.status, extra=excluded.extra, log_path=excluded.log_path, updated=excluded.updated,"
        " type=excluded.type")

    def _write_nodes(self, conn: Any, items: list[tuple[NodeUpdated, int]]) -> None:
        """One `executemany` per batch (same rows, same order as one `execute` each); a node kept from another
        run looks up that run's row, so the rows before it are written first."""
        rows: list[tuple[Any, ...]] = []
        for ev, seq in items:
            if rows and ev.extra.get("reused") and ev.extra.get("reusedFrom"):
                conn.executemany(self._NODE_SQL, rows)
                rows = []
            rows.append(self._node_row(conn, ev, seq))
        if rows:
            conn.executemany(self._NODE_SQL, rows)

    def _node_row(self, conn: Any, ev: NodeUpdated, seq: int) -> tuple[Any, ...]:
        node = ev.node
        return (ev.run_id, ev.node_id, str(node.get("name", "")), ev.phase, compact(node), compact(ev.extra),
                self._log_path(conn, ev), seq, ev.time, str(node.get("type", "")))

    def _log_path(self, conn: Any, ev: NodeUpdated) -> str:
        pod = ev.node.get("podName")
        if not pod:
            return ""
        source = ev.extra.get("reusedFrom") if ev.extra.get("reused") else ""
        if source and source != ev.run_id:
            # a node kept from another run: its pod directory (and log) live under that run, or wherever
            # that run's own copy came from
            rel = str(ev.node.get("name", ""))[len(ev.run_id):]
            row = conn.execute("SELECT log_path FROM nodes WHERE run=? AND name=?",
                               (source, source + rel)).fetchone()
            if row and row[0]:
                return str(row[0])
            return home_log_path(str(source), str(pod))
        return home_log_path(ev.run_id, str(pod))

    # ---- control requests ---------------------------------------------------------------------------
    def _poll_requests(self, conn: Any) -> None:
        names = list(self.owned)
        if not names:
            return
        marks = ",".join("?" * len(names))
        try:
            rows = conn.execute(f"SELECT id, run, action, arg FROM requests WHERE handled IS NULL AND run IN ({marks})"
                                " ORDER BY id", names).fetchall()
            for row in rows:
                recorder = self.owned.get(row["run"])
                if recorder is None or not recorder.apply(row["action"], json.loads(row["arg"] or "{}")):
                    continue
                with transaction(conn):
                    conn.execute("UPDATE requests SET handled=? WHERE id=?", (time.time(), row["id"]))
        except Exception:
            log.exception("argonb store: could not read control requests")


class RunRecorder:
    """Subscribe `on_event` to a run (`run(..., subscribers=[rec.on_event])`), then `attach(handle)`.

    `on_event` only queues (the engine calls it on its own threads), except on `RunFinished`, where it waits
    for the final flush so that a reader who saw the run end also sees it in the store.
    """

    def __init__(self, db: Path, *, source: str = "", source_path: str = "", parameters: dict[str, Any] | None = None,
                 templates: list[str] | None = None, backend: str = "", resumed_from: str = "",
                 resubmitted_from: str = ""):
        self.writer = _Writer.for_db(db)
        self.handle: Any = None
        self.run_id = ""
        self.finished = False
        self.meta = {"source": source, "source_path": source_path, "parameters": dict(parameters or {}),
                     "templates": list(templates or []), "backend": backend, "resumed_from": resumed_from,
                     "resubmitted_from": resubmitted_from}

    def on_event(self, event: Event) -> None:
        if isinstance(event, NodeLog):
            return
        if isinstance(event, RunFinished):
            self.finished = True
            workflow = _workflow_snapshot(self.handle) if self.handle is not None else None
            done = threading.Event()
            self.writer.put(_Item("finished", event, {"workflow": workflow}, done))
            done.wait(FINISH_FLUSH_TIMEOUT)
            return
        if isinstance(event, RunStarted):  # with the source: a run killed before `attach` can still be retried
            self.run_id = event.run_id
            self.writer.forget(event.run_id)
            self.writer.put(_Item("event", event, dict(self.meta)))
            return
        self.writer.put(_Item("event", event))

    def attach(self, handle: Any) -> None:
        """Record the run's metadata (source, parameters, Workflow object) and take control requests for it."""
        self.handle = handle
        data = {**self.meta, "name": handle.name, "uid": handle.uid, "workflow": _workflow_snapshot(handle)}
        if not data["source"]:
            data["source"] = getattr(handle, "source_text", "") or ""
        self.writer.put(_Item("register", data=data))
        # own first, then check: a RunFinished racing with attach either sees the entry (and the writer drops
        # it after the final flush) or has set `finished` before the check below
        self.writer.owned[handle.name] = self
        if self.finished or handle.done:
            self.writer.owned.pop(handle.name, None)

    def wait_flushed(self, timeout: float = FINISH_FLUSH_TIMEOUT) -> bool:
        return self.writer.flush(timeout)

    @property
    def problems(self) -> list[str]:
        """What the store could not record of this run as it happened (empty when everything was)."""
        return list(self.writer.problems.get(self.run_id, [])) if self.run_id else []

    @property
    def end_lost(self) -> bool:
        """The run's final phase is not in the store (it will show as Error "interrupted")."""
        return self.run_id in self.writer.end_lost

    def apply(self, action: str, arg: dict[str, Any]) -> bool:
        """Carry out a control request on the writer thread; False leaves it for a later poll."""
        handle = self.handle
        if handle is None:
            return False
        from argonb.errors import ArgonbError

        try:
            if action == "stop":
                handle.stop()
            elif action == "terminate":
                handle.terminate()
            elif action == "resume":
                handle.resume(arg.get("node"), arg.get("outputs"))
        except ArgonbError as exc:  # e.g. the Argo server refused: say so once (retrying would repeat it)
            log.warning("argonb: %s of %s failed: %s", action, handle.name, exc)
        return True


NOT_RECORDED = "argonb could not record this node's inputs and outputs in the run store ({})"


def degraded(item: _Item, exc: BaseException) -> _Item:
    """The item without what can be arbitrarily large (node inputs and outputs, the source, the Workflow
    object), so that phases, messages and times are recorded even when a value cannot be."""
    ev = item.event
    if isinstance(ev, NodeUpdated):
        node = {k: v for k, v in ev.node.items() if k not in ("inputs", "outputs")}
        note = NOT_RECORDED.format(exc)
        node["message"] = f"{node['message']}; {note}" if node.get("message") else note
        extra = {k: v for k, v in ev.extra.items() if k in ("templateHash", "reused", "reusedFrom")}
        return _Item(item.kind, replace(ev, node=node, extra=extra), item.data, item.done)
    if item.kind == "register":
        return _Item(item.kind, ev, {**item.data, "source": "", "workflow": {}}, item.done)
    return _Item(item.kind, ev, {}, item.done)  # the start without the source, the end without the Workflow


def _run_of(item: _Item) -> str:
    return item.event.run_id if item.event is not None else str(item.data.get("name", ""))


def _defer_key(item: _Item) -> tuple[str, str]:
    """One deferred copy per node (its latest snapshot), one per run-level kind (start, metadata)."""
    ev = item.event
    return ("node", ev.node_id) if isinstance(ev, NodeUpdated) else (item.kind, type(ev).__name__)


def _what(item: _Item) -> str:
    ev = item.event
    if isinstance(ev, NodeUpdated):
        return f"node {ev.node.get('name') or ev.node_id}"
    return {"finished": "the run's end", "register": "the run's metadata"}.get(item.kind, "the run's start")


def _dropped(item: _Item) -> str:
    if isinstance(item.event, NodeUpdated):
        return "its inputs and outputs"
    return "its Workflow object" if item.kind == "finished" else "its source"


def _workflow_snapshot(handle: Any) -> dict[str, Any]:
    """The Workflow object without its node map (nodes have their own table)."""
    wf = handle.to_workflow()
    status = dict(wf.get("status") or {})
    status.pop("nodes", None)
    return {**wf, "status": status}


@atexit.register
def _flush_all() -> None:
    """Commit what is queued before the interpreter exits (daemon threads die without notice)."""
    for writer in list(_Writer._instances.values()):
        if writer.pid == os.getpid() and writer.thread.is_alive():
            writer.flush(2.0)
