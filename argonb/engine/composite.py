"""What steps and DAG templates share: outbound nodes, exit hooks of children, template outputs from scope,
and template-level parallelism (ARGO-SEMANTICS §2, §3, §8, §10)."""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Callable
from typing import Any

from argonb.engine.executor import Dispatcher, Exec
from argonb.engine.model import Node, NodePhase, NodeType
from argonb.engine.references import UnresolvedReference, resolve_references
from argonb.engine.runtime import Runtime
from argonb.engine.slots import Slots
from argonb.engine.workflow import TemplateContext
from argonb.expr.template import ABSENT, TemplateError
from argonb.spec.template_view import TemplateView

FAIL_FAST_MESSAGE = "template has failed or errored children and failFast enabled"


def last_attempt(rt: Runtime, node: Node) -> Node:
    """A Retry node exposes its last attempt's details (`possiblyGetRetryChildNode`)."""
    if node.type is NodeType.RETRY:
        for cid in reversed(node.children):
            child = rt.nodes[cid]
            if not child.hooked:
                return child
    return node


def outbound_nodes(rt: Runtime, node: Node) -> list[str]:
    """`getOutboundNodes`: the leaf nodes through which a node connects to what comes after it."""
    if node.type in (NodeType.SKIPPED, NodeType.SUSPEND, NodeType.HTTP, NodeType.PLUGIN):
        return [node.id]
    if node.type is NodeType.POD:  # a containerSet pod connects through its leaf containers
        containers = [c for c in node.children if rt.nodes[c].type is NodeType.CONTAINER]
        if not containers:
            return [node.id]
        return [out for c in containers for out in outbound_nodes(rt, rt.nodes[c])]
    if node.type in (NodeType.CONTAINER, NodeType.TASK_GROUP):
        if not node.children:
            return [node.id]
        out: list[str] = []
        for child_id in node.children:
            child = rt.nodes[child_id]
            if node.type is NodeType.CONTAINER and child.boundary_id != node.boundary_id:
                out.append(node.id)  # the deepest container: what follows belongs to another boundary
            else:
                out.extend(outbound_nodes(rt, child))
        return out
    if node.type is NodeType.RETRY:
        if node.children:
            return [node.children[-1]]
    if node.type in (NodeType.STEPS, NodeType.DAG) and node.memoized:
        return [node.id]
    out = []
    for nid in node.outbound_nodes:
        out.extend(outbound_nodes(rt, rt.nodes[nid]))
    return out


def template_scope(tmpl: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`createScope`: a steps/DAG template's own inputs are in its scope (text and artifact variables), so
    `{{inputs.parameters.x}}` in a step resolves to the processed value and `from: {{inputs.artifacts.y}}`
    passes an input through (§5.5)."""
    view = TemplateView(tmpl)
    text = {f"inputs.parameters.{p['name']}": str(p["value"]) for p in view.input_parameters
            if p.get("name") and p.get("value") is not None}
    arts = {f"inputs.artifacts.{a['name']}": a for a in view.input_artifacts if a.get("name")}
    return text, arts


def exit_hook_of(holder: dict[str, Any]) -> dict[str, Any] | None:
    """A step/task's exit hook: `hooks.exit` or the deprecated `onExit: <template>`."""
    hooks = holder.get("hooks") or {}
    if hooks.get("exit"):
        return hooks["exit"]
    if holder.get("onExit"):
        return {"template": holder["onExit"]}
    return None


def template_outputs(tmpl: dict[str, Any], scope: dict[str, Any], arts: dict[str, Any]) -> dict[str, Any] | None:
    """`getTemplateOutputsFromScope` for steps/DAG templates (§2, §5.4)."""
    declared = TemplateView(tmpl).outputs
    if not declared.get("parameters") and not declared.get("artifacts"):
        return None
    out: dict[str, Any] = {}
    params = []
    for param in declared.get("parameters") or []:
        vf = param.get("valueFrom")
        if not vf:
            raise ValueError("output parameters must have a valueFrom specified")
        default = vf.get("default")
        try:
            value, skipped = _resolve_value_from(vf, scope)
        except ValueError:
            if default is None:
                raise
            value, skipped = str(default), False
        if skipped and default is not None:
            value = str(default)
        if value is None:
            raise ValueError(f"output parameter {param.get('name')!r}: {vf.get('parameter')!r} is an absent optional "
                             "(skipped/omitted node output with no default)")
        entry = {k: v for k, v in param.items() if k != "valueFrom"}
        entry["value"] = value
        params.append(entry)
    if params:
        out["parameters"] = params
    artifacts = []
    for art in declared.get("artifacts") or []:
        try:
            resolved = resolve_references({"arguments": {"artifacts": [art]}}, scope, arts)
        except UnresolvedReference:
            if art.get("optional"):
                continue
            raise
        found = resolved["arguments"]["artifacts"][0]
        if found.get("from") or found.get("fromExpression"):
            continue
        artifacts.append({**found, "name": art.get("name")})
    if artifacts:
        out["artifacts"] = artifacts
    return out


def _resolve_value_from(vf: dict[str, Any], scope: dict[str, Any]) -> tuple[str | None, bool]:
    if vf.get("expression"):
        from argonb.expr.exprlang import evaluate
        from argonb.expr.template import expand_env

        value = evaluate(str(vf["expression"]), expand_env({k: (None if v is ABSENT else v)
                                                            for k, v in scope.items()}))
        if value is None:
            return None, True
        return (value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))), False
    ref = str(vf.get("parameter") or "")
    if not ref:
        return "", False
    key = ref.strip()
    if key.startswith("{{") and key.endswith("}}"):
        key = key[2:-2].strip()
    if key in scope:
        value = scope[key]
        return (None, True) if value is ABSENT else (str(value), False)
    raise ValueError(f"Unable to resolve: {{{{{key}}}}}")


