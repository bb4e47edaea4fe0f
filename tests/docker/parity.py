"""Run a workflow on the local and docker backends and compare what Argo users see: node phases, messages and
outputs (results, exit codes, parameters, artifact names). Timestamps, durations and IDs are ignored; both runs get
the same workflow name so node names and IDs line up.

Usable as a script to try candidate workflows: `python -m tests.docker.parity FILE...`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUN_TIMEOUT = 120.0

# How much of a run is compared: "full" (phases, messages, outputs), "phases" (node phases only: outputs are
# random, e.g. $RANDOM or python's random), "workflow" (the workflow phase only: random branches change the node
# set, e.g. coinflip).
FULL, PHASES, WORKFLOW = "full", "phases", "workflow"


def run_on(path: Path, backend: str, name: str, home: Path, registry: Any = None) -> Any:
    import argonb

    handle = argonb.run(path, backend=backend, name=name, home=home / backend, registry=registry)
    handle.wait(RUN_TIMEOUT)
    if not handle.done:
        handle.terminate()
        handle.wait(15)
    return handle


def summary(handle: Any, mode: str = FULL) -> dict[str, Any]:
    """The comparable view of a finished run."""
    out: dict[str, Any] = {"phase": handle.phase, "done": handle.done}
    if mode == WORKFLOW:
        return out
    nodes = {}
    for node in handle.nodes.values():
        entry: dict[str, Any] = {"type": node.get("type"), "phase": node.get("phase")}
        if mode == FULL:
            entry["message"] = node.get("message") or ""
            outputs = node.get("outputs") or {}
            entry["result"] = outputs.get("result")
            entry["exitCode"] = outputs.get("exitCode")
            entry["parameters"] = {p.get("name"): p.get("value") for p in outputs.get("parameters") or []}
            entry["artifacts"] = sorted(str(a.get("name")) for a in outputs.get("artifacts") or [])
        nodes[str(node.get("name"))] = entry
    out["nodes"] = nodes
    if mode == FULL:
        out["message"] = handle.message
        out["outputs"] = {k: v for k, v in handle.outputs.items() if k != "artifacts"} if isinstance(
            handle.outputs, dict) else handle.outputs
    return out


def differences(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    diffs = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key, "<absent>"), b.get(key, "<absent>")
        if isinstance(va, dict) and isinstance(vb, dict):
            diffs += differences(va, vb, f"{prefix}{key}.")
        elif va != vb:
            diffs.append(f"{prefix}{key}: local={va!r} docker={vb!r}")
    return diffs


def compare(path: Path, mode: str = FULL, home: Path | None = None, registry: Any = None) -> tuple[list[str], dict]:
    home = home or Path(tempfile.mkdtemp(prefix="argonb-parity-"))
    name = "parity-" + path.stem.replace("_", "-").lower()[:40].strip("-")
    local = run_on(path, "local", name, home, registry)
    docker = run_on(path, "docker", name, home, registry)
    sa, sb = summary(local, mode), summary(docker, mode)
    return differences(sa, sb), sb


def main(argv: list[str]) -> int:
    bad = 0
    for arg in argv:
        mode = FULL
        if ":" in arg:
            arg, mode = arg.rsplit(":", 1)
        start = time.time()
        try:
            diffs, s = compare(Path(arg), mode)
        except Exception as exc:  # a script: report and go on
            print(f"ERROR {arg}: {type(exc).__name__}: {exc}")
            bad += 1
            continue
        print(f"{'SAME' if not diffs else 'DIFF'} {arg} [{mode}] {s['phase']} {time.time() - start:.1f}s")
        for d in diffs[:8]:
            print("    " + d)
        bad += bool(diffs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
