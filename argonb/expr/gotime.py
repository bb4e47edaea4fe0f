"""Go `time` package behaviour needed by the expression engines.

* Go reference-time layouts (`2006-01-02T15:04:05Z07:00`) for formatting and parsing
  (`format_time`, `parse_time`), used by sprig `date`/`toDate`, expr `date()` and govaluate's
  implicit date-literal detection.
* `GoDuration` (integer nanoseconds) with Go's `Duration.String()` and `time.ParseDuration`.
* Times are timezone-aware `datetime` objects; naive values are treated as local time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache

__all__ = [
    "GoDuration",
    "format_duration",
    "format_time",
    "go_time_string",
    "local_tz",
    "now",
    "parse_duration",
    "parse_time",
    "rfc3339nano",
    "load_location",
]

_LONG_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]
_LONG_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Layout elements, longest first within each leading character (mirrors Go's nextStdChunk).
_STD_TOKENS = [
    "January", "Jan", "Monday", "Mon", "MST",
    "2006", "002", "01", "02", "03", "04", "05", "06",
    "15", "1", "__2", "_2", "2", "3", "4", "5", "PM", "pm",
    "-07:00:00", "-070000", "-07:00", "-0700", "-07",
    "Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07",
]


@dataclass(frozen=True, order=True)
class GoDuration:
    """A Go `time.Duration` (nanoseconds). JSON-encodes as an integer like Go."""

    ns: int

    def __str__(self) -> str:
        return format_duration(self.ns)


def local_tz() -> tzinfo:
    """The machine's local timezone (Go's `time.Local`)."""
    return datetime.now().astimezone().tzinfo or timezone.utc


def now() -> datetime:
    """Current local time (aware)."""
    return datetime.now().astimezone()


def load_location(name: str) -> tzinfo:
    """Go `time.LoadLocation`: "", "UTC" -> UTC, "Local" -> local, else an IANA zone."""
    if name in ("", "UTC"):
        return timezone.utc
    if name == "Local":
        return local_tz()
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception as exc:  # noqa: BLE001 - zoneinfo raises several types
        raise ValueError(f"unknown time zone {name}") from exc


# --------------------------------------------------------------------------------------------
# layouts


@lru_cache(maxsize=256)
def _chunks(layout: str) -> tuple[tuple[str, str], ...]:
    """Split a Go layout into ("lit", text) / ("std", token) / ("frac", ".000") chunks."""
    out: list[tuple[str, str]] = []
    lit: list[str] = []
    i = 0
    n = len(layout)
    while i < n:
        ch = layout[i]
        if ch in ".," and i + 1 < n and layout[i + 1] in "09":
            j = i + 1
            while j < n and layout[j] == layout[i + 1]:
                j += 1
            if not (j < n and layout[j].isdigit()):
                _flush(lit, out)
                out.append(("frac", layout[i:j]))
                i = j
                continue
        tok = _match_std(layout, i)
        if tok:
            _flush(lit, out)
            out.append(("std", tok))
            i += len(tok)
            continue
        lit.append(ch)
        i += 1
    _flush(lit, out)
    return tuple(out)


def _flush(lit: list[str], out: list[tuple[str, str]]) -> None:
    if lit:
        out.append(("lit", "".join(lit)))
        lit.clear()


def _match_std(layout: str, i: int) -> str:
    for tok in _STD_TOKENS:
        if layout.startswith(tok, i):
            if tok == "Jan" or tok == "Mon":
                # "Jan"/"Mon" must not be followed by a lower-case letter (Go's startsWithLowerCase).
                rest = layout[i + 3: i + 4]
                if rest and rest.islower() and not layout.startswith(("January", "Monday"), i):
                    return ""
            return tok
    return ""


def _offset_seconds(t: datetime) -> int:
    off = t.utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _format_offset(tok: str, secs: int) -> str:
    if tok.startswith("Z") and secs == 0:
        return "Z"
    sign = "-" if secs < 0 else "+"
    secs = abs(secs)
    hh, mm, ss = secs // 3600, (secs // 60) % 60, secs % 60
    body = tok.lstrip("Z-")
    if body == "07":
        return f"{sign}{hh:02d}"
    if body == "0700":
        return f"{sign}{hh:02d}{mm:02d}"
    if body == "07:00":
        return f"{sign}{hh:02d}:{mm:02d}"
    if body == "070000":
        return f"{sign}{hh:02d}{mm:02d}{ss:02d}"
    return f"{sign}{hh:02d}:{mm:02d}:{ss:02d}"


def _zone_abbrev(t: datetime) -> str:
    name = t.tzname() or ""
    if name and re.fullmatch(r"[A-Z]{3,5}", name):
        return name
    secs = _offset_seconds(t)
    if secs == 0 and name in ("UTC", ""):
        return "UTC"
    sign = "-" if secs < 0 else "+"
    secs = abs(secs)
    hh, mm = secs // 3600, (secs // 60) % 60
    return f"{sign}{hh:02d}" + (f"{mm:02d}" if mm else "")


def _format_std(tok: str, t: datetime) -> str:
    simple = {
        "January": lambda: _LONG_MONTHS[t.month - 1],
        "Jan": lambda: _LONG_MONTHS[t.month - 1][:3],
        "Monday": lambda: _LONG_DAYS[t.weekday()],
        "Mon": lambda: _LONG_DAYS[t.weekday()][:3],
        "MST": lambda: _zone_abbrev(t),
        "2006": lambda: f"{t.year:04d}",
        "06": lambda: f"{t.year % 100:02d}",
        "01": lambda: f"{t.month:02d}",
        "1": lambda: str(t.month),
        "02": lambda: f"{t.day:02d}",
        "_2": lambda: f"{t.day:2d}",
        "2": lambda: str(t.day),
        "002": lambda: f"{t.timetuple().tm_yday:03d}",
        "__2": lambda: f"{t.timetuple().tm_yday:3d}",
        "15": lambda: f"{t.hour:02d}",
        "03": lambda: f"{(t.hour % 12) or 12:02d}",
        "3": lambda: str((t.hour % 12) or 12),
        "04": lambda: f"{t.minute:02d}",
        "4": lambda: str(t.minute),
        "05": lambda: f"{t.second:02d}",
        "5": lambda: str(t.second),
        "PM": lambda: "PM" if t.hour >= 12 else "AM",
        "pm": lambda: "pm" if t.hour >= 12 else "am",
    }
    fn = simple.get(tok)
    if fn is not None:
        return fn()
    return _format_offset(tok, _offset_seconds(t))


def _format_frac(tok: str, t: datetime, nanos: int) -> str:
    digits = len(tok) - 1
    frac = f"{nanos:09d}"[:digits]
    if tok[1] == "9":
        frac = frac.rstrip("0")
        return (tok[0] + frac) if frac else ""
    return tok[0] + frac


def format_time(t: datetime, layout: str, nanos: int | None = None) -> str:
    """Go `Time.Format(layout)`. `nanos` overrides the sub-second part (datetime has only µs)."""
    if nanos is None:
        nanos = t.microsecond * 1000
    out: list[str] = []
    for kind, text in _chunks(layout):
        if kind == "lit":
            out.append(text)
        elif kind == "frac":
            out.append(_format_frac(text, t, nanos))
        else:
            out.append(_format_std(text, t))
    return "".join(out)


def rfc3339nano(t: datetime) -> str:
    """Go's JSON encoding of a time.Time (RFC3339 with trimmed nanoseconds)."""
    return format_time(t, "2006-01-02T15:04:05.999999999Z07:00")


