"""Go's `regexp` package on RE2: the one place a workflow-supplied pattern is compiled and run.

Argo evaluates govaluate `=~`/`!~`, expr-lang `matches`, sprig's `regex*` functions and jsonpath
filters' `=~` with Go's `regexp`: RE2 syntax (no lookaround, no backreferences, `$` only at the end
of the text, ASCII `\\d`/`\\w`/`\\s`) and matching in time linear in the input. Python's backtracking
`re` differs in both, and a pattern such as `^(a+)+$` freezes the process beyond the reach of
Ctrl-C. This module compiles with the RE2 engine (`google-re2`) and ports the parts of Go's
`regexp.go` that RE2 does not share: its error messages, the iteration rules of `FindAll` /
`ReplaceAll` / `Split` (empty matches next to a previous match) and the `$1` / `${name}`
replacement template of `Expand`.

All matching runs on the UTF-8 bytes of the text, as Go does; results are decoded back to `str`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import re2

from argonb.expr import limits
from argonb.expr.errors import ExprError
from argonb.expr.gofmt import go_quote

__all__ = ["GoRegexp", "RegexpError", "compile_go", "must_compile", "quote_meta"]


class RegexpError(ExprError):
    """A pattern Go's `regexp.Compile` rejects; the message is Go's `syntax.Error` text."""


# RE2 C++ error text (`RE2::ErrorCode` via `CodeText`) -> Go's `syntax.ErrorCode` text.
_RE2_TO_GO = (
    ("invalid escape sequence", "invalid escape sequence"),
    ("invalid character class range", "invalid character class range"),
    ("invalid character class", "invalid character class"),
    ("missing ]", "missing closing ]"),
    ("missing )", "missing closing )"),
    ("unexpected )", "unexpected )"),
    ("trailing \\", "trailing backslash at end of expression"),
    ("no argument for repetition operator", "missing argument to repetition operator"),
    ("invalid repetition size", "invalid repeat count"),
    ("bad repetition operator", "invalid nested repetition operator"),
    ("invalid perl operator", "invalid or unsupported Perl syntax"),
    ("invalid UTF-8", "invalid UTF-8"),
    ("invalid named capture group", "invalid named capture"),
    ("pattern too large", "expression too large"),
)

# Go reports these errors against the whole expression (`syntax.Parse`), RE2 against a fragment.
_WHOLE_EXPRESSION = frozenset({"missing closing )", "unexpected )"})

# RE2 gives its DFA/NFA this much memory per pattern; Go's own bound is its `expression too large`
# parse check, which RE2's default 8 MiB would undercut for large counted repetitions.
_MAX_MEM = 64 << 20


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False   # RE2 would print every rejected pattern on stderr
    options.max_mem = _MAX_MEM
    return options


def _go_error(code: str, arg: str) -> RegexpError:
    return RegexpError(f"error parsing regexp: {code}: `{arg}`")


def _translate_error(pattern: str, message: str) -> RegexpError:
    known = next(((re2_text, go_code) for re2_text, go_code in _RE2_TO_GO if message.startswith(re2_text)), None)
    if known is None:
        return _go_error("regexp/syntax: internal error", pattern)
    re2_text, go_code = known
    arg = message[len(re2_text):].removeprefix(":").removeprefix(" ")
    if go_code == "invalid UTF-8" and "\\x{" in pattern:
        # a str pattern is valid UTF-8: RE2 read past an unfinished `\x{` at the end
        return _go_error("invalid escape sequence", pattern[pattern.rindex("\\x{"):])
    if go_code in _WHOLE_EXPRESSION:
        arg = pattern
    elif go_code == "trailing backslash at end of expression":
        arg = ""
    elif go_code == "invalid or unsupported Perl syntax" and arg in ("(?<=", "(?<!"):
        # Go >= 1.22 reads `(?<` as a named group, so lookbehind fails as a bad group name
        # reaching up to the next `>` (syntax/parse.go, parsePerlFlags).
        rest = pattern[_unescaped_find(pattern, arg):]
        end = rest.find(">")
        return _go_error("invalid named capture", rest if end < 0 else rest[:end + 1])
    return _go_error(go_code, arg)


def _unescaped_find(pattern: str, needle: str) -> int:
    """Index of the first `needle` not preceded by an odd run of backslashes."""
    start = pattern.find(needle)
    while start > 0:
        slashes = len(pattern[:start]) - len(pattern[:start].rstrip("\\"))
        if slashes % 2 == 0:
            return start
        start = pattern.find(needle, start + 1)
    return max(start, 0)


_MAX_HEIGHT = 1000   # syntax/parse.go maxHeight


@dataclass
class _Branch:
    height: int = 0        # tallest item
    items: int = 0         # items concatenated (a run of plain literals is one item)
    last: int = 0          # height of the last item, which a repetition operator wraps
    literal_run: bool = False
    alternation_item: bool = False   # the last item is a `(?:a|b)`, which Go merges into an outer `|`


@dataclass
class _Group:
    capture: bool
    branches: list[_Branch] = field(default_factory=lambda: [_Branch()])

    def content_height(self) -> int:
        alternation = len(self.branches) > 1
        heights = [b.height + (b.items > 1) - (alternation and b.items == 1 and b.alternation_item)
                   for b in self.branches]
        return max(max(heights) + alternation, 1)


def _add_item(branch: _Branch, height: int, literal: bool = False) -> None:
    if not (literal and branch.literal_run):
        branch.items += 1
    branch.height = max(branch.height, height)
    branch.last, branch.literal_run, branch.alternation_item = height, literal, False


def _close_group(group: _Group, parent: _Branch) -> None:
    """Go's parser hoists a non-capturing group's `|` or concatenation into the same outer op."""
    height = group.content_height() + group.capture
    if group.capture or (len(group.branches) == 1 and group.branches[0].items <= 1):
        _add_item(parent, height)
    elif len(group.branches) > 1:
        _add_item(parent, height)
        parent.alternation_item = True
    else:   # a concatenation inside a concatenation
        _add_item(parent, height - 1)
        parent.items += 1


def _scan(pattern: str) -> list[str]:
    """What RE2 accepts but Go's parser refuses: `\\C`, and a parse tree taller than 1000.

    Returns the capture-group names by group index ("" for unnamed, index 0 for the whole match),
    which `Expand` needs when several groups share a name. The height is estimated from the
    source (a capture, an alternation, a concatenation and a repetition each add a level, as
    nodes of Go's syntax tree do); iterative, so any nesting is safe to scan.
    """
    names = [""]
    stack = [_Group(capture=False)]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        branch = stack[-1].branches[-1]
        if c == "\\":
            nxt = pattern[i + 1:i + 2]
            if nxt == "C":
                raise _go_error("invalid escape sequence", "\\C")
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                i = n if end < 0 else end + 2
                _add_item(branch, 1, literal=True)
                continue
            i = _skip_escape(pattern, i)
            _add_item(branch, 1, literal=nxt in ".+*?()|[]{}^$\\")
        elif c == "[":
            i = _skip_class(pattern, i)
            _add_item(branch, 1)
        elif c == "(":
            if pattern.startswith(("(?P<", "(?<"), i):
                start = pattern.index("<", i) + 1
                end = pattern.index(">", start)
                names.append(pattern[start:end])
                stack.append(_Group(capture=True))
                i = end + 1
            elif pattern.startswith("(?", i):
                end = min(k for k in (pattern.find(")", i), pattern.find(":", i)) if k >= 0)   # ValueError if none
                if pattern[end] == ":":
                    stack.append(_Group(capture=False))
                i = end + 1
            else:
                names.append("")
                stack.append(_Group(capture=True))
                i += 1
        elif c == ")":
            _close_group(stack.pop(), stack[-1].branches[-1])
            i += 1
        elif c == "|":
            stack[-1].branches.append(_Branch())
            i += 1
        elif c in "*+?" or (c == "{" and _is_repeat(pattern, i)):
            i = pattern.index("}", i) + 1 if c == "{" else i + 1
            if pattern[i:i + 1] == "?":
                i += 1   # non-greedy
            branch.literal_run = branch.alternation_item = False
            branch.last += 1
            branch.height = max(branch.height, branch.last)
        else:
            _add_item(branch, 1, literal=c not in ".^$")
            i += 1
    while len(stack) > 1:   # RE2 has accepted the pattern, so groups are balanced; be safe anyway
        _close_group(stack.pop(), stack[-1].branches[-1])
    if stack[0].content_height() > _MAX_HEIGHT:
        raise _go_error("expression nests too deeply", pattern)
    return names


def _skip_escape(pattern: str, i: int) -> int:
    """Index after the escape at `i` (`\\x{...}`, `\\p{...}` and `\\pL` included)."""
    nxt = pattern[i + 1:i + 2]
    if nxt in ("x", "p", "P") and pattern[i + 2:i + 3] == "{":
        return pattern.index("}", i) + 1
    if nxt == "x":
        return i + 4
    if nxt in ("p", "P"):
        return i + 3
    return i + 2


def _skip_class(pattern: str, i: int) -> int:
    """Index after the character class opening at `i` (a leading `]` is a literal, as in Go)."""
    i += 1
    if pattern[i:i + 1] == "^":
        i += 1
    first = True
    while i < len(pattern):
        c = pattern[i]
        if c == "]" and not first:
            return i + 1
        first = False
        if c == "\\":
            i = _skip_escape(pattern, i)
        elif pattern.startswith("[:", i) and pattern.find(":]", i + 2) >= 0:
            i = pattern.find(":]", i + 2) + 2
        else:
            i += 1
    return i


def _is_repeat(pattern: str, i: int) -> bool:
    """`{n}`, `{n,}` or `{n,m}` at `i`; any other `{` is a literal in Go."""
    end = pattern.find("}", i)
    if end < 0:
        return False
    low, _, high = pattern[i + 1:end].partition(",")
    return low.isdigit() and low.isascii() and (not high or (high.isdigit() and high.isascii()))


class GoRegexp:
    """A compiled Go regular expression (`*regexp.Regexp`) with the methods Argo's engines call."""

    __slots__ = ("_names", "_rx", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        try:
            self._rx = re2.compile(_encode(pattern), _options())
        except re2.error as exc:
            raise _translate_error(pattern, _error_text(exc)) from None
        try:
            names = _scan(pattern)
        except (ValueError, IndexError) as exc:
            if isinstance(exc, RegexpError):
                raise
            names = []
        if len(names) != self._rx.groups + 1:   # the scan misread the pattern: RE2's map, first index
            names = [""] * (self._rx.groups + 1)
            for name, index in self._rx.groupindex.items():
                names[index] = name.decode()
        self._names = names   # `SubexpNames`

    def __repr__(self) -> str:
        return f"GoRegexp({self.pattern!r})"

    # -- matching (byte offsets into the UTF-8 text) ---------------------------------------------

    def _search(self, text: bytes, pos: int = 0):  # type: ignore[no-untyped-def]
        """Leftmost match at or after `pos` that starts on a rune boundary.

        RE2 scans bytes and may report an empty-width assertion (`\\B`) inside a multi-byte
        character; Go only tries positions between runes, so such a match is skipped.
        """
        while True:
            m = self._rx.search(text, pos)
            if m is None or m.start() >= len(text) or not 0x80 <= text[m.start()] < 0xC0:
                return m
            pos = m.start() + 1
            while pos < len(text) and 0x80 <= text[pos] < 0xC0:
                pos += 1

    def _spans(self, text: bytes, pos: int) -> list[tuple[int, int]] | None:
        m = self._search(text, pos)
        if m is None:
            return None
        return [m.span(i) for i in range(self._rx.groups + 1)]

    def _all_matches(self, text: bytes, n: int) -> list[list[tuple[int, int]]]:
        """`Regexp.allMatches`: an empty match right after the previous match is skipped."""
        if n < 0:
            n = len(text) + 1
        found: list[list[tuple[int, int]]] = []
        pos, prev_end = 0, -1
        while len(found) < n and pos <= len(text):
            _bounded(len(found), 32 * len(found), "the matches of a regexp")
            spans = self._spans(text, pos)
            if spans is None:
                break
            start, end = spans[0]
            accept = True
            if end == pos:
                accept = start != prev_end
                width = _rune_width(text, pos)
                pos = pos + width if width else len(text) + 1
            else:
                pos = end
            prev_end = end
            if accept:
                found.append(spans)
        return found

    # -- Go's API ---------------------------------------------------------------------------------

    def match_string(self, s: str) -> bool:
        return self._search(_encode(s)) is not None

    def find_string(self, s: str) -> str:
        text = _encode(s)
        m = self._search(text)
        return "" if m is None else _decode(text[m.start():m.end()])

    def find_all_string(self, s: str, n: int) -> list[str] | None:
        """`FindAllString`: nil (None) when nothing matched."""
        text = _encode(s)
        found = [_decode(text[sp[0][0]:sp[0][1]]) for sp in self._all_matches(text, n)]
        return found or None

    def replace_all_string(self, s: str, template: str) -> str:
        """`ReplaceAllString`: `$1`, `${1}`, `$name`, `${name}` expand; `$$` is a `$`."""
        text = _encode(s)
        tmpl = _encode(template)
        return self._replace_all(text, lambda out, spans: self._expand(out, tmpl, text, spans))

    def replace_all_literal_string(self, s: str, repl: str) -> str:
        literal = _encode(repl)
        return self._replace_all(_encode(s), lambda out, spans: out.extend(literal))

    def split(self, s: str, n: int) -> list[str] | None:
        """`Regexp.Split`: at most `n` substrings (all for n < 0), nil for n == 0."""
        if n == 0:
            return None
        if self.pattern and not s:
            return [""]
        text = _encode(s)
        parts: list[str] = []
        beg = end = 0
        for spans in self._all_matches(text, n):
            if n > 0 and len(parts) >= n - 1:
                break
            end = spans[0][0]
            if spans[0][1] != 0:
                parts.append(_decode(text[beg:end]))
            beg = spans[0][1]
        if end != len(text):
            parts.append(_decode(text[beg:]))
        return parts

    # -- replacement ------------------------------------------------------------------------------

    def _replace_all(self, text: bytes, replace) -> str:  # type: ignore[no-untyped-def]
        """`Regexp.replaceAll`: no replacement for an empty match right after a match."""
        out = bytearray()
        last_end = search = 0
        iterations = 0
        while search <= len(text):
            _bounded(iterations, len(out), "the result of a regexp replacement")
            iterations += 1
            spans = self._spans(text, search)
            if spans is None:
                break
            start, end = spans[0]
            out.extend(text[last_end:start])
            if end > last_end or start == 0:
                replace(out, spans)
            last_end = end
            width = _rune_width(text, search)
            if search + width > end:
                search += width
            elif search + 1 > end:
                search += 1
            else:
                search = end
        out.extend(text[last_end:])
        return _decode(bytes(out))

    def _expand(self, out: bytearray, template: bytes, text: bytes, spans: list[tuple[int, int]]) -> None:
        """`Regexp.expand`: a malformed `$` reference stays literal; unknown groups expand to nothing."""
        while template:
            before, dollar, after = template.partition(b"$")
            if not dollar:
                break
            out.extend(before)
            template = after
            if template[:1] == b"$":
                out.extend(b"$")
                template = template[1:]
                continue
            ref = _extract(template)
            if ref is None:
                out.extend(b"$")
                continue
            name, num, template = ref
            if num >= 0:
                indexes = [num]
            else:   # the first group of that name that took part in the match
                indexes = [i for i, group_name in enumerate(self._names) if group_name == name]
            for index in indexes:
                if index < len(spans) and spans[index][0] >= 0:
                    out.extend(text[spans[index][0]:spans[index][1]])
                    break
        out.extend(template)


def _bounded(iteration: int, size: int, what: str) -> None:
    """Every match is a step of the evaluation's budget; the output so far must fit its bounds."""
    limits.step()
    if iteration % 1024 == 1023:
        limits.reserve(size, what)


def _extract(template: bytes) -> tuple[str, int, bytes] | None:
    """`regexp.extract`: the group name (or number) after a `$`, and the rest of the template."""
    if not template:
        return None
    brace = template[:1] == b"{"
    rest = _decode(template[1:] if brace else template)
    i = 0
    while i < len(rest) and _is_name_rune(rest[i]):
        i += 1
    if i == 0:
        return None
    name = rest[:i]
    if brace:
        if rest[i:i + 1] != "}":
            return None
        i += 1
    num = int(name) if name.isascii() and name.isdigit() and len(name) <= 9 else -1
    if name[0] == "0" and len(name) > 1:
        num = -1   # Go disallows leading zeros
    return name, num, _encode(rest[i:])


def _is_name_rune(c: str) -> bool:
    # Go: unicode.IsLetter || unicode.IsDigit || '_'
    category = unicodedata.category(c)
    return c == "_" or category.startswith("L") or category == "Nd"


def _rune_width(text: bytes, pos: int) -> int:
    """Bytes of the UTF-8 sequence starting at `pos` (0 at the end), like `utf8.DecodeRune`."""
    if pos >= len(text):
        return 0
    lead = text[pos]
    width = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return min(width, len(text) - pos)


def _encode(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


def _decode(b: bytes) -> str:
    return b.decode("utf-8", "surrogatepass")


def _error_text(exc: re2.error) -> str:
    message = exc.args[0] if exc.args else ""
    # the bindings pass RE2's message through as bytes
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


@lru_cache(maxsize=512)
def compile_go(pattern: str) -> GoRegexp:
    """`regexp.Compile`: raises `RegexpError` with Go's message for a pattern Go rejects."""
    return GoRegexp(pattern)


def must_compile(pattern: str) -> GoRegexp:
    """`regexp.MustCompile`: its panic text, which expr-lang's VM returns as the evaluation error."""
    try:
        return compile_go(pattern)
    except RegexpError as exc:
        raise RegexpError(f"regexp: Compile({_quote(pattern)}): {exc}") from None


def _quote(s: str) -> str:
    """regexp.quote: backquoted when `strconv.CanBackquote`, else `strconv.Quote`."""
    if all(c == "\t" or (c >= " " and c not in "`\x7f\ufeff") for c in s):
        return f"`{s}`"
    return go_quote(s)


_META = frozenset("\\.+*?()|[]{}^$")


def quote_meta(s: str) -> str:
    """`regexp.QuoteMeta`."""
    return "".join("\\" + c if c in _META else c for c in s)
