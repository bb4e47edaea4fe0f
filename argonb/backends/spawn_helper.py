"""argonb's spawn helper: a small process that starts local pods for the process that runs the workflow.

Why a process: on the machines argonb targets, starting a program (vfork + exec) takes a few hundred
microseconds with Python's global lock held, so a workflow of short pods spent most of its time spawning,
one pod at a time. This helper does the spawning (and the pod directories) on the other core.

Run as `python -I -S spawn_helper.py` with a SOCK_SEQPACKET socket on fd 0; standard library only.
Messages are `marshal` tuples:
- in:  (id, argv, env, cwd, dirs, files) + the pod's stdout and stderr pipe ends (SCM_RIGHTS)
- out: [("ready", 0)] once started, then lists of ("spawned", id, pid) | ("failed", id, errno, message, filename) | ("exited", id, wait_status),
  everything that happened in one turn of the loop in one message (each message wakes the parent)
Every pod gets its own session (process group). The helper is a child subreaper (leftovers.py): whatever a pod
started that left its group or session and was orphaned becomes the helper's child, and is killed once its pod
has ended, as a container's processes die with it. When the socket closes (the parent exited, however it
died), every pod still running and everything adopted is killed (SIGKILL) and the helper exits.
"""

import array
import errno
import marshal
import os
import select
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # `-I`: the script's directory is not on the path
import leftovers  # noqa: E402  (standard library only)

SOCK = socket.socket(fileno=0)
DEVNULL = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
running = {}  # pid -> request id
homes = {}  # pid -> the pod's HOME (its private root), while it runs
ended = {}  # session id -> HOME of pods that ended recently (their adopted leftovers are killed)
ENDED_KEPT = 4096
SWEEP_FOR = 1.0  # after a pod ends, its dying processes' children are orphaned to us within this time
sweep_until = 0.0
ME = os.getpid()
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
        # HOME tells the pod's processes apart only when it is a directory made for this pod (its private root),
        # not a HOME the template set itself
        homes[pid] = env.get("HOME", "") if env.get("HOME") in dirs else ""
        ended.pop(pid, None)  # a reused pid: that session is alive again
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
    """Reap exited pods and adopted orphans; True if any child ended (a sweep is due)."""
    global sweep_until
    any_ended = False
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return any_ended
        if pid == 0:
            return any_ended
        rid = running.pop(pid, None)
        if rid is not None:
            # main is gone: what it left in its group dies now, as a container's processes do when its main
            # process exits (SIGKILL, no grace); what left the group is swept below
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            ended[pid] = homes.pop(pid, "")
            if len(ended) > ENDED_KEPT:
                del ended[next(iter(ended))]
            reply(("exited", rid, status))
        any_ended = True  # an orphan's end may orphan its own children to us
        sweep_until = time.monotonic() + SWEEP_FOR


def sweep():
    """Kill the adopted processes whose pod has ended: same session as an ended pod, or its HOME; whose pod
    cannot be told (a new session and no known HOME) once no pod runs."""
    live_homes = set(homes.values()) - {""}
    ended_homes = set(ended.values()) - {""}
    for pid in leftovers.children(ME):
        if pid in running:
            continue
        info = leftovers.stat(pid)
        if info is None or info[0] == "Z":
            continue
        session = info[3]
        if session in running:
            continue
        home = leftovers.home(pid)
        if home and home in live_homes:
            continue
        if session in ended or (home and home in ended_homes) or not running:
            leftovers.kill(pid)


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
    subreaper = leftovers.become_subreaper()
    reply(("ready", 0))
    flush()
    try:
        while True:
            # blocks, except while the orphans of a pod that just ended may still be arriving
            timeout = 100 if subreaper and time.monotonic() < sweep_until else None
            for fd, _ in poller.poll(timeout):
                if fd == wake_r:
                    drain(wake_r)
                elif not receive():
                    return
            ended_now = reap()
            flush()
            if subreaper and (ended_now or time.monotonic() < sweep_until):
                sweep()
    except (ConnectionError, OSError):
        return
    finally:
        for pid in list(running):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        if subreaper:
            kill_adopted()


def kill_adopted(limit=2.0):
    """The parent is gone: kill every child (pods and what they left), reap, repeat while killed processes'
    children keep being orphaned to us."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        kids = leftovers.children(ME)
        if not kids:
            return
        for pid in kids:
            leftovers.kill(pid)
        time.sleep(0.02)
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break


if __name__ == "__main__":
    main()
