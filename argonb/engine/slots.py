"""A counted limit with an ordered waiting line: `spec.parallelism` (pods of the workflow), template
`parallelism` (direct children of a steps/DAG node), `max_workers` (pods of a run at once) (ARGO-SEMANTICS §10)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class Slots:
    """At most `limit` holders at once (None: no limit); the others wait, in order, for a release."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.active = 0
        self.waiting: deque[Callable[[], None]] = deque()
        self._releasing = False

    def acquire(self, start: Callable[[], None]) -> None:
        """Run `start` now if there is room, else when a holder releases (loop thread)."""
        if self.limit is None or self.active < self.limit:
            self.active += 1
            start()
        else:
            self.waiting.append(start)

    def release(self) -> None:
        self.active -= 1
        if self._releasing:  # a waiter that gave its slot straight back (stopped, deadline): the loop below goes
            return  # on with the next one, instead of recursing once per waiter (10,000 of them)
        self._releasing = True
        try:
            while self.waiting and (self.limit is None or self.active < self.limit):
                self.active += 1
                self.waiting.popleft()()
        finally:
            self._releasing = False

    def drain(self) -> None:
        """Start every waiter now, past the limit. At shutdown each one ends at once (under a stop strategy the
        engine starts nothing new: the waiter's node fails with the stop message), so waiting for a release
        that may never come (a limit of 0, as Argo allows) would keep a stopped run going forever."""
        while self.waiting:
            self.active += 1
            self.waiting.popleft()()

    @property
    def idle(self) -> bool:
        return self.active == 0 and not self.waiting
