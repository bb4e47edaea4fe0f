"""Environment failures (a full disk, a read-only or unreadable ARGONB_HOME, a broken store file) as one line
`argonb: error: <path>: <what> (<hint>)` instead of a traceback. Used by `cli.main` for every sub-command.
Imports: argonb.engine.api (home_dir), argonb.store.db (DB_NAME), argonb.store.reserve.
"""

from __future__ import annotations

import argparse
import errno
import sqlite3

_HINTS = {
    "full": "the disk is full: free space; `argonb delete RUN` and `argonb gc --older-than PERIOD` work on a "
            "full disk",
    "readonly": "the store is read-only: make the directory and its files writable, or set ARGONB_HOME to "
                "another directory",
}


def is_environment_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) or (isinstance(exc, OSError) and exc.errno is not None)


def describe(args: argparse.Namespace, exc: BaseException) -> str:
    """The one line to print for `exc`, naming the path it concerns."""
    from argonb.engine.api import home_dir
    from argonb.store.db import DB_NAME
    from argonb.store.reserve import is_disk_full

    if isinstance(exc, sqlite3.Error):
        where = str(home_dir(getattr(args, "home", None)) / DB_NAME)
        what = f"run store: {exc}"
    else:
        assert isinstance(exc, OSError)
        where = str(exc.filename) if exc.filename else str(home_dir(getattr(args, "home", None)))
        what = exc.strerror or str(exc)
    text = str(exc).lower()
    if is_disk_full(exc):
        hint = _HINTS["full"]
    elif "readonly" in text or "read-only" in text or (isinstance(exc, OSError) and exc.errno in
                                                        (errno.EROFS, errno.EACCES, errno.EPERM)):
        hint = _HINTS["readonly"]
    else:
        hint = ""
    return f"argonb: error: {where}: {what}" + (f" ({hint})" if hint else "")
