"""expr-lang v1.17 builtin functions (`builtin/builtin.go`, `builtin/lib.go`) and predicates.

`BUILTINS[name](*args)` implements the plain builtins; `PREDICATES[name](ctx, collection,
predicate, extra_args)` implements the closure builtins (`filter`, `map`, `all`, ...).
`value_method(value, name)` exposes the few Go methods Argo users call on times and durations
(`(now() - t).Seconds()`, `now().Format("2006")`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Any

from argonb.expr import gotime, limits
from argonb.expr import runtime as rt
from argonb.expr.errors import ExprError
from argonb.expr.gofmt import GoJSONError, go_json, go_sprint, go_type_name, is_number
from argonb.expr.gotime import GoDuration

if TYPE_CHECKING:
    from argonb.expr.exprlang import Ctx

__all__ = ["BUILTINS", "PREDICATES", "from_json", "value_method"]


def _arity(name: str, args: tuple[Any, ...], lo: int, hi: int | None = None) -> None:
    hi = lo if hi is None else hi
    if not lo <= len(args) <= hi:
        expected = str(lo) if lo == hi else f"{lo} or {hi}"
        raise ExprError(f"invalid number of arguments for {name} (expected {expected}, got {len(args)})")


def _str(v: Any, fn: str) -> str:
    if isinstance(v, str):
        return v
    raise ExprError(f"invalid argument for {fn} (type {go_type_name(v)})")


def _list(v: Any, fn: str) -> list[Any]:
    if isinstance(v, list):
        return v
    raise ExprError(f"invalid argument for {fn} (type {go_type_name(v)})")


# --------------------------------------------------------------------------------------------
# conversions


_GO_INT = re.compile(r"[+-]?[0-9]+")
_GO_FLOAT = re.compile(
    r"[+-]?(?:inf|infinity|nan|(?:[0-9]+(?:_?[0-9])*\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)", re.I)


def go_atoi(s: str) -> int:
    """strconv.Atoi (base 10, optional sign, 64-bit range). Raises ValueError."""
    if not _GO_INT.fullmatch(s):
        raise ValueError(f'strconv.Atoi: parsing "{s}": invalid syntax')
    v = int(s)
    if not -(1 << 63) <= v < (1 << 63):
        raise ValueError(f'strconv.Atoi: parsing "{s}": value out of range')
    return v


def go_parse_float(s: str) -> float:
    """strconv.ParseFloat(s, 64). Raises ValueError."""
    if not _GO_FLOAT.fullmatch(s) or "_" in s:
        raise ValueError(f'strconv.ParseFloat: parsing "{s}": invalid syntax')
    v = float(s)
    if math.isinf(v) and "inf" not in s.lower():
        raise ValueError(f'strconv.ParseFloat: parsing "{s}": value out of range')
    return v


def b_int(x: Any) -> int:
    if isinstance(x, str):
        try:
            return go_atoi(x)
        except ValueError:
            raise ExprError(f"invalid operation: int({x})") from None
    if isinstance(x, GoDuration):
        return x.ns
    if is_number(x):
        return rt.to_int(x)
    raise ExprError(f"invalid operation: int({go_type_name(x)})")


def b_float(x: Any) -> float:
    if isinstance(x, str):
        try:
            return go_parse_float(x)
        except ValueError:
            raise ExprError(f"invalid operation: float({x})") from None
    if is_number(x):
        return float(x)
    raise ExprError(f"invalid operation: float({go_type_name(x)})")


def b_string(x: Any) -> str:
    return go_sprint(x)


def b_type(x: Any) -> str:
    if x is None:
        return "nil"
    if isinstance(x, bool):
        return "bool"
    if type(x) is int:
        return "int"
    if type(x) is float:
        return "float"
    if isinstance(x, str):
        return "string"
    if isinstance(x, list):
        return "array"
    if isinstance(x, Mapping):
        return "map"
    if isinstance(x, datetime):
        return "time.Time"
    if isinstance(x, GoDuration):
        return "time.Duration"
    if callable(x):
        return "func"
    return "unknown"


def b_len(x: Any) -> int:
    if isinstance(x, (str, list, Mapping)):
        return len(x)
    raise ExprError(f"invalid argument for len (type {go_type_name(x)})")


def b_abs(x: Any) -> Any:
    if is_number(x):
        return abs(x)
    raise ExprError(f"invalid argument for abs (type {go_type_name(x)})")


def _rounding(name: str, fn: Callable[[float], float]) -> Callable[[Any], float]:
    def apply(x: Any) -> float:
        if not is_number(x):
            raise ExprError(f"invalid argument for {name} (type {go_type_name(x)})")
        f = float(x)
        if math.isnan(f) or math.isinf(f):
            return f
        return float(fn(f))

    return apply


def _go_round(f: float) -> float:
    """math.Round: half away from zero."""
    return math.copysign(math.floor(abs(f) + 0.5), f)


# --------------------------------------------------------------------------------------------
# strings


def b_trim(*args: Any) -> str:
    _arity("trim", args, 1, 2)
    s = _str(args[0], "trim")
    if len(args) == 1:
        return s.strip()
    return s.strip(_str(args[1], "trim"))


def b_trim_prefix(*args: Any) -> str:
    _arity("trimPrefix", args, 1, 2)
    s, p = _str(args[0], "trimPrefix"), (_str(args[1], "trimPrefix") if len(args) == 2 else " ")
    return s[len(p):] if p and s.startswith(p) else s


def b_trim_suffix(*args: Any) -> str:
    _arity("trimSuffix", args, 1, 2)
    s, p = _str(args[0], "trimSuffix"), (_str(args[1], "trimSuffix") if len(args) == 2 else " ")
    return s[: len(s) - len(p)] if p and s.endswith(p) else s


def go_split(s: str, sep: str, n: int = -1, after: bool = False) -> list[str] | None:
    """strings.SplitN / SplitAfterN (n == 0 gives nil)."""
    if n == 0:
        return None
    if sep == "":
        chars = list(s)
        if 0 < n < len(chars):
            chars = chars[: n - 1] + ["".join(chars[n - 1:])]
        return chars
    parts = s.split(sep) if n < 0 else s.split(sep, n - 1)
    if after:
        parts = [p + sep for p in parts[:-1]] + parts[-1:]
    return parts


def _split_impl(name: str, after: bool) -> Callable[..., Any]:
    def split(*args: Any) -> Any:
        _arity(name, args, 2, 3)
        n = rt.to_int(args[2]) if len(args) == 3 else -1
        return go_split(_str(args[0], name), _str(args[1], name), n, after)

    return split


def b_replace(*args: Any) -> str:
    _arity("replace", args, 3, 4)
    s, old, new = (_str(a, "replace") for a in args[:3])
    n = rt.to_int(args[3]) if len(args) == 4 else -1
    return s.replace(old, new, n)


def b_repeat(*args: Any) -> str:
    _arity("repeat", args, 2)
    s, n = _str(args[0], "repeat"), rt.to_int(args[1])
    if n < 0:
        raise ExprError(f"invalid argument for repeat (expected positive integer, got {n})")
    if n > 1_000_000:
        raise ExprError("memory budget exceeded")   # builtin.go repeat
    limits.mem_grow(len(s) * n)
    return s * n


def b_join(*args: Any) -> str:
    _arity("join", args, 1, 2)
    glue = _str(args[1], "join") if len(args) == 2 else ""
    items = args[0]
    if not isinstance(items, list):
        raise ExprError(f"invalid argument for join (type {go_type_name(items)})")
    for item in items:
        if not isinstance(item, str):
            raise ExprError(f"interface conversion: interface {{}} is {go_type_name(item)}, not string")
    return glue.join(items)


def _byte_index(s: str, sub: str, last: bool) -> int:
    hay, needle = s.encode(), sub.encode()
    return hay.rfind(needle) if last else hay.find(needle)


def b_index_of(*args: Any) -> int:
    _arity("indexOf", args, 2)
    return _byte_index(_str(args[0], "indexOf"), _str(args[1], "indexOf"), False)


def b_last_index_of(*args: Any) -> int:
    _arity("lastIndexOf", args, 2)
    return _byte_index(_str(args[0], "lastIndexOf"), _str(args[1], "lastIndexOf"), True)


def _str_pred(name: str, fn: Callable[[str, str], bool]) -> Callable[..., bool]:
    def pred(*args: Any) -> bool:
        _arity(name, args, 2)
        return fn(_str(args[0], name), _str(args[1], name))

    return pred


def _str_unary(name: str, fn: Callable[[str], str]) -> Callable[..., str]:
    def apply(*args: Any) -> str:
        _arity(name, args, 1)
        return fn(_str(args[0], name))

    return apply


# --------------------------------------------------------------------------------------------
# numbers and aggregates


def _aggregate_values(name: str, args: tuple[Any, ...], depth: int = 0) -> list[Any]:
    if depth > 10000:
        raise ExprError("recursion depth exceeded")
    out: list[Any] = []
    for arg in args:
        if is_number(arg):
            out.append(arg)
        elif isinstance(arg, list):
            out.extend(_aggregate_values(name, tuple(arg), depth + 1))
        else:
            raise ExprError(f"invalid argument for {name} (type {go_type_name(arg)})")
    return out


def _min_max(name: str, pick: Callable[[Any, Any], bool]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        if len(args) == 1 and not (is_number(args[0]) or isinstance(args[0], list)):
            return args[0]
        values = _aggregate_values(name, args)
        best = None
        for v in values:
            if best is None or pick(best, v):
                best = v
        return best

    return apply


def b_mean(*args: Any) -> float:
    values = _aggregate_values("mean", args)
    return sum(float(v) for v in values) / len(values) if values else 0.0


def b_median(*args: Any) -> float:
    values = sorted(float(v) for v in _aggregate_values("median", args))
    n = len(values)
    if not n:
        return 0.0
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def _bit(name: str, fn: Callable[[int, int], int]) -> Callable[..., int]:
    def apply(*args: Any) -> int:
        _arity(name, args, 2)
        x, y = args
        if type(x) is not int or type(y) is not int:
            raise ExprError(f"invalid argument for {name} (type {go_type_name(x)} and {go_type_name(y)})")
        if name in ("bitshl", "bitshr", "bitushr") and y < 0:
            raise ExprError(f"invalid operation: negative shift count {y} (type int)")
        return rt.wrap_int(fn(x, y))

    return apply


def b_bitnot(*args: Any) -> int:
    _arity("bitnot", args, 1)
    if type(args[0]) is not int:
        raise ExprError(f"invalid argument for bitnot (type {go_type_name(args[0])})")
    return ~args[0]


# --------------------------------------------------------------------------------------------
# JSON / base64


def _float_json(text: str) -> float:
    return float(text)


def _reject_constant(text: str) -> Any:
    raise ValueError(f"invalid character '{text[0]}' looking for beginning of value")


def from_json(text: str) -> Any:
    """json.Unmarshal into interface{}: every number becomes float64."""
    return json.loads(text, parse_int=_float_json, parse_constant=_reject_constant)


def b_to_json(*args: Any) -> str:
    _arity("toJSON", args, 1)
    try:
        return go_json(args[0], indent="  ")
    except GoJSONError as exc:
        raise ExprError(str(exc)) from None


def b_from_json(*args: Any) -> Any:
    _arity("fromJSON", args, 1)
    try:
        return from_json(_str(args[0], "fromJSON"))
    except (ValueError, RecursionError) as exc:
        raise ExprError(str(exc)) from None


def b_to_base64(*args: Any) -> str:
    _arity("toBase64", args, 1)
    return base64.b64encode(_str(args[0], "toBase64").encode()).decode()


def b_from_base64(*args: Any) -> str:
    _arity("fromBase64", args, 1)
    try:
        raw = base64.b64decode(_str(args[0], "fromBase64"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ExprError(f"illegal base64 data: {exc}") from None
    return raw.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------------------------
# time


def b_now(*args: Any) -> datetime:
    if not args:
        return gotime.now()
    if len(args) == 1 and isinstance(args[0], tzinfo):
        return datetime.now(args[0])
    raise ExprError(f"invalid number of arguments (expected 0, got {len(args)})")


def b_duration(*args: Any) -> GoDuration:
    _arity("duration", args, 1)
    try:
        return gotime.parse_duration(_str(args[0], "duration"))
    except ValueError as exc:
        raise ExprError(str(exc)) from None


_DATE_LAYOUTS = (
    "2006-01-02", "15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00",
    "02 Jan 06 15:04 MST", "Monday, 02-Jan-06 15:04:05 MST", "Mon, 02 Jan 2006 15:04:05 MST",
)


def b_date(*args: Any) -> datetime:
    if not args:
        raise ExprError("invalid number of arguments (expected at least 1, got 0)")
    tz: tzinfo | None = None
    if isinstance(args[0], tzinfo):
        tz, args = args[0], args[1:]
    if not args or len(args) > 3:
        raise ExprError(f"invalid number of arguments (expected at most 3, got {len(args)})")
    text = _str(args[0], "date")
    try:
        if len(args) >= 2:
            if len(args) == 3:
                tz = b_timezone(args[2])
            return gotime.parse_time(_str(args[1], "date"), text, tz)
    except ValueError as exc:
        raise ExprError(str(exc)) from None
    for layout in _DATE_LAYOUTS:
        try:
            return gotime.parse_time(layout, text, tz)
        except ValueError:
            continue
    raise ExprError(f"invalid date {text}")


def b_timezone(*args: Any) -> tzinfo:
    _arity("timezone", args, 1)
    try:
        return gotime.load_location(_str(args[0], "timezone"))
    except ValueError as exc:
        raise ExprError(str(exc)) from None


# --------------------------------------------------------------------------------------------
# collections


def b_first(*args: Any) -> Any:
    _arity("first", args, 1)
    seq = args[0]
    if isinstance(seq, list) and seq:
        return seq[0]
    return None


def b_last(*args: Any) -> Any:
    _arity("last", args, 1)
    seq = args[0]
    if isinstance(seq, list) and seq:
        return seq[-1]
    return None


def b_get(*args: Any) -> Any:
    if len(args) < 2:
        raise ExprError(f"invalid number of arguments (expected 2, got {len(args)})")
    base, key = args[0], args[1]
    if base is None:
        return None
    if isinstance(base, Mapping):
        try:
            return base.get(key)
        except TypeError:
            return None
    if isinstance(base, (list, str)) and is_number(key):
        idx = rt.to_int(key)
        if idx < 0:
            idx += len(base)
        if 0 <= idx < len(base):
            return base[idx]
    return None


def b_take(*args: Any) -> list[Any]:
    _arity("take", args, 2)
    seq, n = args
    if not isinstance(seq, list):
        raise ExprError(f"cannot take from {go_type_name(seq)}")
    if type(n) is not int:
        raise ExprError(f"cannot take {go_type_name(n)} elements")
    return seq[: max(n, 0)]


def b_keys(*args: Any) -> list[Any]:
    _arity("keys", args, 1)
    if not isinstance(args[0], Mapping):
        raise ExprError(f"cannot get keys from {go_type_name(args[0])}")
    return list(args[0].keys())


def b_values(*args: Any) -> list[Any]:
    _arity("values", args, 1)
    if not isinstance(args[0], Mapping):
        raise ExprError(f"cannot get values from {go_type_name(args[0])}")
    return list(args[0].values())


def b_to_pairs(*args: Any) -> list[list[Any]]:
    _arity("toPairs", args, 1)
    if not isinstance(args[0], Mapping):
        raise ExprError(f"cannot transform {go_type_name(args[0])} to pairs")
    return [[k, v] for k, v in args[0].items()]


def b_from_pairs(*args: Any) -> dict[Any, Any]:
    _arity("fromPairs", args, 1)
    out: dict[Any, Any] = {}
    for pair in _list(args[0], "fromPairs"):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ExprError(f"invalid pair {go_sprint(pair)}")
        try:
            out[pair[0]] = pair[1]
        except TypeError:
            raise ExprError(f"invalid pair {go_sprint(pair)}") from None
    return out


def b_reverse(*args: Any) -> list[Any]:
    _arity("reverse", args, 1)
    if not isinstance(args[0], list):
        raise ExprError(f"cannot reverse {go_type_name(args[0])}")
    limits.mem_grow(len(args[0]))
    return list(reversed(args[0]))


def b_uniq(*args: Any) -> list[Any]:
    _arity("uniq", args, 1)
    if not isinstance(args[0], list):
        raise ExprError(f"cannot uniq {go_type_name(args[0])}")
    out: list[Any] = []
    for item in args[0]:
        if not any(rt.equal(item, seen) for seen in out):
            out.append(item)
    return out


def b_concat(*args: Any) -> list[Any] | None:
    if not args:
        raise ExprError("invalid number of arguments (expected at least 1, got 0)")
    out: list[Any] = []
    for arg in args:
        if not isinstance(arg, list):
            raise ExprError(f"cannot concat {go_type_name(arg)}")
        out.extend(arg)
    limits.mem_grow(len(out))
    return out if out else None


def _flatten(seq: list[Any], depth: int) -> list[Any]:
    if depth > 10000:
        raise ExprError("recursion depth exceeded")
    out: list[Any] = []
    for item in seq:
        if isinstance(item, list):
            out.extend(_flatten(item, depth + 1))
        else:
            out.append(item)
    return out


def b_flatten(*args: Any) -> list[Any]:
    _arity("flatten", args, 1)
    if not isinstance(args[0], list):
        raise ExprError(f"cannot flatten {go_type_name(args[0])}")
    flat = _flatten(args[0], 0)
    limits.mem_grow(len(flat))
    return flat


def _less_key(a: Any, b: Any) -> int:
    if rt.compare("<", a, b):
        return -1
    if rt.compare("<", b, a):
        return 1
    return 0


def _sort_order(order: Any) -> bool:
    if not isinstance(order, str):
        raise ExprError(f"sort order argument must be a string (got {go_type_name(order)})")
    if order not in ("asc", "desc"):
        raise ExprError(f"invalid order {order}, expected asc or desc")
    return order == "desc"


def b_sort(*args: Any) -> list[Any]:
    _arity("sort", args, 1, 2)
    import functools

    desc = _sort_order(args[1]) if len(args) == 2 else False
    items = list(args[0]) if isinstance(args[0], list) else []
    limits.mem_grow(len(items))
    return sorted(items, key=functools.cmp_to_key(_less_key), reverse=desc)


BUILTINS: dict[str, Callable[..., Any]] = {
    "len": lambda *a: (_arity("len", a, 1), b_len(a[0]))[1],
    "type": lambda *a: (_arity("type", a, 1), b_type(a[0]))[1],
    "abs": lambda *a: (_arity("abs", a, 1), b_abs(a[0]))[1],
    "ceil": lambda *a: (_arity("ceil", a, 1), _rounding("ceil", math.ceil)(a[0]))[1],
    "floor": lambda *a: (_arity("floor", a, 1), _rounding("floor", math.floor)(a[0]))[1],
    "round": lambda *a: (_arity("round", a, 1), _rounding("round", _go_round)(a[0]))[1],
    "int": lambda *a: (_arity("int", a, 1), b_int(a[0]))[1],
    "float": lambda *a: (_arity("float", a, 1), b_float(a[0]))[1],
    "string": lambda *a: (_arity("string", a, 1), b_string(a[0]))[1],
    "trim": b_trim,
    "trimPrefix": b_trim_prefix,
    "trimSuffix": b_trim_suffix,
    "upper": _str_unary("upper", str.upper),
    "lower": _str_unary("lower", str.lower),
    "split": _split_impl("split", False),
    "splitAfter": _split_impl("splitAfter", True),
    "replace": b_replace,
    "repeat": b_repeat,
    "join": b_join,
    "indexOf": b_index_of,
    "lastIndexOf": b_last_index_of,
    "hasPrefix": _str_pred("hasPrefix", str.startswith),
    "hasSuffix": _str_pred("hasSuffix", str.endswith),
    "max": _min_max("max", lambda best, v: rt.compare("<", best, v)),
    "min": _min_max("min", lambda best, v: rt.compare(">", best, v)),
    "mean": b_mean,
    "median": b_median,
    "toJSON": b_to_json,
    "fromJSON": b_from_json,
    "toBase64": b_to_base64,
    "fromBase64": b_from_base64,
    "now": b_now,
    "duration": b_duration,
    "date": b_date,
    "timezone": b_timezone,
    "first": b_first,
    "last": b_last,
    "get": b_get,
    "take": b_take,
    "keys": b_keys,
    "values": b_values,
    "toPairs": b_to_pairs,
    "fromPairs": b_from_pairs,
    "reverse": b_reverse,
    "uniq": b_uniq,
    "concat": b_concat,
    "flatten": b_flatten,
    "sort": b_sort,
    "bitand": _bit("bitand", lambda x, y: x & y),
    "bitor": _bit("bitor", lambda x, y: x | y),
    "bitxor": _bit("bitxor", lambda x, y: x ^ y),
    "bitnand": _bit("bitnand", lambda x, y: x & ~y),
    "bitshl": _bit("bitshl", lambda x, y: x << min(y, 64)),
    "bitshr": _bit("bitshr", lambda x, y: x >> min(y, 64)),
    "bitushr": _bit("bitushr", lambda x, y: (x % (1 << 64)) >> min(y, 64)),
    "bitnot": b_bitnot,
}


# --------------------------------------------------------------------------------------------
# predicates


def _iterate(name: str, ctx: Ctx, coll: Any) -> list[Any]:
    if isinstance(coll, list):
        return coll
    raise ExprError(f"builtin {name} takes only array (got {go_type_name(coll)})")


def _pred_bool(v: Any) -> bool:
    if v is True or v is False:
        return v
    raise ExprError(f"predicate should return boolean (got {go_type_name(v)})")


def _run(name: str, ctx: Ctx, coll: Any, pred: Callable[[Ctx], Any]) -> Any:
    """Yield (index, item, predicate result) lazily with a pushed scope."""
    from argonb.expr.exprlang import Scope

    items = _iterate(name, ctx, coll)
    scope = Scope()
    ctx.scopes.append(scope)
    try:
        for i, item in enumerate(items):
            limits.step()
            scope.item, scope.index = item, i
            yield i, item, pred(ctx)
    finally:
        ctx.scopes.pop()


def p_all(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> bool:
    return all(_pred_bool(r) for _, _, r in _run("all", ctx, coll, pred))


def p_any(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> bool:
    return any(_pred_bool(r) for _, _, r in _run("any", ctx, coll, pred))


def p_none(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> bool:
    return not any(_pred_bool(r) for _, _, r in _run("none", ctx, coll, pred))


def p_one(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> bool:
    return sum(1 for _, _, r in _run("one", ctx, coll, pred) if _pred_bool(r)) == 1


def p_filter(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> list[Any]:
    kept = [item for _, item, r in _run("filter", ctx, coll, pred) if _pred_bool(r)]
    limits.mem_grow(len(kept))   # vm.go OpArray after the loop
    return kept


def p_map(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> list[Any]:
    mapped = [r for _, _, r in _run("map", ctx, coll, pred)]
    limits.mem_grow(len(mapped))
    return mapped


def p_count(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> int:
    return sum(1 for _, _, r in _run("count", ctx, coll, pred) if _pred_bool(r))


def p_sum(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> Any:
    total: Any = 0
    for _, _, r in _run("sum", ctx, coll, pred):
        total = rt.add(r, total)
    return total


def p_find(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> Any:
    for _, item, r in _run("find", ctx, coll, pred):
        if _pred_bool(r):
            return item
    return None


def p_find_index(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> int:
    for i, _, r in _run("findIndex", ctx, coll, pred):
        if _pred_bool(r):
            return i
    return -1


def p_find_last(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> Any:
    found = None
    for _, item, r in _run("findLast", ctx, coll, pred):
        if _pred_bool(r):
            found = item
    return found


def p_find_last_index(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> int:
    found = -1
    for i, _, r in _run("findLastIndex", ctx, coll, pred):
        if _pred_bool(r):
            found = i
    return found


def p_group_by(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = {}
    for _, item, key in _run("groupBy", ctx, coll, pred):
        try:
            groups.setdefault(key, []).append(item)
        except TypeError:
            raise ExprError(f"runtime error: hash of unhashable type {go_type_name(key)}") from None
    return groups


def p_sort_by(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> list[Any]:
    import functools

    desc = _sort_order(extra[0]) if extra else False
    pairs = [(key, item) for _, item, key in _run("sortBy", ctx, coll, pred)]
    pairs.sort(key=functools.cmp_to_key(lambda x, y: _less_key(x[0], y[0])), reverse=desc)
    limits.mem_grow(len(pairs))   # vm.go OpSort
    return [item for _, item in pairs]


def p_reduce(ctx: Ctx, coll: Any, pred: Any, extra: list[Any]) -> Any:
    from argonb.expr.exprlang import Scope

    items = _iterate("reduce", ctx, coll)
    if extra:
        acc, start = extra[0], 0
    elif items:
        acc, start = items[0], 1
    else:
        raise ExprError("reduce of empty array with no initial value")
    scope = Scope()
    ctx.scopes.append(scope)
    try:
        for i in range(start, len(items)):
            limits.step()
            scope.item, scope.index, scope.acc = items[i], i, acc
            acc = pred(ctx)
    finally:
        ctx.scopes.pop()
    return acc


PREDICATES: dict[str, Callable[[Ctx, Any, Any, list[Any]], Any]] = {
    "all": p_all, "any": p_any, "none": p_none, "one": p_one, "filter": p_filter,
    "map": p_map, "count": p_count, "sum": p_sum, "find": p_find, "findIndex": p_find_index,
    "findLast": p_find_last, "findLastIndex": p_find_last_index, "groupBy": p_group_by,
    "sortBy": p_sort_by, "reduce": p_reduce,
}


def current_item(ctx: Ctx) -> Any:
    """The implicit predicate of `count(xs)` / `sum(xs)`: the element itself."""
    return ctx.scopes[-1].item


# --------------------------------------------------------------------------------------------
# methods on time.Time / time.Duration


def _time_methods(t: datetime) -> dict[str, Callable[..., Any]]:
    return {
        "Format": lambda layout: gotime.format_time(t, _str(layout, "Format")),
        "Unix": lambda: int(t.timestamp()),
        "UnixMilli": lambda: int(t.timestamp() * 1000),
        "UnixNano": lambda: int(t.timestamp()) * 1_000_000_000 + t.microsecond * 1000,
        "Year": lambda: t.year,
        "Month": lambda: t.month,
        "Day": lambda: t.day,
        "Hour": lambda: t.hour,
        "Minute": lambda: t.minute,
        "Second": lambda: t.second,
        "Nanosecond": lambda: t.microsecond * 1000,
        "YearDay": lambda: t.timetuple().tm_yday,
        "Weekday": lambda: (t.weekday() + 1) % 7,
        "UTC": lambda: t.astimezone(timezone.utc),
        "Local": lambda: t.astimezone(gotime.local_tz()),
        "In": lambda tz: t.astimezone(tz),
        "Add": lambda d: rt.add(t, d),
        "Sub": lambda other: rt.subtract(t, other),
        "Before": lambda other: t < other,
        "After": lambda other: t > other,
        "Equal": lambda other: t == other,
        "IsZero": lambda: t.year == 1 and t.month == 1 and t.day == 1 and t.hour == 0,
        "String": lambda: go_sprint(t),
    }


def _duration_methods(d: GoDuration) -> dict[str, Callable[..., Any]]:
    return {
        "Hours": lambda: d.ns / 3.6e12,
        "Minutes": lambda: d.ns / 6e10,
        "Seconds": lambda: d.ns / 1e9,
        "Milliseconds": lambda: int(d.ns / 1_000_000),
        "Microseconds": lambda: int(d.ns / 1_000),
        "Nanoseconds": lambda: d.ns,
        "String": lambda: str(d),
        "Abs": lambda: GoDuration(abs(d.ns)),
    }


def value_method(base: Any, name: str) -> Callable[..., Any]:
    """A Go method value (`t.Format`, `d.Seconds`); errors like expr-lang for unknown ones."""
    methods: dict[str, Callable[..., Any]] = {}
    if isinstance(base, datetime):
        methods = _time_methods(base)
    elif isinstance(base, GoDuration):
        methods = _duration_methods(base)
    if name in methods:
        return methods[name]
    if base is None:
        raise ExprError(f"cannot fetch {name} from <nil>")
    raise ExprError(f"type {go_type_name(base)} has no method {name}")
