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
            queued = {n for w in self._waiting for n, _ in w.names}
            # first come, first served per lock: only waiters for the same locks go first
            if not queued.intersection(n for n, _ in names) and self._free(holder, names):
                self._take(holder, names)
                return True
            self._waiting.append(_Waiter(holder, names, grant))
            return False

    def release(self, holder: str) -> None:
        granted: list[Callable[[], None]] = []
        with self._mutex:
            for lock in self._locks.values():
                lock.holders.discard(holder)
            blocked: set[str] = set()  # locks an earlier waiter still waits for
            for waiter in list(self._waiting):
                wanted = {n for n, _ in waiter.names}
                if not wanted & blocked and self._free(waiter.holder, waiter.names):
                    self._take(waiter.holder, waiter.names)
                    self._waiting.remove(waiter)
                    granted.append(waiter.grant)
                else:
                    blocked |= wanted
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


def lock_names(sync: dict[str, Any], namespace: str, config_maps: Mapping[str, Mapping[str, str]],
               local_limits: Mapping[str, int] | None = None) -> tuple[list[tuple[str, int]], list[str]]:
    """(lock key, limit) for every mutex and semaphore of a `synchronization` block (old singular forms too),
    and warnings for semaphore limits that had to be assumed.

    A semaphore's limit comes from a ConfigMap document (`configMapKeyRef`) given with the workflow or in
    `--templates`; else from `<ARGONB_HOME>/semaphores.json` (`{"<configmap>/<key>": N}` or
    `{"database/<key>": N}`, standing in for the cluster's ConfigMap or sync database); else it is 1, and a
    warning says so.
    """
    mutexes = list(sync.get("mutexes") or []) + ([sync["mutex"]] if sync.get("mutex") else [])
    semaphores = list(sync.get("semaphores") or []) + ([sync["semaphore"]] if sync.get("semaphore") else [])
    out: list[tuple[str, int]] = []
    warnings: list[str] = []
    for mutex in mutexes:
        ns = mutex.get("namespace") or namespace
        out.append((f"{ns}/Mutex/{mutex.get('name')}", 1))
    for sem in semaphores:
        ns = sem.get("namespace") or namespace
        if sem.get("database"):
            key = str((sem["database"] or {}).get("key"))
            local_key, lock = f"database/{key}", f"{ns}/Database/{key}"
            found = None
        else:
            ref = sem.get("configMapKeyRef") or {}
            local_key, lock = f"{ref.get('name')}/{ref.get('key')}", f"{ns}/ConfigMap/{ref.get('name')}/{ref.get('key')}"
            found = (config_maps.get(str(ref.get("name"))) or {}).get(str(ref.get("key")))
        if found is None and local_limits and local_key in local_limits:
            found = str(local_limits[local_key])
        if found is None:
            warnings.append(f"semaphore {local_key}: no limit found locally (no ConfigMap document, no entry in "
                            "semaphores.json); using 1")
            found = "1"
        try:
            limit = int(str(found).strip())
        except ValueError:
            raise SyncError(f"semaphore {local_key}: limit {found!r} is not an integer") from None
        out.append((lock, limit))
    return out, warnings


def local_limits(home: Any) -> dict[str, int]:
    """`<ARGONB_HOME>/semaphores.json`, if present."""
    import json
    from pathlib import Path

    try:
        data = json.loads((Path(home) / "semaphores.json").read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in data.items() if str(v).strip().lstrip("-").isdigit()}
