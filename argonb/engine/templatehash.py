"""What "unchanged" means for edit-and-resume and retry: a content hash of a node's processed template (inputs
included) and its retry strategy, recorded with every node (`templateHash` in the event's extra)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def template_hash(tmpl: dict[str, Any], retry: Any) -> str:
    text = json.dumps([tmpl, retry], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class LazyTemplateHash:
    """`template_hash` computed on first use. A run that reuses nothing needs a node's hash only once the node
    is fulfilled (a later retry or resume reads it from the store); hashing every template when its node is
    created was a tenth of planning a 10,000-task DAG. The processed template is never changed afterwards."""

    __slots__ = ("_args", "_value")

    def __init__(self, tmpl: dict[str, Any], retry: Any):
        self._args: tuple[dict[str, Any], Any] | None = (tmpl, retry)
        self._value = ""

    def value(self) -> str:
        if self._args is not None:
            self._value = template_hash(*self._args)
            self._args = None
        return self._value

