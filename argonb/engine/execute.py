"""Template execution: Argo's `executeTemplate` for the local engine (ARGO-SEMANTICS §0, §4.1, §5).

`Engine.execute` resolves a template reference, applies `templateDefaults`, turns arguments into inputs,
wraps the template in a Retry node when it has a retry strategy, then hands it to the executor of its kind.
Every executor is an `Exec`: it owns one node, and calls `on_done(exec)` (through the loop queue) once that
node is fulfilled.
"""

from __future__ import annotations

import json
import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

from argonb.engine.depth import MAX_DEPTH_MESSAGE, depth_exceeded
from argonb.engine.model import Node, NodePhase, NodeType
from argonb.engine.naming import pod_name
from argonb.engine.params import ArgumentError, process_args
from argonb.engine.runtime import Runtime
from argonb.engine.templatehash import LazyTemplateHash, template_hash
from argonb.engine.timefmt import parse_rfc3339
from argonb.engine.workflow import ResolveError, TemplateContext, merge_defaults, template_type
from argonb.errors import ArgonbError
from argonb.expr.template import ABSENT, TemplateError, copy_if_tag_free, find_tags, substitute

POD_TYPES = ("container", "script", "containerSet", "resource", "data")
UNSUPPORTED = {
    "resource": "resource templates need a Kubernetes API server",
    "data": "data templates need an artifact repository listing (S3) and are not emulated",
    "plugin": "executor plugins need an Argo controller with plugins",
}
STOP_MESSAGE = "Stopped with strategy '{}'"
REUSABLE_TYPES = ("Pod", "Retry", "Suspend", "HTTP")

OnDone = Callable[["Exec"], None]


class Exec:
    """One node being executed."""

    node: Node
    depth = 1  # Argo's stack depth of the executeTemplate call that created this node (engine.depth)

    def __init__(self, engine: Engine, on_done: OnDone):
        self.engine = engine
        self.rt: Runtime = engine.rt
        self.on_done = on_done
        self.done = False
        self.notified = False
        self.template: dict[str, Any] | None = None

    def finish(self, phase: NodePhase, message: str | None = None) -> None:
        if self.done:
            return
        self.done = True
        self.rt.set_phase(self.node, phase, message)
        self.rt.active_execs.discard(self)
        if self.node.type in (NodeType.STEPS, NodeType.DAG):
            self.rt.kill_daemons(self.node.id)  # `killDaemonedChildren` once a boundary is fulfilled (§5.10)
        self.notify_fulfilled()

    def notify_fulfilled(self) -> None:
        """Tell the parent this node is fulfilled (once: a daemon is fulfilled before it finishes)."""
        if not self.notified:
            self.notified = True
            self.rt.post(lambda: self.on_done(self))

    def stop(self, strategy: str) -> None:
        """Shutdown: stop starting new work; running work is cancelled by the runtime's cancel event."""


class DoneExec(Exec):
    """A node created already fulfilled (Skipped, Omitted, or an Error placeholder)."""

    def __init__(self, engine: Engine, on_done: OnDone, node: Node):
        super().__init__(engine, on_done)
        self.node = node
        self.done = True
        self.rt.post(lambda: on_done(self))


