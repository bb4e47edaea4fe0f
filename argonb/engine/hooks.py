"""Lifecycle hooks other than `exit` (ARGO-SEMANTICS §8, workflow/controller/hooks.go).

A hook `{expression, template, arguments}` runs at most once, when its expr-lang expression first becomes
true. Argo re-evaluates hooks on every reconcile; argonb re-evaluates every registered `HookWatch` after each
loop iteration in which a node changed, which sees the same sequence of states. The owner (workflow, step
group or DAG) does not complete until the hooks it started are fulfilled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from argonb.engine.executor import Dispatcher
from argonb.engine.model import Node
from argonb.engine.workflow import TemplateContext


class HookWatch:
    """The non-exit hooks of one hooked node (the workflow root, a step or a task)."""

    def __init__(self, engine: Dispatcher, hooks: dict[str, Any], parent: Node, env: Callable[[], Mapping[str, Any]],
                 ctx: TemplateContext, boundary_id: str, resolve_args: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 *, depth: int):
        self.engine = engine
        self.depth = depth  # the stack depth of the hooks' executeTemplate calls (engine/depth.py)
        self.rt = engine.rt
        self.hooks = {name: hook for name, hook in (hooks or {}).items() if name != "exit" and isinstance(hook, dict)}
        self.parent = parent
        self.env = env
        self.ctx = ctx
        self.boundary_id = boundary_id
        self.resolve_args = resolve_args
        self.started: dict[str, Any] = {}
        self.closed = False
        self._on_idle: Callable[[], None] | None = None
        if self.hooks:
            self.rt.hook_watches.append(self)

    @property
    def busy(self) -> bool:
        return any(not ex.done for ex in self.started.values())

    def evaluate(self) -> None:
        """Start every hook whose expression is now true (loop thread)."""
        if self.closed:
            return
        for name, hook in self.hooks.items():
            if name in self.started:
                continue
            if not hook.get("expression") or not self._true(str(hook["expression"])):
                continue
            self._start(name, hook)

    def _true(self, expression: str) -> bool:
        from argonb.expr.exprlang import evaluate
        from argonb.expr.template import expand_env

        try:
            return bool(evaluate(expression, expand_env(self.env())))
        except ValueError:
            return False  # not decidable yet (e.g. a variable still missing): try again on the next change

    def _start(self, name: str, hook: dict[str, Any]) -> None:
        node_name = f"{self.parent.name}.hooks.{name}"
        args = hook.get("arguments") or {}
        if self.resolve_args is not None and args:
            args = self.resolve_args(args)
        holder = {k: hook[k] for k in ("template", "templateRef") if hook.get(k)}
        ex = self.engine.execute(node_name, holder, self.ctx, args, boundary_id=self.boundary_id,
                                 on_done=lambda _: self._hook_done(), hooked=True, depth=self.depth)
        self.started[name] = ex
        self.rt.add_child(self.parent, ex.node)

    def _hook_done(self) -> None:
        if not self.busy and self._on_idle is not None:
            callback, self._on_idle = self._on_idle, None
            callback()

    def close(self, then: Callable[[], None]) -> None:
        """Evaluate one last time (the owner just finished), stop watching, then call `then` once the hooks
        started are fulfilled."""
        self.evaluate()
        self.closed = True
        if self in self.rt.hook_watches:
            self.rt.hook_watches.remove(self)
        if self.busy:
            self._on_idle = then
        else:
            then()
