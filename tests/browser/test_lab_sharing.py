"""In a live JupyterLab, a run shows once: its widget, with its static snapshot output hidden.

The snapshot is an output of its own (so nbconvert, nbviewer and GitHub show it: tests/notebook/test_sharing.py);
where the widget renders, a style rule that only the widget carries hides it (argonb/notebook/widget.py
`hide_snapshot_css`).
"""

from __future__ import annotations

from .lab import cell, header_phase, open_notebook, run_all

HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: shown-once-
spec:
  entrypoint: main
  templates:
    - name: main
      container: {image: alpine, command: [sh, -c], args: ["echo hello"]}
"""


def test_live_widget_hides_its_own_snapshot_and_the_status_snapshot_stays(page, lab):
    lab.write_notebook("once.ipynb", ["%load_ext argonb", "%%workflow --wait --name wf\n" + HELLO,
                                      "%workflow status wf"])
    open_notebook(page, lab, "once.ipynb")
    run_all(page)
    out = cell(page, 1).locator(".jp-OutputArea")
    out.locator(".argonb-run").wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('.jp-Cell')[2]"
                           "?.querySelector('.argonb-snapshot') != null", timeout=30_000)
    assert header_phase(out) == "Succeeded"
    snapshot = out.locator(".argonb-snapshot")
    assert snapshot.count() == 1, "the run's snapshot is its own output, in the page too"
    assert snapshot.is_hidden() and out.locator(".argonb-run").is_visible()
    # the output area that holds it takes no room either
    assert out.locator(".jp-OutputArea-child:has(.argonb-snapshot)").is_hidden()
    # `%workflow status` is a snapshot asked for: it is not the widget's, and shows
    assert cell(page, 2).locator(".argonb-snapshot").is_visible()
