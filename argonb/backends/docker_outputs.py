"""Docker backend: copying a pod's declared outputs out of its stopped container, as the container sees them.

The engine reads outputs on the host, under the pod's root. That is the container's view only where the path
lies in a directory bind-mounted from the root and no link lies on the way down from the mount point. Any
other output (a link the container left, a path outside every mount: `/result.txt`, `/etc/x`, a tmpfs, a
hostPath) is copied out through the engine's archive API, which resolves paths inside the container's own
root (Docker's FollowSymlinkInScope), never on the host. Argo's executor reads them inside the container too
(cmd/argoexec/commands/emissary.go saveParameter/saveArtifact).

A copied output lands at `<pod>/outputs/<path>` and the engine reads it there (`PodResult.copied_outputs`):
a link to a file becomes the file; a link to a directory stays a link (archived as a link, refused by
`archive: none` and zip, as Argo's untar does), with an empty directory where it points so that it resolves
to a directory in the copy too; links inside a copied directory stay links.
"""

from __future__ import annotations

import base64
import json
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argonb.engine.backend import PodRequest
from argonb.engine.podfs import resolve_in_root

# Go's os.FileMode bits, as the archive API's stat header gives them
GO_DIR = 1 << 31
GO_SYMLINK = 1 << 27
GO_SPECIAL = (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)  # device, pipe, socket, char, irregular
CHUNK = 1 << 20


class OutputCopyError(Exception):
    pass


def copy_outputs(client: Any, container_id: str, request: PodRequest, binds: dict[str, tuple[str, bool]],
                 check: Callable[[], None]) -> dict[str, Path]:
    """Copy every output the host does not see as the container does; returns container path -> copy root."""
    copied: dict[str, Path] = {}
    dest_root = request.pod_dir / "outputs"
    for raw in request.output_paths:
        path = "/" + posixpath.normpath(raw).lstrip("/")
        if path == "/" or path in copied or host_sees_it(request.root, binds, path):
            continue
        copied[path] = dest_root
        check()
        _fetch(client, container_id, path, dest_root, check)
    return copied


def host_sees_it(root: Path, binds: dict[str, tuple[str, bool]], path: str) -> bool:
    """Whether `root/path` on the host is what the container sees at `path`: it is under a directory bind-mounted
    from the pod's root, and no link lies between the mount point and it."""
    dest = max((d for d in binds if path == d or path.startswith(d.rstrip("/") + "/")), key=len, default=None)
    if dest is None or not Path(binds[dest][0]).is_relative_to(root):
        return False
    current = Path(binds[dest][0])
    for part in path[len(dest):].strip("/").split("/"):
        if not part:
            continue
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return False
        except OSError:
            return True  # absent on the host, so absent in the container: the engine reports it
    return True


def _stat(client: Any, container_id: str, path: str) -> dict[str, Any] | None:
    """The archive API's stat of `path` in the container (HEAD: no data), or None when it does not exist."""
    url = client.api._url("/containers/{0}/archive", container_id)  # the SDK has no public HEAD for it
    response = client.api.head(url, params={"path": path})
    if response.status_code == 404:
        return None
    if response.status_code >= 400:  # a HEAD has no body: the GET says why (a link loop, ...)
        try:
            client.api.get_archive(container_id, path)
        except Exception as exc:
            text = str(getattr(exc, "explanation", None) or exc)
            if "too many links" in text:  # the engine's wording, with its own host paths: say it as the local side
                text = "too many levels of symbolic links"
            raise OutputCopyError(f"{path}: {text}") from None
        raise OutputCopyError(f"{path}: the engine answered {response.status_code}")
    header = response.headers.get("X-Docker-Container-Path-Stat")
    return json.loads(base64.b64decode(header)) if header else None


def _fetch(client: Any, container_id: str, path: str, dest_root: Path, check: Callable[[], None]) -> None:
    info = _stat(client, container_id, path)
    if info is None:
        return
    host = dest_root / path.lstrip("/")
    host.parent.mkdir(parents=True, exist_ok=True)
    if int(info["mode"]) & GO_SYMLINK:
        target = str(info.get("linkTarget") or "")  # fully resolved inside the container
        resolved = _stat(client, container_id, target) if target else None
        if resolved is None or int(resolved["mode"]) & GO_SPECIAL:
            return  # dangling, or a device/FIFO: no output
        if int(resolved["mode"]) & GO_DIR:
            os.symlink(_link_text(client, container_id, path, check), host)
            resolve_in_root(dest_root, path.strip("/").split("/"), path).mkdir(parents=True, exist_ok=True)
            return
        path = target  # a link to a file: the file's content under the declared name
    with tempfile.TemporaryDirectory(dir=dest_root) as tmp:
        _extract(client, container_id, path, Path(tmp), check)
        entries = list(Path(tmp).iterdir())
        if len(entries) == 1:
            shutil.move(str(entries[0]), str(host))


def _link_text(client: Any, container_id: str, path: str, check: Callable[[], None]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        _extract(client, container_id, path, Path(tmp), check)
        return os.readlink(next(Path(tmp).iterdir()))


def _keep(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """Files, directories and links (as links); devices and FIFOs are no output; nothing lands outside dest."""
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        return None
    return tarfile.tar_filter(member, dest)


def _extract(client: Any, container_id: str, path: str, dest: Path, check: Callable[[], None]) -> None:
    """Stream the archive of `path` to a file (checking stop as it goes), then unpack it into `dest`."""
    stream, _ = client.api.get_archive(container_id, path, chunk_size=CHUNK)
    with tempfile.TemporaryFile(dir=dest) as spool:
        for chunk in stream:
            check()
            spool.write(chunk)
        spool.seek(0)
        with tarfile.open(fileobj=spool) as tar:
            tar.extractall(dest, filter=_keep)
