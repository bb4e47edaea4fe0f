"""Node names, IDs, pod names and display names exactly as Argo derives them (ARGO-SEMANTICS §1.4, §1.5)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

_DISPLAY_PREFIX = re.compile(r"^(\[\d+\])?\.")


@functools.lru_cache(maxsize=1 << 16)  # every node name is hashed for its ID and its pod name
def fnv32a(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def node_id(workflow_name: str, node_name: str) -> str:
    """`(*Workflow).NodeID`: the workflow name for the root, else `<wf>-<fnv32a(name)>`."""
    if node_name == workflow_name:
        return workflow_name
    return f"{workflow_name}-{fnv32a(node_name)}"


def pod_name(workflow_name: str, node_name: str, template_name: str) -> str:
    """v2 pod names (`workflow/util/pod_name.go`): `<wf>-<template>-<fnv32a(node name)>`."""
    if node_name == workflow_name:
        return workflow_name
    prefix = f"{workflow_name}-{template_name}" if template_name else workflow_name
    prefix = prefix[:242]  # maxPrefixLength (253 - 10) - 1
    return f"{prefix}-{fnv32a(node_name)}"


def display_name(node_name: str, boundary_name: str | None) -> str:
    """Node name minus the boundary node's name, then a leading `[i].` or `.` stripped (§1.4)."""
    if boundary_name and node_name.startswith(boundary_name):
        rest = node_name[len(boundary_name):]
        rest = _DISPLAY_PREFIX.sub("", rest, count=1)
        return rest or node_name
    return node_name


def go_fmt(value: Any) -> str:
    """Go's `fmt.Sprint` of a JSON-decoded value (used in loop node names)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(go_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_fmt(value[k])}" for k in sorted(value)) + "]"
    if value is None:
        return "<nil>"
    return str(value)


def item_text(value: Any) -> str:
    """`{{item}}` / `{{item.key}}` text for a loop item (§6.1)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loop_node_name(name: str, index: int, item: Any) -> str:
    """`generateNodeName`: `name(i:desc)` with parentheses removed from the description (§1.4)."""
    if isinstance(item, dict):
        desc = ",".join(sorted(f"{k}:{go_fmt(v)}" for k, v in item.items()))
    elif isinstance(item, str):
        desc = item
    elif isinstance(item, (bool, int, float)):
        desc = item_text(item)
    else:
        desc = go_fmt(item)
    desc = desc.replace("(", "").replace(")", "")
    return f"{name}({index}:{desc})"
