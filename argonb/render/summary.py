"""The figures of a run, counted as the Argo UI counts them: one pure function for every view of a run.

Owns: `summarize` -> `RunSummary` (phase counts, Argo's `progress` N/M, the real failures, the node whose log
to open, the nodes kept from an earlier run) and the helpers it is built from. The widget header, the static
snapshot, `%workflow list` and the CLI's final line all read these numbers, so they never disagree.

Counting rule (the Argo UI's node view): a Retry node is one node whose phase is its final outcome and its
attempts sit under it, so a retried task that failed twice and then succeeded is one Succeeded node, not two
failures and a success. Steps, DAG and step/task groups are structure, not work, and are not counted.
`progress` follows Argo's `workflow/progress/updater.go UpdateProgress`: every executable node (Pod, HTTP,
Plugin, Container, Suspend; attempts included) adds 0/1, or 1/1 once Succeeded, Skipped or Omitted.
Imports: stdlib, argonb.engine.progress (Argo's progress rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from argonb.engine.progress import COMPLETE_PHASES, EXECUTABLE_TYPES, progress  # noqa: F401  (re-exported)

Nodes = Mapping[str, dict[str, Any]]

STRUCTURE_TYPES = ("Steps", "DAG", "StepGroup", "TaskGroup")
FAILED_PHASES = ("Failed", "Error")
PHASE_ORDER = ("Running", "Pending", "Succeeded", "Failed", "Error", "Skipped", "Omitted")


@dataclass(frozen=True)
class RunSummary:
    counts: dict[str, int]  # counted nodes per phase, in PHASE_ORDER, zero counts left out
    progress: tuple[int, int]  # Argo's status.progress as (N, M)
    failures: list[str] = field(default_factory=list)  # ids of counted nodes that really failed, deepest first
    focus: str | None = None  # the node whose log to open: the newest running pod, else the deepest failure
    kept: list[str] = field(default_factory=list)  # ids of nodes kept from an earlier run (retry / --reuse)

    @property
    def progress_text(self) -> str:
        return f"{self.progress[0]}/{self.progress[1]}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def attempt_ids(nodes: Nodes) -> set[str]:
    """Ids of retry attempts: the children of Retry nodes (Argo draws them under their Retry node)."""
    return {str(c) for n in nodes.values() if n.get("type") == "Retry" for c in n.get("children") or ()}


def counted_nodes(nodes: Nodes) -> list[dict[str, Any]]:
    """The nodes the counts are made of: work nodes and Retry nodes, without the attempts under a Retry."""
    attempts = attempt_ids(nodes)
    return [n for n in nodes.values()
            if n.get("type") not in STRUCTURE_TYPES and str(n.get("id")) not in attempts]


def phase_counts(nodes: Nodes) -> dict[str, int]:
    counts = {p: 0 for p in PHASE_ORDER}
    for n in counted_nodes(nodes):
        phase = str(n.get("phase") or "Pending")
        counts[phase] = counts.get(phase, 0) + 1
    return {p: c for p, c in counts.items() if c}


def depths(nodes: Nodes) -> dict[str, int]:
    """Distance of each node from a root of the `children` tree (unreached nodes: 0)."""
    parents: dict[str, str] = {}
    for n in nodes.values():
        for child in n.get("children") or ():
            parents.setdefault(str(child), str(n.get("id")))
    out: dict[str, int] = {}
    for key in nodes:
        chain, cur = [], str(key)
        while cur in parents and cur not in out and len(chain) <= len(nodes):
            chain.append(cur)
            cur = parents[cur]
        base = out.get(cur, 0)
        for i, node_id in enumerate(reversed(chain), start=1):
            out[node_id] = base + i
        out.setdefault(str(key), base)
    return out


def log_node(nodes: Nodes, node_id: str) -> str:
    """The node whose log stands for `node_id`: itself, or a Retry node's last attempt."""
    node = nodes.get(node_id) or {}
    while node.get("type") == "Retry" and node.get("children"):
        node_id = str(node["children"][-1])
        node = nodes.get(node_id) or {}
    return node_id


def real_failures(nodes: Nodes) -> list[str]:
    """Failed or errored counted nodes (recovered attempts are not failures), deepest first, then earliest."""
    depth = depths(nodes)
    failed = [n for n in counted_nodes(nodes) if n.get("phase") in FAILED_PHASES]
    failed.sort(key=lambda n: (-depth.get(log_node(nodes, str(n["id"])), 0), n.get("finishedAt") or "~"))
    return [str(n["id"]) for n in failed]


def focus_node(nodes: Nodes, failures: list[str] | None = None) -> str | None:
    """The node whose log to show unasked: the newest running pod, else the deepest real failure's log,
    else the last work node."""
    pods = [n for n in nodes.values() if n.get("type") == "Pod"]
    running = [n for n in pods if n.get("phase") == "Running"]
    if running:
        return str(max(running, key=lambda n: n.get("startedAt") or "")["id"])
    failures = real_failures(nodes) if failures is None else failures
    if failures:
        return log_node(nodes, failures[0])
    work = pods or counted_nodes(nodes)
    return str(work[-1]["id"]) if work else None


def summarize(nodes: Nodes, kept: Mapping[str, str] | None = None) -> RunSummary:
    """Every figure of a run from its Argo-shaped nodes; `kept` maps node id -> the run it was kept from."""
    failures = real_failures(nodes)
    return RunSummary(counts=phase_counts(nodes), progress=progress(nodes), failures=failures,
                      focus=focus_node(nodes, failures), kept=[k for k in (kept or {}) if k in nodes])
