"""Re-execute the tutorial notebooks in `notebooks/` and save them with their outputs.

    python tests/tutorials/execute_notebooks.py                 # every notebook
    python tests/tutorials/execute_notebooks.py 04 07-coin      # only names containing one of these

Each notebook runs top to bottom in a fresh `python3` kernel (nbclient), in `notebooks/` as the working
directory, with `ARGONB_HOME` set to a new temporary directory, so runs never mix with your own. The saved file
keeps every output but the widgets: each run's static snapshot (graph, node table, failures' logs) is what
GitHub, nbviewer, `nbconvert` and a reopened JupyterLab show, and the widget views and their state (about 80 %
of a file when kept, and drawn as nothing or "model not found" without their kernel) are left out, so the
files stay small. Running the notebook again brings the live widgets back. Cell timings are not recorded, and the temporary home directory is written as
`$ARGONB_HOME`, so a re-execution only changes what really changed (run names, times, durations).

A notebook that fails is still saved, up to the failing cell (or, with `--allow-errors`, with every cell run),
so the error can be read in the file; the script then exits with status 1. `tests/tutorials/test_tutorials.py` executes the same notebooks without saving them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
CELL_TIMEOUT = 120  # seconds; the tutorials sleep a few seconds at most
HOME_MARKER = "$ARGONB_HOME"


def tutorial_notebooks(selectors: list[str] | None = None) -> list[Path]:
    """`notebooks/NN-*.ipynb` in order; with selectors, only those whose file name contains one of them."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if selectors:
        paths = [p for p in paths if any(s in p.name for s in selectors)]
    return paths


def clear_outputs(nb: Any) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)


@contextmanager
def tutorial_environment(home: Path) -> Iterator[None]:
    """The kernel inherits this process's environment: a private ARGONB_HOME and this checkout on PYTHONPATH."""
    saved = {k: os.environ.get(k) for k in ("ARGONB_HOME", "PYTHONPATH")}
    os.environ["ARGONB_HOME"] = str(home)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), saved["PYTHONPATH"]]))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute(nb: Any, home: Path, *, timeout: int = CELL_TIMEOUT, store_widget_state: bool = True,
            allow_errors: bool = False) -> Any:
    """Execute `nb` in place in a fresh kernel; raises `CellExecutionError` at the first failing cell unless
    `allow_errors` (then every cell runs and errors stay in the outputs)."""
    clear_outputs(nb)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=store_widget_state, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    with tutorial_environment(home):
        client.execute()
    return nb


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widget_views(nb: Any) -> None:
    """Remove the outputs that only show a live widget (each run's snapshot is an output of its own)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]


def scrub(value: Any, home: str) -> Any:
    """Replace the temporary ARGONB_HOME path in every string of an output or widget state."""
    if isinstance(value, str):
        return value.replace(home, HOME_MARKER)
    if isinstance(value, list):
        return [scrub(v, home) for v in value]
    if isinstance(value, dict):
        return type(value)((k, scrub(v, home)) for k, v in value.items())
    return value


def scrub_notebook(nb: Any, home: Path) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.from_dict(scrub(dict(o), str(home))) for o in cell.outputs]
    if "widgets" in nb.metadata:
        nb.metadata["widgets"] = scrub(nb.metadata["widgets"], str(home))


def errors_in(nb: Any) -> list[str]:
    """`cell N: Ename: message` for every error output."""
    return [f"cell {i}: {o.ename}: {o.evalue}" for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for o in cell.outputs if o.output_type == "error"]


def stale_snapshots(nb: Any) -> list[str]:
    """Cells whose saved static snapshot of a run is not the run's final state.

    The snapshot is replaced through its display id when the run ends; if that last update does not reach the
    file, GitHub would show a run that is still `Running`. Re-executing the notebook fixes it.
    """
    stale = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            match = re.search(r'class="argonb-header".*?class="argonb-phase (argonb_\w+)"', html, re.S)
            if "argonb-snapshot" in html and match and match.group(1) in ("argonb_running", "argonb_pending"):
                stale.append(f"cell {i}: the saved snapshot shows a run that is not finished; execute again")
    return stale


def execute_and_save(path: Path, *, timeout: int = CELL_TIMEOUT, allow_errors: bool = False) -> bool:
    nb = nbformat.read(path, as_version=4)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="argonb-tutorial-") as tmp:
        home = Path(tmp) / "home"
        try:
            execute(nb, home, timeout=timeout, allow_errors=allow_errors, store_widget_state=False)
        except CellExecutionError:
            pass  # the error is in the failing cell's outputs
        drop_widget_views(nb)
        scrub_notebook(nb, home)
    errors = errors_in(nb) + stale_snapshots(nb)
    ok = not errors
    for error in errors:
        print(f"FAILED {path.name}: {error}", file=sys.stderr)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    print(f"{'saved ' if ok else 'saved (failed) '}{path.relative_to(REPO)} in {time.monotonic() - started:.1f}s")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="run only notebooks whose file name contains one of these")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds per cell (default %(default)s)")
    parser.add_argument("--allow-errors", action="store_true",
                        help="run every cell even after an error (default: stop at the first failing cell)")
    args = parser.parse_args(argv)
    paths = tutorial_notebooks(args.notebooks)
    if not paths:
        parser.error(f"no notebook in {NOTEBOOKS} matches {args.notebooks}")
    failed = [p.name for p in paths
              if not execute_and_save(p, timeout=args.timeout, allow_errors=args.allow_errors)]
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
