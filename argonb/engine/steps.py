"""Steps templates (ARGO-SEMANTICS §2): groups run in sequence, the steps of a group in parallel.

Node tree: `<name>` (Steps) -> `<name>[i]` (StepGroup) -> `<name>[i].<step>` or `<name>[i].<step>(j:item)`.
A group completes when every child (and its exit hook) is fulfilled; a failed/errored child not covered by
`continueOn` fails the group and the Steps node (always Failed, §2). Children's outputs become
`steps.<name>.*` after their group.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from typing import Any

from argonb.engine.composite import (
    FAIL_FAST_MESSAGE,
    ChildLimiter,
    continues_on,
    last_attempt,
    outbound_nodes,
    run_exit_hook,
    template_outputs,
    template_scope,
    watch_hooks,
)
from argonb.engine.conditions import when_blocks
from argonb.engine.executor import Dispatcher, Exec, OnDone, TemplateExec, json_of
from argonb.engine.loops import LoopError, is_loop, item_variables, loop_items
from argonb.engine.model import Node, NodePhase, NodeType
from argonb.engine.naming import loop_node_name
from argonb.engine.references import UnresolvedReference, resolve_references
from argonb.engine.scope import (
    AggregationError,
    aggregate,
    node_reference,
    referenced_results,
    skipped_outputs,
)
from argonb.engine.workflow import TemplateContext
from argonb.expr.template import TemplateError, substitute
from argonb.spec.template_view import TemplateView


@dataclass
class _Child:
    step: dict[str, Any]  # the original (unexpanded) step
    ex: Exec | None = None
    hook: Exec | None = None
    watch: Any = None  # lifecycle hooks (engine.hooks.HookWatch)


@dataclass
class _Group:
    node: Node
    children: list[_Child] = field(default_factory=list)
    pending: int = 0


class StepsExec(TemplateExec):
    def __init__(self, engine: Dispatcher, name: str, tmpl: dict[str, Any], ctx: TemplateContext, boundary_id: str,
                 on_done: OnDone):
        super().__init__(engine, name, tmpl, ctx, boundary_id, on_done)
        self.scope, self.arts = template_scope(tmpl)
        self.groups: list[_Group] = []
        self.limiter = ChildLimiter(tmpl.get("parallelism"))
        self.fail_fast = bool(tmpl.get("failFast"))
        self.fail_fast_tripped = False
        self._results = referenced_results("steps", json_of(tmpl))  # hasOutputResultRef: the whole template

    def start(self, *, hooked: bool, retried: bool) -> None:
        self.node = self.rt.create_node(self.name, NodeType.STEPS, template_name=TemplateView(self.tmpl).name,
                                        boundary_id=self.boundary_id, hooked=hooked, retried=retried)
        self._next_group()

    def stop(self, strategy: str) -> None:
        """Children waiting for a `parallelism` slot start now and fail with the stop message (§10, §9):
        a template whose limit never frees one (`parallelism: 0`) must not keep a stopped run alive."""
        self.limiter.drain()

    def variables(self) -> ChainMap[str, Any]:
        return ChainMap(self.scope, self.rt.globals)

    def artifacts(self) -> ChainMap[str, Any]:
        return ChainMap(self.arts, self.rt.global_artifacts)

    # ---- groups ---------------------------------------------------------------------------------------
    def _next_group(self) -> None:
        index = len(self.groups)
        steps = self.tmpl.get("steps") or []
        if index >= len(steps):
            self._complete()
            return
        group_node = self.rt.create_node(f"{self.name}[{index}]", NodeType.STEP_GROUP, boundary_id=self.node.id)
        self._link_group(group_node, index)
        group = _Group(group_node)
        self.groups.append(group)
        members = steps[index]
        members = members.get("steps", []) if isinstance(members, dict) else (members or [])
        try:
            resolved = [resolve_references(step, self.variables(), self.artifacts()) for step in members]
        except (UnresolvedReference, TemplateError) as exc:
            self._group_error(group, str(exc))
            return
        for original, step in zip(members, resolved, strict=True):
            if not self._launch_step(group, original, step):
                return
        self._check_group(group)

    def _link_group(self, group_node: Node, index: int) -> None:
        if index == 0:
            self.rt.add_child(self.node, group_node)
            return
        prev = self.groups[index - 1].node
        if not prev.children:
            self.rt.add_child(prev, group_node)
            return
        for child_id in prev.children:
            for out_id in outbound_nodes(self.rt, self.rt.nodes[child_id]):
                self.rt.add_child(self.rt.nodes[out_id], group_node)

    def _launch_step(self, group: _Group, original: dict[str, Any], step: dict[str, Any]) -> bool:
        base = f"{group.node.name}.{step.get('name')}"
        if not is_loop(step):
            return self._launch_child(group, original, step, base)
        try:
            items = loop_items(step)
        except LoopError as exc:
            self._group_error(group, str(exc))
            return False
        if not items:
            self._add_done(group, original, base, NodeType.SKIPPED, NodePhase.SKIPPED, "Skipped, empty params")
            return True
        body = {k: v for k, v in step.items() if k not in ("withItems", "withParam", "withSequence")}
        for i, item in enumerate(items):
            try:
                expanded = substitute(body, item_variables(item), allow_unresolved=True)
            except TemplateError as exc:
                self._group_error(group, str(exc))
                return False
            if not self._launch_child(group, original, expanded, loop_node_name(base, i, item)):
                return False
        return True

    def _launch_child(self, group: _Group, original: dict[str, Any], step: dict[str, Any], name: str) -> bool:
        blocked = when_blocks(step)
        if blocked is not None:
            self._add_done(group, original, name, NodeType.SKIPPED, blocked.phase, blocked.message)
            if blocked.phase is NodePhase.ERROR:
                self._group_error(group, blocked.message)
                return False
            return True
        child = _Child(original)
        group.children.append(child)
        group.pending += 1

        def start() -> None:
            if self.fail_fast and self._has_failed_child():
                # template-level failFast (§3.3): once a child failed, nothing new starts (no node at all)
                self.fail_fast_tripped = True
                group.children.remove(child)
                self.limiter.release()
                group.pending -= 1
                self._check_group(group)
                return
            child.ex = self.engine.execute(name, step, self.ctx, step.get("arguments"), boundary_id=self.node.id,
                                           on_done=lambda ex: self._child_done(group, child), kind="steps",
                                           depth=self.depth + 1)
            self.rt.add_child(group.node, child.ex.node)
            child.watch = watch_hooks(self.engine, step, child.ex.node, "steps", str(step.get("name")), self.scope,
                                      self.arts, self.ctx, self.node.id, depth=self.depth + 1)

        self.limiter.run(start)
        return True

    def _add_done(self, group: _Group, original: dict[str, Any], name: str, type_: NodeType, phase: NodePhase,
                  message: str) -> None:
        ex = self.engine.fulfilled_node(name, type_, phase, message, boundary_id=self.node.id,
                                        on_done=lambda ex: None, parent=group.node)
        group.children.append(_Child(original, ex))

    def _has_failed_child(self) -> bool:
        return any(c.ex is not None and c.ex.node.phase.failed_or_error for g in self.groups for c in g.children)

    # ---- completion ----------------------------------------------------------------------------------
    def _child_done(self, group: _Group, child: _Child) -> None:
        assert child.ex is not None
        self.limiter.release()
        if child.watch is not None:  # lifecycle hooks get a last look, and the group waits for them
            watch, child.watch = child.watch, None
            watch.close(lambda: self._after_hooks(group, child))
            return
        self._after_hooks(group, child)

    def _after_hooks(self, group: _Group, child: _Child) -> None:
        assert child.ex is not None
        name = str(child.step.get("name"))
        hook = run_exit_hook(self.engine, child.step, child.ex.node, "steps", name, self.scope, self.arts,
                             self.ctx, self.node.id, lambda ex: self._hook_done(group), depth=self.depth + 1)
        if hook is not None:
            child.hook = hook
            return
        group.pending -= 1
        self._check_group(group)

    def _hook_done(self, group: _Group) -> None:
        group.pending -= 1
        self._check_group(group)

    def _check_group(self, group: _Group) -> None:
        if group.pending > 0 or group is not self.groups[-1] or self.done:
            return
        if group.node.phase is NodePhase.ERROR:  # a reference/when/loop error already decided the group
            self._fail_steps(group.node.message)
            return
        if self.fail_fast_tripped:
            self.rt.set_phase(group.node, NodePhase.FAILED, FAIL_FAST_MESSAGE)
            self._fail_steps(FAIL_FAST_MESSAGE)
            return
        try:
            self._publish_group_outputs(group)
        except AggregationError as exc:
            self._group_error(group, str(exc))
            return
        for child in group.children:
            assert child.ex is not None
            node = child.ex.node
            if node.phase.failed_or_error and not continues_on(child.step, node.phase):
                self.rt.set_phase(group.node, NodePhase.FAILED, f"child '{node.id}' failed")
                self._fail_steps(group.node.message)
                return
        self.rt.set_phase(group.node, NodePhase.SUCCEEDED)
        self._next_group()

    def _publish_group_outputs(self, group: _Group) -> None:
        by_step: dict[str, list[_Child]] = {}
        for child in group.children:
            by_step.setdefault(str(child.step.get("name")), []).append(child)
        for name, children in by_step.items():
            include = name in self._results
            nodes = [c.ex.node for c in children if c.ex is not None]
            if is_loop(children[0].step) and not (len(nodes) == 1 and nodes[0].type is NodeType.SKIPPED
                                                   and "(" not in nodes[0].name[len(group.node.name):]):
                self.scope.update(aggregate("steps", name, [n for n in nodes if n.type is not NodeType.SKIPPED],
                                            include))
                text, _ = node_reference("steps", name, group.node, False)
                self.scope.update(text)
                continue
            node = nodes[0]
            text, arts = node_reference("steps", name, last_attempt(self.rt, node), include)
            self.scope.update(text)
            self.arts.update(arts)
            if node.phase in (NodePhase.SKIPPED, NodePhase.OMITTED):
                self.scope.update(skipped_outputs("steps", name, _template_of(self, children[0].step)))

    def _group_error(self, group: _Group, message: str) -> None:
        self.rt.set_phase(group.node, NodePhase.ERROR, message)
        self._check_group(group)

    def _fail_steps(self, message: str) -> None:
        self._set_outbound()
        self.finish(NodePhase.FAILED, message)

    def _complete(self) -> None:
        self._set_outbound()
        try:
            outputs = template_outputs(self.tmpl, dict(self.variables()), dict(self.artifacts()))
        except (ValueError, UnresolvedReference, TemplateError) as exc:
            self.finish(NodePhase.ERROR, str(exc))
            return
        if outputs:
            self.node.outputs = outputs
            for p in outputs.get("parameters") or []:
                self.rt.add_global_output(p)
            for a in outputs.get("artifacts") or []:
                self.rt.add_global_artifact(a)
        self.finish(NodePhase.SUCCEEDED)

    def _set_outbound(self) -> None:
        if not self.groups:
            return
        last = self.groups[-1].node
        outbound: list[str] = []
        for child_id in last.children:
            outbound.extend(outbound_nodes(self.rt, self.rt.nodes[child_id]))
        self.node.outbound_nodes = outbound or [last.id]


def _template_of(ex: StepsExec, step: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return ex.ctx.resolve(step)[0]
    except Exception:
        return None
