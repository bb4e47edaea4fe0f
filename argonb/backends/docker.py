"""The docker backend: each pod's main container runs as a real container through the Docker SDK.

Install with `pip install 'argonb[docker]'` and point it at an engine (`DOCKER_HOST`, `/var/run/docker.sock`, or
argonb's private test engine, see docs/docker.md). Mapping of a pod node (ARGO-SEMANTICS §5.1, §5.2, §11):

- `command` -> ENTRYPOINT, `args` -> CMD, with Kubernetes semantics (a command without args drops the image
  CMD); a script's source is written to a host directory mounted read-only at `/argo/staging` and
  `/argo/staging/script` is appended as the last argument;
- the engine stages inputs into, and collects outputs from, `request.root` (container path P is `root/P`). So the
  parent directory of every declared artifact/parameter path is bind-mounted from `root` (an input staged at a
  top-level path is mounted exactly, file or directory); outputs the host does not see as the container does
  (a link, `/result.txt`, a system path) are copied out of the stopped container (docker_outputs.py). `emptyDir` volumes live at `root/<mountPath>` (so outputs below them are
  collected too); `hostPath` volumes bind the host path;
- `securityContext` (runAsUser/runAsGroup/runAsNonRoot/readOnlyRootFilesystem/capabilities/privileged),
  cpu/memory limits and requests, `imagePullPolicy` (IfNotPresent when unset; a missing image that cannot be
  pulled ends the node in Error at once), `tty`/`stdin`, `workingDir`, `env`;
- stdout and stderr are streamed live and kept apart by the local backend's pod-log writer (podlogs.py: `main.log`
  with both, `stdout.log`/`stderr.log` each once its stream has output, lines cut at 64 Ki characters); the last
  256 KiB of stdout is the result; exit codes as the container's (128+n for signals); an OOM kill gives Argo's
  `main: OOMKilled (exit code 137)`;
- cancel/deadline: the container is stopped (SIGTERM, SIGKILL after a grace period); it is always removed in
  `finally`. Containers carry the labels `argonb.run-id`, `argonb.node-id`, `argonb.pod-name`, `argonb.pid` and
  `argonb.session`: the process's watchdog (docker_watchdog.py) removes its containers when it dies, however it
  dies, and `cleanup_leftovers()` (`argonb gc`) removes what a process and its watchdog left behind.

Settings (environment): `ARGONB_DOCKER_HOST` (else `DOCKER_HOST`), `ARGONB_DOCKER_NETWORK` (default `isolated`:
Docker networking disabled, a private network namespace with loopback only, which works offline, never touches the
host's network and avoids a libnetwork deadlock of Docker 20.10; or a Docker network mode: `none`, `host`, ...), `ARGONB_DOCKER_PULL`
(`never` forbids every pull, `missing` pulls absent images per imagePullPolicy, the default), `ARGONB_DOCKER_INIT`
(`1` default: docker-init as PID 1 forwards SIGTERM like Argo's emissary), `ARGONB_DOCKER_GRACE` (seconds, 2).
"""

from __future__ import annotations

import atexit
import io
import os
import posixpath
import re
import secrets
import stat
import tarfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from argonb.backends import docker_watchdog
from argonb.backends.docker_outputs import OutputCopyError, copy_outputs
from argonb.backends.podlogs import RESULT_LIMIT, open_streams
from argonb.engine.artifacts import OutputsStopped
from argonb.engine.backend import AuxContainer, LogSink, PodRequest, PodResult, is_system_path
from argonb.engine.podfs import stop_check
from argonb.rundir import staging_dir

INSTALL_HINT = "pip install 'argonb[docker]'"
PRIVATE_ROOT = os.environ.get("ARGONB_DOCKER_ROOT", "/var/tmp/argonb-docker")
DEFAULT_SOCKET = "/var/run/docker.sock"
SCRIPT_DIR = "/argo/staging"
SCRIPT_PATH = SCRIPT_DIR + "/script"

LABEL_RUN = "argonb.run-id"
LABEL_NODE = "argonb.node-id"
LABEL_POD = "argonb.pod-name"
LABEL_PID = "argonb.pid"
LABEL_HOST = "argonb.host"


def _import_docker() -> Any:
    import docker  # noqa: PLC0415 - optional dependency, imported lazily

    return docker


def docker_host() -> str | None:
    """The engine address: $ARGONB_DOCKER_HOST, $DOCKER_HOST, the standard socket, or argonb's private engine."""
    for var in ("ARGONB_DOCKER_HOST", "DOCKER_HOST"):
        if os.environ.get(var):
            return os.environ[var]
    if os.path.exists(DEFAULT_SOCKET):
        return None
    private = os.path.join(PRIVATE_ROOT, "docker.sock")
    if os.path.exists(private):
        return "unix://" + private
    return None


