"""A notebook saved with widget state still shows every run where no widget JavaScript runs.

Found by experiment (nbconvert 7): given saved widget state, nbconvert's HTML exporter renders an output
bundle holding `application/vnd.jupyter.widget-view+json` as a `<script>` placeholder and drops the bundle's
`text/html`; GitHub draws a widget output as nothing. So each run shows as two outputs: the widget (widget
view + a one-line `text/plain`) and the static snapshot (`text/html` + a `text/plain` node table), which the
widget hides only where it renders itself.
"""

from __future__ import annotations

import os
import re
import time
import tracemalloc
from pathlib import Path

import nbformat
import pytest
from notebook_samples import recovered_and_failed
from sharing_checks import nbconvert_html, shown_runs, without_scripts

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("nbconvert")

REPO = Path(__file__).resolve().parents[2]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  templates:
    - name: main
      container: {image: alpine, command: [sh, -c], args: ["echo hello"]}
"""


def executed_notebook(path: Path, monkeypatch, cells: list[str]) -> nbformat.NotebookNode:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    return nb


@pytest.mark.timeout(240)
def test_nbconvert_html_offline_shows_each_runs_graph_and_phases_with_widget_state_saved(tmp_path, monkeypatch,
                                                                                          gate):
    gate.parent.mkdir(exist_ok=True)
    path = tmp_path / "shared.ipynb"
    nb = executed_notebook(path, monkeypatch, [
        "%load_ext argonb",
        "%%workflow --wait\n" + recovered_and_failed(str(gate.parent)),
        "%%workflow --wait\n" + HELLO,
    ])
    assert nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"], "widget state saved"
    page = nbconvert_html(path)

    runs = shown_runs(page)
    assert [r["phase"] for r in runs] == ["failed", "succeeded"], runs
    shared, hello = runs
    assert shared["graph"]["broken"] == "failed" and shared["graph"]["prepare"] == "succeeded"
    assert shared["graph"]["flaky retry"] == "succeeded"  # the Retry node; its attempts hang below it
    assert shared["table"]["broken"] == "failed" and shared["table"]["flaky"] == "succeeded"
    assert hello["graph"] and set(hello["graph"].values()) == {"succeeded"}
    visible = without_scripts(page)
    assert "the real failure" in visible  # the real failure's log tail, not a recovered attempt's
    assert "progress 2/5" in visible  # Argo's progress: 5 executable nodes, 2 succeeded
    assert "display:none" not in visible.split("argonb-snapshot", 1)[1].split(">", 1)[0]


@pytest.mark.timeout(240)
def test_text_plain_is_a_compact_node_table(tmp_path, monkeypatch, gate):
    gate.parent.mkdir(exist_ok=True)
    nb = executed_notebook(tmp_path / "plain.ipynb", monkeypatch, [
        "%load_ext argonb", "%%workflow --wait\n" + recovered_and_failed(str(gate.parent))])
    widget, snapshot = [o["data"] for o in nb.cells[1].outputs if o.output_type == "display_data"]
    assert WIDGET_VIEW in widget and "text/html" not in widget
    text = snapshot["text/plain"]
    lines = text.splitlines()
    assert lines[0].startswith("argonb run shared-") and "Failed" in lines[0] and "progress 2/5" in lines[0]
    assert lines[1].split() == ["NODE", "PHASE", "DURATION", "MESSAGE"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:]}
    assert rows["broken"][0] == "Failed" and re.fullmatch(r"\d+s", rows["broken"][1])
    assert "exit code 4" in " ".join(rows["broken"])
    assert rows["flaky(0)"][0] == "Failed" and lines[[ln.split()[0] for ln in lines].index("flaky(0)")].startswith("  ")
    assert rows["prepare"][0] == "Succeeded" and rows["flaky"][0] == "Succeeded"
    assert len(text) < 2_000


def fan_out(count: int, failed: int = 2) -> dict:
    """A finished steps fan-out of `count` pods (the last `failed` of them Failed) and a fan-in pod."""
    def pod(i: str, name: str, phase: str, children=()) -> dict:
        return {"id": i, "name": f"wide.{name}", "displayName": name, "type": "Pod", "phase": phase,
                "boundaryID": "wide", "children": list(children), "startedAt": "2026-01-01T00:00:00Z",
                "finishedAt": "2026-01-01T00:00:03Z", "message": "main: Error (exit code 1)" if phase == "Failed"
                else "", "podName": f"wide-{i}"}
    items = [pod(f"p{k}", f"item({k}:{k})", "Failed" if k >= count - failed else "Succeeded", ["g1"])
             for k in range(count)]
    nodes = [{"id": "wide", "name": "wide", "displayName": "wide", "type": "Steps", "phase": "Failed",
              "children": ["g0"]},
             {"id": "g0", "name": "wide[0]", "displayName": "[0]", "type": "StepGroup", "phase": "Failed",
              "boundaryID": "wide", "children": [p["id"] for p in items]},
             *items,
             {"id": "g1", "name": "wide[1]", "displayName": "[1]", "type": "StepGroup", "phase": "Omitted",
              "boundaryID": "wide", "children": []}]
    return {n["id"]: n for n in nodes}


def test_a_1000_node_snapshot_is_folded_and_small():
    from argonb.render import RunPicture, render_svg, snapshot_bundle

    nodes = fan_out(1000)
    tracemalloc.start()
    started = time.perf_counter()
    data = snapshot_bundle(RunPicture("wide", "Failed", "", nodes, log_tail=lambda _n: ["oops"]), render=render_svg)
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    html, text = data["text/html"], data["text/plain"]
    assert len(html) < 200_000 and len(text) < 20_000, (len(html), len(text))
    runs = shown_runs(html)
    assert len(runs) == 1 and runs[0]["graph"]["998 hidden nodes 1 Failed · 997 Succeeded"] == "failed"
    assert runs[0]["graph"]["item(0:0)"] == "succeeded" and runs[0]["graph"]["item(999:999)"] == "failed"
    assert {"item(998:998)", "item(999:999)"} <= set(runs[0]["table"])  # every real failure keeps its row
    assert "Failed</span> 2" in html and "progress 998/1000" in html
    assert took < 10 and peak < 100_000_000, (took, peak)


def chain(steps: int, failed_at: int) -> dict:
    """A finished sequence of `steps` one-step groups (the step at `failed_at` Failed, later ones kept on)."""
    nodes = {"wf": {"id": "wf", "name": "wf", "displayName": "wf", "type": "Steps", "phase": "Failed",
                    "children": ["g0"]}}
    for i in range(steps):
        nodes[f"g{i}"] = {"id": f"g{i}", "name": f"wf[{i}]", "displayName": f"[{i}]", "type": "StepGroup",
                          "phase": "Succeeded", "children": [f"p{i}"]}
        nodes[f"p{i}"] = {"id": f"p{i}", "name": f"wf[{i}].step{i}", "displayName": f"step{i}", "type": "Pod",
                          "phase": "Failed" if i == failed_at else "Succeeded", "startedAt": "2026-01-01T00:00:00Z",
                          "finishedAt": "2026-01-01T00:00:01Z", "children": [f"g{i + 1}"] if i < steps - 1 else []}
    return nodes


def test_a_1000_step_sequence_snapshot_is_folded_and_small():
    from argonb.render import RunPicture, render_svg, snapshot_bundle

    data = snapshot_bundle(RunPicture("wf", "Failed", "", chain(1000, 500)), render=render_svg)
    assert len(data["text/html"]) < 200_000, len(data["text/html"])  # 2 MB when every step was drawn
    run = shown_runs(data["text/html"])[0]
    folded = [label for label, phase in run["graph"].items() if "hidden nodes" in label]
    assert len(folded) == 1 and re.fullmatch(r"\d+ hidden nodes 1 Failed · \d+ Succeeded", folded[0])
    assert run["graph"][folded[0]] == "failed"  # the fold shows that a failure is inside
    assert run["table"]["step500"] == "failed" and run["table"]["step999"] == "succeeded"


REFUSED_POD = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: refused-}
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: alpine
        command: [echo, hi]
        env: [{name: P, valueFrom: {secretKeyRef: {name: s, key: k}}}]
"""


@pytest.mark.timeout(120)
def test_a_pod_that_ends_in_error_before_it_runs_still_gets_its_snapshot(tmp_path, monkeypatch):
    """The snapshot shows the log tail of each real failure; a Pod node refused before it ran has no log in the
    recorder and none on disk, and its snapshot must still render (the cell raised a TypeError once)."""
    nb = executed_notebook(tmp_path / "refused.ipynb", monkeypatch, ["%load_ext argonb",
                                                                     "%%workflow --wait\n" + REFUSED_POD])
    outputs = nb.cells[1].outputs
    assert not [o for o in outputs if o.output_type == "error"], [o.get("evalue") for o in outputs]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "Error" in html and "secretKeyRef" in html
