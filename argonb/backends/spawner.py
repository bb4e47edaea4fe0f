"""The client side of `spawn_helper.py`: hands pods to the helper process and hears back when they end.

`SpawnedProcess` stands in for `subprocess.Popen` (pid, poll, wait, kill, stdout/stderr) for a process the
helper started, so the local backend's kill-and-drain code works on both.
"""

from __future__ import annotations

import array
import atexit
import itertools
import logging
import marshal
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("argonb.backends")

HELPER = str(Path(__file__).with_name("spawn_helper.py"))
MAX_MESSAGE = 160 * 1024
RECV_SIZE = 256 * 1024  # above the helper's largest reply (spawn_helper.FLUSH_AT entries)  # under the socket's default buffer: bigger pods (huge scripts) use the threaded path


class _Pipe:
    """The read end of a pod's pipe: what the supervisor and the kill-and-drain code use of a file object
    (`fileno`, `close`), without the fstat and buffer objects of `os.fdopen`."""

    __slots__ = ("fd",)

    def __init__(self, fd: int):
        self.fd = fd

    def fileno(self) -> int:
        if self.fd < 0:
            raise ValueError("I/O operation on closed pipe")
        return self.fd

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class SpawnedProcess:
    """The part of Popen's API the local backend uses, for a process started by the helper (its child, so the
    exit status arrives as a message, not from waitpid)."""

    def __init__(self, argv: list[str], stdout_fd: int, stderr_fd: int):
        self.args = argv
        self.pid: int | None = None
        self.returncode: int | None = None
        self.stdout = _Pipe(stdout_fd)
        self.stderr = _Pipe(stderr_fd)
        self.ended = threading.Event()
        self.started = threading.Event()  # the helper answered: `pid` is set, or the spawn failed

    def wait_started(self, timeout: float = 10.0) -> int | None:
        """The pid, once the helper said (output can arrive before its answer is read)."""
        self.started.wait(timeout)
        return self.pid

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self.ended.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        if self.pid is not None and self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def set_exit(self, status: int) -> None:
        self.returncode = os.waitstatus_to_exitcode(status)  # negative for a signal, as Popen's
        self.ended.set()


class Spawner:
    """One helper process, one socket. `spawn()` from any thread; `on_readable()` from the supervisor thread,
    which calls `events(kind, pod, payload)` for "spawned" (pid), "failed" (OSError) and "exited" (status)."""

    def __init__(self, events: Callable[[str, Any, Any], None]):
        self._events = events
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.helper = subprocess.Popen([sys.executable, "-I", "-S", HELPER], stdin=theirs,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                           start_new_session=True, close_fds=True)
        finally:
            theirs.close()
        self.sock = ours
        self.alive = True
        self.ready = False  # the helper said it is up: until then pods are better started by the caller
        self._ids = itertools.count(1)
        self._pods: dict[int, Any] = {}  # request id -> the caller's pod object, until it exits
        self._send_lock = threading.Lock()
        atexit.register(self.close)

    def close(self) -> None:
        """At exit: the helper sees its socket close, kills what still runs, and is waited for (no zombie; its
        CPU and its pods' then count in this process's children's usage, as a thread pool's would)."""
        self.alive = False
        try:
            self.sock.close()
            self.helper.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def message(self, argv: list[str], env: dict[str, str], cwd: str, dirs: list[str],
                files: list[tuple[str, bytes, int]]) -> tuple[int, bytes] | None:
        """A request for the helper, with its id; None when it is too big to send (the caller runs the pod
        itself)."""
        rid = next(self._ids)
        data = marshal.dumps((rid, argv, env, cwd, dirs, files))
        return None if len(data) > MAX_MESSAGE else (rid, data)

    def send(self, rid: int, data: bytes, pod: Any, proc: SpawnedProcess, out_w: int, err_w: int) -> bool:
        """Send a request with the pod's pipe ends (closed here, sent or not); False if the helper is gone."""
        self._pods[rid] = (pod, proc)
        try:
            if not self.alive:
                raise BrokenPipeError
            with self._send_lock:
                self.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [out_w, err_w]))])
        except OSError:
            self._pods.pop(rid, None)
            return False
        finally:
            os.close(out_w)
            os.close(err_w)
        return True

    def on_readable(self) -> None:
        while True:
            try:
                data = self.sock.recv(RECV_SIZE, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._died()
                return
            for kind, rid, *rest in marshal.loads(data):
                self._dispatch(kind, rid, rest)

    def _dispatch(self, kind: str, rid: int, rest: list[Any]) -> None:
        if kind == "ready":
            self.ready = True
            return
        entry = self._pods.get(rid)
        if entry is None:
            return
        pod, proc = entry
        if kind == "spawned":
            proc.pid = rest[0]
            proc.started.set()
            self._events("spawned", pod, rest[0])
        elif kind == "failed":
            self._pods.pop(rid, None)
            proc.started.set()
            code, message, filename = rest
            exc = OSError(code, message) if filename is None else OSError(code, message, filename)
            self._events("failed", pod, exc)
        elif kind == "exited":
            self._pods.pop(rid, None)
            proc.set_exit(rest[0])
            self._events("exited", pod, rest[0])

    def _died(self) -> None:
        """The helper is gone (killed from outside): its pods' ends are unknown, they end in Error."""
        if not self.alive:
            return
        self.alive = False
        log.error("argonb's spawn helper exited; its running pods are reported as failed")
        pods, self._pods = self._pods, {}
        for pod, proc in pods.values():
            proc.started.set()
            self._events("lost", pod, None)
            proc.set_exit(9)  # as if SIGKILLed: nobody can report its end any more
