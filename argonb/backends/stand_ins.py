"""Stand-ins for the tools Argo's example images provide, so those examples run without Docker
(ARGO-SEMANTICS §12): `/argosay` of `argoproj/argosay:v2` and `cowsay`, in a bin directory put first on the
pod's PATH; and busybox's applet links for busybox/alpine images. Both are made once per machine under
`~/.cache/argonb` (or $XDG_CACHE_HOME), named by a hash of what they hold, and reused by later processes."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ARGOSAY = r"""#!/bin/sh
# Stand-in for argoproj/argosay:v2's /argosay (ARGO-SEMANTICS 12.1).
set -eu
case "${1:-}" in
  "" ) echo "hello argo" ;;
  echo)
    case $# in
      1) echo "hello argo" ;;
      2) echo "$2" ;;
      3) mkdir -p "$(dirname "$3")"; echo "$2" > "$3"; sleep 0.1 ;;
      *) ;;  # argosay's `default)` is a literal, so 3+ extra args match nothing and exit 0
    esac ;;
  cat) cat "$2" ;;
  assert_contains) grep -F "$3" "$2" ;;
  exit) exit "${2:-0}" ;;
  sleep) sleep "$2" ;;
  sh) shift; sh "$@" ;;
  *) exit 1 ;;
esac
"""

COWSAY = r'''#!PYTHON
"""Stand-in for cowsay: prints the message in a speech bubble over a cow."""
import sys
text = " ".join(sys.argv[1:]) if len(sys.argv) > 1 else sys.stdin.read().strip()
lines = text.splitlines() or [""]
width = max(len(line) for line in lines)
print(" " + "_" * (width + 2))
if len(lines) == 1:
    print("< " + lines[0] + " >")
else:
    for i, line in enumerate(lines):
        left, right = ("/", "\\") if i == 0 else (("\\", "/") if i == len(lines) - 1 else ("|", "|"))
        print(left + " " + line.ljust(width) + " " + right)
print(" " + "-" * (width + 2))
print("        \\   ^__^")
print("         \\  (oo)\\_______")
print("            (__)\\       )\\/\\")
print("                ||----w |")
print("                ||     ||")
'''

_BIN_DIR: Path | None = None


def bin_dir() -> Path:
    """A directory holding `argosay` and `cowsay` stand-ins (made once per machine and interpreter, see
    `_shared_dir`)."""
    global _BIN_DIR
    if _BIN_DIR is not None and (_BIN_DIR / "cowsay").exists():
        return _BIN_DIR
    files = {"argosay": ARGOSAY, "cowsay": COWSAY.replace("#!PYTHON", "#!" + sys.executable)}

    def fill(path: Path) -> None:
        for name, text in files.items():
            (path / name).write_text(text)
            os.chmod(path / name, 0o755)

    _BIN_DIR = _shared_dir("bin", "\0".join(files.values()), fill)
    return _BIN_DIR


_APPLETS: Path | None = None


def busybox_applets() -> Path | None:
    """A directory of busybox applet links (`nc`, `nslookup`, `wget`...), as busybox/alpine images have them;
    None when Debian's `busybox` is not installed."""
    global _APPLETS
    if _APPLETS is not None:
        return _APPLETS
    import shutil
    import subprocess

    busybox = shutil.which("busybox")
    if not busybox:
        return None
    try:
        info = os.stat(busybox)
    except OSError:
        return None

    def fill(path: Path) -> None:  # the applets this busybox build has (asked only when the directory is made)
        names = subprocess.run([busybox, "--list"], capture_output=True, text=True, timeout=10).stdout.split()
        for name in names:
            if "/" not in name and name != "busybox":
                (path / name).symlink_to(busybox)

    try:
        _APPLETS = _shared_dir("busybox", f"{busybox}\0{info.st_size}\0{info.st_mtime_ns}", fill)
    except (OSError, subprocess.SubprocessError):
        return None
    return _APPLETS


def _shared_dir(kind: str, content: str, fill: Callable[[Path], None]) -> Path:
    """`<cache>/argonb/<kind>-<hash of content>`, made once and reused by every later argonb process (hundreds of
    files or links per process otherwise: ~10 ms of every `argonb run`). Made in a private directory and renamed
    into place, so a reader never sees it half-filled; a private temporary directory when the cache cannot be
    written."""
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "argonb"
    final = base / f"{kind}-{digest}"
    if final.is_dir():
        return final
    try:
        base.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=base))
        fill(staging)
        try:
            staging.rename(final)
        except OSError:  # another process got there first: theirs is the same
            shutil.rmtree(staging, ignore_errors=True)
        if final.is_dir():
            return final
    except OSError:
        pass
    path = Path(tempfile.mkdtemp(prefix=f"argonb-{kind}-"))
    fill(path)
    return path
