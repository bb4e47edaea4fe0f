"""Issue 17: a `%%workflow` cell is parsed and linted once, at the edge, and the run takes that loaded value.

Counted by tests/loadcount.py: both YAML parsers and the linter, wherever a module bound them.
"""

from __future__ import annotations

from collections import Counter

import pytest
from notebook_samples import TEMPLATE, USES_TEMPLATE

from tests.loadcount import count_loads

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
def counts(monkeypatch) -> Counter:
    return count_loads(monkeypatch)


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