_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()
_ACTIVE: dict[str, Any] = {}  # container id -> client, for the removal at interpreter exit
_ACTIVE_LOCK = threading.Lock()


def shared_client() -> Any:
    """One client (and connection pool) per engine address for every DockerBackend of this process."""
    key = docker_host() or ""
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = make_client()
        return _CLIENTS[key]


def _track(container_id: str, client: Any) -> None:
    with _ACTIVE_LOCK:
        _ACTIVE[container_id] = client


def _untrack(container_id: str) -> None:
    with _ACTIVE_LOCK:
        _ACTIVE.pop(container_id, None)


@atexit.register
def _remove_active() -> None:
    """At interpreter exit, remove the containers still running (a run abandoned mid-way)."""
    with _ACTIVE_LOCK:
        active = list(_ACTIVE.items())
    for container_id, client in active:
        try:
            client.api.remove_container(container_id, force=True, v=True)
        except Exception:
            pass


def make_client(timeout: float = 120, max_pool_size: int = 64) -> Any:
    """A docker SDK client for the engine `docker_host()` names (raises docker.errors.DockerException)."""
    docker = _import_docker()
    env = dict(os.environ)
    host = docker_host()
    if host:
        env["DOCKER_HOST"] = host
    return docker.from_env(timeout=timeout, max_pool_size=max_pool_size, environment=env)


