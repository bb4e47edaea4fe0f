"""Time formatting the way Argo prints it (RFC 3339, UTC, second precision)."""

from __future__ import annotations

import datetime as _dt
import functools
import time as _time


def rfc3339(ts: float) -> str:
    return _rfc3339_second(int(ts))


@functools.lru_cache(maxsize=4096)  # node times repeat: format each second once
def _rfc3339_second(second: int) -> str:
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(second))


def utc(ts: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc)


def parse_rfc3339(text: object) -> float | None:
    """Seconds since the epoch of an RFC 3339 time as Argo writes it; None when missing or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
