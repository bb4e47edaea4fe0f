"""Issue 17: the Argo client, parity and the facade take the input loaded once at the edge (a LoadedWorkflow)
and parse nothing again; `argonb.run(..., backend="argo")` reaches the Argo client through the facade, and
local-only options are noted from the run configuration (not by filtering keyword arguments by hand)."""

from __future__ import annotations

import argonb
from argonb.backends.argo import ArgoRun
from argonb.parity import parity_report
from tests.argo.conftest import HELLO
from tests.loadcount import count_loads


def test_issue17_argo_run_of_a_loaded_workflow_parses_and_lints_nothing_more(fake, connect, monkeypatch):
    from argonb.engine.loaded import load_workflow

    loaded = load_workflow(HELLO)
    counts = count_loads(monkeypatch)
    run = argonb.run(loaded, {"who": "loaded"}, backend="argo", wait=True, **connect)
    assert isinstance(run, ArgoRun) and run.phase == "Succeeded"
    assert parity_report(loaded) == parity_report(HELLO)
    assert counts["lint"] == 0
    assert counts["parse"] == 1  # parity_report(HELLO) only: the loaded value is never parsed again


def test_issue17_local_only_options_are_noted_from_the_run_config(fake, connect):
    run = argonb.run(HELLO, backend="argo", reuse_keeps_times=False, max_workers=64, **connect)
    assert "local-only options ignored on the Argo Server: reuse_keeps_times" in run.warnings


def test_issue17_the_run_namespace_is_the_argo_namespace(fake, connect):
    """`namespace=` is a run option (locks are per namespace locally); on an Argo Server it is where the workflow
    is created, unless a connection setting names another one."""
    fake.namespaces.add("team")
    run = argonb.run(HELLO, backend="argo", namespace="team", follow=False, **connect)
    assert fake.calls("POST", "/api/v1/workflows/team") and not fake.calls("POST", "/api/v1/workflows/argo")
    assert run.name
