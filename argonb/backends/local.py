"""The local backend: each pod's main container is a subprocess on this machine (no Docker, no cluster).

Emulation rules (ARGO-SEMANTICS §5.1, §5.2, §12.4):
- the image is recorded, not used; its ENTRYPOINT/CMD come from `images.py`; `/argosay` and `cowsay` are
  stand-ins; `python`/`python3` fall back to the running interpreter when absent;
- every pod gets a private root directory; the container paths it declares (artifact and parameter paths,
  volume mounts) and `/tmp` are rewritten in command, args, script and env to live under that root, so ten
  loop children writing `/tmp/color.txt` never collide and nothing litters the host; the working directory is
  the root (images' WORKDIR is `/`);
- no shell unless the command is one; stdin closed; stdout and stderr captured apart, streamed line by line,
  and written in full to `stdout.log`/`stderr.log` (each once its stream has output) and `main.log` (both, in
  arrival order) in the pod directory;
- the process runs in its own process group, killed as a group (SIGTERM, then SIGKILL) on cancel/deadline.
"""

from __future__ import annotations

import atexit
import functools
import math
import os
import re
import select
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argonb.backends import leftovers, reaper
from argonb.backends.images import effective_argv, split_image
from argonb.backends.podlogs import RESULT_LIMIT as RESULT_LIMIT  # re-exported: tests and docs name it here
from argonb.backends.podlogs import Stream as _Stream
from argonb.backends.podlogs import open_streams
from argonb.backends.spawner import SpawnedProcess
from argonb.backends.stand_ins import bin_dir, busybox_applets
from argonb.backends.supervisor import PodWatch, supervisor
from argonb.backends.supervisor import supported as _supervision_supported
from argonb.engine.backend import AuxContainer, LogSink, PodRequest, PodResult, is_system_path

KILL_GRACE = 2.0
PRIVATE_PATHS = ("/tmp",)
SCRIPT_PATH = "/argo/staging/script"  # where Argo puts a script template's source in the container (§5.2)
SUPERVISED = _supervision_supported()  # plain pods go through the spawn helper (else: a thread per pod)



