"""Parity: the same workflows on the local and docker backends give the same node phases, messages and outputs.

The corpus is the small workflows in tests/docker/corpus/ plus Argo's examples from ../shared/argo-examples that
run locally (CATALOG.tsv `local=yes`) with busybox/alpine/python/argosay images, which the offline engine serves
(tests/docker/engine.sh). Workflows with random outputs are compared on phases only, or on the workflow phase
when randomness changes which nodes exist. All comparisons run concurrently; each test waits for its own.
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.docker.conftest import argonb_containers
from tests.docker.parity import FULL, PHASES, WORKFLOW, compare

HERE = Path(__file__).parent
OWN = sorted((HERE / "corpus").glob("*.yaml"))

# Argo's examples (relative to shared/argo-examples) and how much of them is deterministic.
SHARED: dict[str, str] = {
    "hello-world.yaml": FULL,
    "arguments-parameters.yaml": FULL,
    "artifact-passing.yaml": FULL,
    "artifact-passing-subpath.yaml": FULL,
    "artifact-path-placeholders.yaml": FULL,
    "artifact-disable-archive.yaml": PHASES,  # archives /etc: the image's on docker, the host's on local
    "continue-on-fail.yaml": FULL,
    "dag-diamond.yaml": FULL,
    "dag-diamond-steps.yaml": FULL,
    "dag-multiroot.yaml": FULL,
    "dag-targets.yaml": FULL,
    "dag-enhanced-depends.yaml": FULL,
    "dag-continue-on-fail.yaml": FULL,
    "dag-nested.yaml": FULL,
    "exit-code-output-variable.yaml": FULL,
    "exit-handler-step-level.yaml": FULL,
    "exit-handler-with-param.yaml": FULL,
    "exit-handler-with-artifacts.yaml": FULL,
    "expression-destructure-json.yaml": FULL,
    "expression-reusing-verbose-snippets.yaml": FULL,
    "global-outputs.yaml": FULL,
    "global-parameters.yaml": FULL,
    "input-artifact-raw.yaml": FULL,
    "loops.yaml": FULL,
    "loops-sequence.yaml": FULL,
    "output-parameter.yaml": FULL,
    "parameter-aggregation.yaml": FULL,
    "parameter-aggregation-dag.yaml": FULL,
    "parameter-aggregation-script.yaml": FULL,
    "status-reference.yaml": FULL,
    "steps.yaml": FULL,
    "timeouts-step.yaml": FULL,
    "exit-handlers.yaml": PHASES,  # its result holds the workflow duration
    "scripts-bash.yaml": PHASES,  # $RANDOM
    "scripts-python.yaml": PHASES,  # random.randint
    "coinflip.yaml": WORKFLOW,  # the coin decides which nodes run
    "retry-container.yaml": WORKFLOW,  # random exit codes decide the number of retries
    "functional/tty.yaml": FULL,
    "functional/artifact-input-output-samedir.yaml": FULL,
    "functional/conditionals.yaml": FULL,
    "functional/dag-depends.yaml": FULL,
    "functional/global-outputs-dag.yaml": FULL,
    "functional/missing-steps.yaml": FULL,
    "functional/nested-dag-outputs.yaml": FULL,
    "functional/output-input-artifact-optional.yaml": FULL,
    "functional/output-param-different-uid.yaml": FULL,
    "functional/param-aggregation.yaml": FULL,
    "functional/retry-with-artifacts.yaml": FULL,
}


def _shared_cases() -> list[tuple[str, Path, str]]:
    from tests.shared import shared_dir

    root = shared_dir()
    if root is None:
        return []
    base = root / "argo-examples"
    return [(f"argo/{rel}", base / rel, mode) for rel, mode in SHARED.items() if (base / rel).exists()]


CASES = [(f"own/{p.name}", p, FULL) for p in OWN] + _shared_cases()
RANDOM_TRIES = 3  # WORKFLOW-mode cases end at random (retry-container.yaml fails ~1 % of runs, on either side)


def _compare(path: Path, mode: str, home: Path, reg: object) -> tuple[list[str], dict]:
    """`compare`, tried again (up to RANDOM_TRIES) only where the workflow's own outcome is random, as the
    conformance runner does for its flaky cases: two honest runs may end differently by chance."""
    tries = RANDOM_TRIES if mode == WORKFLOW else 1
    for attempt in range(tries):
        diffs, summary = compare(path, mode, home / f"try{attempt}", reg)
        if not diffs:
            break
    return diffs, summary
WORKERS = int(os.environ.get("ARGONB_PARITY_WORKERS", "6"))

pytestmark = pytest.mark.docker_concurrent


@pytest.fixture(scope="module")
def parity_runs(docker_client):
    """Start every comparison at once (a pool of WORKERS); tests wait for their own future."""
    from tests.conformance.corpus import registry

    reg = registry()
    home = Path(tempfile.mkdtemp(prefix="argonb-parity-"))
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="parity")
    futures: dict[str, Future] = {
        cid: pool.submit(_compare, path, mode, home / cid.replace("/", "_"), reg) for cid, path, mode in CASES
    }
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)
    deadline = time.time() + 5
    while argonb_containers(docker_client) and time.time() < deadline:
        time.sleep(0.1)
    assert not argonb_containers(docker_client), "parity runs left containers behind"


def test_corpus_size():
    assert len(OWN) >= 20
    assert len(CASES) >= 30 or not _shared_cases()


@pytest.mark.parametrize("case_id", [c[0] for c in CASES])
def test_same_on_local_and_docker(parity_runs, case_id):
    diffs, docker_summary = parity_runs[case_id].result(timeout=280)
    assert docker_summary["done"], f"{case_id}: the docker run did not finish"
    assert not diffs, f"{case_id}: local and docker differ:\n" + "\n".join(diffs[:20])
