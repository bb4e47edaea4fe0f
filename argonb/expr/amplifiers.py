"""How big the result of a function whose output can dwarf its input will be, known before it runs.

`limits.charge` measures every value once it exists; that is too late for `repeat(10**9, "x")`,
which would need the gigabytes first. For each such function (sprig's and expr-lang's) this table
gives the estimated bytes of the result from the arguments alone, cheaply (at most one pass over
an argument), and `check` refuses the call through `limits.reserve` before anything is built.
Functions missing here produce at most a small multiple of their input, which is already bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from argonb.expr import limits

__all__ = ["EXPR_BUILTINS", "SPRIG", "check"]

_ITEM = 32   # limits' estimate of one list element


def _count(n: Any) -> int:
    return n if type(n) is int and n > 0 else 0


def _text(v: Any) -> int:
    return len(v) if isinstance(v, str) else 0


def _repeat(s: Any, n: Any) -> int:
    return _text(s) * _count(n)


def _until_step(start: Any, stop: Any, step: Any) -> int:
    if not all(type(x) is int for x in (start, stop, step)) or step == 0 or (stop - start) * step <= 0:
        return 0
    return _ITEM * (-(-(stop - start) // step))


def _seq(*params: Any) -> int:
    ints = [p for p in params if type(p) is int]
    if len(ints) != len(params) or not ints:
        return 0
    if len(ints) == 1:
        start, step, end = 1, 1, ints[0]
    elif len(ints) == 2:
        start, step, end = ints[0], 1, ints[1]
    else:
        start, step, end = ints
    count = abs(end - start) // max(abs(step), 1) + 1
    return count * (len(str(max(abs(start), abs(end)))) + 2)


def _replace(s: Any, old: Any, new: Any) -> int:
    if not (isinstance(s, str) and isinstance(old, str) and isinstance(new, str)):
        return 0
    hits = len(s) + 1 if old == "" else s.count(old)
    return len(s) + hits * max(len(new) - len(old), 0)


def _indent(n: Any, s: Any) -> int:
    return _text(s) + (_text(s) and s.count("\n") + 1) * _count(n)


def _joined(items: Any, sep: Any) -> int:
    """Rendering a list joined by `sep` (its elements rendered as text)."""
    if not isinstance(items, (list, tuple)):
        return 0
    cap = limits.current().limits.max_value_bytes if limits.current() else 1 << 62
    return limits.rendered_size_at_most(items, cap) + _text(sep) * len(items)


def _split_items(sep: Any, s: Any) -> int:
    if not (isinstance(s, str) and isinstance(sep, str)):
        return 0
    return _ITEM * (len(s) if sep == "" else s.count(sep) + 1)


def _deep(v: Any) -> int:
    """A deep copy or a flattening: every element reached, shared ones once per reference."""
    cap = limits.current().limits.max_value_bytes if limits.current() else 1 << 62
    return limits.rendered_size_at_most(v, cap)


def _wrap_with(n: Any, sep: Any, s: Any) -> int:
    return _text(s) + (_text(s) // max(_count(n), 1) + 1) * _text(sep)


SPRIG: Mapping[str, Callable[..., int]] = {
    "repeat": lambda n, s: _repeat(s, n),
    "until": lambda n: _ITEM * abs(n) if type(n) is int else 0,
    "untilStep": _until_step,
    "seq": _seq,
    "randAlphaNum": lambda n: _count(n), "randAlpha": lambda n: _count(n),
    "randAscii": lambda n: _count(n), "randNumeric": lambda n: _count(n),
    "indent": _indent,
    "nindent": lambda n, s: _indent(n, s) + 1,
    "replace": lambda old, new, s: _replace(s, old, new),
    "wrapWith": _wrap_with,
    "join": lambda sep, v: _joined(v, sep),
    "cat": lambda *args: _joined(list(args), " "),
    "splitList": _split_items,
    "split": lambda sep, s: 2 * _split_items(sep, s),
    "toJson": _deep, "toPrettyJson": _deep, "toRawJson": _deep, "toString": _deep, "toStrings": _deep,
    "deepCopy": _deep, "mustDeepCopy": _deep,
}

EXPR_BUILTINS: Mapping[str, Callable[..., int]] = {
    "repeat": lambda s, n=0: _repeat(s, n),
    "replace": lambda s, old, new, *_: _replace(s, old, new),
    "join": lambda items, sep="": _joined(items, sep),
    "split": lambda s, sep="", *_: _split_items(sep, s),
    "splitAfter": lambda s, sep="", *_: _split_items(sep, s),
    "toJSON": _deep, "string": _deep, "flatten": _deep,
}


def check(table: Mapping[str, Callable[..., int]], name: str, args: tuple[Any, ...] | list[Any]) -> None:
    """Refuse `name(*args)` now if its result would pass the bounds (no-op outside an evaluation)."""
    estimate = table.get(name)
    if estimate is None or limits.current() is None:
        return
    try:
        size = estimate(*args)
    except TypeError:   # wrong arity: the function itself reports that, in Go's words
        return
    limits.reserve(size, f"the result of {name}")
