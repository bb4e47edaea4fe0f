"""Go's `fmt.Sprintf(format, n)` for one integer argument: what Argo does with `withSequence.format` (§6.3).

Owns: `sprintf_int(format, n)`. Any format gives a string, as in Go: a verb with no argument left prints
`%!s(MISSING)`, a verb that does not apply to integers `%!f(int=5)`, an unused argument `%!(EXTRA int=5)`, a
lone `%` at the end `%!(NOVERB)` (Go's fmt/print.go `doPrintf`, fmt/format.go `fmtInteger`). Unlike Go, the
padding is bounded (`max_length`): `%9999999d` would make a 10 MB item, a thousand of them 10 GB.
Imports: stdlib.
"""

from __future__ import annotations

from dataclasses import dataclass

_FLAGS = "+-# 0"
_INTEGER_VERBS = "vdboOxXcqU"
_MAX_WIDTH = 1_000_000  # Go's fmt refuses wider fields (tooLarge) with %!(BADWIDTH) / %!(BADPREC)


@dataclass
class _Spec:
    flags: str = ""
    width: int | None = None
    precision: int | None = None

    @property
    def zero(self) -> bool:  # Go allows zero padding only on the left
        return "0" in self.flags and "-" not in self.flags


class _Printf:
    """Go's `pp.doPrintf` with the argument list `[n]`."""

    def __init__(self, fmt: str, n: int, max_length: int):
        self.fmt, self.n, self.end, self.max_length = fmt, n, len(fmt), max_length
        self.arg = 0  # index of the next argument: 0, or 1 once the only one is used
        self.reordered = False
        self.good_index = True

    def run(self) -> str:
        fmt, end, out = self.fmt, self.end, []
        i = length = 0  # length: an upper bound of the padding so far
        while i < end:
            pct = fmt.find("%", i)
            if pct < 0:
                out.append(fmt[i:])
                break
            out.append(fmt[i:pct])
            i = pct + 1
            spec = _Spec()
            self.good_index = True
            while i < end and fmt[i] in _FLAGS:
                spec.flags += fmt[i]
                i += 1
            i, after_index = self._index(i)
            if i < end and fmt[i] == "*":
                spec.width, ok = self._int_argument()
                i += 1
                if not ok:
                    out.append("%!(BADWIDTH)")
                if spec.width is not None and spec.width < 0:  # a negative `*` width means left-justify
                    spec.flags, spec.width = spec.flags + "-", -spec.width
                after_index = False
            else:
                spec.width, i = _number(fmt, i, end)
                if after_index and spec.width is not None:
                    self.good_index = False
            if i + 1 < end and fmt[i] == ".":
                i += 1
                if after_index:
                    self.good_index = False
                i, after_index = self._index(i)
                if i < end and fmt[i] == "*":
                    spec.precision, ok = self._int_argument()
                    i += 1
                    if spec.precision is not None and spec.precision < 0:
                        spec.precision, ok = None, False
                    if not ok:
                        out.append("%!(BADPREC)")
                    after_index = False
                else:
                    spec.precision, i = _number(fmt, i, end)
                    spec.precision = spec.precision or 0
            if not after_index:
                i, after_index = self._index(i)
            if i >= end:
                out.append("%!(NOVERB)")
                break
            verb = fmt[i]
            i += 1
            length += (spec.width or 0) + (spec.precision or 0)
            if length > self.max_length:  # `%9999999d` pads to 10 MB, as in Go: refuse before building it
                raise OverflowError(f"the formatted text would be longer than {self.max_length} characters")
            out.append(self._verb(verb, spec))
        if not self.reordered and self.arg == 0:
            out.append(f"%!(EXTRA int={self.n})")
        return "".join(out)

    def _index(self, i: int) -> tuple[int, bool]:
        """Go's `argNumber`: an explicit `[n]` at `i` selects the argument (only `[1]` exists here)."""
        fmt = self.fmt
        if i >= self.end or fmt[i] != "[":
            return i, False
        self.reordered = True
        close = fmt.find("]", i + 1) if self.end - i >= 3 else -1
        if close < 0:
            self.good_index = False
            return i + 1, False
        number, after = _number(fmt, i + 1, close)
        if number is None or after != close:
            self.good_index = False
            return close + 1, False
        if number == 1:
            self.arg = 0
            return close + 1, True
        self.good_index = False
        return close + 1, True

    def _int_argument(self) -> tuple[int | None, bool]:
        """Go's `intFromArg`: `*` takes the next argument as a width or precision."""
        if self.arg > 0:
            return None, False
        self.arg = 1
        if abs(self.n) > _MAX_WIDTH:
            return None, False
        return self.n, True

    def _verb(self, verb: str, spec: _Spec) -> str:
        if verb == "%":
            return "%"
        if not self.good_index:
            return f"%!{verb}(BADINDEX)"
        if self.arg > 0:
            return f"%!{verb}(MISSING)"
        self.arg = 1
        if verb == "v":  # %+v and %#v are flags of %v, not a sign or a prefix
            return _integer(self.n, "d", _Spec(spec.flags.replace("+", "").replace("#", ""), spec.width,
                                               spec.precision))
        if verb in _INTEGER_VERBS:
            return _integer(self.n, verb, spec)
        return f"%!{verb}(int={_integer(self.n, 'd', spec)})"  # Go's badVerb prints the value with %v


