"""A JSONPath subset matching `evilmonkeyinc/jsonpath` (Argo's `jsonpath(json, path)` helper).

Supported: `$`, `.key`, `['key']`, `["key"]`, `[n]` (negative from the end), `[*]` / `.*`,
unions `[0,1]` / `['a','b']`, ranges `[start:end:step]`, recursive descent `..key` / `..*`,
filters `[?(@.age > 42 && @.name == 'x')]`, scripts `[(@.length-1)]` and `.length`.

A definite path returns the value itself; wildcards, unions, ranges, filters and recursive
descent return a list of the matches (elements that fail the rest of the path are dropped).
A missing key on a definite path is an error, like in the Go library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argonb.expr.gofmt import is_number
from argonb.expr.goregex import RegexpError, compile_go

__all__ = ["JSONPathError", "query"]


class JSONPathError(ValueError):
    """Invalid JSONPath selector or a selector that does not match the data."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # key, index, wildcard, union, range, filter, script, recursive
    value: Any = None




def query(path: str, data: Any) -> Any:
    """Evaluate `path` against already-decoded JSON `data`."""
    tokens = _compile(path)
    return _apply(tokens, 0, data, data)


# --------------------------------------------------------------------------------------------
# selector parsing


@lru_cache(maxsize=256)
def _compile(path: str) -> tuple[_Tok, ...]:
    if not path.startswith("$"):
        raise JSONPathError(f"invalid expression. unexpected token '{path[:1]}' at index 0")
    tokens: list[_Tok] = []
    i = 1
    while i < len(path):
        i = _next_token(path, i, tokens)
    return tuple(tokens)


_NAME = re.compile(r"[^.\[\]\s]+")


def _next_token(path: str, i: int, tokens: list[_Tok]) -> int:
    if path.startswith("..", i):
        tokens.append(_Tok("recursive"))
        if i + 2 < len(path) and path[i + 2] == "[":
            return i + 2
        return _dot_child(path, i + 2, tokens)
    if path[i] == ".":
        return _dot_child(path, i + 1, tokens)
    if path[i] == "[":
        end = _matching_bracket(path, i)
        tokens.append(_bracket(path[i + 1: end].strip()))
        return end + 1
    raise JSONPathError(f"invalid token. '{path[i:]}' does not match any token format")


def _dot_child(path: str, i: int, tokens: list[_Tok]) -> int:
    if path.startswith("*", i):
        tokens.append(_Tok("wildcard"))
        return i + 1
    m = _NAME.match(path, i)
    if not m:
        raise JSONPathError("invalid token. token string is empty")
    tokens.append(_Tok("key", m.group(0)))
    return m.end()


