"""Conformance: every `local=yes` workflow of Argo's example corpus ends in the phase CATALOG.tsv expects.

Needs ../shared/argo-examples (skipped without it: the project's own tests do not depend on it). All cases
run concurrently once per session (they mostly sleep), then each is reported as its own test; the pass rate
is printed at the end of the session. Exceptions are listed in docs/conformance.md.
"""

from __future__ import annotations

import pytest

from tests.conformance.corpus import LONG_RUNNING, cases, run_all

CASES = [c for c in cases(("yes",)) if c.id not in LONG_RUNNING]
# Where Argo's code and the catalog's inferred expectation disagree, argonb follows the code (docs/conformance.md).
KNOWN_DIFFERENCES = {
    "functional/output-input-artifact-optional.yaml": "a missing optional output artifact is not recorded "
                                                      "(executor saveArtifact), so a non-optional `from:` fails",
}

pytestmark = [pytest.mark.conformance,
              pytest.mark.skipif(not CASES, reason="../shared/argo-examples not available")]


@pytest.fixture(scope="module")
def outcomes():
    results = {o.case.id: o for o in run_all(CASES, workers=16)}
    passed = sum(o.ok for o in results.values())
    print(f"\nconformance (local=yes): {passed}/{len(results)} = {100 * passed / max(1, len(results)):.1f}%")
    return results


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_example_ends_in_expected_phase(case, outcomes):
    outcome = outcomes[case.id]
    if case.id in KNOWN_DIFFERENCES:
        pytest.xfail(KNOWN_DIFFERENCES[case.id])
    assert outcome.phase == case.expected, f"{case.id}: {outcome.message}"