def sprintf_int(fmt: str, n: int, max_length: int = 1 << 20) -> str:
    """`fmt.Sprintf(fmt, n)`. Raises OverflowError if widths and precisions would pad past `max_length`."""
    return _Printf(fmt, n, max_length).run()


def _number(fmt: str, i: int, end: int) -> tuple[int | None, int]:
    """Go's `parsenum`: digits at `i` (None if none); an absurdly long number swallows the rest, as in Go."""
    value, start = 0, i
    while i < end and "0" <= fmt[i] <= "9":
        if value > _MAX_WIDTH:
            return None, end
        value = value * 10 + ord(fmt[i]) - 48
        i += 1
    return (value if i > start else None), i


def _integer(n: int, verb: str, spec: _Spec) -> str:
    if verb == "c":
        return _pad(_rune(n), spec, zero_ok=spec.zero)
    if verb == "q":
        return _pad(_quote_rune(n, ascii_only="+" in spec.flags), spec, zero_ok=spec.zero)
    if verb == "U":
        digits = f"{n if n >= 0 else n & 0xFFFFFFFFFFFFFFFF:X}".rjust(max(4, spec.precision or 0), "0")
        text = f"U+{digits}"
        if "#" in spec.flags and 0 <= n <= 0x10FFFF and _rune(n).isprintable():
            text += f" '{_rune(n)}'"
        return _pad(text, spec, zero_ok=False)
    base = {"b": 2, "o": 8, "O": 8, "x": 16, "X": 16}.get(verb, 10)
    width = spec.width or 0
    if spec.precision == 0 and n == 0:
        return " " * width  # Go prints nothing but the padding
    sign = "-" if n < 0 else "+" if "+" in spec.flags else " " if " " in spec.flags else ""
    digits = _digits(abs(n), base, upper=verb == "X")
    if spec.precision is not None:
        digits = digits.rjust(spec.precision, "0")
    elif spec.zero and spec.width is not None:
        digits = digits.rjust(width - len(sign), "0")  # Go pads the digits; a 0x prefix comes on top
    if "#" in spec.flags:
        digits = {"b": "0b", "x": "0x", "X": "0X"}.get(verb, "") + digits
        if base == 8 and not digits.startswith("0"):
            digits = "0" + digits
    if verb == "O":
        digits = "0o" + digits
    return _pad(sign + digits, spec, zero_ok=False)


def _digits(value: int, base: int, upper: bool) -> str:
    text = {2: f"{value:b}", 8: f"{value:o}", 10: str(value), 16: f"{value:X}" if upper else f"{value:x}"}[base]
    return text


def _pad(text: str, spec: _Spec, zero_ok: bool) -> str:
    width = spec.width or 0
    if len(text) >= width:
        return text
    return text.ljust(width) if "-" in spec.flags else text.rjust(width, "0" if zero_ok else " ")


def _rune(n: int) -> str:
    return chr(n) if 0 <= n <= 0x10FFFF and not 0xD800 <= n <= 0xDFFF else "\ufffd"


def _quote_rune(n: int, ascii_only: bool) -> str:
    """strconv.QuoteRune (QuoteRuneToASCII with `+`), for the runes a sequence index can be."""
    ch = _rune(n)
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
               "\\": "\\\\", "'": "\\'"}
    if ch in escapes:
        return f"'{escapes[ch]}'"
    if ch.isprintable() and not (ascii_only and ord(ch) >= 0x80):
        return f"'{ch}'"
    code = ord(ch)
    if code < 0x80:
        return f"'\\x{code:02x}'"
    return f"'\\u{code:04x}'" if code < 0x10000 else f"'\\U{code:08x}'"
