"""Retry and edit-and-resume: keep an earlier Succeeded leaf (or Retry) node whose template and inputs hash
the same, with its outputs, instead of running it again (`FormulateRetryWorkflow`)."""

from __future__ import annotations

from typing import Any

from argonb.engine.executor import Dispatcher, DoneExec, Exec, OnDone
from argonb.engine.model import Node, NodePhase, NodeType
from argonb.engine.timefmt import parse_rfc3339

REUSABLE_TYPES = ("Pod", "Retry", "Suspend", "HTTP")


def reuse_node(engine: Dispatcher, name: str, digest: str, boundary_id: str, on_done: OnDone,
               hooked: bool) -> Exec | None:
    """The earlier run's node `name` as a fulfilled Exec, or None when it must run again."""
    rt = engine.rt
    prev = rt.reuse.get(name[len(rt.name):])
    if not prev or prev.get("phase") != "Succeeded" or prev.get("type") not in REUSABLE_TYPES:
        return None
    if prev.get("templateHash") not in (None, digest):
        return None
    node = _reused_copy(engine, prev, boundary_id, hooked)
    if node.type is NodeType.RETRY:
        for child_name in prev.get("childNames") or []:
            child = rt.reuse.get(child_name)
            if child:
                rt.add_child(node, _reused_copy(engine, child, boundary_id, False))

    for param in (node.outputs or {}).get("parameters") or []:
        rt.add_global_output(param)
    for art in (node.outputs or {}).get("artifacts") or []:
        rt.add_global_artifact(art)
    return DoneExec(engine, on_done, node)


def _reused_copy(engine: Dispatcher, prev: dict[str, Any], boundary_id: str, hooked: bool) -> Node:
    rt = engine.rt
    node = rt.create_node(rt.name + prev["relativeName"], NodeType(prev["type"]),
                          template_name=prev.get("templateName", ""), boundary_id=boundary_id,
                          phase=NodePhase(prev["phase"]), message=prev.get("message", ""), hooked=hooked,
                          retried=bool((prev.get("nodeFlag") or {}).get("retried")), inputs=prev.get("inputs"),
                          publish=False)
    # Argo's retry keeps a succeeded node's status as it was, times included: it did not run again
    # (`FormulateRetryWorkflow` copies it); a memoized resubmit stamps it now (`FormulateResubmitWorkflow`).
    started, finished = parse_rfc3339(prev.get("startedAt")), parse_rfc3339(prev.get("finishedAt"))
    if started is not None and rt.reuse_keeps_times:
        node.started_at = started
        node.finished_at = finished if finished is not None else started
    node.outputs = prev.get("outputs")
    node.pod_name = prev.get("podName", "")
    node.reused = True
    node.detail["reusedFrom"] = rt.reuse_from
    rt.publish_node(node)
    return node
