"""Go value formatting used wherever Argo's output text depends on Go's libraries.

* `go_json(v)`: `encoding/json.Marshal` (sorted map keys, `<>&` HTML-escaped, `3.0` -> `3`,
  `1e21` -> `1e+21`); `indent="  "` reproduces `json.MarshalIndent`.
* `go_sprint(v)`: `fmt.Sprintf("%v", v)` (`<nil>`, `[a b]`, `map[k:v]`, `1e+06`).
* `go_quote(s)`: `strconv.Quote` / `%q`.
* `go_type_name(v)`: `%T` (`int`, `float64`, `[]interface {}`...).

Values are the Python images of Go values: None (nil), bool, int, float, str, list, dict,
`datetime` (time.Time), `GoDuration`, callables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from argonb.expr import limits
from argonb.expr.gotime import GoDuration, format_duration, go_time_string, rfc3339nano

__all__ = [
    "GoJSONError",
    "float_digits",
    "go_format_float",
    "go_json",
    "go_json_float",
    "go_quote",
    "go_sprint",
    "go_type_name",
    "is_number",
]


class GoJSONError(ValueError):
    """json.Marshal failed (NaN/Inf, functions, non-string map keys)."""


def is_number(v: Any) -> bool:
    """True for int/float but not bool (Go has no bool/int confusion)."""
    return (type(v) is int) or (type(v) is float)


def float_digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of abs(f) and the decimal-point position.

    `1234.5` -> ("12345", 4); `0.001` -> ("1", -2); `0.0` -> ("0", 1).
    """
    if f == 0:
        return "0", 1
    _sign, digits, exp = Decimal(repr(abs(f))).as_tuple()
    raw = "".join(str(d) for d in digits)
    lead = len(raw) - len(raw.lstrip("0"))
    ds = raw.strip("0")
    # decimal point position relative to the first significant digit
    dp = len(raw) + int(exp) - lead
    return ds or "0", dp


def _fmt_e(ds: str, dp: int, neg: bool) -> str:
    exp = dp - 1
    mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
    sign = "-" if exp < 0 else "+"
    return ("-" if neg else "") + f"{mant}e{sign}{abs(exp):02d}"


def _fmt_f(ds: str, dp: int, neg: bool) -> str:
    if dp <= 0:
        body = "0." + "0" * (-dp) + ds
    elif dp >= len(ds):
        body = ds + "0" * (dp - len(ds))
    else:
        body = ds[:dp] + "." + ds[dp:]
    return ("-" if neg else "") + body


def _special(f: float) -> str | None:
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    return None


def go_format_float(f: float) -> str:
    """`strconv.FormatFloat(f, 'g', -1, 64)` == fmt `%v` for float64."""
    special = _special(f)
    if special:
        return special
    neg = math.copysign(1.0, f) < 0
    ds, dp = float_digits(f)
    if f == 0:
        return "-0" if neg else "0"
    exp = dp - 1
    # strconv ftoa.go: shortest 'g' switches to %e when exp < -4 || exp >= 6
    if exp < -4 or exp >= 6:
        return _fmt_e(ds, dp, neg)
    return _fmt_f(ds, dp, neg)


def go_json_float(f: float) -> str:
    """encoding/json float64 encoding (raises GoJSONError for NaN/Inf)."""
    if math.isnan(f) or math.isinf(f):
        raise GoJSONError(f"json: unsupported value: {go_format_float(f)}")
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    neg = f < 0
    ds, dp = float_digits(f)
    a = abs(f)
    if a < 1e-6 or a >= 1e21:
        out = _fmt_e(ds, dp, neg)
        # Go cleans e-07 to e-7 (but keeps e+21)
        mant, _, ex = out.partition("e")
        if ex.startswith("-0"):
            ex = "-" + ex[2:]
        return f"{mant}e{ex}"
    return _fmt_f(ds, dp, neg)


_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _json_string(s: str, escape_html: bool) -> str:
    out = ['"']
    for ch in s:
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif escape_html and ch in _HTML:
            out.append(_HTML[ch])
        elif ch < " " or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        elif "\ud800" <= ch <= "\udfff":
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_json(v: Any, *, indent: str | None = None, escape_html: bool = True) -> str:
    """Go `json.Marshal` / `json.MarshalIndent(v, "", indent)` of a Python image of a Go value."""
    limits.reserve_rendering(v, "the JSON text of a value")
    parts: list[str] = []
    _encode(v, parts, indent, 0, escape_html)
    return "".join(parts)


