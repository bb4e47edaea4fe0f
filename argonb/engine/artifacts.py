"""The local artifact repository and how artifacts move in and out of pods (ARGO-SEMANTICS §5.5).

Output: tar+gzip by default (single top-level entry = basename of path), key `<wf>/<pod>/<name>.tgz`;
`archive: none` stores the file or directory as is under `<wf>/<pod>/<basename>`. Links in an output are
archived as links, never followed (engine/outarchive.py; engine/podfs.py finds the output inside the pod). Key-only `s3: {key}`
locations (no bucket/endpoint) map to the same local repository. Input: raw data, repository keys (archives
auto-detected and unpacked; a single entry is renamed to the input path), http URLs, `subPath`, `mode`.
Extraction is safe: no absolute names, no `..`, no links escaping the target, and bounded: an archive whose
entries would expand beyond ARGONB_ARTIFACT_MAX_BYTES (default 10 GiB) or number more than
ARGONB_ARTIFACT_MAX_ENTRIES (default 1,000,000) is refused before its data is inflated.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argonb.engine.artifact_errors import ArtifactError, OutputsStopped
from argonb.engine.podfs import ArtifactSource, resolve_in_root

__all__ = ["ArtifactError", "OutputsStopped", "LocalRepository"]  # the errors stay importable from here

UNSUPPORTED_LOCATIONS = ("git", "gcs", "azure", "hdfs", "oss", "artifactory", "plugin")
MAX_UNPACKED_BYTES = 10 << 30
MAX_ENTRIES = 1_000_000


class LocalRepository:
    """Files under one directory, addressed by key."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, key: str) -> Path:
        clean = Path(*[p for p in key.replace("\\", "/").split("/") if p not in ("", ".")])
        if any(part == ".." for part in clean.parts):
            raise ArtifactError(f"artifact key {key!r} escapes the repository")
        return self.root / clean

    def save(self, source: ArtifactSource, key: str, archive: dict[str, Any] | None,
             check: Callable[[], None] = lambda: None) -> None:
        """Archive one output (links as links, never followed: engine/outarchive.py) under `key`."""
        from argonb.engine.outarchive import write_artifact

        write_artifact(source, self.path(key), archive, check)

    def load(self, key: str, dest: Path) -> None:
        source = self.path(key)
        if not os.path.lexists(source):  # a stored link is an artifact too, whatever it points to
            raise ArtifactError(f"artifact key {key!r} not found in the local repository ({source})")
        unpack_into(source, dest)


def output_key(workflow_name: str, pod_name: str, artifact: dict[str, Any]) -> str:
    s3 = artifact.get("s3") or {}
    if s3.get("key"):
        return str(s3["key"])
    archive = artifact.get("archive") or {}
    if "none" in archive:
        return f"{workflow_name}/{pod_name}/{Path(str(artifact.get('path', artifact['name']))).name}"
    return f"{workflow_name}/{pod_name}/{artifact['name']}.tgz"


def has_location(artifact: dict[str, Any]) -> bool:
    return any(artifact.get(k) for k in ("raw", "s3", "http", *UNSUPPORTED_LOCATIONS))