def go_time_string(t: datetime) -> str:
    """Go `Time.String()` (what `%v` prints)."""
    return format_time(t, "2006-01-02 15:04:05.999999999 -0700 MST")


# --------------------------------------------------------------------------------------------
# parsing

_NUM_RANGES = {
    "01": (2, 2), "02": (2, 2), "03": (2, 2), "04": (2, 2), "05": (2, 2), "06": (2, 2),
    "15": (1, 2), "1": (1, 2), "2": (1, 2), "3": (1, 2), "4": (1, 2), "5": (1, 2),
    "2006": (4, 4), "002": (3, 3),
}


class _ParseState:
    def __init__(self) -> None:
        self.year = 1
        self.month = 1
        self.day = 1
        self.hour = 0
        self.minute = 0
        self.second = 0
        self.nanos = 0
        self.pm: bool | None = None
        self.offset: int | None = None
        self.zone_name: str | None = None
        self.yday: int | None = None


def _take_digits(value: str, pos: int, lo: int, hi: int) -> tuple[int, int]:
    j = pos
    while j < len(value) and j - pos < hi and value[j].isdigit() and value[j].isascii():
        j += 1
    if j - pos < lo:
        raise ValueError("bad number")
    return int(value[pos:j]), j


def _parse_name(value: str, pos: int, names: list[str], short: bool) -> tuple[int, int]:
    for idx, name in enumerate(names):
        cand = name[:3] if short else name
        if value[pos: pos + len(cand)].lower() == cand.lower():
            return idx, pos + len(cand)
    raise ValueError("bad name")


