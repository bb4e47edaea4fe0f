"""An evaluator for the expr-lang (v1.17) language as used by Argo Workflows.

Used for `{{=...}}` tags, `depends`, hook / retry expressions, `valueFrom.expression`,
`fromExpression`. The lexer and Pratt parser follow `expr-lang/expr/parser` (operator
precedences, `not in`, chained comparisons, pipes, predicates with `#` / `.field`, `?.`, `??`,
`let`, `if {} else {}`); the AST is compiled once into Python closures and cached per source.

Semantics are dynamic (no static checker), but the checker's observable behaviour for Argo's
environments is kept: unknown identifiers are errors even in unevaluated branches, `==` between
different types is false, `+ - * / % **` follow Go's numeric rules (int/float promotion, `/`
always float, `%` int-only), member access on a missing map key is nil.

Public API: `evaluate(source, env)`, `compile_expr(source)` -> `Program`, `referenced_variables`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from argonb.expr import amplifiers, limits
from argonb.expr import runtime as rt
from argonb.expr.errors import ExprError
from argonb.expr.gofmt import go_quote, go_type_name
from argonb.expr.goregex import compile_go

__all__ = ["Program", "compile_expr", "evaluate", "parse", "referenced_variables"]

Fn = Callable[["Ctx"], Any]

# --------------------------------------------------------------------------------------------
# lexer

_OPERATOR_WORDS = {"in", "or", "and", "matches", "contains", "startsWith", "endsWith", "let", "if", "else"}
_NOT_SUFFIX = {"in", "matches", "contains", "startsWith", "endsWith"}


@dataclass(slots=True)
class Token:
    kind: str  # Identifier Number String Operator Bracket EOF
    value: str
    pos: int

    def __str__(self) -> str:
        if self.value == "":
            return self.kind
        return f"{self.kind}({go_quote(self.value)})"

    def is_(self, kind: str, *values: str) -> bool:
        return self.kind == kind and (not values or self.value in values)


def _is_alpha(ch: str) -> bool:
    return ch == "_" or ch == "$" or ch.isalpha()


def _is_alnum(ch: str) -> bool:
    return _is_alpha(ch) or ch.isdecimal()


def _is_space(ch: str) -> bool:
    return ch.isspace() or ch == "\x85" or ch == "\xa0"


class _Lexer:
    """expr-lang's state-machine lexer (parser/lexer/state.go)."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.n = len(source)
        self.start = 0
        self.pos = 0
        self.tokens: list[Token] = []

    def error(self, message: str, at: int | None = None) -> ExprError:
        where = self.pos - 1 if at is None else at
        return ExprError(format_error(message, self.src, max(where, 0)))

    def peek(self) -> str:
        return self.src[self.pos] if self.pos < self.n else ""

    def accept(self, chars: str) -> bool:
        ch = self.peek()
        if ch and ch in chars:
            self.pos += 1
            return True
        return False

    def emit(self, kind: str, value: str | None = None) -> None:
        text = self.src[self.start: self.pos] if value is None else value
        self.tokens.append(Token(kind, text, self.start))
        self.start = self.pos

    def run(self) -> list[Token]:
        while self.pos < self.n:
            self.start = self.pos
            self.step()
        self.start = self.pos
        self.tokens.append(Token("EOF", "", max(self.n - 1, 0)))
        return self.tokens

    def step(self) -> None:
        ch = self.src[self.pos]
        self.pos += 1
        if _is_space(ch):
            self.start = self.pos
        elif ch in "'\"":
            self.emit("String", self.scan_string(ch))
        elif ch == "`":
            self.emit("String", self.scan_raw())
        elif ch.isascii() and ch.isdigit():
            self.pos -= 1
            self.scan_number()
        else:
            self.step_operator(ch)

    def step_operator(self, ch: str) -> None:
        if ch == "?":
            self.accept(".?")
            self.emit("Operator")
        elif ch == "/":
            self.scan_slash()
        elif ch == "#":
            self.emit("Operator")
            self.scan_word()
            if self.pos > self.start:
                self.emit("Identifier")
        elif ch in "|:":
            self.accept(ch)
            self.emit("Operator")
        elif ch in "([{)]}":
            self.emit("Bracket")
        elif ch in ",;%+-^":
            self.emit("Operator")
        elif ch in "&!=*<>":
            self.accept("&=*")
            self.emit("Operator")
        elif ch == ".":
            self.scan_dot()
        elif _is_alnum(ch):
            self.pos -= 1
            self.scan_identifier()
        else:
            shown = ch if ch.isprintable() else go_quote(ch)[1:-1]
            raise self.error(f"unrecognized character: U+{ord(ch):04X} '{shown}'")

    def scan_slash(self) -> None:
        if self.accept("/"):
            while self.pos < self.n and self.src[self.pos] != "\n":
                self.pos += 1
            self.start = self.pos
        elif self.accept("*"):
            end = self.src.find("*/", self.pos)
            if end < 0:
                self.pos = self.n + 1
                raise self.error("unclosed comment")
            self.pos = end + 2
            self.start = self.pos
        else:
            self.emit("Operator")

    def scan_dot(self) -> None:
        if self.peek().isascii() and self.peek().isdigit():
            self.pos -= 1
            self.scan_number()
            return
        self.accept(".")
        self.emit("Operator")

    def scan_word(self) -> None:
        while self.pos < self.n and _is_alnum(self.src[self.pos]):
            self.pos += 1

    def scan_identifier(self) -> None:
        self.scan_word()
        word = self.src[self.start: self.pos]
        if word == "not":
            self.emit("Operator")
            self.scan_not_suffix()
        elif word in _OPERATOR_WORDS:
            self.emit("Operator")
        else:
            self.emit("Identifier")

    def scan_not_suffix(self) -> None:
        save = self.pos
        while self.pos < self.n and self.src[self.pos] == " ":
            self.pos += 1
        word_start = self.pos
        self.scan_word()
        if self.src[word_start: self.pos] in _NOT_SUFFIX:
            self.start = word_start
            self.emit("Operator")
        else:
            self.pos = save
            self.start = save

    def scan_number(self) -> None:
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self._accept_run(digits)
        end = self.pos
        if self.accept("."):
            if self.peek() == ".":
                self.pos = end
                self.emit("Number")
                return
            self._accept_run(digits)
        if self.accept("eE"):
            self.accept("+-")
            self._accept_run(digits)
        if self.peek() and _is_alnum(self.peek()):
            self.pos += 1
            raise self.error(f"bad number syntax: {go_quote(self.src[self.start:self.pos])}")
        self.emit("Number")

    def _accept_run(self, chars: str) -> None:
        while self.accept(chars):
            pass

    def scan_string(self, quote: str) -> str:
        out: list[str] = []
        while True:
            if self.pos >= self.n or self.src[self.pos] == "\n":
                self.pos += 1
                raise self.error("literal not terminated")
            ch = self.src[self.pos]
            self.pos += 1
            if ch == quote:
                return "".join(out).replace("\r\n", "\n").replace("\r", "\n")
            if ch == "\\":
                out.append(self.scan_escape(quote))
            else:
                out.append(ch)

    def scan_escape(self, quote: str) -> str:
        ch = self.src[self.pos] if self.pos < self.n else ""
        self.pos += 1
        simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
        if ch in simple:
            return simple[ch]
        if ch == quote:
            return quote
        if ch and ch in "01234567":
            return self._escape_digits(ch, 8, 3)
        if ch == "x":
            return self._escape_digits("", 16, 2)
        if ch == "u":
            if self.peek() == "{":
                return self._escape_braced()
            return self._escape_digits("", 16, 4)
        if ch == "U":
            return self._escape_digits("", 16, 8)
        raise self.error("invalid char escape")

    def _escape_digits(self, first: str, base: int, count: int) -> str:
        text = first
        valid = "0123456789abcdefABCDEF" if base == 16 else "01234567"
        while len(text) < count:
            ch = self.peek()
            if not ch or ch not in valid:
                raise self.error("invalid char escape")
            text += ch
            self.pos += 1
        code = int(text, base)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            if base == 8 and code <= 0xFF:
                return chr(code)
            raise self.error("invalid char escape")
        return chr(code)

    def _escape_braced(self) -> str:
        self.pos += 1
        end = self.src.find("}", self.pos)
        text = self.src[self.pos: end] if end >= 0 else ""
        if end < 0 or not 1 <= len(text) <= 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise self.error("invalid char escape")
        self.pos = end + 1
        code = int(text, 16)
        if code > 0x10FFFF:
            raise self.error("invalid char escape")
        return chr(code)

    def scan_raw(self) -> str:
        out: list[str] = []
        while True:
            if self.pos >= self.n:
                self.pos += 1
                raise self.error("literal not terminated")
            ch = self.src[self.pos]
            self.pos += 1
            if ch == "`":
                if self.peek() == "`":
                    self.pos += 1
                    out.append("`")
                    continue
                return "".join(out)
            out.append(ch)


