"""expr-lang v1.17 runtime semantics (`vm/runtime`): equality, ordering, arithmetic, member access.

Python images of Go values: None=nil, bool, int (Go int, wrapped to 64 bits), float (float64),
str, list ([]any), dict (map), datetime (time.Time), GoDuration (time.Duration).
Every failure raises `ExprError` with expr-lang's wording where practical.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from argonb.expr.errors import ExprError
from argonb.expr.gofmt import go_sprint, go_type_name, is_number
from argonb.expr.gotime import GoDuration

__all__ = [
    "add", "compare", "deep_equal", "divide", "equal", "exponent", "fetch",
    "in_op", "is_nil", "modulo", "multiply", "negate", "slice_value", "subtract", "to_float",
    "to_int", "wrap_int",
]

_INT_MIN = -(1 << 63)
_INT_MOD = 1 << 64


def wrap_int(v: int) -> int:
    """Go int64 overflow wrap-around."""
    if _INT_MIN <= v < -_INT_MIN:
        return v
    return (v - _INT_MIN) % _INT_MOD + _INT_MIN


def is_nil(v: Any) -> bool:
    """runtime.IsNil: only nil itself (our maps/slices are never typed-nil)."""
    return v is None


def _mismatch(op: str, a: Any, b: Any) -> ExprError:
    return ExprError(f"invalid operation: {op} (mismatched types {go_type_name(a)} and {go_type_name(b)})")


def deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual on the Python images (types must match exactly; all maps are one type)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def equal(a: Any, b: Any) -> bool:
    """runtime.Equal: numbers compare across int/float, slices element-wise, else DeepEqual."""
    if is_number(a) and is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a == b
    return deep_equal(a, b)


def _orderable(a: Any, b: Any) -> bool:
    if is_number(a) and is_number(b):
        return True
    for t in (str, datetime, GoDuration):
        if isinstance(a, t) and isinstance(b, t):
            return True
    return False


def compare(op: str, a: Any, b: Any) -> bool:
    """`<`, `>`, `<=`, `>=` on numbers, strings, times and durations."""
    if not _orderable(a, b):
        raise _mismatch(op, a, b)
    if op == "<":
        return bool(a < b)
    if op == ">":
        return bool(a > b)
    if op == "<=":
        return bool(a <= b)
    return bool(a >= b)


def _td(d: GoDuration) -> timedelta:
    return timedelta(microseconds=d.ns // 1000)


def _num_result(a: Any, b: Any, value: Any) -> Any:
    if type(a) is int and type(b) is int:
        return wrap_int(value)
    return float(value)


def add(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return _num_result(a, b, a + b)
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, datetime) and isinstance(b, GoDuration):
        return a + _td(b)
    if isinstance(a, GoDuration) and isinstance(b, datetime):
        return b + _td(a)
    if isinstance(a, GoDuration) and isinstance(b, GoDuration):
        return GoDuration(wrap_int(a.ns + b.ns))
    raise _mismatch("+", a, b)


def subtract(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return _num_result(a, b, a - b)
    if isinstance(a, datetime) and isinstance(b, datetime):
        delta = a - b
        return GoDuration((delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000)
    if isinstance(a, datetime) and isinstance(b, GoDuration):
        return a - _td(b)
    if isinstance(a, GoDuration) and isinstance(b, GoDuration):
        return GoDuration(wrap_int(a.ns - b.ns))
    raise _mismatch("-", a, b)


def multiply(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return _num_result(a, b, a * b)
    if isinstance(a, GoDuration) and type(b) is int:
        return GoDuration(wrap_int(a.ns * b))
    if type(a) is int and isinstance(b, GoDuration):
        return GoDuration(wrap_int(a * b.ns))
    raise _mismatch("*", a, b)


def divide(a: Any, b: Any) -> float:
    """`/` always yields float64; division by zero gives ±Inf/NaN like Go floats."""
    if not (is_number(a) and is_number(b)):
        raise _mismatch("/", a, b)
    x, y = float(a), float(b)
    if y == 0.0:
        if x == 0.0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def modulo(a: Any, b: Any) -> int:
    """`%` is integer-only with Go's truncated semantics."""
    if type(a) is not int or type(b) is not int:
        raise _mismatch("%", a, b)
    if b == 0:
        raise ExprError("runtime error: integer divide by zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def exponent(a: Any, b: Any) -> float:
    """`**` / `^` is math.Pow on float64."""
    if not (is_number(a) and is_number(b)):
        raise _mismatch("**", a, b)
    try:
        return math.pow(float(a), float(b))
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def negate(a: Any) -> Any:
    if type(a) is int:
        return wrap_int(-a)
    if type(a) is float:
        return -a
    if isinstance(a, GoDuration):
        return GoDuration(-a.ns)
    raise ExprError(f"invalid operation: - (mismatched type {go_type_name(a)})")


def to_int(v: Any, what: str = "int") -> int:
    """runtime.ToInt (numbers only; floats truncate)."""
    if type(v) is int:
        return v
    if type(v) is float:
        if math.isnan(v) or math.isinf(v):
            return _INT_MIN
        return wrap_int(int(v))
    raise ExprError(f"invalid operation: {what}({go_type_name(v)})")


def to_float(v: Any) -> float:
    if is_number(v):
        return float(v)
    raise ExprError(f"invalid operation: float({go_type_name(v)})")


def in_op(needle: Any, haystack: Any) -> bool:
    """runtime.In: array membership (Equal) or map key presence."""
    if haystack is None:
        return False
    if isinstance(haystack, list):
        return any(equal(item, needle) for item in haystack)
    if isinstance(haystack, Mapping):
        try:
            return needle in haystack
        except TypeError:
            raise ExprError(f"cannot use {go_type_name(needle)} as map key") from None
    raise ExprError(f'operator "in" not defined on {go_type_name(haystack)}')


def _index(seq: list | str, i: Any) -> Any:
    if isinstance(seq, str):
        raise ExprError(f"type string[{go_type_name(i)}] is undefined")
    if type(i) is not int and type(i) is not float:
        raise ExprError(f"array elements can only be selected using an integer (got {go_type_name(i)})")
    idx = to_int(i)
    n = len(seq)
    if idx < 0:
        idx += n
    if idx < 0 or idx >= n:
        raise ExprError(f"index out of range: {idx} (array length is {n})")
    return seq[idx]


def fetch(base: Any, key: Any) -> Any:
    """runtime.Fetch: `a.b` / `a[k]`. A missing map key is nil; fetching from nil is an error."""
    if isinstance(base, Mapping):
        try:
            return base.get(key)
        except TypeError:
            raise ExprError(f"cannot fetch {go_sprint(key)} from {go_type_name(base)}") from None
    if isinstance(base, (list, str)):
        return _index(base, key)
    if base is None:
        raise ExprError(f"cannot fetch {go_sprint(key)} from <nil>")
    raise ExprError(f"cannot fetch {go_sprint(key)} from {go_type_name(base)}")


def slice_value(base: Any, lo: Any, hi: Any) -> Any:
    """runtime.Slice with Go's clamping of out-of-range bounds."""
    if not isinstance(base, (list, str)):
        raise ExprError(f"cannot slice {go_type_name(base)}")
    n = len(base)
    a = 0 if lo is None else to_int(lo)
    b = n if hi is None else to_int(hi)
    a = max(a + n if a < 0 else a, 0)
    b = min(max(b + n if b < 0 else b, 0), n)
    a = min(a, b)
    return base[a:b]