def _parse_offset(tok: str, value: str, pos: int, st: _ParseState) -> int:
    if tok.startswith("Z") and value.startswith("Z", pos):
        st.offset = 0
        return pos + 1
    if pos >= len(value) or value[pos] not in "+-":
        raise ValueError("bad offset")
    sign = -1 if value[pos] == "-" else 1
    body = tok.lstrip("Z-")
    pattern = {
        "07": r"(\d\d)", "0700": r"(\d\d)(\d\d)", "07:00": r"(\d\d):(\d\d)",
        "070000": r"(\d\d)(\d\d)(\d\d)", "07:00:00": r"(\d\d):(\d\d):(\d\d)",
    }[body]
    m = re.compile(pattern).match(value, pos + 1)
    if not m:
        raise ValueError("bad offset")
    parts = [int(g) for g in m.groups()] + [0, 0]
    st.offset = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])
    return m.end()


def _parse_std(tok: str, value: str, pos: int, st: _ParseState) -> int:
    if tok in ("January", "Jan"):
        idx, pos = _parse_name(value, pos, _LONG_MONTHS, tok == "Jan")
        st.month = idx + 1
        return pos
    if tok in ("Monday", "Mon"):
        return _parse_name(value, pos, _LONG_DAYS, tok == "Mon")[1]
    if tok == "MST":
        m = re.compile(r"[A-Z]{3,5}|[+-]\d\d(\d\d)?").match(value, pos)
        if not m:
            raise ValueError("bad zone")
        st.zone_name = m.group(0)
        return m.end()
    if tok in ("PM", "pm"):
        word = value[pos: pos + 2].upper()
        if word not in ("AM", "PM"):
            raise ValueError("bad am/pm")
        st.pm = word == "PM"
        return pos + 2
    if tok[0] in "Z-" and len(tok) > 1:
        return _parse_offset(tok, value, pos, st)
    if tok in ("_2", "__2"):
        while pos < len(value) and value[pos] == " ":
            pos += 1
        if tok == "__2":
            st.yday, pos = _take_digits(value, pos, 1, 3)
            return pos
        tok = "2"
    lo, hi = _NUM_RANGES[tok]
    num, pos = _take_digits(value, pos, lo, hi)
    _assign_number(tok, num, st)
    return pos


def _assign_number(tok: str, num: int, st: _ParseState) -> None:
    if tok == "2006":
        st.year = num
    elif tok == "06":
        st.year = num + (1900 if num >= 69 else 2000)
    elif tok in ("01", "1"):
        st.month = num
    elif tok in ("02", "2"):
        st.day = num
    elif tok == "002":
        st.yday = num
    elif tok == "15":
        st.hour = num
    elif tok in ("03", "3"):
        st.hour = num
        if not 1 <= num <= 12:
            raise ValueError("hour out of range")
    elif tok in ("04", "4"):
        st.minute = num
    elif tok in ("05", "5"):
        st.second = num