def _matching_bracket(path: str, start: int) -> int:
    depth = 0
    quote = ""
    i = start
    while i < len(path):
        ch = path[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise JSONPathError("invalid expression. missing closing bracket")


def _split_top(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    quote = ""
    cur: list[str] = []
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _bracket(inner: str) -> _Tok:
    if inner == "*":
        return _Tok("wildcard")
    if inner.startswith("?(") and inner.endswith(")"):
        return _Tok("filter", inner[2:-1])
    if inner.startswith("(") and inner.endswith(")"):
        return _Tok("script", inner[1:-1])
    parts = _split_top(inner, ",")
    if len(parts) > 1:
        return _Tok("union", tuple(_literal_key(p) for p in parts))
    if ":" in inner and inner[:1] not in "'\"":
        bounds = [p.strip() for p in inner.split(":")]
        if len(bounds) > 3:
            raise JSONPathError(f"invalid token. '[{inner}]' does not match any token format")
        return _Tok("range", tuple(int(b) if b else None for b in bounds))
    key = _literal_key(inner)
    return _Tok("key" if isinstance(key, str) else "index", key)


def _literal_key(text: str) -> str | int:
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    try:
        return int(text)
    except ValueError:
        raise JSONPathError(f"invalid token. '[{text}]' does not match any token format") from None


# --------------------------------------------------------------------------------------------
# evaluation


def _children(current: Any) -> list[Any]:
    if isinstance(current, Mapping):
        return [current[k] for k in sorted(current)]
    if isinstance(current, list):
        return list(current)
    raise JSONPathError(f"wildcard: invalid token target. expected [array map slice] got [{_kind(current)}]")


def _kind(v: Any) -> str:
    if v is None:
        return "nil"
    if isinstance(v, Mapping):
        return "map"
    if isinstance(v, list):
        return "slice"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    return "float64" if is_number(v) else type(v).__name__


def _collect(tokens: tuple[_Tok, ...], i: int, root: Any, items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        try:
            result = _apply(tokens, i, root, item)
        except JSONPathError:
            continue
        if result is not None:
            out.append(result)
    return out


def _apply(tokens: tuple[_Tok, ...], i: int, root: Any, current: Any) -> Any:
    if i == len(tokens):
        return current
    tok = tokens[i]
    handler = _HANDLERS[tok.kind]
    return handler(tok, tokens, i, root, current)


def _h_key(tok: _Tok, tokens: tuple[_Tok, ...], i: int, root: Any, current: Any) -> Any:
    if isinstance(current, Mapping):
        if tok.value in current:
            return _apply(tokens, i + 1, root, current[tok.value])
        if tok.value == "length":
            return _apply(tokens, i + 1, root, len(current))
        raise JSONPathError(f"key: invalid token key '{tok.value}' not found")
    if tok.value == "length" and isinstance(current, (list, str)):
        return _apply(tokens, i + 1, root, len(current))
    raise JSONPathError(f"key: invalid token target. expected [map] got [{_kind(current)}]")


def _h_index(tok: _Tok, tokens: tuple[_Tok, ...], i: int, root: Any, current: Any) -> Any:
    if not isinstance(current, list):
        raise JSONPathError(f"index: invalid token target. expected [array slice] got [{_kind(current)}]")
    idx = tok.value + len(current) if tok.value < 0 else tok.value
    if not 0 <= idx < len(current):
        raise JSONPathError("index: invalid token out of range")
    return _apply(tokens, i + 1, root, current[idx])


def _h_wildcard(tok: _Tok, tokens: tuple[_Tok, ...], i: int, root: Any, current: Any) -> Any:
    return _collect(tokens, i + 1, root, _children(current))


def _h_union(tok: _Tok, tokens: tuple[_Tok, ...], i: int, root: Any, current: Any) -> Any:
    items: list[Any] = []
    for key in tok.value:
        if isinstance(key, str) and isinstance(current, Mapping) and key in current:
            items.append(current[key])
        elif isinstance(key, int) and isinstance(current, list):
            idx = key + len(current) if key < 0 else key
            if not 0 <= idx < len(current):
                raise JSONPathError("union: invalid token out of range")
            items.append(current[idx])
        else:
            raise JSONPathError(f"union: invalid token key '{key}' not found")
    return _collect(tokens, i + 1, root, items)


def _h_range(tok: _Tok, tokens: tuple[_Tok, ...], i: int, root: Any, current: Any) -> Any:
    if not isinstance(current, list):
        raise JSONPathError(f"range: invalid token target. expected [array slice] got [{_kind(current)}]")
    start, end, step = (list(tok.value) + [None, None])[:3]
    n = len(current)
    start = 0 if start is None else (start + n if start < 0 else start)
    end = n if end is None else (end + n if end < 0 else end)
    start, end = max(0, min(start, n)), max(0, min(end, n))
    step = 1 if step is None else step
    if step == 0:
        raise JSONPathError("range: invalid token argument")
    items = current[start:end]
    items = items[::step] if step > 0 else items[::-1][:: -step]
    return _collect(tokens, i + 1, root, items)


def _h_filter(tok: _Tok, tokens: tuple[_Tok, ...], i: int, root: Any, current: Any) -> Any:
    expr = _parse_filter(tok.value)
    items = [item for item in _children(current) if _truthy(expr.eval(root, item))]
    return _collect(tokens, i + 1, root, items)


def _h_script(tok: _Tok, tokens: tuple[_Tok, ...], i: int, root: Any, current: Any) -> Any:
    key = _parse_filter(tok.value).eval(root, current)
    if is_number(key) and isinstance(current, list):
        return _h_index(_Tok("index", int(key)), tokens, i, root, current)
    if isinstance(key, str):
        return _h_key(_Tok("key", key), tokens, i, root, current)
    raise JSONPathError("script: invalid token argument")


def _descendants(current: Any) -> list[Any]:
    out = [current]
    if isinstance(current, Mapping):
        for k in sorted(current):
            out.extend(_descendants(current[k]))
    elif isinstance(current, list):
        for item in current:
            out.extend(_descendants(item))
    return out


def _h_recursive(tok: _Tok, tokens: tuple[_Tok, ...], i: int, root: Any, current: Any) -> Any:
    results: list[Any] = []
    for node in _descendants(current):
        try:
            found = _apply(tokens, i + 1, root, node)
        except JSONPathError:
            continue
        if found is None:
            continue
        if isinstance(found, list) and i + 1 < len(tokens) and tokens[i + 1].kind != "key":
            results.extend(found)
        else:
            results.append(found)
    return results


_HANDLERS = {
    "key": _h_key, "index": _h_index, "wildcard": _h_wildcard, "union": _h_union,
    "range": _h_range, "filter": _h_filter, "script": _h_script, "recursive": _h_recursive,
}


# --------------------------------------------------------------------------------------------
# filter / script expressions

_FILTER_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<str>'(?:\\.|[^'])*'|\"(?:\\.|[^\"])*\")"
    r"|(?P<path>[@$](?:\.\.?[A-Za-z_*][\w-]*|\[[^\]]*\])*)"
    r"|(?P<op>==|!=|<=|>=|=~|&&|\|\||[<>!()+\-*/%])|(?P<word>true|false|null))")


