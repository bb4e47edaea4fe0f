"""Terminal output for `argonb run`: prefixed log lines, a progress line, and a final node table."""

from __future__ import annotations

import functools
import sys
import threading
import time
from typing import Any, TextIO

from argonb.engine.events import Event, NodeLog, NodeUpdated, RunFinished

PHASE_MARK = {"Succeeded": "✔", "Failed": "✖", "Error": "!", "Skipped": "○", "Omitted": "○",
              "Running": "●", "Pending": "…"}


class TextReporter:
    """An event subscriber: cheap per event, prints under a lock (events arrive from several threads)."""

    def __init__(self, json_mode: bool = False, out: TextIO | None = None, err: TextIO | None = None):
        self.json_mode = json_mode
        self.out = out or (sys.stderr if json_mode else sys.stdout)
        self.err = err or sys.stderr
        self.names: dict[str, str] = {}
        self.pods: dict[str, str] = {}
        self.lock = threading.Lock()
        self.tty = self.err.isatty()
        self.last_progress = 0.0
        self.started = time.time()

    def attach(self, handle: Any) -> None:
        self.handle = handle

    def on_event(self, event: Event) -> None:
        if isinstance(event, NodeUpdated):
            self.names[event.node_id] = event.node.get("displayName") or event.node.get("name", "")
            if event.node.get("type") == "Pod":
                self.pods[event.node_id] = event.phase
                self._progress()
        elif isinstance(event, NodeLog):
            with self.lock:
                self._clear()
                self.out.write(f"{self.names.get(event.node_id, event.node_id)}: {event.line}\n")
                self.out.flush()
        elif isinstance(event, RunFinished):
            with self.lock:
                self._clear()

    def _progress(self) -> None:
        if not self.tty:
            return
        now = time.time()
        if now - self.last_progress < 0.1:
            return
        self.last_progress = now
        done = sum(1 for p in self.pods.values() if p in ("Succeeded", "Failed", "Error"))
        total = len(self.pods)
        width = 24
        filled = int(width * done / total) if total else 0
        with self.lock:
            self.err.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} pods "
                           f"{now - self.started:5.1f}s")
            self.err.flush()

    def _clear(self) -> None:
        if self.tty:
            self.err.write("\r\033[K")

    def finish(self, handle: Any) -> None:
        target = self.err if self.json_mode else self.out
        nodes = sorted(handle.nodes.values(), key=lambda n: (n.get("startedAt") or "", n.get("name")))
        rows = [n for n in nodes if n.get("type") not in ("StepGroup", "TaskGroup")]
        width = max([len(_indent(handle, n)) for n in rows] + [4])
        lines = [f"\n{'NODE'.ljust(width)}  PHASE      DURATION  MESSAGE"]
        for n in rows:
            lines.append(f"{_indent(handle, n).ljust(width)}  {PHASE_MARK.get(n['phase'], ' ')} "
                         f"{n['phase'].ljust(9)} {_duration(n):>8}  {n.get('message', '')}")
        lines.append(f"\nWorkflow {handle.name} {handle.phase}"
                     f"{': ' + handle.message if handle.message else ''} ({summary_line(handle.nodes)})")
        target.write("\n".join(lines) + "\n")
        target.flush()


def summary_line(nodes: dict[str, dict[str, Any]]) -> str:
    """`progress 4/5; 4 Succeeded, 1 Failed`: Argo's progress and the nodes counted as the Argo UI counts them."""
    from argonb.render.summary import summarize

    summary = summarize(nodes)
    counts = ", ".join(f"{c} {p}" for p, c in summary.counts.items())
    return f"progress {summary.progress_text}" + (f"; {counts}" if counts else "")


def _indent(handle: Any, node: dict[str, Any]) -> str:
    return node.get("displayName") or node.get("name", "")


def _duration(node: dict[str, Any]) -> str:
    start, end = node.get("startedAt"), node.get("finishedAt")
    if not start or not end:
        return "-"
    seconds = (_timestamp(end) - _timestamp(start)).total_seconds()
    return f"{seconds:.0f}s"


@functools.lru_cache(maxsize=4096)
def _timestamp(text: str) -> Any:
    """A node time (second precision, so 10,000 nodes share a few distinct values): parsed once each, without
    `strptime` (its import alone was a tenth of a short `argonb run`)."""
    from datetime import datetime

    if len(text) == 20 and text[4] == "-" and text[10] == "T" and text[19] == "Z":
        return datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]),
                        int(text[17:19]))
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
