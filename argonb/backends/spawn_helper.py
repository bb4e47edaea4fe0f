"""argonb's spawn helper: a small process that starts local pods for the process that runs the workflow.

Why a process: on the machines argonb targets, starting a program (vfork + exec) takes a few hundred
microseconds with Python's global lock held, so a workflow of short pods spent most of its time spawning,
one pod at a time. This helper does the spawning (and the pod directories) on the other core.

Run as `python -I -S spawn_helper.py` with a SOCK_SEQPACKET socket on fd 0; standard library only.
Messages are `marshal` tuples:
- in:  (id, argv, env, cwd, dirs, files) + the pod's stdout and stderr pipe ends (SCM_RIGHTS)
- out: [("ready", 0)] once started, then lists of ("spawned", id, pid) | ("failed", id, errno, message, filename) | ("exited", id, wait_status),
  everything that happened in one turn of the loop in one message (each message wakes the parent)
Every pod gets its own session (process group). When the socket closes (the parent exited, however it died),
every pod still running is killed (SIGKILL to its group) and the helper exits.
"""

import array
import errno
import marshal
import os
import select
import signal
import socket

SOCK = socket.socket(fileno=0)
DEVNULL = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
running = {}  # pid -> request id
outbox = []  # replies of this turn of the loop
BATCH = 8  # requests taken per turn before exits are reaped and replies sent
paths = {}  # (program, PATH) -> resolved path


def resolve(program, env):
    """The executable a container would run: `program` if it has a slash, else the first match on the pod's
    PATH (posix_spawnp would search the helper's own PATH)."""
    if "/" in program:
        return program
    key = (program, env.get("PATH", ""))
    found = paths.get(key)
    if found is None:
        for folder in key[1].split(":"):
            candidate = os.path.join(folder or ".", program)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                found = paths[key] = candidate
                break
        else:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    return found


def prepare(dirs, files):
    for path in dirs:  # parents come first in `dirs`: one mkdir each, makedirs (a stat per level) if not
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        except FileNotFoundError:
            os.makedirs(path, exist_ok=True)
    for path, data, mode in files:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)


def spawn(request, fds):
    # the pod's directories are made here, in line: threads for them did not help (mkdirs in one parent
    # directory take its lock in turn) and cost a thread hop per pod, on the path of every dependent step
    rid, argv, env, cwd, dirs, files = request
    out, err = fds
    try:
        prepare(dirs, files)
        os.chdir(cwd)
        pid = os.posix_spawn(resolve(argv[0], env), argv, env, setsid=True,
                             file_actions=[(os.POSIX_SPAWN_DUP2, DEVNULL, 0), (os.POSIX_SPAWN_DUP2, out, 1),
                                           (os.POSIX_SPAWN_DUP2, err, 2)])
    except OSError as exc:
        reply(("failed", rid, exc.errno or 0, exc.strerror or str(exc), exc.filename))
    else:
        running[pid] = rid
        reply(("spawned", rid, pid))
    finally:
        os.close(out)
        os.close(err)
        os.chdir("/")


def reply(message):
    outbox.append(message)


FLUSH_AT = 1000  # replies per message at most (each under 100 bytes: the parent reads 256 KiB at a time)


def flush():
    while outbox:
        SOCK.sendmsg([marshal.dumps(outbox[:FLUSH_AT])])
        del outbox[:FLUSH_AT]


def reap():
    while running:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        rid = running.pop(pid, None)
        if rid is not None:
            # main is gone: what it left in its group dies now, as a container's processes do when its main
            # process exits (SIGKILL, no grace)
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            reply(("exited", rid, status))


def receive():
    """Take up to BATCH waiting requests; False once the parent has gone."""
    for _ in range(BATCH):
        try:
            if not receive_one():
                return False
        except BlockingIOError:
            break
    return True


def receive_one():
    fds = array.array("i")
    message, ancillary, _, _ = SOCK.recvmsg(1 << 20, socket.CMSG_SPACE(2 * fds.itemsize),
                                            socket.MSG_CMSG_CLOEXEC | socket.MSG_DONTWAIT)
    if not message:
        return False
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    spawn(marshal.loads(message), list(fds))
    return True


def drain(fd):
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def main():
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when pods stop
    poller = select.poll()
    poller.register(SOCK.fileno(), select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    reply(("ready", 0))
    flush()
    try:
        while True:
            for fd, _ in poller.poll():
                if fd == wake_r:
                    drain(wake_r)
                elif not receive():
                    return
            reap()
            flush()
    except (ConnectionError, OSError):
        return
    finally:
        for pid in list(running):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


if __name__ == "__main__":
    main()
