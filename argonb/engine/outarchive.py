"""Writing one output artifact into the repository: tgz/tar (the default), zip, or `archive: none`.

Links are archived as links and never followed, whatever the archive (Argo's util/archive tarDir writes a
link's header with os.Readlink): a tar entry, a link in the repository for `archive: none`, and for zip an
Info-ZIP link entry (mode S_IFLNK, the target as data). Argo's executor produces `none` and zip by untarring
the container's tgz, and its untar (workflow/executor/executor.go) refuses links that leave the archive
("illegal symlink target"); argonb keeps them instead: they are never followed by argonb, and the next pod
that takes the artifact resolves them inside itself. Refusing them would fail Argo's own examples on the
local backend (artifact-disable-archive.yaml archives `/etc`, whose links are absolute on most hosts). FIFOs,
sockets and devices are left out (opening one could block or read without end; that untar drops them too). `check()` runs before every entry and every 1 MiB of data,
so `argonb stop` and deadlines end a long collection.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from argonb.engine.artifact_errors import ArtifactError
from argonb.engine.podfs import ArtifactSource

CHUNK = 1 << 20
Check = Callable[[], None]


def write_artifact(source: ArtifactSource, target: Path, archive: dict[str, Any] | None, check: Check) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    kind = "none" if archive and "none" in archive else "zip" if archive and "zip" in archive else "tar"
    mode = os.lstat(source.path).st_mode
    if source.link is None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ArtifactError(f"{source.name} is not a regular file or directory")  # TarGzToWriter's check
    if kind == "none":
        _write_plain(source, target, check)
    elif kind == "zip":
        _write_zip(source, target, check)
    else:
        level = ((archive or {}).get("tar") or {}).get("compressionLevel")
        _write_tar(source, target, "w" if level == 0 else "w:gz", check)


def _entries(source: ArtifactSource, check: Check) -> Iterator[tuple[str, Path, os.stat_result]]:
    """(name in the archive, host path, lstat) of the artifact and everything below it, links not followed."""
    info = os.lstat(source.path)
    yield source.name, source.path, info
    if source.link is not None or not stat.S_ISDIR(info.st_mode):
        return
    stack = [(source.name, source.path)]
    while stack:
        name, path = stack.pop()
        with os.scandir(path) as listing:
            children = sorted(listing, key=lambda e: e.name)
        for entry in children:
            check()
            child_name, child = f"{name}/{entry.name}", Path(entry.path)
            child_info = entry.stat(follow_symlinks=False)
            yield child_name, child, child_info
            if stat.S_ISDIR(child_info.st_mode):
                stack.append((child_name, child))


def _kept(info: os.stat_result) -> bool:
    return stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode) or stat.S_ISLNK(info.st_mode)


def _copy_data(path: Path, out: BinaryIO, check: Check) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return  # swapped for something else since it was listed: nothing to read
        while True:
            check()
            chunk = handle.read(CHUNK)
            if not chunk:
                return
            out.write(chunk)


def _write_plain(source: ArtifactSource, target: Path, check: Check) -> None:
    base = target.parent
    for name, path, info in _entries(source, check):
        dest = base / (target.name + name[len(source.name):])
        if stat.S_ISDIR(info.st_mode):
            dest.mkdir(exist_ok=True)
        elif stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(path), dest)
        elif stat.S_ISREG(info.st_mode):
            with open(dest, "wb") as out:
                _copy_data(path, out, check)
            os.chmod(dest, stat.S_IMODE(info.st_mode))


def _write_zip(source: ArtifactSource, target: Path, check: Check) -> None:
    with zipfile.ZipFile(target, "w") as zf:
        for name, path, info in _entries(source, check):
            if stat.S_ISDIR(info.st_mode) or not _kept(info):
                continue  # Argo's zipDir lists files only
            entry = zipfile.ZipInfo(name)
            entry.external_attr = (info.st_mode & 0xFFFF) << 16
            if stat.S_ISLNK(info.st_mode):
                zf.writestr(entry, os.readlink(path))  # Info-ZIP's convention: the target is the data
                continue
            entry.compress_type = zipfile.ZIP_STORED
            with zf.open(entry, "w", force_zip64=True) as out:
                _copy_data(path, out, check)  # type: ignore[arg-type]


class _CheckedReader:
    """A file object for tarfile.addfile that runs `check` between reads."""

    def __init__(self, handle: BinaryIO, check: Check):
        self.handle, self.check = handle, check

    def read(self, size: int = -1) -> bytes:
        self.check()
        return self.handle.read(min(size, CHUNK) if size and size > 0 else CHUNK)


def _write_tar(source: ArtifactSource, target: Path, mode: str, check: Check) -> None:
    with tarfile.open(target, mode) as tf:  # type: ignore[call-overload]
        for name, path, info in _entries(source, check):
            if not _kept(info):
                continue
            member = tarfile.TarInfo(name)
            member.mode, member.mtime = stat.S_IMODE(info.st_mode), int(info.st_mtime)
            if stat.S_ISDIR(info.st_mode):
                member.type = tarfile.DIRTYPE
                tf.addfile(member)
            elif stat.S_ISLNK(info.st_mode):
                member.type, member.linkname = tarfile.SYMTYPE, os.readlink(path)
                tf.addfile(member)
            else:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                with os.fdopen(fd, "rb") as handle:
                    opened = os.fstat(handle.fileno())
                    if not stat.S_ISREG(opened.st_mode):
                        continue
                    member.size = opened.st_size  # what is read is what the header promises
                    tf.addfile(member, _CheckedReader(handle, check))  # type: ignore[arg-type]
