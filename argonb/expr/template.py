"""Argo's `{{...}}` tag engine (`util/template`, ARGO-SEMANTICS §4.1, §4.4, §4.5).

* Simple tags `{{name}}`: the trimmed inner text is looked up exactly in the flat variable map.
  Unresolved tags stay verbatim (or fail, see below). A value of `ABSENT` / None is an absent
  optional and fails with `AbsentValueError` ("... is an absent optional").
* Expression tags `{{=expr}}`: evaluated with expr-lang against `expand_env(variables)` plus
  Argo's helpers. String results are inserted raw, others as Go-style compact JSON.
  An expression referencing a late-bound variable that is not known yet (`item`, `retries`,
  `lastRetry.*`, `workflow.status`, `workflow.failures`) stays verbatim for a later pass; so
  does any failing or nil-valued expression when unresolved tags are allowed. A syntax error
  always fails.
* Strictness mirrors Argo's `Replace(allowUnresolved)` and `ReplaceStrict(strictPrefixes)`.

Tags are found like valyala/fasttemplate: `{{` up to the next `}}` (so `{{a.{{item}}}}` first
resolves the nested `{{item}}`); an unclosed `{{` is an error.
"""

from __future__ import annotations

import marshal
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from argonb.expr.argoenv import ABSENT, LazyFuncMap, expand
from argonb.expr.errors import ExprError
from argonb.expr.gofmt import GoJSONError, go_json, go_quote
from argonb.expr.limits import ExprLimitError

__all__ = [
    "ABSENT",
    "AbsentValueError",
    "Tag",
    "TemplateError",
    "expand_env",
    "find_tags",
    "is_missing_variable_error",
    "replace",
    "substitute",
]

# late-bound variables whose absence leaves an expression tag for a later pass
LATE_BOUND = frozenset({
    "item", "retries", "lastRetry.exitCode", "lastRetry.status", "lastRetry.duration",
    "lastRetry.message", "workflow.status", "workflow.failures",
})


class TemplateError(ValueError):
    """A tag could not be substituted."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AbsentValueError(TemplateError):
    """A tag resolved to an absent optional value (skipped/omitted node output without default)."""


def is_missing_variable_error(err: BaseException) -> bool:
    """Argo's `IsMissingVariableErr`: the error means "not resolvable yet" (requeue), not terminal."""
    msg = str(err)
    return "failed to resolve {{" in msg or " is missing" in msg or "variable not in env" in msg


@dataclass(frozen=True)
class Tag:
    """One `{{...}}` occurrence; `start`/`end` cover the braces (text[start:end] == "{{inner}}")."""

    kind: Literal["simple", "expression"]
    inner: str
    start: int
    end: int

    @property
    def name(self) -> str:
        """Trimmed lookup key of a simple tag."""
        return self.inner.strip()

    @property
    def expression(self) -> str:
        """The expression source of an expression tag (text after `=`)."""
        return self.inner[1:] if self.kind == "expression" else ""


def _scan(text: str) -> tuple[list[Tag], bool]:
    tags: list[Tag] = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            return tags, True
        end = text.find("}}", start + 2)
        if end < 0:
            return tags, False
        inner = text[start + 2: end]
        kind: Literal["simple", "expression"] = "expression" if inner.startswith("=") else "simple"
        tags.append(Tag(kind, inner, start, end + 2))
        pos = end + 2


def find_tags(text: str) -> list[Tag]:
    """All tags in `text` (an unclosed trailing `{{` is ignored here)."""
    if "{{" not in text:
        return []
    return _scan(text)[0]