class DockerBackend:
    name = "docker"
    # No unthreaded fast path (Backend.start): every container is followed by log threads of its own, so each
    # pod runs through `run()` on an engine worker thread.
    start = None

    def __init__(self, *, network_mode: str | None = None, pull: str | None = None, init: bool | None = None,
                 grace: float | None = None, client: Any = None):
        self.network_mode = network_mode or os.environ.get("ARGONB_DOCKER_NETWORK") or ISOLATED
        self.pull = (pull or os.environ.get("ARGONB_DOCKER_PULL") or "missing").lower()
        if init is None:
            init = os.environ.get("ARGONB_DOCKER_INIT", "1").lower() not in ("0", "false", "no", "")
        self.init = init
        self.grace = float(grace if grace is not None else os.environ.get("ARGONB_DOCKER_GRACE", "2"))
        self._client = client
        self._lock = threading.Lock()
        self._ncpu: float | None = None

    # ---- availability ---------------------------------------------------------------------------------
    def check(self) -> str | None:
        try:
            _import_docker()
        except ImportError:
            return f"the docker backend needs the Docker SDK for Python: {INSTALL_HINT}"
        where = docker_host() or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
        try:
            client = make_client(timeout=3, max_pool_size=1)
            try:
                client.ping()
            finally:
                client.close()
        except Exception as exc:  # DockerException, requests errors: the engine is not reachable
            reason = _short(exc)
            return (f"the docker backend cannot reach a Docker engine at {where} ({reason}); start one "
                    "(`dockerd`, or `bash tests/docker/engine.sh start` for argonb's private offline engine, see "
                    "docs/docker.md) or set DOCKER_HOST")
        return None

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = shared_client()
            return self._client

    # ---- one pod --------------------------------------------------------------------------------------
    def run(self, request: PodRequest, on_log: LogSink, cancel: threading.Event) -> PodResult:
        errors = _import_docker().errors
        try:
            client = self.client
        except errors.DockerException as exc:
            return PodResult(exit_code=None, error=f"cannot reach the Docker engine: {_short(exc)}")
        policy = request.image_pull_policy
        for who, image in [("", request.image), *((f"init container {c.name}: ", c.image)
                                                   for c in request.init_containers),
                           *((f"sidecar {c.name}: ", c.image) for c in request.sidecars)]:
            problem = self._ensure_image(client, image, policy)
            if problem:
                return PodResult(exit_code=None, error=who + problem)
        try:
            plan = MountPlan(request)
            main_config = self._container_config(client, request, plan)
        except (OSError, ValueError) as exc:
            return PodResult(exit_code=None, error=f"cannot prepare pod: {exc}")
        request.pod_dir.mkdir(parents=True, exist_ok=True)
        docker_watchdog.start(docker_host())  # before the first container: a SIGKILL must not leave it running
        created: list[Any] = []
        sidecars: list[tuple[str, Any, threading.Thread | None]] = []
        try:
            for init in request.init_containers:
                config = self._aux_config(main_config, init, "init", self.network_mode)
                sink = _Sinks(request.pod_dir, on_log, init.name, label=f"init:{init.name}")
                outcome = self._run_container(client, config, created, sink, request, cancel)
                if outcome.error:
                    outcome.error = f"init container {init.name}: {outcome.error}"
                    return outcome
                if outcome.exit_code != 0 or outcome.cancelled or outcome.timed_out:
                    outcome.failed_container, outcome.failed_exit_code = init.name, outcome.exit_code
                    return outcome
            # The first sidecar owns the pod's network namespace; the others and main join it (127.0.0.1 is shared)
            network = self.network_mode
            for sidecar in request.sidecars:
                config = self._aux_config(main_config, sidecar, "sidecar", network)
                container, pump = self._start_sidecar(client, config, created, request, sidecar.name, on_log)
                sidecars.append((sidecar.name, container, pump))
                if container is not None and not network.startswith("container:"):
                    network = f"container:{container.id}"
            if network.startswith("container:"):
                for key in ("network_mode", "network_disabled", "hostname"):
                    main_config.pop(key, None)
                main_config.update(_network_options(network))
            sink = _Sinks(request.pod_dir, on_log)
            result = self._run_container(client, main_config, created, sink, request, cancel, plan=plan)
            for name, container, pump in sidecars:
                if container is None:
                    continue
                self._stop(container)
                code, _ = self._wait_exit(container, threading.Event(), None, True)
                if pump is not None:
                    pump.join(2.0)
                if code not in (0, 137, 143, None) and not result.error and not result.failed_container:
                    result.failed_container, result.failed_exit_code = name, code  # §5.10
            return result
        finally:
            for container in reversed(created):
                self._remove(container)

    def _run_container(self, client: Any, config: dict[str, Any], created: list[Any], sink: _Sinks,
                       request: PodRequest, cancel: threading.Event, plan: MountPlan | None = None) -> PodResult:
        """Create, start and follow one container to its end (or stop it on cancel/deadline)."""
        errors = _import_docker().errors
        try:
            try:
                container = client.containers.create(**config)
            except errors.APIError as exc:
                return PodResult(exit_code=None, error=f"cannot create container: {_api_message(exc)}")
            created.append(container)
            _track(container.id, client)
            try:
                if plan is not None and plan.links:
                    container.put_archive("/", plan.link_archive())
                _start(container, config)
            except errors.APIError as exc:
                return PodResult(exit_code=None, error=_start_error(exc, str(config.get("image"))))
            # Two follow-streams of the container's log, stdout and stderr apart: live, and exactly once (an
            # attach before start can lose or repeat the first output).
            readers = [_follow_logs(client, container.id, name, sink, request.pod_name)
                       for name in ("stdout", "stderr")]
            timed_out = cancelled = False
            while any(r.is_alive() for r in readers):
                if cancel.is_set():
                    cancelled = True
                    break
                timeout = 0.1
                if request.deadline is not None:
                    left = request.deadline - time.time()
                    if left <= 0:
                        timed_out = True
                        break
                    timeout = min(timeout, left)
                next(r for r in readers if r.is_alive()).join(timeout)
            if timed_out or cancelled:
                self._stop(container)
            for r in readers:
                r.join(5.0)  # the streams end with the container
            exit_code, oom = self._wait_exit(container, cancel, request.deadline, timed_out or cancelled)
            if exit_code is None:  # the engine went away or the container vanished
                return PodResult(exit_code=None, error="the container's state is unknown (was it removed?)",
                                 stdout_tail=sink.tail(), timed_out=timed_out, cancelled=cancelled)
            if not any(r.is_alive() for r in readers):
                _complete_logs(client, container.id, sink)
            stderr_tail = bytes(sink.streams["stderr"].tail)
            if exit_code in (126, 127) and self.init and b"[FATAL tini" in stderr_tail:
                # docker-init could not exec the command: Kubernetes fails such a container at start (Error)
                detail = stderr_tail.decode("utf-8", "replace").strip().splitlines()[-1]
                return PodResult(exit_code=None, error=_tini_error(detail, str(config.get("image"))))
            copied: dict[str, Path] = {}
            if plan is not None:  # outputs the host does not see as the container does, through the archive API
                try:
                    copied = copy_outputs(client, container.id, request, plan.binds,
                                          stop_check(cancel.is_set, request.deadline))
                except OutputsStopped as exc:
                    timed_out, cancelled = timed_out or exc.timed_out, cancelled or not exc.timed_out
                except OutputCopyError as exc:
                    return PodResult(exit_code=None, error=str(exc), stdout_tail=sink.tail())
                except (errors.APIError, OSError, tarfile.TarError) as exc:
                    return PodResult(exit_code=None, error=f"failed to save outputs: {_short(exc)}",
                                     stdout_tail=sink.tail())
        finally:
            sink.close()
        message = "main: OOMKilled (exit code 137)" if oom and not (timed_out or cancelled) else ""
        return PodResult(exit_code=exit_code, stdout_tail=sink.tail(), timed_out=timed_out, cancelled=cancelled,
                         message=message, copied_outputs=copied)

    def _start_sidecar(self, client: Any, config: dict[str, Any], created: list[Any], request: PodRequest,
                       name: str, on_log: LogSink) -> tuple[Any, threading.Thread | None]:
        errors = _import_docker().errors
        label = f"sidecar:{name}"
        try:
            container = client.containers.create(**config)
        except errors.APIError as exc:
            on_log(label, f"cannot create sidecar: {_api_message(exc)}")
            return None, None
        created.append(container)
        _track(container.id, client)
        try:
            _start(container, config)
        except errors.APIError as exc:
            on_log(label, _start_error(exc, str(config.get("image"))))
            return None, None
        sink = _Sinks(request.pod_dir, on_log, name, label=label)
        return container, _follow_logs(client, container.id, "both", sink, name, close=True)

    def _aux_config(self, main: dict[str, Any], aux: AuxContainer, role: str, network: str) -> dict[str, Any]:
        """An init container or sidecar: the pod's mounts, user and labels; its own image, command and env."""
        config = {k: v for k, v in main.items() if k not in ("command", "entrypoint", "environment", "working_dir",
                                                             "stdin_open", "tty", "name", "hostname")}
        config.update(image=aux.image, entrypoint=list(aux.command) if aux.command else None,
                      command=list(aux.args) if aux.args else None, environment=dict(aux.env),
                      working_dir=aux.working_dir or None,
                      name=f"{main['name']}-{role}-{re.sub(r'[^a-zA-Z0-9_.-]', '-', aux.name)[:20]}")
        config["labels"] = {**main["labels"], "argonb.container": f"{role}:{aux.name}"}
        for key in ("network_mode", "network_disabled"):
            config.pop(key, None)
        config.update(_network_options(network))
        for key in ("mem_limit", "memswap_limit", "nano_cpus", "mem_reservation", "cpu_shares"):
            config.pop(key, None)  # the main container's resources are its own
        if not network.startswith("container:") and network != "host":
            config["hostname"] = main.get("hostname")
        return config

    def _wait_exit(self, container: Any, cancel: threading.Event, deadline: float | None,
                   stopping: bool) -> tuple[int | None, bool]:
        """The exit code once the container has exited (stopping it on cancel/deadline), and whether OOM-killed."""
        import requests  # noqa: PLC0415 - a dependency of the docker SDK

        errors = _import_docker().errors
        stopped = stopping
        while True:
            try:
                status = container.wait(timeout=1)
                break
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                if not stopped and (cancel.is_set() or (deadline is not None and time.time() >= deadline)):
                    self._stop(container)
                    stopped = True
            except errors.NotFound:
                return None, False
            except errors.APIError:
                return None, False
        code = status.get("StatusCode")
        oom = False
        if code == 137:
            try:
                container.reload()
                oom = bool(container.attrs.get("State", {}).get("OOMKilled"))
            except errors.APIError:
                pass
        return (int(code) if code is not None else None), oom

    def _stop(self, container: Any) -> None:
        """SIGTERM, then SIGKILL after the grace period. SIGTERM is repeated while waiting: a container that was
        only just starting (its init not yet handling signals) would otherwise lose it and die by SIGKILL."""
        import requests  # noqa: PLC0415 - a dependency of the docker SDK

        errors = _import_docker().errors
        deadline = time.time() + self.grace
        while True:
            try:
                container.kill(signal="SIGTERM")
            except errors.APIError:
                return  # not running any more
            left = deadline - time.time()
            if left <= 0:
                break
            try:
                container.wait(timeout=max(0.05, min(0.5, left)))
                return
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                continue
            except errors.APIError:
                return
        try:
            container.kill()
        except errors.APIError:
            pass

    def _remove(self, container: Any) -> None:
        errors = _import_docker().errors
        try:
            container.remove(force=True, v=True)
        except errors.NotFound:
            pass
        except errors.APIError as exc:
            if "already in progress" not in str(exc):
                try:
                    time.sleep(0.2)
                    container.remove(force=True, v=True)
                except errors.APIError:
                    pass
        _untrack(container.id)

    def _own_network(self) -> bool:
        return not (self.network_mode == "host" or self.network_mode.startswith("container:"))

    # ---- image ----------------------------------------------------------------------------------------
    def _ensure_image(self, client: Any, image: str, policy: str) -> str | None:
        errors = _import_docker().errors
        if not image:
            return "the container has no image"
        policy = policy or "IfNotPresent"
        if policy not in ("Always", "IfNotPresent", "Never"):
            return f"unsupported imagePullPolicy {policy!r} (Always, IfNotPresent or Never)"
        present = True
        try:
            client.images.get(image)
        except errors.ImageNotFound:
            present = False
        except errors.APIError as exc:
            return f"cannot inspect image {image!r}: {_api_message(exc)}"
        want_pull = (policy == "Always" or not present) and policy != "Never"
        if not want_pull:
            if present:
                return None
            return (f"ErrImageNeverPull: container image {image!r} is not present with pull policy of Never "
                    "(build or `docker load` it first)")
        if self.pull == "never":
            if present:
                return None  # pulling is switched off (ARGONB_DOCKER_PULL=never): use what is there
            return (f"ErrImagePull: container image {image!r} is not present on the Docker engine and pulling is "
                    "disabled (ARGONB_DOCKER_PULL=never); build, tag or `docker load` it first")
        repo, tag = _split_repo_tag(image)
        try:
            client.images.pull(repo, tag=tag or "latest")
        except errors.APIError as exc:
            if present and policy == "Always":
                return None  # offline: an Always image that is already here is used as it is
            return (f"ErrImagePull: container image {image!r} is not present on the Docker engine and pulling it "
                    f"failed: {_api_message(exc)}")
        return None

    # ---- container configuration ---------------------------------------------------------------------
    def _container_config(self, client: Any, request: PodRequest, plan: MountPlan) -> dict[str, Any]:
        docker = _import_docker()
        Mount = docker.types.Mount
        args = list(request.args) if request.args is not None else None
        if request.script:
            staging = staging_dir(request.pod_dir)
            staging.mkdir(parents=True, exist_ok=True)
            os.chmod(staging, 0o755)
            script = staging / "script"
            script.write_text(request.script)
            os.chmod(script, 0o755)
            args = [*(args or []), SCRIPT_PATH]  # §5.2: appended as the last argument
            plan.extra.append(Mount(SCRIPT_DIR, str(staging), type="bind", read_only=True))
        sc = dict(getattr(request, "security_context", None) or {})
        user = None
        if sc.get("runAsUser") is not None:
            user = str(int(sc["runAsUser"]))
            if sc.get("runAsGroup") is not None:
                user += f":{int(sc['runAsGroup'])}"
        elif sc.get("runAsGroup") is not None:
            user = f"0:{int(sc['runAsGroup'])}"
        if sc.get("runAsNonRoot") and (user is None or user.split(":")[0] == "0"):
            image_user = ""
            if user is None:
                image_user = str(client.images.get(request.image).attrs.get("Config", {}).get("User") or "")
            if user is not None or image_user in ("", "0", "root") or image_user.startswith(("0:", "root:")):
                raise ValueError("container has runAsNonRoot and image will run as root")
        config: dict[str, Any] = {
            "image": request.image,
            "entrypoint": list(request.command) if request.command else None,
            "command": args if args else None,
            "environment": dict(request.env),
            "working_dir": request.working_dir or None,
            "user": user,
            "hostname": _hostname(request.pod_name) if self._own_network() else None,
            **_network_options(self.network_mode),
            "labels": {LABEL_RUN: request.run_id, LABEL_NODE: request.node_id, LABEL_POD: request.pod_name,
                       LABEL_PID: str(os.getpid()), LABEL_HOST: _machine(),
                       docker_watchdog.LABEL_SESSION: docker_watchdog.session()},
            "name": f"argonb-{request.pod_name[:40].strip('-.')}-{secrets.token_hex(3)}",
            "mounts": plan.mounts(run_as_user=user),
            "tmpfs": plan.tmpfs or None,
            "init": self.init,
            "log_config": {"type": "json-file", "config": {}},  # readable by the logs API whatever the default
            "stdin_open": bool(request.stdin),
            "tty": bool(request.tty and request.stdin),
            "detach": True,
        }
        if sc.get("readOnlyRootFilesystem"):
            config["read_only"] = True
        if sc.get("privileged"):
            config["privileged"] = True
        caps = sc.get("capabilities") or {}
        if caps.get("add"):
            config["cap_add"] = [str(c) for c in caps["add"]]
        if caps.get("drop"):
            config["cap_drop"] = [str(c) for c in caps["drop"]]
        if sc.get("allowPrivilegeEscalation") is False:
            config["security_opt"] = ["no-new-privileges"]
        config.update(self._resources(client, getattr(request, "resources", None) or {}))
        return config

    def _resources(self, client: Any, resources: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        limits = resources.get("limits") or {}
        requests_ = resources.get("requests") or {}
        if limits.get("memory") is not None:
            limit = max(6 * 1024 * 1024, int(parse_quantity(limits["memory"])))  # Docker's minimum is 6 MiB
            out["mem_limit"] = limit
            out["memswap_limit"] = limit  # no swap, as on a Kubernetes node: the limit is where OOM kills
            if requests_.get("memory") is not None:
                reservation = int(parse_quantity(requests_["memory"]))
                if 0 < reservation < limit:
                    out["mem_reservation"] = reservation
        if limits.get("cpu") is not None:
            cores = parse_quantity(limits["cpu"])
            if self._ncpu is None:
                try:
                    self._ncpu = float(client.info().get("NCPU") or os.cpu_count() or 1)
                except Exception:
                    self._ncpu = float(os.cpu_count() or 1)
            cores = min(max(cores, 0.01), self._ncpu)
            out["nano_cpus"] = int(cores * 1e9)
        if requests_.get("cpu") is not None:
            out["cpu_shares"] = max(2, int(parse_quantity(requests_["cpu"]) * 1024))
        return out


class MountPlan:
    """Which host directories under `request.root` are bind-mounted where, and what is copied out afterwards."""

    def __init__(self, request: PodRequest):
        self.request = request
        self.root = Path(request.root)
        self.binds: dict[str, tuple[str, bool]] = {}  # container path -> (host path, read-only)
        self.tmpfs: dict[str, str] = {}
        self.extra: list[Any] = []
        self.parents: list[str] = []  # parent directories we mount (made writable for a non-root user)
        self.links: dict[str, str] = {}  # container path -> link text: put into the container, never bound
        self.root.mkdir(parents=True, exist_ok=True)
        volume_paths = self._volumes(getattr(request, "volumes", None) or [])
        candidates: dict[str, str] = {}  # container dir/file -> kind ("parent" or "exact")
        for raw in request.mapped_paths:
            path = posixpath.normpath(raw) if raw.startswith("/") else ""
            if not path or path == "/" or is_system_path(path):
                continue
            if any(_under(path, v) for v in volume_paths):
                continue  # an emptyDir at root/<mountPath> already shows it
            parent = posixpath.dirname(path)
            if parent != "/":
                candidates.setdefault(parent, "parent")
            elif os.path.lexists(request.host_path(path)):
                candidates[path] = "exact"  # a staged top-level input: mounted as it is (file or directory)
            # else a top-level output (`/result.txt`): copied out of the stopped container (docker_outputs)
        kept = [p for p in candidates if not any(q != p and _under(p, q) for q in candidates)]
        for path in sorted(kept):
            if any(_under(path, v) for v in volume_paths):
                continue
            link = _first_link(self.root, path)
            if link is not None:
                # a staged input that is a link (an `archive: none` output that was one): Docker would resolve a
                # bind source on the host, so the link goes into the container itself, to resolve there
                self.links[link] = os.readlink(self.root / link.lstrip("/"))
                continue
            host = self.root / path.lstrip("/")
            if candidates[path] == "parent":
                host.mkdir(parents=True, exist_ok=True)
                self.parents.append(str(host))
            self.binds[path] = (str(host), False)

    def link_archive(self) -> bytes:
        """A tar of `links` (and the directories above them) to put at the container's `/` before it starts."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for path, target in sorted(self.links.items()):
                parts = path.strip("/").split("/")
                for depth in range(1, len(parts)):
                    info = tarfile.TarInfo("/".join(parts[:depth]))
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                info = tarfile.TarInfo("/".join(parts))
                info.type, info.linkname = tarfile.SYMTYPE, target
                tar.addfile(info)
        return buffer.getvalue()

    def _volumes(self, volumes: Iterable[dict[str, Any]]) -> list[str]:
        """Bind emptyDir and hostPath volumes; returns the emptyDir mount paths that live under root."""
        under_root = []
        for mount in volumes:
            dest = posixpath.normpath(str(mount.get("mountPath") or ""))
            if not dest.startswith("/") or dest == "/":
                raise ValueError(f"volumeMount {mount.get('name')!r}: mountPath must be an absolute path")
            vol = mount.get("volume") or {}
            read_only = bool(mount.get("readOnly"))
            sub = str(mount.get("subPath") or "").strip("/")
            if "emptyDir" in vol:
                spec = vol.get("emptyDir") or {}
                if str(spec.get("medium") or "") == "Memory" and not sub:
                    size = spec.get("sizeLimit")
                    self.tmpfs[dest] = f"size={int(parse_quantity(size))}" if size else ""
                    continue
                # one pod, one container: the emptyDir is the pod's own directory at root/<mountPath>
                host = self.root / dest.lstrip("/")
                host.mkdir(parents=True, exist_ok=True)
                os.chmod(host, 0o777)  # as a Kubernetes emptyDir
                if sub:
                    host = host / sub
                    host.mkdir(parents=True, exist_ok=True)
                else:
                    under_root.append(dest)
                self.binds[dest] = (str(host), read_only)
            elif "hostPath" in vol:
                spec = vol.get("hostPath") or {}
                source = Path(str(spec.get("path") or ""))
                kind = str(spec.get("type") or "")
                if not source.is_absolute():
                    raise ValueError(f"volume {mount.get('name')!r}: hostPath.path must be absolute")
                if kind in ("", "DirectoryOrCreate"):
                    if not source.exists():
                        source.mkdir(parents=True, exist_ok=True)
                        if kind == "DirectoryOrCreate":
                            os.chmod(source, 0o755)
                elif kind == "FileOrCreate":
                    if not source.exists():
                        source.parent.mkdir(parents=True, exist_ok=True)
                        source.touch(0o644)
                elif kind in ("Directory", "File", "Socket", "CharDevice", "BlockDevice"):
                    checks = {"Directory": source.is_dir, "File": source.is_file, "Socket": source.is_socket,
                              "CharDevice": source.is_char_device, "BlockDevice": source.is_block_device}
                    if not checks[kind]():
                        raise ValueError(f"volume {mount.get('name')!r}: hostPath type check failed: {source} "
                                         f"is not a {kind}")
                else:
                    raise ValueError(f"volume {mount.get('name')!r}: unknown hostPath type {kind!r}")
                if sub:
                    source = source / sub
                    if not source.exists():
                        source.mkdir(parents=True, exist_ok=True)
                self.binds[dest] = (str(source), read_only)
            elif "configMap" in vol:
                # the engine wrote the ConfigMap's files at root/<mountPath> (one file for a subPath mount)
                host = self.root / dest.lstrip("/")
                if not host.exists():
                    host.mkdir(parents=True, exist_ok=True)
                self.binds[dest] = (str(host), True)
            else:
                kind = next((k for k in vol if k != "name"), "unknown")
                raise ValueError(f"volume {mount.get('name')!r} of type {kind} is not supported by the docker "
                                 "backend (emptyDir, hostPath and configMap are)")
        return under_root

    def mounts(self, run_as_user: str | None) -> list[Any]:
        Mount = _import_docker().types.Mount
        if run_as_user and run_as_user.split(":")[0] != "0":
            for host in self.parents:
                os.chmod(host, 0o1777)  # like /tmp: a non-root user can create files in the declared dirs
        out = [Mount(dest, host, type="bind", read_only=ro) for dest, (host, ro) in sorted(self.binds.items())]
        return out + self.extra


# ---- streaming ------------------------------------------------------------------------------------------
class _Sinks:
    """One container's logs through podlogs' writer (the local backend's: same files, same line splitting),
    made safe for docker's two follow threads. The files are `<log_name>.log` and `<log_name>.stdout.log` /
    `.stderr.log` (plain `stdout.log`/`stderr.log` for main); lines go to `on_log(stream, line)`, or
    `on_log(label, line)`."""

    STDERR_TAIL = 4096  # stderr's last bytes: the detail of a container that docker-init could not start

    def __init__(self, pod_dir: Path, on_log: LogSink, log_name: str = "main", label: str | None = None):
        self.logs, self.streams = open_streams(str(pod_dir), on_log, log_name, label=label,
                                               stderr_tail=self.STDERR_TAIL)
        self._closed = False
        self._lock = threading.Lock()

    def feed(self, name: str, chunk: bytes) -> None:
        with self._lock:
            if not self._closed:
                self.streams[name].feed(chunk)

    def tail(self) -> bytes:
        return bytes(self.streams["stdout"].tail)[-RESULT_LIMIT:]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for s in self.streams.values():
                s.close()
            self.logs.close()


def _complete_logs(client: Any, container_id: str, sink: _Sinks) -> None:
    """Once the container has exited its log file is complete; a follow-stream can miss the last lines (it may
    close as the container stops), so what is missing is read again and appended."""
    for name in ("stdout", "stderr"):
        try:
            full = client.api.logs(container_id, stdout=name == "stdout", stderr=name == "stderr")
        except Exception:
            continue
        have = sink.streams[name].count
        if isinstance(full, bytes) and len(full) > have:
            sink.feed(name, full[have:])


def _follow_logs(client: Any, container_id: str, which: str, sink: _Sinks, name: str,
                 close: bool = False) -> threading.Thread:
    """A thread copying a container's log (`stdout`, `stderr`, or `both` merged as stdout) into the sink."""

    def pump() -> None:
        try:
            stream = client.api.logs(container_id, stdout=which != "stderr", stderr=which != "stdout", stream=True,
                                     follow=True)
            for chunk in stream:
                if chunk:
                    sink.feed("stderr" if which == "stderr" else "stdout", chunk)
        except Exception:
            pass  # the connection closed under us (container removed, engine gone): the waiter reports it
        finally:
            if close:
                sink.close()

    thread = threading.Thread(target=pump, daemon=True, name=f"argonb-docker-{name}-{which}")
    thread.start()
    return thread


# ---- leftovers ------------------------------------------------------------------------------------------
def cleanup_leftovers(run_id: str | None = None, *, orphans_only: bool = False, client: Any = None,
                      dry_run: bool = False) -> list[str]:
    """Remove argonb's containers: those of `run_id`, or all of them; with `orphans_only`, only those whose
    argonb process on this machine is gone (what a killed kernel left). Returns the removed container names
    (with `dry_run`, those that would be removed)."""
    own = client is None
    client = client or make_client(timeout=30, max_pool_size=4)
    try:
        label = f"{LABEL_RUN}={run_id}" if run_id else LABEL_RUN
        removed = []
        for entry in client.api.containers(all=True, filters={"label": label}):
            if orphans_only and _owner_alive(entry.get("Labels") or {}):
                continue
            if dry_run:
                removed.append(str((entry.get("Names") or [entry["Id"]])[0]).lstrip("/"))
                continue
            try:
                client.api.remove_container(entry["Id"], force=True, v=True)
            except Exception:
                continue
            removed.append(str((entry.get("Names") or [entry["Id"]])[0]).lstrip("/"))
        return removed
    finally:
        if own:
            client.close()


def _owner_alive(labels: dict[str, str]) -> bool:
    if labels.get(LABEL_HOST) != _machine():
        return True  # another machine's process: not ours to judge
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---- networking ----------------------------------------------------------------------------------------
ISOLATED = "isolated"
# Docker 20.10's libnetwork can deadlock when sandboxes are set up (container start) while others are torn down
# (container exit): starts that go through libnetwork are serialized in this process.
_LIBNETWORK = threading.Lock()


def _network_options(mode: str) -> dict[str, Any]:
    """`isolated` (the default): Docker's networking is disabled for the container, so libnetwork is not involved
    at all: a private network namespace with loopback only (runc brings `lo` up). Anything else is a Docker network mode (`none`,
    `host`, `bridge`, a network name, `container:<id>`)."""
    if mode == ISOLATED:
        return {"network_disabled": True}
    return {"network_mode": mode}


def _start(container: Any, config: dict[str, Any]) -> None:
    mode = str(config.get("network_mode") or "")
    if config.get("network_disabled") or mode.startswith("container:"):
        container.start()
        return
    with _LIBNETWORK:
        container.start()


# ---- helpers --------------------------------------------------------------------------------------------
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_SUFFIX = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60,
           "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


def parse_quantity(value: Any) -> float:
    """A Kubernetes resource quantity (`64Mi`, `500m`, `1.5`, `1e9`) as a number (bytes or cores)."""
    text = str(value).strip()
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"invalid resource quantity {value!r}")
    return float(match.group(1)) * _SUFFIX.get(match.group(2) or "", 1)


def _split_repo_tag(image: str) -> tuple[str, str]:
    if "@" in image:
        return image, ""
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repo, _, tag = image.rpartition(":")
        return repo, tag
    return image, ""


def _first_link(root: Path, path: str) -> str | None:
    """The first component of `root/path` below `root` that is a symbolic link, as a container path."""
    current = root
    parts = path.strip("/").split("/")
    for depth, part in enumerate(parts, 1):
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return "/" + "/".join(parts[:depth])
        except OSError:
            return None
    return None


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _hostname(pod_name: str) -> str:
    name = re.sub(r"[^a-z0-9-]", "-", pod_name.lower())[:63].strip("-")
    return name or "argonb"


_MACHINE: str | None = None


def _machine() -> str:
    global _MACHINE
    if _MACHINE is None:
        try:
            _MACHINE = Path("/etc/machine-id").read_text().strip() or os.uname().nodename
        except OSError:
            _MACHINE = os.uname().nodename
    return _MACHINE


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    inner = re.search(r"(No such file or directory|Connection refused|Permission denied|timed out)", text)
    return inner.group(1) if inner else text[:200]


def _api_message(exc: Any) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc).strip()


def _tini_error(detail: str, image: str) -> str:
    match = re.search(r"exec (.+) failed: (.+)$", detail)
    if match:
        reason = "executable file not found in $PATH" if "No such file" in match.group(2) else match.group(2)
        return f"failed to start the container: {match.group(1)!r}: {reason} (image {image!r})"
    return f"failed to start the container: {detail}"


def _start_error(exc: Any, image: str) -> str:
    text = _api_message(exc)
    match = re.search(r'exec: "([^"]+)": (executable file not found in \$PATH|stat [^:]+: no such file or '
                      r'directory|permission denied)', text)
    if match:
        return f"failed to start the container: {match.group(1)!r}: {match.group(2)} (image {image!r})"
    return f"failed to start the container: {text}"
