"""An artifact opened from the node panel: its content, bounded, as lines for the log pane.

Owns: `artifact_choices` (the node's input and output artifacts that are in the local repository) and
`artifact_lines` (a tarball's member list and its first file's text; a plain file's text; a directory's
listing; "binary, N bytes" otherwise). Reads at most PREVIEW_BYTES; nothing is extracted to disk.
Imports: stdlib, argonb.notebook.details (`artifact_file`).
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from argonb.notebook.details import artifact_file

PREVIEW_BYTES = 1 << 20


def artifact_choices(node: dict[str, Any], artifacts_root: Path | None) -> list[tuple[str, str]]:
    """(label, "inputs:NAME" / "outputs:NAME") for each of the node's artifacts that has a file."""
    out = []
    for io in ("inputs", "outputs"):
        for a in (node.get(io) or {}).get("artifacts") or []:
            if isinstance(a, dict) and artifact_file(a, artifacts_root):
                out.append((f"{io}.artifacts.{a.get('name')}", f"{io}:{a.get('name')}"))
    return out


def find_artifact(node: dict[str, Any], choice: str, artifacts_root: Path | None) -> Path | None:
    io, _, name = choice.partition(":")
    for a in (node.get(io) or {}).get("artifacts") or []:
        if isinstance(a, dict) and str(a.get("name")) == name:
            return artifact_file(a, artifacts_root)
    return None


def artifact_lines(path: Path, max_lines: int) -> list[tuple[str, str]]:
    """What the log pane shows for an artifact file (("stdout", line) pairs; notes as "stderr")."""
    if path.is_dir():
        entries = sorted(p.relative_to(path).as_posix() for p in path.rglob("*"))
        return [("stdout", e) for e in entries[:max_lines]]
    if tarfile.is_tarfile(path):
        return _tar_lines(path, max_lines)
    return _text_lines(path.open("rb").read(PREVIEW_BYTES), path.stat().st_size, max_lines)


def _tar_lines(path: Path, max_lines: int) -> list[tuple[str, str]]:
    with tarfile.open(path) as tar:
        members = tar.getmembers()
        lines = [("stderr", f"archive of {len(members)} entries:")]
        lines += [("stdout", f"  {m.name}{'/' if m.isdir() else ''}  {m.size} B") for m in members[:50]]
        first = next((m for m in members if m.isfile()), None)
        if first is not None:
            fh = tar.extractfile(first)
            if fh is not None:
                lines.append(("stderr", f"{first.name}:"))
                lines += _text_lines(fh.read(PREVIEW_BYTES), first.size, max_lines)
    return lines[:max_lines]


def _text_lines(data: bytes, size: int, max_lines: int) -> list[tuple[str, str]]:
    if b"\0" in data[:8192]:
        return [("stderr", f"binary, {size} bytes")]
    lines = [("stdout", line) for line in data.decode("utf-8", "replace").splitlines()[:max_lines]]
    if size > len(data) or len(lines) == max_lines:
        lines.append(("stderr", f"… (first {len(lines)} lines of {size} bytes shown)"))
    return lines
