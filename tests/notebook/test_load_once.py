"""Issue 17: a `%%workflow` cell is parsed and linted once, at the edge, and the run takes that loaded value.

Counted at the bottom: the two YAML parsers (`spec.fastparse.parse_fast`, `spec.source.parse`) and the linter
(`spec.validate.validate_documents`), wherever a module bound them (`from ... import` copies the name), so a
parse or lint anywhere on the way (session, run store, engine) is seen. Nested calls (fastparse falling back
to source.parse) count once.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from notebook_samples import TEMPLATE, USES_TEMPLATE

import argonb.spec.fastparse
import argonb.spec.source
import argonb.spec.validate

HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: counted-
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo counted"]
"""


@pytest.fixture
def counts(monkeypatch) -> Iterator[Counter]:
    """Calls of the parsers ("parse") and of the linter ("lint") from anywhere in argonb."""
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
    wrappers = {fn: counted(kind, fn) for fn, kind in originals.items()}
    for name, module in list(sys.modules.items()):
        if not name.startswith("argonb") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if callable(value) and value in wrappers:
                monkeypatch.setattr(module, attr, wrappers[value])
    yield counter


def test_issue17_a_cell_is_parsed_and_linted_once(ip, counts):
    result = ip.run_cell("%%workflow --name counted --wait\n" + HELLO)
    assert result.success
    run = ip.user_ns["counted"]
    assert run.phase == "Succeeded"
    assert counts == Counter(parse=1, lint=1)


def test_issue17_a_cell_using_a_registered_template_is_parsed_and_linted_once(ip, session, counts):
    assert ip.run_cell("%%workflow\n" + TEMPLATE).success  # registers WorkflowTemplate lib for later cells
    assert ("WorkflowTemplate", "lib") in session.template_sources
    counts.clear()  # the registered template is lint context for the next cell, and not parsed again
    result = ip.run_cell("%%workflow --name uses --wait\n" + USES_TEMPLATE)
    assert result.success
    assert ip.user_ns["uses"].phase == "Succeeded"
    assert counts == Counter(parse=1, lint=1)
