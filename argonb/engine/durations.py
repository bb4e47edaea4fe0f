"""Duration strings as Argo parses them: bare integers are seconds, else Go durations (`1h2m3.5s`, `300ms`)."""

from __future__ import annotations

import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str, *, allow_bare_seconds: bool = True) -> float:
    """Seconds in `text`; raises ValueError like Go's time.ParseDuration."""
    s = str(text).strip()
    if allow_bare_seconds and re.fullmatch(r"-?\d+", s):
        return float(s)
    sign = -1.0 if s.startswith("-") else 1.0
    body = s.lstrip("+-")
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    for m in _PART.finditer(body):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not body or pos != len(body):
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total
