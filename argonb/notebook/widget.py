"""The live view of one run in a notebook: graph, progress, node table, log, details and buttons.

Owns: `RunView`. Widgets are built on the kernel's main thread; afterwards only `flush` (called by the one
refresher thread, or directly by tests) writes their traits, from a `RunRecorder`'s latest state, so every
update is coalesced and the final state is always sent. Every display of the view is two outputs: the
widget view, and the static snapshot (`argonb.render.snapshot`) under a display id of its own, replaced when
the run ends, so nbconvert, GitHub and nbviewer show the final graph, table and failures' logs where widgets
do not render; where the widget renders, its `hide_snapshot_css` rule hides that snapshot.
Imports: ipywidgets and IPython.display (lazily, on construction), argonb.render, argonb.notebook.*.
"""

from __future__ import annotations

import html
import tarfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argonb.engine.run import Run
from argonb.notebook.artifactview import artifact_choices, artifact_lines, find_artifact
from argonb.notebook.details import node_detail_html, node_options, pick_node
from argonb.notebook.logfiles import SHOW_ALL_LINES, disk_log
from argonb.notebook.recorder import RecordedState, RunRecorder, clip_line, refresher
from argonb.render.collapse import EXPAND_ALL, collapse_groups, hidden_parent
from argonb.render.graph import Graph, safe_prefix
from argonb.render.planned import with_planned
from argonb.render.report import FAILED, counts_html, header_html, node_table_html
from argonb.render.runtree import run_graph
from argonb.render.snapshot import SNAPSHOT_CLASS, RunPicture, origin_note, snapshot_bundle, static_graph
from argonb.render.summary import summarize
from argonb.render.svg import GraphRenderer
from argonb.rundir import RunDir, artifacts_dir

