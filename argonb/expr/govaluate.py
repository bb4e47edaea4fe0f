"""Argo's step/task `when` evaluation with Knetic/govaluate semantics (ARGO-SEMANTICS §4.3).

Argo (`workflow/controller/steps.go shouldExecute`) parses the already-substituted `when`
text with govaluate, rewrites every VARIABLE token into a STRING literal (so `heads == heads`
is true without quotes), re-plans the token list and evaluates it. This module reproduces the
govaluate lexer (`parsing.go`), the token-transition syntax check (`lexerState.go`), the
precedence planner including its right-recursive plans and `reorderStages` fix-up
(`stagePlanner.go`) and the evaluation/type-check rules (`evaluationStage.go`).

Notable consequences: `my-value` is `my - value` (a type error), `a b` is two adjacent values
(syntax error), `!x` with a bare word is an error after the rewrite, quoted strings that look
like dates become numbers (unix seconds), `in` needs a parenthesised list, `=~` uses a regex.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from argonb.expr.errors import WhenError
from argonb.expr.gofmt import go_sprint
from argonb.expr.goregex import GoRegexp, RegexpError, compile_go
from argonb.expr.gotime import local_tz, parse_time

__all__ = ["check_when_syntax", "evaluate_when", "govaluate_eval"]

# token kinds
UNKNOWN, PREFIX, NUMERIC, BOOLEAN, STRING, PATTERN, TIME, VARIABLE = range(8)
FUNCTION, SEPARATOR, ACCESSOR, COMPARATOR, LOGICALOP, MODIFIER, CLAUSE, CLAUSE_CLOSE, TERNARY = range(8, 17)
_KIND_NAMES = [
    "UNKNOWN", "PREFIX", "NUMERIC", "BOOLEAN", "STRING", "PATTERN", "TIME", "VARIABLE", "FUNCTION",
    "SEPARATOR", "ACCESSOR", "COMPARATOR", "LOGICALOP", "MODIFIER", "CLAUSE", "CLAUSE_CLOSE", "TERNARY",
]

_VALUE_KINDS = (PREFIX, NUMERIC, BOOLEAN, VARIABLE, PATTERN, FUNCTION, ACCESSOR, STRING, TIME, CLAUSE)
_AFTER_VALUE = (MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, TERNARY, SEPARATOR)


@dataclass(frozen=True)
class _LexState:
    eof_ok: bool
    nullable: bool
    next_kinds: frozenset[int]


_STATES: dict[int, _LexState] = {
    UNKNOWN: _LexState(False, True, frozenset(_VALUE_KINDS)),
    CLAUSE: _LexState(False, True, frozenset((*_VALUE_KINDS, CLAUSE_CLOSE))),
    CLAUSE_CLOSE: _LexState(True, True, frozenset((
        COMPARATOR, MODIFIER, NUMERIC, BOOLEAN, VARIABLE, STRING, PATTERN, TIME, CLAUSE,
        CLAUSE_CLOSE, LOGICALOP, TERNARY, SEPARATOR))),
    NUMERIC: _LexState(True, False, frozenset(_AFTER_VALUE)),
    BOOLEAN: _LexState(True, False, frozenset(_AFTER_VALUE)),
    STRING: _LexState(True, False, frozenset(_AFTER_VALUE)),
    TIME: _LexState(True, False, frozenset((MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, SEPARATOR))),
    PATTERN: _LexState(True, False, frozenset((MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, SEPARATOR))),
    VARIABLE: _LexState(True, False, frozenset(_AFTER_VALUE)),
    MODIFIER: _LexState(False, False, frozenset((
        PREFIX, NUMERIC, VARIABLE, FUNCTION, ACCESSOR, STRING, BOOLEAN, CLAUSE, CLAUSE_CLOSE))),
    COMPARATOR: _LexState(False, False, frozenset((
        PREFIX, NUMERIC, BOOLEAN, VARIABLE, FUNCTION, ACCESSOR, STRING, TIME, CLAUSE, CLAUSE_CLOSE, PATTERN))),
    LOGICALOP: _LexState(False, False, frozenset((
        PREFIX, NUMERIC, BOOLEAN, VARIABLE, FUNCTION, ACCESSOR, STRING, TIME, CLAUSE, CLAUSE_CLOSE))),
    PREFIX: _LexState(False, False, frozenset((NUMERIC, BOOLEAN, VARIABLE, FUNCTION, ACCESSOR, CLAUSE, CLAUSE_CLOSE))),
    TERNARY: _LexState(False, False, frozenset((
        PREFIX, NUMERIC, BOOLEAN, STRING, TIME, VARIABLE, FUNCTION, ACCESSOR, CLAUSE, SEPARATOR))),
    FUNCTION: _LexState(False, False, frozenset((CLAUSE,))),
    ACCESSOR: _LexState(True, False, frozenset((
        CLAUSE, MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, TERNARY, SEPARATOR))),
    SEPARATOR: _LexState(False, True, frozenset((
        PREFIX, NUMERIC, BOOLEAN, STRING, TIME, VARIABLE, FUNCTION, ACCESSOR, CLAUSE))),
}

# operator symbols
(VALUE, LITERAL, NOOP, EQ, NEQ, GT, LT, GTE, LTE, REQ, NREQ, IN, AND, OR, PLUS, MINUS, BITWISE_AND,
 BITWISE_OR, BITWISE_XOR, BITWISE_LSHIFT, BITWISE_RSHIFT, MULTIPLY, DIVIDE, MODULUS, EXPONENT, NEGATE,
 INVERT, BITWISE_NOT, TERNARY_TRUE, TERNARY_FALSE, COALESCE, FUNCTIONAL, ACCESS, SEPARATE) = range(34)

_COMPARATORS = {"==": EQ, "!=": NEQ, ">": GT, ">=": GTE, "<": LT, "<=": LTE, "=~": REQ, "!~": NREQ, "in": IN}
_LOGICALS = {"&&": AND, "||": OR}
_BITWISE = {"^": BITWISE_XOR, "&": BITWISE_AND, "|": BITWISE_OR}
_SHIFTS = {">>": BITWISE_RSHIFT, "<<": BITWISE_LSHIFT}
_ADDITIVE = {"+": PLUS, "-": MINUS}
_MULTIPLICATIVE = {"*": MULTIPLY, "/": DIVIDE, "%": MODULUS}
_EXPONENTIAL = {"**": EXPONENT}
_PREFIXES = {"-": NEGATE, "!": INVERT, "~": BITWISE_NOT}
_TERNARIES = {"?": TERNARY_TRUE, ":": TERNARY_FALSE, "??": COALESCE}
_MODIFIERS = {**_ADDITIVE, **_MULTIPLICATIVE, **_EXPONENTIAL, **_BITWISE, **_SHIFTS}
_SEPARATORS = {",": SEPARATE}

_SYMBOL_TEXT = {
    NOOP: "NOOP", VALUE: "VALUE", EQ: "=", NEQ: "!=", GT: ">", LT: "<", GTE: ">=", LTE: "<=",
    REQ: "=~", NREQ: "!~", AND: "&&", OR: "||", IN: "in", BITWISE_AND: "&", BITWISE_OR: "|",
    BITWISE_XOR: "^", BITWISE_LSHIFT: "<<", BITWISE_RSHIFT: ">>", PLUS: "+", MINUS: "-",
    MULTIPLY: "*", DIVIDE: "/", MODULUS: "%", EXPONENT: "**", NEGATE: "-", INVERT: "!",
    BITWISE_NOT: "~", TERNARY_TRUE: "?", TERNARY_FALSE: ":", COALESCE: "??",
}


def _precedence(symbol: int) -> int:
    if symbol == NOOP:
        return 0
    if symbol in (EQ, NEQ, GT, LT, GTE, LTE, REQ, NREQ, IN):
        return 9
    if symbol == AND:
        return 11
    if symbol == OR:
        return 12
    if symbol in (BITWISE_AND, BITWISE_OR, BITWISE_XOR):
        return 6
    if symbol in (BITWISE_LSHIFT, BITWISE_RSHIFT):
        return 7
    if symbol in (PLUS, MINUS):
        return 5
    if symbol in (MULTIPLY, DIVIDE, MODULUS):
        return 8
    if symbol == EXPONENT:
        return 4
    if symbol in (BITWISE_NOT, NEGATE, INVERT):
        return 3
    if symbol in (COALESCE, TERNARY_TRUE, TERNARY_FALSE):
        return 10
    if symbol in (ACCESS, FUNCTIONAL):
        return 2
    if symbol == SEPARATE:
        return 13
    return 1


class _GoError(Exception):
    """A govaluate error (its text is what Argo puts into the node message)."""


@dataclass
class Token:
    kind: int
    value: Any


# --------------------------------------------------------------------------------------------
# lexer (parsing.go)


def _is_space(ch: str) -> bool:
    return ch in " \t\n\v\f\r\x85\xa0" or (ch.isspace() and not "\x1c" <= ch <= "\x1f")


def _is_digit(ch: str) -> bool:
    return ch.isdecimal()


def _is_letter(ch: str) -> bool:
    return ch.isalpha()


def _is_numeric(ch: str) -> bool:
    return _is_digit(ch) or ch == "."


def _is_not_quote(ch: str) -> bool:
    return ch != "'" and ch != '"'


def _is_not_alphanumeric(ch: str) -> bool:
    return not (_is_digit(ch) or _is_letter(ch) or ch in "()[]" or not _is_not_quote(ch))


def _is_variable_name(ch: str) -> bool:
    return _is_letter(ch) or _is_digit(ch) or ch == "_" or ch == "."


def _is_hex(ch: str) -> bool:
    return _is_digit(ch) or ch.lower() in "abcdef"


class _Stream:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0

    def can_read(self) -> bool:
        return self.pos < len(self.src)

    def read(self) -> str:
        if self.pos < 0 or self.pos >= len(self.src):
            raise _GoError("runtime error: index out of range")
        ch = self.src[self.pos]
        self.pos += 1
        return ch

    def rewind(self, amount: int) -> None:
        self.pos -= amount


def _read_until_false(stream: _Stream, include_ws: bool, break_ws: bool, escaping: bool,
                      cond: Callable[[str], bool]) -> tuple[str, bool]:
    buf: list[str] = []
    conditioned = False
    while stream.can_read():
        ch = stream.read()
        if escaping and ch == "\\":
            buf.append(stream.read())
            continue
        if _is_space(ch):
            if break_ws and buf:
                conditioned = True
                break
            if not include_ws:
                continue
        if cond(ch):
            buf.append(ch)
        else:
            conditioned = True
            stream.rewind(1)
            break
    return "".join(buf), conditioned


def _read_token_until_false(stream: _Stream, cond: Callable[[str], bool]) -> str:
    stream.rewind(1)
    return _read_until_false(stream, False, True, True, cond)[0]


def _go_parse_float(text: str) -> float:
    if not re.fullmatch(r"(\d+\.?\d*|\.\d+)", text, re.ASCII):
        raise ValueError(text)
    return float(text)


def _read_number(stream: _Stream, ch: str) -> Token:
    if stream.can_read() and ch == "0":
        ch = stream.read()
        if stream.can_read() and ch == "x":
            text = _read_until_false(stream, False, True, True, _is_hex)[0]
            try:
                return Token(NUMERIC, float(int(text, 16)))
            except ValueError:
                raise _GoError(f"Unable to parse hex value '{text}' to uint64\n") from None
        stream.rewind(1)
    text = _read_token_until_false(stream, _is_numeric)
    try:
        return Token(NUMERIC, _go_parse_float(text))
    except ValueError:
        raise _GoError(f"Unable to parse numeric value '{text}' to float64\n") from None


def _read_word(stream: _Stream) -> Token:
    text = _read_token_until_false(stream, _is_variable_name)
    tok = Token(VARIABLE, text)
    if text in ("true", "false"):
        tok = Token(BOOLEAN, text == "true")
    if text in ("in", "IN"):
        tok = Token(COMPARATOR, "in")
    if "." in text and text.index(".") > 0:
        if text.endswith("."):
            raise _GoError(f"Hanging accessor on token '{text}'")
        parts = text.split(".")
        for part in parts[1:]:
            first = part[:1]
            if first.upper() != first:
                raise _GoError(f"Unable to access unexported field '{part}' in token '{text}'")
        tok = Token(ACCESSOR, parts)
    return tok


def _read_symbol(stream: _Stream, state: _LexState) -> Token:
    text = _read_token_until_false(stream, _is_not_alphanumeric)
    if PREFIX in state.next_kinds and text in _PREFIXES:
        return Token(PREFIX, text)
    for table, kind in ((_MODIFIERS, MODIFIER), (_LOGICALS, LOGICALOP), (_COMPARATORS, COMPARATOR),
                        (_TERNARIES, TERNARY)):
        if text in table:
            return Token(kind, text)
    raise _GoError(f"Invalid token: '{text}'")


def _read_token(stream: _Stream, state: _LexState) -> Token | None:
    while stream.can_read():
        ch = stream.read()
        if _is_space(ch):
            continue
        if _is_numeric(ch):
            return _read_number(stream, ch)
        if ch == ",":
            return Token(SEPARATOR, ",")
        if ch == "[":
            text, completed = _read_until_false(stream, True, False, True, lambda c: c != "]")
            if not completed:
                raise _GoError("Unclosed parameter bracket")
            stream.rewind(-1)
            return Token(VARIABLE, text)
        if _is_letter(ch):
            return _read_word(stream)
        if not _is_not_quote(ch):
            return _read_string(stream)
        if ch == "(":
            return Token(CLAUSE, ord("("))  # Go stores the rune, printed as 40
        if ch == ")":
            return Token(CLAUSE_CLOSE, ord(")"))
        return _read_symbol(stream, state)
    return None


def _read_string(stream: _Stream) -> Token:
    text, completed = _read_until_false(stream, True, False, True, _is_not_quote)
    if not completed:
        raise _GoError("Unclosed string literal")
    stream.rewind(-1)
    when = _try_parse_time(text)
    if when is not None:
        return Token(TIME, when)
    return Token(STRING, text)


_TIME_FORMATS = (
    "Mon Jan _2 15:04:05 2006", "Mon Jan _2 15:04:05 MST 2006", "Mon Jan 02 15:04:05 -0700 2006",
    "3:04PM", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02",
    "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02 15:04:05-07:00", "2006-01-02T15Z0700",
    "2006-01-02T15:04Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700",
)


def _try_parse_time(text: str) -> datetime | None:
    if not text or not text[0].isdigit() and not text[:3].isalpha():
        return None
    for layout in _TIME_FORMATS:
        try:
            return parse_time(layout, text, local_tz())
        except (ValueError, OverflowError):
            continue
    return None


def _tokenize(expression: str) -> list[Token]:
    stream = _Stream(expression)
    state = _STATES[UNKNOWN]
    tokens: list[Token] = []
    while stream.can_read():
        tok = _read_token(stream, state)
        if tok is None:
            break
        state = _STATES[tok.kind]
        tokens.append(tok)
    _check_balance(tokens)
    return tokens


def _check_balance(tokens: list[Token]) -> None:
    depth = sum(1 if t.kind == CLAUSE else -1 if t.kind == CLAUSE_CLOSE else 0 for t in tokens)
    if depth != 0:
        raise _GoError("Unbalanced parenthesis")


def _fmt_value(v: Any) -> str:
    if isinstance(v, GoRegexp):
        return f"&{{{v.pattern}}}"
    return go_sprint(v)


def _check_syntax(tokens: list[Token]) -> None:
    state = _STATES[UNKNOWN]
    last: Token | None = None
    for tok in tokens:
        if tok.kind not in state.next_kinds:
            if last is not None and last.kind == VARIABLE and tok.kind == CLAUSE:
                raise _GoError(f"Undefined function {last.value}")
            last_value = "<nil>" if last is None else _fmt_value(last.value)
            raise _GoError(
                f"Cannot transition token types from {_KIND_NAMES[state_kind(state)]} [{last_value}] "
                f"to {_KIND_NAMES[tok.kind]} [{_fmt_value(tok.value)}]")
        state = _STATES[tok.kind]
        last = tok
    if not state.eof_ok:
        raise _GoError("Unexpected end of expression")


def state_kind(state: _LexState) -> int:
    for kind, candidate in _STATES.items():
        if candidate is state:
            return kind
    return UNKNOWN


def _optimize(tokens: list[Token]) -> list[Token]:
    out = list(tokens)
    for i, tok in enumerate(out):
        if tok.kind != COMPARATOR or tok.value not in ("=~", "!~"):
            continue
        nxt = out[i + 1]
        if nxt.kind == STRING:
            out[i + 1] = Token(PATTERN, _compile_regex(nxt.value))
    return out


def _compile_regex(pattern: str) -> GoRegexp:
    try:
        return compile_go(pattern)
    except RegexpError as exc:
        raise _GoError(str(exc)) from None


# --------------------------------------------------------------------------------------------
# planner (stagePlanner.go)

_LOGICAL_FMT = "Value '%v' cannot be used with the logical operator '%v', it is not a bool"
_MODIFIER_FMT = "Value '%v' cannot be used with the modifier '%v', it is not a number"
_COMPARATOR_FMT = "Value '%v' cannot be used with the comparator '%v', it is not a number"
_TERNARY_FMT = "Value '%v' cannot be used with the ternary operator '%v', it is not a bool"
_PREFIX_FMT = "Value '%v' cannot be used with the prefix '%v'"


class Stage:
    """One evaluation stage (govaluate's evaluationStage)."""

    __slots__ = ("error_format", "left", "left_check", "operator", "right", "right_check", "symbol", "type_check")

    def __init__(self, symbol: int, operator: Callable[[Any, Any], Any], left: Stage | None = None,
                 right: Stage | None = None, error_format: str = "") -> None:
        self.symbol = symbol
        self.operator = operator
        self.left = left
        self.right = right
        self.error_format = error_format
        checks = _TYPE_CHECKS.get(symbol, (None, None, None))
        self.left_check, self.right_check, self.type_check = checks

    def swap_with(self, other: Stage) -> None:
        for attr in ("symbol", "operator", "left_check", "right_check", "type_check", "error_format"):
            mine, theirs = getattr(self, attr), getattr(other, attr)
            setattr(self, attr, theirs)
            setattr(other, attr, mine)


class _TokenStream:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def has_next(self) -> bool:
        return self.index < len(self.tokens)

    def next(self) -> Token:
        if not 0 <= self.index < len(self.tokens):
            raise _GoError("runtime error: index out of range")
        tok = self.tokens[self.index]
        self.index += 1
        return tok

    def rewind(self) -> None:
        self.index -= 1


Precedent = Callable[[_TokenStream], "Stage | None"]


@dataclass
class _Planner:
    symbols: dict[str, int]
    kinds: tuple[int, ...]
    error_format: str
    next: Precedent | None = None
    next_right: Precedent | None = None

    def __call__(self, stream: _TokenStream) -> Stage | None:
        right_precedent = self.next_right or self
        left: Stage | None = self.next(stream) if self.next else None
        while stream.has_next():
            tok = stream.next()
            if tok.kind not in self.kinds or not isinstance(tok.value, str):
                break
            symbol = self.symbols.get(tok.value)
            if symbol is None:
                break
            right = right_precedent(stream)
            return Stage(symbol, _OPERATORS[symbol], left, right, self.error_format)
        stream.rewind()
        return left


def _plan_function(stream: _TokenStream) -> Stage | None:
    tok = stream.next()
    if tok.kind != FUNCTION:
        stream.rewind()
        return _plan_accessor(stream)
    raise _GoError("functions are not supported")


def _plan_accessor(stream: _TokenStream) -> Stage | None:
    if not stream.has_next():
        return None
    tok = stream.next()
    if tok.kind != ACCESSOR:
        stream.rewind()
        return _plan_value(stream)
    right = None
    if stream.has_next():
        other = stream.next()
        stream.rewind()
        if other.kind == CLAUSE:
            right = _plan_tokens(stream)
    name = ".".join(tok.value)
    return Stage(ACCESS, _accessor(tok.value[0]), None, right,
                 f"Unable to access parameter field or method '{name}': %v")


def _accessor(root: str) -> Callable[[Any, Any], Any]:
    def access(left: Any, right: Any) -> Any:
        raise _GoError(f"No parameter '{root}' found.")

    return access


def _plan_value(stream: _TokenStream) -> Stage | None:
    if not stream.has_next():
        return None
    tok = stream.next()
    if tok.kind == CLAUSE:
        inner = _plan_tokens(stream)
        stream.next()
        return Stage(NOOP, lambda left, right: right, None, inner)
    if tok.kind == CLAUSE_CLOSE:
        stream.rewind()
        return None
    if tok.kind == VARIABLE:
        name = tok.value

        def parameter(left: Any, right: Any) -> Any:
            raise _GoError(f"No parameter '{name}' found.")

        return Stage(VALUE, parameter)
    if tok.kind in (NUMERIC, STRING, PATTERN, BOOLEAN):
        value = tok.value
        return Stage(LITERAL, lambda left, right: value)
    if tok.kind == TIME:
        seconds = float(math.floor(tok.value.timestamp()))
        return Stage(LITERAL, lambda left, right: seconds)
    if tok.kind == PREFIX:
        stream.rewind()
        return _plan_prefix(stream)
    raise _GoError(f"Unable to plan token kind: '{_KIND_NAMES[tok.kind]}', value: '{_fmt_value(tok.value)}'")


_plan_prefix = _Planner(_PREFIXES, (PREFIX,), _PREFIX_FMT, None, _plan_function)
_plan_exponential = _Planner(_EXPONENTIAL, (MODIFIER,), _MODIFIER_FMT, _plan_function)
_plan_multiplicative = _Planner(_MULTIPLICATIVE, (MODIFIER,), _MODIFIER_FMT, _plan_exponential)
_plan_additive = _Planner(_ADDITIVE, (MODIFIER,), _MODIFIER_FMT, _plan_multiplicative)
_plan_shift = _Planner(_SHIFTS, (MODIFIER,), _MODIFIER_FMT, _plan_additive)
_plan_bitwise = _Planner(_BITWISE, (MODIFIER,), _MODIFIER_FMT, _plan_shift)
_plan_comparator = _Planner(_COMPARATORS, (COMPARATOR,), _COMPARATOR_FMT, _plan_bitwise)
_plan_and = _Planner({"&&": AND}, (LOGICALOP,), _LOGICAL_FMT, _plan_comparator)
_plan_or = _Planner({"||": OR}, (LOGICALOP,), _LOGICAL_FMT, _plan_and)
_plan_ternary = _Planner(_TERNARIES, (TERNARY,), _TERNARY_FMT, _plan_or)
_plan_separator = _Planner(_SEPARATORS, (SEPARATOR,), "", _plan_ternary)


def _plan_tokens(stream: _TokenStream) -> Stage | None:
    if not stream.has_next():
        return None
    return _plan_separator(stream)


def _reorder(root: Stage) -> None:
    identical: list[Stage] = []
    nxt: Stage | None = root
    precedence = _precedence(root.symbol)
    while nxt is not None:
        current = nxt
        nxt = current.right
        if current.left is not None:
            _reorder(current.left)
        current_precedence = _precedence(current.symbol)
        if current_precedence == precedence:
            identical.append(current)
            continue
        if len(identical) > 1:
            _mirror(identical)
        identical = [current]
        precedence = current_precedence
    if len(identical) > 1:
        _mirror(identical)


def _mirror(stages: list[Stage]) -> None:
    n = len(stages)
    for s in stages:
        s.left, s.right = s.right, s.left
    root, front = stages[0], stages[-1]
    front.left, root.right = root.right, front.left
    for i in range((n - 2) // 2 + 1):
        front, inverse = stages[i + 1], stages[n - i - 1]
        front.right, inverse.right = inverse.right, front.right
    for i in range(n // 2):
        stages[i].swap_with(stages[n - i - 1])


def _plan(tokens: list[Token]) -> Stage | None:
    stage = _plan_tokens(_TokenStream(tokens))
    if stage is not None:
        _reorder(stage)
    return stage


# --------------------------------------------------------------------------------------------
# evaluation (evaluationStage.go)


def _is_float(v: Any) -> bool:
    return type(v) is float


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _go_eq(a: Any, b: Any) -> bool:
    """reflect.DeepEqual."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_go_eq(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, GoRegexp):
        return a is b
    return bool(a == b)


def _interface_eq(a: Any, b: Any) -> bool:
    """Go `==` on interface{} values (panics on uncomparable slices)."""
    if isinstance(a, list) or isinstance(b, list):
        if type(a) is type(b):
            raise _GoError("runtime error: comparing uncomparable type []interface {}")
        return False
    return type(a) is type(b) and a == b


def _add(a: Any, b: Any) -> Any:
    if _is_str(a) or _is_str(b):
        return _sprint(a) + _sprint(b)
    return a + b


def _sprint(v: Any) -> str:
    if isinstance(v, GoRegexp):
        return _fmt_value(v)
    return go_sprint(v)


def _compare(op: str) -> Callable[[Any, Any], bool]:
    import operator as _op

    fn = {"<": _op.lt, ">": _op.gt, "<=": _op.le, ">=": _op.ge}[op]
    return lambda a, b: bool(fn(a, b))


def _div(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _mod(a: float, b: float) -> float:
    if b == 0 or math.isinf(a):
        return math.nan
    return math.fmod(a, b)


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def _int64(v: float) -> int:
    """Go's int64(float64): out-of-range values become MinInt64 (amd64 behaviour)."""
    if math.isnan(v) or math.isinf(v) or not -9.223372036854775808e18 <= v < 9.223372036854775808e18:
        return -(1 << 63)
    return int(v)


def _regex(a: str, b: Any) -> bool:
    pattern = b if isinstance(b, GoRegexp) else _compile_regex_eval(b)
    return pattern.match_string(a)


def _compile_regex_eval(text: str) -> GoRegexp:
    try:
        return _compile_regex(text)
    except _GoError as exc:
        raise _GoError(f"Unable to compile regexp pattern '{text}': {exc}") from None


def _in(a: Any, b: list[Any]) -> bool:
    return any(_interface_eq(a, v) for v in b)


def _separator(a: Any, b: Any) -> list[Any]:
    if isinstance(a, list):
        return [*a, b]
    return [a, b]


def _ternary_if(a: Any, b: Any) -> Any:
    return b if a else None


def _ternary_else(a: Any, b: Any) -> Any:
    return a if a is not None else b


def _shift(a: float, b: float, left: bool) -> float:
    x, y = _int64(a) % (1 << 64), _int64(b) % (1 << 64)
    if left:
        return float((x << y) % (1 << 64) if y < 64 else 0)
    return float(x >> y if y < 64 else 0)


_OPERATORS: dict[int, Callable[[Any, Any], Any]] = {
    EQ: _go_eq,
    NEQ: lambda a, b: not _go_eq(a, b),
    GT: lambda a, b: a > b,
    LT: lambda a, b: a < b,
    GTE: lambda a, b: a >= b,
    LTE: lambda a, b: a <= b,
    REQ: _regex,
    NREQ: lambda a, b: not _regex(a, b),
    AND: lambda a, b: a and b,
    OR: lambda a, b: a or b,
    IN: _in,
    BITWISE_OR: lambda a, b: float(_int64(a) | _int64(b)),
    BITWISE_AND: lambda a, b: float(_int64(a) & _int64(b)),
    BITWISE_XOR: lambda a, b: float(_int64(a) ^ _int64(b)),
    BITWISE_LSHIFT: lambda a, b: _shift(a, b, True),
    BITWISE_RSHIFT: lambda a, b: _shift(a, b, False),
    PLUS: _add,
    MINUS: lambda a, b: a - b,
    MULTIPLY: lambda a, b: a * b,
    DIVIDE: _div,
    MODULUS: _mod,
    EXPONENT: _pow,
    NEGATE: lambda a, b: -b,
    INVERT: lambda a, b: not b,
    BITWISE_NOT: lambda a, b: float(~_int64(b)),
    TERNARY_TRUE: _ternary_if,
    TERNARY_FALSE: _ternary_else,
    COALESCE: _ternary_else,
    SEPARATE: _separator,
}


def _addition_check(a: Any, b: Any) -> bool:
    if _is_float(a) and _is_float(b):
        return True
    return _is_str(a) or _is_str(b)


def _comparator_check(a: Any, b: Any) -> bool:
    return (_is_float(a) and _is_float(b)) or (_is_str(a) and _is_str(b))


_Check = Callable[[Any], bool] | None
_TYPE_CHECKS: dict[int, tuple[_Check, _Check, Callable[[Any, Any], bool] | None]] = {
    GT: (None, None, _comparator_check),
    LT: (None, None, _comparator_check),
    GTE: (None, None, _comparator_check),
    LTE: (None, None, _comparator_check),
    REQ: (_is_str, lambda v: _is_str(v) or isinstance(v, GoRegexp), None),
    NREQ: (_is_str, lambda v: _is_str(v) or isinstance(v, GoRegexp), None),
    AND: (_is_bool, _is_bool, None),
    OR: (_is_bool, _is_bool, None),
    IN: (None, lambda v: isinstance(v, list), None),
    BITWISE_LSHIFT: (_is_float, _is_float, None),
    BITWISE_RSHIFT: (_is_float, _is_float, None),
    BITWISE_OR: (_is_float, _is_float, None),
    BITWISE_AND: (_is_float, _is_float, None),
    BITWISE_XOR: (_is_float, _is_float, None),
    PLUS: (None, None, _addition_check),
    MINUS: (_is_float, _is_float, None),
    MULTIPLY: (_is_float, _is_float, None),
    DIVIDE: (_is_float, _is_float, None),
    MODULUS: (_is_float, _is_float, None),
    EXPONENT: (_is_float, _is_float, None),
    NEGATE: (None, _is_float, None),
    INVERT: (None, _is_bool, None),
    BITWISE_NOT: (None, _is_float, None),
    TERNARY_TRUE: (_is_bool, None, None),
}

_HOLDER = object()  # govaluate's shortCircuitHolder


def _type_error(fmt: str, value: Any, symbol: int) -> _GoError:
    text = fmt.replace("%v", _sprint(value), 1).replace("%v", _SYMBOL_TEXT.get(symbol, "VALUE"), 1)
    return _GoError(text)


def _evaluate(stage: Stage, depth: int = 0) -> Any:
    if depth > 5000:
        raise _GoError("expression too deeply nested")
    left: Any = None
    right: Any = None
    if stage.left is not None:
        left = _evaluate(stage.left, depth + 1)
    symbol = stage.symbol
    if symbol == AND and left is False:
        return False
    if symbol == OR and left is True:
        return True
    if symbol == COALESCE and left is not None:
        return left
    if symbol == TERNARY_TRUE and left is False:
        right = _HOLDER
    if symbol == TERNARY_FALSE and left is not None:
        right = _HOLDER
    if right is not _HOLDER and stage.right is not None:
        right = _evaluate(stage.right, depth + 1)
    _run_checks(stage, left, right)
    return stage.operator(left, right)


def _run_checks(stage: Stage, left: Any, right: Any) -> None:
    if stage.type_check is None:
        if stage.left_check is not None and not stage.left_check(left):
            raise _type_error(stage.error_format, left, stage.symbol)
        if stage.right_check is not None and not stage.right_check(right):
            raise _type_error(stage.error_format, right, stage.symbol)
    elif not stage.type_check(left, right):
        raise _type_error(stage.error_format, left, stage.symbol)


# --------------------------------------------------------------------------------------------
# public API


def _to_strings(tokens: list[Token]) -> list[Token]:
    return [Token(STRING, t.value) if t.kind == VARIABLE else t for t in tokens]


@lru_cache(maxsize=2048)
def _prepare(text: str) -> tuple[str, Any]:
    """Parse both phases; returns ("ok", stage) or (phase, message) on failure."""
    try:
        tokens = _tokenize(text)
        _check_syntax(tokens)
        tokens = _optimize(tokens)
        _plan(tokens)
    except _GoError as exc:
        return "invalid", str(exc)
    except RecursionError:
        return "invalid", "expression too deeply nested"
    try:
        tokens = _to_strings(tokens)
        _check_balance(tokens)
        _check_syntax(tokens)
        tokens = _optimize(tokens)
        return "ok", _plan(tokens)
    except _GoError as exc:
        return "parse", str(exc)
    except RecursionError:
        return "parse", "expression too deeply nested"


def check_when_syntax(text: str) -> None:
    """Raise WhenError if govaluate (after Argo's variable rewrite) cannot parse `text`."""
    if text == "":
        return
    phase, payload = _prepare(text)
    if phase != "ok":
        raise WhenError(_parse_message(text, phase, payload))


def _parse_message(text: str, phase: str, message: str) -> str:
    if phase == "invalid":
        hint = " (hint: try wrapping the affected expression in quotes (\"))" if "Invalid token" in message else ""
        return f"Invalid 'when' expression '{text}': {message}{hint}"
    return f"Failed to parse 'when' expression '{text}': {message}"


def govaluate_eval(text: str) -> Any:
    """Evaluate `text` like Argo does (variables become strings) and return the raw result."""
    phase, payload = _prepare(text)
    if phase != "ok":
        raise WhenError(_parse_message(text, phase, payload))
    if payload is None:
        return None
    try:
        return _evaluate(payload)
    except _GoError as exc:
        raise WhenError(f"Failed to evaluate 'when' expresion '{text}': {exc}") from None
    except RecursionError:
        raise WhenError(f"Failed to evaluate 'when' expresion '{text}': expression too deeply nested") from None
    except Exception as exc:  # noqa: BLE001 - a Go panic inside govaluate is still a node error
        raise WhenError(f"Failed to evaluate 'when' expresion '{text}': {exc}") from None


def evaluate_when(text: str) -> bool:
    """Argo's `shouldExecute(when)`: "" is true; any error or non-boolean result raises WhenError."""
    if text == "":
        return True
    result = govaluate_eval(text)
    if not isinstance(result, bool):
        raise WhenError(f"Expected boolean evaluation for '{text}'. Got {_sprint(result)}")
    return result
