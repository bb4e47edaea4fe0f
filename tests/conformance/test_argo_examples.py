"""Conformance: every runnable workflow of Argo's example corpus (CATALOG.tsv `local` = yes or partial) ends in
the phase the catalog expects (ARGO-SEMANTICS §14).

Needs ../shared/argo-examples (skipped without it: the project's own tests do not depend on it). All cases
run concurrently once per module (they mostly sleep), then each is reported as its own test; the pass rates
are printed. `exceptions.KNOWN_EXCEPTIONS` lists what cannot pass on this machine and why (docs/conformance.md).
"""

from __future__ import annotations

import pytest

from tests.conformance.corpus import LONG_RUNNING, cases, run_all
from tests.conformance.exceptions import KNOWN_EXCEPTIONS
from tests.shared import SKIP_REASON

CASES = [c for c in cases(("yes", "partial")) if c.id not in LONG_RUNNING]

pytestmark = [pytest.mark.conformance,
              pytest.mark.skipif(not CASES, reason=SKIP_REASON)]


@pytest.fixture(scope="module")
def outcomes():
    results = {o.case.id: o for o in run_all(CASES, workers=16)}
    for local in ("yes", "partial"):
        group = [o for o in results.values() if o.case.local == local]
        passed = sum(o.ok for o in group)
        print(f"\nconformance (local={local}): {passed}/{len(group)} = {100 * passed / max(1, len(group)):.1f}%")
    return results


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_example_ends_in_expected_phase(case, outcomes):
    outcome = outcomes[case.id]
    if not outcome.ok and case.id in KNOWN_EXCEPTIONS:
        pytest.xfail(KNOWN_EXCEPTIONS[case.id])
    assert outcome.phase == case.expected, f"{case.id}: {outcome.message}"
