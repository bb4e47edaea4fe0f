"""Go formatting helpers that decide Argo's output text (JSON floats, %v, durations, layouts)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from argonb.expr.gofmt import go_format_float, go_json, go_quote, go_sprint
from argonb.expr.gotime import format_duration, format_time, parse_duration, parse_time


@pytest.mark.parametrize(("value", "json_text", "sprint"), [
    (3.0, "3", "3"), (0.5, "0.5", "0.5"), (1234567.0, "1234567", "1.234567e+06"), (1e21, "1e+21", "1e+21"),
    (1e-7, "1e-7", "1e-07"), (0.0001, "0.0001", "0.0001"), (-2.5, "-2.5", "-2.5"), (100.0, "100", "100"),
])
def test_go_float_formatting(value: float, json_text: str, sprint: str) -> None:
    assert go_json(value) == json_text
    assert go_format_float(value) == sprint


def test_go_json_sorted_keys_and_html_escape() -> None:
    assert go_json({"b": [1, 2.0, "<x>"], "a": None}) == '{"a":null,"b":[1,2,"\\u003cx\\u003e"]}'
    assert go_json({"a": []}, indent="  ") == '{\n  "a": []\n}'
    assert go_json("<", escape_html=False) == '"<"'


def test_go_sprint_and_quote() -> None:
    assert go_sprint([1, "a", {"k": 2.5}, None, True]) == "[1 a map[k:2.5] <nil> true]"
    assert go_quote('a"b\n\x01é') == '"a\\"b\\n\\x01é"'


@pytest.mark.parametrize(("text", "rendered"), [
    ("1h30m", "1h30m0s"), ("1.5s", "1.5s"), ("300ms", "300ms"), ("-2m3s", "-2m3s"), ("1us", "1µs"), ("0", "0s"),
])
def test_go_durations(text: str, rendered: str) -> None:
    assert format_duration(parse_duration(text).ns) == rendered


def test_go_time_layouts() -> None:
    t = datetime(2024, 3, 5, 14, 7, 9, 123456, tzinfo=timezone.utc)
    assert format_time(t, "2006-01-02T15:04:05Z07:00") == "2024-03-05T14:07:09Z"
    assert format_time(t, "Mon Jan _2 3:04PM 2006 .000") == "Tue Mar  5 2:07PM 2024 .123"
    assert format_time(t, "2006.999999999") == "2024.123456"
    assert parse_time("2006-01-02", "2024-03-05") == datetime(2024, 3, 5, tzinfo=timezone.utc)
    assert parse_time("2006-01-02T15:04:05Z07:00", "2024-03-05T10:00:00+02:00").hour == 10
    with pytest.raises(ValueError):
        parse_time("2006-01-02", "heads")