class Engine:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self.defaults = rt.spec.get("templateDefaults")
        self.workflow_retry = rt.spec.get("retryStrategy")

    # ---- creation helpers ---------------------------------------------------------------------------
    def fulfilled_node(self, name: str, type_: NodeType, phase: NodePhase, message: str, *, boundary_id: str,
                       on_done: OnDone, template_name: str = "", hooked: bool = False,
                       parent: Node | None = None) -> DoneExec:
        node = self.rt.create_node(name, type_, template_name=template_name, boundary_id=boundary_id, phase=phase,
                                   message=message, hooked=hooked)
        if parent is not None:
            self.rt.add_child(parent, node)
        return DoneExec(self, on_done, node)

    def error_node(self, name: str, message: str, *, boundary_id: str, on_done: OnDone, hooked: bool = False,
                   template_name: str = "") -> DoneExec:
        """`initializeNodeOrMarkError`: a Skipped-type node in phase Error."""
        return self.fulfilled_node(name, NodeType.SKIPPED, NodePhase.ERROR, message, boundary_id=boundary_id,
                                   on_done=on_done, hooked=hooked, template_name=template_name)

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
        retry = tmpl.get("retryStrategy")
        if retry is None:
            retry = self.workflow_retry  # `retryStrategy: {}` is a real (unlimited) strategy
        local: dict[str, Any] = {"node.name": name}
        if kind == "tasks":
            local["tasks.name"] = holder.get("name", "")
        elif kind == "steps":
            local["steps.name"] = holder.get("name", "")
        if template_type(tmpl) in POD_TYPES and retry is None:
            local["pod.name"] = pod_name(self.rt.name, name, str(tmpl.get("name", "")))
        try:
            processed = process_args(tmpl, args, self.rt.globals, local, self.rt.registry.config_maps)
        except (ArgumentError, TemplateError) as exc:
            return self.error_node(name, str(exc), boundary_id=boundary_id, on_done=on_done, hooked=hooked,
                                   template_name=str(tmpl.get("name", "")))
        if self.rt.reuse:  # a retry or resume: compare with the earlier run now
            digest = template_hash(processed, retry)
            self.rt.template_hashes[name] = digest
            reused = self.reuse_node(name, digest, boundary_id, on_done, hooked)
            if reused is not None:
                return reused
        else:  # recorded for a later retry or resume: hashed when the node is fulfilled
            self.rt.template_hashes[name] = LazyTemplateHash(processed, retry)
        if processed.get("memoize"):
            from argonb.engine.memoized import memoized

            hit_or_done = memoized(self, name, processed, boundary_id, on_done, hooked)
            if isinstance(hit_or_done, Exec):
                return hit_or_done
            on_done = hit_or_done

        def start(done: OnDone) -> Exec:
            if retry is not None:
                from argonb.engine.retry import RetryExec

                return RetryExec(self, name, processed, tctx, boundary_id, done, hooked, retry, holder, depth)
            return self.dispatch(name, processed, tctx, boundary_id, done, hooked=hooked, retried=False, depth=depth)

        if processed.get("synchronization"):
            from argonb.engine.locked import LockedExec

            return LockedExec(self, name, processed, boundary_id, hooked, start, on_done)
        return start(on_done)

    def reuse_node(self, name: str, digest: str, boundary_id: str, on_done: OnDone,
                   hooked: bool) -> Exec | None:
        """Retry / edit-and-resume: keep an earlier Succeeded leaf (or Retry) node whose template and inputs
        hash the same, with its outputs, instead of running it again."""
        prev = self.rt.reuse.get(name[len(self.rt.name):])
        if not prev or prev.get("phase") != "Succeeded" or prev.get("type") not in REUSABLE_TYPES:
            return None
        if prev.get("templateHash") not in (None, digest):
            return None
        node = self._reused_copy(prev, boundary_id, hooked)
        if node.type is NodeType.RETRY:
            for child_name in prev.get("childNames") or []:
                child = self.rt.reuse.get(child_name)
                if child:
                    self.rt.add_child(node, self._reused_copy(child, boundary_id, False))

        for param in (node.outputs or {}).get("parameters") or []:
            self.rt.add_global_output(param)
        for art in (node.outputs or {}).get("artifacts") or []:
            self.rt.add_global_artifact(art)
        return DoneExec(self, on_done, node)

    def _reused_copy(self, prev: dict[str, Any], boundary_id: str, hooked: bool) -> Node:
        node = self.rt.create_node(self.rt.name + prev["relativeName"], NodeType(prev["type"]), template_name=prev.get("templateName", ""),
                                   boundary_id=boundary_id, phase=NodePhase(prev["phase"]),
                                   message=prev.get("message", ""), hooked=hooked, retried=bool(
                                       (prev.get("nodeFlag") or {}).get("retried")), inputs=prev.get("inputs"),
                                   publish=False)
        # Argo's retry keeps a succeeded node's status as it was, times included: it did not run again
        # (`FormulateRetryWorkflow` copies it); a memoized resubmit stamps it now (`FormulateResubmitWorkflow`).
        started, finished = parse_rfc3339(prev.get("startedAt")), parse_rfc3339(prev.get("finishedAt"))
        if started is not None and self.rt.reuse_keeps_times:
            node.started_at = started
            node.finished_at = finished if finished is not None else started
        node.outputs = prev.get("outputs")
        node.pod_name = prev.get("podName", "")
        node.reused = True
        node.detail["reusedFrom"] = self.rt.reuse_from
        self.rt.publish_node(node)
        return node

    def dispatch(self, name: str, tmpl: dict[str, Any], ctx: TemplateContext, boundary_id: str, on_done: OnDone,
                 *, hooked: bool, retried: bool, depth: int) -> Exec:
        """Run an already-processed template as node `name`."""
        kind = template_type(tmpl)
        tname = str(tmpl.get("name", ""))
        if kind in UNSUPPORTED:
            node_type = NodeType.PLUGIN if kind == "plugin" else NodeType.POD
            return self.fulfilled_node(name, node_type, NodePhase.ERROR,
                                       f"argonb cannot run this {kind} template locally: {UNSUPPORTED[kind]}",
                                       boundary_id=boundary_id, on_done=on_done, template_name=tname, hooked=hooked)
        factory = self._factories().get(kind)
        if factory is None:
            return self.error_node(name, f"Template '{tname}' missing specification", boundary_id=boundary_id,
                                   on_done=on_done, hooked=hooked, template_name=tname)
        ex = factory(self, name, tmpl, ctx, boundary_id, on_done)
        ex.template = tmpl
        ex.depth = depth
        self.rt.active_execs.add(ex)
        ex.start(hooked=hooked, retried=retried)  # type: ignore[attr-defined]
        return ex

    _FACTORIES: dict[str, Any] | None = None

    @classmethod
    def _factories(cls) -> dict[str, Any]:
        if cls._FACTORIES is None:
            cls._FACTORIES = cls._load_factories()
        return cls._FACTORIES

    @staticmethod
    def _load_factories() -> dict[str, Any]:
        from argonb.engine.containerset import ContainerSetExec
        from argonb.engine.dag import DagExec
        from argonb.engine.misc import HttpExec, SuspendExec
        from argonb.engine.pod import PodExec
        from argonb.engine.steps import StepsExec

        return {"container": PodExec, "script": PodExec, "steps": StepsExec, "dag": DagExec,
                "suspend": SuspendExec, "http": HttpExec, "containerSet": ContainerSetExec}


