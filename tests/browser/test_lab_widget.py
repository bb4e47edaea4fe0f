"""argonb's live widget in a real JupyterLab, driven by headless Chromium (see lab.py and conftest.py).

1. A `%%workflow` cell whose second task fails until a marker file exists: the DAG shows final colours,
   then "Retry failed nodes" clicked in the page keeps the first task (same output) and the run succeeds.
2. Already-executed notebooks (tests/browser/executed_demo.ipynb and the tutorials in notebooks/) show
   their final DAGs and outputs when opened, without running anything.
3. A 1,000-pod fan-out updates live while the page stays responsive and widget traffic stays bounded.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .lab import (
    FILL,
    REPO,
    CommCounter,
    cell,
    graphs,
    header_phase,
    max_in_window,
    open_notebook,
    run_all,
    svg_nodes,
    table_phases,
)

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
EXECUTED = HERE / "executed_demo.ipynb"
FINAL_PHASES = ("Succeeded", "Failed", "Error")
# Widget comm messages per second the 1,000-pod run may cause (see the test); override to tighten.
MAX_COMM_RATE = float(os.environ.get("ARGONB_MAX_COMM_RATE", "12"))
# Seconds a page.evaluate round trip may take while the run updates the widget. On the 2-core machine with
# nothing else running the worst is 0.3-0.5 s; other heavy processes on it (load average in the stats) can
# push it past 1 s.
MAX_ROUND_TRIP = float(os.environ.get("ARGONB_MAX_ROUND_TRIP", "2.0"))  # a frozen page takes far longer; 2 cores, shared


def screenshot(locator, path: Path, attempts: int = 5) -> None:
    """Element screenshot that tolerates the output being re-rendered (the final display update does)."""
    for i in range(attempts):
        try:
            locator.screenshot(path=str(path), timeout=5_000)
            return
        except Exception:
            if i == attempts - 1:
                raise
            time.sleep(0.5)


def eventually(check, timeout: float = 30, interval: float = 0.1):
    """Retry `check` (a function that asserts) until it passes; locators resolve again on every try, so an
    output rendered anew (the final display update does that) is followed. Returns what `check` returns."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except Exception:  # AssertionError, or a Playwright error while the output is re-rendered
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


def wait_text(page, scope, selector: str, text: str, timeout: float = 30) -> None:
    """Wait until the first `selector` inside `scope` (a locator) contains `text`."""
    def check():
        assert text in scope.locator(selector).first.inner_text(timeout=2_000)
    eventually(check, timeout)