def stage_input(repo: LocalRepository, artifact: dict[str, Any], dest: Path) -> None:
    """Place an input artifact at `dest` (a host path)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    for kind in UNSUPPORTED_LOCATIONS:
        if artifact.get(kind):
            raise ArtifactError(f"artifact {artifact.get('name')!r}: {kind} artifacts are not supported by the "
                                "local backend")
    if artifact.get("raw") is not None:
        dest.write_text(str((artifact["raw"] or {}).get("data", "")))
    elif artifact.get("http"):
        _fetch_http(artifact["http"], dest)
    elif (artifact.get("s3") or {}).get("key") is not None:
        with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
            staged = Path(tmp) / "artifact"
            repo.load(str(artifact["s3"]["key"]), staged)
            sub = artifact.get("subPath")
            chosen = _inside_artifact(staged, str(sub)) if sub else staged
            if chosen is None or not os.path.lexists(chosen):
                raise ArtifactError(f"artifact {artifact.get('name')!r}: subPath {sub!r} not found")
            _replace(chosen, dest)
    else:
        raise ArtifactError(f"artifact {artifact.get('name')!r} has no location")
    if artifact.get("mode") is not None:
        os.chmod(dest, int(artifact["mode"]))


def _inside_artifact(staged: Path, sub: str) -> Path | None:
    """`staged/sub` with links resolved inside the artifact: a subPath through a link never reaches the host.
    None when the artifact is itself a link (nothing is below it)."""

    if staged.is_symlink():
        return None
    return resolve_in_root(staged, sub.split("/"), sub)


def _fetch_http(http: dict[str, Any], dest: Path) -> None:
    import urllib.request  # here, not at the top: ~20 ms of imports (http.client, email, ssl) for every `argonb run`

    url = str(http.get("url", ""))
    try:
        request = urllib.request.Request(url, headers={h["name"]: h.get("value", "")
                                                       for h in http.get("headers") or []})
        with urllib.request.urlopen(request, timeout=60) as resp, open(dest, "wb") as out:
            shutil.copyfileobj(resp, out)
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"failed to fetch {url!r}: {exc}") from None
    if tarfile.is_tarfile(dest):
        tmp = dest.with_name(dest.name + ".download")
        dest.rename(tmp)
        unpack_into(tmp, dest)
        tmp.unlink()


def unpack_into(source: Path, dest: Path) -> None:
    """Copy or unpack `source` to `dest`: archives are extracted; one entry becomes `dest` itself (§5.5). A link
    (an `archive: none` output that was a link) is copied as the link: never followed on the host."""
    if source.is_symlink() or source.is_dir():
        _copy(source, dest)
        return
    if _is_tar(source) or zipfile.is_zipfile(source):
        with tempfile.TemporaryDirectory(dir=dest.parent if dest.parent.exists() else None) as tmp:
            out = Path(tmp) / "x"
            out.mkdir()
            if zipfile.is_zipfile(source):
                _safe_unzip(source, out)
            else:
                _safe_untar(source, out)
            entries = list(out.iterdir())
            _replace(entries[0] if len(entries) == 1 else out, dest)
        return
    _copy(source, dest)


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def _inside(base: Path, target: Path) -> bool:
    return target == base or base in target.parents  # not a string prefix: /x/out2 is not inside /x/out


def _limits() -> tuple[int, int]:
    try:
        return (int(os.environ.get("ARGONB_ARTIFACT_MAX_BYTES") or MAX_UNPACKED_BYTES),
                int(os.environ.get("ARGONB_ARTIFACT_MAX_ENTRIES") or MAX_ENTRIES))
    except ValueError:
        return MAX_UNPACKED_BYTES, MAX_ENTRIES


def _within_limits(source: Path, entries: int, size: int) -> None:
    max_bytes, max_entries = _limits()
    if entries > max_entries:
        raise ArtifactError(f"archive {source.name} has more than {max_entries} entries; refusing to unpack it "
                            "(raise ARGONB_ARTIFACT_MAX_ENTRIES to allow it)")
    if size > max_bytes:
        raise ArtifactError(f"archive {source.name} would expand to more than {max_bytes} bytes; refusing to unpack "
                            "it (raise ARGONB_ARTIFACT_MAX_BYTES to allow it)")


def _safe_untar(source: Path, out: Path) -> None:
    try:
        with tarfile.open(source) as tf:
            members, size = [], 0
            for member in tf:  # header by header: a bomb is refused before its data is inflated
                members.append(member)
                size += max(member.size, 0)
                _within_limits(source, len(members), size)
            if hasattr(tarfile, "data_filter"):
                tf.extractall(out, members=members, filter="data")
                return
            base = out.resolve()
            for member in members:
                target = (out / member.name).resolve()
                if not _inside(base, target) or member.issym() or member.islnk():
                    raise ArtifactError(f"unsafe archive entry {member.name!r}")
            tf.extractall(out, members=members)  # noqa: S202 - every member checked above
    except (tarfile.TarError, EOFError, zlib.error) as exc:  # FilterError (unsafe entry) is a TarError
        raise ArtifactError(f"cannot unpack archive {source.name}: {exc}") from None


def _safe_unzip(source: Path, out: Path) -> None:
    base = out.resolve()
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            _within_limits(source, len(infos), sum(i.file_size for i in infos))  # extraction stops at file_size
            for name in zf.namelist():
                if not _inside(base, (out / name).resolve()):
                    raise ArtifactError(f"unsafe archive entry {name!r}")
            zf.extractall(out)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError) as exc:
        raise ArtifactError(f"cannot unpack archive {source.name}: {exc}") from None


def _copy(source: Path, target: Path) -> None:
    if target.exists() or target.is_symlink():
        _remove(target)
    if source.is_symlink():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.readlink(source), target)
    elif source.is_dir():
        shutil.copytree(source, target, symlinks=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def _replace(source: Path, target: Path) -> None:
    if target.exists() or target.is_symlink():
        _remove(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(target))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
