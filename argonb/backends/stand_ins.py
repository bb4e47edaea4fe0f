"""Stand-ins for the tools Argo's example images provide, so those examples run without Docker
(ARGO-SEMANTICS §12): `/argosay` of `argoproj/argosay:v2` and `cowsay`. Written once per process to a private
bin directory that is put first on the pod's PATH."""

from __future__ import annotations

import os
import sys
import tempfile
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
    """A directory holding `argosay` and `cowsay` stand-ins (created on first use)."""
    global _BIN_DIR
    if _BIN_DIR is not None and (_BIN_DIR / "cowsay").exists():
        return _BIN_DIR
    path = Path(tempfile.mkdtemp(prefix="argonb-bin-"))
    for name, text in (("argosay", ARGOSAY), ("cowsay", COWSAY.replace("#!PYTHON", "#!" + sys.executable))):
        target = path / name
        target.write_text(text)
        os.chmod(target, 0o755)
    _BIN_DIR = path
    return path


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
        names = subprocess.run([busybox, "--list"], capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(tempfile.mkdtemp(prefix="argonb-busybox-"))
    for name in names:
        if "/" not in name and name not in ("busybox",):
            (path / name).symlink_to(busybox)
    _APPLETS = path
    return path
