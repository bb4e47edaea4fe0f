"""`%%workflow` and `%workflow ...` driven through a real IPython shell (no kernel: widgets get dummy comms)."""

from __future__ import annotations

import re

import pytest
from notebook_samples import FAILING, TEMPLATE, TYPO, USES_TEMPLATE, gated

import argonb
from argonb.engine.run import Run
from argonb.notebook.errors import WorkflowCellError
from argonb.notebook.widget import RunView, wait_for


def view_of(session, run: Run) -> RunView:
    return session.views[run.name]


def test_load_ext_twice_is_harmless(ip):
    ip.run_line_magic("load_ext", "argonb")
    assert "workflow" in ip.magics_manager.magics["cell"] and "workflow" in ip.magics_manager.magics["line"]
    doc = ip.find_cell_magic("workflow").__doc__
    assert "--lint-only" in doc and "--wait" in doc and "--parameter" in doc


def test_cell_returns_at_once_and_the_widget_goes_live(ip, session, gate):
    run = ip.run_cell_magic("workflow", "--name live", gated(str(gate)))
    assert isinstance(run, Run) and ip.user_ns["live"] is run
    assert not run.done  # non-blocking: the gate is still closed
    view = view_of(session, run)
    gate.touch()
    assert wait_for(view, timeout=30)
    assert run.phase == "Succeeded" and view.final.is_set()
    assert "argonb_succeeded" in view.header.value and "argonb_failed" not in view.graph.value
    assert (view.progress.value, view.progress.max, view.progress.bar_style) == (2, 2, "success")
    assert view.stop_button.disabled and view.retry_button.disabled and not view.rerun_button.disabled
    assert "second" in view.table.value
    assert "second" in view.log.value  # follows the last node once nothing runs or failed


def test_wait_on_a_failing_workflow_does_not_raise(ip, session):
    result = ip.run_cell("%%workflow --name wf --wait\n" + FAILING)
    assert result.success
    run = ip.user_ns["wf"]
    assert run.done and run.phase == "Failed" and ip.user_ns["_"] is run
    view = view_of(session, run)
    assert view.final.is_set()
    assert "boom" in view.log.value and "log of bad" in view.log.value  # auto-selects the failed node
    assert "exit code 3" in view.detail.value
    assert not view.retry_button.disabled and view.progress.bar_style == "danger"
    snapshot = view.snapshot()
    assert "argonb_failed" in snapshot and "boom" in snapshot and "log of bad" in snapshot


def test_invalid_yaml_fails_the_cell_with_cell_line_numbers_and_no_traceback(ip, capsys):
    result = ip.run_cell("%%workflow\n" + TYPO)
    assert not result.success and isinstance(result.error_in_exec, WorkflowCellError)
    out = capsys.readouterr().out
    assert "Traceback" not in out and "invalid (1 error)" in out
    # YAML line 6 is cell line 7: the %%workflow line comes first.
    assert re.search(r"cell:7:\d+: error: ARG\d+: .*mian", out)
    assert "  entrypoint: mian" in out and "^" in out


def test_yaml_syntax_error_is_located(ip, capsys):
    result = ip.run_cell("%%workflow\nkind: Workflow\nspec: {\n  a: [\n")
    assert not result.success
    assert re.search(r"cell:\d+:\d+: error: YAML001", capsys.readouterr().out)


def test_bad_arguments_are_a_usage_error(ip, capsys):
    assert not ip.run_cell("%%workflow --no-such-flag\n" + FAILING).success
    assert not ip.run_cell("%%workflow -p novalue\n" + FAILING).success
    assert "NAME=VALUE" in capsys.readouterr().err


def test_lint_only_reports_but_never_fails(ip, session, capsys):
    before = len(session.views)
    assert ip.run_cell("%%workflow --lint-only\n" + TYPO).success
    assert "mian" in capsys.readouterr().out
    assert ip.run_cell("%%workflow --lint-only\n" + FAILING).success
    assert "no problems found" in capsys.readouterr().out
    assert len(session.views) == before


def test_render_only_draws_without_running(ip, session, capsys):
    before = len(session.views)
    assert ip.run_cell_magic("workflow", "--render-only", FAILING) is None
    assert 'label="bad"' in capsys.readouterr().out  # text/plain of the drawing is its DOT
    assert len(session.views) == before


def test_workflow_templates_register_for_later_cells(ip, capsys):
    assert ip.run_cell_magic("workflow", "", TEMPLATE) is None
    assert "registered WorkflowTemplate lib" in capsys.readouterr().out
    ip.run_line_magic("workflow", "templates")
    assert "WorkflowTemplate lib" in capsys.readouterr().out
    run = ip.run_cell_magic("workflow", "--wait", USES_TEMPLATE)
    assert run.phase == "Succeeded", run.message
    assert "from the library" in run.logs("call")


def test_parameters_reach_the_workflow(ip):
    cell = FAILING.replace('args: ["echo hello from argonb"]', 'args: ["echo {{workflow.parameters.who}}"]') \
        .replace("  entrypoint: main\n", "  entrypoint: main\n  arguments:\n    parameters:\n      - name: who\n"
                                          "        value: nobody\n")
    run = ip.run_cell_magic("workflow", "--wait -p who=somebody --parallelism 1", cell)
    assert run.logs("hello").strip() == "somebody"