class LocalBackend:
    name = "local"

    def __init__(self) -> None:
        reaper.start()  # the watchdog exists before the first pod, so no pod can outlive a crash unseen
        if SUPERVISED:
            try:
                supervisor().spawner()  # started now: warm by the time the first pod is ready
            except OSError:
                pass  # no helper here (no SOCK_SEQPACKET, interpreter cannot start): pods use threads

    def check(self) -> str | None:
        return None

    def run(self, request: PodRequest, on_log: LogSink, cancel: threading.Event) -> PodResult:
        try:
            rewrite = self._filesystem(request)
            argv, env, cwd = self._command(request, rewrite, request.image, request.command, request.args,
                                           request.env, request.working_dir, request.script)
        except OSError as exc:
            return PodResult(exit_code=None, error=f"cannot prepare pod: {exc}")
        if not argv:
            return PodResult(exit_code=None, error=_no_command(request.image))
        sessions: list[int] = []  # every container's session: the pod's end reaches what left its group
        since = _now_ticks()
        home = _private_home(env, request)
        _HOMES_IN_USE.enter(home)
        try:
            for init in request.init_containers:
                code = self._run_init(request, rewrite, init, on_log, cancel, sessions)
                if isinstance(code, PodResult):
                    return code
            sidecars = [self._start_sidecar(request, rewrite, sc, on_log, sessions) for sc in request.sidecars]
            try:
                result = self._run_main(request, argv, env, cwd, on_log, cancel, sessions)
            finally:
                codes = [(name, _stop(proc)) for name, proc in sidecars if proc is not None]
        finally:
            # no subreaper above these processes (they are this process's children): find the rest in /proc;
            # the watchdog keeps covering the pod until that is done
            _HOMES_IN_USE.leave(home)
            _SWEEPER.submit(set(sessions), {home} - {""}, since, _forget(sessions))
        for name, code in codes:
            if code not in (0, 137, 143) and not result.error:  # 137/143: killed once main exited (§5.10)
                result.failed_container, result.failed_exit_code = name, code
                break
        return result

    def start(self, request: PodRequest, on_log: LogSink, cancel: threading.Event,
              on_exit: Callable[[PodResult], None]) -> bool:
        """Start a plain pod (main container only, no terminal) through the spawn helper and return at once;
        `on_exit(result)` is called from the supervisor thread when it ends. False: nothing was started, this
        pod needs `run()` on a thread of its own."""
        if request.init_containers or request.sidecars or request.tty or not SUPERVISED:
            return False
        watcher = supervisor()
        try:
            if not watcher.spawner().ready:  # the helper is still starting (~30 ms): a thread runs this one
                return False
        except OSError:  # the helper cannot start here: threads run every pod
            return False
        rewrite, dirs = self._layout(request)
        files: list[tuple[str, bytes, int]] = []
        argv, env, cwd = self._command(request, rewrite, request.image, request.command, request.args,
                                       request.env, request.working_dir, request.script, staged=(dirs, files))
        if not argv:
            on_exit(PodResult(exit_code=None, error=_no_command(request.image)))
            return True
        # not opened yet: the helper makes the pod directory
        logs, streams = open_streams(str(request.pod_dir), on_log, "main", eager=False)

        def spawn_failed(exc: OSError) -> PodResult:
            for stream in streams.values():
                stream.close()
            logs.close()
            return PodResult(exit_code=None, error=_spawn_error(argv, request.image, exc))

        home = _private_home(env, request)

        def exited(result: PodResult) -> None:
            _HOMES_IN_USE.leave(home)
            on_exit(result)

        _HOMES_IN_USE.enter(home)
        watch = PodWatch(request, streams, logs, cancel, exited, _finish_watched, spawn_failed)
        started = False
        try:
            started = watcher.spawn(watch, argv, env, cwd, dirs, files)
        finally:
            if not started:  # nothing runs: no exit will come to count it out
                _HOMES_IN_USE.leave(home)
        return started

    def _run_main(self, request: PodRequest, argv: list[str], env: dict[str, str], cwd: str, on_log: LogSink,
                  cancel: threading.Event, sessions: list[int]) -> PodResult:
        stdin: int = subprocess.DEVNULL
        terminal: tuple[int, int] | None = None
        if request.tty and request.stdin:
            terminal = os.openpty()  # a terminal on fd 0, nothing ever typed into it
            stdin = terminal[1]
        try:
            proc = _spawn(argv, cwd, env, stdin, home=_private_home(env, request))
            sessions.append(proc.pid)
        except OSError as exc:
            if terminal:
                os.close(terminal[0])
            return PodResult(exit_code=None, error=_spawn_error(argv, request.image, exc))
        finally:
            if terminal:
                os.close(terminal[1])
        try:
            return self._supervise_main(proc, request, on_log, cancel)
        finally:
            if terminal:
                os.close(terminal[0])

    @staticmethod
    def _supervise_main(proc: subprocess.Popen[bytes], request: PodRequest, on_log: LogSink,
                        cancel: threading.Event) -> PodResult:
        try:
            return _supervise(proc, request, on_log, cancel)
        finally:
            _kill_group(proc)

    def _run_init(self, request: PodRequest, rewrite: PathRewriter, init: AuxContainer, on_log: LogSink,
                  cancel: threading.Event, sessions: list[int]) -> PodResult | int:
        argv, env, cwd = self._command(request, rewrite, init.image, init.command, init.args, init.env,
                                       init.working_dir, None)
        try:
            proc = _spawn(argv, cwd, env, subprocess.DEVNULL, home=_private_home(env, request))
        except OSError as exc:
            return PodResult(exit_code=None, error=f"init container {init.name}: " + _spawn_error(argv, init.image, exc))
        sessions.append(proc.pid)
        try:
            result = _supervise(proc, request, lambda stream, line: on_log(f"init:{init.name}", line), cancel,
                                log_name=init.name)
        finally:
            _kill_group(proc)
        if result.exit_code != 0 or result.cancelled or result.timed_out:
            result.failed_container, result.failed_exit_code = init.name, result.exit_code
            return result
        return 0

    def _start_sidecar(self, request: PodRequest, rewrite: PathRewriter, sidecar: AuxContainer,
                       on_log: LogSink, sessions: list[int]) -> tuple[str, subprocess.Popen[bytes] | None]:
        argv, env, cwd = self._command(request, rewrite, sidecar.image, sidecar.command, sidecar.args, sidecar.env,
                                       sidecar.working_dir, None)
        try:
            proc = _spawn(argv, cwd, env, subprocess.DEVNULL, merge_stderr=True, home=_private_home(env, request))
        except OSError as exc:
            on_log(f"sidecar:{sidecar.name}", _spawn_error(argv, sidecar.image, exc))
            return sidecar.name, None
        sessions.append(proc.pid)
        pump = threading.Thread(target=_pump_sidecar, args=(proc, request, sidecar.name, on_log), daemon=True,
                                name=f"argonb-sidecar-{sidecar.name}")
        pump.start()
        return sidecar.name, proc

    def _layout(self, request: PodRequest) -> tuple[PathRewriter, list[str]]:
        """The rewriter that maps container paths into the pod's private root, and the directories to create
        (pod directory, root, mount points and `/tmp`, top-level directories of declared paths), parents first:
        the spawn helper makes them for plain pods, `_filesystem` for the others."""
        root = request.root
        root_s = str(root)
        dirs = [str(request.pod_dir), root_s] if os.path.dirname(root_s) == str(request.pod_dir) else [root_s]
        # The pod owns the whole top-level directory of every path it declares (`/mnt/out/x.json` -> `/mnt`),
        # as a container owns its filesystem: `os.mkdir("/mnt/out")` must not touch the host's /mnt.
        tops = {"/" + p.strip("/").split("/")[0] for p in [*request.mapped_paths, *request.mount_paths]
                if p.startswith("/") and p.strip("/")}
        # a volume mounted under a system directory (`/etc/app`) is private too, but not the rest of /etc
        system_mounts = [m for m in [*request.mount_paths, *request.private_paths] if is_system_path(m.rstrip("/"))]
        rewrite = PathRewriter(root, [*tops, *PRIVATE_PATHS], always=system_mounts)
        # mount points exist in the container; of other declared paths, like an image, top-level directories
        # exist and deeper ones if the pod makes them
        dirs += [f"{root_s}/{path.lstrip('/')}" for path in [*request.mount_paths, *PRIVATE_PATHS]]
        for path in request.mapped_paths:
            top = path.strip("/").split("/")[0]
            if "/" in path.strip("/") and top and not is_system_path("/" + top):
                dirs.append(f"{root_s}/{top}")
        return rewrite, dirs

    def _filesystem(self, request: PodRequest) -> PathRewriter:
        """Create the pod's private root (the directories `_layout` names) and return the rewriter."""
        rewrite, dirs = self._layout(request)
        for target in dirs:
            try:
                _makedirs(target)
            except FileExistsError:  # a subPath mount may already be a staged file (no stat when it is new)
                if not os.path.isfile(target):
                    raise
        return rewrite

    def _command(self, request: PodRequest, rewrite: PathRewriter, image: str, command: list[str] | None,
                 args: list[str] | None, env_vars: dict[str, str], working_dir: str | None,
                 script: str | None, staged: tuple[list[str], list[tuple[str, bytes, int]]] | None = None,
                 ) -> tuple[list[str], dict[str, str], str]:
        """argv, env and working directory of a container. `staged`: (dirs, files) the spawn helper creates;
        without it, the script file and working directory are created here."""
        root = request.root
        # `command` given: the image's ENTRYPOINT/CMD do not matter (effective_argv's own rule), no table lookup
        argv = list(command) + list(args or []) if command else effective_argv(image, command, args)
        if script:
            script_path = root / SCRIPT_PATH.lstrip("/")  # a container path, under the pod's emulated `/`
            if staged is not None:
                staged[1].append((str(script_path), rewrite(script).encode(), 0o755))
            else:
                script_path.parent.mkdir(parents=True, exist_ok=True)
                script_path.write_text(rewrite(script))
                os.chmod(script_path, 0o755)
            argv = [*argv, SCRIPT_PATH]  # §5.2: appended as the last argument
            rewrite.add(SCRIPT_PATH)
        argv = [rewrite(a) for a in argv]
        if argv:
            argv = _shell_for_image(image, argv)
            argv[0] = _resolve_program(argv[0])
        env = _base_env(root, image)
        env.update({k: rewrite(v) for k, v in env_vars.items()})
        cwd = root
        if working_dir:
            cwd = root / working_dir.lstrip("/")
            if staged is not None:
                staged[0].append(str(cwd))
            else:
                cwd.mkdir(parents=True, exist_ok=True)
        return argv, env, str(cwd)


