"""Loop expansion: `withItems`, `withParam`, `withSequence` (ARGO-SEMANTICS §6.1-§6.3) and node names (§1.4)."""

from __future__ import annotations

import json
from typing import Any

from argonb.engine.naming import item_text
from argonb.errors import ArgonbError
from argonb.expr.gosprintf import sprintf_int

MAX_SEQUENCE_ITEMS = 1_000_000
MAX_SEQUENCE_TEXT = 64 << 20  # characters of all items together


class LoopError(ArgonbError):
    pass


def is_loop(holder: dict[str, Any]) -> bool:
    return any(holder.get(k) is not None for k in ("withItems", "withParam", "withSequence"))


def loop_items(holder: dict[str, Any]) -> list[Any]:
    """The items of an already-substituted step or task."""
    if holder.get("withItems") is not None:
        items = holder["withItems"]
        if not isinstance(items, list):
            raise LoopError(f"withItems must be a list, got {type(items).__name__}")
        return items
    if holder.get("withParam") is not None:
        return parse_with_param(holder["withParam"])
    return expand_sequence(holder["withSequence"] or {})


def parse_with_param(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    text = str(value)
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise LoopError(f"withParam value could not be parsed as a JSON list: {text.strip()}: {exc}") from None
    if not isinstance(items, list):
        raise LoopError(f"withParam value could not be parsed as a JSON list: {text.strip()}")
    return items


def expand_sequence(seq: dict[str, Any]) -> list[str]:
    """§6.3: inclusive bounds, counting down when end < start, Go-style format, string items."""
    try:
        start = int(str(seq.get("start", 0) or 0))
        if seq.get("end") is not None:
            end = int(str(seq["end"]))
        elif seq.get("count") is not None:
            count = int(str(seq["count"]))
            if count == 0:
                return []
            end = start + count - 1
        else:
            raise LoopError("neither end nor count was specified in withSequence")
    except ValueError as exc:
        raise LoopError(f"withSequence: {exc}") from None
    if abs(end - start) >= MAX_SEQUENCE_ITEMS:  # a typo like `count: 1000000000000` must fail, not eat memory
        raise LoopError(f"withSequence would expand to {abs(end - start) + 1} items; argonb expands at most "
                        f"{MAX_SEQUENCE_ITEMS}")
    fmt = str(seq.get("format") or "%d")
    step = 1 if start <= end else -1
    items, size = [], 0
    for i in range(start, end + step, step):
        items.append(_sequence_item(fmt, i))
        size += len(items[-1])
        if size > MAX_SEQUENCE_TEXT:  # wide formats times many items: bounded like the item count
            raise LoopError(f"withSequence items would take more than {MAX_SEQUENCE_TEXT} characters")
    return items


def _sequence_item(fmt: str, i: int) -> str:
    """Argo's item: `wfv1.ParseItem("\"" + fmt.Sprintf(format, i) + "\"")`, so the text is read as a JSON string
    (escapes are decoded; a quote or a control character makes the loop fail)."""
    try:
        text = sprintf_int(fmt, i)
    except OverflowError as exc:
        raise LoopError(f"withSequence: format {fmt[:80]!r}: {exc}") from None
    try:
        return json.loads(f'"{text}"')
    except ValueError as exc:
        raise LoopError(f"withSequence: format {fmt!r} gives {text!r}, which is not a valid JSON string: "
                        f"{exc}") from None


def item_variables(item: Any) -> dict[str, str]:
    """`{{item}}` and, for map items, `{{item.<key>}}` (§6.1)."""
    out = {"item": item_text(item)}
    if isinstance(item, dict):
        for key, value in item.items():
            out[f"item.{key}"] = item_text(value)
    return out
