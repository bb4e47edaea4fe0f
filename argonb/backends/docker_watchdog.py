"""Containers die with the process that started them: a tiny watchdog removes them however it dies (SIGKILL too).

The atexit hook in docker.py only runs on a clean interpreter exit. This watchdog, started before the process's
first container, holds the read end of a pipe whose only writer is this process; when it reads EOF (this
process exited or was killed), it removes every container labelled with this process's session id, twice a
second apart (a create that was in flight when the process died). It imports the Docker SDK only then, so it
costs nothing while the process lives.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading

LABEL_SESSION = "argonb.session"  # this process's containers carry its session id under this label

WATCHDOG = r"""
import os, sys, time
while os.read(0, 65536):
    pass
import docker
label = sys.argv[1]
client = docker.from_env(timeout=30)
for attempt in range(2):
    try:
        for entry in client.api.containers(all=True, filters={"label": label}):
            try:
                client.api.remove_container(entry["Id"], force=True, v=True)
            except Exception:
                pass
    except Exception:
        pass
    time.sleep(1)
"""

_lock = threading.Lock()
_writer: int | None = None
_pid: int | None = None
_session: tuple[int, str] = (0, "")


def session() -> str:
    """This process's session id (a forked child gets its own: its watchdog must not remove the parent's)."""
    global _session
    if _session[0] != os.getpid():
        _session = (os.getpid(), secrets.token_hex(8))
    return _session[1]


def start(engine: str | None) -> None:
    """Start this process's watchdog for the engine at `engine` (None: the SDK's default), once per process."""
    global _writer, _pid
    with _lock:
        if _writer is not None and _pid == os.getpid():
            return
        read_end, write_end = os.pipe()
        env = dict(os.environ)
        if engine:
            env["DOCKER_HOST"] = engine
        try:
            subprocess.Popen([sys.executable, "-c", WATCHDOG, f"{LABEL_SESSION}={session()}"], stdin=read_end,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                             close_fds=True, env=env)
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return
        os.close(read_end)
        os.set_inheritable(write_end, False)
        _writer, _pid = write_end, os.getpid()
