"""The contract between the engine and whatever runs a pod: `PodRequest` in, `PodResult` out.

A backend runs one main container for a pod node, streams its log lines through `on_log`, honours `cancel`
and `request.deadline` by killing what it started, and cleans up in `finally`. It never touches run state.
Backends are looked up by name in a small lazy registry (`get_backend`).
"""

from __future__ import annotations

import importlib
import posixpath
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from argonb.errors import ArgonbError

LogSink = Callable[[str, str], None]  # (stream, line)

# Declared paths under these come from the (emulated) image: the host's files, read as they are, never rewritten.
SYSTEM_PREFIXES = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/proc", "/sys", "/dev", "/opt", "/var/lib")


def is_system_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in SYSTEM_PREFIXES)


@dataclass
class AuxContainer:
    """An init container or a sidecar of the pod (ARGO-SEMANTICS §5.10)."""

    name: str
    image: str
    command: list[str] | None = None
    args: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None


@dataclass
class PodRequest:
    node_id: str
    node_name: str
    pod_name: str
    template_name: str
    image: str
    command: list[str] | None
    args: list[str] | None
    env: dict[str, str]
    pod_dir: Path  # the backend's scratch area for this pod (logs, staged script)
    root: Path  # emulated container filesystem: container path P lives at root/P
    mapped_paths: list[str] = field(default_factory=list)  # container paths that must resolve under root
    mount_paths: list[str] = field(default_factory=list)  # volume mount points (directories that exist)
    # input artifact paths: files argonb places in the pod, private to it even under a system directory
    private_paths: list[str] = field(default_factory=list)
    # declared output paths (parameters' valueFrom.path, artifacts' path), absolute: what the engine reads after
    output_paths: list[str] = field(default_factory=list)
    script: str | None = None
    working_dir: str | None = None
    deadline: float | None = None  # absolute epoch seconds
    run_id: str = ""
    stdin: bool = False
    tty: bool = False  # `tty: true` (with `stdin: true`): fd 0 is a terminal (functional tty.yaml)
    init_containers: list[AuxContainer] = field(default_factory=list)  # run to completion before main
    sidecars: list[AuxContainer] = field(default_factory=list)  # run beside main, killed once main exits
    # Container backends (docker) only; the local backend ignores these.
    volumes: list[dict[str, Any]] = field(default_factory=list)  # {name, mountPath, readOnly, subPath, volume}
    security_context: dict[str, Any] = field(default_factory=dict)  # pod-level merged with container-level
    resources: dict[str, Any] = field(default_factory=dict)  # the container's {limits, requests}
    image_pull_policy: str = ""  # Always / IfNotPresent / Never ("" = the backend's default)

    def host_path(self, container_path: str) -> Path:
        """Where the engine finds a container path on the host (relative paths are under the workdir). `..`
        never climbs out of the pod's root, as it cannot climb out of a container's `/`."""
        if container_path.startswith("/"):
            container_path = "/" + posixpath.normpath(container_path).lstrip("/")
        in_mount = any(container_path == m or container_path.startswith(m.rstrip("/") + "/")
                       for m in [*self.mount_paths, *self.private_paths])
        if container_path.startswith("/") and is_system_path(container_path.rstrip("/")) and not in_mount:
            return Path(container_path)  # the image's own files: the host stands in for them
        rel = container_path.lstrip("/") if container_path.startswith("/") else \
            f"{(self.working_dir or '/').strip('/')}/{container_path}".lstrip("/")
        return self.root / posixpath.normpath("/" + rel).lstrip("/")


@dataclass
class PodResult:
    exit_code: int | None
    stdout_tail: bytes = b""  # the last 256 KiB of stdout (outputs.result)
    timed_out: bool = False
    cancelled: bool = False
    error: str = ""  # infrastructure error (command not found, ...): the node ends in Error
    message: str = ""
    failed_container: str = ""  # an init container or sidecar that failed: `<name>: Error (exit code N)`
    failed_exit_code: int | None = None
    # outputs the backend copied out of its container, because the host's view of them is not the container's
    # (a link, a path outside every mount): container path -> the directory standing for the container's `/`
    copied_outputs: dict[str, Path] = field(default_factory=dict)


OnExit = Callable[[PodResult], None]
StartPod = Callable[[PodRequest, LogSink, threading.Event, OnExit], bool]


class Backend(Protocol):
    """What runs one pod for the engine. It promises:

    - `check()`: None when it can run here, else a message saying how to fix that (`get_backend` raises it);
    - `run(request, on_log, cancel)`: runs the pod's containers to their end on the caller's thread (the engine's
      worker), streams every log line through `on_log(stream, line)`, stops what it started when `cancel` is set
      or `request.deadline` passes, cleans up in `finally` and returns the outcome; it never touches run state;
    - `start`: the unthreaded fast path, or None when the backend has none. `start(request, on_log, cancel,
      on_exit)` starts a plain pod (main container only: the engine sends nothing to stage or archive) and
      returns at once; `on_exit(result)` is called once, from any thread, when the pod has ended, with the
      result `run()` would have returned. It returns False when it started nothing: the engine then calls
      `run()` on a worker thread. The local backend has it (its supervisor thread watches every such pod);
      docker has none (each container is followed by log threads of its own), so its `start` is None. An Argo
      server is no pod backend: `backend="argo"` hands the whole workflow to the server (backends/argo.py).
    """

    name: str
    start: StartPod | None

    def check(self) -> str | None:
        """None when the backend can run here, else a message with the fix."""

    def run(self, request: PodRequest, on_log: LogSink, cancel: threading.Event) -> PodResult: ...


class BackendUnavailable(ArgonbError):
    pass


BACKENDS = {"local": "argonb.backends.local:LocalBackend", "docker": "argonb.backends.docker:DockerBackend"}
# Backends that run a whole workflow elsewhere instead of pod by pod: `argonb.run` (argonb.facade) hands the
# loaded workflow to the function named here; the engine never imports them.
WORKFLOW_BACKENDS = {"argo": "argonb.backends.argo:submit_loaded"}


def backend_names() -> list[str]:
    """Every name `backend=` / `--backend` accepts."""
    return sorted({*BACKENDS, *WORKFLOW_BACKENDS})


def get_backend(name: str) -> Backend:
    """The pod backend registered as `name`, checked to work here. Raises BackendUnavailable."""
    if name in WORKFLOW_BACKENDS:
        raise BackendUnavailable(f"backend {name!r} runs whole workflows, not pods: start it with "
                                 f"argonb.run(..., backend={name!r}) or `argonb run --backend {name}`")
    target = BACKENDS.get(name)
    if target is None:
        raise BackendUnavailable(f"unknown backend {name!r}; available: {', '.join(backend_names())}")
    module, _, attr = target.partition(":")
    backend: Backend = getattr(importlib.import_module(module), attr)()
    problem = backend.check()
    if problem:
        raise BackendUnavailable(problem)
    return backend


def workflow_backend(name: str) -> Callable[..., Any] | None:
    """The submit function of a whole-workflow backend, or None when `name` is a pod backend."""
    target = WORKFLOW_BACKENDS.get(name)
    if target is None:
        return None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
