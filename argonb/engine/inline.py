"""The engine inline, without threads: a deterministic in-process mode for unit tests of the executors.

`InlineRun` builds the same Runtime and WorkflowLifecycle a real run uses, with `Runtime(inline=True)`: no loop
thread and no worker pool; work that would go to a worker runs on the caller's thread, in the order it was
queued, and timers fire on a `ManualClock` that `run()` moves to the next timer when nothing else is due.
`step()` runs one turn of the loop, so a test can look at the nodes between turns. `ScriptedBackend` stands in
for a container runtime: each pod's result comes from the test (by template name), nothing is executed.
A backend given instead should have no `start()` (the local backend's supervisor finishes pods on a thread of
its own, which an inline run does not wait for). Daemons' readiness probes still poll for real.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from argonb.engine.artifacts import LocalRepository
from argonb.engine.backend import LogSink, PodRequest, PodResult
from argonb.engine.events import EventBus
from argonb.engine.lifecycle import WorkflowLifecycle
from argonb.engine.model import Node
from argonb.engine.runtime import Runtime
from argonb.engine.workflow import Registry, apply_parameters, workflow_from_document
from argonb.rundir import RunDir, artifacts_dir

PodScript = Callable[[PodRequest, LogSink], PodResult]


class ManualClock:
    """A clock that moves only when told to: timers (suspend durations, retry backoff) run without waiting."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance_to(self, when: float) -> None:
        self.now = max(self.now, when)


class ScriptedBackend:
    """Pods finish as the test says: `results[template name]` is a PodResult, or a function of the request
    (it may write output files under `request.host_path(...)`, log lines through the sink); others exit 0."""

    name = "scripted"

    def __init__(self, results: Mapping[str, PodResult | PodScript] | None = None):
        self.results = dict(results or {})
        self.requests: list[PodRequest] = []  # every pod asked for, in order

    def check(self) -> str | None:
        return None

    def run(self, request: PodRequest, on_log: LogSink, cancel: threading.Event) -> PodResult:
        self.requests.append(request)
        scripted = self.results.get(request.template_name)
        if scripted is None:
            return PodResult(exit_code=0)
        return scripted(request, on_log) if callable(scripted) else scripted


class InlineRun:
    """One workflow run, driven by the caller: `step()` one turn at a time or `run()` to the end."""

    def __init__(self, workflow: Mapping[str, Any], home: Path, backend: Any | None = None, *,
                 templates: list[Mapping[str, Any]] | None = None, parameters: Mapping[str, Any] | None = None,
                 clock: ManualClock | None = None):
        registry = Registry()
        for doc in templates or []:
            registry.add_document(dict(doc))
        wf = workflow_from_document(dict(workflow), registry)
        meta = wf["metadata"]
        meta["name"] = meta.get("name") or str(meta.get("generateName") or "workflow-") + "inline"
        apply_parameters(wf, dict(parameters) if parameters else None)
        self.clock = clock or ManualClock()
        self.backend = backend if backend is not None else ScriptedBackend()
        self.events: list[Any] = []
        bus = EventBus(meta["name"], self.clock)
        bus.subscribe(self.events.append)
        run_dir = RunDir.of(home, meta["name"]).path
        run_dir.mkdir(parents=True, exist_ok=True)
        self.rt = Runtime(wf, registry, self.backend, bus, run_dir, LocalRepository(artifacts_dir(home)),
                          clock=self.clock, inline=True)
        self.lifecycle = WorkflowLifecycle(self.rt)
        self.rt.start(self.lifecycle.begin)

    def step(self) -> bool:
        """One turn of the run loop; False when nothing was due (the run is over or waits for a timer)."""
        return self.rt.step()

    def run(self, max_turns: int = 100_000) -> str:
        """Turn the loop until the run is finished (timers fire at once), and return the workflow's phase."""
        for _ in range(max_turns):
            if self.rt.finished.is_set():
                return self.rt.phase
            if not self.rt.step():
                due = self.rt.next_timer()
                if due is None:
                    break  # waiting for something outside the run (a resume): the caller decides
                self.clock.advance_to(due)
        return self.rt.phase

    @property
    def nodes(self) -> dict[str, Node]:
        """Nodes by display name (the last one of a name wins)."""
        return {n.display_name: n for n in self.rt.nodes.values()}
