"""Sprig v3 functions as exposed to Argo expressions (`sprig.trim(x)`, `sprig.date(...)`).

Argo puts `sprig.GenericFuncMap()` (minus `env`/`expandenv`) into the expression environment,
and expr-lang calls the Go functions through reflection. `GoFunc` reproduces that call path:
argument counts are checked, each argument must be assignable to the Go parameter type
(`reflect: Call using float64 as type int`), and nil becomes the parameter's zero value.
Sprig itself is lenient: conversions fall back to 0 (`sprig.int("x") == 0`), `b64dec` returns
the error text, `default`/`empty` follow Go's zero-value rules.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import posixpath
import random
import string
import uuid
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from argonb.expr import amplifiers, gotime
from argonb.expr.errors import ExprError
from argonb.expr.gofmt import GoJSONError, go_json, go_quote, go_sprint, go_type_name, is_number
from argonb.expr.goregex import compile_go, must_compile, quote_meta
from argonb.expr.gotime import GoDuration
from argonb.expr.runtime import deep_equal

__all__ = ["SPRIG", "GoFunc", "cast_float64", "cast_int64", "strval"]

_ZERO_TIME = datetime(1, 1, 1, tzinfo=timezone.utc)


class GoFunc:
    """A Go function value with a reflect-checked signature.

    `params` is one code per parameter: s=string, i=int, f=float64, b=bool, a=interface{},
    m=map[string]interface{}, t=time.Time; `variadic` is the element code of a final `...T`.
    """

    __slots__ = ("fn", "name", "params", "variadic")

    def __init__(self, name: str, fn: Callable[..., Any], params: str = "", variadic: str | None = None):
        self.name = name
        self.fn = fn
        self.params = params
        self.variadic = variadic

    def __repr__(self) -> str:
        return f"<go func {self.name}>"

    def __call__(self, *args: Any) -> Any:
        n = len(self.params)
        if self.variadic is None and len(args) != n:
            raise ExprError(f"invalid number of arguments: expected {n}, got {len(args)}")
        if self.variadic is not None and len(args) < n:
            raise ExprError(f"invalid number of arguments: expected at least {n}, got {len(args)}")
        codes = self.params + (self.variadic or "") * (len(args) - n)
        converted = [_coerce(code, arg) for code, arg in zip(codes, args, strict=True)]
        amplifiers.check(amplifiers.SPRIG, self.name, converted)
        return self.fn(*converted)


_CODE_TYPES = {
    "s": "string", "i": "int", "f": "float64", "b": "bool", "m": "map[string]interface {}", "t": "time.Time",
}


def _coerce(code: str, arg: Any) -> Any:
    if code == "a":
        return arg
    if arg is None:
        return {"s": "", "i": 0, "f": 0.0, "b": False, "m": {}, "t": _ZERO_TIME}[code]
    ok = {
        "s": isinstance(arg, str),
        "i": type(arg) is int,
        "f": type(arg) is float,
        "b": isinstance(arg, bool),
        "m": isinstance(arg, Mapping) and all(isinstance(k, str) for k in arg),
        "t": isinstance(arg, datetime),
    }[code]
    if not ok:
        raise ExprError(f"reflect: Call using {go_type_name(arg)} as type {_CODE_TYPES[code]}")
    return arg


# --------------------------------------------------------------------------------------------
# conversions (spf13/cast)


def strval(v: Any) -> str:
    """sprig strval: strings as-is, everything else `%v`."""
    return v if isinstance(v, str) else go_sprint(v)


def _trim_zero_decimal(s: str) -> str:
    found_zero = False
    for i in range(len(s), 0, -1):
        ch = s[i - 1]
        if ch == ".":
            if found_zero:
                return s[: i - 1]
        elif ch == "0":
            found_zero = True
        else:
            return s
    return s


def _parse_int_base0(s: str) -> int:
    """strconv.ParseInt(s, 0, 64): sign, 0x/0o/0b/0 prefixes, underscores."""
    body = s
    sign = 1
    if body[:1] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    low = body.lower()
    base = 10
    if low.startswith(("0x", "0o", "0b")):
        base = {"x": 16, "o": 8, "b": 2}[low[1]]
        low = low[2:]
    elif low.startswith("0") and len(low) > 1:
        base = 8
        low = low[1:]
    if not low or low.startswith("_") or low.endswith("_") or "__" in low:
        raise ValueError(s)
    if "_" in low and base == 10 and not body.lower().startswith("0"):
        raise ValueError(s)
    value = sign * int(low.replace("_", ""), base)
    if not -(1 << 63) <= value < (1 << 63):
        raise ValueError(s)
    return value


def cast_int64(v: Any) -> int:
    """cast.ToInt64: lenient, 0 on failure."""
    if v is None or v is False:
        return 0
    if v is True:
        return 1
    if type(v) is int:
        return v
    if type(v) is float:
        return int(v) if v == v and abs(v) < 9.3e18 else -(1 << 63)
    if isinstance(v, GoDuration):
        return v.ns
    if isinstance(v, str):
        try:
            return _parse_int_base0(_trim_zero_decimal(v))
        except ValueError:
            return 0
    return 0


def cast_float64(v: Any) -> float:
    """cast.ToFloat64: lenient, 0 on failure."""
    from argonb.expr.exprfuncs import go_parse_float

    if v is True:
        return 1.0
    if is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            return go_parse_float(v)
        except ValueError:
            return 0.0
    return 0.0


def _empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, (str, list, Mapping)):
        return len(v) == 0
    if isinstance(v, bool):
        return not v
    if is_number(v):
        return v == 0
    if isinstance(v, GoDuration):
        return v.ns == 0
    return False


def _strslice(v: Any) -> list[str]:
    if isinstance(v, list):
        return [strval(x) for x in v if x is not None]
    if v is None:
        return []
    return [strval(v)]


def _need_list(v: Any, what: str) -> list[Any]:
    if isinstance(v, list):
        return v
    kind = "ptr" if v is None else _kind(v)
    raise ExprError(f"Cannot {what} on type {kind}")


def _kind(v: Any) -> str:
    if v is None:
        return "invalid"
    return {
        bool: "bool", int: "int", float: "float64", str: "string", list: "slice", dict: "map",
    }.get(type(v), "struct" if isinstance(v, (datetime, GoDuration)) else "map")


# --------------------------------------------------------------------------------------------
# strings


def _title(s: str) -> str:
    out: list[str] = []
    prev_sep = True
    for ch in s:
        out.append(ch.upper() if prev_sep and ch.isalpha() else ch)
        prev_sep = _is_separator(ch)
    return "".join(out)


def _is_separator(ch: str) -> bool:
    if ch.isascii():
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdecimal():
        return False
    return ch.isspace()


def _substr(start: int, end: int, s: str) -> str:
    b = s.encode()
    if start < 0:
        if end > len(b) or end < 0:
            raise ExprError(f"runtime error: slice bounds out of range [:{end}] with length {len(b)}")
        return b[:end].decode(errors="replace")
    if end < 0 or end > len(b):
        if start > len(b):
            raise ExprError(f"runtime error: slice bounds out of range [{start}:{len(b)}]")
        return b[start:].decode(errors="replace")
    if start > end:
        raise ExprError(f"runtime error: slice bounds out of range [{start}:{end}]")
    return b[start:end].decode(errors="replace")


def _trunc(c: int, s: str) -> str:
    if c < 0 and len(s) + c > 0:
        return s[len(s) + c:]
    if c >= 0 and len(s) > c:
        return s[:c]
    return s


def _abbrev(width: int, s: str) -> str:
    if width < 4 or len(s) <= width:
        return s
    return s[: width - 3] + "..."


def _random(alphabet: str) -> Callable[[int], str]:
    """Cryptographically random characters (sprig uses crypto/rand), drawn in bulk: one `choice` per
    character took 9 s for 2 million."""
    size = len(alphabet)
    table = bytes(ord(alphabet[b % size]) for b in range(256))
    biased = bytes(range(256 - 256 % size, 256))   # rejected, so that every character is equally likely

    def draw(n: int) -> str:
        out = bytearray()
        while len(out) < n:
            out += os.urandom(2 * (n - len(out)) + 16).translate(table, biased)
        return out[:max(n, 0)].decode("ascii")

    return draw


def _b64dec(s: str) -> str:
    try:
        return base64.b64decode(s, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return f"illegal base64 data at input byte {_bad_b64_offset(s)}"


def _bad_b64_offset(s: str) -> int:
    alphabet = set(string.ascii_letters + string.digits + "+/")
    for i, ch in enumerate(s):
        if ch not in alphabet:
            return i
    return len(s) - len(s) % 4 if len(s) % 4 else len(s)


def _b32dec(s: str) -> str:
    try:
        return base64.b32decode(s).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as exc:
        return f"illegal base32 data: {exc}"


def _split_map(sep: str, s: str, n: int = -1) -> dict[str, str]:
    from argonb.expr.exprfuncs import go_split

    parts = go_split(s, sep, n) or []
    return {f"_{i}": p for i, p in enumerate(parts)}


def _cat(*args: Any) -> str:
    return " ".join(go_sprint(a) for a in args if a is not None)


def _indent(n: int, s: str) -> str:
    pad = " " * max(n, 0)
    return pad + s.replace("\n", "\n" + pad)


# --------------------------------------------------------------------------------------------
# lists and dicts


def _dict(*args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        out[strval(args[i])] = args[i + 1] if i + 1 < len(args) else ""
    return out


def _uniq(v: Any) -> list[Any]:
    out: list[Any] = []
    for item in _need_list(v, "find uniq"):
        if not any(deep_equal(item, x) for x in out):
            out.append(item)
    return out


def _rest(v: Any) -> list[Any] | None:
    items = _need_list(v, "find rest")
    return items[1:] if items else None


def _initial(v: Any) -> list[Any] | None:
    items = _need_list(v, "find initial")
    return items[:-1] if items else None


def _has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    return any(deep_equal(needle, x) for x in _need_list(haystack, "find has"))


def _slice(v: Any, *idx: Any) -> Any:
    items = _need_list(v, "slice")
    lo = cast_int64(idx[0]) if idx else 0
    hi = cast_int64(idx[1]) if len(idx) > 1 else len(items)
    if not 0 <= lo <= hi <= len(items):
        raise ExprError(f"runtime error: slice bounds out of range [{lo}:{hi}]")
    return items[lo:hi]


def _chunk(size: int, v: Any) -> list[list[Any]]:
    items = _need_list(v, "chunk")
    if size <= 0:
        raise ExprError("runtime error: integer divide by zero")
    return [items[i: i + size] for i in range(0, len(items), size)] or [[]]


def _dig(*args: Any) -> Any:
    if len(args) < 3:
        raise ExprError("dig needs at least three arguments")
    current, default, keys = args[-1], args[-2], args[:-2]
    for key in keys:
        if not isinstance(current, Mapping):
            raise ExprError(f"interface conversion: interface {{}} is {go_type_name(current)}, not map")
        if key not in current:
            return default
        current = current[key]
    return current


def _merge(overwrite: bool) -> Callable[..., Any]:
    def merge(dst: dict[str, Any], *srcs: dict[str, Any]) -> Any:
        for src in srcs:
            for k, v in src.items():
                if overwrite or k not in dst or _empty(dst[k]):
                    dst[k] = v
        return dst

    return merge


# --------------------------------------------------------------------------------------------
# dates


def _as_time(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v
    if type(v) is int:
        return datetime.fromtimestamp(v, timezone.utc)
    return gotime.now()


def _date_in_zone(layout: str, date: Any, zone: str) -> str:
    try:
        tz = gotime.load_location(zone)
    except ValueError:
        tz = timezone.utc
    return gotime.format_time(_as_time(date).astimezone(tz), layout)


def _to_date(layout: str, s: str) -> datetime:
    try:
        return gotime.parse_time(layout, s, gotime.local_tz())
    except ValueError:
        return _ZERO_TIME


def _must_to_date(layout: str, s: str) -> datetime:
    try:
        return gotime.parse_time(layout, s, gotime.local_tz())
    except ValueError as exc:
        raise ExprError(str(exc)) from None


def _date_modify(spec: str, t: datetime) -> datetime:
    try:
        d = gotime.parse_duration(spec)
    except ValueError:
        return t
    return t + timedelta(microseconds=d.ns // 1000)


def _duration(v: Any) -> str:
    secs = 0
    if isinstance(v, str):
        try:
            secs = int(v, 10)
        except ValueError:
            secs = 0
    elif type(v) is int:
        secs = v
    return gotime.format_duration(secs * 1_000_000_000)


def _duration_round(v: Any) -> str:
    ns = 0
    if isinstance(v, str):
        try:
            ns = gotime.parse_duration(v).ns
        except ValueError:
            ns = 0
    elif type(v) is int:
        ns = v
    elif isinstance(v, datetime):
        ns = int((gotime.now() - v).total_seconds() * 1e9)
    u = abs(ns)
    units = [("y", 365 * 86400e9), ("mo", 30 * 86400e9), ("d", 86400e9), ("h", 3600e9), ("m", 60e9), ("s", 1e9)]
    for suffix, size in units:
        if u > size:
            return f"{int(u // size)}{suffix}"
    return "0s"


def _ago(v: Any) -> str:
    t = _as_time(v)
    secs = round((gotime.now() - t).total_seconds())
    return gotime.format_duration(secs * 1_000_000_000)


# --------------------------------------------------------------------------------------------
# JSON


def _to_json(v: Any) -> str:
    try:
        return go_json(v)
    except GoJSONError:
        return ""


def _must_json(indent: str | None, html: bool) -> Callable[[Any], str]:
    def encode(v: Any) -> str:
        try:
            return go_json(v, indent=indent, escape_html=html)
        except GoJSONError as exc:
            raise ExprError(str(exc)) from None

    return encode


def _from_json(s: str) -> Any:
    from argonb.expr.exprfuncs import from_json

    try:
        return from_json(s)
    except (ValueError, RecursionError):
        return None


def _must_from_json(s: str) -> Any:
    from argonb.expr.exprfuncs import from_json

    try:
        return from_json(s)
    except (ValueError, RecursionError) as exc:
        raise ExprError(str(exc)) from None


# --------------------------------------------------------------------------------------------
# numbers


def _int_fold(op: Callable[[int, int], int]) -> Callable[..., int]:
    def fold(first: Any, *rest: Any) -> int:
        acc = cast_int64(first)
        for v in rest:
            acc = op(acc, cast_int64(v))
        return acc

    return fold


def _go_div(a: Any, b: Any) -> int:
    x, y = cast_int64(a), cast_int64(b)
    if y == 0:
        raise ExprError("runtime error: integer divide by zero")
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y >= 0) else -q


def _go_mod(a: Any, b: Any) -> int:
    x, y = cast_int64(a), cast_int64(b)
    if y == 0:
        raise ExprError("runtime error: integer divide by zero")
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _float_fold(op: Callable[[float, float], float]) -> Callable[..., float]:
    def fold(first: Any, *rest: Any) -> float:
        acc = cast_float64(first)
        for v in rest:
            acc = op(acc, cast_float64(v))
        return acc

    return fold


def _round(v: Any, places: int, *opt: Any) -> float:
    import math

    round_on = cast_float64(opt[0]) if opt else 0.5
    val = cast_float64(v)
    pow10 = math.pow(10, places)
    digit = pow10 * val
    frac = digit - math.trunc(digit)
    rounded = math.ceil(digit) if frac >= round_on else math.floor(digit)
    return rounded / pow10


def _until_step(start: int, stop: int, step: int) -> list[int]:
    if stop < start:
        return list(range(start, stop, step)) if step < 0 else []
    return list(range(start, stop, step)) if step > 0 else []


def _seq(*params: int) -> str:
    if len(params) == 1:
        end = params[0]
        return " ".join(str(i) for i in (range(1, end + 1) if end >= 1 else range(1, end - 1, -1)))
    if len(params) == 2:
        start, end = params
        step = 1 if end >= start else -1
        return " ".join(str(i) for i in range(start, end + step, step))
    if len(params) == 3:
        start, step, end = params
        if step == 0 or (end < start and step > 0) or (end > start and step < 0):
            return ""
        return " ".join(str(i) for i in range(start, end + (1 if step > 0 else -1), step))
    return ""


def _to_decimal(v: Any) -> int:
    try:
        return int(go_sprint(v), 8)
    except ValueError:
        return 0


def _sha(algo: str) -> Callable[[str], str]:
    return lambda s: hashlib.new(algo, s.encode()).hexdigest()


def _semver_compare(constraint: str, version: str) -> bool:
    raise ExprError("sprig.semverCompare is not supported by argonb")


def _fail(msg: str) -> str:
    raise ExprError(msg)


_F = GoFunc
_ALNUM = string.ascii_letters + string.digits

_SPECS: list[tuple[str, Callable[..., Any], str, str | None]] = [
    ("hello", lambda: "Hello!", "", None),
    # dates
    ("ago", _ago, "a", None),
    ("date", lambda layout, d: _date_in_zone(layout, d, "Local"), "sa", None),
    ("date_in_zone", _date_in_zone, "sas", None),
    ("dateInZone", _date_in_zone, "sas", None),
    ("date_modify", _date_modify, "st", None),
    ("dateModify", _date_modify, "st", None),
    ("mustDateModify", _date_modify, "st", None),
    ("must_date_modify", _date_modify, "st", None),
    ("duration", _duration, "a", None),
    ("durationRound", _duration_round, "a", None),
    ("htmlDate", lambda d: _date_in_zone("2006-01-02", d, "Local"), "a", None),
    ("htmlDateInZone", lambda d, z: _date_in_zone("2006-01-02", d, z), "as", None),
    ("now", gotime.now, "", None),
    ("toDate", _to_date, "ss", None),
    ("mustToDate", _must_to_date, "ss", None),
    ("unixEpoch", lambda t: str(int(t.timestamp())), "t", None),
    # strings
    ("abbrev", _abbrev, "is", None),
    ("abbrevboth", lambda left, right, s: s if right < 4 else _abbrev(right, s), "iis", None),
    ("trunc", _trunc, "is", None),
    ("trim", str.strip, "s", None),
    ("upper", str.upper, "s", None),
    ("lower", str.lower, "s", None),
    ("title", _title, "s", None),
    ("untitle", lambda s: s[:1].lower() + s[1:], "s", None),
    ("substr", _substr, "iis", None),
    ("repeat", lambda n, s: s * max(n, 0), "is", None),
    ("trimall", lambda cut, s: s.strip(cut), "ss", None),
    ("trimAll", lambda cut, s: s.strip(cut), "ss", None),
    ("trimSuffix", lambda suf, s: s[: len(s) - len(suf)] if suf and s.endswith(suf) else s, "ss", None),
    ("trimPrefix", lambda pre, s: s[len(pre):] if pre and s.startswith(pre) else s, "ss", None),
    ("nospace", lambda s: "".join(s.split()), "s", None),
    ("initials", lambda s: "".join(w[0] for w in s.split()), "s", None),
    ("randAlphaNum", _random(_ALNUM), "i", None),
    ("randAlpha", _random(string.ascii_letters), "i", None),
    ("randAscii", _random("".join(chr(c) for c in range(32, 127))), "i", None),
    ("randNumeric", _random(string.digits), "i", None),
    ("swapcase", str.swapcase, "s", None),
    ("contains", lambda sub, s: sub in s, "ss", None),
    ("hasPrefix", lambda pre, s: s.startswith(pre), "ss", None),
    ("hasSuffix", lambda suf, s: s.endswith(suf), "ss", None),
    ("quote", lambda *v: " ".join(go_quote(strval(x)) for x in v if x is not None), "", "a"),
    ("squote", lambda *v: " ".join(f"'{go_sprint(x)}'" for x in v if x is not None), "", "a"),
    ("cat", _cat, "", "a"),
    ("indent", _indent, "is", None),
    ("nindent", lambda n, s: "\n" + _indent(n, s), "is", None),
    ("replace", lambda old, new, s: s.replace(old, new), "sss", None),
    ("plural", lambda one, many, n: one if n == 1 else many, "ssi", None),
    ("sha1sum", _sha("sha1"), "s", None),
    ("sha256sum", _sha("sha256"), "s", None),
    ("sha512sum", _sha("sha512"), "s", None),
    ("adler32sum", lambda s: str(zlib.adler32(s.encode())), "s", None),
    ("toString", strval, "a", None),
    ("atoi", lambda s: _atoi_lenient(s), "s", None),
    ("int64", cast_int64, "a", None),
    ("int", cast_int64, "a", None),
    ("float64", cast_float64, "a", None),
    ("seq", _seq, "", "i"),
    ("toDecimal", _to_decimal, "a", None),
    ("split", _split_map, "ss", None),
    ("splitList", lambda sep, s: _split_list(sep, s), "ss", None),
    ("splitn", lambda sep, n, s: _split_map(sep, s, n), "sis", None),
    ("toStrings", _strslice, "a", None),
    ("until", lambda n: _until_step(0, n, 1 if n >= 0 else -1), "i", None),
    ("untilStep", _until_step, "iii", None),
    # numbers
    ("add1", lambda v: cast_int64(v) + 1, "a", None),
    ("add", lambda *v: sum(cast_int64(x) for x in v), "", "a"),
    ("sub", lambda a, b: cast_int64(a) - cast_int64(b), "aa", None),
    ("div", _go_div, "aa", None),
    ("mod", _go_mod, "aa", None),
    ("mul", _int_fold(lambda a, b: a * b), "a", "a"),
    ("randInt", lambda lo, hi: random.randrange(lo, hi), "ii", None),
    ("add1f", lambda v: cast_float64(v) + 1, "a", None),
    ("addf", lambda *v: sum((cast_float64(x) for x in v), 0.0), "", "a"),
    ("subf", _float_fold(lambda a, b: a - b), "a", "a"),
    ("divf", _float_fold(lambda a, b: a / b if b else float("inf")), "a", "a"),
    ("mulf", _float_fold(lambda a, b: a * b), "a", "a"),
    ("biggest", _int_fold(max), "a", "a"),
    ("max", _int_fold(max), "a", "a"),
    ("min", _int_fold(min), "a", "a"),
    ("maxf", _float_fold(max), "a", "a"),
    ("minf", _float_fold(min), "a", "a"),
    ("ceil", lambda v: float(__import__("math").ceil(cast_float64(v))), "a", None),
    ("floor", lambda v: float(__import__("math").floor(cast_float64(v))), "a", None),
    ("round", _round, "ai", "f"),
    # lists / strings
    ("join", lambda sep, v: sep.join(_strslice(v)), "sa", None),
    ("sortAlpha", lambda v: sorted(_strslice(v)) if isinstance(v, list) else [strval(v)], "a", None),
    # defaults / flow
    ("default", lambda d, *given: d if not given or _empty(given[0]) else given[0], "a", "a"),
    ("empty", _empty, "a", None),
    ("coalesce", lambda *v: next((x for x in v if not _empty(x)), None), "", "a"),
    ("all", lambda *v: all(not _empty(x) for x in v), "", "a"),
    ("any", lambda *v: any(not _empty(x) for x in v), "", "a"),
    ("compact", lambda v: [x for x in _need_list(v, "compact") if not _empty(x)], "a", None),
    ("mustCompact", lambda v: [x for x in _need_list(v, "compact") if not _empty(x)], "a", None),
    ("fromJson", _from_json, "s", None),
    ("toJson", _to_json, "a", None),
    ("toPrettyJson", lambda v: _must_json("  ", True)(v), "a", None),
    ("toRawJson", lambda v: _must_json(None, False)(v), "a", None),
    ("mustFromJson", _must_from_json, "s", None),
    ("mustToJson", _must_json(None, True), "a", None),
    ("mustToPrettyJson", _must_json("  ", True), "a", None),
    ("mustToRawJson", _must_json(None, False), "a", None),
    ("ternary", lambda vt, vf, cond: vt if cond else vf, "aab", None),
    ("deepCopy", lambda v: json.loads(json.dumps(v)) if not isinstance(v, datetime) else v, "a", None),
    ("typeOf", go_type_name, "a", None),
    ("typeIs", lambda t, v: go_type_name(v) == t, "sa", None),
    ("typeIsLike", lambda t, v: go_type_name(v) in (t, "*" + t), "sa", None),
    ("kindOf", _kind, "a", None),
    ("kindIs", lambda k, v: _kind(v) == k, "sa", None),
    ("deepEqual", deep_equal, "aa", None),
    # paths
    ("base", lambda p: posixpath.basename(p.rstrip("/")) or ("/" if p.startswith("/") else "."), "s", None),
    ("dir", lambda p: posixpath.dirname(p) or ".", "s", None),
    ("clean", lambda p: posixpath.normpath(p) if p else ".", "s", None),
    ("ext", lambda p: posixpath.splitext(p)[1], "s", None),
    ("isAbs", lambda p: p.startswith("/"), "s", None),
    ("osBase", lambda p: posixpath.basename(p.rstrip("/")) or ".", "s", None),
    ("osClean", lambda p: posixpath.normpath(p) if p else ".", "s", None),
    ("osDir", lambda p: posixpath.dirname(p) or ".", "s", None),
    ("osExt", lambda p: posixpath.splitext(p)[1], "s", None),
    ("osIsAbs", lambda p: p.startswith("/"), "s", None),
    # encoding
    ("b64enc", lambda s: base64.b64encode(s.encode()).decode(), "s", None),
    ("b64dec", _b64dec, "s", None),
    ("b32enc", lambda s: base64.b32encode(s.encode()).decode(), "s", None),
    ("b32dec", _b32dec, "s", None),
    # lists
    ("tuple", lambda *v: list(v), "", "a"),
    ("list", lambda *v: list(v), "", "a"),
    ("dict", _dict, "", "a"),
    ("get", lambda d, k: d.get(k, ""), "ms", None),
    ("set", lambda d, k, v: (d.__setitem__(k, v), d)[1], "msa", None),
    ("unset", lambda d, k: (d.pop(k, None), d)[1], "ms", None),
    ("hasKey", lambda d, k: k in d, "ms", None),
    ("pluck", lambda k, *ds: [d[k] for d in ds if k in d], "s", "m"),
    ("keys", lambda *ds: [k for d in ds for k in d], "", "m"),
    ("pick", lambda d, *ks: {k: d[k] for k in ks if k in d}, "m", "s"),
    ("omit", lambda d, *ks: {k: v for k, v in d.items() if k not in ks}, "m", "s"),
    ("merge", _merge(False), "m", "m"),
    ("mergeOverwrite", _merge(True), "m", "m"),
    ("mustMerge", _merge(False), "m", "m"),
    ("mustMergeOverwrite", _merge(True), "m", "m"),
    ("values", lambda d: list(d.values()), "m", None),
    ("append", lambda v, x: [*_need_list(v, "push"), x], "aa", None),
    ("push", lambda v, x: [*_need_list(v, "push"), x], "aa", None),
    ("mustAppend", lambda v, x: [*_need_list(v, "push"), x], "aa", None),
    ("mustPush", lambda v, x: [*_need_list(v, "push"), x], "aa", None),
    ("prepend", lambda v, x: [x, *_need_list(v, "prepend")], "aa", None),
    ("mustPrepend", lambda v, x: [x, *_need_list(v, "prepend")], "aa", None),
    ("first", lambda v: (_need_list(v, "find first") or [None])[0], "a", None),
    ("mustFirst", lambda v: (_need_list(v, "find first") or [None])[0], "a", None),
    ("rest", _rest, "a", None),
    ("mustRest", _rest, "a", None),
    ("last", lambda v: (_need_list(v, "find last") or [None])[-1], "a", None),
    ("mustLast", lambda v: (_need_list(v, "find last") or [None])[-1], "a", None),
    ("initial", _initial, "a", None),
    ("mustInitial", _initial, "a", None),
    ("reverse", lambda v: list(reversed(_need_list(v, "find reverse"))), "a", None),
    ("mustReverse", lambda v: list(reversed(_need_list(v, "find reverse"))), "a", None),
    ("uniq", _uniq, "a", None),
    ("mustUniq", _uniq, "a", None),
    ("without", lambda v, *o: [x for x in _need_list(v, "find without")
                               if not any(deep_equal(x, y) for y in o)], "a", "a"),
    ("has", _has, "aa", None),
    ("mustHas", _has, "aa", None),
    ("slice", _slice, "a", "a"),
    ("mustSlice", _slice, "a", "a"),
    ("concat", lambda *ls: [x for v in ls for x in _need_list(v, "concat")], "", "a"),
    ("dig", _dig, "", "a"),
    ("chunk", _chunk, "ia", None),
    ("mustChunk", _chunk, "ia", None),
    # misc
    ("uuidv4", lambda: str(uuid.uuid4()), "", None),
    ("semverCompare", _semver_compare, "ss", None),
    ("fail", _fail, "s", None),
    # regex
    # regex (sprig regex.go): the plain variants panic through regexp.MustCompile, the must* ones
    # return regexp.Compile's error; regexMatch reports an invalid pattern as no match
    ("regexMatch", lambda rx, s: _regex_ok(rx) and compile_go(rx).match_string(s), "ss", None),
    ("mustRegexMatch", lambda rx, s: compile_go(rx).match_string(s), "ss", None),
    ("regexFindAll", lambda rx, s, n: must_compile(rx).find_all_string(s, n), "ssi", None),
    ("mustRegexFindAll", lambda rx, s, n: compile_go(rx).find_all_string(s, n), "ssi", None),
    ("regexFind", lambda rx, s: must_compile(rx).find_string(s), "ss", None),
    ("mustRegexFind", lambda rx, s: compile_go(rx).find_string(s), "ss", None),
    ("regexReplaceAll", lambda rx, s, r: must_compile(rx).replace_all_string(s, r), "sss", None),
    ("mustRegexReplaceAll", lambda rx, s, r: compile_go(rx).replace_all_string(s, r), "sss", None),
    ("regexReplaceAllLiteral", lambda rx, s, r: must_compile(rx).replace_all_literal_string(s, r), "sss", None),
    ("mustRegexReplaceAllLiteral", lambda rx, s, r: compile_go(rx).replace_all_literal_string(s, r), "sss", None),
    ("regexSplit", lambda rx, s, n: must_compile(rx).split(s, n), "ssi", None),
    ("mustRegexSplit", lambda rx, s, n: compile_go(rx).split(s, n), "ssi", None),
    ("regexQuoteMeta", quote_meta, "s", None),
]


def _atoi_lenient(s: str) -> int:
    from argonb.expr.exprfuncs import go_atoi

    try:
        return go_atoi(s)
    except ValueError:
        return 0


def _split_list(sep: str, s: str) -> list[str]:
    from argonb.expr.exprfuncs import go_split

    return go_split(s, sep) or []


def _regex_ok(rx: str) -> bool:
    try:
        compile_go(rx)
        return True
    except ExprError:
        return False


SPRIG: dict[str, GoFunc] = {name: _F(name, fn, params, var) for name, fn, params, var in _SPECS}
