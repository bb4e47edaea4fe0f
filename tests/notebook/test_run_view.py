"""The run view's kernel side (issue 16): node panel, selection by click, per-node retry, the log window, the
Argo UI's fold of large sibling groups. Real IPython shell, dummy comms (the page side is tests/browser)."""

from __future__ import annotations

import time

from notebook_samples import FAILING

from argonb.notebook.details import node_detail_html
from argonb.notebook.logfiles import _mark_stderr
from argonb.notebook.widget import RunView, wait_for
from argonb.render.collapse import collapse_groups, hidden_parent
from argonb.render.runtree import run_graph

ENV_AND_ARGS = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: what-ran-
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
    - name: main
      container:
        image: alpine:3.19
        command: [sh, -c]
        args: ["echo hello {{workflow.parameters.who}}; echo to-stderr >&2"]
        env: [{name: GREETING, value: "hi {{workflow.parameters.who}}"}]
"""


def view_of(session, run) -> RunView:
    return session.views[run.name]


def test_node_panel_shows_image_command_args_env_and_times_after_substitution(ip, session):
    """Bug 7: the details pane showed none of image, command, args or script."""
    ip.run_cell("%%workflow --name wf --wait\n" + ENV_AND_ARGS)
    view = view_of(session, ip.user_ns["wf"])
    detail = view.detail.value
    for shown in ("alpine:3.19", "sh -c", "echo hello world; echo to-stderr &gt;&amp;2", "env GREETING",
                  "hi world", "started", "finished", "duration"):
        assert shown in detail, shown
    assert ["stderr", "to-stderr"] in view.log.lines and ["stdout", "hello world"] in view.log.lines


def test_script_node_shows_its_source(ip, session):
    ip.run_cell("%%workflow --name wf --wait\n" + FAILING)
    view = view_of(session, ip.user_ns["wf"])
    assert "print(&quot;boom&quot;, file=sys.stderr)" in view.detail.value  # the failed `bad` node
    assert "outputs.exitCode" in view.detail.value


def test_a_click_in_the_page_selects_the_node_for_panel_and_log(ip, session):
    ip.run_cell("%%workflow --name wf --wait\n" + FAILING)
    run = ip.user_ns["wf"]
    view = view_of(session, run)
    hello = run.node("hello")["id"]
    view.browser.selected = hello  # what nodebrowser.js does on a click (model.set + save_changes)
    view.flush()
    assert "<b>hello</b>" in view.detail.value and "hello from argonb" in view.log.text
    assert f'<tr style="background:#fff8c5" data-node="{hello}">' in view.browser.table  # its row marked


def test_retry_this_node_resets_a_succeeded_node_and_what_follows(ip, session):
    """`argo retry --node-field-selector id=<node>` with restartSuccessful (workflow/util/util.go
    FormulateRetryWorkflow; the Argo UI's retry-workflow-node-panel.tsx): the chosen Succeeded node runs again."""
    ip.run_cell("%%workflow --name wf --wait\n" + FAILING)
    run = ip.user_ns["wf"]
    view = view_of(session, run)
    first_start = run.node("hello")["startedAt"]
    view.browser.selected = run.node("hello")["id"]
    view.flush()
    assert not view.retry_node_button.disabled
    new = view.retry_selected()
    assert wait_for(view, timeout=60)
    assert new.name == run.name and view.run is new
    hello = view.recorder.state().nodes[new.node("hello")["id"]]
    assert hello["phase"] == "Succeeded" and not hello["detail"].get("reused")  # ran again, not kept
    assert "kept" not in view.browser.svg
    assert hello["startedAt"] >= first_start and "retry of" in view.header.value


def test_stop_is_not_drawn_as_clickable_once_disabled(ip, session):
    """Bug 6: the disabled Stop kept its orange `warning` style."""
    ip.run_cell("%%workflow --name wf --wait\n" + FAILING)
    view = view_of(session, ip.user_ns["wf"])
    assert view.stop_button.disabled and view.stop_button.button_style == ""


def test_show_full_log_loads_the_whole_log_from_disk_with_stderr_marked(ip, session):
    body = ENV_AND_ARGS.replace('args: ["echo hello {{workflow.parameters.who}}; echo to-stderr >&2"]',
                                'args: ["seq 1 1200; echo the-end >&2"]')
    ip.run_cell("%%workflow --name wf --wait\n" + body)
    view = view_of(session, ip.user_ns["wf"])
    assert len(view.log.lines) == view.log_lines and view.log.total == 1201 and view.log.first == 701
    view.log.show_all = True  # the page's "Show full log" button
    view.flush()
    assert len(view.log.lines) == 1201 and view.log.first == 0 and view.log.lines[0] == ["stdout", "1"]
    assert view.log.lines[-1] == ["stderr", "the-end"]


def test_stderr_lines_are_told_apart_in_a_log_file_matching_stderr_log_from_the_end():
    lines = ["a", "oops", "b", "oops", "c"]
    assert _mark_stderr(lines, ["oops"]) == [("stdout", "a"), ("stdout", "oops"), ("stdout", "b"),
                                              ("stderr", "oops"), ("stdout", "c")]
    assert _mark_stderr(["x"], []) == [("stdout", "x")]


def fan(count: int) -> dict[str, dict]:
    kids = [f"c{i}" for i in range(count)]
    nodes = {"root": {"id": "root", "type": "Steps", "displayName": "root", "phase": "Running",
                      "children": ["g"]},
             "g": {"id": "g", "type": "StepGroup", "displayName": "[0]", "phase": "Running", "children": kids}}
    for i, k in enumerate(kids):
        nodes[k] = {"id": k, "type": "Pod", "displayName": k, "boundaryID": "root",
                    "phase": "Failed" if i == 5 else "Succeeded", "children": ["after"]}
    nodes["after"] = {"id": "after", "type": "Pod", "displayName": "after", "boundaryID": "root",
                      "phase": "Pending"}
    return nodes


def test_folds_open_where_the_user_expanded_them():
    """The live view's expand (the Argo UI's `expandNodes`, workflow-dag.tsx): a parent in `expanded` shows
    all its children; "*" expands every group. (The fold itself: tests/render/test_collapse.py.)"""
    graph = run_graph(fan(1000))
    folded = collapse_groups(graph).graph
    assert len(folded.nodes) == 6 and any(hidden_parent(n.key) == "g" for n in folded.nodes)
    assert "1 Failed" in folded.to_dot()
    assert len(collapse_groups(graph, expanded={"g"}).graph.nodes) == 1003
    assert len(collapse_groups(graph, expanded={"*"}).graph.nodes) == 1003


def test_empty_panel_says_how_to_choose_a_node():
    assert "click a node" in node_detail_html(None)


def test_show_full_log_of_a_huge_log_stays_bounded(ip, session):
    """A 300,000-line log: "Show full log" loads only the last SHOW_ALL_LINES lines (the file's last 8 MiB at
    most are read), and says how many there are in all; time and memory stay bounded."""
    import resource
    import time

    from argonb.notebook.logfiles import SHOW_ALL_LINES

    body = ENV_AND_ARGS.replace('args: ["echo hello {{workflow.parameters.who}}; echo to-stderr >&2"]',
                                'args: ["seq 1 300000"]')
    ip.run_cell("%%workflow --name wf --wait\n" + body)
    view = view_of(session, ip.user_ns["wf"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    view.show_full_log()
    view.flush()
    took = time.monotonic() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"show full log of 300,000 lines: {took:.2f} s, peak RSS +{grown_mb:.0f} MB")
    assert len(view.log.lines) == SHOW_ALL_LINES and view.log.lines[-1] == ["stdout", "300000"]
    assert view.log.total == 300_000 and f"last {SHOW_ALL_LINES} of 300000 lines" in view.log.title
    assert took < 5 and grown_mb < 300


STEPS_AND_DAG = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: planned-
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: gate
            template: wait-gate
        - - name: fan
            template: diamond
          - name: side
            template: echo
    - name: diamond
      dag:
        tasks:
          - {name: a, template: echo}
          - {name: b, template: echo, depends: a}
    - name: wait-gate
      container:
        image: alpine
        command: [sh, -c]
        args: ["while [ ! -e GATE ] && [ -d GATEDIR ]; do sleep 0.02; done"]
    - name: echo
      container: {image: alpine, command: [sh, -c], args: ["echo hi"]}
"""


def test_steps_and_tasks_not_started_yet_are_drawn_greyed_from_the_spec(ip, session, gate):
    """While the first step waits, its later step group and that group's steps are drawn from the spec;
    once the run is over only real nodes remain."""
    body = STEPS_AND_DAG.replace("GATEDIR", str(gate.parent)).replace("GATE", str(gate))
    run = ip.run_cell_magic("workflow", "--name wf", body)
    view = view_of(session, run)
    deadline = time.monotonic() + 30
    while "gate" not in {n.get("displayName") for n in run.nodes.values()} and time.monotonic() < deadline:
        time.sleep(0.05)
    graph = view._graph(view.recorder.state())
    planned = {g.label for g in graph.nodes if g.phase == "Planned"}
    assert {"fan", "side", "[1]"} <= planned, planned
    assert "argonb_planned" in view._render(graph)
    edges = {(graph.get(e.src).label, graph.get(e.dst).label) for e in graph.edges}
    assert ("gate", "[1]") in edges and ("[1]", "fan") in edges and ("[1]", "side") in edges
    gate.touch()
    assert wait_for(view, timeout=30)
    final = view._graph(view.recorder.state())
    assert not [g for g in final.nodes if g.phase == "Planned"] and "argonb_planned" not in view.browser.svg
    assert {"a", "b", "fan", "side"} <= {g.label for g in final.nodes}


def test_dag_tasks_wait_greyed_after_their_dependencies():
    from argonb.render.planned import with_planned

    workflow = {"spec": {"templates": [{"name": "d", "dag": {"tasks": [
        {"name": "a", "template": "t"}, {"name": "b", "template": "t", "depends": "a"},
        {"name": "c", "template": "t", "dependencies": ["a", "b"]}]}}]}}
    nodes = {"w": {"id": "w", "name": "w", "type": "DAG", "templateName": "d", "phase": "Running",
                   "children": ["wa"]},
             "wa": {"id": "wa", "name": "w.a", "type": "Pod", "phase": "Running", "boundaryID": "w"}}
    out = with_planned(nodes, workflow)
    assert out["wa"]["children"] == ["planned:w:b", "planned:w:c"]
    assert out["planned:w:b"]["children"] == ["planned:w:c"] and out["planned:w:c"]["phase"] == "Planned"
    assert "children" not in nodes["wa"]  # the recorder's state is not touched
    done = {**nodes, "w": {**nodes["w"], "phase": "Failed"}}
    assert with_planned(done, workflow) == done


RETRIED = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: attempts-
spec:
  entrypoint: flaky
  templates:
    - name: flaky
      retryStrategy: {limit: 2}
      container: {image: alpine, command: [sh, -c], args: ["echo try; exit 4"]}
"""


def test_panel_lists_the_retry_attempts_of_a_retried_node(ip, session):
    """§7 retries: a Retry node's attempts are its children; the panel lists each with phase and exit code."""
    ip.run_cell("%%workflow --name wf --wait\n" + RETRIED)
    run = ip.user_ns["wf"]
    view = view_of(session, run)
    retry = next(n for n in run.nodes.values() if n["type"] == "Retry")
    view.browser.selected = retry["id"]
    view.flush()
    detail = view.detail.value
    assert "retry attempts" in detail and detail.count("Failed exit 4") == 3, detail
    assert "attempt 3" in detail and "attempt 4" not in detail
    last = retry["children"][-1]
    view.browser.selected = last
    view.flush()
    assert "attempt 3 (this one)" in view.detail.value


ARTIFACTS = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: art-
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: make, template: make}
        - - name: use
            template: use
            arguments: {artifacts: [{name: data, from: "{{steps.make.outputs.artifacts.data}}"}]}
    - name: make
      container: {image: alpine, command: [sh, -c], args: ["mkdir -p /out; echo hello artifact > /out/a.txt"]}
      outputs: {artifacts: [{name: data, path: /out/a.txt}]}
    - name: use
      inputs: {artifacts: [{name: data, path: /in/a.txt}]}
      container: {image: alpine, command: [sh, -c], args: ["cat /in/a.txt"]}
"""


def test_an_artifact_opens_from_the_node_panel_into_the_log_pane(ip, session):
    ip.run_cell("%%workflow --name wf --wait\n" + ARTIFACTS)
    run = ip.user_ns["wf"]
    view = view_of(session, run)
    view.browser.selected = run.node("make")["id"]
    view.flush()
    assert ("outputs.artifacts.data", "outputs:data") in view.artifact_select.options
    assert "data.tgz" in view.detail.value  # the file in the local repository
    view.artifact_select.value = "outputs:data"  # the user's choice
    view.flush()
    assert ["stdout", "hello artifact"] in view.log.lines and "outputs.artifacts.data of make" in view.log.title
    assert any("a.txt" in text for _stream, text in view.log.lines)  # the archive's member list
    view.browser.selected = run.node("use")["id"]  # another node: back to its log, its own artifacts
    view.flush()
    assert "hello artifact" in view.log.text and view.log.title.startswith("log of use")
    assert ("inputs.artifacts.data", "inputs:data") in view.artifact_select.options


def test_nodes_a_retry_kept_are_marked_kept_in_graph_and_panel(ip, session):
    ip.run_cell("%%workflow --name wf --wait\n" + FAILING)
    run = ip.user_ns["wf"]
    view = view_of(session, run)
    new = view.retry()
    assert wait_for(view, timeout=60)
    graph = view._graph(view.recorder.state())
    assert {g.label: g.note for g in graph.nodes}["hello"] == "kept"
    view.browser.selected = new.node("hello")["id"]
    view.flush()
    assert f"from {run.name} (not run again)" in view.detail.value


def test_a_click_on_the_node_already_shown_pins_it(ip, session):
    """The page also sends {"event": "select"}: clicking the auto-followed node (no trait change) pins it."""
    ip.run_cell("%%workflow --name wf --wait\n" + FAILING)
    run = ip.user_ns["wf"]
    view = view_of(session, run)
    shown = view.browser.selected
    assert shown and view._selected is None  # following the failed node by itself
    view._on_browser_msg(view.browser, {"event": "select", "node": shown}, [])
    assert view._selected == shown
    view._on_browser_msg(view.browser, {"event": "select", "node": "no-such-node"}, [])
    assert view._selected == shown
