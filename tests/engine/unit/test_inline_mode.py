"""The engine inline (issue 17, item 5): no loop thread, no worker thread, a loop the test turns."""

from __future__ import annotations

import threading

from argonb.engine.backend import PodResult
from argonb.engine.model import NodePhase
from tests.engine.unit.conftest import pod, workflow


def test_inline_run_starts_no_thread_and_steps_turn_by_turn(inline):
    before = threading.active_count()
    run = inline(workflow({"name": "main", "steps": [[{"name": "a", "template": "leaf"}]]}, pod("leaf")))
    turns = 0
    while run.step():
        turns += 1
        assert threading.active_count() == before
    assert turns > 1  # the loop really was turned from outside, one callable at a time
    assert run.rt.phase == "Succeeded"
    assert run.nodes["a"].phase is NodePhase.SUCCEEDED
    assert [r.template_name for r in run.backend.requests] == ["leaf"]


def test_inline_run_is_deterministic(inline):
    """Pods run in the order the loop queued them, the same on every run (no race between workers)."""
    dag = {"name": "main", "dag": {"tasks": [{"name": f"t{i}", "template": "leaf"} for i in range(8)]}}
    orders = []
    for _ in range(3):
        run = inline(workflow(dag, pod("leaf")))
        assert run.run() == "Succeeded"
        orders.append([r.node_name for r in run.backend.requests])
    assert orders[0] == orders[1] == orders[2]
    assert [name.rsplit(".", 1)[1] for name in orders[0]] == [f"t{i}" for i in range(8)]


def test_timers_fire_on_the_manual_clock_without_waiting(inline):
    """A suspend of a day (§5.7) and a retry backoff of an hour (§7) pass at once on the manual clock."""
    wf = workflow({"name": "main", "steps": [[{"name": "nap", "template": "nap"}], [{"name": "r", "template": "flaky"}]]},
                  {"name": "nap", "suspend": {"duration": "24h"}},
                  pod("flaky", retryStrategy={"limit": 1, "backoff": {"duration": "1h"}}))
    calls = []

    def flaky(request, on_log):
        calls.append(request.node_name)
        return PodResult(exit_code=1 if len(calls) == 1 else 0)

    run = inline(wf, {"flaky": flaky})
    start = run.clock()
    assert run.run() == "Succeeded"
    assert run.clock() - start >= 24 * 3600 + 3600
    assert [c.rsplit("(", 1)[1] for c in calls] == ["0)", "1)"]
