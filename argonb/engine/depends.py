"""`depends` / `dependencies` logic (ARGO-SEMANTICS §3.1, workflow/common/ancestry.go).

`dependencies: [A]` and bare names in `depends` expand to `(A.Succeeded || A.Skipped || A.Daemoned)` plus
`A.Errored` / `A.Failed` when task A has `continueOn.error` / `continueOn.failed`. Evaluation replaces every
`-` with `_` in names and expression and uses expr-lang.
"""

from __future__ import annotations

import re
from typing import Any

from argonb.engine.model import Node, NodePhase, NodeType

_TASK_TOKEN = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*?\.[A-Z][a-zA-Z]+)|([a-zA-Z0-9][-a-zA-Z0-9]*)")


def expand_dependency(dep: str, dep_task: dict[str, Any] | None) -> str:
    parts = [f"{dep}.Succeeded", f"{dep}.Skipped", f"{dep}.Daemoned"]
    cont = (dep_task or {}).get("continueOn") or {}
    if cont.get("error"):
        parts.append(f"{dep}.Errored")
    if cont.get("failed"):
        parts.append(f"{dep}.Failed")
    return "(" + " || ".join(parts) + ")"


def task_dependencies(task: dict[str, Any], tasks: dict[str, dict[str, Any]]) -> tuple[list[str], str]:
    """(dependency names in first-seen order, expanded depends logic or '' when there are none)."""
    if task.get("depends"):
        logic = str(task["depends"])
    elif task.get("dependencies"):
        logic = " && ".join(expand_dependency(d, tasks.get(d)) for d in task["dependencies"])
    else:
        return [], ""
    deps: list[str] = []
    expansions: list[tuple[int, int, str]] = []
    for m in _TASK_TOKEN.finditer(logic):
        if m.group(1):
            name = m.group(1).split(".")[0]
        else:
            name = m.group(2)
            expansions.append((m.start(2), m.end(2), name))
        if name not in deps:
            deps.append(name)
    for start, end, name in sorted(expansions, reverse=True):
        logic = logic[:start] + expand_dependency(name, tasks.get(name)) + logic[end:]
    return deps, logic


def task_results(node: Node, children: list[Node]) -> dict[str, bool]:
    any_ok = all_failed = False
    if node.type is NodeType.TASK_GROUP:
        all_failed = bool(children)
        for child in children:
            any_ok = any_ok or child.phase is NodePhase.SUCCEEDED
            all_failed = all_failed and child.phase is NodePhase.FAILED
    return {
        "Succeeded": node.phase is NodePhase.SUCCEEDED,
        "Failed": node.phase is NodePhase.FAILED,
        "Errored": node.phase is NodePhase.ERROR,
        "Skipped": node.phase is NodePhase.SKIPPED,
        "Omitted": node.phase is NodePhase.OMITTED,
        "Daemoned": node.daemoned and node.phase is not NodePhase.PENDING,
        "AnySucceeded": any_ok,
        "AllFailed": all_failed,
    }


def evaluate_depends(logic: str, results: dict[str, dict[str, bool]]) -> bool:
    from argonb.expr.exprlang import evaluate

    env = {name.replace("-", "_"): value for name, value in results.items()}
    expression = logic.replace("-", "_")
    try:
        value = evaluate(expression, env)
    except ValueError as exc:
        raise ValueError(f"unable to evaluate expression '{expression}': {exc}") from None
    if not isinstance(value, bool):
        raise ValueError(f"unable to evaluate expression '{expression}': expected bool, got {value!r}")
    return value
