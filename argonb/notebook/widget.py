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
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from argonb.engine.run import Run
from argonb.notebook.details import node_detail_html, node_options, pick_node
from argonb.notebook.recorder import LOG_TAIL_BYTES, RecordedState, RunRecorder, refresher
from argonb.render.graph import safe_prefix
from argonb.render.report import FAILED, counts_html, header_html, log_tail_html, node_table_html
from argonb.render.runtree import run_graph
from argonb.render.snapshot import SNAPSHOT_CLASS, RunPicture, origin_note, snapshot_bundle, static_graph
from argonb.render.summary import summarize
from argonb.render.svg import GraphRenderer

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
        self._disk_logs: dict[tuple[int, str], list[str]] = {}
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
        self.graph = w.HTML(layout=w.Layout(overflow="auto", max_height="520px"))
        self.table = w.HTML(layout=w.Layout(overflow="auto", max_height="260px"))
        self.node_select = w.Dropdown(options=[("(follow running / failed)", "")], value="", description="log of",
                                      layout=w.Layout(width="340px"))
        self.node_select.observe(self._on_select, names="value")
        self.stop_button = w.Button(description="Stop", icon="stop", button_style="warning", tooltip="stop the run")
        self.retry_button = w.Button(description="Retry failed nodes", icon="redo", disabled=True,
                                     layout=w.Layout(width="auto"))  # the default width cuts the label
        self.rerun_button = w.Button(description="Re-run", icon="play", disabled=True)
        self.stop_button.on_click(lambda _b: self.stop())
        self.retry_button.on_click(lambda _b: self._guarded(self.retry))
        self.rerun_button.on_click(lambda _b: self._guarded(self.rerun))
        self.log = w.HTML(layout=w.Layout(width="58%"))
        self.detail = w.HTML(layout=w.Layout(width="42%"))
        self.status = w.HTML()
        # Where this widget renders (a live kernel, or saved widget state with its JavaScript), it replaces its
        # static snapshot: this rule hides the snapshot output. Where no widget JavaScript runs (nbconvert
        # offline, nbviewer, GitHub), the rule never reaches the page and the snapshot shows.
        self.hide_snapshot = w.HTML(value=hide_snapshot_css(self.view_class))
        controls = w.HBox([self.node_select, self.stop_button, self.retry_button, self.rerun_button])
        self.box = w.VBox([self.header, w.HBox([self.progress, self.counts]), self.graph, self.table, controls,
                           w.HBox([self.log, self.detail]), self.status, self.hide_snapshot],
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
        lines, _total = self.recorder.log_tail(node_id)
        return lines or self._disk_log(node_id)

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
            self.graph.value = self._graph_markup(state)
            self.table.value = node_table_html(state.nodes, selected=selected)
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
        return (self.header.value, self.counts.value, self.graph.value, self.table.value, self.log.value,
                self.detail.value, (self.progress.value, self.progress.max, self.progress.bar_style),
                tuple(self.node_select.options), self.stop_button.disabled, self.retry_button.disabled,
                self.rerun_button.disabled)

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
            self.log.value = log_tail_html([], title="log")
            self.detail.value = node_detail_html(None)
            return
        lines, total = self.recorder.log_tail(str(node["id"]))
        if not total and node.get("type") == "Pod" and node.get("phase") in DONE_PHASES:
            lines = self._disk_log(str(node["id"]))  # e.g. a node a retry kept: an earlier attempt printed it
            total = len(lines)
        title = f"log of {node.get('displayName')}" + (f" (last {len(lines)} of {total} lines)" if total > len(
            lines) else "")
        self.log.value = log_tail_html(lines, title=title, limit=self.log_lines)
        self.detail.value = node_detail_html(node, log_path=self.run.log_path(node), kept_from=state.kept.get(
            str(node["id"])))

    def _disk_log(self, node_id: str) -> list[str]:
        """The tail of a finished node's log file, for nodes whose lines this view's recorder never saw."""
        key = (id(self.run), node_id)
        if key not in self._disk_logs:
            try:
                self._disk_logs[key] = self.run.logs(node_id, tail_bytes=LOG_TAIL_BYTES).splitlines()[-self.log_lines:]
            except Exception:  # no log on disk (or no such node): show "(no output)"
                self._disk_logs[key] = []
        return self._disk_logs[key]

    def _flush_buttons(self, state: RecordedState) -> None:
        failed = state.phase in FAILED
        self.stop_button.disabled = state.finished
        self.retry_button.disabled = not (state.finished and failed)
        self.rerun_button.disabled = not state.finished

    def _finalize(self, state: RecordedState) -> None:
        """The run ended: refresh every static snapshot, then say the final state is out."""
        with self._display_lock:
            data = self.snapshot_data(state)
            for handle in self._handles:
                handle.update(data, raw=True)
        self.final.set()

    def _graph_markup(self, state: RecordedState) -> str:
        graph = run_graph(state.nodes, name=self.run.name, prefix=safe_prefix(self.run.name),
                          workflow=self.run.workflow)
        with self._flush_lock:  # the renderer's layout cache has one owner at a time
            return self._renderer.render(graph)

    def _note_text(self) -> str:
        if self.superseded_by:
            return f"superseded: this cell started {self.superseded_by}; this run is no longer the cell's latest"
        return self.note

    # ---- user actions (main thread) ------------------------------------------------------------------
    def _on_select(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        self._selected = change["new"] or None
        self._ui_version += 1
        refresher().add(self)  # add, not poke: the refresher drops a view once its run's final state is out

    def select(self, node: str | None) -> None:
        """Follow `node` (id or display name) in the log pane; None returns to following the active node."""
        if node is not None:
            node = str(self.run.node(node)["id"])
        self._selected = node
        self._ui_version += 1
        refresher().add(self)

    def mark_superseded(self, new_run: str) -> None:
        self.superseded_by = new_run
        refresher().add(self)

    def stop(self) -> None:
        self.run.stop()
        self.status.value = f'<span style="font-size:12px">stopping {html.escape(self.run.name)}…</span>'

    def retry(self, node: str | None = None) -> Run:
        """Retry the failed nodes as a new run, which this widget then follows."""
        from argonb.notebook.actions import retry_run

        return self._follow(lambda rec: retry_run(self.run, node, subscribers=[rec.on_event]), "retry")

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
