"""`Run`: the public handle on one workflow run (phase, nodes, outputs, logs, wait/stop/resume, events).

Thread-safe for readers: node snapshots are kept from the event stream, so reading a running `Run` never
touches the engine's live state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argonb.engine.events import Event, NodeUpdated, RunFinished
from argonb.engine.lifecycle import WorkflowLifecycle
from argonb.engine.runtime import Runtime
from argonb.engine.timefmt import rfc3339
from argonb.rundir import MAIN, RunDir

TERMINAL = ("Succeeded", "Failed", "Error")


class Run:
    def __init__(self, rt: Runtime, lifecycle: WorkflowLifecycle, *, source_text: str = "",
                 parameters: dict[str, Any] | None = None):
        self._rt = rt
        self._lifecycle = lifecycle
        self.name = rt.name
        self.uid = lifecycle.uid
        self.workflow = rt.workflow
        self.run_dir: Path = rt.run_dir
        self.source_text = source_text
        self.parameters = dict(parameters or {})
        self._nodes: dict[str, dict[str, Any]] = {}
        self._reused_from: dict[str, str] = {}  # node id -> run it was kept from
        self._lock = threading.Lock()
        self._finished = threading.Event()
        rt.bus.subscribe(self._on_event)

    # ---- events -------------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, NodeUpdated):
            with self._lock:
                self._nodes[event.node_id] = event.node
                if event.extra.get("reusedFrom"):
                    self._reused_from[event.node_id] = event.extra["reusedFrom"]
        elif isinstance(event, RunFinished):
            self._finished.set()

    def subscribe(self, fn: Callable[[Event], None]) -> Callable[[], None]:
        """Receive every later event (on engine/worker threads: return fast, never block)."""
        return self._rt.bus.subscribe(fn)

    # ---- state --------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.name

    @property
    def phase(self) -> str:
        return self._rt.phase

    @property
    def message(self) -> str:
        return self._rt.message

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def nodes(self) -> dict[str, dict[str, Any]]:
        """Argo-shaped node statuses keyed by node ID (a snapshot)."""
        with self._lock:
            return dict(self._nodes)

    def node(self, key: str) -> dict[str, Any]:
        """A node by ID, full name or display name (the first match in creation order)."""
        nodes = self.nodes
        if key in nodes:
            return nodes[key]
        for field in ("name", "displayName"):
            for node in nodes.values():
                if node.get(field) == key:
                    return node
        raise KeyError(f"no node {key!r} in run {self.name}")

    @property
    def outputs(self) -> dict[str, Any]:
        """Workflow outputs (`globalName` parameters and artifacts)."""
        return dict(self._rt.outputs)

    def logs(self, node: str | None = None, *, tail_bytes: int | None = None) -> str:
        """Full log (stdout and stderr as they arrived) of a pod node, or of every pod node in order.
        `tail_bytes`: only the end of one node's log (its last whole lines within that many bytes), so showing
        a 200 MB log's tail never reads the whole file."""
        if node is not None and tail_bytes is not None:
            return self._pod_log(self.node(node), tail_bytes)
        if node is None:
            parts = []
            for n in sorted(self.nodes.values(), key=lambda n: n.get("startedAt") or ""):
                if n.get("type") == "Pod":
                    text = self._pod_log(n)
                    if text:
                        parts.append("".join(f"{n['displayName']}: {line}\n" for line in text.splitlines()))
            return "".join(parts)
        return self._pod_log(self.node(node))

    @property
    def kept_from(self) -> dict[str, str]:
        """Node id -> the run a node was kept from by a retry or `--reuse` (it did not run again)."""
        with self._lock:
            return dict(self._reused_from)

    def log_path(self, node: str | dict[str, Any], stream: str = "main") -> Path | None:
        """Where a pod node's full log is on disk (None for nodes without a pod). The one place that knows it:
        a node kept from an earlier run logged into that run's directory, under its old pod name.
        `stream`: `main` (both streams as they arrived), `stdout` or `stderr`."""
        if isinstance(node, str):
            node = self.node(node)
        pod = node.get("podName")
        container = MAIN
        if node.get("type") == "Container":  # a containerSet container: its log sits in its pod's directory
            parent = self.nodes.get(node.get("boundaryID", ""), {})
            pod = parent.get("podName")
            container = str(node.get("displayName"))
        if not pod:
            return None
        run_dir = RunDir(self.run_dir)
        origin = self.kept_from.get(node.get("id", ""))
        if origin:
            run_dir = run_dir.sibling(origin)
        return run_dir.log_file(str(pod), stream, container)

    def _pod_log(self, node: dict[str, Any], tail_bytes: int | None = None) -> str:
        path = self.log_path(node)
        if path is None or not path.exists():
            return ""
        if tail_bytes is not None:
            return _read_tail(path, tail_bytes)
        return path.read_bytes().decode("utf-8", errors="replace")

    # ---- control ------------------------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Run:
        """Block until the run ends (or `timeout` seconds pass); returns the run."""
        self._finished.wait(timeout)
        if self._finished.is_set():
            self._rt.finished.wait(5)
        return self

    def stop(self) -> None:
        """Argo's `stop`: running nodes are killed, exit handlers still run."""
        self._request_stop("Stop")

    def terminate(self) -> None:
        """Argo's `terminate`: like stop, but exit handlers do not run."""
        self._request_stop("Terminate")

    def _request_stop(self, strategy: str) -> None:
        self._rt.stop_requested.set()   # interrupts an expression the loop may be evaluating now

        def stop() -> None:
            self._rt.stop_requested.clear()   # exit handlers' expressions run normally
            self._lifecycle.stop(strategy)

        self._rt.post(stop)

    def resume(self, node: str | None = None, outputs: dict[str, str] | None = None) -> None:
        """Resume suspended nodes (all, or the one named), supplying output parameter values."""

        def do() -> None:
            for ex in list(self._rt.suspended.values()):
                if node is None or node in (ex.node.id, ex.node.name, ex.node.display_name):
                    ex.resume(dict(outputs or {}))

        self._rt.post(do)

    # ---- serialisation -------------------------------------------------------------------------------
    def progress(self) -> tuple[int, int]:
        """Argo's `status.progress` (N, M): see `argonb.engine.progress`."""
        from argonb.engine.progress import progress

        return progress(self.nodes)

    def to_workflow(self) -> dict[str, Any]:
        """The Workflow object with an Argo-shaped `status`."""
        done, total = self.progress()
        status: dict[str, Any] = {
            "phase": self.phase,
            "startedAt": rfc3339(self._rt.started_at),
            "finishedAt": rfc3339(self._rt.finished_at) if self._rt.finished_at else None,
            "progress": f"{done}/{total}",
            "nodes": self.nodes,
        }
        if self.message:
            status["message"] = self.message
        outputs = self.outputs
        if outputs:
            status["outputs"] = {
                "parameters": [{"name": k, "value": v} for k, v in (outputs.get("parameters") or {}).items()],
                "artifacts": list((outputs.get("artifacts") or {}).values()),
            }
        wf = dict(self.workflow)
        wf["metadata"] = {**wf.get("metadata", {}), "uid": self.uid,
                          "creationTimestamp": rfc3339(self._rt.started_at)}
        wf["status"] = status
        return wf

    def __repr__(self) -> str:
        done, total = self.progress()
        return f"<Run {self.name} {self.phase} {done}/{total} pods>"


def _read_tail(path: Path, limit: int) -> str:
    """The last `limit` bytes of a file, from the first line that starts inside them (unless that cuts all)."""
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - limit))
        data = fh.read(limit)
    if size > limit:
        cut = data.find(b"\n")
        if 0 <= cut < len(data) - 1:
            data = data[cut + 1:]
    return data.decode("utf-8", errors="replace")
