"""Bounds on one expression evaluation, so that no workflow expression can exhaust memory or hang.

expr-lang has one bound of its own, which Argo therefore has too: a memory budget of 1e6 units
charged by ranges, literals and some builtins (`Budget.mem_grow`, `memory budget exceeded`).
Nothing bounds sprig's functions, rendering or time: a Go process would allocate
`sprig.repeat(1000000000, "x")` as readily as argonb did (1.8-5.6 GB within 60 s). So one
evaluation gets a `Budget` with argonb's own bounds as well:

- every value a function, operator or builtin produces is measured (an estimate of its bytes: a
  string's length, 32 bytes per list element, 64 per map entry); one value may not exceed
  `ARGONB_EXPR_MAX_VALUE_BYTES` (default 32 MiB). Functions whose output can dwarf their input
  (`repeat`, `until`, `seq`, `replace`, `join`, JSON and `%v` rendering...) reserve their size
  before they build anything;
- the process may not grow by more than `ARGONB_EXPR_MAX_MEMORY_BYTES` (default 256 MiB) during
  the evaluation (resident memory, read from /proc every 1024 steps and every 4 MiB of values
  built): this bounds what many values held together take, and only what is alive counts,
  so a loop that rebuilds a string is limited by time, not by the garbage it leaves;
- every function call and every predicate iteration is a step: at most `ARGONB_EXPR_MAX_STEPS`
  (default 10,000,000, some seconds of work);
- the evaluation may run at most `ARGONB_EXPR_MAX_SECONDS` (default 30) and stops early when the
  run it belongs to is being stopped (`set_interrupt`), so Ctrl-C and `argonb stop` reach it.

Exceeding one of argonb's bounds raises `ExprLimitError`, an `ExprError`: the node ends in Error
with a message naming the bound, its environment variable and the expression.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from argonb.expr.errors import ExprError

__all__ = [
    "EXPR_MEMORY_BUDGET", "Budget", "ExprLimitError", "Limits", "begin", "charge", "current", "end", "evaluation",
    "mem_grow", "reserve", "reserve_items", "set_interrupt", "step", "value_bytes",
]

_LIST_ITEM_BYTES = 32
_MAP_ENTRY_BYTES = 64
_CLOCK_EVERY = 1024   # steps between two looks at the clock, the interrupt switch and memory
_LOOK_EVERY_BYTES = 4 << 20   # values built between two looks at memory (and the clock)
_SMALL_VALUE = 64 << 10       # smaller values are not measured one by one
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class ExprLimitError(ExprError):
    """An evaluation went past one of argonb's bounds (or its run is being stopped)."""


@dataclass(frozen=True)
class Limits:
    max_value_bytes: int = 32 << 20
    max_memory_bytes: int = 256 << 20
    max_steps: int = 10_000_000
    max_seconds: float = 30.0

    @classmethod
    def from_env(cls) -> Limits:
        default = cls()
        return cls(
            max_value_bytes=_env_number("ARGONB_EXPR_MAX_VALUE_BYTES", default.max_value_bytes, int),
            max_memory_bytes=_env_number("ARGONB_EXPR_MAX_MEMORY_BYTES", default.max_memory_bytes, int),
            max_steps=_env_number("ARGONB_EXPR_MAX_STEPS", default.max_steps, int),
            max_seconds=_env_number("ARGONB_EXPR_MAX_SECONDS", default.max_seconds, float),
        )


def _env_number(name: str, default: Any, kind: type) -> Any:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        return default   # a typo in a tuning knob must not break every expression
    return value if value > 0 else default