class _HomesInUse:
    """The private HOMEs of containers running now, counted: a containerSet's containers share one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: Counter[str] = Counter()

    def enter(self, home: str) -> None:
        if home:
            with self._lock:
                self._count[home] += 1

    def leave(self, home: str) -> None:
        if home:
            with self._lock:
                self._count[home] -= 1
                if self._count[home] <= 0:
                    del self._count[home]

    def snapshot(self) -> set[str]:
        with self._lock:
            return set(self._count)


_HOMES_IN_USE = _HomesInUse()
_SWEEPER = leftovers.Sweeper(_HOMES_IN_USE.snapshot)
atexit.register(_SWEEPER.flush)


def _now_ticks() -> int:
    """Now in the clock ticks of /proc's start times, a second early: CLOCK_MONOTONIC never runs ahead of the
    clock they count (boot time on current kernels, monotonic on old ones), so no descendant starts before."""
    return max(0, int((time.clock_gettime(time.CLOCK_MONOTONIC) - 1.0) * os.sysconf("SC_CLK_TCK")))


def _forget(sessions: list[int]) -> Callable[[], None]:
    """Unregister a threaded pod's process groups from the watchdog (once its leftovers are swept)."""
    return lambda: [reaper.unregister(pgid) for pgid in sessions] and None


