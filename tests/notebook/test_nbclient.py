"""Notebooks executed headless by nbclient in a real kernel: the saved file must hold the final state.

nbclient stops listening when the last cell ends, so every notebook ends with `%workflow wait`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from notebook_samples import FAILING, TYPO, gated

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

REPO = Path(__file__).resolve().parents[2]


def execute(tmp_path: Path, monkeypatch, cells: list[str]) -> nbformat.NotebookNode:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                                     store_widget_state=True, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    nbformat.validate(nb)  # GitHub rejects widget metadata without `state`
    path = tmp_path / "out.ipynb"
    nbformat.write(nb, path)
    return nbformat.read(path, as_version=4)


def widget_models(nb) -> list[dict]:
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return list(state.values())


def model_values(nb, name: str, key: str) -> list:
    return [m["state"].get(key) for m in widget_models(nb) if m["model_name"] == name]


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def run_outputs(cell) -> tuple[dict, dict]:
    """(the widget output, the snapshot output) of a cell that showed one run: two display outputs, so
    no frontend shows the widget's placeholder instead of the snapshot."""
    displays = [o["data"] for o in cell.outputs if o.output_type == "display_data"]
    assert len(displays) == 2, cell.outputs
    widget, snapshot = displays
    assert set(widget) == {WIDGET_VIEW, "text/plain"}
    assert WIDGET_VIEW not in snapshot and set(snapshot) == {"text/html", "text/plain"}
    return widget, snapshot


def only_display(cell) -> dict:
    return run_outputs(cell)[1]


def test_live_run_saves_final_widget_state_and_snapshot(tmp_path, monkeypatch, gate):
    nb = execute(tmp_path, monkeypatch, [
        "%load_ext argonb",
        "%%workflow\n" + TYPO,
        "%%workflow --name live\n" + gated(str(gate)),
        f"open({str(gate)!r}, 'w').close()",  # released only after the magic cell returned
        "%workflow wait live",
    ])
    error = nb.cells[1].outputs[0]
    assert error.output_type == "error" and error.ename == "WorkflowCellError"
    trace = "\n".join(error.traceback)
    assert "cell:7:" in trace and "entrypoint: mian" in trace and "Traceback (most recent" not in trace

    data = only_display(nb.cells[2])
    snapshot = data["text/html"]  # replaced through the display handle when the run ended
    assert "argonb-snapshot" in snapshot and "argonb_running" not in snapshot
    assert snapshot.count("argonb_succeeded") >= 3 and "second" in snapshot
    assert "Succeeded" in "".join(o.get("text", "") for o in nb.cells[4].outputs)

    headers = [v for v in model_values(nb, "HTMLModel", "value") if v and "argonb-header" in v]
    assert headers and all("argonb_succeeded" in h for h in headers)
    assert model_values(nb, "IntProgressModel", "value") == [2]
    assert model_values(nb, "IntProgressModel", "bar_style") == ["success"]
    buttons = {m["state"]["description"]: m["state"]["disabled"] for m in widget_models(nb)
               if m["model_name"] == "ButtonModel"}
    assert buttons == {"Stop": True, "Retry failed nodes": True, "Re-run": False}
    assert len(json.dumps(nb.metadata["widgets"])) < 200_000


def test_failed_wait_run_then_retry_from_the_notebook(tmp_path, monkeypatch):
    nb = execute(tmp_path, monkeypatch, [
        "%load_ext argonb",
        "%%workflow --wait --name wf\n" + FAILING,
        "first = wf.name; wf.phase",
        "%workflow retry wf",
        "%workflow wait wf\nassert wf.name == first  # Argo's retry keeps the workflow name",
        "hello = wf.node('hello'); assert hello['phase'] == 'Succeeded'; assert wf.node('bad')['phase'] == 'Failed'",
    ])
    assert all(o.output_type != "error" for c in nb.cells for o in c.outputs), "a failed run must not raise"
    first = only_display(nb.cells[1])["text/html"]
    assert "argonb_failed" in first and "boom" in first and "log of bad" in first
    assert nb.cells[2].outputs[0]["data"]["text/plain"] == "'Failed'"
    retried = only_display(nb.cells[3])["text/html"]
    assert "retry of failing-" in retried and "boom" in retried
    logs = [v for v in model_values(nb, "HTMLModel", "value") if v and "argonb-log" in v]
    assert any("boom" in v for v in logs)
    retry = [m["state"]["disabled"] for m in widget_models(nb) if m["model_name"] == "ButtonModel"
             and m["state"]["description"] == "Retry failed nodes"]
    assert retry == [False]  # the retried run failed too: retry stays available