def resident_bytes() -> int | None:
    """The process's resident memory now (Linux /proc), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def value_bytes(value: Any) -> int:
    """The estimated size of one value, not counting what its elements hold (they were measured)."""
    if isinstance(value, str):
        return len(value) if value.isascii() else 2 * len(value)
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return _LIST_ITEM_BYTES * len(value)
    if isinstance(value, Mapping):
        return _MAP_ENTRY_BYTES * len(value)
    return 0


class Budget:
    """What one evaluation has used so far.

    The environment is read (`limits`) only at the first look that needs a bound: most evaluations
    take a handful of steps and small values, and reading four variables each time would double
    what a simple `{{=...}}` costs.
    """

    __slots__ = ("_limits", "expr_memory", "interrupt", "next_look", "rss_start", "started", "steps", "unchecked")

    def __init__(self, limits: Limits | None, interrupt: Callable[[], bool] | None) -> None:
        self._limits = limits
        self.steps = 0
        self.next_look = _CLOCK_EVERY   # the step count of the next look at the bounds
        self.expr_memory = 0
        self.rss_start: int | None = -1   # read at the first look at memory
        self.unchecked = 0   # bytes of values built since memory was last looked at
        self.started = time.monotonic()
        self.interrupt = interrupt

    @property
    def limits(self) -> Limits:
        if self._limits is None:
            self._limits = _limits_from_env()
        return self._limits

    @limits.setter
    def limits(self, value: Limits) -> None:
        self._limits = value

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps >= self.next_look:
            self._look_at_steps()

    def _look_at_steps(self) -> None:
        if self.steps > self.limits.max_steps:
            raise ExprLimitError(f"evaluation took more than {self.limits.max_steps} steps "
                                 "(argonb's bound, ARGONB_EXPR_MAX_STEPS)")
        self.next_look = min(self.steps + _CLOCK_EVERY, self.limits.max_steps + 1)
        self.check_clock()

    def check_clock(self) -> None:
        if self.interrupt is not None and self.interrupt():
            raise ExprLimitError("evaluation interrupted: the run is stopping")
        if time.monotonic() - self.started > self.limits.max_seconds:
            raise ExprLimitError(f"evaluation ran longer than {self.limits.max_seconds:g} s "
                                 "(argonb's bound, ARGONB_EXPR_MAX_SECONDS)")
        self.check_memory()

    def check_memory(self) -> None:
        if self.rss_start == -1:
            self.rss_start = resident_bytes()
            return
        if self.rss_start is None:
            return
        rss = resident_bytes()
        if rss is not None and rss - self.rss_start > self.limits.max_memory_bytes:
            raise ExprLimitError(f"evaluation took more than {self.limits.max_memory_bytes} bytes of memory "
                                 "(argonb's bound, ARGONB_EXPR_MAX_MEMORY_BYTES)")

    def reserve(self, size: int, what: str) -> None:
        """Refuse a value of `size` estimated bytes before it is built."""
        if size > self.limits.max_value_bytes:
            raise ExprLimitError(f"{what} would be {size} bytes, more than argonb's bound of "
                                 f"{self.limits.max_value_bytes} for one value (ARGONB_EXPR_MAX_VALUE_BYTES)")

    def charge(self, size: int, what: str) -> None:
        """Check a value just built; a big one is a moment to look at the clock and memory too."""
        self.reserve(size, what)
        self.unchecked += size
        if self.unchecked >= _LOOK_EVERY_BYTES:
            self.unchecked = 0
            self.check_clock()

    def mem_grow(self, size: int) -> None:
        """expr-lang's own bound (vm/vm.go memGrow): Argo runs every expression with
        conf.DefaultMemoryBudget, 1e6 units, charged by ranges, array and map literals, map/filter
        results, sortBy and the Safe builtins (repeat, reverse, concat, flatten, sort)."""
        self.expr_memory += max(size, 0)
        if self.expr_memory >= EXPR_MEMORY_BUDGET:
            raise ExprError("memory budget exceeded")


EXPR_MEMORY_BUDGET = 1_000_000   # expr-lang conf.DefaultMemoryBudget

_state = threading.local()


def current() -> Budget | None:
    return getattr(_state, "budget", None)


def set_interrupt(check: Callable[[], bool] | None) -> None:
    """Install, for evaluations on this thread, a switch that ends them early (the run loop's stop)."""
    _state.interrupt = check


def begin() -> Budget | None:
    """Start the budget of one evaluation; returns None when an outer evaluation's budget is in force
    (a helper evaluating again shares it). Pair with `end(token)`."""
    if current() is not None:
        return None
    budget = Budget(None, getattr(_state, "interrupt", None))
    _state.budget = budget
    return budget


def end(token: Budget | None) -> None:
    if token is not None:
        _state.budget = None


@contextmanager
def evaluation(limits: Limits | None = None) -> Iterator[Budget]:
    """`begin`/`end` as a context manager (for callers outside the hot path)."""
    token = begin()
    if token is not None and limits is not None:
        token.limits = limits
    try:
        yield current()  # type: ignore[misc]
    finally:
        end(token)


_ENV_NAMES = ("ARGONB_EXPR_MAX_VALUE_BYTES", "ARGONB_EXPR_MAX_MEMORY_BYTES", "ARGONB_EXPR_MAX_STEPS",
              "ARGONB_EXPR_MAX_SECONDS")
_limits_cache: tuple[tuple[str | None, ...], Limits] | None = None


def _limits_from_env() -> Limits:
    """`Limits.from_env`, parsed again only when one of the variables changed."""
    global _limits_cache
    key = tuple(os.environ.get(name) for name in _ENV_NAMES)
    if _limits_cache is None or _limits_cache[0] != key:
        _limits_cache = (key, Limits.from_env())
    return _limits_cache[1]


def step(n: int = 1) -> None:
    budget = current()
    if budget is not None:
        budget.step(n)


def mem_grow(size: int) -> None:
    budget = current()
    if budget is not None:
        budget.mem_grow(size)


def reserve(size: int, what: str) -> None:
    budget = current()
    if budget is not None:
        budget.reserve(size, what)


def reserve_items(count: int, what: str) -> None:
    reserve(_LIST_ITEM_BYTES * max(count, 0), what)


_SCALARS = frozenset({int, float, bool, type(None)})


def charge(value: Any, name: str = "a value") -> Any:
    """Measure a value just produced (returned unchanged); `name` says what produced it.

    Values under 64 KiB are not looked at: the steps between two of them bound what they can add
    up to before the next look at memory, and most values are small, so this stays cheap.
    """
    if type(value) in _SCALARS:
        return value
    size = value_bytes(value)
    if size >= _SMALL_VALUE:
        budget = current()
        if budget is not None:
            budget.charge(size, f"the result of {name}")
    return value


def rendered_size_at_most(value: Any, cap: int) -> int:
    """The length of `value` rendered as text (JSON or `%v`), counted up to just past `cap`.

    Iterative, and it stops as soon as `cap` is passed, so it costs at most about `cap` work even
    for a list holding the same big string a million times.
    """
    total = 0
    stack = [value]
    while stack and total <= cap:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v) + 2
        elif isinstance(v, (list, tuple)):
            total += 2 + len(v)
            stack.extend(v)
        elif isinstance(v, Mapping):
            total += 2 + 2 * len(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        else:
            total += 8
    return total


def reserve_rendering(value: Any, what: str) -> None:
    """Before rendering a container as text: refuse it when the text would pass the value bound."""
    budget = current()
    if budget is None or not isinstance(value, (list, tuple, Mapping)):
        return
    cap = budget.limits.max_value_bytes
    budget.reserve(rendered_size_at_most(value, cap), what)
