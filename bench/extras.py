"""Single measurements the harness runs in fresh processes (one JSON line each on stdout).

  python bench/extras.py lintplan YAML N HOME   parse + lint (validation) of YAML, and `argonb.run()` until all
                                                N pod nodes exist (the run's plan: every node created) with a
                                                backend whose pods never finish; then the run is terminated
  python bench/extras.py latency HOME          warm process: from `argonb.run()` returning to the first pod's
                                                process running (`date +%s.%N` inside the pod), median of 7
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time

import argonb
import argonb.engine.api as api
import argonb.spec.lint  # noqa: F401  - imports excluded from the timing
from argonb.engine.backend import PodResult
from argonb.engine.events import NodeUpdated


class Parked:
    """Pods that run until cancelled."""

    name = "parked"

    def check(self) -> None:
        return None

    def run(self, request, on_log, cancel):  # noqa: ANN001
        cancel.wait()
        return PodResult(exit_code=143, cancelled=True)


def lintplan(path: str, n: int, home: str) -> dict:
    with open(path) as f:
        text = f.read()
    t0 = time.perf_counter()
    docs = api.load_documents(text)
    api.validate(docs, [])
    lint_s = time.perf_counter() - t0

    seen: set[str] = set()
    all_created = threading.Event()

    def count(event) -> None:  # noqa: ANN001
        if isinstance(event, NodeUpdated) and event.node.get("type") == "Pod":
            seen.add(event.node_id)
            if len(seen) >= n:
                all_created.set()

    t0 = time.perf_counter()
    run = argonb.run(text, home=home, backend=Parked(), subscribers=[count])
    returned_s = time.perf_counter() - t0
    all_created.wait(120)
    plan_s = time.perf_counter() - t0
    run.terminate()
    run.wait(60)
    return {"lint_s": lint_s, "run_returned_s": returned_s, "lint_plan_s": plan_s, "pods": len(seen)}


SMALL = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: latency-
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: debian:12
        command: [date, "+%s.%N"]
"""


def latency(home: str) -> dict:
    argonb.run(SMALL, home=home).wait()  # warm: imports, stand-ins, first thread pool
    starts, returns = [], []
    for _ in range(7):
        t0 = time.time()
        run = argonb.run(SMALL, home=home)
        t1 = time.time()
        run.wait()
        pod = next(n for n in run.nodes.values() if n.get("type") == "Pod")
        started = float((pod.get("outputs") or {}).get("result") or "nan")
        starts.append(started - t1)
        returns.append(t1 - t0)
    return {"first_pod_after_return_ms": statistics.median(starts) * 1000,
            "run_call_ms": statistics.median(returns) * 1000,
            "samples_ms": [round(s * 1000, 2) for s in starts]}


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "lintplan":
        out = lintplan(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif what == "latency":
        out = latency(sys.argv[2])
    else:
        raise SystemExit(f"unknown measurement {what!r}")
    print(json.dumps(out), flush=True)
