"""The engine's event stream: frozen, JSON-serialisable events and the bus that fans them out.

The CLI printer, the notebook widget and the run store are subscribers; the engine special-cases none of them.
Subscribers must return quickly; an exception in one is logged and never reaches the engine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger("argonb.events")


@dataclass(frozen=True)
class Event:
    run_id: str
    seq: int
    time: float

    @property
    def kind(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class RunStarted(Event):
    workflow_name: str = ""


@dataclass(frozen=True)
class NodeUpdated(Event):
    """A node was created or changed; `node` is its Argo-shaped status snapshot."""

    node_id: str = ""
    phase: str = ""
    node: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # argonb's own details: templateHash, reused, command


@dataclass(frozen=True)
class NodeLog(Event):
    node_id: str = ""
    stream: str = "stdout"  # stdout | stderr
    line: str = ""


@dataclass(frozen=True)
class RunFinished(Event):
    phase: str = ""
    message: str = ""


Subscriber = Callable[[Event], None]


class EventBus:
    """Thread-safe fan-out with a per-run sequence number."""

    def __init__(self, run_id: str, clock: Callable[[], float]):
        self.run_id = run_id
        self._clock = clock
        self._seq = 0
        self._lock = threading.RLock()  # delivery under the lock keeps events in seq order
        self._subscribers: list[Subscriber] = []

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers = [*self._subscribers, fn]

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = [s for s in self._subscribers if s is not fn]

        return unsubscribe

    def publish(self, cls: type[Event], **fields: Any) -> Event:
        with self._lock:
            self._seq += 1
            event = cls(run_id=self.run_id, seq=self._seq, time=self._clock(), **fields)
            for fn in self._subscribers:
                try:
                    fn(event)
                except Exception:  # a subscriber must never break the run
                    log.exception("event subscriber %r failed", fn)
        return event
