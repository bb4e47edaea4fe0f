"""The proposed 5-line routing of `backend="argo"` in `argonb.engine.api.run` (see docs/cluster.md), applied here
with monkeypatch, makes the run store, `argonb run --backend argo` and the notebook's `%%workflow --backend argo`
work unchanged against a MOCK Argo Server (tests/argo/fake_argo.py)."""

from __future__ import annotations

import time

import pytest

import argonb.engine.api as api
from argonb.backends.argo import ArgoRun
from argonb.cli.main import main
from tests.argo.conftest import HELLO, TOKEN
from tests.argo.fake_argo import FakeArgoServer, steps_plan


def routed(original):
    """What api.run would do with the proposed change: hand `backend="argo"` to argonb.backends.argo.submit."""

    def run(source, parameters=None, *, backend="local", **options):
        if backend == "argo":
            from argonb.backends.argo import submit

            return submit(source, parameters, **options)
        return original(source, parameters, backend=backend, **options)

    return run


@pytest.fixture
def argo_env(monkeypatch, fake):
    monkeypatch.setattr(api, "run", routed(api.run))
    monkeypatch.setenv("ARGO_SERVER", fake.url)
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    return fake


def test_run_recorded_with_backend_argo_records_the_cluster_run(argo_env, tmp_path):
    from argonb.store import open_store, run_recorded

    run = run_recorded(HELLO, {"who": "store"}, backend="argo", home=tmp_path, wait=True)
    assert isinstance(run, ArgoRun) and run.phase == "Succeeded"
    with open_store(tmp_path) as store:
        rec = store.get_run(run.name)
        assert (rec.backend, rec.phase, rec.parameters) == ("argo", "Succeeded", {"who": "store"})
        assert rec.progress == (1, 1)
        assert any(n["displayName"] == "hello" for n in store.nodes(rec).values())
    pod = run.node("hello")["podName"]
    assert (tmp_path / "runs" / run.name / "pods" / pod / "main.log").read_text() == "hello world\n"


def test_argonb_run_backend_argo(argo_env, tmp_path, capsys):
    path = tmp_path / "wf.yaml"
    path.write_text(HELLO)
    assert main(["run", str(path), "--backend", "argo"]) == 0
    out = capsys.readouterr().out
    assert "hello: hello world" in out and "Succeeded" in out


def test_argonb_stop_reaches_the_server_through_the_run_store(monkeypatch, tmp_path):
    with FakeArgoServer(token=TOKEN, plan=steps_plan([("hello", "Succeeded", ["hi"])])) as fake:
        monkeypatch.setattr(api, "run", routed(api.run))
        monkeypatch.setenv("ARGO_SERVER", fake.url)
        monkeypatch.setenv("ARGO_TOKEN", TOKEN)
        from argonb.store import open_store, run_recorded

        run = run_recorded(HELLO, backend="argo", home=tmp_path)
        deadline = time.monotonic() + 10
        while not run.nodes and time.monotonic() < deadline:
            time.sleep(0.01)
        fake.hold(run.name)
        with open_store(tmp_path) as store:
            while time.monotonic() < deadline:
                try:
                    store.get_run(run.name)  # recorded (the recorder writes in batches)
                    break
                except LookupError:
                    time.sleep(0.02)
            store.request(run.name, "stop")  # what `argonb stop RUN` does from another process
        run.wait(10)
        assert [r.path for r in fake.calls("PUT")] == [f"/api/v1/workflows/argo/{run.name}/stop"]
        assert run.phase == "Failed" and "Stop" in run.message
        assert fake.violations == []


def test_notebook_cell_with_backend_argo(argo_env):
    from IPython.testing.globalipapp import get_ipython, start_ipython

    ip = start_ipython() or get_ipython()  # None when another test module started the shell first
    ip.run_line_magic("load_ext", "argonb")
    result = ip.run_cell("%%workflow --name on_cluster --wait --backend argo\n" + HELLO)
    assert result.success, result.error_in_exec
    run = ip.user_ns["on_cluster"]
    assert isinstance(run, ArgoRun) and run.name.startswith("hello-") and run.phase == "Succeeded"
    session = ip.magics_manager.registry["WorkflowMagics"].session
    view = session.views[run.name]
    assert view.final.wait(10)
    assert "hello world" in view.log.text
    assert (view.progress.value, view.progress.max) == (1, 1)
    assert "argonb_succeeded" in view.header.value