# ---- reference resolution shared by steps and DAG ---------------------------------------------------------

class ReferenceError_(ArgonbError):
    """A step/task reference that cannot be resolved (the step group or task node ends in Error)."""


_STRICT_PREFIXES = ("steps.", "tasks.")


def resolve_references(holder: dict[str, Any], variables: Mapping[str, Any],
                       artifacts: Mapping[str, Any]) -> dict[str, Any]:
    """Substitute a step/task with its scope (`resolveReferences` / `resolveDependencyReferences`).

    Unresolved `steps.*`/`tasks.*` tags are errors; an argument that is exactly an absent reference is
    marked ABSENT so the consumer's default applies (§4.5); `from` artifacts are looked up as objects.
    """
    hooks = holder.get("hooks")
    on_exit = holder.get("onExit")
    body = {k: v for k, v in holder.items() if k not in ("hooks", "onExit")}
    args = body.get("arguments") or {}
    absent_params = []
    kept = []
    for param in args.get("parameters") or []:
        value = param.get("value")
        ref = _sole_reference(value) if isinstance(value, str) else None
        if ref is not None and variables.get(ref, None) is ABSENT:
            absent_params.append(param.get("name"))  # markAbsentOptionalArgs: the consumer's default applies
            kept.append({k: v for k, v in param.items() if k != "value"})
        else:
            kept.append(param)
    if absent_params:
        body = {**body, "arguments": {**args, "parameters": kept}}
    plain = copy_if_tag_free(body)  # most tasks and steps reference nothing: no walk, nothing to check
    if plain is not None:
        new = plain
    else:
        try:
            new = substitute(body, variables, allow_unresolved=True)
        except TemplateError as exc:
            raise ReferenceError_(str(exc)) from None
        _check_unresolved(new, exclude=("withItems", "withParam", "withSequence", "when"))
    new_args = new.get("arguments") or {}
    for param in new_args.get("parameters") or []:
        if param.get("name") in absent_params:
            param["value"] = ABSENT
    if new_args.get("artifacts"):
        new_args["artifacts"] = [resolve_artifact_argument(a, variables, artifacts) for a in new_args["artifacts"]]
    if hooks is not None:
        new["hooks"] = hooks
    if on_exit is not None:
        new["onExit"] = on_exit
    return new


