"""A workflow from start to finish (ARGO-SEMANTICS §1.3, §8, §9): global variables, the entrypoint, the
workflow deadline, the exit handler and the final phase."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from argonb.engine.execute import Engine, Exec
from argonb.engine.model import NodePhase
from argonb.engine.runtime import Runtime
from argonb.engine.timefmt import rfc3339, utc
from argonb.rundir import RunDir

STRFTIME_CHARS = "aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ"


def workflow_globals(wf: dict[str, Any], uid: str, created: float) -> dict[str, Any]:
    """§4.2 global variables."""
    meta = wf["metadata"]
    spec = wf["spec"]
    out: dict[str, Any] = {
        "workflow.name": meta["name"],
        "workflow.namespace": meta.get("namespace") or "argo",
        "workflow.uid": uid,
        "workflow.mainEntrypoint": spec.get("entrypoint", ""),
        "workflow.serviceAccountName": spec.get("serviceAccountName", "default"),
        "workflow.creationTimestamp": rfc3339(created),
        "workflow.creationTimestamp.RFC3339": rfc3339(created),
        "workflow.creationTimestamp.s": str(int(created)),
        "workflow.status": "Running",
    }
    dt = utc(created)
    for ch in STRFTIME_CHARS:
        try:
            out[f"workflow.creationTimestamp.{ch}"] = dt.strftime(f"%{ch}")
        except ValueError:
            pass
    if spec.get("priority") is not None:
        out["workflow.priority"] = str(spec["priority"])
    params = ((spec.get("arguments") or {}).get("parameters")) or []
    for p in params:
        if p.get("value") is not None:
            out[f"workflow.parameters.{p['name']}"] = _text(p["value"])
    params_json = json.dumps(params, separators=(",", ":"))
    out["workflow.parameters"] = params_json
    out["workflow.parameters.json"] = params_json
    for kind in ("labels", "annotations"):
        values = meta.get(kind) or {}
        for k, v in values.items():
            out[f"workflow.{kind}.{k}"] = str(v)
        out[f"workflow.{kind}"] = json.dumps(values, separators=(",", ":"))
        out[f"workflow.{kind}.json"] = json.dumps(values, separators=(",", ":"))
    scheduled = (meta.get("annotations") or {}).get("workflows.argoproj.io/scheduled-time")
    if scheduled:
        out["workflow.scheduledTime"] = scheduled
    return out


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


class WorkflowLifecycle:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self.engine = Engine(rt)
        self.uid = str(uuid.uuid4())
        self.entry: Exec | None = None
        self.exit: Exec | None = None
        self.hooks: Any = None

    def begin(self) -> None:
        rt = self.rt
        rt.globals.update(workflow_globals(rt.workflow, self.uid, rt.started_at))
        deadline = rt.spec.get("activeDeadlineSeconds")
        if deadline is not None:
            rt.call_later(float(str(deadline)), self._deadline_reached)
        sync = rt.spec.get("synchronization")
        if sync:  # a workflow-level lock: the whole workflow waits Pending for it, and holds it to the end
            from argonb.engine.sync import LOCKS, SyncError, local_limits, lock_names

            try:
                names, warnings = lock_names(sync, rt.globals["workflow.namespace"], rt.registry.config_maps,
                                             local_limits(RunDir(rt.run_dir).home))
            except SyncError as exc:
                rt.finish_run("Error", str(exc))
                return
            for warning in warnings:
                rt.log_line(rt.name, "stderr", f"argonb: {warning}")
            rt.lock_holders.add(rt.name)
            rt.phase = "Pending"
            if not LOCKS.acquire(rt.name, names, lambda: rt.post(self._start_entry)):
                rt.message = f"Waiting for {', '.join(n for n, _ in names)} lock(s)"
                return
        self._start_entry()

    def _start_entry(self) -> None:
        rt = self.rt
        shutdown = rt.spec.get("shutdown")
        if shutdown in ("Stop", "Terminate") and not rt.stop_strategy:
            rt.stop_strategy = str(shutdown)  # `spec.shutdown` set at submission: nothing new starts
        if rt.spec.get("suspend") and not getattr(self, "_resumed", False):
            # `spec.suspend: true`: the workflow waits, Running, until `Run.resume()` / `argonb resume`
            rt.phase, rt.message = "Running", "workflow suspended (spec.suspend); resume to continue"
            rt.suspended[rt.name] = _WorkflowSuspension(self)
            return
        rt.phase, rt.message = "Running", ""
        holder = {"template": rt.spec.get("entrypoint", "")}
        self.entry = self.engine.execute(rt.name, holder, rt.context, rt.spec.get("arguments"), boundary_id="",
                                         on_done=self._entry_done, depth=1)
        from argonb.engine.hooks import HookWatch

        self.hooks = HookWatch(self.engine, rt.spec.get("hooks") or {}, self.entry.node, lambda: rt.globals,
                               rt.context, "", depth=1)

    def _entry_done(self, ex: Exec) -> None:
        rt = self.rt
        phase = workflow_phase(ex.node.phase)
        rt.globals["workflow.status"] = phase
        rt.globals["workflow.duration"] = f"{rt.clock() - rt.started_at:f}"
        rt.globals["workflow.failures"] = failures_text(rt)
        self.hooks.close(self._run_exit_handler)

    def _run_exit_handler(self) -> None:
        rt = self.rt
        hook = (rt.spec.get("hooks") or {}).get("exit") or (
            {"template": rt.spec["onExit"]} if rt.spec.get("onExit") else None)
        if hook and rt.stop_strategy != "Terminate":
            holder = {k: hook[k] for k in ("template", "templateRef") if hook.get(k)}
            self.exit = self.engine.execute(f"{rt.name}.onExit", holder, rt.context, hook.get("arguments"),
                                            boundary_id="", on_done=self._exit_done, hooked=True, depth=1)
            return
        self._finalize()

    def _exit_done(self, ex: Exec) -> None:
        self._finalize()

    def _finalize(self) -> None:
        rt = self.rt
        assert self.entry is not None
        node = self.entry.node
        phase = workflow_phase(node.phase)
        message = node.message
        if node.phase.failed_or_error and rt.stop_strategy:
            message = f"Stopped with strategy '{rt.stop_strategy}'"
        if phase == "Succeeded" and self.exit is not None and self.exit.node.phase.failed_or_error:
            phase = "Failed" if self.exit.node.phase is NodePhase.FAILED else "Error"
            message = self.exit.node.message
        if rt.deadline_hit and phase != "Succeeded":
            message = message or "Step exceeded its deadline"
        rt.finish_run(phase, message)

    def _deadline_reached(self) -> None:
        """§1.3: pods are killed by their own deadline; nodes not yet running fail here."""
        rt = self.rt
        rt.deadline_hit = True
        for ex in list(rt.suspended.values()):
            ex.resume({}, phase=NodePhase.FAILED, message="Step exceeded its deadline")

    def stop(self, strategy: str) -> None:
        """`Stop` (exit handlers run) or `Terminate` (they don't): cancel running work, start nothing new."""
        rt = self.rt
        if rt.stop_strategy:
            return
        rt.stop_strategy = strategy
        rt.cancel_pods()
        rt.pod_slots.drain()  # pods waiting for a `spec.parallelism` slot end with the stop message, unstarted
        for ex in list(rt.active_execs):
            ex.stop(strategy)
        for ex in list(rt.suspended.values()):
            ex.stop(strategy)


class _WorkflowSuspension:
    """Stands in the runtime's suspended table for a suspended workflow, so resume/stop reach it."""

    def __init__(self, lifecycle: WorkflowLifecycle):
        self.lifecycle = lifecycle
        self.node = type("WorkflowNode", (), {"id": lifecycle.rt.name, "name": lifecycle.rt.name,
                                              "display_name": lifecycle.rt.name})()

    def resume(self, supplied: dict[str, str], **_: object) -> None:
        rt = self.lifecycle.rt
        rt.suspended.pop(rt.name, None)
        self.lifecycle._resumed = True
        self.lifecycle._start_entry()

    def stop(self, strategy: str) -> None:
        rt = self.lifecycle.rt
        rt.suspended.pop(rt.name, None)
        rt.finish_run("Failed", f"Stopped with strategy '{strategy}'")


def workflow_phase(phase: NodePhase) -> str:
    if phase in (NodePhase.SUCCEEDED, NodePhase.SKIPPED, NodePhase.OMITTED):
        return "Succeeded"
    if phase in (NodePhase.FAILED, NodePhase.ERROR):
        return phase.value
    return phase.value


def failures_text(rt: Runtime) -> str:
    """`workflow.failures`: JSON of every Failed/Error node, wrapped like Go's strconv.Quote (§8)."""
    failures = []
    for node in rt.nodes.values():
        if node.phase.failed_or_error:
            failures.append({"displayName": node.display_name, "message": node.message,
                             "templateName": node.template_name, "phase": node.phase.value,
                             "podName": node.pod_name or node.name,
                             "finishedAt": rfc3339(node.finished_at or time.time())})
    text = json.dumps(failures if failures else None, separators=(",", ":"))
    return json.dumps(text)