def _private_home(env: dict[str, str], request: PodRequest) -> str:
    """The pod's HOME when it is the pod's private root (unique to the pod: what its processes can be told by),
    else "" (a template that sets HOME itself may share it with anything)."""
    home = env.get("HOME", "")
    return home if home == str(request.root) else ""


def _spawn(argv: list[str], cwd: str, env: dict[str, str], stdin: int, merge_stderr: bool = False,
           home: str = "") -> subprocess.Popen[bytes]:
    """Start a container's process in its own session; `home`: the pod's private HOME, if it has one."""
    if stdin == subprocess.DEVNULL:
        stdin = _devnull()  # one descriptor for every pod instead of an open and a close per spawn
    # bufsize=0: the supervisor reads the raw descriptors (os.read), so no buffered reader (and its
    # isatty/lseek calls) per pipe; a sidecar's merged output is read line by line, buffered
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE, start_new_session=True,
                            bufsize=-1 if merge_stderr else 0)
    reaper.register(proc.pid, home)  # its own session: the pid is the process group id
    return proc


def _no_command(image: str) -> str:
    return ("no command: the template sets no command and argonb does not know the default command of image "
            f"{image!r} (set `command`)")


def _spawn_error(argv: list[str], image: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return (f"executable file not found: {argv[0]!r} (image {image!r} is not used by the local backend; "
                "install the tool or use --backend docker)")
    return f"cannot start {argv[0]!r}: {exc}"


def _pump_sidecar(proc: subprocess.Popen[bytes], request: PodRequest, name: str, on_log: LogSink) -> None:
    """Copy a sidecar's output (stderr merged into stdout) to `<pod>/<name>.log` and the event stream until it
    exits, through the pod-log writer every container uses (the same files and line splitting as docker's)."""
    assert proc.stdout is not None
    logs, streams = open_streams(str(request.pod_dir), on_log, name, label=f"sidecar:{name}")
    try:
        while chunk := os.read(proc.stdout.fileno(), 65536):
            streams["stdout"].feed(chunk)
    finally:
        streams["stdout"].close()
        logs.close()


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """Stop a sidecar (SIGTERM, then SIGKILL) and return its exit code as a container would report it."""
    if proc.poll() is None:
        _kill_group(proc)
    code = proc.wait()
    return 128 - code if code < 0 else code


class PathRewriter:
    """Rewrites container paths (and anything below them) to their place under the pod root."""

    def __init__(self, root: Path, paths: list[str], always: list[str] = ()):  # type: ignore[assignment]
        self.root = str(root)
        self.paths: list[str] = []
        self._regex: re.Pattern[str] | None = None
        for p in paths:
            self.add(p)
        for p in always:
            self.add(p, system_ok=True)

    def add(self, path: str, system_ok: bool = False) -> None:
        norm = path.rstrip("/") or "/"
        if is_system_path(norm) and not system_ok:
            return
        if norm.startswith("/") and norm != "/" and norm not in self.paths:
            self.paths.append(norm)
            self.paths.sort(key=len, reverse=True)
            self._regex = _rewrite_regex(tuple(self.paths))

    def __call__(self, text: str) -> str:
        if not self._regex or "/" not in text:
            return text
        return self._regex.sub(lambda m: self.root + m.group(0), text)


@functools.lru_cache(maxsize=256)
def _rewrite_regex(paths: tuple[str, ...]) -> re.Pattern[str]:
    """The pattern for these paths (longest first); every pod of a template asks for the same one."""
    alternation = "|".join(re.escape(p) for p in paths)
    return re.compile(rf"(?<![\w.\-/]){'(?:' + alternation + ')'}(?![\w.\-])")


def _shell_for_image(image: str, argv: list[str]) -> list[str]:
    """busybox/alpine images run busybox's ash: `$RANDOM`, `echo -n`... behave as in Argo's examples (§12.4).
    Debian's `busybox` package provides it; without it the host's sh is used."""
    if argv[0] not in ("sh", "/bin/sh", "ash", "/bin/ash"):
        return argv
    if _is_busybox_image(image):
        busybox = _which("busybox")
        if busybox:
            return [busybox, "sh", *argv[1:]]
        bash = _which("bash")
        if bash:
            return [bash, *argv[1:]]
    return argv


@functools.lru_cache(maxsize=256)
def _is_busybox_image(image: str) -> bool:
    name = split_image(image)[0].rsplit("/", 1)[-1]
    return name in ("busybox", "alpine") or name.startswith("alpine")


def _resolve_program(program: str) -> str:
    if program == "/argosay" or program == "argosay":
        return str(bin_dir() / "argosay")
    if program in ("python", "python3") and _which(program) is None:
        return sys.executable
    return program


def _base_env(root: Path, image: str) -> dict[str, str]:
    """A container does not inherit the host's environment: give it a minimal, predictable one. busybox and
    alpine images find busybox's applets first, as they would in the image."""
    host_path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    bins = _bin_dir()
    path = f"{bins}:{host_path}"
    if _is_busybox_image(image):
        applets = busybox_applets()
        if applets:
            path = f"{bins}:{applets}:{host_path}"
    return {
        "PATH": path,
        "HOME": str(root),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TMPDIR": f"{root}/tmp",
        "PYTHONUNBUFFERED": "1",
        "HOSTNAME": "localhost",
    }


def _supervise(proc: subprocess.Popen[bytes], request: PodRequest, on_log: LogSink,
               cancel: threading.Event, log_name: str = "main") -> PodResult:
    sel = _selector()
    assert proc.stdout is not None and proc.stderr is not None
    logs, streams = open_streams(str(request.pod_dir), on_log, log_name)
    for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        # left blocking: every read follows a poll that reported the pipe readable (or hung up), so it returns
        # at once; two fcntl calls fewer per stream
        sel.register(pipe, selectors.EVENT_READ, name)
    timed_out = cancelled = stragglers = False
    try:
        while sel.get_map():
            timeout = 0.2
            if request.deadline is not None:
                timeout = max(0.0, min(timeout, request.deadline - time.time()))
            for key, _ in sel.select(timeout):
                chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
                if chunk:
                    streams[key.data].feed(chunk)
                else:
                    sel.unregister(key.fileobj)
            if cancel.is_set():
                cancelled = True
                break
            if request.deadline is not None and time.time() >= request.deadline:
                timed_out = True
                break
            if sel.get_map() and proc.poll() is not None:
                # main exited but something it started keeps the pipes open: a container would end here
                stragglers = True
                break
        if timed_out or cancelled:
            _kill_group(proc)
            _drain(sel, streams)
        elif stragglers:  # keep main's own exit code; kill what it left behind
            _terminate_stragglers(proc.pid)
            _drain(sel, streams)
        exit_code = proc.wait()
    finally:
        sel.close()
        for s in streams.values():
            s.close()
        logs.close()
    if exit_code < 0:
        exit_code = 128 - exit_code  # signal exits appear as 128+n, like a container's
    return PodResult(exit_code=exit_code, stdout_tail=bytes(streams["stdout"].tail), timed_out=timed_out,
                     cancelled=cancelled)


def _finish_watched(watch: PodWatch, timed_out: bool, cancelled: bool, stragglers: bool) -> PodResult:
    """The end of a pod the supervisor watched, with `_supervise`'s rules: kill on deadline or cancel, kill what
    main left behind, drain what is left in the pipes, then the group goes (as when `run()` returns)."""
    proc = watch.proc
    try:
        if watch.pipes:  # not the usual end (both pipes at EOF, main exited): kill, then read what is left
            sel = _selector()
            for name in ("stdout", "stderr"):
                pipe = getattr(proc, name)
                if pipe is not None and pipe.fileno() in watch.pipes:
                    sel.register(pipe, selectors.EVENT_READ, name)
            if timed_out or cancelled:
                _kill_group(proc)
            elif stragglers:
                _terminate_stragglers(proc.pid)
            _drain(sel, watch.streams)
            sel.close()
        elif timed_out or cancelled:
            _kill_group(proc)
        exit_code = proc.wait()  # the helper SIGKILLed the group when it reaped main
    finally:
        for s in watch.streams.values():
            s.close()
        watch.logs.close()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    if exit_code < 0:
        exit_code = 128 - exit_code  # signal exits appear as 128+n, like a container's
    return PodResult(exit_code=exit_code, stdout_tail=bytes(watch.streams["stdout"].tail), timed_out=timed_out,
                     cancelled=cancelled)


def _terminate_stragglers(pgid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)


def _drain(sel: selectors.BaseSelector, streams: dict[str, _Stream]) -> None:
    deadline = time.time() + 1.0
    while sel.get_map() and time.time() < deadline:
        for key, _ in sel.select(0.1):
            chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
            if chunk:
                streams[key.data].feed(chunk)
            else:
                sel.unregister(key.fileobj)


def _kill_group(proc: subprocess.Popen[bytes] | SpawnedProcess) -> None:
    """SIGTERM the whole process group, then SIGKILL what is left (grandchildren included)."""
    if proc.pid is None and (not isinstance(proc, SpawnedProcess) or proc.wait_started() is None):
        return  # the helper never started it
    _terminate_group(proc)  # a threaded pod's group is unregistered from the watchdog once its sweep is done


def _terminate_group(proc: subprocess.Popen[bytes] | SpawnedProcess) -> None:
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = proc.pid
    for sig, wait in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; members of the group may still be alive
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            break
    if proc.poll() is None:
        proc.kill()
        proc.wait()


_DEVNULL: list[int] = []


def _devnull() -> int:
    """A read-only /dev/null descriptor kept for the process's life (close-on-exec; Popen dup2()s it to fd 0)."""
    if not _DEVNULL:
        with _DEVNULL_LOCK:
            if not _DEVNULL:
                _DEVNULL.append(os.open(os.devnull, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)))
    return _DEVNULL[0]


