"""Children die with their parent: a tiny watchdog process kills every pod's process group when the process
that started them dies, however it dies (SIGKILL included).

Each pod runs in its own process group (session). The watchdog reads `+PGID HOME` / `-PGID` lines from a pipe
whose only writer is this process; when the pipe closes — this process exited or was killed — it SIGKILLs
every group still registered, grandchildren that double-forked inside the group included, then what left
those groups: processes still in their sessions or started with their pods' private HOME (leftovers.py). One watchdog per
process, started on first use; registering a pod costs one small pipe write (no preexec_fn, so Popen keeps
its fast vfork path). The watchdog reads the pipe five times a second rather than blocking on it: a blocking
read woke it (a process switch on a 2-core machine) twice per pod; the pipe is enlarged so it never fills
between two reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

WATCHDOG = r"""
import os, signal, sys, time
sys.path.insert(0, sys.argv[1])
import leftovers
os.set_blocking(0, False)
groups, homes, pending = set(), {}, b""
while True:
    try:
        chunk = os.read(0, 1 << 20)
    except BlockingIOError:
        time.sleep(0.2)
        continue
    if not chunk:
        break
    *lines, pending = (pending + chunk).split(b"\n")
    for line in lines:
        if line[:1] == b"+":
            pgid, _, home = line[1:].partition(b" ")
            groups.add(int(pgid))
            if home:
                homes[int(pgid)] = os.fsdecode(home)
        elif line[:1] == b"-":
            groups.discard(int(line[1:]))
            homes.pop(int(line[1:]), None)
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
if groups:
    leftovers.sweep(groups, set(homes.values()))
"""

_lock = threading.Lock()
_writer: int | None = None
_pid: int | None = None


def _ensure() -> int | None:
    global _writer, _pid
    with _lock:
        if _writer is not None and _pid == os.getpid():
            return _writer
        read_end, write_end = os.pipe()
        try:
            here = os.path.dirname(os.path.abspath(__file__))  # where leftovers.py is
            subprocess.Popen([sys.executable, "-c", WATCHDOG, here], stdin=read_end, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        os.close(read_end)
        os.set_inheritable(write_end, False)
        _enlarge(write_end)
        _writer, _pid = write_end, os.getpid()
        return _writer


def _enlarge(fd: int) -> None:
    """1 MiB of pipe (Linux): about 100,000 registrations between two reads of the watchdog."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # the default 64 KiB: a writer may wait up to one read interval if it ever fills


def start() -> None:
    """Start this process's watchdog now (otherwise it starts with the first registration)."""
    _ensure()


def register(pgid: int, home: str = "") -> None:
    """Kill process group `pgid` (and what left it: its session, processes with the pod's private `home`) if this
    process dies before `unregister(pgid)`."""
    fd = _ensure()
    if fd is not None:
        try:
            marker = os.fsencode(home) if "\n" not in home else b""  # one line per registration
            os.write(fd, b"+%d %s\n" % (pgid, marker))
        except OSError:
            pass


def unregister(pgid: int) -> None:
    fd = _writer if _pid == os.getpid() else None
    if fd is not None:
        try:
            os.write(fd, f"-{pgid}\n".encode())
        except OSError:
            pass
