"""No false alarms: Argo's own examples lint without errors (warnings are allowed when deserved).

The full corpus lives in ../shared/argo-examples (skipped when absent); a few copies live in fixtures/.
The only example Argo rejects is fun-with-gifs.yaml: `generateName` is indented under `labels`, so its
label value `fun-with-gifs-` is invalid (Kubernetes label values must end with an alphanumeric).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from argonb.errors import Severity
from argonb.spec.lint import lint_sources
from tests.shared import SKIP_REASON, argo_examples

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = argo_examples() or Path("/nonexistent/argo-examples")  # absent: the corpus tests skip
REJECTED = {"fun-with-gifs.yaml"}


def _errors_by_file(files: list[Path]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for diag in lint_sources(files):
        if diag.severity is Severity.ERROR and diag.span is not None:
            found.setdefault(Path(diag.span.file).name, []).append(diag.format())
    return found


def test_fixture_examples_lint_clean_together() -> None:
    errors = _errors_by_file(sorted(FIXTURES.glob("*.yaml")))
    assert set(errors) == REJECTED, errors
    assert any("ARG014" in e and ":15:19:" in e for e in errors["fun-with-gifs.yaml"])


@pytest.mark.conformance
@pytest.mark.skipif(not CORPUS.is_dir(), reason=SKIP_REASON)
def test_argo_example_corpus_has_no_false_alarms() -> None:
    """Every example + functional file, linted together (templateRef needs the other files)."""
    files = sorted(CORPUS.glob("*.yaml")) + sorted((CORPUS / "functional").glob("*.yaml"))
    assert len(files) > 300
    start = time.perf_counter()
    errors = _errors_by_file(files)
    elapsed = time.perf_counter() - start
    assert set(errors) == REJECTED, errors
    assert elapsed < 30
