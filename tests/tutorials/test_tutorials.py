"""The tutorial notebooks in `notebooks/` run top to bottom in a real kernel, headless.

Each notebook is executed with nbclient in a fresh `python3` kernel, in `notebooks/`, with its own empty
ARGONB_HOME. The notebooks check themselves: after every run a cell asserts on phases, nodes, outputs and logs,
so an engine that breaks Argo's semantics fails the notebook here. The committed files are only read, never
written (`tests/tutorials/execute_notebooks.py` re-executes and saves them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from execute_notebooks import (  # noqa: E402  (after the importorskips: it imports nbclient)
    CELL_TIMEOUT,
    NOTEBOOKS,
    WIDGET_VIEW,
    errors_in,
    execute,
    stale_snapshots,
    tutorial_notebooks,
)
from nbclient.exceptions import CellExecutionError  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebook"))
from sharing_checks import export_html, shown_runs  # noqa: E402

FINAL_PHASES = ("succeeded", "failed", "error")

TUTORIALS = tutorial_notebooks()


def test_the_series_is_complete():
    numbers = [p.name[:2] for p in TUTORIALS]
    assert numbers == [f"{i:02d}" for i in range(1, len(TUTORIALS) + 1)], numbers
    assert len(TUTORIALS) >= 16


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    committed = path.read_bytes()
    listing = sorted(p.name for p in NOTEBOOKS.iterdir())
    nb = nbformat.read(path, as_version=4)
    try:
        execute(nb, tmp_path / "argonb-home", timeout=CELL_TIMEOUT, store_widget_state=False)
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    assert path.read_bytes() == committed, "executing a tutorial must not modify the committed notebook"
    assert sorted(p.name for p in NOTEBOOKS.iterdir()) == listing, "a tutorial left files in notebooks/"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_committed_notebook_is_saved_executed(path):
    """What GitHub shows: every code cell ran, no cell failed, and no temporary path leaked into the file."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), f"{path.name} is not saved executed: run " \
        "python tests/tutorials/execute_notebooks.py"
    assert errors_in(nb) == [], f"{path.name} was saved with errors"
    assert stale_snapshots(nb) == [], f"{path.name} was saved before its runs' final state arrived"
    text = path.read_text()
    assert "argonb-tutorial-" not in text and "/.argonb/" not in text, f"{path.name} embeds a local path"


def saved_snapshots(nb) -> int:
    return sum("argonb-snapshot" in o.get("data", {}).get("text/html", "") for c in nb.cells
               if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_committed_notebook_shows_each_run_in_nbconvert_html_without_javascript(path):
    """What `jupyter nbconvert --to html` (and so nbviewer and GitHub, which run no widget JavaScript) shows of
    the committed file: every run's final graph, coloured by phase, and its node table; no output whose widget
    view would stand in for a snapshot; no widget state weighing the file down."""
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, f"{path.name} carries widget state: re-execute it"
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if WIDGET_VIEW in o.get("data", {})]
    runs = shown_runs(export_html(nb))
    assert len(runs) == saved_snapshots(nb), f"{path.name}: a saved run is not shown"
    for run in runs:
        assert run["phase"] in FINAL_PHASES, run
        assert run["graph"] and run["table"], run
        assert set(run["table"].values()) <= set(run["graph"].values()) | {"succeeded", "failed", "error",
                                                                              "skipped", "omitted"}
