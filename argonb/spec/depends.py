"""Static reading of a DAG task's `depends` expression (ARGO-SEMANTICS.md §3.1).

Owns: `parse_depends(text)` -> the task references (name, optional result, offset) and the first syntax
error. Grammar, as Argo accepts it (workflow/common/ancestry.go GetTaskDependencies/ValidateTaskResults, then
expr-lang evaluation of the expanded text):
    expr := and ('||' and)* ;  and := unary ('&&' unary)* ;  unary := '!' unary | '(' expr ')' | ref
    ref  := TASK ('.' RESULT)?   TASK = [a-zA-Z0-9][-a-zA-Z0-9_]*
Results: Succeeded Failed Errored Skipped Omitted Daemoned AnySucceeded AllFailed.
Imports: stdlib only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")
ITEM_RESULTS = ("AnySucceeded", "AllFailed")

_SIMPLE = re.compile(r"^\s*([A-Za-z0-9][-A-Za-z0-9_]*(?:\.[A-Za-z0-9_]*)?)\s*$")
_TOKEN = re.compile(r"\s*(?:(?P<op>&&|\|\||!|\(|\))|(?P<ref>[A-Za-z0-9][-A-Za-z0-9_]*(?:\.[A-Za-z0-9_]*)?))")


@dataclass(frozen=True)
class DepRef:
    task: str
    result: str | None
    offset: int          # offset of the task name in the expression

    @property
    def text(self) -> str:
        return self.task if self.result is None else f"{self.task}.{self.result}"


@dataclass
class ParsedDepends:
    refs: list[DepRef] = field(default_factory=list)
    error: str = ""
    error_offset: int = 0


def _tokenize(text: str, out: ParsedDepends) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos, end = 0, len(text.rstrip())  # trailing blanks end the expression (once, not per token: linear)
    while pos < end:
        m = _TOKEN.match(text, pos)
        if not m:
            offset = len(text[pos:]) - len(text[pos:].lstrip()) + pos
            out.error, out.error_offset = f"unexpected character {text[offset]!r}", offset
            return tokens
        kind = "op" if m.group("op") else "ref"
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


MAX_DEPENDS_NESTING = 200  # as argonb.spec.yamlbounds.MAX_NESTING; no real expression comes near


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]], out: ParsedDepends, end: int):
        self.tokens, self.out, self.i, self.end = tokens, out, 0, end
        self.depth = 0  # open `(` and `!`: the parser recurses on them, so they are bounded

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def fail(self, message: str, offset: int | None = None) -> None:
        if not self.out.error:
            tok = self.peek()
            self.out.error = message
            self.out.error_offset = offset if offset is not None else (tok[2] if tok else self.end)

    def expr(self) -> None:
        self.conj()
        while not self.out.error and self.peek() and self.peek()[1] == "||":
            self.i += 1
            self.conj()

    def conj(self) -> None:
        self.unary()
        while not self.out.error and self.peek() and self.peek()[1] == "&&":
            self.i += 1
            self.unary()

    def unary(self) -> None:
        tok = self.peek()
        if tok is not None and tok[1] in ("!", "(") and self.depth >= MAX_DEPENDS_NESTING:
            self.fail(f"expression nests deeper than {MAX_DEPENDS_NESTING} levels of '(' and '!'")
            return
        self.depth += 1
        try:
            self._unary(tok)
        finally:
            self.depth -= 1

    def _unary(self, tok: tuple[str, str, int] | None) -> None:
        if tok is None:
            self.fail("expression ends early: expected a task name")
        elif tok[1] == "!":
            self.i += 1
            self.unary()
        elif tok[1] == "(":
            self.i += 1
            self.expr()
            if not self.out.error:
                if self.peek() and self.peek()[1] == ")":
                    self.i += 1
                else:
                    self.fail("missing ')'")
        elif tok[0] == "ref":
            self.i += 1
            name, _, result = tok[1].partition(".")
            self.out.refs.append(DepRef(name, result if "." in tok[1] else None, tok[2]))
        else:
            self.fail(f"unexpected '{tok[1]}': expected a task name")


def parse_depends(text: str) -> ParsedDepends:
    """References and the first syntax error of a `depends` expression."""
    out = ParsedDepends()
    simple = _SIMPLE.match(text)
    if simple:  # fast path for the common `depends: a`
        name, _, result = simple.group(1).partition(".")
        out.refs.append(DepRef(name, result if "." in simple.group(1) else None, simple.start(1)))
        return out
    tokens = _tokenize(text, out)
    if out.error:
        return out
    parser = _Parser(tokens, out, len(text.rstrip()))
    parser.expr()
    if not out.error and parser.peek() is not None:
        tok = parser.peek()
        parser.fail(f"unexpected '{tok[1]}': expected '&&', '||' or ')'")
    return out
