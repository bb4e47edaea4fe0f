"""The run loop: the single writer of run state.

Design (see docs/architecture.md): one loop thread owns every `Node`; work arrives as callables on a queue
(`post`) or as timers (`call_later`), so there is no busy polling. Worker threads run pods through the backend
and post their outcome back; they never touch nodes. Each executing node is an `Exec` object (pod, steps, DAG,
retry, suspend...) with `start()` and a completion callback to its parent, mirroring how Argo's
`executeTemplate` recursion builds the node tree (ARGO-SEMANTICS §0).
"""

from __future__ import annotations

import gc
import heapq
import itertools
import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from argonb.engine.artifacts import LocalRepository
from argonb.engine.backend import Backend
from argonb.engine.depth import start_thread_with_stack
from argonb.engine.events import EventBus, NodeLog, NodeUpdated, RunFinished, RunStarted
from argonb.engine.model import Node, NodePhase, NodeType
from argonb.engine.naming import display_name, node_id
from argonb.engine.slots import Slots
from argonb.engine.templatehash import LazyTemplateHash
from argonb.engine.workflow import Registry, TemplateContext, context_for_document
from argonb.spec.gcpause import collector_paused

log = logging.getLogger("argonb.engine")


class _GcPolicy:
    """While runs are active, Python's cyclic GC runs less often (restored when the last run ends).

    A run allocates a few hundred objects per node and keeps most of them (nodes, snapshots): with the default
    thresholds (700, 10, 10) the collector ran every couple of nodes and re-walked the whole heap ever more
    often as it grew, 15-30% of the run loop's time on 1,000-10,000-node workflows. Young collections now wait
    for 10,000 allocations and full ones for 100 middle ones; thresholds someone set higher, or 0 (disabled),
    are kept, and a change made meanwhile by the user is not undone.
    """

    YOUNG, OLD = 10_000, 100

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved: tuple[int, int, int] | None = None
        self._applied: tuple[int, int, int] | None = None

    def enter(self) -> None:
        with self._lock:
            self._active += 1
            if self._active == 1:
                saved = gc.get_threshold()
                if saved[0] > 0:
                    applied = (max(saved[0], self.YOUNG), saved[1], max(saved[2], self.OLD))
                    gc.set_threshold(*applied)
                    self._saved, self._applied = saved, applied

    def exit(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._saved is not None:
                if gc.get_threshold() == self._applied:
                    gc.set_threshold(*self._saved)
                self._saved = self._applied = None


GC_POLICY = _GcPolicy()


class Runtime:
    """State and plumbing of one run; the template semantics live in `argonb.engine.execute`."""

    def __init__(self, workflow: dict[str, Any], registry: Registry, backend: Backend, bus: EventBus,
                 run_dir: Path, repo: LocalRepository, *, max_workers: int = 64,
                 parallelism: int | None = None, clock: Callable[[], float] = time.time):
        self.workflow = workflow
        self.spec: dict[str, Any] = workflow["spec"]
        self.meta: dict[str, Any] = workflow["metadata"]
        self.name: str = self.meta["name"]
        self.registry = registry
        self.backend = backend
        self.bus = bus
        self.run_dir = run_dir
        self.repo = repo
        self.clock = clock
        self.context: TemplateContext = context_for_document(workflow, registry)
        self.nodes: dict[str, Node] = {}
        self.by_name: dict[str, Node] = {}
        self.globals: dict[str, Any] = {}
        self.global_artifacts: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.phase = "Pending"
        self.message = ""
        self.started_at = clock()
        self.finished_at: float | None = None
        self.pod_cancels: dict[str, threading.Event] = {}  # running pods' cancel switches, by node id
        self.stop_strategy: str | None = None
        # set by stop/terminate from any thread, cleared once the loop handles it: an expression
        # being evaluated on the loop when the stop arrives ends early instead of delaying it
        self.stop_requested = threading.Event()
        self.deadline_hit = False
        self.finished = threading.Event()
        limit = parallelism if parallelism is not None else self.spec.get("parallelism")
        self.pod_slots = Slots(int(limit) if limit else None)  # `spec.parallelism` (§10)
        self._queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="argonb-pod")
        self._unthreaded = Slots(max_workers)  # pods run without a worker thread, counted against max_workers
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.active_execs: set[Any] = set()
        self._dirty: dict[str, Node] = {}
        self.hook_watches: list[Any] = []
        self.daemons: dict[str, list[Any]] = {}
        self.lock_holders: set[str] = set()  # this run's holders in the process-wide LockManager  # boundary node id -> daemon PodExecs to kill when it ends  # lifecycle hooks waiting for their expression (engine.hooks)
        self._changed = False
        self._child_sets: dict[str, set[str]] = {}
        self.template_hashes: dict[str, str | LazyTemplateHash] = {}
        self.node_templates: dict[str, tuple[str, dict[str, Any] | None]] = {}  # name -> (templateName, templateRef)  # node name -> hash of its processed template (reuse)
        self.reuse: dict[str, dict[str, Any]] = {}  # node name -> earlier node status to keep (retry/resume)
        self.reuse_from = ""
        self.reuse_keeps_times = True  # kept nodes keep startedAt/finishedAt (retry); False: now (resubmit)
        self.execution_deadlines: dict[str, float] = {}  # node name -> absolute deadline (retry maxDuration)
        self.suspended: dict[str, Any] = {}  # node id -> SuspendExec waiting for resume

    # ---- loop -------------------------------------------------------------------------------------
    def start(self, begin: Callable[[], None]) -> None:
        self.bus.publish(RunStarted, workflow_name=self.name)
        self.phase = "Running"

        def begin_uncollected() -> None:
            # the first step expands the whole entry template (10,000 tasks of a DAG at once): everything it
            # allocates stays alive, so collections during it re-walk the new nodes and free nothing
            with collector_paused():
                begin()

        self.post(begin_uncollected)
        self._thread = threading.Thread(target=self._loop, name=f"argonb-run-{self.name}", daemon=True)
        start_thread_with_stack(self._thread)  # nested templates expand on this thread's stack (engine/depth.py)

    def post(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the loop thread (thread-safe)."""
        self._queue.put(fn)

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run `fn` on the loop thread after `delay` seconds (loop thread only)."""
        heapq.heappush(self._timers, (self.clock() + max(0.0, delay), next(self._timer_seq), fn))

    def _loop(self) -> None:
        from argonb.expr import limits

        GC_POLICY.enter()
        limits.set_interrupt(self.stop_requested.is_set)
        try:
            while not self._stopping:
                timeout = None
                if self._timers:
                    # capped: a timer years away (a huge deadline or suspend) must not overflow the wait
                    timeout = min(max(0.0, self._timers[0][0] - self.clock()), 3600.0)
                try:
                    fn: Callable[[], None] | None = self._queue.get(timeout=timeout)
                except queue.Empty:
                    fn = None
                now = self.clock()
                while self._timers and self._timers[0][0] <= now:
                    _, _, due = heapq.heappop(self._timers)
                    self._safely(due)
                if fn is not None:
                    self._safely(fn)
                self._safely(self._evaluate_hooks)
                self._flush_dirty()
        finally:
            limits.set_interrupt(None)
            self._pool.shutdown(wait=False, cancel_futures=True)
            GC_POLICY.exit()
            self.finished.set()

    def _safely(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:  # an engine bug must end the run in Error, not hang it
            log.exception("engine error")
            self.finish_run("Error", f"internal error in argonb: {exc}\n{traceback.format_exc(limit=8)}")

    def finish_run(self, phase: str, message: str) -> None:
        if self._stopping:
            return
        self._flush_dirty()
        from argonb.engine.sync import LOCKS

        for holder in list(self.lock_holders):  # a run that ends (even in error) frees its locks
            LOCKS.cancel(holder)
            LOCKS.release(holder)
        self.phase = phase
        self.message = message
        self.finished_at = self.clock()
        self.cancel_pods()
        self._stopping = True
        self.bus.publish(RunFinished, phase=phase, message=message)

    # ---- nodes ------------------------------------------------------------------------------------
    def create_node(self, name: str, type_: NodeType, *, template_name: str = "", boundary_id: str = "",
                    phase: NodePhase = NodePhase.RUNNING, message: str = "", hooked: bool = False,
                    retried: bool = False, inputs: dict[str, Any] | None = None, publish: bool = True) -> Node:
        """A new node (or an adopted placeholder); `publish=False` leaves its first snapshot to the caller (a pod
        that starts at once is first seen Running, one snapshot instead of Pending then Running)."""
        placeholder = self.by_name.get(name)
        if placeholder is not None and placeholder.detail.pop("placeholder", False):
            return self._adopt(placeholder, type_, template_name, phase, message, hooked, retried, inputs, publish)
        boundary = self.nodes.get(boundary_id)
        node = Node(id=node_id(self.name, name), name=name,
                    display_name=display_name(name, boundary.name if boundary else None), type=type_,
                    template_name=template_name, phase=phase, message=message, boundary_id=boundary_id,
                    hooked=hooked, retried=retried, inputs=inputs, started_at=self.clock())
        if name in self.template_hashes:
            node.detail["templateHash"] = self.template_hashes[name]
        holder = self.node_templates.get(name)
        if holder is not None:  # `initializeNode`: templateName/templateRef come from the calling step/task
            node.template_name, node.template_ref = holder
        if phase.fulfilled:
            node.finished_at = node.started_at
        self.nodes[node.id] = node
        self.by_name[name] = node
        if publish:
            self.publish_node(node)
        return node

    def _evaluate_hooks(self) -> None:
        while self._changed and self.hook_watches:
            self._changed = False
            for watch in list(self.hook_watches):
                watch.evaluate()

    def _adopt(self, node: Node, type_: NodeType, template_name: str, phase: NodePhase, message: str,
               hooked: bool, retried: bool, inputs: dict[str, Any] | None, publish: bool = True) -> Node:
        """Turn a placeholder (a node that waited for a lock) into the real node, keeping the same object so
        every reference to it stays valid."""
        node.type, node.template_name, node.phase, node.message = type_, template_name, phase, message
        node.hooked, node.retried, node.inputs = hooked, retried, inputs
        if phase.fulfilled:
            node.finished_at = self.clock()
        if publish:
            self.publish_node(node)
        return node

    def publish_node(self, node: Node) -> None:
        self._changed = True
        extra = {k: v for k, v in node.detail.items() if k in ("templateHash", "command", "container", "script", "reusedFrom")}
        digest = extra.get("templateHash")
        if isinstance(digest, LazyTemplateHash):  # hashed once the node is fulfilled, the state a retry reads
            if node.phase.fulfilled:
                extra["templateHash"] = node.detail["templateHash"] = digest.value()
            else:
                del extra["templateHash"]
        if node.reused:
            extra["reused"] = True
        self.bus.publish(NodeUpdated, node_id=node.id, phase=node.phase._value_, node=node.to_status(), extra=extra)

    def set_phase(self, node: Node, phase: NodePhase, message: str | None = None) -> None:
        node.phase = phase
        if message is not None:
            node.message = message
        if phase.fulfilled and node.finished_at is None:
            node.finished_at = self.clock()
        self.publish_node(node)

    def add_child(self, parent: Node, child: Node) -> None:
        seen = self._child_sets.setdefault(parent.id, set())
        if child.id not in seen:  # a set keeps this O(1) for 10,000-child fan-outs
            seen.add(child.id)
            parent.children.append(child.id)
            self._dirty[parent.id] = parent  # published once per loop iteration, however many children

    def _flush_dirty(self) -> None:
        while self._dirty:
            _, node = self._dirty.popitem()
            self.publish_node(node)

    def log_line(self, node_id_: str, stream: str, line: str) -> None:
        """Called from worker threads: events are thread-safe, nodes are not touched."""
        self.bus.publish(NodeLog, node_id=node_id_, stream=stream, line=line)

    def kill_daemons(self, boundary_id: str) -> None:
        for ex in self.daemons.pop(boundary_id, []):
            ex.kill_daemon()

    def cancel_pods(self) -> None:
        """Kill every pod running now (pods started later, e.g. exit handlers under Stop, are unaffected)."""
        for event in list(self.pod_cancels.values()):
            event.set()

    def shutdown_blocks(self, node_name: str) -> bool:
        """Under `Stop` only exit handlers (and what they run) may still start; under `Terminate` nothing."""
        if not self.stop_strategy:
            return False
        return not (self.stop_strategy == "Stop" and ".onExit" in node_name)

    def deadline_exceeded(self) -> bool:
        limit = self.spec.get("activeDeadlineSeconds")
        return limit is not None and self.clock() >= self.started_at + float(str(limit))

    # ---- pods -------------------------------------------------------------------------------------
    def acquire_pod_slot(self, start: Callable[[], None]) -> None:
        """`spec.parallelism` counts running pods workflow-wide (§10); waiters start in creation order."""
        self.pod_slots.acquire(start)

    def release_pod_slot(self) -> None:
        self.pod_slots.release()

    def start_without_worker(self, start: Callable[[], None]) -> None:
        """A pod that needs no worker thread still counts against `max_workers`, the bound the thread pool puts
        on the others: how many pods of this run are running at once (loop thread only)."""
        self._unthreaded.acquire(start)

    def worker_free(self) -> None:
        """The end of a pod started with `start_without_worker`: the next one waiting goes (loop thread)."""
        self._unthreaded.release()

    def submit(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run `work` on a worker thread, then `done(result)` on the loop thread."""

        def job() -> None:
            try:
                result = work()
            except Exception as exc:  # nothing escapes a worker thread
                # an OSError (a full disk, a missing permission) is the environment, not a bug: the node's
                # message says it, without a traceback
                (log.debug if isinstance(exc, OSError) else log.exception)("worker error: %s", exc)
                result = exc
            self.post(lambda: done(result))

        self._pool.submit(job)

    # ---- globals ----------------------------------------------------------------------------------
    def add_global_output(self, param: dict[str, Any]) -> None:
        name = param.get("globalName")
        if not name or param.get("value") is None:
            return
        self.globals[f"workflow.outputs.parameters.{name}"] = str(param["value"])
        self.outputs.setdefault("parameters", {})[name] = str(param["value"])

    def add_global_artifact(self, art: dict[str, Any]) -> None:
        name = art.get("globalName")
        if not name:
            return
        self.global_artifacts[f"workflow.outputs.artifacts.{name}"] = art
        self.outputs.setdefault("artifacts", {})[name] = art