def _parse_frac(value: str, pos: int, st: _ParseState, fixed: int | None) -> int:
    if pos >= len(value) or value[pos] not in ".,":
        if fixed:
            raise ValueError("missing fraction")
        return pos
    j = pos + 1
    while j < len(value) and value[j].isdigit() and value[j].isascii():
        j += 1
    digits = value[pos + 1: j]
    if fixed and len(digits) != fixed:
        raise ValueError("bad fraction")
    if not digits:
        return pos
    st.nanos = int((digits + "000000000")[:9])
    return j


def parse_time(layout: str, value: str, default_tz: tzinfo | None = None) -> datetime:
    """Go `time.ParseInLocation(layout, value, loc)` (loc defaults to UTC like `time.Parse`).

    Returns an aware datetime (microsecond precision). Raises ValueError on mismatch.
    """
    st = _ParseState()
    pos = 0
    chunks = _chunks(layout)
    for idx, (kind, text) in enumerate(chunks):
        if kind == "lit":
            if not value.startswith(text, pos):
                raise ValueError(f'parsing time "{value}" as "{layout}": cannot parse')
            pos += len(text)
        elif kind == "frac":
            pos = _parse_frac(value, pos, st, len(text) - 1 if text[1] == "0" else None)
        else:
            try:
                pos = _parse_std(text, value, pos, st)
            except (ValueError, KeyError) as exc:
                raise ValueError(f'parsing time "{value}" as "{layout}": cannot parse') from exc
            if text in ("05", "5") and not (idx + 1 < len(chunks) and chunks[idx + 1][0] == "frac"):
                pos = _parse_frac(value, pos, st, None)
    if pos != len(value):
        raise ValueError(f'parsing time "{value}": extra text')
    return _build(st, default_tz or timezone.utc)


def _build(st: _ParseState, default_tz: tzinfo) -> datetime:
    hour = st.hour
    if st.pm is not None:
        hour = hour % 12 + (12 if st.pm else 0)
    if st.offset is not None:
        tz: tzinfo = timezone(timedelta(seconds=st.offset))
        if st.offset == 0 and default_tz is timezone.utc:
            tz = timezone.utc
    elif st.zone_name == "UTC":
        tz = timezone.utc
    else:
        tz = default_tz
    if st.yday is not None:
        base = datetime(st.year, 1, 1, hour, st.minute, st.second, st.nanos // 1000, tzinfo=tz)
        return base + timedelta(days=st.yday - 1)
    return datetime(st.year, st.month, st.day, hour, st.minute, st.second, st.nanos // 1000, tzinfo=tz)


# --------------------------------------------------------------------------------------------
# durations

_UNITS = {
    "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
    "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
}
_DUR_PART = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> GoDuration:
    """Go `time.ParseDuration` ("1h30m", "-1.5s", "300ms"). Raises ValueError."""
    s = text
    neg = False
    if s[:1] in "+-" and s:
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return GoDuration(0)
    if not s:
        raise ValueError(f'time: invalid duration "{text}"')
    total = 0.0
    pos = 0
    while pos < len(s):
        m = _DUR_PART.match(s, pos)
        if not m or m.group(1) in ("", "."):
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    ns = int(round(total))
    return GoDuration(-ns if neg else ns)


def _fmt_frac(value: int, prec: int) -> str:
    """Format value / 10**prec with trailing zeros trimmed (Go's fmtFrac + fmtInt)."""
    whole, frac = divmod(value, 10**prec)
    frac_s = f"{frac:0{prec}d}".rstrip("0") if prec else ""
    return f"{whole}.{frac_s}" if frac_s else str(whole)


def format_duration(ns: int) -> str:
    """Go `Duration.String()`: "1h2m3.5s", "1.5ms", "0s"."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 1_000_000_000:
        if u < 1_000:
            return f"{sign}{u}ns"
        if u < 1_000_000:
            return f"{sign}{_fmt_frac(u, 3)}µs"
        return f"{sign}{_fmt_frac(u, 6)}ms"
    secs_total, frac = divmod(u, 1_000_000_000)
    hours, rem = divmod(secs_total, 3600)
    minutes, secs = divmod(rem, 60)
    sec_s = _fmt_frac(secs * 1_000_000_000 + frac, 9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{sec_s}"
    if minutes:
        return f"{sign}{minutes}m{sec_s}"
    return f"{sign}{sec_s}"