# ---- 1. fail, then "Retry failed nodes" in the page ----------------------------------------------------
def flaky_workflow(marker: Path) -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: flaky-
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: prepare
            template: token
          - name: check
            template: check
            depends: prepare
            arguments:
              parameters: [{{name: token, value: "{{{{tasks.prepare.outputs.result}}}}"}}]
    - name: token
      container:
        image: alpine
        command: [sh, -c]
        args: ["cat /proc/sys/kernel/random/uuid"]
    - name: check
      inputs:
        parameters: [{{name: token}}]
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo got {{{{inputs.parameters.token}}}}; test -f {marker} || {{ echo marker missing >&2; exit 1; }}; echo marker found"]
"""


def test_failed_run_then_retry_failed_nodes_in_the_page(page, lab, marker_dir, artifacts):
    marker = marker_dir / "ok"  # under /var/tmp: each pod has a private /tmp
    lab.write_notebook("retry.ipynb", ["%load_ext argonb", "%%workflow --name wf\n" + flaky_workflow(marker)])
    open_notebook(page, lab, "retry.ipynb")
    run_all(page)

    out = cell(page, 1).locator(".jp-OutputArea")
    widget = out.locator(".argonb-run")
    widget.wait_for(timeout=30_000)
    retry = widget.get_by_role("button", name="Retry failed nodes")
    log = widget.locator("pre.argonb-log")

    def failed():  # each widget of the view is its own message: wait until all show the final state
        assert header_phase(out) == "Failed"
        nodes = svg_nodes(widget)
        assert nodes["prepare"]["fill"] == FILL["Succeeded"] and "argonb_succeeded" in nodes["prepare"]["cls"]
        assert nodes["check"]["fill"] == FILL["Failed"] and "argonb_failed" in nodes["check"]["cls"]
        phases = table_phases(widget)
        root = next(name for name in phases if name.startswith("flaky-"))
        assert nodes[root]["fill"] == FILL["Failed"]
        assert phases == {root: "Failed", "prepare": "Succeeded", "check": "Failed"}
        assert "marker missing" in log.inner_text()  # the log follows the failed node
        assert retry.is_enabled() and widget.get_by_role("button", name="Re-run").is_enabled()
        assert widget.get_by_role("button", name="Stop").is_disabled()
        return root, re.search(r"got ([0-9a-f-]{36})", log.inner_text()).group(1)

    root, token = eventually(failed)
    screenshot(widget, artifacts / "widget-failed.png")
    widget.locator(".argonb-header").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "jupyterlab-failed.png"))

    marker.write_text("go\n")
    retry.click()

    def succeeded():
        assert header_phase(out) == "Succeeded"
        assert f"retry of {root}" in widget.inner_text()
        nodes = svg_nodes(widget)  # the kept task is labelled so ("prepare" over "kept")
        assert {nodes[n]["fill"] for n in (root, "prepare kept", "check")} == {FILL["Succeeded"]}
        assert table_phases(widget) == {root: "Succeeded", "prepare": "Succeeded", "check": "Succeeded"}
        # The retried task got the token the first attempt's `prepare` printed: prepare was kept, not re-run.
        assert "marker found" in log.inner_text() and f"got {token}" in log.inner_text()
        assert retry.is_disabled() and widget.get_by_role("button", name="Re-run").is_enabled()

    eventually(succeeded, timeout=60)
    screenshot(widget, artifacts / "widget-retried.png")

    # Picking the kept node in "log of": its detail shows the kept output, its log the first attempt's line.
    widget.get_by_label("log of").select_option(label="prepare · Succeeded")
    wait_text(page, widget, ".argonb-detail", "prepare", timeout=10)
    assert token in widget.locator(".argonb-detail").inner_text()
    wait_text(page, widget, "pre.argonb-log", token, timeout=10)


# ---- 2. executed notebooks open with their final pictures ----------------------------------------------
def saved_runs(nb) -> list[str]:
    """Header phase of every argonb run picture saved in `nb`, in order."""
    phases = []
    for c in nb.cells:
        for o in c.get("outputs", []) if c.cell_type == "code" else []:
            html = o.get("data", {}).get("text/html", "")
            if "argonb-snapshot" in html:
                m = re.search(r'class="argonb-header".*?class="argonb-phase[^"]*"[^>]*>([^<]*)<', html, re.S)
                phases.append(m.group(1) if m else "")
    return phases


def saved_lines(nb) -> list[str]:
    """The first non-empty line of every saved stream output."""
    lines = []
    for c in nb.cells:
        for o in c.get("outputs", []) if c.cell_type == "code" else []:
            if o.output_type == "stream":
                first = next((ln.strip() for ln in o.text.splitlines() if ln.strip()), "")
                if first:
                    lines.append(first)
    return lines


def executed_notebooks() -> list[Path]:
    """The demo notebook, and the tutorial whose saved runs draw the most nodes (every tutorial with
    ARGONB_BROWSER_TUTORIALS=all; each costs a page load and a kernel start, ~5 s on 2 cores)."""
    tutorials = []
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nodes = sum(len(run) for run in saved_node_classes(nbformat.read(path, as_version=4)))
        if nodes:
            tutorials.append((nodes, path))
    if os.environ.get("ARGONB_BROWSER_TUTORIALS", "").lower() != "all":
        tutorials = sorted(tutorials, key=lambda t: (-t[0], t[1]))[:1]
    return [EXECUTED, *sorted(p for _, p in tutorials)]


def saved_node_classes(nb) -> list[list[str]]:
    """Per saved run picture, the class of every node of its graph, read from the file."""
    out = []
    for c in nb.cells:
        for o in c.get("outputs", []) if c.cell_type == "code" else []:
            html = o.get("data", {}).get("text/html", "")
            if "argonb-snapshot" not in html:
                continue
            svgs = [base64.b64decode(b).decode() for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]
            svgs += re.findall(r"<svg.*?</svg>", html, re.S)
            out.append([m for svg in svgs for m in re.findall(r'<g id="[^"]*" class="(node[^"]*)"', svg)])
    return out


def shown_runs(page) -> list[dict]:
    """Every argonb run picture in the page: its header phase, its graphs, and loose SVG text (a stripped SVG)."""
    pictures = page.locator(".argonb-snapshot, .argonb-run")
    return [{"phase": pictures.nth(i).locator(".argonb-header .argonb-phase").first.inner_text().strip(),
             "graphs": graphs(pictures.nth(i))} for i in range(pictures.count())]


def inline_svg_snapshots(nb) -> bool:
    """True for notebooks saved before static snapshots carried their graph as an image."""
    return any("argonb-snapshot" in o.get("data", {}).get("text/html", "") and
               "<svg" in o.get("data", {}).get("text/html", "")
               for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.parametrize("path", executed_notebooks(), ids=lambda p: p.name)
def test_executed_notebook_shows_final_dag_without_running(page, lab, artifacts, path):
    nb = nbformat.read(path, as_version=4)
    expected_runs, expected_lines = saved_runs(nb), saved_lines(nb)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    shutil.copyfile(path, lab.root / path.name)
    runs_dir = lab.home / "runs"
    before = sorted(runs_dir.iterdir()) if runs_dir.exists() else []

    open_notebook(page, lab, path.name)
    page.wait_for_function("n => document.querySelectorAll('.argonb-snapshot, .argonb-run').length >= n",
                           arg=len(expected_runs), timeout=30_000)
    shown = shown_runs(page)
    assert [r["phase"] for r in shown] == expected_runs
    text = page.locator(".jp-Notebook").inner_text()
    assert all(line in text for line in expected_lines), [ln for ln in expected_lines if ln not in text]
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
    assert [p.strip() for p in prompts] == [f"[{n or ' '}]:" for n in counts]  # nothing ran again
    first = page.locator(".argonb-snapshot, .argonb-run").first
    screenshot(first, artifacts / f"executed-{path.stem}.png")
    time.sleep(0.5)  # the kernel started on open: give it a moment to do anything it might
    after = sorted(runs_dir.iterdir()) if runs_dir.exists() else []
    assert after == before, "opening an executed notebook must not start runs"

    if path != EXECUTED and inline_svg_snapshots(nb):
        pytest.xfail(f"{path.name} was saved with inline-SVG snapshots, which JupyterLab's sanitizer strips: "
                     "re-execute it (python tests/tutorials/execute_notebooks.py)")
    assert all(r["phase"] in FINAL_PHASES for r in shown), "saved runs are finished"
    for run in shown:
        assert run["graphs"] and all(g["loaded"] and g["nodes"] for g in run["graphs"]), run
    # the page draws each node in the phase the file saved
    assert [[n["cls"] for g in r["graphs"] for n in g["nodes"]] for r in shown] == saved_node_classes(nb)

    if path == EXECUTED:
        out = cell(page, 2).locator(".jp-OutputArea")
        nodes = svg_nodes(out)
        assert {nodes[n]["fill"] for n in ("seed", "double", "triple", "total")} == {FILL["Succeeded"]}
        assert all("argonb_succeeded" in nodes[n]["cls"] for n in ("seed", "double", "triple", "total"))
        phases = table_phases(out)
        assert {k: v for k, v in phases.items() if not k.startswith("diamond-")} == {
            "seed": "Succeeded", "double": "Succeeded", "triple": "Succeeded", "total": "Succeeded"}
        assert "total = 15" in cell(page, 4).locator(".jp-OutputArea").inner_text()
        assert not any("argonb_running" in n["cls"] or "argonb_pending" in n["cls"] for n in nodes.values())
        # what JupyterLab's sanitizer leaves of an inline SVG: node ids as loose text
        assert "n0->n1" not in out.inner_text()


# ---- 3. 1,000 pods: live updates, a responsive page, bounded widget traffic ----------------------------
def wide_workflow(count: int) -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: wide-
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: item
            template: echo
            withSequence: {{count: "{count}"}}
            arguments: {{parameters: [{{name: i, value: "{{{{item}}}}"}}]}}
    - name: echo
      inputs: {{parameters: [{{name: i}}]}}
      container: {{image: alpine, command: [sh, -c], args: ["echo item {{{{inputs.parameters.i}}}}; sleep 0.05"]}}
"""