_DEVNULL_LOCK = threading.Lock()


class _PipePoll:
    """The part of the selectors API `_supervise` uses (register, unregister, select, get_map, close), on a bare
    poll(2) object: no epoll descriptor to create and close for every pod, and none of the selectors module's
    per-call bookkeeping. Readable, hung-up and error pipes are all reported as readable, as selectors does."""

    def __init__(self) -> None:
        self._poll = select.poll()
        self._keys: dict[int, selectors.SelectorKey] = {}

    def register(self, fileobj: Any, events: int, data: Any = None) -> None:
        fd = fileobj.fileno()
        self._keys[fd] = selectors.SelectorKey(fileobj, fd, events, data)
        self._poll.register(fd, select.POLLIN)

    def unregister(self, fileobj: Any) -> None:
        fd = fileobj.fileno()
        del self._keys[fd]
        self._poll.unregister(fd)

    def get_map(self) -> dict[int, selectors.SelectorKey]:
        return self._keys

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ms = None if timeout is None else max(0, math.ceil(timeout * 1e3))
        keys = self._keys
        return [(keys[fd], selectors.EVENT_READ) for fd, _ in self._poll.poll(ms) if fd in keys]

    def close(self) -> None:
        self._keys.clear()


def _selector() -> Any:
    """poll(2) where there is one (Linux, macOS); a selectors.DefaultSelector elsewhere."""
    return _PipePoll() if hasattr(select, "poll") else selectors.DefaultSelector()


def _makedirs(path: str) -> None:
    """`Path(path).mkdir(parents=True, exist_ok=True)` on a string (no Path objects on the per-pod path)."""
    try:
        os.mkdir(path)
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        if not os.path.isdir(path):
            raise


_BIN_DIRS: list[tuple[str, float]] = []  # (directory, when it was last seen to exist)


def _bin_dir() -> str:
    """`stand_ins.bin_dir()`, asked again only when its directory went away (a temp cleaner): looked at once a
    second at most, not at every pod."""
    now = time.monotonic()
    if _BIN_DIRS:
        path, seen = _BIN_DIRS[-1]
        if now - seen < 1.0:
            return path
        if os.path.exists(path + "/cowsay"):
            _BIN_DIRS[-1] = (path, now)
            return path
    path = str(bin_dir())
    _BIN_DIRS.append((path, now))
    return path


@functools.lru_cache(maxsize=64)
def _which_on(name: str, path: str | None) -> str | None:
    return shutil.which(name, path=path)


def _which(name: str) -> str | None:
    """`shutil.which`, remembered per PATH value (it stats every PATH entry; pods ask for every spawn)."""
    return _which_on(name, os.environ.get("PATH"))
