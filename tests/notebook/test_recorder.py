"""The event recorder keeps bounded state cheaply; the refresher coalesces flushes and always flushes last."""

from __future__ import annotations

import threading

from argonb.engine.events import NodeLog, NodeUpdated, RunFinished
from argonb.notebook.recorder import Refresher, RunRecorder


def event(cls, seq, **fields):
    return cls(run_id="r", seq=seq, time=100.0 + seq, **fields)


def test_logs_are_a_bounded_tail_with_a_total():
    rec = RunRecorder(log_lines=5)
    for i in range(12):
        rec.on_event(event(NodeLog, i, node_id="n", line=f"line {i}\n"))
    tail, total = rec.log_tail("n")
    assert tail == [f"line {i}" for i in range(7, 12)] and total == 12


def test_latest_node_snapshot_wins_and_finish_is_recorded():
    rec = RunRecorder()
    rec.on_event(event(NodeUpdated, 1, node_id="a", phase="Running", node={"id": "a", "phase": "Running"}))
    rec.on_event(event(NodeUpdated, 2, node_id="a", phase="Failed", node={"id": "a", "phase": "Failed"}))
    rec.on_event(event(RunFinished, 3, phase="Failed", message="boom"))
    state = rec.state()
    assert state.nodes["a"]["phase"] == "Failed" and (state.phase, state.message) == ("Failed", "boom")
    assert state.finished and state.finished_at == 103.0 and state.version == 3


def test_seed_never_overwrites_newer_events():
    rec = RunRecorder()
    rec.on_event(event(NodeUpdated, 1, node_id="a", phase="Succeeded", node={"id": "a", "phase": "Succeeded"}))
    rec.seed({"a": {"id": "a", "phase": "Running"}, "b": {"id": "b"}}, phase="Running", message="",
             finished=False, logs={"a": "x\ny\n"})
    assert rec.state().nodes["a"]["phase"] == "Succeeded" and "b" in rec.state().nodes
    assert rec.log_tail("a") == (["x", "y"], 2)


class CountingView:
    """Flushes whatever the recorder holds; settles after flushing a finished state."""

    def __init__(self, recorder: RunRecorder):
        self.recorder = recorder
        self.flushes = 0
        self.last_seen = -1
        self.done = threading.Event()

    def flush(self) -> None:
        self.flushes += 1
        state = self.recorder.state()
        self.last_seen = state.version
        if state.finished:
            self.done.set()

    @property
    def settled(self) -> bool:
        return self.done.is_set()


def test_refresher_coalesces_a_burst_and_delivers_the_final_state():
    refresher = Refresher(interval=0.05)
    rec = RunRecorder(on_change=refresher.poke)
    view = CountingView(rec)
    refresher.add(view)
    for i in range(5000):
        rec.on_event(event(NodeLog, i, node_id="n", line="x"))
    rec.on_event(event(RunFinished, 5000, phase="Succeeded"))
    assert view.done.wait(10)
    assert view.last_seen == 5001  # the last flush saw every event
    assert view.flushes < 100  # thousands of events, a handful of widget updates
