"""Presenting stored runs: tables, ages, retention periods, and reading or following pod logs.

Owns: what `argonb list/get/logs/gc` print (kept out of the CLI modules so notebooks can reuse it) and
`follow_logs`, which tails the pod log files of a run that another process may still be writing, polling the
store for new pods and for the run's end.
Imports: argonb.engine.durations, argonb.store.store.
"""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from argonb.engine.durations import parse_duration
from argonb.store.store import RunRecord, Store

FOLLOW_POLL_SECONDS = 0.25
READ_CHUNK = 1 << 20  # logs are read in pieces: a 200 MB log is never whole in memory
_LONG_UNITS = {"d": 86400.0, "w": 7 * 86400.0}


def parse_age(text: str) -> float:
    """Seconds in a retention period: `7d`, `2w`, `36h`, `1d12h`, `90m` or a bare number of seconds."""
    s = text.strip()
    total = 0.0
    m = re.match(r"^(\d+(?:\.\d+)?)([dw])", s)
    while m:
        total += float(m.group(1)) * _LONG_UNITS[m.group(2)]
        s = s[m.end():]
        m = re.match(r"^(\d+(?:\.\d+)?)([dw])", s)
    if s:
        total += parse_duration(s)
    if total < 0:
        raise ValueError(f"negative period {text!r}")
    return total


def human_duration(seconds: float | None) -> str:
    """Argo's short style: 45s, 3m, 2h, 5d."""
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def runs_table(records: list[RunRecord], now: float | None = None) -> str:
    now = now or time.time()
    header = ("NAME", "STATUS", "AGE", "DURATION", "PROGRESS", "MESSAGE")
    rows = [header] + [
        (r.name, r.phase + (f" (attempt {r.attempt})" if r.attempt > 1 else ""), human_duration(now - r.created),
         human_duration(r.duration(now)), f"{r.progress[0]}/{r.progress[1]}", r.message.splitlines()[0] if r.message
         else "")
        for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1] for row in rows)


def run_summary(rec: RunRecord, store: Store) -> str:
    """The header `argonb get` prints above the node table."""
    from argonb.engine.timefmt import rfc3339

    lines = [("Name", rec.name), ("Status", rec.phase)]
    if rec.message:
        lines.append(("Message", rec.message))
    lines.append(("Created", rfc3339(rec.created)))
    if rec.started:
        lines.append(("Started", rfc3339(rec.started)))
    if rec.finished:
        lines.append(("Finished", rfc3339(rec.finished)))
    lines += [("Duration", human_duration(rec.duration())), ("Progress", f"{rec.progress[0]}/{rec.progress[1]}")]
    if rec.attempt > 1:
        lines.append(("Attempt", f"{rec.attempt} (earlier: " + ", ".join(
            f"#{a['attempt']} {a['phase']}" for a in store.attempts(rec.name)) + ")"))
    for label, value in (("Resumed from", rec.resumed_from), ("Resubmitted from", rec.resubmitted_from)):
        if value:
            lines.append((label, value))
    if rec.parameters:
        lines.append(("Parameters", ", ".join(f"{k}={v}" for k, v in rec.parameters.items())))
    if rec.active:
        lines.append(("Owner", f"pid {rec.pid}"))
    width = max(len(k) for k, _ in lines) + 1
    return "\n".join(f"{(k + ':').ljust(width)} {v}" for k, v in lines)


def lookup(home: str | None, ref: str) -> tuple[Store, RunRecord]:
    """Open the store and find a run; raises StoreError (RunNotFound, AmbiguousRun) with a printable message."""
    from argonb.store.store import open_store

    store = open_store(home)
    return store, store.get_run(ref)


class StoredRunView:
    """What `cli.progress.TextReporter.finish` reads from a live `Run`, served from the store."""

    def __init__(self, rec: RunRecord):
        self.name, self.phase, self.message, self.nodes = rec.name, rec.phase, rec.message, rec.nodes
        self._progress = rec.progress

    def progress(self) -> tuple[int, int]:
        return self._progress


# ---- logs -------------------------------------------------------------------------------------------------
def pod_rows(store: Store, run: str, node: str | None = None) -> list[dict[str, Any]]:
    """Pod nodes (with log paths) in start order; `node` filters by ID, name, display name or pod name."""
    rows = [r for r in store.node_rows(run) if r["status"].get("type") == "Pod"]
    if node:
        rows = [r for r in rows if node in (r["id"], r["status"].get("name"), r["status"].get("displayName"),
                                            r["status"].get("podName"))]
    return sorted(rows, key=lambda r: (r["status"].get("startedAt") or "", r["status"].get("name", "")))


def print_logs(store: Store, run: str, node: str | None, out: TextIO) -> None:
    """Every pod's full log, each line prefixed with the node's display name when several pods are shown."""
    rows = pod_rows(store, run, node)
    for row in rows:
        prefix = f"{row['status'].get('displayName')}: " if node is None else ""
        for line in _read_lines(row["log"]):
            out.write(f"{prefix}{line}\n")
    out.flush()


def _read_lines(path: str) -> Iterator[str]:
    """The file's lines as `str.splitlines` splits its text, read READ_CHUNK bytes at a time; a line longer than
    READ_CHUNK comes out in pieces, so memory stays bounded whatever the pod printed."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError:
        return
    with fh:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while True:
            chunk = fh.read(READ_CHUNK)
            lines = (pending + decoder.decode(chunk, final=not chunk)).splitlines(keepends=True)
            # the last piece may go on in the next chunk (or be the "\r" of a "\r\n"): keep it until then
            pending = lines.pop() if chunk and lines else ""
            for line in lines:
                yield line.splitlines()[0]
            if len(pending) > READ_CHUNK and not pending.endswith("\r"):
                yield pending.splitlines()[0]
                pending = ""
            if not chunk:
                return


def follow_logs(store: Store, run: str, node: str | None, out: TextIO,
                sleep: Callable[[float], None] = time.sleep) -> RunRecord:
    """Print log lines as pods write them until the run has finished (or its owner died); returns the run."""
    offsets: dict[str, int] = {}
    partial: dict[str, bytes] = {}
    prefixes: dict[str, str] = {}
    while True:
        store.mark_interrupted()
        rec = store.get_run(run)  # read before the files: once it says done, the files are complete
        for row in pod_rows(store, run, node):
            prefix = prefixes.setdefault(row["log"], f"{row['status'].get('displayName')}: " if node is None else "")
            for line in _new_lines(row["log"], offsets, partial):
                out.write(prefix + line + "\n")
        out.flush()
        if rec.done:
            for path, rest in partial.items():
                if rest:  # a last line without a newline
                    out.write(prefixes.get(path, "") + rest.decode("utf-8", errors="replace") + "\n")
            out.flush()
            return rec
        sleep(FOLLOW_POLL_SECONDS)


def _new_lines(path: str, offsets: dict[str, int], partial: dict[str, bytes]) -> Iterator[str]:
    if not path:
        return
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError:
        return
    with fh:
        fh.seek(offsets.get(path, 0))
        while chunk := fh.read(READ_CHUNK):  # in pieces, up to the end of what is written now
            offsets[path] = offsets.get(path, 0) + len(chunk)
            data = partial.pop(path, b"") + chunk
            *lines, rest = data.split(b"\n")
            if len(rest) > READ_CHUNK:  # a huge line: printed in pieces, so memory stays bounded
                lines.append(rest)
                rest = b""
            partial[path] = rest
            for line in lines:
                yield line.decode("utf-8", errors="replace")
