"""Synchronization: mutexes and semaphores (ARGO-SEMANTICS §10), shared by every run in this process.

A node (or a whole workflow) that needs a lock waits Pending — not counting toward parallelism — until every
lock it names is free, then holds them until it is fulfilled. Waiters are served first come, first served.
Semaphore limits come from ConfigMap documents (`configMapKeyRef`) given with the workflow or in `--templates`,
standing in for the cluster's ConfigMaps; names may be templated (substituted before they get here).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class SyncError(ValueError):
    pass


@dataclass
class _Lock:
    limit: int
    holders: set[str] = field(default_factory=set)


@dataclass
class _Waiter:
    holder: str
    names: list[tuple[str, int]]
    grant: Callable[[], None]


class LockManager:
    """Process-wide: runs in one kernel contend for the same locks, as workflows in one namespace do."""

    def __init__(self) -> None:
        self._locks: dict[str, _Lock] = {}
        self._waiting: deque[_Waiter] = deque()
        self._mutex = threading.Lock()

    def acquire(self, holder: str, names: list[tuple[str, int]], grant: Callable[[], None]) -> bool:
        """Take every lock in `names` now (True) or queue `grant` to be called once they are all free."""
        with self._mutex:
            if not self._waiting and self._free(holder, names):
                self._take(holder, names)
                return True
            self._waiting.append(_Waiter(holder, names, grant))
            return False

    def release(self, holder: str) -> None:
        granted: list[Callable[[], None]] = []
        with self._mutex:
            for lock in self._locks.values():
                lock.holders.discard(holder)
            for waiter in list(self._waiting):
                if self._free(waiter.holder, waiter.names):
                    self._take(waiter.holder, waiter.names)
                    self._waiting.remove(waiter)
                    granted.append(waiter.grant)
        for grant in granted:
            grant()

    def cancel(self, holder: str) -> None:
        with self._mutex:
            self._waiting = deque(w for w in self._waiting if w.holder != holder)

    def status(self, name: str) -> tuple[int, int]:
        lock = self._locks.get(name)
        return (len(lock.holders), lock.limit) if lock else (0, 0)

    def _free(self, holder: str, names: list[tuple[str, int]]) -> bool:
        for name, limit in names:
            lock = self._locks.setdefault(name, _Lock(limit))
            lock.limit = limit
            if holder not in lock.holders and len(lock.holders) >= lock.limit:
                return False
        return True

    def _take(self, holder: str, names: list[tuple[str, int]]) -> None:
        for name, _ in names:
            self._locks[name].holders.add(holder)


LOCKS = LockManager()


def lock_names(sync: dict[str, Any], namespace: str, config_maps: Mapping[str, Mapping[str, str]]) -> list[tuple[str, int]]:
    """(lock key, limit) for every mutex and semaphore of a `synchronization` block (old singular forms too)."""
    mutexes = list(sync.get("mutexes") or []) + ([sync["mutex"]] if sync.get("mutex") else [])
    semaphores = list(sync.get("semaphores") or []) + ([sync["semaphore"]] if sync.get("semaphore") else [])
    out: list[tuple[str, int]] = []
    for mutex in mutexes:
        ns = mutex.get("namespace") or namespace
        out.append((f"{ns}/Mutex/{mutex.get('name')}", 1))
    for sem in semaphores:
        ref = sem.get("configMapKeyRef") or {}
        ns = sem.get("namespace") or namespace
        data = config_maps.get(str(ref.get("name")))
        if data is None or str(ref.get("key")) not in data:
            raise SyncError(f"semaphore ConfigMap {ref.get('name')!r} key {ref.get('key')!r} not found (give the "
                            "ConfigMap document with the workflow or via --templates)")
        try:
            limit = int(str(data[str(ref["key"])]).strip())
        except ValueError:
            raise SyncError(f"semaphore limit {data[str(ref['key'])]!r} is not an integer") from None
        out.append((f"{ns}/ConfigMap/{ref.get('name')}/{ref.get('key')}", limit))
    return out
