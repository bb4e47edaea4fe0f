"""One thread watches every plain local pod: the pipes of all of them in one epoll set, and their exits as
messages from the spawn helper (`spawner.py`), which starts them on the other core.

A thread per pod (blocked in its own poll loop, spawning with Python's global lock held) cost two thread
switches, several wake-ups and a few hundred microseconds of locked spawning per pod; on a 2-core machine those,
not the pods, bounded throughput. Here the engine's thread only sends a message; this thread reads output as it
comes and calls `on_exit(PodResult)` when the pod has exited and its pipes are at EOF.

Only the common path lives here: output, exit, end. A pod that is cancelled, passes its deadline, or exits while
something it started still holds its pipes is handed to a short-lived thread running the local backend's
blocking kill-and-drain code, so those rules have one implementation (ARGO-SEMANTICS §5.1, §5.10, §11).
"""

from __future__ import annotations

import heapq
import logging
import os
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from argonb.backends.podlogs import PodLogs, Stream
from argonb.backends.spawner import SpawnedProcess, Spawner
from argonb.engine.backend import PodRequest, PodResult

log = logging.getLogger("argonb.backends")

TICK = 0.2  # how often cancel switches are looked at while pods run (as often as the per-pod loop did)
STRAGGLER_GRACE = 0.05  # main exited but its pipes stay open this long: something it started holds them


def supported() -> bool:
    """epoll and SOCK_SEQPACKET Unix sockets with descriptor passing (Linux); elsewhere pods use threads."""
    return hasattr(select, "epoll") and hasattr(socket, "SOCK_SEQPACKET") and hasattr(os, "posix_spawn") \
        and hasattr(socket, "SCM_RIGHTS")


class PodWatch:
    """One pod under watch: its process, output streams, and what to do when it ends."""

    __slots__ = ("proc", "request", "streams", "logs", "pipes", "exited_at", "cancel", "on_exit", "finish",
                 "spawn_failed", "ended")

    def __init__(self, request: PodRequest, streams: dict[str, Stream], logs: PodLogs, cancel: threading.Event,
                 on_exit: Callable[[PodResult], None], finish: Callable[[PodWatch, bool, bool, bool], PodResult],
                 spawn_failed: Callable[[OSError], PodResult]):
        self.proc: SpawnedProcess | None = None
        self.request = request
        self.streams = streams  # "stdout"/"stderr" -> the pod-log writer's line splitters
        self.logs = logs  # the pod-log writer's files (closed when the pod ends)
        self.pipes: dict[int, str] = {}  # descriptors not yet at EOF -> stream name
        self.exited_at: float | None = None
        self.cancel = cancel
        self.on_exit = on_exit
        self.finish = finish  # (watch, timed_out, cancelled, stragglers) -> PodResult: the backend's ending
        self.spawn_failed = spawn_failed  # OSError from the helper -> the PodResult saying why
        self.ended = False


