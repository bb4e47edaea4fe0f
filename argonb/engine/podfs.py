"""Reading a pod's declared output paths as the container sees them, never through a link onto the host.

A container can leave a symbolic link at a declared output path (`ln -s / /tmp/out`). Argo's executor reads
outputs inside the container (cmd/argoexec/commands/emissary.go saveParameter/saveArtifact), so a link there
resolves in the container's own filesystem. The engine reads outputs from the pod's root on the host instead,
so every path is resolved here as `openat2(RESOLVE_IN_ROOT)` would: component by component, an absolute link
target restarts at the pod's root, `..` stops at it, and more than 40 links is ELOOP. The result is a host
path inside the root with no link in it. A backend that copied an output out of its container (docker, for
what the host cannot see) names the directory that holds the copy (`PodResult.copied_outputs`).

Artifacts follow Argo's util/archive TarGzToWriter: a link to a file gives the file; a link to a directory is
archived as the link itself (filepath.Walk does not follow it), see engine/outarchive.py.
"""

from __future__ import annotations

import os
import posixpath
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from argonb.engine.artifact_errors import ArtifactError, OutputsStopped
from argonb.engine.backend import PodRequest

MAX_LINKS = 40  # Linux's MAXSYMLINKS: more links on one path is ELOOP


class LinkLoop(ArtifactError):
    pass


@dataclass(frozen=True)
class ArtifactSource:
    """What to archive for one output artifact: `path` on the host, stored under `name`. `link` is set when
    the declared path is a link to a directory: the link itself is the artifact."""

    path: Path
    name: str
    link: str | None = None


def resolve_in_root(root: Path, parts: list[str], container_path: str) -> Path:
    """`root/parts` with every link resolved inside `root` (absolute targets restart at `root`, `..` stops at
    it). Components that do not exist are kept as they are, so the result may not exist. A target naming `root`
itself on the host (the local backend rewrites a pod's `/tmp/x` to `<root>/tmp/x`) is that path in the pod."""
    pending = list(parts)
    host_root = str(root).rstrip("/")
    current: list[str] = []
    links = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if current:
                current.pop()
            continue
        candidate = root.joinpath(*current, part)
        try:
            info = os.lstat(candidate)
        except OSError:
            current.append(part)  # absent (or not a directory): nothing below it resolves any further
            continue
        if not stat.S_ISLNK(info.st_mode):
            current.append(part)
            continue
        links += 1
        if links > MAX_LINKS:
            raise LinkLoop(f"{container_path}: too many levels of symbolic links")
        target = os.readlink(candidate)
        if target == host_root or target.startswith(host_root + "/"):
            target = "/" + target[len(host_root):].lstrip("/")  # the local backend wrote the pod's path in root terms
        if target.startswith("/"):
            current = []
        pending[:0] = target.split("/")
    return root.joinpath(*current)


def _root_and_parts(request: PodRequest, copied: dict[str, Path], container_path: str) -> tuple[Path, list[str]]:
    """The directory standing for the container's `/` for this path, and the path's components below it."""
    host = request.host_path(container_path)
    inside = host.is_relative_to(request.root)
    key = "/" + str(host.relative_to(request.root)) if inside else "/" + posixpath.normpath(container_path).lstrip("/")
    if key in copied:
        return copied[key], key.strip("/").split("/")
    if not inside:
        return host.parent, [host.name]  # a system path on the local backend: the host stands in for the image
    return request.root, list(host.relative_to(request.root).parts)


def locate_file(request: PodRequest, copied: dict[str, Path], container_path: str) -> Path:
    """The host path of an output parameter's file, every link on the way resolved inside the pod."""
    root, parts = _root_and_parts(request, copied, container_path)
    return resolve_in_root(root, parts, container_path)


def locate_artifact(request: PodRequest, copied: dict[str, Path], container_path: str) -> ArtifactSource | None:
    """What to archive for an output artifact, or None when nothing is there (a dangling link included)."""
    root, parts = _root_and_parts(request, copied, container_path)
    if not parts:
        return None
    name = parts[-1]
    last = resolve_in_root(root, parts[:-1], container_path) / name
    try:
        info = os.lstat(last)
    except OSError:
        return None
    if not stat.S_ISLNK(info.st_mode):
        return ArtifactSource(last, name)
    target = resolve_in_root(root, parts, container_path)
    try:
        kind = os.lstat(target).st_mode
    except OSError:
        return None  # dangling inside the container: `os.Stat` fails, the artifact is absent
    if stat.S_ISDIR(kind):
        return ArtifactSource(last, name, link=os.readlink(last))
    return ArtifactSource(target, name)


def open_regular_file(path: Path) -> BinaryIO | None:
    """The open file if it is a regular file; None for anything else. O_NOFOLLOW and O_NONBLOCK: a link swapped
    in after resolution is not followed, and a FIFO cannot block the engine."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        return None
    return handle


def stop_check(cancel_is_set: Callable[[], bool], deadline: float | None) -> Callable[[], None]:
    """A check that output collection calls as it goes: `argonb stop` and deadlines reach it too."""

    def check() -> None:
        if cancel_is_set():
            raise OutputsStopped("stopped while collecting outputs", timed_out=False)
        if deadline is not None and time.time() > deadline:
            raise OutputsStopped("deadline exceeded while collecting outputs", timed_out=True)

    return check