class ChildLimiter(Slots):
    """Template-level `parallelism`: at most N active direct children (§10); the rest wait in order."""

    def __init__(self, limit: Any):
        super().__init__(int(limit) if limit not in (None, "") else None)

    def run(self, start: Callable[[], None]) -> None:
        self.acquire(start)


def hooked_scope(engine: Dispatcher, child: Node, prefix: str, step_name: str, scope: dict[str, Any],
                 arts: dict[str, Any]) -> tuple[ChainMap[str, Any], dict[str, Any]]:
    """Variables a hook of `child` sees (`resolveExitTmplArgument`): the scope, the child's status and its own
    outputs (a Retry node's last attempt's)."""
    local = dict(scope)
    local[f"{prefix}.{step_name}.status"] = child.phase.value
    outputs = child.outputs or {}
    for p in outputs.get("parameters") or []:
        local[f"{prefix}.{step_name}.outputs.parameters.{p['name']}"] = str(p.get("value", ""))
    local_arts = dict(arts)
    for a in outputs.get("artifacts") or []:
        local_arts[f"{prefix}.{step_name}.outputs.artifacts.{a['name']}"] = a
    return ChainMap(local, engine.rt.globals), local_arts


def watch_hooks(engine: Dispatcher, holder: dict[str, Any], child: Node, prefix: str, step_name: str,
                scope: dict[str, Any], arts: dict[str, Any], ctx: TemplateContext, boundary_id: str, *,
                depth: int) -> Any:
    """Register the non-exit lifecycle hooks of a step/task (None when it has none); `depth` is theirs."""
    from argonb.engine.hooks import HookWatch

    hooks = {k: v for k, v in (holder.get("hooks") or {}).items() if k != "exit"}
    if not hooks:
        return None

    def env() -> ChainMap[str, Any]:
        return hooked_scope(engine, child, prefix, step_name, scope, arts)[0]

    def resolve(args: dict[str, Any]) -> dict[str, Any]:
        variables, local_arts = hooked_scope(engine, child, prefix, step_name, scope, arts)
        try:
            return resolve_references({"arguments": args}, variables, local_arts)["arguments"]
        except (UnresolvedReference, TemplateError):
            return args

    return HookWatch(engine, hooks, child, env, ctx, boundary_id, resolve, depth=depth)


def run_exit_hook(engine: Dispatcher, holder: dict[str, Any], child: Node, prefix: str, step_name: str,
                  scope: dict[str, Any], arts: dict[str, Any], ctx: TemplateContext, boundary_id: str,
                  on_done: Callable[[Exec], None], *, depth: int) -> Exec | None:
    """`runOnExitNode`: run the hooked node's exit handler `<node>.onExit` after it completed (§8), as a call
    at `depth` (the same as the hooked step's or task's)."""
    hook = exit_hook_of(holder)
    if hook is None or not child.phase.completed or engine.rt.stop_strategy == "Terminate":
        return None
    variables, local_arts = hooked_scope(engine, child, prefix, step_name, scope, arts)
    if hook.get("expression"):
        from argonb.expr.exprlang import evaluate
        from argonb.expr.template import expand_env

        try:
            if not evaluate(str(hook["expression"]), expand_env(variables)):
                return None
        except ValueError:
            return None
    name = f"{child.name}.onExit"
    try:
        resolved = resolve_references({"arguments": hook.get("arguments") or {}}, variables, local_arts)
    except (UnresolvedReference, TemplateError) as exc:
        ex: Exec = engine.error_node(name, str(exc), boundary_id=boundary_id, on_done=on_done, hooked=True)
    else:
        hook_holder = {k: hook[k] for k in ("template", "templateRef") if hook.get(k)}
        ex = engine.execute(name, hook_holder, ctx, resolved["arguments"], boundary_id=boundary_id,
                            on_done=on_done, hooked=True, depth=depth)
    engine.rt.add_child(child, ex.node)
    return ex


def continues_on(holder: dict[str, Any], phase: NodePhase) -> bool:
    cont = holder.get("continueOn") or {}
    return (phase is NodePhase.FAILED and bool(cont.get("failed"))) or \
        (phase is NodePhase.ERROR and bool(cont.get("error")))
