"""argonb through the library API, in process: `argonb.run(text, home=...).wait()` (local backend, validation on,
as a user calls it). Imports happen before the clock starts.

`python bench/lib_runner.py YAML SHAPE HOME` prints one JSON line: {"inner_wall_s", "ok", "n", "phase"};
ok counts pods whose `outputs.result` is their task id (each id exactly once).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes  # noqa: E402

import argonb  # noqa: E402
import argonb.backends.local  # noqa: E402,F401  - imports excluded from the timing: the API, the linter,
import argonb.engine.api  # noqa: E402,F401      the local backend and every executor module
import argonb.engine.execute  # noqa: E402,F401  - imports dag, steps, pod, suspend, httpcall, containerset
import argonb.spec.lint  # noqa: E402,F401


def verify(nodes: dict, expected: list[str]) -> int:
    pods = [n for n in nodes.values() if n.get("type") == "Pod"]
    got = Counter(str((n.get("outputs") or {}).get("result")) for n in pods if n.get("phase") == "Succeeded")
    want = Counter(expected)
    ok = sum(min(got[k], c) for k, c in want.items())
    if ok < len(expected):  # say which (stderr is kept in the raw results)
        wrong = [(n.get("name"), n.get("phase"), (n.get("outputs") or {}).get("result"), n.get("message"))
                 for n in pods if str((n.get("outputs") or {}).get("result")) not in want
                 or n.get("phase") != "Succeeded"]
        print(f"{len(pods)} pods; unexpected: {wrong[:5]}; missing ids: {list((want - got).elements())[:5]}",
              file=sys.stderr)
    return ok


def main() -> None:
    path, shape, home = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path) as f:
        text = f.read()
    t0 = time.perf_counter()
    run = argonb.run(text, home=home).wait()
    wall = time.perf_counter() - t0
    expected = shapes.expected_ids(shape)
    print(json.dumps({"inner_wall_s": wall, "ok": verify(run.nodes, expected), "n": len(expected),
                      "phase": run.phase}), flush=True)


if __name__ == "__main__":
    main()