def format_error(message: str, source: str, pos: int) -> str:
    """expr-lang's `file.Error` text: `message (line:col)` plus a caret snippet."""
    line, col, line_start = 1, 0, 0
    for i, ch in enumerate(source):
        if i == pos:
            break
        if ch == "\n":
            line += 1
            col = 0
            line_start = i + 1
        else:
            col += 1
    line_end = source.find("\n", line_start)
    if line_end < 0:
        line_end = len(source)
    if line_start == line_end:
        return message
    text = source[line_start:line_end].replace("\t", " ")
    return f"{message} ({line}:{col + 1})\n | {text}\n | {'.' * col}^"


# --------------------------------------------------------------------------------------------
# AST


@dataclass(slots=True)
class Node:
    kind: str
    pos: int
    value: Any = None
    children: list[Any] = field(default_factory=list)
    optional: bool = False
    method: bool = False


_UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
_BINARY = {
    "|": (0, "L"), "or": (10, "L"), "||": (10, "L"), "and": (15, "L"), "&&": (15, "L"),
    "==": (20, "L"), "!=": (20, "L"), "<": (20, "L"), ">": (20, "L"), ">=": (20, "L"), "<=": (20, "L"),
    "in": (20, "L"), "matches": (20, "L"), "contains": (20, "L"), "startsWith": (20, "L"),
    "endsWith": (20, "L"), "..": (25, "L"), "+": (30, "L"), "-": (30, "L"), "*": (60, "L"),
    "/": (60, "L"), "%": (60, "L"), "**": (100, "R"), "^": (100, "R"), "??": (500, "L"),
}
_COMPARISON = {"<", ">", ">=", "<="}
# name -> argument kinds: e=expression, p=predicate; a trailing "?" marks the last as optional
_PREDICATES = {
    "all": "ep", "none": "ep", "any": "ep", "one": "ep", "filter": "ep", "map": "ep",
    "count": "ep?", "sum": "ep?", "find": "ep", "findIndex": "ep", "findLast": "ep",
    "findLastIndex": "ep", "groupBy": "ep", "sortBy": "epe?", "reduce": "epe?",
}
BUILTIN_NAMES = frozenset(
    list(_PREDICATES) + [
        "len", "type", "abs", "ceil", "floor", "round", "int", "float", "string", "trim",
        "trimPrefix", "trimSuffix", "upper", "lower", "split", "splitAfter", "replace", "repeat",
        "join", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix", "max", "min", "mean", "median",
        "toJSON", "fromJSON", "toBase64", "fromBase64", "now", "duration", "date", "timezone",
        "first", "last", "get", "take", "keys", "values", "toPairs", "fromPairs", "reverse", "uniq",
        "concat", "flatten", "sort", "bitand", "bitor", "bitxor", "bitnand", "bitshl", "bitshr",
        "bitushr", "bitnot",
    ]
)