# The notebook's first cell: load argonb, and count (kernel side) every widget comm message it sends.
COUNT_SENDS = """\
%load_ext argonb
import time, ipywidgets
sent = []  # monotonic time of every widget comm message (the browser test reads it)
_send = ipywidgets.Widget._send
# only messages that go out: a widget without a comm yet (anywidget adds its _esm/_css traits before the
# comm opens) calls _send, which then sends nothing
ipywidgets.Widget._send = lambda self, msg, buffers=None: (
    self.comm is not None and sent.append(time.monotonic()), _send(self, msg, buffers))[1]
"""


def kernel_value(page, lab, expression: str, name: str) -> Any:
    """Evaluate `expression` in the notebook's kernel (no cell) and return it, through a JSON file."""
    path = lab.root / f"{name}.json"
    page.evaluate("code => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                  ".requestExecute({code, silent: true}).done",
                  f"import json; open({str(path)!r}, 'w').write(json.dumps({expression}))")
    return json.loads(path.read_text())


# Installed before the run: the longest main-thread task, and the longest gap between 50 ms timer ticks.
WATCH_MAIN_THREAD = """() => {
    const watch = window.__argonbMain = {longest: 0, gap: 0, last: performance.now()};
    new PerformanceObserver(list => { for (const e of list.getEntries())
        watch.longest = Math.max(watch.longest, e.duration); }).observe({type: 'longtask'});
    setInterval(() => { const now = performance.now();
        watch.gap = Math.max(watch.gap, now - watch.last); watch.last = now; }, 50);
}"""

