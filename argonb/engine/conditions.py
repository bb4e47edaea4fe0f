"""Whether a step or DAG task runs: its `when` (ARGO-SEMANTICS §2.3, §3.2; govaluate) evaluated in one
place for both steps.py and dag.py (the task's `depends` is engine/depends.py, DAG only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argonb.engine.model import NodePhase
from argonb.expr.errors import WhenError


@dataclass(frozen=True)
class Blocked:
    """The step/task does not run: Skipped when its `when` is false, Error when it cannot be evaluated."""

    phase: NodePhase
    message: str


def when_blocks(holder: dict[str, Any]) -> Blocked | None:
    """None when the step/task runs (no `when`, or it holds), else why it does not."""
    when = holder.get("when")
    if when in (None, ""):
        return None
    from argonb.expr.govaluate import evaluate_when  # on the first `when` only (import cost)

    try:
        proceed = evaluate_when(str(when))
    except WhenError as exc:
        return Blocked(NodePhase.ERROR, str(exc))
    if proceed:
        return None
    return Blocked(NodePhase.SKIPPED, f"when '{when}' evaluated false")
