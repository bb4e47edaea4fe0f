"""Run state as Argo models it: node phases, node types and the node record itself.

Phases and predicates follow ARGO-SEMANTICS §1.1 (`Completed`, `Fulfilled`, `FailedOrError`); node types §1.2.
Only the executor's run loop mutates `Node` objects; everyone else reads snapshots (`Node.to_status()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from argonb.engine.timefmt import rfc3339


class NodePhase(str, Enum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    SKIPPED = "Skipped"
    FAILED = "Failed"
    ERROR = "Error"
    OMITTED = "Omitted"

    @property
    def completed(self) -> bool:
        return self in (NodePhase.SUCCEEDED, NodePhase.FAILED, NodePhase.ERROR)

    @property
    def fulfilled(self) -> bool:
        return self.completed or self in (NodePhase.SKIPPED, NodePhase.OMITTED)

    @property
    def failed_or_error(self) -> bool:
        return self in (NodePhase.FAILED, NodePhase.ERROR)


class NodeType(str, Enum):
    POD = "Pod"
    CONTAINER = "Container"
    STEPS = "Steps"
    STEP_GROUP = "StepGroup"
    DAG = "DAG"
    TASK_GROUP = "TaskGroup"
    RETRY = "Retry"
    SKIPPED = "Skipped"
    SUSPEND = "Suspend"
    HTTP = "HTTP"
    PLUGIN = "Plugin"


@dataclass
class Node:
    """One entry of `status.nodes` (ARGO-SEMANTICS §1)."""

    id: str
    name: str
    display_name: str
    type: NodeType
    template_name: str = ""
    template_ref: dict[str, Any] | None = None  # set (and templateName empty) when called via templateRef
    phase: NodePhase = NodePhase.PENDING
    message: str = ""
    boundary_id: str = ""
    children: list[str] = field(default_factory=list)
    outbound_nodes: list[str] = field(default_factory=list)
    started_at: float | None = None
    finished_at: float | None = None
    outputs: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None
    pod_name: str = ""
    daemoned: bool = False
    hooked: bool = False  # created as an exit handler / lifecycle hook (Argo NodeFlag.Hooked)
    retried: bool = False  # an attempt under a Retry node (Argo NodeFlag.Retried)
    memoized: bool = False  # outputs came from the memoization cache
    reused: bool = False  # outputs reused from an earlier run (retry / edit-and-resume)
    detail: dict[str, Any] = field(default_factory=dict)  # argonb extras: command, when/depends evaluation...

    @property
    def fulfilled(self) -> bool:
        return self.phase.fulfilled or (self.daemoned and self.phase is not NodePhase.PENDING)

    @property
    def duration(self) -> float:
        if self.started_at is None:
            return 0.0
        import time

        end = self.finished_at if self.finished_at is not None else time.time()
        return max(0.0, end - self.started_at)

    def to_status(self) -> dict[str, Any]:
        """Argo-shaped node status (the values of `status.nodes`)."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "displayName": self.display_name,
            "type": self.type._value_,  # `.value` without the enum descriptor (hot: every snapshot)
            "templateName": self.template_name,
            "phase": self.phase._value_,
            "boundaryID": self.boundary_id,
        }
        if self.template_ref:
            out["templateRef"] = self.template_ref
        if self.message:
            out["message"] = self.message
        if self.children:
            out["children"] = list(self.children)
        if self.outbound_nodes:
            out["outboundNodes"] = list(self.outbound_nodes)
        if self.started_at is not None:
            out["startedAt"] = rfc3339(self.started_at)
        out["finishedAt"] = rfc3339(self.finished_at) if self.finished_at is not None else None
        if self.inputs:
            out["inputs"] = self.inputs
        if self.outputs:
            out["outputs"] = self.outputs
        if self.daemoned:
            out["daemoned"] = True
        if self.hooked or self.retried:
            out["nodeFlag"] = {k: True for k, v in (("hooked", self.hooked), ("retried", self.retried)) if v}
        if self.detail.get("memoize"):
            out["memoizationStatus"] = self.detail["memoize"]
        if self.pod_name and self.type is NodeType.POD:
            out["podName"] = self.pod_name
        return out