__all__ = ["RunView", "static_graph", "wait_for"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DONE_PHASES = ("Succeeded", "Failed", "Error", "Skipped", "Omitted")
# Pacing of one view's live updates (tests/browser measures both in JupyterLab): at most MESSAGES_PER_SECOND
# comm messages in any second (a flush sends one per widget that changed, up to one per entry of
# `RunView._sent_state`), and about BYTES_PER_SECOND (a 1,000-node graph is ~0.9 MB of SVG; re-sent ten
# times a second it kept the browser's main thread busy). A user's choice in the widget is never delayed.
MESSAGES_PER_SECOND = 12
BYTES_PER_SECOND = 1_000_000


class RunView:
    """One widget per run (it follows the newer run after Retry / Re-run)."""

    def __init__(self, run: Run, recorder: RunRecorder, *, var: str | None = None, note: str = "",
                 on_new_run: Callable[[RunView, Run], None] | None = None, log_lines: int = 500):
        self.run = run
        self.recorder = recorder
        self.var = var
        self.note = note
        self.superseded_by: str | None = None
        self.on_new_run = on_new_run
        self.log_lines = log_lines
        self.final = threading.Event()  # set once the run's final state reached the widgets and snapshot
        self.displayed_in: int | None = None  # execution count of the last display (avoids double display)
        self._renderer = GraphRenderer()
        self._static_renderer = GraphRenderer(max_layouts=2)  # the snapshot's folded graph: its own cache
        self._flush_lock = threading.RLock()
        self._flushed: tuple[Any, ...] | None = None
        self._selected: str | None = None
        self._updating = False
        self._handles: list[Any] = []
        self._display_lock = threading.Lock()
        self._disk_logs: dict[tuple[int, str, int], tuple[list[tuple[str, str]], int]] = {}
        self._expanded: set[str] = set()  # parents whose "N hidden nodes" the user opened (Argo UI's expandNodes)
        self._show_all: str | None = None  # the node whose whole log the user asked for
        self._artifact: tuple[str, str] | None = None  # (node id, "outputs:NAME") opened in the log pane
        self._next_flush = 0.0  # monotonic time before which a live update waits (see BYTES_PER_SECOND)
        self._recent: deque[tuple[float, int]] = deque()  # (when, messages) of the last second's flushes
        self._paced_ui = 0
        self._ui_version = 0
        self.view_class = f"argonb-view-{uuid.uuid4().hex[:16]}"  # ties this widget's snapshot outputs to it
        self._build()
        recorder.on_change = refresher().poke
        refresher().add(self)

    # ---- construction (main thread) ------------------------------------------------------------------
    def _build(self) -> None:
        import ipywidgets as w

        self.header = w.HTML()
        self.progress = w.IntProgress(value=0, min=0, max=1, bar_style="info", layout=w.Layout(width="220px"))
        self.counts = w.HTML()
        from argonb.notebook.panes import LogTail, NodeBrowser

        self.browser = NodeBrowser()
        self.browser.observe(self._on_click, names="selected")
        self.browser.on_msg(self._on_browser_msg)
        self.node_select = w.Dropdown(options=[("(follow running / failed)", "")], value="", description="log of",
                                      layout=w.Layout(width="340px"))
        self.node_select.observe(self._on_select, names="value")
        self.stop_button = w.Button(description="Stop", icon="stop", button_style="warning", tooltip="stop the run")
        self.retry_node_button = w.Button(description="Retry this node", icon="redo", disabled=True,
                                          tooltip="argo retry --node-field-selector id=<node>",
                                          layout=w.Layout(width="auto"))
        self.retry_node_button.on_click(lambda _b: self._guarded(self.retry_selected))
        self.retry_button = w.Button(description="Retry failed nodes", icon="redo", disabled=True,
                                     layout=w.Layout(width="auto"))  # the default width cuts the label
        self.rerun_button = w.Button(description="Re-run", icon="play", disabled=True)
        self.stop_button.on_click(lambda _b: self.stop())
        self.retry_button.on_click(lambda _b: self._guarded(self.retry))
        self.rerun_button.on_click(lambda _b: self._guarded(self.rerun))
        self.log = LogTail(layout=w.Layout(width="58%"))
        self.log.observe(self._on_show_all, names="show_all")
        self.detail = w.HTML()
        self.artifact_select = w.Dropdown(options=[("open artifact…", "")], value="", disabled=True,
                                          layout=w.Layout(width="auto"))
        self.artifact_select.observe(self._on_artifact, names="value")
        # "Show full log" is the log pane's own button (one widget less to update: see MESSAGES_PER_SECOND)
        node_actions = w.HBox([self.retry_node_button, self.artifact_select])
        self.status = w.HTML()
        # Where this widget renders (a live kernel, or saved widget state with its JavaScript), it replaces its
        # static snapshot: this rule hides the snapshot output. Where no widget JavaScript runs (nbconvert
        # offline, nbviewer, GitHub), the rule never reaches the page and the snapshot shows.
        self.hide_snapshot = w.HTML(value=hide_snapshot_css(self.view_class))
        controls = w.HBox([self.node_select, self.stop_button, self.retry_button, self.rerun_button])
        self.box = w.VBox([self.header, w.HBox([self.progress, self.counts]), self.browser, controls,
                           w.HBox([self.log, w.VBox([node_actions, self.detail], layout=w.Layout(width="42%"))]),
                           self.status, self.hide_snapshot],
                          layout=w.Layout(border="1px solid #d0d7de", padding="6px"))
        self.box.add_class("argonb-run")
        self.flush()

    # ---- display ---------------------------------------------------------------------------------------
    def widget_bundle(self) -> dict[str, Any]:
        """The widget's own output: the widget view only, so no frontend prefers a copy of the snapshot in it.

        nbconvert's HTML exporter, given saved widget state, renders the widget mimetype of a bundle as a
        script placeholder and drops the bundle's `text/html`; GitHub draws nothing. So the snapshot lives
        in an output of its own (`snapshot_data`)."""
        return {WIDGET_VIEW: {"model_id": self.box.model_id, "version_major": 2, "version_minor": 0},
                "text/plain": f"argonb run {self.run.name} (live view; the snapshot below shows it without a kernel)"}

    def display(self, execution_count: int | None = None) -> None:
        """Show the widget and, as a separate output, its static snapshot (replaced when the run ends)."""
        from IPython.display import DisplayHandle

        widget, snapshot = DisplayHandle(), DisplayHandle()
        with self._display_lock:  # the refresher's final update either sees this handle or precedes the data
            self._handles.append(snapshot)
            widget.display(self.widget_bundle(), raw=True)
            snapshot.display(self.snapshot_data(), raw=True)
        self.displayed_in = execution_count

    def picture(self, state: RecordedState | None = None) -> RunPicture:
        state = state or self.recorder.state()
        return RunPicture(name=self.run.name, phase=state.phase, message=state.message, nodes=state.nodes,
                          elapsed=state.elapsed(), note=self._note_text(), kept=state.kept,
                          workflow=self.run.workflow, log_tail=self._log_lines)

    def snapshot_data(self, state: RecordedState | None = None, *, replaced_by_widget: bool = True) -> dict[str, str]:
        """`text/html` and `text/plain` of the static snapshot, as the run is now; `replaced_by_widget`: the
        widget hides it where the widget renders (the snapshot output beside it), else it always shows."""
        return snapshot_bundle(self.picture(state), render=self._render_static,
                               view_id=self.view_class if replaced_by_widget else "")

    def snapshot(self, state: RecordedState | None = None) -> str:
        """Static HTML of the run as it is now, shown whatever renders (e.g. `%workflow status`)."""
        return self.snapshot_data(state, replaced_by_widget=False)["text/html"]

    def _log_lines(self, node_id: str) -> list[str]:
        """A node's last lines for the static snapshot: what the recorder holds, else its log file (a node a
        retry kept printed in an earlier run); nothing for a node that never ran a pod."""
        lines, _total = self.recorder.log_tail(node_id)
        if lines:
            return lines
        node = self.recorder.state().nodes.get(node_id)
        if not node or node.get("type") not in ("Pod", "Container"):
            return []
        return [line for _stream, line in self._disk_log(node, self.log_lines, -1)[0]]

    def _render_static(self, graph: Any) -> str:
        with self._flush_lock:  # the renderer's layout cache has one owner at a time
            return self._static_renderer.render(graph)

    # ---- refresher side ----------------------------------------------------------------------------------
    @property
    def settled(self) -> bool:
        return self.final.is_set()

    def flush(self) -> None:
        """Write the recorder's latest state into the widgets (no-op when nothing visible changed)."""
        with self._flush_lock:
            state = self.recorder.state()
            key = (id(self.run), state.version, self._ui_version, int(state.elapsed()), self.superseded_by)
            if key == self._flushed:
                return
            if self._ui_version == self._paced_ui and not self._may_send():
                return  # paced: the refresher comes back within a second
            self._flushed, self._paced_ui = key, self._ui_version
            before = self._sent_state()
            selected = self._selected or pick_node(state.nodes)  # the deepest real failure (summary.focus)
            self._flush_summary(state)
            self._flush_browser(state, selected)
            self._flush_selection(state, selected)
            self._flush_buttons(state)
            changed = [(a, b) for a, b in zip(before, self._sent_state(), strict=True) if a != b]
            size = sum(len(b) for _a, b in changed if isinstance(b, str))
            self._recent.append((time.monotonic(), len(changed)))
            self._next_flush = time.monotonic() + size / BYTES_PER_SECOND
            if state.finished and not self.final.is_set():
                self._finalize(state)

    def _may_send(self) -> bool:
        """Whether a flush now, whatever it changes, keeps this view within its message and byte budgets."""
        now = time.monotonic()
        while self._recent and self._recent[0][0] <= now - 1.0:
            self._recent.popleft()
        recent = sum(n for _t, n in self._recent)
        return now >= self._next_flush and recent + len(self._sent_state()) <= MESSAGES_PER_SECOND

    def _sent_state(self) -> tuple[Any, ...]:
        """What the widgets hold, one entry per comm message a change of it costs."""
        b, log = self.browser, self.log
        return (self.header.value, self.counts.value, (b.svg, b.table, b.selected, b.svg_keys, b.node_info),
                (log.title, log.first, log.total, log.source, log.show_all, log.loggable, log.lines),
                self.detail.value, (self.progress.value, self.progress.max, self.progress.bar_style),
                tuple(self.node_select.options), (self.stop_button.disabled, self.stop_button.button_style),
                self.retry_button.disabled, self.rerun_button.disabled, self.retry_node_button.disabled,
                (tuple(self.artifact_select.options), self.artifact_select.value))

    def _flush_summary(self, state: RecordedState) -> None:
        note = " · ".join(filter(None, [self._note_text(), origin_note(state.nodes, state.kept)]))
        self.header.value = header_html(self.run.name, state.phase, state.message, elapsed=state.elapsed(),
                                        note=note)
        summary = summarize(state.nodes, state.kept)
        done, total = summary.progress
        with self.progress.hold_sync():
            self.progress.max = max(1, total)
            self.progress.value = done
            self.progress.bar_style = {"Succeeded": "success", "Failed": "danger", "Error": "danger"}.get(
                state.phase, "info")
        self.counts.value = (f'<span style="font-size:12px">{counts_html(summary.counts)} '
                             f'<span style="color:#57606a">progress {summary.progress_text}</span></span>')

    def _flush_selection(self, state: RecordedState, selected: str | None) -> None:
        options = node_options(state.nodes)
        if tuple(options) != tuple(self.node_select.options):
            self._updating = True  # programmatic change: not a user choice
            try:
                with self.node_select.hold_sync():
                    self.node_select.options = options
                    self.node_select.value = self._selected if self._selected in {v for _, v in options} else ""
            finally:
                self._updating = False
        node = state.nodes.get(selected or "")
        if node is None:
            with self.log.hold_sync():
                self.log.title, self.log.lines, self.log.first, self.log.total = "log", [], 0, 0
                self.log.source, self.log.loggable = "", False
            self.detail.value = node_detail_html(None)
            return
        node_id = str(node["id"])
        self._flush_artifacts(node)
        detail = node_detail_html(node, log_path=self.run.log_path(node), kept_from=state.kept.get(node_id),
                                  nodes=state.nodes, artifacts_root=self._artifacts_root())
        if self._artifact and self._artifact[0] == node_id:
            self._show_artifact(node, self._artifact[1])
            self.detail.value = detail
            return
        lines, total = self._log_window(node)
        shown = f" (last {len(lines)} of {total} lines)" if total > len(lines) else ""
        with self.log.hold_sync():
            self.log.title = f"log of {node.get('displayName')}{shown}"
            self.log.lines = [list(pair) for pair in lines]
            self.log.first, self.log.total = total - len(lines), total
            self.log.source = f"{id(self.run)}:{node_id}"
            self.log.show_all = self._show_all == node_id
            self.log.loggable = node.get("type") in ("Pod", "Container")
        self.detail.value = detail

    def _artifacts_root(self) -> Path:
        return artifacts_dir(RunDir(Path(self.run.run_dir)).home)  # the home's local repository

    def _flush_artifacts(self, node: dict[str, Any]) -> None:
        options = [("open artifact…", "")] + artifact_choices(node, self._artifacts_root())
        value = self._artifact[1] if self._artifact and self._artifact[0] == str(node["id"]) else ""
        if tuple(options) != tuple(self.artifact_select.options) or self.artifact_select.value != value:
            self._updating = True
            try:
                with self.artifact_select.hold_sync():
                    self.artifact_select.options = options
                    self.artifact_select.value = value if value in {v for _, v in options} else ""
                    self.artifact_select.disabled = len(options) == 1  # this node has no artifact
            finally:
                self._updating = False

    def _show_artifact(self, node: dict[str, Any], choice: str) -> None:
        path = find_artifact(node, choice, self._artifacts_root())
        try:
            lines = artifact_lines(path, SHOW_ALL_LINES) if path else [("stderr", "not in the repository")]
        except (OSError, tarfile.TarError) as exc:
            lines = [("stderr", f"cannot read {path}: {exc}")]
        with self.log.hold_sync():
            self.log.title = f"{choice.replace(':', '.artifacts.')} of {node.get('displayName')} ({path})"
            self.log.lines = [[stream, clip_line(text)] for stream, text in lines]
            self.log.first, self.log.total = 0, len(lines)
            self.log.source = f"{id(self.run)}:{node['id']}:{choice}"
            self.log.show_all, self.log.loggable = True, False

    def _on_artifact(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        node = self._selected or pick_node(self.recorder.state().nodes)
        self._artifact = (node, change["new"]) if change["new"] and node else None
        self._ui_version += 1
        refresher().add(self)

    def _log_window(self, node: dict[str, Any]) -> tuple[list[tuple[str, str]], int]:
        """The node's log as the pane shows it: the live bounded tail, or the whole log read from disk
        (up to SHOW_ALL_LINES) after "show all", or, for nodes this recorder never saw print, the file's tail."""
        node_id = str(node["id"])
        lines, total = self.recorder.log_tail_streams(node_id)
        if self._show_all == node_id and node.get("type") in ("Pod", "Container"):
            return self._disk_log(node, SHOW_ALL_LINES, total)
        if not total and node.get("type") == "Pod" and node.get("phase") in DONE_PHASES:
            return self._disk_log(node, self.log_lines, -1)  # e.g. a node a retry kept: an earlier run printed it
        return lines, total

    def _disk_log(self, node: dict[str, Any], max_lines: int, version: int) -> tuple[list[tuple[str, str]], int]:
        """A node's log file, read once per (run, node, how much the node had printed)."""
        key = (id(self.run), str(node["id"]), version)
        if key not in self._disk_logs:
            try:
                lines, total = disk_log(self.run, node, max_lines)
                self._disk_logs[key] = ([(stream, clip_line(line)) for stream, line in lines], total)
            except OSError:  # no log on disk: show "(no output)"
                self._disk_logs[key] = ([], 0)
        return self._disk_logs[key]

    def _flush_browser(self, state: RecordedState, selected: str | None) -> None:
        graph = self._graph(state)
        markup = self._render(graph)
        info = {str(n["id"]): [str(n.get("phase") or ""), str(n.get("templateName") or "")]
                for n in state.nodes.values()}
        root = next((g for g in graph.nodes if not hidden_parent(g.key)), None)
        self._updating = True  # the kernel's own choice of node: not a click
        try:
            with self.browser.hold_sync():
                self.browser.svg = markup
                # what a click on each drawn node means: a node's panel, or expanding a fold; placeholders of
                # tasks not started yet are not clickable
                self.browser.svg_keys = {graph.svg_id(g): g.key if g.key in state.nodes
                                         else f"collapsed:{hidden_parent(g.key)}" for g in graph.nodes
                                         if g.key in state.nodes or hidden_parent(g.key)}
                self.browser.node_info = info
                self.browser.root_svg = graph.svg_id(root) if root else ""
                self.browser.table = node_table_html(state.nodes, selected=selected)
                self.browser.selected = selected or ""
        finally:
            self._updating = False

    def _flush_buttons(self, state: RecordedState) -> None:
        failed = state.phase in FAILED
        with self.stop_button.hold_sync():  # a disabled Stop is drawn plain, not orange as if it could be clicked
            self.stop_button.disabled = state.finished
            self.stop_button.button_style = "" if state.finished else "warning"
        node = state.nodes.get(self._selected or pick_node(state.nodes) or "")
        self.retry_node_button.disabled = not (state.finished and node is not None)
        self.retry_button.disabled = not (state.finished and failed)
        self.rerun_button.disabled = not state.finished

    def _finalize(self, state: RecordedState) -> None:
        """The run ended: refresh every static snapshot, then say the final state is out."""
        with self._display_lock:
            data = self.snapshot_data(state)
            for handle in self._handles:
                handle.update(data, raw=True)
        self.final.set()

    def _graph(self, state: RecordedState) -> Graph:
        """The node tree to draw: tasks not started yet greyed from the spec (while the run goes on), and
        sibling groups over the Argo UI's limit folded unless expanded."""
        nodes = with_planned(state.nodes, self.run.workflow) if not state.finished else state.nodes
        graph = run_graph(nodes, name=self.run.name, prefix=safe_prefix(self.run.name), workflow=self.run.workflow)
        return collapse_groups(graph, expanded=self._expanded).graph

    def _render(self, graph: Graph) -> str:
        with self._flush_lock:  # the renderer's layout cache has one owner at a time
            return self._renderer.render(graph)

    def _graph_markup(self, state: RecordedState) -> str:
        return self._render(self._graph(state))

    def _note_text(self) -> str:
        if self.superseded_by:
            return f"superseded: this cell started {self.superseded_by}; this run is no longer the cell's latest"
        return self.note

    # ---- user actions (main thread) ------------------------------------------------------------------
    def _on_select(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        self._selected, self._artifact = change["new"] or None, None
        self._ui_version += 1
        refresher().add(self)  # add, not poke: the refresher drops a view once its run's final state is out

    def _on_click(self, change: dict[str, Any]) -> None:
        """A click on a graph node or a table row (the page set `selected`)."""
        if self._updating or not change["new"] or change["new"] == self._selected:
            return
        self._selected, self._artifact = change["new"], None
        self._ui_version += 1
        refresher().add(self)

    def _on_browser_msg(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("event") == "expand":
            self.expand(str(content.get("parent") or ""))
        elif content.get("event") == "select" and content.get("node") in self.recorder.state().nodes:
            self._on_click({"new": str(content["node"])})

    def expand(self, parent: str) -> None:
        """Show every child of `parent` (a node id; "*" for all) instead of "N hidden nodes"."""
        self._expanded.add(EXPAND_ALL if parent == EXPAND_ALL else parent)
        self._ui_version += 1
        refresher().add(self)

    def _on_show_all(self, change: dict[str, Any]) -> None:
        if self._updating or not change["new"]:
            return
        self.show_full_log()

    def show_full_log(self, node: str | None = None) -> None:
        """Load the whole log of `node` (default: the one shown) into the log pane, up to SHOW_ALL_LINES."""
        state = self.recorder.state()
        key = str(self.run.node(node)["id"]) if node else (self._selected or pick_node(state.nodes))
        if key:
            self._selected, self._show_all, self._artifact = key, key, None
            self._ui_version += 1
            refresher().add(self)

    def retry_selected(self) -> Run:
        """Argo's `argo retry --node-field-selector id=<node>` for the node the panel shows: it and what
        depends on it run again, with the failed nodes; a Succeeded node needs `--restart-successful`, which
        the button implies for it (the Argo UI's node retry panel offers the same as a checkbox)."""
        state = self.recorder.state()
        key = self._selected or pick_node(state.nodes)
        node = state.nodes.get(key or "")
        if node is None:
            raise ValueError("no node selected")
        return self.retry(f"id={node['id']}", restart_successful=node.get("phase") == "Succeeded")

    def select(self, node: str | None) -> None:
        """Follow `node` (id or display name) in the log pane; None returns to following the active node."""
        if node is not None:
            node = str(self.run.node(node)["id"])
        self._selected, self._artifact = node, None
        self._ui_version += 1
        refresher().add(self)

    def mark_superseded(self, new_run: str) -> None:
        self.superseded_by = new_run
        refresher().add(self)

    def stop(self) -> None:
        self.run.stop()
        self.status.value = f'<span style="font-size:12px">stopping {html.escape(self.run.name)}…</span>'

    def retry(self, node: str | None = None, *, restart_successful: bool = False) -> Run:
        """Retry the failed nodes (and `node`, a node or field selector) as a new run, which this widget then
        follows."""
        from argonb.notebook.actions import retry_run

        return self._follow(lambda rec: retry_run(self.run, node, subscribers=[rec.on_event],
                                                  restart_successful=restart_successful), "retry")

    def rerun(self) -> Run:
        """Run the same workflow again; this widget follows the new run."""
        from argonb.notebook.actions import rerun

        return self._follow(lambda rec: rerun(self.run, subscribers=[rec.on_event]), "re-run")

    def _follow(self, start: Callable[[RunRecorder], Run], what: str) -> Run:
        recorder = RunRecorder(self.recorder_log_lines)
        new = start(recorder)
        old = self.run.name
        with self._flush_lock:
            self.run, self.recorder = new, recorder
            self.note, self.superseded_by, self._selected = f"{what} of {old}", None, None
            self._show_all = None
            self.final.clear()
        recorder.on_change = refresher().poke
        refresher().add(self)
        if self.on_new_run is not None:
            self.on_new_run(self, new)
        self.status.value = f'<span style="font-size:12px">{what} of {html.escape(old)} started: ' \
                            f'{html.escape(new.name)}</span>'
        return new

    @property
    def recorder_log_lines(self) -> int:
        return self.log_lines

    def _guarded(self, action: Callable[[], Any]) -> None:
        """Button callbacks: report failures in the widget instead of raising into the comm handler."""
        try:
            action()
        except Exception as exc:
            self.status.value = f'<span style="color:#d9404f;font-size:12px">{html.escape(str(exc))}</span>'

    def wait_final(self, timeout: float | None = None) -> bool:
        """Block until the final state was flushed (refresh now rather than waiting for the next tick)."""
        if self.recorder.finished:
            self.flush()
        return self.final.wait(timeout)

    def __repr__(self) -> str:
        return f"<RunView {self.run.name}>"


def hide_snapshot_css(view_class: str) -> str:
    """A style rule, shown only by the widget, that hides the widget's own snapshot outputs."""
    selector = f".{SNAPSHOT_CLASS}.{view_class}"
    return (f"<style>{selector} {{display:none}} "
            f".jp-OutputArea-child:has({selector}) {{display:none}}</style>")


def wait_for(view: RunView, timeout: float | None = None) -> bool:
    """Wait for the run behind `view`, then for its final flush; Ctrl-C stops the run cleanly.

    Returns False when interrupted (the run was asked to stop and had up to 10 s to do so).
    """
    run = view.run
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while not run.done:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            run.wait(0.5 if left is None else min(0.5, left))
    except KeyboardInterrupt:
        run.stop()
        run.wait(10)
        view.wait_final(5)
        return False
    view.wait_final(10)
    return True