def expand_env(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Nested view of the flat variable map (bellows expand; `a` dropped when `a.b` exists)."""
    return expand(flat)


# --------------------------------------------------------------------------------------------
# substitution


class _Mode:
    """How unresolved tags are treated (Argo's strict regex + allowUnresolvedArtifacts)."""

    __slots__ = ("allow_artifacts", "strict")

    def __init__(self, allow_unresolved: bool, strict_prefixes: Sequence[str] | None) -> None:
        self.strict: re.Pattern[str] | None
        if strict_prefixes:
            self.strict = _strict_regex(tuple(strict_prefixes))
            self.allow_artifacts = True
        elif allow_unresolved:
            self.strict = None
            self.allow_artifacts = True
        else:
            self.strict = re.compile(".*")
            self.allow_artifacts = False

    def is_strict(self, name: str) -> bool:
        return self.strict is not None and self.strict.match(name) is not None


@lru_cache(maxsize=64)
def _strict_regex(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("^((" + "|".join(re.escape(p) for p in prefixes) + "))(\\.|$)")


class _Env:
    """The expression environment, built on first use."""

    __slots__ = ("_env", "variables")

    def __init__(self, variables: Mapping[str, Any], env: Mapping[str, Any] | None) -> None:
        self.variables = variables
        self._env = env

    def get(self) -> Mapping[str, Any]:
        if self._env is None:
            self._env = LazyFuncMap(self.variables)
        return self._env


def _is_absent(value: Any) -> bool:
    return value is None or value is ABSENT


def _simple(tag: str, variables: Mapping[str, Any], mode: _Mode) -> str:
    key = tag.strip()
    if key in variables:
        value = variables[key]
        if _is_absent(value):
            raise AbsentValueError(
                f"unable to substitute {{{{{tag}}}}}: output is an absent optional "
                "(skipped/omitted node with no default)")
        if not isinstance(value, str):
            raise TemplateError(f"failed to resolve {{{{{tag}}}}} to string")
        return value
    nested = _nested(tag, variables)
    if nested is not None:
        return nested
    if mode.is_strict(key) and (not mode.allow_artifacts or ".outputs.artifacts." not in key):
        raise TemplateError(f"failed to resolve {{{{{tag}}}}}")
    return "{{" + tag + "}}"


def _nested(tag: str, variables: Mapping[str, Any]) -> str | None:
    index = tag.rfind("{{")
    if index <= 0:
        return None
    prefix, inner = tag[:index], tag[index + 2:]
    if inner not in variables:
        return None
    value = variables[inner]
    if _is_absent(value):
        raise AbsentValueError(f"unable to substitute nested tag {{{{{tag}}}}}: {go_quote(inner)} is an absent optional")
    if isinstance(value, str):
        return "{{" + prefix + value
    return None


def _has_var(env: Mapping[str, Any], path: str) -> bool:
    """Argo's hasVarInEnv: a present-but-nil leaf counts as present."""
    if path in env:
        return True
    parts = path.split(".")
    current: Any = env
    remaining = parts
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in env:
            current, remaining = env[prefix], parts[i:]
            break
    for i, part in enumerate(remaining):
        if not isinstance(current, Mapping) or part not in current:
            return False
        current = current[part]
        if i == len(remaining) - 1:
            return True
    return not remaining


def _expression(tag: str, env: _Env, mode: _Mode) -> str:
    from argonb.expr.exprlang import evaluate, referenced_variables  # imported on the first `{{=...}}` only

    source = tag[1:]
    verbatim = "{{" + tag + "}}"
    try:
        identifiers = referenced_variables(source)
    except ExprError as exc:
        raise TemplateError(f"failed to evaluate expression: {exc}") from None
    values = env.get()
    missing = [name for name in identifiers if not _has_var(values, name)]
    for name in missing:
        if mode.is_strict(name):
            raise TemplateError(f"failed to evaluate expression: {name} is missing")
    allow = bool(missing) or mode.strict is None
    if allow and any(name in LATE_BOUND for name in missing):
        return verbatim
    try:
        result = evaluate(source, values)
    except ExprLimitError as exc:   # a bound was hit: never left unresolved for a later pass
        raise TemplateError(f"failed to evaluate expression: {exc}") from None
    except ExprError as exc:
        if allow:
            return verbatim
        raise TemplateError(f"failed to evaluate expression: {exc}") from None
    if result is None:
        if allow:
            return verbatim
        raise TemplateError(f"failed to evaluate expression {go_quote(source)}")
    if isinstance(result, str):
        return result
    try:
        return go_json(result)
    except GoJSONError as exc:
        if allow:
            return verbatim
        raise TemplateError(f"failed to marshal evaluated expression: {exc}") from None


@lru_cache(maxsize=4096)
def _scan_short(text: str) -> tuple[tuple[Tag, ...], bool]:
    """`_scan` of a short text, cached: the same argument strings recur on every node of a loop or fan-out."""
    tags, closed = _scan(text)
    return tuple(tags), closed


def _replace(text: str, variables: Mapping[str, Any], mode: _Mode, env: _Env) -> str:
    tags, closed = _scan_short(text) if len(text) <= 256 else _scan(text)
    if not closed:
        tail = text[text.find("{{", tags[-1].end if tags else 0):]
        raise TemplateError(f'Cannot find end tag="}}}}" in the template={go_quote(text)} starting from '
                            f"{go_quote(tail[2:])}")
    out: list[str] = []
    pos = 0
    for tag in tags:
        out.append(text[pos: tag.start])
        if tag.kind == "expression":
            out.append(_expression(tag.inner, env, mode))
        else:
            out.append(_simple(tag.inner, variables, mode))
        pos = tag.end
    out.append(text[pos:])
    return "".join(out)


def replace(text: str, variables: Mapping[str, Any], *, allow_unresolved: bool = True,
            strict_prefixes: Sequence[str] | None = None, env: Mapping[str, Any] | None = None) -> str:
    """Substitute every `{{...}}` tag in `text`.

    allow_unresolved=False: any unresolved simple tag or missing expression variable raises
    `TemplateError` (Argo `Replace(..., false)`). `strict_prefixes` (e.g. `["tasks", "steps"]`)
    makes only those prefixes mandatory, like Argo's `ReplaceStrict`; unresolved
    `*.outputs.artifacts.*` references are then tolerated. `env` may pass a prebuilt expression
    environment (`argoenv.get_func_map(variables)`); by default it is built lazily per root name.
    """
    if "{{" not in text:
        return text
    return _replace(text, variables, _Mode(allow_unresolved, strict_prefixes), _Env(variables, env))


def substitute(obj: Any, variables: Mapping[str, Any], *, allow_unresolved: bool = True,
               strict_prefixes: Sequence[str] | None = None, env: Mapping[str, Any] | None = None) -> Any:
    """Deep-copy a JSON-like structure replacing tags in every string, including dict keys."""
    copied = copy_if_tag_free(obj)
    if copied is not None:
        return copied
    mode = _Mode(allow_unresolved, strict_prefixes)
    shared = _Env(variables, env)
    return _walk(obj, variables, mode, shared)


def copy_if_tag_free(obj: Any) -> Any:
    """A deep copy of `obj` when no string in it (keys included) holds `{{`, else None. Serialised with marshal
    (C speed) and searched for the bytes `{{`: a task or template without tags is copied without visiting each
    value in Python. A dict or list marshal cannot take, or a chance `{{` in binary data, gives None (the
    caller walks it)."""
    if type(obj) not in (dict, list):
        return None
    try:
        data = marshal.dumps(obj)
    except ValueError:
        return None
    return None if b"{{" in data else marshal.loads(data)


_LEAVES = frozenset({int, float, bool, type(None)})


def _walk(obj: Any, variables: Mapping[str, Any], mode: _Mode, env: _Env) -> Any:
    # Hot path (every node substitutes its template twice): plain dicts/lists/strings are handled inline,
    # anything else (subclasses, tuples, other objects) by `_walk_any`; the result is the same either way
    # (keys before values, new plain containers, strings without tags and leaves kept as they are).
    cls = type(obj)
    if cls is dict:
        out = {}
        for key, value in obj.items():
            if type(key) is str:
                if "{{" in key:
                    key = _replace(key, variables, mode, env)
            else:
                key = _walk(key, variables, mode, env)
            vcls = type(value)
            if vcls is str:
                if "{{" in value:
                    value = _replace(value, variables, mode, env)
            elif vcls not in _LEAVES:
                value = _walk(value, variables, mode, env)
            out[key] = value
        return out
    if cls is list:
        items = []
        for value in obj:
            vcls = type(value)
            if vcls is str:
                if "{{" in value:
                    value = _replace(value, variables, mode, env)
            elif vcls not in _LEAVES:
                value = _walk(value, variables, mode, env)
            items.append(value)
        return items
    if cls is str:
        return _replace(obj, variables, mode, env) if "{{" in obj else obj
    return _walk_any(obj, variables, mode, env)


def _walk_any(obj: Any, variables: Mapping[str, Any], mode: _Mode, env: _Env) -> Any:
    if isinstance(obj, str):
        return _replace(obj, variables, mode, env) if "{{" in obj else obj
    if isinstance(obj, dict):
        return {_walk(k, variables, mode, env): _walk(v, variables, mode, env) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v, variables, mode, env) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_walk(v, variables, mode, env) for v in obj)
    return obj
