"""The base of every template executor (ARGO-SEMANTICS §0, §4.1): `Exec` owns one node and tells its parent,
through the loop queue, once that node is fulfilled; `DoneExec` is a node created already fulfilled.

Executors (pod.py, steps.py, dag.py, ...) build on this module; the dispatcher (execute.py) builds on them.
`Dispatcher` declares what an executor uses of it, so that no executor imports the dispatcher, not even for
type checking.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from argonb.engine.model import Node, NodePhase, NodeType
from argonb.engine.runtime import Runtime
from argonb.engine.workflow import TemplateContext

STOP_MESSAGE = "Stopped with strategy '{}'"

OnDone = Callable[["Exec"], None]


class Dispatcher(Protocol):
    """What executors use of the dispatcher (`execute.Engine`): run a step/task, an attempt, a fulfilled node."""

    rt: Runtime

    def execute(self, name: str, holder: dict[str, Any], ctx: TemplateContext, args: dict[str, Any] | None, *,
                boundary_id: str, on_done: OnDone, depth: int, hooked: bool = False,
                kind: str | None = None) -> Exec: ...

    def dispatch(self, name: str, tmpl: dict[str, Any], ctx: TemplateContext, boundary_id: str, on_done: OnDone,
                 *, hooked: bool, retried: bool, depth: int) -> Exec: ...

    def fulfilled_node(self, name: str, type_: NodeType, phase: NodePhase, message: str, *, boundary_id: str,
                       on_done: OnDone, template_name: str = "", hooked: bool = False,
                       parent: Node | None = None) -> DoneExec: ...

    def error_node(self, name: str, message: str, *, boundary_id: str, on_done: OnDone, hooked: bool = False,
                   template_name: str = "") -> DoneExec: ...


class Exec:
    """One node being executed."""

    node: Node
    depth = 1  # Argo's stack depth of the executeTemplate call that created this node (engine.depth)

    def __init__(self, engine: Dispatcher, on_done: OnDone):
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

    def start(self, *, hooked: bool, retried: bool) -> None:
        """Create the node and begin (the dispatcher calls it once, for the executors it builds)."""
        raise NotImplementedError(type(self).__name__)

    def stop(self, strategy: str) -> None:
        """Shutdown: stop starting new work; running work is cancelled by the runtime's cancel event."""



class TemplateExec(Exec):
    """An executor of one template invocation: the node's name, the template, the context it resolves in and
    the boundary (the steps/DAG node) it belongs to, as every template type's executor takes them."""

    def __init__(self, engine: Dispatcher, name: str, tmpl: dict[str, Any], ctx: TemplateContext, boundary_id: str,
                 on_done: OnDone):
        super().__init__(engine, on_done)
        self.name = name
        self.tmpl = tmpl
        self.ctx = ctx
        self.boundary_id = boundary_id

class DoneExec(Exec):
    """A node created already fulfilled (Skipped, Omitted, or an Error placeholder)."""

    def __init__(self, engine: Dispatcher, on_done: OnDone, node: Node):
        super().__init__(engine, on_done)
        self.node = node
        self.done = True
        self.rt.post(lambda: on_done(self))


def fulfilled_node(engine: Dispatcher, name: str, type_: NodeType, phase: NodePhase, message: str, *,
                   boundary_id: str, on_done: OnDone, template_name: str = "", hooked: bool = False,
                   parent: Node | None = None) -> DoneExec:
    """A node that is fulfilled the moment it is created, as a child of `parent` when given."""
    rt = engine.rt
    node = rt.create_node(name, type_, template_name=template_name, boundary_id=boundary_id, phase=phase,
                          message=message, hooked=hooked)
    if parent is not None:
        rt.add_child(parent, node)
    return DoneExec(engine, on_done, node)


def error_node(engine: Dispatcher, name: str, message: str, *, boundary_id: str, on_done: OnDone,
               hooked: bool = False, template_name: str = "") -> DoneExec:
    """`initializeNodeOrMarkError`: a Skipped-type node in phase Error."""
    return fulfilled_node(engine, name, NodeType.SKIPPED, NodePhase.ERROR, message, boundary_id=boundary_id,
                          on_done=on_done, hooked=hooked, template_name=template_name)


def holder_template(holder: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """(templateName, templateRef) of the node a step/task creates: Argo records the reference as written."""
    ref = holder.get("templateRef")
    if ref:
        return "", {k: ref[k] for k in ("name", "template", "clusterScope") if ref.get(k) is not None}
    return str(holder.get("template") or ""), None


def json_of(obj: Any) -> str:
    """Compact JSON, for looking for references in a whole template (`hasOutputResultRef`)."""
    return json.dumps(obj, separators=(",", ":"), default=str)
