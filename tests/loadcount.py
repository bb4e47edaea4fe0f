"""Counting parses and lints (issue 17): the two YAML parsers (`spec.fastparse.parse_fast`, `spec.source.parse`)
and the linter (`spec.validate.validate_documents`), wherever a module bound them (`from ... import` copies the
name), so a parse or lint anywhere on the way (session, CLI, run store, engine) is seen. Nested calls
(fastparse falling back to source.parse) count once.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import argonb.spec.fastparse
import argonb.spec.source
import argonb.spec.validate


def count_loads(monkeypatch: Any) -> Counter:
    """Calls of the parsers ("parse") and of the linter ("lint") from anywhere in argonb, from now on."""
    counter: Counter = Counter()
    depth = threading.local()

    def counted(kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            level = getattr(depth, kind, 0)
            if level == 0:
                counter[kind] += 1
            setattr(depth, kind, level + 1)
            try:
                return fn(*args, **kwargs)
            finally:
                setattr(depth, kind, level)

        return wrapper

    originals = {argonb.spec.fastparse.parse_fast: "parse", argonb.spec.source.parse: "parse",
                 argonb.spec.validate.validate_documents: "lint"}
    # keyed by identity: a module may hold callables that are not hashable (instances with __eq__)
    wrappers = {id(fn): counted(kind, fn) for fn, kind in originals.items()}
    for name, module in list(sys.modules.items()):
        if not name.startswith("argonb") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if callable(value) and id(value) in wrappers:
                monkeypatch.setattr(module, attr, wrappers[id(value)])
    return counter
