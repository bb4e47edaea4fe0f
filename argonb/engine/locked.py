"""A node that must hold mutexes/semaphores before it runs (ARGO-SEMANTICS §10): it waits Pending, holds its
locks while it runs, and releases them once fulfilled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argonb.engine.executor import Dispatcher, Exec, OnDone
from argonb.engine.model import NodePhase, NodeType
from argonb.engine.sync import LOCKS, SyncError, local_limits, lock_names
from argonb.rundir import RunDir
from argonb.spec.template_view import TemplateView


class LockedExec(Exec):
    def __init__(self, engine: Dispatcher, name: str, tmpl: dict[str, Any], boundary_id: str, hooked: bool,
                 start: Callable[[OnDone], Exec], on_done: OnDone):
        super().__init__(engine, on_done)
        self.start_inner = start
        self.inner: Exec | None = None
        self.holder = f"{self.rt.name}/{name}"
        self.node = self.rt.create_node(name, NodeType.SKIPPED, template_name=TemplateView(tmpl).name,
                                        boundary_id=boundary_id, phase=NodePhase.PENDING, hooked=hooked)
        namespace = self.rt.globals.get("workflow.namespace", "argo")
        try:
            names, warnings = lock_names(tmpl["synchronization"], namespace, self.rt.registry.config_maps,
                                         local_limits(RunDir(self.rt.run_dir).home))
        except SyncError as exc:
            self.finish(NodePhase.ERROR, str(exc))
            return
        for warning in warnings:
            self.rt.log_line(self.node.id, "stderr", f"argonb: {warning}")
        self.node.detail["placeholder"] = True
        if not LOCKS.acquire(self.holder, names, lambda: self.rt.post(self._granted)):
            waiting = ", ".join(n for n, _ in names)
            self.rt.set_phase(self.node, NodePhase.PENDING, f"Waiting for {waiting} lock(s)")
            self.rt.lock_holders.add(self.holder)
            return
        self._granted()

    def _granted(self) -> None:
        self.rt.lock_holders.add(self.holder)
        if self.rt.shutdown_blocks(self.node.name):
            self.node.detail.pop("placeholder", None)
            self._release()
            self.finish(NodePhase.FAILED, f"Stopped with strategy '{self.rt.stop_strategy}'")
            return
        self.inner = self.start_inner(self._inner_done)

    def _inner_done(self, ex: Exec) -> None:
        self._release()
        self.done = True
        self.on_done(ex)

    def _release(self) -> None:
        self.rt.lock_holders.discard(self.holder)
        LOCKS.release(self.holder)

    def stop(self, strategy: str) -> None:
        if self.inner is None and not self.done:
            LOCKS.cancel(self.holder)
            self.node.detail.pop("placeholder", None)
            self.finish(NodePhase.FAILED, f"Stopped with strategy '{strategy}'")