def test_re_executing_a_cell_supersedes_the_old_widget(ip, session):
    first = ip.run_cell_magic("workflow", "--wait", FAILING)
    second = ip.run_cell_magic("workflow", "--wait", FAILING)
    old = view_of(session, first)
    assert old.superseded_by == second.name
    old.flush()
    assert "superseded" in old.header.value
    assert view_of(session, second).superseded_by is None


def test_retry_follows_the_new_run_and_rebinds_the_variable(ip, session):
    run = ip.run_cell_magic("workflow", "--wait --name retried", FAILING)
    view = view_of(session, run)
    new = view.retry()
    assert new is not run and ip.user_ns["retried"] is new and view.run is new
    assert wait_for(view, timeout=30)
    assert new.phase == "Failed" and f"retry of {run.name}" in view.header.value
    assert session.views[new.name] is view


def test_line_magics(ip, session, capsys, gate):
    run = ip.run_cell_magic("workflow", "--name lm", gated(str(gate), "lines"))
    ip.run_line_magic("workflow", "list")
    assert re.search(rf"{run.name}\s+lm\s+(Running|Pending)", capsys.readouterr().out)
    ip.run_line_magic("workflow", "stop lm")
    ip.run_line_magic("workflow", "wait lm")
    out = capsys.readouterr().out
    assert f"stopping {run.name}" in out and run.done and run.phase in ("Failed", "Error")
    ip.run_line_magic("workflow", f"status {run.name}")
    assert re.search(r"^first\s+(Succeeded|Failed)\s", capsys.readouterr().out, re.M)  # the compact node table
    ip.run_line_magic("workflow", "logs lm first")
    assert "waiting" in capsys.readouterr().out
    ip.run_line_magic("workflow", "logs first")  # a node of the latest run
    assert "waiting" in capsys.readouterr().out
    ip.run_line_magic("workflow", "render lm")
    assert "digraph" in capsys.readouterr().out
    ip.run_line_magic("workflow", "lint")
    assert "no problems found" in capsys.readouterr().out
    ip.run_line_magic("workflow", "retry lm --node first")
    assert "retrying" in capsys.readouterr().out
    gate.touch()
    ip.run_line_magic("workflow", "wait lm")
    assert "Succeeded" in capsys.readouterr().out


def test_line_magic_errors_are_usage_errors(ip, capsys):
    assert not ip.run_cell("%workflow frobnicate").success
    assert not ip.run_cell("%workflow status no-such-run").success
    err = capsys.readouterr().err
    assert "usage: %workflow list" in err and "no run 'no-such-run'" in err


def test_ctrl_c_while_waiting_stops_the_run(ip, session, gate, monkeypatch):
    run = ip.run_cell_magic("workflow", "", gated(str(gate), "interrupted"))
    real_wait = run.wait
    calls = []

    def interrupted_wait(timeout=None):
        calls.append(timeout)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real_wait(timeout)

    monkeypatch.setattr(run, "wait", interrupted_wait)
    assert wait_for(view_of(session, run)) is False
    assert run.done and run.phase in ("Failed", "Error")
    assert view_of(session, run).final.is_set()


def test_a_run_started_elsewhere_displays_as_a_live_view(ip, session):
    run = argonb.run(FAILING, wait=True)
    ip.user_ns["outside"] = run
    assert ip.run_cell("outside").success
    view = session.views[run.name]
    assert view.run is run and view.final.wait(10)
    assert "boom" in view.log.value  # logs read back from disk for runs that ended before subscribing
    html = ip.display_formatter.formatters["text/html"].lookup(run)(run)  # terminal shells disable HTML
    assert "argonb-snapshot" in html and "argonb_failed" in html and "boom" in html


def test_the_magic_shows_the_widget_once_per_cell(ip, session, monkeypatch):
    shown = []
    monkeypatch.setattr(RunView, "display", lambda self, count=None: (shown.append(self), setattr(
        self, "displayed_in", count)))
    result = ip.run_cell("%%workflow --wait --name once\n" + FAILING)
    assert result.success and len(shown) == 1
    assert ip.run_cell("once").success and len(shown) == 2  # shown again from a later cell


@pytest.mark.parametrize("line", ["--backend nope"])
def test_unknown_backend_is_one_clear_line(ip, capsys, line):
    result = ip.run_cell(f"%%workflow {line}\n" + FAILING)
    assert not result.success
    out = capsys.readouterr().out
    assert "unknown backend 'nope'" in out and "Traceback" not in out


EDITABLE = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: editable-
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: draw
            template: draw
        - - name: use
            template: use
            arguments:
              parameters: [{name: v, value: "{{steps.draw.outputs.result}}"}]
    - name: draw
      script:
        image: python:3
        command: [python]
        source: "import random; print(random.random())"
    - name: use
      inputs:
        parameters: [{name: v}]
      container:
        image: alpine
        command: [sh, -c, "echo got {{inputs.parameters.v}}; exit 1"]
"""


def test_reuse_flag_edit_and_resume_keeps_unchanged_nodes(ip):
    first = ip.run_cell("%%workflow --name wf --wait\n" + EDITABLE)
    assert first.success
    run1 = ip.user_ns["wf"]
    assert run1.phase == "Failed"
    drawn = run1.node("draw")["outputs"]["result"]
    fixed = EDITABLE.replace("; exit 1", "")
    assert ip.run_cell("%%workflow --name wf2 --wait --reuse wf\n" + fixed).success
    run2 = ip.user_ns["wf2"]
    assert run2.phase == "Succeeded"
    assert run2.node("draw")["outputs"]["result"] == drawn  # kept, not drawn again
    assert f"got {drawn}" in run2.logs("use")