class _Expr:
    def __init__(self, kind: str, value: Any = None, args: tuple[_Expr, ...] = ()) -> None:
        self.kind = kind
        self.value = value
        self.args = args

    def eval(self, root: Any, current: Any) -> Any:
        if self.kind == "lit":
            return self.value
        if self.kind == "path":
            return _eval_path(self.value, root, current)
        if self.kind == "not":
            return not _truthy(self.args[0].eval(root, current))
        left = self.args[0].eval(root, current)
        if self.value == "&&":
            return _truthy(left) and _truthy(self.args[1].eval(root, current))
        if self.value == "||":
            return _truthy(left) or _truthy(self.args[1].eval(root, current))
        return _binary(self.value, left, self.args[1].eval(root, current))


def _eval_path(path: str, root: Any, current: Any) -> Any:
    base = root if path.startswith("$") else current
    try:
        return query("$" + path[1:], base)
    except JSONPathError:
        return None


def _truthy(v: Any) -> bool:
    return v is not None and v is not False and v != ""


def _regex_match(pattern: str, s: str) -> bool:
    """`regexOperator`: Go's regexp; an invalid pattern is an evaluation error, which the filter
    token treats as a failed element (script/standard/complex_operators.go, token/filter.go)."""
    try:
        return compile_go(pattern).match_string(s)
    except RegexpError:
        return False


def _binary(op: str, a: Any, b: Any) -> Any:
    if op in ("==", "!="):
        same = (is_number(a) and is_number(b) and float(a) == float(b)) or (type(a) is type(b) and a == b)
        return same if op == "==" else not same
    if op == "=~":
        return isinstance(a, str) and isinstance(b, str) and _regex_match(b, a)
    if is_number(a) and is_number(b):
        return _numeric(op, float(a), float(b))
    if isinstance(a, str) and isinstance(b, str) and op in ("<", "<=", ">", ">="):
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op in ("<", "<=", ">", ">="):
        return False
    raise JSONPathError(f"invalid expression. operator '{op}' not supported for these operands")


def _numeric(op: str, a: float, b: float) -> Any:
    if op == "/":
        return a / b if b else None
    if op == "%":
        return a % b if b else None
    return {
        "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "+": a + b, "-": a - b, "*": a * b,
    }[op]


_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "=~": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
               "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


@lru_cache(maxsize=256)
def _parse_filter(text: str) -> _Expr:
    tokens = _lex_filter(text)
    expr, pos = _parse_binary(tokens, 0, 1)
    if pos != len(tokens):
        raise JSONPathError(f"invalid expression. invalid format '{text}'")
    return expr


def _lex_filter(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _FILTER_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise JSONPathError(f"invalid expression. invalid format '{text}'")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def _parse_binary(tokens: list[tuple[str, str]], pos: int, min_prec: int) -> tuple[_Expr, int]:
    left, pos = _parse_unary(tokens, pos)
    while pos < len(tokens) and tokens[pos][0] == "op" and _PRECEDENCE.get(tokens[pos][1], 0) >= min_prec:
        op = tokens[pos][1]
        right, pos = _parse_binary(tokens, pos + 1, _PRECEDENCE[op] + 1)
        left = _Expr("bin", op, (left, right))
    return left, pos


def _parse_unary(tokens: list[tuple[str, str]], pos: int) -> tuple[_Expr, int]:
    if pos >= len(tokens):
        raise JSONPathError("invalid expression. is empty")
    kind, text = tokens[pos]
    if kind == "op" and text == "!":
        inner, pos = _parse_unary(tokens, pos + 1)
        return _Expr("not", None, (inner,)), pos
    if kind == "op" and text == "(":
        inner, pos = _parse_binary(tokens, pos + 1, 1)
        if pos >= len(tokens) or tokens[pos][1] != ")":
            raise JSONPathError("invalid expression. missing closing parenthesis")
        return inner, pos + 1
    if kind == "num":
        return _Expr("lit", float(text) if any(c in text for c in ".eE") else int(text)), pos + 1
    if kind == "str":
        return _Expr("lit", re.sub(r"\\(.)", r"\1", text[1:-1])), pos + 1
    if kind == "word":
        return _Expr("lit", {"true": True, "false": False, "null": None}[text]), pos + 1
    if kind == "path":
        return _Expr("path", text), pos + 1
    raise JSONPathError(f"invalid expression. unexpected token '{text}'")