def _optional_arity(spec: str) -> tuple[str, bool]:
    if spec.endswith("?"):
        return spec[:-1], True
    return spec, False


class _Parser:
    """expr-lang's Pratt parser (parser/parser.go)."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.tokens = _Lexer(source).run()
        self.i = 0
        self.depth = 0

    @property
    def cur(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> None:
        if self.i < len(self.tokens) - 1:
            self.i += 1
        elif self.cur.kind == "EOF":
            raise self.error("unexpected end of expression")

    def error(self, message: str, tok: Token | None = None) -> ExprError:
        at = (tok or self.cur).pos
        return ExprError(format_error(message, self.src, at))

    def expect(self, kind: str, *values: str) -> None:
        if self.cur.is_(kind, *values):
            self.next()
            return
        raise self.error(f"unexpected token {self.cur}")

    def parse(self) -> Node:
        node = self.parse_sequence()
        if not self.cur.is_("EOF"):
            raise self.error(f"unexpected token {self.cur}")
        return node

    def parse_sequence(self) -> Node:
        nodes = [self.parse_expression(0)]
        while self.cur.is_("Operator", ";"):
            self.next()
            if self.cur.is_("EOF"):
                break
            nodes.append(self.parse_expression(0))
        if len(nodes) == 1:
            return nodes[0]
        return Node("seq", nodes[0].pos, children=nodes)

    def parse_expression(self, precedence: int) -> Node:
        if precedence == 0 and self.cur.is_("Operator", "let"):
            return self.parse_let()
        if precedence == 0 and self.cur.is_("Operator", "if"):
            return self.parse_if()
        left = self.parse_primary()
        prev_op = ""
        op_tok = self.cur
        while op_tok.kind == "Operator":
            negate = op_tok.value == "not"
            not_tok = op_tok
            if negate:
                backup = self.i
                self.next()
                if self.cur.value not in _NOT_SUFFIX:
                    raise self.error(f"unexpected token {self.cur}")
                if _BINARY[self.cur.value][0] < precedence:
                    self.i = backup
                    break
                op_tok = self.cur
            info = _BINARY.get(op_tok.value)
            if info is None or info[0] < precedence:
                break
            self.next()
            if op_tok.value == "|":
                ident = self.cur
                self.expect("Identifier")
                left = self.parse_call(ident, [left])
            else:
                if prev_op == "??" and op_tok.value != "??":
                    raise self.error(
                        f"Operator ({op_tok.value}) and coalesce expressions (??) cannot be mixed. "
                        "Wrap either by parentheses.", op_tok)
                left = self.parse_binary_rhs(left, op_tok, info)
                if negate:
                    left = Node("unary", not_tok.pos, "not", [left])
            prev_op = op_tok.value
            op_tok = self.cur
        if precedence == 0:
            left = self.parse_conditional(left)
        return left

    def parse_binary_rhs(self, left: Node, op_tok: Token, info: tuple[int, str]) -> Node:
        prec, assoc = info
        if op_tok.value in _COMPARISON:
            return self.parse_comparison(left, op_tok, prec)
        right = self.parse_expression(prec + 1 if assoc == "L" else prec)
        return Node("binary", op_tok.pos, op_tok.value, [left, right])

    def parse_comparison(self, left: Node, tok: Token, prec: int) -> Node:
        root: Node | None = None
        while True:
            right = self.parse_expression(prec + 1)
            cmp = Node("binary", tok.pos, tok.value, [left, right])
            root = cmp if root is None else Node("binary", tok.pos, "&&", [root, cmp])
            left = right
            tok = self.cur
            if not (tok.kind == "Operator" and tok.value in _COMPARISON):
                break
            self.next()
        return root

    def parse_let(self) -> Node:
        self.expect("Operator", "let")
        name = self.cur
        self.expect("Identifier")
        self.expect("Operator", "=")
        value = self.parse_expression(0)
        self.expect("Operator", ";")
        body = self.parse_sequence()
        return Node("let", name.pos, name.value, [value, body])

    def parse_if(self) -> Node:
        pos = self.cur.pos
        self.next()
        cond = self.parse_expression(0)
        self.expect("Bracket", "{")
        a = self.parse_sequence()
        self.expect("Bracket", "}")
        self.expect("Operator", "else")
        if self.cur.is_("Operator", "if"):
            b = self.parse_if()
        else:
            self.expect("Bracket", "{")
            b = self.parse_sequence()
            self.expect("Bracket", "}")
        return Node("cond", pos, None, [cond, a, b])

    def parse_conditional(self, node: Node) -> Node:
        while self.cur.is_("Operator", "?"):
            self.next()
            if not self.cur.is_("Operator", ":"):
                a = self.parse_expression(0)
                self.expect("Operator", ":")
                b = self.parse_expression(0)
            else:
                self.next()
                a = node
                b = self.parse_expression(0)
            node = Node("cond", self.cur.pos, "ternary", [node, a, b])
        return node

    def parse_primary(self) -> Node:
        tok = self.cur
        if tok.kind == "Operator" and tok.value in _UNARY:
            self.next()
            operand = self.parse_expression(_UNARY[tok.value])
            return self.parse_postfix(Node("unary", tok.pos, tok.value, [operand]))
        if tok.is_("Bracket", "("):
            self.next()
            inner = self.parse_sequence()
            self.expect("Bracket", ")")
            return self.parse_postfix(inner)
        if self.depth > 0 and tok.kind == "Operator" and tok.value in ("#", "."):
            name = ""
            if tok.value == "#":
                self.next()
                if self.cur.kind == "Identifier":
                    name = self.cur.value
                    self.next()
            return self.parse_postfix(Node("pointer", tok.pos, name))
        if tok.is_("Operator", "::"):
            self.next()
            ident = self.cur
            self.expect("Identifier")
            return self.parse_postfix(self.parse_call(ident, []))
        return self.parse_secondary()

    def parse_secondary(self) -> Node:
        tok = self.cur
        if tok.kind == "Identifier":
            self.next()
            if tok.value in ("true", "false"):
                return Node("const", tok.pos, tok.value == "true")
            if tok.value == "nil":
                return Node("const", tok.pos, None)
            if self.cur.is_("Bracket", "("):
                node = self.parse_call(tok, [])
            else:
                node = Node("ident", tok.pos, tok.value)
        elif tok.kind == "Number":
            self.next()
            return Node("const", tok.pos, self.number_value(tok))
        elif tok.kind == "String":
            self.next()
            node = Node("const", tok.pos, tok.value)
        elif tok.is_("Bracket", "["):
            node = self.parse_array()
        elif tok.is_("Bracket", "{"):
            node = self.parse_map()
        else:
            raise self.error(f"unexpected token {tok}")
        return self.parse_postfix(node)

    def number_value(self, tok: Token) -> int | float:
        text = tok.value.replace("_", "")
        low = text.lower()
        try:
            if low.startswith(("0x", "0b", "0o")):
                value: int | float = int(low[2:], {"x": 16, "b": 2, "o": 8}[low[1]])
            elif "." in low or "e" in low:
                value = float(text)
                if value == float("inf"):
                    raise self.error("float literal is too large", tok)
                return value
            else:
                value = int(text, 10)
        except ValueError:
            raise self.error(f"invalid integer literal: {tok.value}", tok) from None
        if value >= 1 << 63:
            raise self.error("integer literal is too large", tok)
        return value

    def parse_call(self, tok: Token, args: list[Node]) -> Node:
        name = tok.value
        if name in _PREDICATES:
            return self.parse_predicate_call(tok, args)
        if name in BUILTIN_NAMES:
            return Node("builtin", tok.pos, name, self.parse_arguments(args))
        callee = Node("ident", tok.pos, name)
        return Node("call", tok.pos, None, [callee, *self.parse_arguments(args)])

    def parse_predicate_call(self, tok: Token, args: list[Node]) -> Node:
        spec, last_optional = _optional_arity(_PREDICATES[tok.value])
        self.expect("Bracket", "(")
        kinds = spec[len(args):]
        for idx, kind in enumerate(kinds):
            is_last = idx == len(kinds) - 1
            if self.cur.is_("Bracket", ")"):
                if is_last and last_optional:
                    break
                raise self.error(f"expected at least {len(kinds)} arguments")
            if idx > 0:
                self.expect("Operator", ",")
            args.append(self.parse_predicate() if kind == "p" else self.parse_expression(0))
        if self.cur.is_("Operator", ","):
            self.next()
        self.expect("Bracket", ")")
        return Node("builtin", tok.pos, tok.value, args)

    def parse_arguments(self, args: list[Node]) -> list[Node]:
        offset = len(args)
        self.expect("Bracket", "(")
        while not self.cur.is_("Bracket", ")"):
            if len(args) > offset:
                self.expect("Operator", ",")
            if self.cur.is_("Bracket", ")"):
                break
            args.append(self.parse_expression(0))
        self.expect("Bracket", ")")
        return args

    def parse_predicate(self) -> Node:
        start = self.cur
        braces = self.cur.is_("Bracket", "{")
        if braces:
            self.next()
        self.depth += 1
        if braces:
            body = self.parse_sequence()
        else:
            body = self.parse_expression(0)
            if self.cur.is_("Operator", ";"):
                raise self.error("wrap predicate with brackets { and }")
        self.depth -= 1
        if braces:
            self.expect("Bracket", "}")
        return Node("predicate", start.pos, None, [body])

    def parse_array(self) -> Node:
        pos = self.cur.pos
        self.expect("Bracket", "[")
        items: list[Node] = []
        while not self.cur.is_("Bracket", "]"):
            if items:
                self.expect("Operator", ",")
                if self.cur.is_("Bracket", "]"):
                    break
            items.append(self.parse_expression(0))
        self.expect("Bracket", "]")
        return Node("array", pos, None, items)

    def parse_map(self) -> Node:
        pos = self.cur.pos
        self.expect("Bracket", "{")
        pairs: list[Node] = []
        while not self.cur.is_("Bracket", "}"):
            if pairs:
                self.expect("Operator", ",")
                if self.cur.is_("Bracket", "}"):
                    break
                if self.cur.is_("Operator", ","):
                    raise self.error(f"unexpected token {self.cur}")
            pairs.append(self.parse_pair())
        self.expect("Bracket", "}")
        return Node("map", pos, None, pairs)

    def parse_pair(self) -> Node:
        tok = self.cur
        if tok.kind in ("Number", "String", "Identifier"):
            key = Node("const", tok.pos, tok.value)
            self.next()
        elif tok.is_("Bracket", "("):
            key = self.parse_expression(0)
        else:
            raise self.error(
                "a map key must be a quoted string, a number, a identifier, or an expression enclosed "
                f"in parentheses (unexpected token {tok})")
        self.expect("Operator", ":")
        return Node("pair", tok.pos, None, [key, self.parse_expression(0)])

    def parse_postfix(self, node: Node) -> Node:
        while self.cur.kind in ("Operator", "Bracket"):
            tok = self.cur
            if tok.value in (".", "?."):
                node = self.parse_member(node, tok)
            elif tok.value == "[":
                node = self.parse_index(node, optional=False)
            else:
                break
        return node

    def parse_member(self, node: Node, tok: Token) -> Node:
        optional = tok.value == "?."
        self.next()
        if optional and self.cur.is_("Bracket", "["):
            return self.parse_index(node, optional=True)
        prop = self.cur
        self.next()
        if prop.kind != "Identifier" and not (prop.kind == "Operator" and _valid_identifier(prop.value)):
            raise self.error("expected name", prop)
        base = node.children[0] if node.kind == "chain" else node
        chained = node.kind == "chain" or optional
        member = Node("member", prop.pos, None, [base, Node("const", prop.pos, prop.value)], optional)
        if self.cur.is_("Bracket", "("):
            member.method = True
            result = Node("call", prop.pos, None, [member, *self.parse_arguments([])])
        else:
            result = member
        return Node("chain", prop.pos, None, [result]) if chained else result

    def parse_index(self, node: Node, optional: bool) -> Node:
        pos = self.cur.pos
        self.next()
        if self.cur.is_("Operator", ":"):
            self.next()
            hi = None if self.cur.is_("Bracket", "]") else self.parse_expression(0)
            self.expect("Bracket", "]")
            return Node("slice", pos, None, [node, None, hi])
        lo = self.parse_expression(0)
        if self.cur.is_("Operator", ":"):
            self.next()
            hi = None if self.cur.is_("Bracket", "]") else self.parse_expression(0)
            self.expect("Bracket", "]")
            return Node("slice", pos, None, [node, lo, hi])
        self.expect("Bracket", "]")
        member = Node("member", pos, None, [node, lo], optional)
        return Node("chain", pos, None, [member]) if optional else member


def _valid_identifier(text: str) -> bool:
    return bool(text) and _is_alpha(text[0]) and all(_is_alnum(c) for c in text[1:])


@lru_cache(maxsize=4096)
def parse(source: str) -> Node:
    """Parse an expression into its AST (raises ExprError on syntax errors)."""
    try:
        return _Parser(source).parse()
    except RecursionError:
        raise ExprError("expression too deeply nested") from None


# --------------------------------------------------------------------------------------------
# compiler: AST -> closures


class _NilChain(Exception):
    """Raised by `?.` on a nil base; caught by the enclosing chain node."""


class Scope:
    """A predicate iteration scope (`#`, `#index`, `#acc`)."""

    __slots__ = ("acc", "index", "item")

    def __init__(self) -> None:
        self.item: Any = None
        self.index = 0
        self.acc: Any = None


class Ctx:
    """Evaluation context: the environment, predicate scopes and `let` variables."""

    __slots__ = ("env", "scopes", "vars")

    def __init__(self, env: Mapping[str, Any]) -> None:
        self.env = env
        self.scopes: list[Scope] = []
        self.vars: dict[str, Any] = {}


def _need_bool(v: Any, what: str) -> bool:
    if v is True or v is False:
        return v
    raise ExprError(f"invalid operation: {what} (mismatched type {go_type_name(v)})")


class _Compiler:
    def __init__(self) -> None:
        self.free: dict[str, int] = {}

    def compile(self, node: Node | None, lets: frozenset[str]) -> Fn:
        if node is None:
            return _const_none
        method = getattr(self, "c_" + node.kind)
        return method(node, lets)

    def c_const(self, node: Node, lets: frozenset[str]) -> Fn:
        value = node.value
        return lambda ctx: value

    def c_ident(self, node: Node, lets: frozenset[str]) -> Fn:
        name = node.value
        if name in lets:
            return lambda ctx: ctx.vars[name]
        if name == "$env":
            return lambda ctx: ctx.env
        self.free.setdefault(name, node.pos)

        def ident(ctx: Ctx) -> Any:
            try:
                return ctx.env[name]
            except KeyError:
                return _helper(name)

        return ident

    def c_pointer(self, node: Node, lets: frozenset[str]) -> Fn:
        name = node.value
        if name == "":
            return lambda ctx: ctx.scopes[-1].item
        if name == "index":
            return lambda ctx: ctx.scopes[-1].index
        if name == "acc":
            return lambda ctx: ctx.scopes[-1].acc
        raise ExprError(f"unknown pointer #{name}")

    def c_unary(self, node: Node, lets: frozenset[str]) -> Fn:
        op = node.value
        inner = self.compile(node.children[0], lets)
        if op in ("!", "not"):
            return lambda ctx: not _need_bool(inner(ctx), op)
        if op == "-":
            return lambda ctx: rt.negate(inner(ctx))

        def plus(ctx: Ctx) -> Any:
            v = inner(ctx)
            if type(v) in (int, float):
                return v
            raise ExprError(f"invalid operation: + (mismatched type {go_type_name(v)})")

        return plus

    def c_binary(self, node: Node, lets: frozenset[str]) -> Fn:
        op = node.value
        left = self.compile(node.children[0], lets)
        right = self.compile(node.children[1], lets)
        special = _SHORT_CIRCUIT.get(op)
        if special is not None:
            return special(left, right, op)
        fn = _BINARY_FUNCS[op]
        if op == "+":   # the one operator that builds a bigger value: refuse before concatenating
            def plus(ctx: Ctx) -> Any:
                a, b = left(ctx), right(ctx)
                if type(a) is not type(b) or type(a) not in (str, list):
                    return fn(a, b)
                if len(a) + len(b) >= 1024:   # refuse before concatenating; small ones are not worth a look
                    limits.reserve(limits.value_bytes(a) + limits.value_bytes(b), "the result of +")
                return limits.charge(fn(a, b), "+")

            return plus
        return lambda ctx: fn(left(ctx), right(ctx))

    def c_cond(self, node: Node, lets: frozenset[str]) -> Fn:
        cond, a, b = (self.compile(c, lets) for c in node.children)

        def conditional(ctx: Ctx) -> Any:
            c = cond(ctx)
            if c is True:
                return a(ctx)
            if c is False:
                return b(ctx)
            raise ExprError(f"non-bool expression (type {go_type_name(c)}) used as condition")

        return conditional

    def c_seq(self, node: Node, lets: frozenset[str]) -> Fn:
        fns = [self.compile(c, lets) for c in node.children]

        def sequence(ctx: Ctx) -> Any:
            result = None
            for f in fns:
                result = f(ctx)
            return result

        return sequence

    def c_let(self, node: Node, lets: frozenset[str]) -> Fn:
        name = node.value
        value = self.compile(node.children[0], lets)
        body = self.compile(node.children[1], lets | {name})

        def let(ctx: Ctx) -> Any:
            missing = object()
            old = ctx.vars.get(name, missing)
            ctx.vars[name] = value(ctx)
            try:
                return body(ctx)
            finally:
                if old is missing:
                    ctx.vars.pop(name, None)
                else:
                    ctx.vars[name] = old

        return let

    def c_array(self, node: Node, lets: frozenset[str]) -> Fn:
        fns = [self.compile(c, lets) for c in node.children]

        def array(ctx: Ctx) -> list[Any]:
            limits.mem_grow(len(fns))
            return [f(ctx) for f in fns]

        return array

    def c_map(self, node: Node, lets: frozenset[str]) -> Fn:
        pairs = [(self.compile(p.children[0], lets), self.compile(p.children[1], lets)) for p in node.children]

        def mapping(ctx: Ctx) -> dict[str, Any]:
            limits.mem_grow(len(pairs))
            out: dict[str, Any] = {}
            for kf, vf in pairs:
                key = kf(ctx)
                if not isinstance(key, str):
                    raise ExprError(f"interface conversion: interface {{}} is {go_type_name(key)}, not string")
                out[key] = vf(ctx)
            return out

        return mapping

    def c_chain(self, node: Node, lets: frozenset[str]) -> Fn:
        inner = self.compile(node.children[0], lets)

        def chain(ctx: Ctx) -> Any:
            try:
                return inner(ctx)
            except _NilChain:
                return None

        return chain

    def c_member(self, node: Node, lets: frozenset[str]) -> Fn:
        base = self.compile(node.children[0], lets)
        prop = self.compile(node.children[1], lets)
        if node.optional:
            def optional_member(ctx: Ctx) -> Any:
                b = base(ctx)
                if b is None:
                    raise _NilChain()
                return rt.fetch(b, prop(ctx))

            return optional_member
        return lambda ctx: rt.fetch(base(ctx), prop(ctx))

    def c_slice(self, node: Node, lets: frozenset[str]) -> Fn:
        base = self.compile(node.children[0], lets)
        lo = self.compile(node.children[1], lets)
        hi = self.compile(node.children[2], lets)
        return lambda ctx: rt.slice_value(base(ctx), lo(ctx), hi(ctx))

    def c_call(self, node: Node, lets: frozenset[str]) -> Fn:
        callee = node.children[0]
        args = [self.compile(c, lets) for c in node.children[1:]]
        if callee.kind == "member":
            base = self.compile(callee.children[0], lets)
            name = callee.children[1].value
            optional = callee.optional

            def method_call(ctx: Ctx) -> Any:
                b = base(ctx)
                if b is None and optional:
                    raise _NilChain()
                fn = _method(b, name)
                return invoke(fn, [a(ctx) for a in args])

            return method_call
        target = self.compile(callee, lets)
        return lambda ctx: invoke(target(ctx), [a(ctx) for a in args])

    def c_builtin(self, node: Node, lets: frozenset[str]) -> Fn:
        from argonb.expr import exprfuncs

        name = node.value
        if name in _PREDICATES:
            coll = self.compile(node.children[0], lets)
            if len(node.children) > 1:
                pred = self.compile(node.children[1].children[0], lets)
            else:  # count(xs) / sum(xs): the element itself
                pred = exprfuncs.current_item
            extra = [self.compile(c, lets) for c in node.children[2:]]
            impl = exprfuncs.PREDICATES[name]
            return lambda ctx: limits.charge(impl(ctx, coll(ctx), pred, [e(ctx) for e in extra]), name)
        fns = [self.compile(c, lets) for c in node.children]
        func = exprfuncs.BUILTINS[name]

        def builtin(ctx: Ctx) -> Any:
            args = [f(ctx) for f in fns]
            limits.step()
            amplifiers.check(amplifiers.EXPR_BUILTINS, name, args)
            return limits.charge(func(*args), name)

        return builtin

    def c_predicate(self, node: Node, lets: frozenset[str]) -> Fn:
        raise ExprError("unexpected predicate")


def _const_none(ctx: Ctx) -> Any:
    return None


def _and(left: Fn, right: Fn, op: str) -> Fn:
    def conj(ctx: Ctx) -> bool:
        if not _need_bool(left(ctx), op):
            return False
        return _need_bool(right(ctx), op)

    return conj


def _or(left: Fn, right: Fn, op: str) -> Fn:
    def disj(ctx: Ctx) -> bool:
        if _need_bool(left(ctx), op):
            return True
        return _need_bool(right(ctx), op)

    return disj


def _coalesce(left: Fn, right: Fn, op: str) -> Fn:
    def coalesce(ctx: Ctx) -> Any:
        v = left(ctx)
        return right(ctx) if v is None else v

    return coalesce


_SHORT_CIRCUIT = {"&&": _and, "and": _and, "||": _or, "or": _or, "??": _coalesce}


def _string_op(op: str, test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def apply(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        if not isinstance(a, str) or not isinstance(b, str):
            raise ExprError(
                f"invalid operation: {op} (mismatched types {go_type_name(a)} and {go_type_name(b)})")
        return test(a, b)

    return apply


def _range(a: Any, b: Any) -> list[int]:
    lo, hi = rt.to_int(a), rt.to_int(b)
    limits.mem_grow(hi - lo + 1)   # vm.go OpRange, before the list exists
    return list(range(lo, hi + 1))


_BINARY_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "==": rt.equal,
    "!=": lambda a, b: not rt.equal(a, b),
    "<": lambda a, b: rt.compare("<", a, b),
    ">": lambda a, b: rt.compare(">", a, b),
    "<=": lambda a, b: rt.compare("<=", a, b),
    ">=": lambda a, b: rt.compare(">=", a, b),
    "+": rt.add,
    "-": rt.subtract,
    "*": rt.multiply,
    "/": rt.divide,
    "%": rt.modulo,
    "**": rt.exponent,
    "^": rt.exponent,
    "in": rt.in_op,
    "..": _range,
    "matches": _string_op("matches", lambda a, b: compile_go(b).match_string(a)),
    "contains": _string_op("contains", lambda a, b: b in a),
    "startsWith": _string_op("startsWith", lambda a, b: a.startswith(b)),
    "endsWith": _string_op("endsWith", lambda a, b: a.endswith(b)),
}


def _helper(name: str) -> Any:
    from argonb.expr.argoenv import ARGO_HELPERS

    if name in ARGO_HELPERS:
        return ARGO_HELPERS[name]
    raise ExprError(f"unknown name {name}")


def _method(base: Any, name: str) -> Any:
    if isinstance(base, Mapping):
        return base.get(name)
    from argonb.expr.exprfuncs import value_method

    return value_method(base, name)


def invoke(fn: Any, args: list[Any]) -> Any:
    """Call a function value from the environment (GoFunc signatures are type-checked)."""
    if fn is None:
        raise ExprError("invalid operation: cannot call nil")
    if not callable(fn):
        raise ExprError(f"invalid operation: cannot call non-function of type {go_type_name(fn)}")
    limits.step()
    try:
        return limits.charge(fn(*args), getattr(fn, "name", "a function"))
    except ExprError:
        raise
    except RecursionError:
        raise ExprError("recursion depth exceeded") from None
    except Exception as exc:  # noqa: BLE001 - a Go panic inside a function becomes an expression error
        raise ExprError(str(exc) or type(exc).__name__) from None


# --------------------------------------------------------------------------------------------
# public API


@dataclass(frozen=True)
class Program:
    """A compiled expression: run it with `program.run(env)`."""

    source: str
    fn: Fn
    free: Mapping[str, int]

    def run(self, env: Mapping[str, Any]) -> Any:
        for name, pos in self.free.items():
            if name not in env and not _is_helper(name):
                raise ExprError(format_error(f"unknown name {name}", self.source, pos))
        token = limits.begin()
        try:
            return self.fn(Ctx(env))
        except limits.ExprLimitError as exc:
            if token is None:   # an inner evaluation: the outermost one names its expression
                raise
            raise limits.ExprLimitError(f"{exc.message}: in expression {_excerpt(self.source)}") from None
        except ExprError:
            raise
        except _NilChain:
            return None
        except RecursionError:
            raise ExprError("recursion depth exceeded") from None
        except Exception as exc:  # noqa: BLE001 - any Go panic surfaces as an expression error
            raise ExprError(f"{type(exc).__name__}: {exc}") from None
        finally:
            limits.end(token)


def _excerpt(source: str) -> str:
    return go_quote(source if len(source) <= 200 else source[:200] + "...")


def _is_helper(name: str) -> bool:
    from argonb.expr.argoenv import ARGO_HELPERS

    return name in ARGO_HELPERS


@lru_cache(maxsize=4096)
def compile_expr(source: str) -> Program:
    """Parse and compile once; cached per source string."""
    tree = parse(source)
    compiler = _Compiler()
    try:
        fn = compiler.compile(tree, frozenset())
    except RecursionError:
        raise ExprError("expression too deeply nested") from None
    return Program(source, fn, dict(compiler.free))


def evaluate(source: str, env: Mapping[str, Any]) -> Any:
    """Evaluate an expr-lang expression against `env`.

    Identifiers not in `env` fall back to Argo's helpers (`asInt`, `asFloat`, `toJson`,
    `jsonpath`, `sprig`); anything else unknown raises `ExprError("unknown name x ...")`.
    """
    return compile_expr(source).run(env)


# --------------------------------------------------------------------------------------------
# identifiers referenced (Argo's util/template getIdentifiers)


def _walk(node: Any) -> list[Node]:
    """Post-order list of AST nodes (like expr-lang's ast.Walk visiting order)."""
    out: list[Node] = []
    stack: list[tuple[Node, bool]] = [(node, False)] if isinstance(node, Node) else []
    while stack:
        current, expanded = stack.pop()
        if expanded:
            out.append(current)
            continue
        stack.append((current, True))
        for child in reversed(current.children):
            if isinstance(child, Node):
                stack.append((child, False))
    return out


def _member_path(node: Node) -> str | None:
    parts: list[str] = []
    cur = node
    while True:
        if cur.optional:
            return None
        prop = cur.children[1]
        if prop.kind != "const" or not isinstance(prop.value, str):
            return None
        parts.insert(0, prop.value)
        base = cur.children[0]
        if base.kind == "ident":
            parts.insert(0, base.value)
            return ".".join(parts)
        if base.kind != "member":
            return None
        cur = base


def _guarded(nodes: list[Node]) -> set[int]:
    guarded: set[int] = set()
    for n in nodes:
        if n.kind == "binary" and n.value == "??":
            guarded.update(id(m) for m in _walk(n.children[0]) if m.kind == "member")
        elif n.kind == "member" and n.optional and n.children[0].kind == "member":
            guarded.add(id(n.children[0]))
    return guarded


@lru_cache(maxsize=4096)
def referenced_variables(source: str) -> tuple[str, ...]:
    """Identifiers and dotted member paths an expression references, in Argo's order.

    Members under the left side of `??` and optional chains are not reported (Argo treats them
    as guarded). Raises ExprError when the expression does not parse.
    """
    nodes = _walk(parse(source))
    guarded = _guarded(nodes)
    seen: dict[str, None] = {}
    for n in nodes:
        if id(n) in guarded:
            continue
        if n.kind == "ident":
            seen.setdefault(n.value, None)
        elif n.kind == "member":
            path = _member_path(n)
            if path is not None:
                seen.setdefault(path, None)
    return tuple(seen)
