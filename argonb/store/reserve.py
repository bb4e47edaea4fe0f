"""Space set aside in the store's home so that a run's end can be recorded on a full disk.

`<home>/argonb.reserve` (RESERVE_BYTES of zeros, written for real so the blocks are allocated) is created
whenever a store is opened and the disk has room. When a write fails because the disk is full, the writer
deletes it and records the run's end in the space it gave back; `delete` does the same after removing files.
Imports: stdlib only.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

RESERVE_NAME = "argonb.reserve"
RESERVE_BYTES = 1 << 20  # a final commit of a run (its row and its nodes without their outputs) fits easily
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def reserve_path(home: Path) -> Path:
    return home / RESERVE_NAME


def ensure_reserve(home: Path) -> None:
    """Create the reserve if missing; quietly nothing when there is no room (or the home is read-only)."""
    path = reserve_path(home)
    try:
        if path.stat().st_size == RESERVE_BYTES:
            return
    except OSError:
        pass
    partial = path.with_name(RESERVE_NAME + ".new")
    try:
        with open(partial, "wb") as fh:
            fh.write(bytes(RESERVE_BYTES))
            fh.flush()
            os.fsync(fh.fileno())  # the blocks are taken now, not at some later writeback
        os.replace(partial, path)
        os.chmod(path, 0o600)
    except OSError:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass


def release_reserve(home: Path) -> bool:
    """Give the reserved space back to the filesystem; False if there was none."""
    try:
        reserve_path(home).unlink()
        return True
    except OSError:
        return False


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in _FULL_ERRNOS
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc)