READ_PROGRESS = """() => {
    const el = document.querySelectorAll('.jp-Notebook .jp-Cell')[1]?.querySelector('.argonb-run');
    if (!el) return {header: '', width: ''};
    const bar = el.querySelector('.progress-bar');
    return {header: el.querySelector('.argonb-header')?.textContent || '', width: bar ? bar.style.width : ''};
}"""


def test_thousand_pods_update_live_and_the_page_stays_responsive(page, lab, artifacts):
    count = 1000
    lab.write_notebook("wide.ipynb", [COUNT_SENDS, "%%workflow --name wide --parallelism 8\n" + wide_workflow(count)])
    open_notebook(page, lab, "wide.ipynb")
    page.evaluate(WATCH_MAIN_THREAD)
    comms = CommCounter(page)
    output = cell(page, 1).locator(".jp-OutputArea")
    widget = output.locator(".argonb-run")
    page_start, start = comms.now(), time.monotonic()
    run_all(page)
    # Sample from the moment the cell runs (creating the widget is part of the run) until 2 s after the run
    # ended (the final display update renders the output again); `after` holds the samples after the end.
    round_trips, after, widths, when, done_at = [], [], [], [], None
    while time.monotonic() - start < 120 and (done_at is None or time.monotonic() - done_at < 2):
        t0 = time.perf_counter()
        seen = page.evaluate(READ_PROGRESS)
        (round_trips if done_at is None else after).append(time.perf_counter() - t0)
        when.append(round(time.monotonic() - start, 2))
        widths.append(seen["width"])
        if done_at is None and ("Succeeded" in seen["header"] or "Failed" in seen["header"]):
            done_at = time.monotonic()
        time.sleep(0.05)
    main_thread = page.evaluate("() => window.__argonbMain")
    traffic = comms.summary(page_start, comms.now())
    sent = kernel_value(page, lab, "sent", "kernel-sends")
    traffic.update(kernel_msgs=len(sent), kernel_max_per_s=max_in_window(sent))
    stats = {"pods": count, "run_seconds": round((done_at or time.monotonic()) - start, 2),
             "load_average_1min": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
             "samples": len(round_trips) + len(after), "max_round_trip_s": round(max(round_trips), 3),
             "max_round_trip_at_s": when[round_trips.index(max(round_trips))],
             "max_round_trip_after_end_s": round(max(after or [0]), 3),
             "longest_task_ms": main_thread["longest"], "longest_timer_gap_ms": round(main_thread["gap"]),
             "progress_widths_seen": sorted(set(widths), key=lambda w: float(w.rstrip("%") or -1)), **traffic}
    (artifacts / "thousand-nodes.json").write_text(json.dumps(stats, indent=2) + "\n")
    print("\n1000-pod run:", {k: v for k, v in stats.items() if k != "comm_times"})
    assert done_at is not None, stats

    # The final count is on the page: header, per-phase counts, progress bar and node table.
    wait_text(page, widget, ".argonb-header", "Succeeded", timeout=10)
    assert f"Succeeded {count}" in " ".join(widget.locator(".widget-html-content").all_inner_texts()).replace(
        "\n", " ")
    assert widget.locator(".progress-bar").evaluate("el => el.style.width") == "100%"
    # readable: the 1,000 siblings fold as in the Argo UI, and the folded graph fits the pane at full size
    drawn = svg_nodes(widget)
    assert len(drawn) < 20 and any(label.startswith(f"{count - 2} hidden nodes") for label in drawn), list(drawn)
    assert widget.locator(".argonb-graph-pane").evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    assert widget.locator(".argonb-zoom").inner_text() == "100%"
    assert f"… {count + 1 - 300} more" in widget.locator("table.argonb-nodes").inner_text()
    screenshot(widget, artifacts / "thousand-nodes.png")

    live = [w for w in stats["progress_widths_seen"] if w not in ("", "0%", "100%")]
    assert live, f"no progress between 0 and 100 % was seen: {stats}"
    assert stats["max_round_trip_s"] < MAX_ROUND_TRIP, stats  # while the run goes on
    # When it ends the output is rendered anew (the display update carrying the final static snapshot):
    # a one-off cost, ~0.3-0.7 s for 1,000 nodes on 2 idle cores; only a real freeze fails here.
    assert stats["max_round_trip_after_end_s"] < 3 * MAX_ROUND_TRIP, stats
    # argonb paces what the kernel sends; the page may receive a little bunched after a busy moment
    assert 0 < stats["kernel_msgs"] and stats["kernel_max_per_s"] <= MAX_COMM_RATE, stats
    assert stats["comm_msgs"] == stats["kernel_msgs"] and stats["comm_max_per_s"] <= 2 * MAX_COMM_RATE, stats
