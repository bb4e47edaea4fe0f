"""Template execution, the dispatcher: Argo's `executeTemplate` for the local engine (ARGO-SEMANTICS §0, §4.1,
§5).

`Engine.execute` resolves a template reference, applies `templateDefaults`, turns arguments into inputs,
wraps the template in a Retry node when it has a retry strategy, then hands it to the executor of its kind
(one module per kind: pod.py, containerset.py, steps.py, dag.py, suspend.py, httpcall.py). The executors' base
is executor.py; they import this module only for type checking, so there is no import circle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argonb.engine.containerset import ContainerSetExec
from argonb.engine.dag import DagExec
from argonb.engine.depth import MAX_DEPTH_MESSAGE, depth_exceeded
from argonb.engine.executor import (
    STOP_MESSAGE,
    DoneExec,
    Exec,
    OnDone,
    error_node,
    fulfilled_node,
    holder_template,
)
from argonb.engine.httpcall import HttpExec
from argonb.engine.locked import LockedExec
from argonb.engine.memoized import memoized
from argonb.engine.model import Node, NodePhase, NodeType
from argonb.engine.naming import pod_name
from argonb.engine.params import ArgumentError, process_args
from argonb.engine.pod import PodExec
from argonb.engine.retry import RetryExec
from argonb.engine.reuse import reuse_node
from argonb.engine.runtime import Runtime
from argonb.engine.steps import StepsExec
from argonb.engine.suspend import SuspendExec
from argonb.engine.templatehash import LazyTemplateHash, template_hash
from argonb.engine.unsupported import UNSUPPORTED
from argonb.engine.workflow import ResolveError, TemplateContext, merge_defaults
from argonb.expr.template import TemplateError
from argonb.spec.template_view import TemplateView

ExecFactory = Callable[..., Exec]
EXECUTORS: dict[str, ExecFactory] = {"container": PodExec, "script": PodExec, "containerSet": ContainerSetExec,
                                     "steps": StepsExec, "dag": DagExec, "suspend": SuspendExec, "http": HttpExec}

__all__ = ["STOP_MESSAGE", "DoneExec", "Engine", "Exec", "OnDone", "UNSUPPORTED"]


class Engine:
    """The dispatcher of one run: `execute` is Argo's `executeTemplate`, `dispatch` hands a processed template to
    the executor of its kind (`EXECUTORS`). It satisfies `executor.Dispatcher`, the executors' view of it."""

    def __init__(self, rt: Runtime):
        self.rt = rt
        self.defaults = rt.spec.get("templateDefaults")
        self.workflow_retry = rt.spec.get("retryStrategy")

    # ---- creation helpers (executor.py), as methods for the executors that hold an engine ---------------
    def fulfilled_node(self, name: str, type_: NodeType, phase: NodePhase, message: str, *, boundary_id: str,
                       on_done: OnDone, template_name: str = "", hooked: bool = False,
                       parent: Node | None = None) -> DoneExec:
        return fulfilled_node(self, name, type_, phase, message, boundary_id=boundary_id, on_done=on_done,
                              template_name=template_name, hooked=hooked, parent=parent)

    def error_node(self, name: str, message: str, *, boundary_id: str, on_done: OnDone, hooked: bool = False,
                   template_name: str = "") -> DoneExec:
        return error_node(self, name, message, boundary_id=boundary_id, on_done=on_done, hooked=hooked,
                          template_name=template_name)

    # ---- executeTemplate -----------------------------------------------------------------------------
    def execute(self, name: str, holder: dict[str, Any], ctx: TemplateContext, args: dict[str, Any] | None, *,
                boundary_id: str, on_done: OnDone, depth: int, hooked: bool = False, kind: str | None = None) -> Exec:
        """`depth`: this call's stack depth, 1 for the entrypoint, exit handler and workflow hooks, one more than
        the steps/DAG template's own for its steps, tasks and their hooks (engine/depth.py)."""
        if name in self.rt.by_name and self.rt.by_name[name].phase.fulfilled:
            return DoneExec(self, on_done, self.rt.by_name[name])
        if self.rt.shutdown_blocks(name):
            return self.error_node(name, STOP_MESSAGE.format(self.rt.stop_strategy), boundary_id=boundary_id,
                                   on_done=on_done, hooked=hooked)
        self.rt.node_templates[name] = holder_template(holder)
        if depth_exceeded(depth):  # before resolving, as Argo checks it first
            return self.error_node(name, MAX_DEPTH_MESSAGE, boundary_id=boundary_id, on_done=on_done, hooked=hooked)
        try:
            tmpl, tctx = ctx.resolve(holder)
            tmpl = merge_defaults(tmpl, self.defaults)
        except ResolveError as exc:
            return self.error_node(name, str(exc), boundary_id=boundary_id, on_done=on_done, hooked=hooked)
        view = TemplateView(tmpl)
        retry = view.retry_strategy
        if retry is None:
            retry = self.workflow_retry  # `retryStrategy: {}` is a real (unlimited) strategy
        local: dict[str, Any] = {"node.name": name}
        if kind == "tasks":
            local["tasks.name"] = holder.get("name", "")
        elif kind == "steps":
            local["steps.name"] = holder.get("name", "")
        if view.is_pod and retry is None:
            local["pod.name"] = pod_name(self.rt.name, name, view.name)
        try:
            processed = process_args(tmpl, args, self.rt.globals, local, self.rt.registry.config_maps)
        except (ArgumentError, TemplateError) as exc:
            return self.error_node(name, str(exc), boundary_id=boundary_id, on_done=on_done, hooked=hooked,
                                   template_name=view.name)
        if self.rt.reuse:  # a retry or resume: compare with the earlier run now
            digest = template_hash(processed, retry)
            self.rt.template_hashes[name] = digest
            reused = reuse_node(self, name, digest, boundary_id, on_done, hooked)
            if reused is not None:
                return reused
        else:  # recorded for a later retry or resume: hashed when the node is fulfilled
            self.rt.template_hashes[name] = LazyTemplateHash(processed, retry)
        if processed.get("memoize"):
            hit_or_done = memoized(self, name, processed, boundary_id, on_done, hooked)
            if isinstance(hit_or_done, Exec):
                return hit_or_done
            on_done = hit_or_done

        def start(done: OnDone) -> Exec:
            if retry is not None:
                return RetryExec(self, name, processed, tctx, boundary_id, done, hooked, retry, holder, depth)
            return self.dispatch(name, processed, tctx, boundary_id, done, hooked=hooked, retried=False, depth=depth)

        if processed.get("synchronization"):
            return LockedExec(self, name, processed, boundary_id, hooked, start, on_done)
        return start(on_done)

    def dispatch(self, name: str, tmpl: dict[str, Any], ctx: TemplateContext, boundary_id: str, on_done: OnDone,
                 *, hooked: bool, retried: bool, depth: int) -> Exec:
        """Run an already-processed template as node `name`."""
        view = TemplateView(tmpl)
        kind, tname = view.kind, view.name
        if kind in UNSUPPORTED:
            node_type = NodeType.PLUGIN if kind == "plugin" else NodeType.POD
            return self.fulfilled_node(name, node_type, NodePhase.ERROR,
                                       f"argonb cannot run this {kind} template locally: {UNSUPPORTED[kind]}",
                                       boundary_id=boundary_id, on_done=on_done, template_name=tname, hooked=hooked)
        factory = EXECUTORS.get(kind)
        if factory is None:
            return self.error_node(name, f"Template '{tname}' missing specification", boundary_id=boundary_id,
                                   on_done=on_done, hooked=hooked, template_name=tname)
        ex = factory(self, name, tmpl, ctx, boundary_id, on_done)
        ex.template = tmpl
        ex.depth = depth
        self.rt.active_execs.add(ex)
        ex.start(hooked=hooked, retried=retried)
        return ex