def _encode(v: Any, out: list[str], indent: str | None, level: int, esc: bool) -> None:
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif type(v) is int:
        out.append(str(v))
    elif type(v) is float:
        out.append(go_json_float(v))
    elif isinstance(v, str):
        out.append(_json_string(v, esc))
    elif isinstance(v, (list, tuple)):
        _encode_list(v, out, indent, level, esc)
    elif isinstance(v, Mapping):
        _encode_map(v, out, indent, level, esc)
    elif isinstance(v, datetime):
        out.append(_json_string(rfc3339nano(v), esc))
    elif isinstance(v, GoDuration):
        out.append(str(v.ns))
    elif isinstance(v, (int, float)):  # int/float subclasses
        _encode(int(v) if isinstance(v, int) else float(v), out, indent, level, esc)
    else:
        raise GoJSONError(f"json: unsupported type: {go_type_name(v)}")


def _newline(out: list[str], indent: str | None, level: int) -> None:
    if indent is not None:
        out.append("\n" + indent * level)


def _encode_list(v: Any, out: list[str], indent: str | None, level: int, esc: bool) -> None:
    if not v:
        out.append("[]")
        return
    out.append("[")
    for i, item in enumerate(v):
        if i:
            out.append(",")
        _newline(out, indent, level + 1)
        _encode(item, out, indent, level + 1, esc)
    _newline(out, indent, level)
    out.append("]")


def _encode_map(v: Mapping, out: list[str], indent: str | None, level: int, esc: bool) -> None:
    keys = list(v.keys())
    if any(not isinstance(k, str) for k in keys):
        raise GoJSONError(f"json: unsupported type: {go_type_name(v)}")
    if not keys:
        out.append("{}")
        return
    out.append("{")
    sep = ": " if indent is not None else ":"
    for i, k in enumerate(sorted(keys)):
        if i:
            out.append(",")
        _newline(out, indent, level + 1)
        out.append(_json_string(k, esc) + sep)
        _encode(v[k], out, indent, level + 1, esc)
    _newline(out, indent, level)
    out.append("}")


def go_sprint(v: Any) -> str:
    """fmt `%v` formatting."""
    if isinstance(v, (list, tuple, Mapping)):
        limits.reserve_rendering(v, "the text of a value")
    return _sprint(v)


def _sprint(v: Any) -> str:
    if v is None:
        return "<nil>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return v
    if type(v) is int:
        return str(v)
    if type(v) is float:
        return go_format_float(v)
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(_sprint(x) for x in v) + "]"
    if isinstance(v, Mapping):
        items = sorted(v.items(), key=lambda kv: _sort_key(kv[0]))
        return "map[" + " ".join(f"{_sprint(k)}:{_sprint(x)}" for k, x in items) + "]"
    if isinstance(v, datetime):
        return go_time_string(v)
    if isinstance(v, GoDuration):
        return format_duration(v.ns)
    if callable(v):
        return f"0x{id(v):x}"
    return str(v)


def _sort_key(k: Any) -> tuple[int, Any]:
    if is_number(k):
        return (0, k)
    return (1, str(k))


def go_quote(s: str) -> str:
    """strconv.Quote (what `%q` prints for a string)."""
    out = ['"']
    for ch in s:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(_quote_escape(ch))
    out.append('"')
    return "".join(out)


_QUOTE_SHORT = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _quote_escape(ch: str) -> str:
    if ch in _QUOTE_SHORT:
        return _QUOTE_SHORT[ch]
    code = ord(ch)
    if code < 0x80:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def go_type_name(v: Any) -> str:
    """Go `%T` of the Go value this Python value stands for."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if type(v) is int:
        return "int"
    if type(v) is float:
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        return "[]interface {}"
    if isinstance(v, Mapping):
        if all(isinstance(k, str) for k in v):
            return "map[string]interface {}"
        return "map[interface {}]interface {}"
    if isinstance(v, datetime):
        return "time.Time"
    if isinstance(v, GoDuration):
        return "time.Duration"
    if isinstance(v, Callable):  # type: ignore[arg-type]
        return "func(...interface {}) (interface {}, error)"
    return type(v).__name__
