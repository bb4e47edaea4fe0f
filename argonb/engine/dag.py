"""DAG templates (ARGO-SEMANTICS §3): tasks start as soon as their `depends` logic is decidable and true.

Event driven: each task keeps a count of unfinished dependencies, so scheduling is O(edges) overall.
A failed dependency makes dependents Omitted, never Failed; the DAG's own phase comes from `assess_phase`,
a faithful port of Argo's `assessDAGPhase` (branch phases inherited through Skipped/Omitted nodes).
"""

from __future__ import annotations

from collections import ChainMap, deque
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
from argonb.engine.depends import evaluate_depends, task_dependencies, task_results
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


class _Task:
    def __init__(self, index: int, spec: dict[str, Any]):
        self.index = index
        self.spec = spec
        self.name = str(spec.get("name"))
        self.deps: list[str] = []
        self.logic = ""
        self.waiting = 0
        self.dependents: list[_Task] = []
        self.node: Node | None = None  # the task node (Pod/Steps/DAG/Retry/TaskGroup/Skipped)
        self.items: list[Node] = []
        self.pending_items = 0
        self.finished = False


class DagExec(TemplateExec):
    def __init__(self, engine: Dispatcher, name: str, tmpl: dict[str, Any], ctx: TemplateContext, boundary_id: str,
                 on_done: OnDone):
        super().__init__(engine, name, tmpl, ctx, boundary_id, on_done)
        self.scope, self.arts = template_scope(tmpl)
        self.limiter = ChildLimiter(tmpl.get("parallelism"))
        self.active = 0
        dag = TemplateView(tmpl).body
        self.fail_fast = dag.get("failFast") is None or bool(dag.get("failFast"))
        self.tasks = {str(t.get("name")): _Task(i, t) for i, t in enumerate(dag.get("tasks") or [])}
        self._results = referenced_results("tasks", json_of(tmpl))  # hasOutputResultRef: the whole template
        self.targets: list[str] = []
        self._child_failed = False
        self.fail_fast_tripped = False  # template-level failFast stopped new children
        self._unfinished = 0  # tasks (targets and their dependencies) without a fulfilled node yet
        self._busy = 0  # > 0 while tasks are being started: the DAG is not judged mid-pass

    def start(self, *, hooked: bool, retried: bool) -> None:
        self.node = self.rt.create_node(self.name, NodeType.DAG, template_name=TemplateView(self.tmpl).name,
                                        boundary_id=self.boundary_id, hooked=hooked, retried=retried)
        specs = {name: t.spec for name, t in self.tasks.items()}
        for task in self.tasks.values():
            task.deps, task.logic = task_dependencies(task.spec, specs)
        target = str(TemplateView(self.tmpl).body.get("target") or "").strip()
        depended = {d for t in self.tasks.values() for d in t.deps}
        self.targets = target.split() if target else sorted(n for n in self.tasks if n not in depended)
        missing = [t for t in self.targets + sorted(depended) if t not in self.tasks]
        if missing:
            self.finish(NodePhase.ERROR, f"task '{missing[0]}' does not exist")
            return
        needed = self._closure(self.targets)
        for name in sorted(needed, key=lambda n: self.tasks[n].index):
            task = self.tasks[name]
            task.waiting = len(task.deps)
            for dep in task.deps:
                self.tasks[dep].dependents.append(task)
        self._unfinished = len(needed)
        ready = [self.tasks[n] for n in needed if not self.tasks[n].deps]
        self._busy += 1  # start every ready task before judging the DAG (Argo creates them in one pass)
        for task in sorted(ready, key=lambda t: t.index):
            self._run_task(task)
        self._busy -= 1
        self._maybe_complete()

    def stop(self, strategy: str) -> None:
        """Children waiting for a `parallelism` slot start now and fail with the stop message (§10, §9):
        a template whose limit never frees one (`parallelism: 0`) must not keep a stopped run alive."""
        self.limiter.drain()

    def _closure(self, names: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(self.tasks[name].deps)
        return seen

    def variables(self) -> ChainMap[str, Any]:
        return ChainMap(self.scope, self.rt.globals)

    # ---- starting tasks -------------------------------------------------------------------------------
    def _run_task(self, task: _Task) -> None:
        base = f"{self.name}.{task.name}"
        if task.logic:
            results = {}
            for dep in task.deps:
                dep_task = self.tasks[dep]
                assert dep_task.node is not None
                results[dep] = task_results(dep_task.node, dep_task.items)
            try:
                proceed = evaluate_depends(task.logic, results)
            except ValueError as exc:
                self._task_placeholder(task, base, NodePhase.ERROR, str(exc))
                return
            if not proceed:
                self._task_placeholder(task, base, NodePhase.OMITTED, "omitted: depends condition not met")
                return
        try:
            spec = resolve_references(task.spec, self.variables(), ChainMap(self.arts, self.rt.global_artifacts))
        except (UnresolvedReference, TemplateError) as exc:
            self._task_placeholder(task, base, NodePhase.ERROR, str(exc))
            return
        if not is_loop(spec):
            self._run_item(task, spec, base, group=None)
            return
        try:
            items = loop_items(spec)
        except LoopError as exc:
            self._task_placeholder(task, base, NodePhase.ERROR, str(exc))
            return
        if not items:
            self._task_placeholder(task, base, NodePhase.SKIPPED, "Skipped, empty params")
            return
        group = self.rt.create_node(base, NodeType.TASK_GROUP, boundary_id=self.node.id)
        self._connect(task, group)
        task.node = group
        body = {k: v for k, v in spec.items() if k not in ("withItems", "withParam", "withSequence")}
        for i, item in enumerate(items):
            try:
                expanded = substitute(body, item_variables(item), allow_unresolved=True)
            except TemplateError as exc:
                expanded = None
                err = str(exc)
            name = loop_node_name(base, i, item)
            if expanded is None:
                self._item_placeholder(task, group, name, NodePhase.ERROR, err)
            else:
                self._run_item(task, expanded, name, group=group)
        self._check_task(task)

    def _run_item(self, task: _Task, spec: dict[str, Any], name: str, group: Node | None) -> None:
        blocked = when_blocks(spec)
        if blocked is not None:
            self._item_or_task(task, group, name, blocked.phase, blocked.message)
            return
        task.pending_items += 1
        self.active += 1

        def start() -> None:
            if self.tmpl.get("failFast") is True and self._child_failed:
                # template-level failFast (§3.3): once a child failed, nothing new starts (no node at all)
                self.fail_fast_tripped = True
                self.limiter.release()
                task.pending_items -= 1
                self.active -= 1
                self._maybe_complete()
                return
            watch: list[Any] = []
            ex = self.engine.execute(name, spec, self.ctx, spec.get("arguments"), boundary_id=self.node.id,
                                     on_done=lambda ex: self._item_done(task, ex, watch), kind="tasks",
                                     depth=self.depth + 1)
            hooks = watch_hooks(self.engine, spec, ex.node, "tasks", task.name, self.scope, self.arts, self.ctx,
                                self.node.id, depth=self.depth + 1)
            if hooks is not None:
                watch.append(hooks)
            if group is None:
                task.node = ex.node
                self._connect(task, ex.node)
            else:
                task.items.append(ex.node)
                self.rt.add_child(group, ex.node)

        self.limiter.run(start)

    def _item_or_task(self, task: _Task, group: Node | None, name: str, phase: NodePhase, message: str) -> None:
        if group is None:
            self._task_placeholder(task, name, phase, message)
        else:
            self._item_placeholder(task, group, name, phase, message)

    def _task_placeholder(self, task: _Task, name: str, phase: NodePhase, message: str) -> None:
        node = self.rt.create_node(name, NodeType.SKIPPED, boundary_id=self.node.id, phase=phase, message=message)
        self._connect(task, node)
        task.node = node
        self._task_finished(task)

    def _item_placeholder(self, task: _Task, group: Node, name: str, phase: NodePhase, message: str) -> None:
        node = self.rt.create_node(name, NodeType.SKIPPED, boundary_id=self.node.id, phase=phase, message=message)
        self.rt.add_child(group, node)
        task.items.append(node)

    def _connect(self, task: _Task, node: Node) -> None:
        """`connectDependencies`: roots hang off the DAG node, others off their dependencies' outbound nodes."""
        if not task.deps:
            self.rt.add_child(self.node, node)
            return
        for dep in task.deps:
            dep_node = self.tasks[dep].node
            if dep_node is None:
                continue
            for out_id in outbound_nodes(self.rt, dep_node):
                self.rt.add_child(self.rt.nodes[out_id], node)

    # ---- completion -------------------------------------------------------------------------------------
    def _item_done(self, task: _Task, ex: Exec, watch: list[Any]) -> None:
        if ex.node.phase.failed_or_error:  # before release(): the next waiting child must see it
            self._child_failed = True
        self.limiter.release()
        if watch:  # lifecycle hooks get a last look, and the task waits for them
            watch.pop().close(lambda: self._exit_hook(task, ex))
            return
        self._exit_hook(task, ex)

    def _exit_hook(self, task: _Task, ex: Exec) -> None:
        hook = run_exit_hook(self.engine, task.spec, ex.node, "tasks", task.name, self.scope, self.arts, self.ctx,
                             self.node.id, lambda _: self._after_item(task), depth=self.depth + 1)
        if hook is None:
            self._after_item(task)

    def _after_item(self, task: _Task) -> None:
        task.pending_items -= 1
        self.active -= 1
        self._check_task(task)

    def _check_task(self, task: _Task) -> None:
        if task.pending_items > 0 or task.finished:
            return
        if task.node is not None and task.node.type is NodeType.TASK_GROUP:
            phase = NodePhase.SUCCEEDED
            for item in task.items:
                if item.phase.failed_or_error:
                    phase = item.phase
            self.rt.set_phase(task.node, phase)
        self._task_finished(task)

    def _task_finished(self, task: _Task) -> None:
        task.finished = True
        self._unfinished -= 1
        self._publish(task)
        self._busy += 1  # all dependents get their nodes before the DAG's phase is assessed
        for dependent in task.dependents:
            dependent.waiting -= 1
            if dependent.waiting == 0:
                self._run_task(dependent)
        self._busy -= 1
        self._maybe_complete()

    def _publish(self, task: _Task) -> None:
        node = task.node
        if node is None:
            return
        include = task.name in self._results
        if node.type is NodeType.TASK_GROUP:
            try:
                self.scope.update(aggregate("tasks", task.name, task.items, include))
            except AggregationError as exc:
                self.rt.set_phase(node, NodePhase.ERROR, str(exc))
            text, _ = node_reference("tasks", task.name, node, False)
            self.scope.update(text)
            return
        text, arts = node_reference("tasks", task.name, last_attempt(self.rt, node), include)
        self.scope.update(text)
        self.arts.update(arts)
        if node.phase in (NodePhase.SKIPPED, NodePhase.OMITTED):
            try:
                tmpl = self.ctx.resolve(task.spec)[0]
            except Exception:
                tmpl = None
            self.scope.update(skipped_outputs("tasks", task.name, tmpl))

    def _maybe_complete(self) -> None:
        if self.done or self._busy or self.active > 0 or not self.limiter.idle:
            return
        if self.fail_fast_tripped:
            self._set_outbound()
            self.finish(NodePhase.FAILED, FAIL_FAST_MESSAGE)
            return
        if self._unfinished > 0:
            return
        phase = assess_phase(self.rt, self.node, [self.tasks[t] for t in self.targets], self.fail_fast)
        if phase is NodePhase.RUNNING:
            return
        self._set_outbound()
        if phase is not NodePhase.SUCCEEDED:
            self.finish(phase)
            return
        try:
            outputs = template_outputs(self.tmpl, dict(self.variables()),
                                       dict(ChainMap(self.arts, self.rt.global_artifacts)))
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
        out: list[str] = []
        for name in self.targets:
            node = self.tasks[name].node
            if node is not None:
                out.extend(outbound_nodes(self.rt, node))
        self.node.outbound_nodes = out


def assess_phase(rt: Any, dag_node: Node, targets: list[_Task], fail_fast: bool) -> NodePhase:
    """Port of `assessDAGPhase` (§3.2): BFS from the DAG's children carrying branch phases."""
    target_phase: dict[str, NodePhase | None] = {t.node.id: None for t in targets if t.node is not None}
    queue: deque[tuple[str, NodePhase]] = deque((c, NodePhase.SUCCEEDED) for c in dag_node.children)
    seen: dict[str, NodePhase] = {}
    while queue:
        node_id, branch = queue.popleft()
        previous = seen.get(node_id)
        if previous is not None and (previous.failed_or_error or not branch.failed_or_error):
            continue  # unique queue: a failed branch phase wins over a succeeded one
        seen[node_id] = branch
        node = rt.nodes[node_id]
        if not node.fulfilled:
            if node.type is NodeType.TASK_GROUP and node.children and all(rt.nodes[c].fulfilled
                                                                           for c in node.children):
                for c in node.children:
                    if rt.nodes[c].phase.failed_or_error:
                        branch = rt.nodes[c].phase
            else:
                return NodePhase.RUNNING
        elif node.phase.completed:
            branch = node.phase
        if node_id in target_phase:
            prev = target_phase[node_id]
            if prev is None or not prev.failed_or_error:
                target_phase[node_id] = branch
        children = node.children
        if node.type is NodeType.RETRY:
            children = _retry_children(rt, node)
        for child in children:
            queue.append((child, branch))
    result = NodePhase.SUCCEEDED
    for task in targets:
        phase = target_phase.get(task.node.id) if task.node is not None else None
        if phase is None:
            result = NodePhase.RUNNING
            if not fail_fast:
                break
        elif phase.failed_or_error:
            if continues_on(task.spec, phase):
                continue
            result = phase
            if fail_fast:
                break
    return result


def _retry_children(rt: Any, node: Node) -> list[str]:
    """`getRetryNodeChildrenIds`: hooks of the Retry node plus the children of its attempts."""
    out: list[str] = []
    for cid in reversed(node.children):
        child = rt.nodes[cid]
        if child.hooked:
            out.append(cid)
        elif child.children:
            out.extend(child.children)
    return out