class Supervisor:
    """The watching thread (started on first use, a daemon that lives as long as the process)."""

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._fds: dict[int, tuple[PodWatch, str]] = {}  # pipe -> (pod, stream name)
        self._active: set[PodWatch] = set()
        self._exiting: set[PodWatch] = set()  # exited, pipes not yet at EOF
        self._touched: set[PodWatch] = set()
        self._deadlines: list[tuple[float, int, PodWatch]] = []
        self._seq = 0
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._epoll.register(self._wake_r, select.EPOLLIN)
        self._spawner: Spawner | None = None
        self._thread = threading.Thread(target=self._loop, name="argonb-pods", daemon=True)
        self._thread.start()

    def spawner(self) -> Spawner:
        with self._lock:
            if self._spawner is None or not self._spawner.alive:
                if self._spawner is not None:  # a dead one (its socket is no longer watched)
                    self._spawner.sock.close()
                self._spawner = Spawner(self._on_spawner_event)
                self._epoll.register(self._spawner.sock.fileno(), select.EPOLLIN)
            return self._spawner

    def spawn(self, watch: PodWatch, argv: list[str], env: dict[str, str], cwd: str, dirs: list[str],
              files: list[tuple[str, bytes, int]]) -> bool:
        """Watch `watch` and have the helper start its process (any thread); False when the helper cannot take
        this pod (nothing was started, nothing is left behind)."""
        spawner = self.spawner()
        request = spawner.message(argv, env, cwd, dirs, files)
        if request is None:
            return False
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        proc = watch.proc = SpawnedProcess(argv, out_r, err_r)
        pipes = {out_r: "stdout", err_r: "stderr"}
        watch.pipes.update(pipes)
        deadline = watch.request.deadline
        # everything is in place before the helper can answer: its "exited" always finds the pipes watched
        with self._lock:
            self._active.add(watch)
            for fd, name in pipes.items():
                self._fds[fd] = (watch, name)
        for fd in pipes:  # epoll sees descriptors added while it waits
            self._epoll.register(fd, select.EPOLLIN)
        if not spawner.send(*request, watch, proc, out_w, err_w):
            self._release(watch)
            proc.stdout.close()
            proc.stderr.close()
            return False
        if deadline is not None:
            with self._lock:
                self._seq += 1
                heapq.heappush(self._deadlines, (deadline, self._seq, watch))
            os.write(self._wake_w, b"d")  # the wait in progress may be longer than this pod's deadline
        return True

    # ---- the watching thread --------------------------------------------------------------------------
    def _loop(self) -> None:
        last_tick = time.monotonic()
        while True:
            try:
                events = self._epoll.poll(self._timeout())
            except InterruptedError:
                continue
            for fd, _ in events:
                entry = self._fds.get(fd)
                if entry is not None:
                    self._read(fd, *entry)
                elif self._spawner is not None and fd == self._spawner.sock.fileno():
                    self._spawner.on_readable()
                    if not self._spawner.alive:  # its socket would stay readable (EOF) forever
                        self._forget(fd)
                elif fd == self._wake_r:
                    _drain_wakeups(fd)
            touched, self._touched = self._touched, set()
            for watch in touched:
                if watch.exited_at is not None and not watch.ended:
                    if not watch.pipes:
                        self._end(watch)
                    else:
                        self._exiting.add(watch)
            now = time.monotonic()
            for watch in [w for w in self._exiting if now - (w.exited_at or now) >= STRAGGLER_GRACE]:
                self._hand_off(watch, stragglers=True)
            self._expire_deadlines()
            if now - last_tick >= TICK:
                last_tick = now
                with self._lock:
                    cancelled = [w for w in self._active if w.cancel.is_set() and w.proc and w.proc.pid]
                for watch in cancelled:
                    self._hand_off(watch, cancelled=True)

    def _read(self, fd: int, watch: PodWatch, name: str) -> None:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        self._touched.add(watch)
        if chunk:
            try:
                watch.streams[name].feed(chunk)
            except Exception as exc:  # a bug in a log sink: this pod is killed and ends in Error, as a pod
                # whose worker thread raised does; a full disk is no bug: no traceback for it
                (log.error if isinstance(exc, OSError) else log.exception)("pod %s: output: %s",
                                                                           watch.request.pod_name, exc)
                self._hand_off(watch, failure=exc)
        else:
            self._forget(fd)
            watch.pipes.pop(fd, None)

    def _on_spawner_event(self, kind: str, watch: PodWatch, payload: Any) -> None:
        if kind == "failed":
            self._release(watch)
            self._complete(watch, lambda: watch.spawn_failed(payload))
        elif kind == "exited":
            watch.exited_at = time.monotonic()
            self._touched.add(watch)
        elif kind == "lost":  # the helper died: the pod is killed, the node says why
            self._hand_off(watch, failure=RuntimeError("argonb's spawn helper exited unexpectedly"))

    def _timeout(self) -> float:
        with self._lock:
            if not self._active:
                return -1  # nothing to watch: sleep until a pod arrives
            timeout = STRAGGLER_GRACE if self._exiting else TICK
            while self._deadlines and self._deadlines[0][2].ended:
                heapq.heappop(self._deadlines)
            if self._deadlines:
                timeout = min(timeout, max(0.0, self._deadlines[0][0] - time.time()))
            return timeout

    def _expire_deadlines(self) -> None:
        now = time.time()
        while True:
            with self._lock:
                if not self._deadlines or self._deadlines[0][0] > now:
                    return
                deadline, seq, watch = heapq.heappop(self._deadlines)
                if not watch.ended and not (watch.proc and watch.proc.pid):  # not started yet: look again soon
                    heapq.heappush(self._deadlines, (now + STRAGGLER_GRACE, seq, watch))
                    return
            if not watch.ended:
                self._hand_off(watch, timed_out=True)

    def _forget(self, fd: int) -> None:
        with self._lock:
            self._fds.pop(fd, None)
        try:
            self._epoll.unregister(fd)
        except (OSError, ValueError):
            pass

    def _release(self, watch: PodWatch) -> None:
        """Stop watching this pod's pipes (they stay open for whoever ends it)."""
        watch.ended = True
        for fd in list(watch.pipes):
            self._forget(fd)
        with self._lock:
            self._active.discard(watch)
        self._exiting.discard(watch)

    def _end(self, watch: PodWatch) -> None:
        self._release(watch)
        self._complete(watch, lambda: watch.finish(watch, False, False, False))

    def _hand_off(self, watch: PodWatch, *, timed_out: bool = False, cancelled: bool = False,
                  stragglers: bool = False, failure: Exception | None = None) -> None:
        """Kill-and-drain blocks for up to seconds: it runs on its own thread, the others keep being watched.
        `failure`: argonb itself failed while handling the pod; it is killed and ends in Error saying so."""
        if watch.ended:
            return
        self._release(watch)

        def finish() -> PodResult:
            if failure is None:
                return watch.finish(watch, timed_out, cancelled, stragglers)
            try:
                watch.finish(watch, False, True, False)
            except OSError as exc:  # the same write error again while draining: already reported
                log.debug("ending pod %s: %s", watch.request.pod_name, exc)
            except Exception:
                log.exception("ending pod %s", watch.request.pod_name)
            return PodResult(exit_code=None, error=f"argonb failed to run the pod: {failure}")

        threading.Thread(target=self._complete, args=(watch, finish), name="argonb-pod-end", daemon=True).start()

    @staticmethod
    def _complete(watch: PodWatch, finish: Callable[[], PodResult]) -> None:
        try:
            result = finish()
        except Exception as exc:  # never lose a pod: it ends in Error with the reason
            log.exception("ending pod %s", watch.request.pod_name)
            result = PodResult(exit_code=None, error=f"argonb failed to end the pod: {exc}")
        try:
            watch.on_exit(result)
        except Exception:
            log.exception("pod %s: exit callback", watch.request.pod_name)


def _drain_wakeups(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


_BY_PID: dict[int, Supervisor] = {}
_BY_PID_LOCK = threading.Lock()


def supervisor() -> Supervisor:
    """This process's supervisor (a forked child makes its own: epoll sets and threads do not survive fork)."""
    pid = os.getpid()
    with _BY_PID_LOCK:
        found = _BY_PID.get(pid)
        if found is None:
            _BY_PID.clear()
            found = _BY_PID[pid] = Supervisor()
        return found


def wait_ready(timeout: float) -> bool:
    """Start this process's spawn helper if needed and wait until it is up (tests, benchmarks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if supervisor().spawner().ready:
            return True
        time.sleep(0.005)
    return False
