"""Cheap, thread-safe recording of one run's events for the widget; and the one refresher thread.

Owns: `RunRecorder` (an event subscriber that only stores the latest node snapshots, bounded log tails and the
final phase under a lock, then pokes the refresher; it never touches widgets and never prints) and `Refresher`
(a single daemon thread that coalesces every view's updates to at most ~10 flushes a second, latest state
wins, and always flushes once more when a run ends). Why: ipywidgets updated straight from engine threads
flood IOPub and lose the final message (shared/recipes/jupyter-browser.md §4).
Imports: stdlib, argonb.engine.events.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from argonb.engine.events import Event, NodeLog, NodeUpdated, RunFinished, RunStarted

log = logging.getLogger("argonb.notebook")

LOG_TAIL_LINES = 500
LOG_LINE_CHARS = 4096  # a kept line longer than this is cut: widget state (and saved notebooks) stay small
LOG_TAIL_BYTES = 1 << 20  # how much of a finished pod's log file is read to show its tail


def clip_line(line: str) -> str:
    line = line.rstrip("\n")
    if len(line) <= LOG_LINE_CHARS:
        return line
    return f"{line[:LOG_LINE_CHARS]}… ({len(line) - LOG_LINE_CHARS} more characters; the full log is on disk)"


@dataclass(frozen=True)
class RecordedState:
    """A consistent copy of what the recorder knows, taken under its lock."""

    version: int
    nodes: dict[str, dict[str, Any]]
    phase: str
    message: str
    finished: bool
    started_at: float
    finished_at: float | None
    kept: dict[str, str] = field(default_factory=dict)  # node id -> the run it was kept from (retry/--reuse)

    def elapsed(self, now: float | None = None) -> float:
        end = self.finished_at if self.finished_at is not None else (time.time() if now is None else now)
        return max(0.0, end - self.started_at)


class RunRecorder:
    """Subscriber for one run: `on_event` is called on engine/worker threads and must stay cheap."""

    def __init__(self, log_lines: int = LOG_TAIL_LINES, on_change: Callable[[], None] | None = None):
        self._lock = threading.Lock()
        self._nodes: dict[str, dict[str, Any]] = {}
        self._kept: dict[str, str] = {}
        self._logs: dict[str, deque[str]] = {}
        self._log_totals: dict[str, int] = {}
        self._log_lines = log_lines
        self._phase = "Pending"
        self._message = ""
        self._finished = False
        self._started_at = time.time()
        self._finished_at: float | None = None
        self._version = 0
        self.on_change = on_change

    def on_event(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, NodeUpdated):
                self._nodes[event.node_id] = event.node
                if event.extra.get("reusedFrom"):
                    self._kept[event.node_id] = str(event.extra["reusedFrom"])
            elif isinstance(event, NodeLog):
                tail = self._logs.setdefault(event.node_id, deque(maxlen=self._log_lines))
                tail.append(clip_line(event.line))
                self._log_totals[event.node_id] = self._log_totals.get(event.node_id, 0) + 1
            elif isinstance(event, RunStarted):
                self._phase, self._started_at = "Running", event.time
            elif isinstance(event, RunFinished):
                self._phase, self._message = event.phase, event.message
                self._finished, self._finished_at = True, event.time
            self._version += 1
        if self.on_change is not None:
            self.on_change()

    def seed(self, nodes: Mapping[str, dict[str, Any]], *, phase: str, message: str, finished: bool,
             logs: Mapping[str, str] | None = None, kept: Mapping[str, str] | None = None) -> None:
        """Fill in what happened before subscribing (a run started outside the magic); events win."""
        with self._lock:
            for key, origin in (kept or {}).items():
                self._kept.setdefault(key, origin)
            for key, node in nodes.items():
                self._nodes.setdefault(key, node)
            for key, text in (logs or {}).items():
                if key not in self._logs:
                    lines = text.splitlines()
                    self._logs[key] = deque(map(clip_line, lines[-self._log_lines:]), maxlen=self._log_lines)
                    self._log_totals[key] = len(lines)
            if not self._finished:
                self._phase, self._message = phase, message
                if finished:
                    self._finished, self._finished_at = True, time.time()
            self._version += 1

    def state(self) -> RecordedState:
        with self._lock:
            return RecordedState(self._version, dict(self._nodes), self._phase, self._message, self._finished,
                                 self._started_at, self._finished_at, dict(self._kept))

    def log_tail(self, node_id: str) -> tuple[list[str], int]:
        """(the kept tail, how many lines the node printed in total)."""
        with self._lock:
            return list(self._logs.get(node_id, ())), self._log_totals.get(node_id, 0)

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._finished


class Flushable(Protocol):
    def flush(self) -> None: ...

    @property
    def settled(self) -> bool: ...


class Refresher:
    """One daemon thread that flushes registered views, at most every `interval` seconds.

    Views are held weakly; a view whose run ended and whose final state was flushed is dropped. While any
    view is live the thread also wakes once a second so elapsed times tick.
    """

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self._views: weakref.WeakSet[Any] = weakref.WeakSet()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, view: Flushable) -> None:
        with self._lock:
            self._views.add(view)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="argonb-refresher", daemon=True)
                self._thread.start()
        self.poke()

    def poke(self) -> None:
        """Something changed: flush soon (many pokes within one interval cost one flush)."""
        self._wake.set()

    def _loop(self) -> None:
        while True:
            with self._lock:
                views = list(self._views)
            self._wake.wait(timeout=1.0 if views else None)
            self._wake.clear()
            for view in views:
                try:
                    view.flush()
                except Exception:  # a broken view must not stop the others from updating
                    log.exception("argonb: refreshing %r failed", view)
                if view.settled:
                    with self._lock:
                        self._views.discard(view)
            time.sleep(self.interval)  # the coalescing window: events arriving now share the next flush


_REFRESHER: Refresher | None = None


def refresher() -> Refresher:
    """The process-wide refresher (one thread for every run in the kernel)."""
    global _REFRESHER
    if _REFRESHER is None:
        _REFRESHER = Refresher()
    return _REFRESHER
