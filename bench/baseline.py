"""Baseline: the least a Python program can do to run the same tasks — `subprocess.run(capture_output=True)` on
a ThreadPoolExecutor of P threads, with a dependency counter per task. No logs, no state, no files.

`python bench/baseline.py SHAPE P` prints one JSON line: {"inner_wall_s", "ok", "n"}; inner_wall_s excludes
interpreter start and imports (the harness measures process start to exit itself).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes  # noqa: E402


def run_task(tid: str) -> bool:
    r = subprocess.run(["sh", "-c", f"echo {tid}"], capture_output=True)
    return r.returncode == 0 and r.stdout.decode().strip() == tid


def run_dag(deps: dict[str, list[str]], p: int) -> int:
    """Ready tasks go to the pool; each completion comes back through a queue (O(1) per task: no
    `concurrent.futures.wait` over every outstanding future, which is O(N) per call, O(N^2) for a fan-out)."""
    waiting = {t: len(d) for t, d in deps.items()}
    dependents: dict[str, list[str]] = {t: [] for t in deps}
    for t, ds in deps.items():
        for d in ds:
            dependents[d].append(t)
    done: queue.SimpleQueue = queue.SimpleQueue()
    ok = 0
    with ThreadPoolExecutor(max_workers=p) as pool:

        def start(t: str) -> None:
            pool.submit(run_task, t).add_done_callback(lambda fut: done.put((t, fut)))

        outstanding = 0
        for t, n in waiting.items():
            if n == 0:
                start(t)
                outstanding += 1
        while outstanding:
            t, fut = done.get()
            outstanding -= 1
            ok += bool(fut.result())
            for c in dependents[t]:
                waiting[c] -= 1
                if waiting[c] == 0:
                    start(c)
                    outstanding += 1
    return ok


def main() -> None:
    shape, p = sys.argv[1], int(sys.argv[2])
    t0 = time.perf_counter()
    deps = shapes.dependencies(shape)
    ok = run_dag(deps, p)
    print(json.dumps({"inner_wall_s": time.perf_counter() - t0, "ok": ok, "n": len(deps)}), flush=True)


if __name__ == "__main__":
    main()
