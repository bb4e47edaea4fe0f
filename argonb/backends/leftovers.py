"""What a pod leaves behind: processes that left its process group, found and killed when the pod ends.

A container's end kills everything in it. A local pod is a process group in a session of its own, and a
descendant can leave the group with `setpgid()` (it stays in the session: `setpgid` cannot change sessions) or
leave the session too with `setsid()`, usually after a double fork. Such a process is still the pod's:

- its session id is the pod's (the pod's main process leads its session), when it only regrouped;
- its environment still has the pod's `HOME` (the pod's private root, unique to the pod), unless it cleared it.

Two ways to find them, for the two ways pods are started:

- the spawn helper is a child subreaper (`PR_SET_CHILD_SUBREAPER`): every orphaned descendant of its pods
  becomes its child, so `children()` lists them (one small read per pod end), and it reaps them;
- pods started by the engine's threads (and the watchdog, once the engine's process died) have no such
  parent: `sweep()` scans /proc for the session ids and `HOME`s (about 20 ms on a busy 2-core machine), only
  reading the environment of processes started after the pod. `Sweeper` does it off the pod's path, one scan
  for all the pods that ended meanwhile.

Standard library only, and no argonb imports: spawn_helper.py and the watchdog load this file on its own.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux); False where it cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def stat(pid: int) -> tuple[str, int, int, int, int] | None:
    """(state, ppid, pgrp, session, start time in clock ticks) of `pid`, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return fields[0].decode(), int(fields[1]), int(fields[2]), int(fields[3]), int(fields[19])


def started(pid: int) -> int:
    """When `pid` started (clock ticks since boot); 0 (the beginning of time) if that cannot be read."""
    info = stat(pid)
    return info[4] if info else 0


def home(pid: int) -> str | None:
    """The `HOME` `pid` was started with (its environment as exec'd), None if it has none or cannot be read."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            data = f.read()
    except OSError:
        return None
    for entry in data.split(b"\0"):
        if entry.startswith(b"HOME="):
            return entry[5:].decode("utf-8", "surrogateescape")
    return None


def children(pid: int) -> list[int]:
    """The direct children of `pid` (every thread's), from /proc/<pid>/task/<tid>/children."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                found.extend(int(p) for p in f.read().split())
        except OSError:
            continue
    return found


def kill(pid: int) -> None:
    """SIGKILL `pid`, and the process group it leads (its own members die with it, as in a container)."""
    for target, fn in ((pid, os.killpg), (pid, os.kill)):
        try:
            fn(target, signal.SIGKILL)
        except OSError:
            pass


def members(sessions: set[int], homes: set[str], since: int = 0) -> list[int]:
    """Live processes (not this one) in one of `sessions`, or started at `since` or later with one of `homes`
    as HOME (a pod's descendants all started after it: older processes' environments are not read)."""
    me = os.getpid()
    found: list[int] = []
    try:
        names = os.listdir("/proc")
    except OSError:  # no /proc (not Linux): only process groups are killed
        return found
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        info = stat(pid)
        if info is None or info[0] == "Z":
            continue
        if info[3] in sessions or (homes and info[4] >= since and home(pid) in homes):
            found.append(pid)
    return found


def sweep(sessions: set[int], homes: set[str], since: int = 0, rounds: int = 20, pause: float = 0.05) -> int:
    """Kill every process of `sessions`/`homes` until a scan finds none (a killed process's children are
    orphaned, then found by the next scan); returns how many were killed."""
    killed = 0
    for _ in range(rounds):
        found = members(sessions, homes, since)
        if not found:
            break
        for pid in found:
            kill(pid)
        killed += len(found)
        time.sleep(pause)
    return killed


class Sweeper:
    """Sweeps on a thread of their own, batched: the pod's end is not delayed by a /proc scan, and pods ending
    within `INTERVAL` share one. `then()` runs after each pod's sweep (the watchdog forgets the pod only then)."""

    def __init__(self, busy_homes: Callable[[], set[str]] = set) -> None:
        # HOMEs still used by a running container: several containers of one pod (a containerSet) share the
        # pod's root as HOME, and one container's end must not kill another that still runs
        self._busy_homes = busy_homes
        self._lock = threading.Lock()
        self._pending: list[tuple[set[int], set[str], int, Callable[[], None]]] = []
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, sessions: set[int], homes: set[str], since: int, then: Callable[[], None]) -> None:
        with self._lock:
            self._pending.append((sessions, homes, since, then))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="argonb-leftovers", daemon=True)
                self._thread.start()
        self._wake.set()

    def flush(self) -> None:
        """Sweep what is pending now, on the caller's thread (at exit)."""
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            homes = set().union(*(b[1] for b in batch)) - self._busy_homes()
            sweep(set().union(*(b[0] for b in batch)), homes, min(b[2] for b in batch))
            for *_, then in batch:
                then()

    INTERVAL = 0.2  # at most one scan per interval: pods ending in a row share it (and its CPU)

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self.flush()
            time.sleep(self.INTERVAL)
