"""Run Argo's example corpus (../shared/argo-examples) and compare each final phase with CATALOG.tsv.

Usable as a script: `python -m tests.conformance.corpus [--local yes,partial] [FILE...]` prints a report and
the pass rate. The pytest module `test_argo_examples.py` uses the same functions.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.shared import shared_dir

TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate", "ConfigMap")
RUN_TIMEOUT = float(os.environ.get("ARGONB_CONFORMANCE_TIMEOUT", "240"))

# Argo's signals e2e tests (test/e2e/signals_test.go) stop or terminate these once a pod runs.
ACTIONS = {
    "functional/stop-terminate.yaml": "terminate",
    "functional/stop-terminate-2.yaml": "stop",
    "functional/stop-terminate-daemon.yaml": "stop",
}
# Runnable, but too long for CI (they only wait): listed in docs/conformance.md.
LONG_RUNNING = {
    "forever.yaml": "counts to 1000 with 1 s sleeps (about 17 minutes)",
    "functional/workflow-exit-handler-sleep.yaml": "its exit handler sleeps 600 s",
    "synchronization-mutex-tmpl-level.yaml": "five 50 s steps serialised by a mutex (about 4 minutes)",
    "synchronization-db-mutex-tmpl-level.yaml": "five 50 s steps serialised by a mutex (about 4 minutes)",
}


@dataclass
class Case:
    file: Path
    local: str
    expected: str
    note: str
    flaky: bool = False  # Argo's own e2e labels it `no-test: flaky` (random outcome, e.g. random exit codes)

    @property
    def id(self) -> str:
        return f"{self.file.parent.name}/{self.file.name}" if self.file.parent.name == "functional" \
            else self.file.name


def cases(local: tuple[str, ...] = ("yes",)) -> list[Case]:
    root = shared_dir()
    if root is None:
        return []
    out = []
    for folder in (root / "argo-examples", root / "argo-examples" / "functional"):
        with open(folder / "CATALOG.tsv", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                if row["local"] in local and row["expected"] in ("Succeeded", "Failed", "Error"):
                    out.append(Case(folder / row["file"], row["local"], row["expected"], row["note"],
                                    flaky=row.get("no_test_label") == "flaky"))
    return out


def template_sources() -> list[Path]:
    """Every corpus file holding WorkflowTemplates, ClusterWorkflowTemplates or ConfigMaps (the 'cluster')."""
    root = shared_dir()
    if root is None:
        return []
    files = []
    for path in sorted((root / "argo-examples").rglob("*.yaml")):
        text = path.read_text(errors="replace")
        if any(f"kind: {k}" in text for k in TEMPLATE_KINDS):
            files.append(path)
    return files


def registry():  # type: ignore[no-untyped-def]
    from argonb.engine.api import template_documents
    from argonb.engine.workflow import Registry

    reg = Registry()
    for path in template_sources():
        try:
            docs = template_documents([path])
        except Exception:
            continue
        for doc in docs:
            if isinstance(doc.data, dict) and doc.kind in TEMPLATE_KINDS:
                reg.add_document(doc.data)
    return reg


@dataclass
class Outcome:
    case: Case
    phase: str
    message: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.phase == self.case.expected


def run_case(case: Case, reg, home: Path) -> Outcome:  # type: ignore[no-untyped-def]
    import argonb
    from argonb.errors import InvalidWorkflow

    start = time.time()
    try:
        # each case in its own namespace: their mutexes must not contend as they would on one cluster namespace
        handle = argonb.run(case.file, registry=reg, home=home, namespace=f"ns-{case.id.replace('/', '-')}")
    except InvalidWorkflow as exc:
        return Outcome(case, "Invalid", str(exc)[:300], time.time() - start)
    action = ACTIONS.get(case.id)
    if action:
        deadline = time.time() + 30
        while time.time() < deadline and not any(n.get("type") == "Pod" and n.get("phase") == "Running"
                                                 for n in handle.nodes.values()):
            handle.wait(0.05)
        handle.stop() if action == "stop" else handle.terminate()
    handle.wait(RUN_TIMEOUT)
    if not handle.done:
        handle.terminate()
        handle.wait(10)
        return Outcome(case, "Timeout", f"still {handle.phase} after {RUN_TIMEOUT}s", time.time() - start)
    return Outcome(case, handle.phase, handle.message, time.time() - start)


def run_all(selected: list[Case], workers: int = 12) -> list[Outcome]:
    reg = registry()
    home = Path(tempfile.mkdtemp(prefix="argonb-conformance-"))

    def run(case: Case) -> Outcome:
        outcome = run_case(case, reg, home)
        # a `flaky` example's outcome is random by design (e.g. 1 - (2/3)^11 per step): up to three tries
        for _ in range(2 if case.flaky else 0):
            if outcome.ok:
                break
            outcome = run_case(case, reg, home)
        return outcome

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, selected))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*")
    parser.add_argument("--local", default="yes")
    parser.add_argument("--workers", type=int, default=12)
    parser.add_argument("--include-long", action="store_true", help="also run the long-running examples")
    args = parser.parse_args(argv)
    selected = [c for c in cases(tuple(args.local.split(","))) if args.include_long or c.id not in LONG_RUNNING]
    if args.files:
        selected = [c for c in selected if c.file.name in args.files or c.id in args.files]
    outcomes = run_all(selected, args.workers)
    for o in sorted(outcomes, key=lambda o: (o.ok, o.case.id)):
        mark = "PASS" if o.ok else "FAIL"
        print(f"{mark} {o.case.id:60s} expected {o.case.expected:9s} got {o.phase:9s} {o.seconds:6.1f}s "
              f"{'' if o.ok else o.message[:150]}")
    passed = sum(o.ok for o in outcomes)
    print(f"\nconformance: {passed}/{len(outcomes)} = {100 * passed / max(1, len(outcomes)):.1f}%")
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