def _sole_reference(text: str) -> str | None:
    m = re.fullmatch(r"\{\{\s*([^={}][^{}]*?)\s*\}\}", text)
    return m.group(1) if m else None


def _check_unresolved(obj: Any, exclude: tuple[str, ...] = ()) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key not in exclude:
                _check_unresolved(value)
    elif isinstance(obj, list):
        for value in obj:
            _check_unresolved(value)
    elif isinstance(obj, str) and "{{" in obj:
        for tag in find_tags(obj):
            if tag.kind == "simple" and tag.inner.strip().startswith(_STRICT_PREFIXES) \
                    and ".outputs.artifacts." not in tag.inner:
                raise ReferenceError_(f"failed to resolve {{{{{tag.inner.strip()}}}}}")


def resolve_artifact_argument(art: dict[str, Any], variables: Mapping[str, Any],
                              artifacts: Mapping[str, Any]) -> dict[str, Any]:
    """`from` / `fromExpression` -> the referenced artifact's location, keeping this argument's name."""
    if art.get("from"):
        ref = _sole_reference(str(art["from"]))
        found = artifacts.get(ref) if ref else None
        if found is None:
            if art.get("optional"):
                return {"name": art.get("name"), "optional": True}
            raise ReferenceError_(f"unable to resolve references: Unable to resolve: {art['from']!r}")
        return {**_location(found), **{k: v for k, v in art.items() if k not in ("from",)}}
    if art.get("fromExpression"):
        from argonb.expr.exprlang import evaluate
        from argonb.expr.template import expand_env

        env = expand_env(ChainMap(dict(artifacts), dict(variables)))  # type: ignore[arg-type]
        try:
            found = evaluate(str(art["fromExpression"]), env)
        except ValueError as exc:
            raise ReferenceError_(f"failed to evaluate fromExpression {art['fromExpression']!r}: {exc}") from None
        if not isinstance(found, dict):
            if art.get("optional"):
                return {"name": art.get("name"), "optional": True}
            raise ReferenceError_(f"fromExpression {art['fromExpression']!r} did not yield an artifact")
        return {**_location(found), **{k: v for k, v in art.items() if k != "fromExpression"}}
    return art


def _location(art: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in art.items() if k not in ("name", "path", "mode", "globalName", "optional")}


def holder_template(holder: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """(templateName, templateRef) of the node a step/task creates: Argo records the reference as written."""
    ref = holder.get("templateRef")
    if ref:
        return "", {k: ref[k] for k in ("name", "template", "clusterScope") if ref.get(k) is not None}
    return str(holder.get("template") or ""), None




def json_of(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)
