"""The layout of argonb's home and of a run directory: the one module that knows where a run's files are.

```
<home>/runs/<run>/                       RunDir(home, run)
    pods/<pod>/                          pod_dir: a pod's logs and scratch files
        main.log stdout.log stderr.log   the main container's logs (log_file: stream files once written)
        <name>.log <name>.stdout.log     an init container's or sidecar's logs
        root/                            the pod's emulated container filesystem (local backend)
        staging/                         inputs staged for a container (local, docker)
        containers/<name>/               a containerSet container other than `main` (its own logs and root)
    attempts/<n>/pods/<pod>/             an earlier attempt's pod directories (retry / resubmit move them)
<home>/artifacts/                        the local artifact repository (outputs of every run)
```

Everything else (the engine, the backends, the store, the notebook) asks this module for a path, so a change of
layout is made here once. It imports nothing from argonb: every layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

RUNS = "runs"
PODS = "pods"
ATTEMPTS = "attempts"
ARTIFACTS = "artifacts"
MAIN = "main"  # the main container: its logs are main.log / stdout.log / stderr.log


def artifacts_dir(home: Path) -> Path:
    """The home's local artifact repository."""
    return home / ARTIFACTS


def log_file_name(container: str = MAIN, stream: str = MAIN) -> str:
    """A container's log file inside its pod directory: `stream` is `main` (both streams in arrival order),
    `stdout` or `stderr`. The main container's are `main.log`, `stdout.log`, `stderr.log`; another container
    `c` (init, sidecar) has `c.log`, `c.stdout.log`, `c.stderr.log`."""
    if stream == MAIN:
        return f"{container}.log"
    return f"{stream}.log" if container == MAIN else f"{container}.{stream}.log"


@dataclass(frozen=True)
class RunDir:
    """One run's directory, `<home>/runs/<name>/`, and every path inside it."""

    path: Path

    @classmethod
    def of(cls, home: Path, name: str) -> RunDir:
        return cls(Path(home) / RUNS / name)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def home(self) -> Path:
        """The argonb home holding this run (and the other runs, the artifact repository, the store)."""
        return self.path.parent.parent

    def sibling(self, name: str) -> RunDir:
        """Another run of the same home (a node kept from an earlier run has its files there)."""
        return RunDir(self.path.parent / name)

    def pods(self) -> Path:
        return self.path / PODS

    def pod_dir(self, pod: str) -> Path:
        return self.path / PODS / pod

    def container_dir(self, pod: str, container: str = MAIN) -> Path:
        """A containerSet container's directory: the pod's own for `main`, else `containers/<name>/`."""
        base = self.pod_dir(pod)
        return base if container == MAIN else container_subdir(base, container)

    def log_file(self, pod: str, stream: str = MAIN, container: str = MAIN) -> Path:
        """A pod's log (`stream`: main, stdout or stderr); `container` names a containerSet container."""
        return self.container_dir(pod, container) / log_file_name(MAIN, stream)

    def attempt_pod_dir(self, attempt: int, pod: str) -> Path:
        """Where retry/resubmit keep the pod directory of attempt `attempt` (so the new one starts empty)."""
        return self.path / ATTEMPTS / str(attempt) / PODS / pod


def pod_root(pod_dir: Path) -> Path:
    """The emulated container filesystem of a pod (container path P lives at pod_root/P)."""
    return pod_dir / "root"


def staging_dir(pod_dir: Path) -> Path:
    """Inputs staged for a pod's container before it starts."""
    return pod_dir / "staging"


def container_subdir(pod_dir: Path, container: str) -> Path:
    """A containerSet container other than `main`: its own directory inside the pod's."""
    return pod_dir / "containers" / container


def home_log_path(run: str, pod: str) -> str:
    """A pod's combined log relative to the home, as the run store records it (`runs/<run>/pods/<pod>/main.log`)."""
    return str(PurePosixPath(RUNS, run, PODS, pod, log_file_name()))


def run_prefix(run: str) -> str:
    """The prefix of every home-relative path inside run `run` (`runs/<run>/`)."""
    return f"{PurePosixPath(RUNS, run)}/"
