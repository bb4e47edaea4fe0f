"""A finished node's log read back from disk, as (stream, line) pairs, within a bound.

Owns: `disk_log` (the last `max_lines` lines of a pod node's `main.log`, each marked stdout or stderr) and
the bounds of "show all". Why: the log pane marks stderr, but `main.log` holds both streams as they
arrived; the backends also write `stderr.log`, so matching the two from their ends tells which lines came
from stderr (a stdout line identical to a stderr line next to it may be marked either way).
Imports: stdlib, argonb.engine.run (type only).
"""

from __future__ import annotations

from typing import Any

SHOW_ALL_LINES = 20_000  # "show all" loads at most this many lines into the page; the rest stays on disk
SHOW_ALL_BYTES = 8 << 20


def disk_log(run: Any, node: dict[str, Any], max_lines: int,
             max_bytes: int = SHOW_ALL_BYTES) -> tuple[list[tuple[str, str]], int]:
    """(the last `max_lines` lines as (stream, line), the log's line count as far as it was read)."""
    from argonb.engine.run import _read_tail

    main = run.log_path(node)
    if main is None or not main.exists():
        return [], 0
    size = main.stat().st_size
    text = _read_tail(main, max_bytes) if size > max_bytes else main.read_bytes().decode("utf-8", "replace")
    lines = text.splitlines()
    total = len(lines) if size <= max_bytes else _count_lines(main)
    lines = lines[-max_lines:]  # before marking: only the window is kept (a tuple per line costs)
    err_path = run.log_path(node, "stderr")
    errors: list[str] = []
    if err_path is not None and err_path.exists():
        errors = _read_tail(err_path, max_bytes).splitlines()[-max_lines:]
    return _mark_stderr(lines, errors), total


def _mark_stderr(lines: list[str], errors: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pending = len(errors) - 1
    for line in reversed(lines):
        if pending >= 0 and line == errors[pending]:
            out.append(("stderr", line))
            pending -= 1
        else:
            out.append(("stdout", line))
    out.reverse()
    return out


def _count_lines(path: Any) -> int:
    count = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            count += block.count(b"\n")
    return count
