"""Argo's expression environment (`util/expr/env/env.go`, `util/expand/expand.go`).

`expand(flat)` turns the flat variable map (`{"inputs.parameters.x": "1"}`) into nested maps;
when both `a` and `a.b` exist the less specific `a` is dropped (so `workflow.parameters` /
`inputs.parameters`, which are JSON strings, are not usable in expressions).
`get_func_map(flat)` adds Argo's helpers: `asInt`, `asFloat`, `toJson`, `jsonpath`, `sprig`.
`ABSENT` marks a variable that exists but has no value (outputs of skipped/omitted nodes);
expressions see it as nil.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from argonb.expr.errors import ExprError
from argonb.expr.gofmt import GoJSONError, go_json, go_type_name

__all__ = ["ABSENT", "ARGO_HELPERS", "LazyFuncMap", "expand", "get_func_map"]


class _Absent:
    """Sentinel type: the variable exists but its value is absent (Argo's nil)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


class _Tree(dict):  # type: ignore[type-arg]
    """An intermediate map created by `expand` (as opposed to a map-valued variable)."""

    __slots__ = ()


def expand(flat: Mapping[str, Any]) -> dict[str, Any]:
    """bellows.Expand(removeConflicts(flat)) with ABSENT mapped to None.

    Deterministic where Go is not: a key is dropped whenever a more specific `key.` child exists.
    Intermediate maps are `dict` subclasses; compare them with `==`.
    """
    root: dict[str, Any] = _Tree()
    for key, value in flat.items():
        node = root
        if "." in key:
            *path, leaf = key.split(".")
            for part in path:
                child = node.get(part)
                if type(child) is not _Tree:
                    child = node[part] = _Tree()
                node = child
        else:
            leaf = key
        if type(node.get(leaf)) is _Tree:
            continue  # a more specific key already lives under this name
        node[leaf] = None if value is ABSENT else value
    return root




# --------------------------------------------------------------------------------------------
# helpers


def _as_int(*args: Any) -> Any:
    from argonb.expr.exprfuncs import b_int

    _one(args)
    if args[0] is None:
        raise ExprError("invalid operation: int(<nil>)")
    return b_int(args[0])


def _as_float(*args: Any) -> Any:
    from argonb.expr.exprfuncs import b_float

    _one(args)
    if args[0] is None:
        raise ExprError("invalid operation: float(<nil>)")
    return b_float(args[0])


def _one(args: tuple[Any, ...]) -> None:
    if len(args) != 1:
        raise ExprError(f"invalid number of arguments: expected 1, got {len(args)}")


def _to_json(*args: Any) -> str:
    _one(args)
    try:
        return go_json(args[0])
    except GoJSONError as exc:
        raise ExprError(str(exc)) from None


def _jsonpath(*args: Any) -> Any:
    from argonb.expr.exprfuncs import from_json
    from argonb.expr.jsonpath import JSONPathError, query

    if len(args) != 2:
        raise ExprError(f"invalid number of arguments: expected 2, got {len(args)}")
    doc, path = ("" if a is None else a for a in args)
    for a in (doc, path):
        if not isinstance(a, str):
            raise ExprError(f"reflect: Call using {go_type_name(a)} as type string")
    try:
        data = from_json(doc)
    except (ValueError, RecursionError) as exc:
        raise ExprError(f"jsonpath: invalid JSON: {exc}") from None
    try:
        return query(path, data)
    except JSONPathError as exc:
        raise ExprError(str(exc)) from None


def _sprig() -> dict[str, Any]:
    from argonb.expr.sprig import SPRIG

    return dict(SPRIG)


class _Helpers(dict):  # type: ignore[type-arg]
    """Lazily-populated helper map (avoids importing sprig until an expression needs it)."""

    def _load(self) -> None:
        if not dict.__len__(self):
            self.update(asInt=_as_int, asFloat=_as_float, jsonpath=_jsonpath, toJson=_to_json, sprig=_sprig())

    def __contains__(self, key: object) -> bool:
        self._load()
        return dict.__contains__(self, key)

    def __getitem__(self, key: str) -> Any:
        self._load()
        return dict.__getitem__(self, key)

    def keys(self):  # type: ignore[no-untyped-def]
        self._load()
        return dict.keys(self)

    def items(self):  # type: ignore[no-untyped-def]
        self._load()
        return dict.items(self)


ARGO_HELPERS: Final[dict[str, Any]] = _Helpers()


def get_func_map(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Argo's `GetFuncMap`: the expanded variables plus the helper functions."""
    env = expand(flat)
    env.update(ARGO_HELPERS.items())
    return env


class LazyFuncMap(Mapping[str, Any]):
    """`get_func_map(flat)` computed per top-level name on first access.

    Expanding thousands of variables for every expression is the engine's hot path; an
    expression usually touches one or two roots (`inputs`, `tasks`), so only those are built.
    """

    def __init__(self, flat: Mapping[str, Any]) -> None:
        self._flat = flat
        self._index: dict[str, list[str]] | None = None
        self._built: dict[str, Any] = {}

    def _roots(self) -> dict[str, list[str]]:
        if self._index is None:
            index: dict[str, list[str]] = {}
            for key in self._flat:
                index.setdefault(key.partition(".")[0], []).append(key)
            self._index = index
        return self._index

    def __getitem__(self, name: str) -> Any:
        if name in ARGO_HELPERS:
            return ARGO_HELPERS[name]
        if name in self._built:
            return self._built[name]
        keys = self._roots().get(name)
        if keys is None:
            raise KeyError(name)
        value = expand({k: self._flat[k] for k in keys})[name]
        self._built[name] = value
        return value

    def __contains__(self, name: object) -> bool:
        return name in ARGO_HELPERS or name in self._roots()

    def __iter__(self) -> Iterator[str]:
        yield from self._roots()
        yield from (k for k in ARGO_HELPERS.keys() if k not in self._roots())

    def __len__(self) -> int:
        return len(set(self._roots()) | set(ARGO_HELPERS.keys()))
