"""Kernel-wide notebook state and what `%%workflow` does with a cell.

Owns: `Session` (one per IPython shell: the WorkflowTemplate registry later cells `templateRef`, every run's
`RunView`, which cell started which run so re-executing a cell marks the old view superseded) and
`CellOptions` (the parsed magic flags). The magics in `argonb.notebook.magics` only parse arguments and call
into here. Imports: IPython.display, argonb.engine, argonb.spec, argonb.render, argonb.notebook.*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from argonb.engine.loaded import LoadedWorkflow, load_workflow
from argonb.engine.run import Run
from argonb.engine.workflow import Registry
from argonb.errors import InvalidWorkflow
from argonb.notebook.actions import LaunchSpec, start_run
from argonb.notebook.errors import WorkflowCellError, diagnostics_bundle, invalid
from argonb.notebook.recorder import LOG_TAIL_BYTES, RunRecorder
from argonb.notebook.widget import RunView, wait_for
from argonb.render.snapshot import static_graph
from argonb.spec.source import Document, Source

TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate", "ConfigMap")
RUN_KINDS = ("Workflow", "CronWorkflow")


@dataclass
class CellOptions:
    parameters: dict[str, str] = field(default_factory=dict)
    backend: str | None = None
    var: str | None = None
    wait: bool = False
    lint_only: bool = False
    render_only: bool = False
    parallelism: int | None = None
    templates: list[str] = field(default_factory=list)
    reuse: str | None = None  # edit-and-resume from this run ("" = this cell's previous run)


class Session:
    """Everything `%%workflow` remembers between cells of one kernel."""

    def __init__(self, shell: Any, *, backend: str = "local", home: str | None = None, log_lines: int = 500):
        self.shell = shell
        self.backend = backend
        self.home = home
        self.log_lines = log_lines
        self.registry = Registry()
        self.template_sources: dict[tuple[str, str], Source] = {}
        self.template_documents: dict[tuple[str, str], Document] = {}
        self.views: dict[str, RunView] = {}  # run name -> the view showing it (insertion = start order)
        self.by_cell: dict[Any, RunView] = {}
        self.cell_id: str | None = None  # set by the pre_run_cell hook while a cell runs
        self.cell_serial = 0  # bumped by the pre_run_cell hook
        self.last_source: Source | None = None

    # ---- %%workflow -----------------------------------------------------------------------------------
    def run_cell(self, options: CellOptions, cell: str) -> Run | None:
        source = Source.from_cell(cell)
        self.last_source = source
        if options.lint_only:
            self.show(diagnostics_bundle(self.lint(source, options.templates)))
            return None
        loaded = self.load(source, options.templates)
        docs = list(loaded.documents)
        self._register_templates(docs, source)
        runnable = [d for d in docs if d.kind in RUN_KINDS]
        if options.render_only:
            self.show_spec(runnable[0] if runnable else None, docs)
            return None
        if not runnable:
            return None
        return self._start(loaded, options, cell)

    def load(self, source: Source, templates: list[str] = ()) -> LoadedWorkflow:
        """The cell parsed and linted once, against this kernel's templates and `--templates` files; the run
        takes this value as it is. Lint errors in the cell fail it with located diagnostics."""
        try:
            return load_workflow(source, templates=_template_files(templates) or None, registry=self.registry,
                                 require_runnable=False, context=self.template_documents.values())
        except InvalidWorkflow as exc:
            raise invalid(exc.diagnostics) from None

    def lint(self, source: Source, templates: list[str] = ()) -> list[Any]:
        from argonb.spec.lint import lint

        extra = [*self.template_sources.values(), *(_template_files(templates))]
        return lint(source, extra_sources=extra, name=source.name)

    def _register_templates(self, docs: list[Document], source: Source) -> None:
        names = []
        for doc in docs:
            if doc.kind in TEMPLATE_KINDS and self.registry.add_document(doc.data):
                key = (doc.kind, doc.name)
                # Later lint runs need the text; name it after the template so diagnostics stay readable.
                self.template_sources[key] = Source(_document_text(doc), f"{doc.kind}/{doc.name}")
                # the same, as lint context for later cells: already-parsed data, no second parse
                self.template_documents[key] = Document(doc.data, self.template_sources[key])
                names.append(f"{doc.kind} {doc.name}")
        if names:
            self.show({"text/plain": "argonb: registered " + ", ".join(names) +
                       " for this kernel (later cells can templateRef them; see %workflow templates)"})

    def _start(self, loaded: LoadedWorkflow, options: CellOptions, cell: str) -> Run:
        recorder = RunRecorder(self.log_lines)
        # the loaded value stands in for the Source: the store records its text, the run does not parse again
        spec = LaunchSpec(loaded, options.parameters, options.backend or self.backend,  # type: ignore[arg-type]
                          tuple(options.templates), self.registry, self.home, options.parallelism,
                          reuse=self._reuse_ref(options.reuse))
        try:
            run = start_run(spec, [recorder.on_event])
        except InvalidWorkflow as exc:
            raise invalid(exc.diagnostics) from None
        except Exception as exc:  # BackendUnavailable and friends: one clear line
            from argonb.errors import ArgonbError

            if not isinstance(exc, ArgonbError):
                raise
            raise WorkflowCellError(str(exc)) from None
        view = RunView(run, recorder, var=options.var, on_new_run=self._adopt, log_lines=self.log_lines)
        # without cell ids (nbclient, plain IPython) a cell is known by its options and its text
        self._remember(view, cell_key=self.cell_id or ("text", repr(options), cell))
        view.display(self.execution_count())
        if options.wait and not wait_for(view):
            self.show({"text/plain": f"argonb: interrupted; {run.name} was stopped ({run.phase})"})
        return run

    def _reuse_ref(self, reuse: str | None) -> str | None:
        """What `--reuse [RUN]` names: a Run variable, a run name/prefix/@latest, or this cell's previous run."""
        if reuse is None:
            return None
        if reuse:
            value = (getattr(self.shell, "user_ns", None) or {}).get(reuse)
            return getattr(value, "name", None) or reuse
        previous = self.by_cell.get(self.cell_id) if self.cell_id else None
        return previous.run.name if previous is not None else "@latest"

    # ---- views -----------------------------------------------------------------------------------------
    def _remember(self, view: RunView, *, cell_key: Any = None) -> None:
        self.views[view.run.name] = view
        if cell_key is not None:
            old = self.by_cell.get(cell_key)
            if old is not None and old is not view:
                old.mark_superseded(view.run.name)
            self.by_cell[cell_key] = view
        if view.var:
            self.shell.user_ns[view.var] = view.run

    def _adopt(self, view: RunView, run: Run) -> None:
        """A widget button started `run` (retry / re-run): index it and rebind the view's variable."""
        self._remember(view)

    def view_for(self, run: Run) -> RunView:
        """The view showing `run`; a run started outside the magic (`argonb.run(...)`) gets one now."""
        view = self.views.get(run.name)
        if view is not None and view.run is run:
            return view
        recorder = RunRecorder(self.log_lines)
        run.subscribe(recorder.on_event)
        nodes = run.nodes
        logs = {key: run.logs(key, tail_bytes=LOG_TAIL_BYTES) for key, n in nodes.items()
                if n.get("type") == "Pod"} if run.done else {}
        recorder.seed(nodes, phase=run.phase, message=run.message, finished=run.done, logs=logs,
                      kept=run.kept_from)
        view = RunView(run, recorder, log_lines=self.log_lines)
        self.views[run.name] = view
        return view

    def display_run(self, run: Run) -> None:
        """IPython display hook for Run objects: show the live view once per cell execution."""
        view = self.view_for(run)
        if view.displayed_in is not None and view.displayed_in == self.execution_count():
            return  # the magic already showed it in this cell; `_` is still bound by the displayhook
        view.display(self.execution_count())

    def execution_count(self) -> int:
        """A number that changes with every executed cell (the pre_run_cell hook bumps it), so a view shown by
        the magic is not shown again by the displayhook of the same cell; unlike IPython's execution_count
        it also moves for cells run with store_history=False."""
        return self.cell_serial

    # ---- lookups ---------------------------------------------------------------------------------------
    def find(self, key: str | None) -> RunView:
        """A run by name, unique name prefix, or user variable holding it; the latest run when None."""
        from IPython.core.error import UsageError

        if not self.views:
            raise UsageError("no workflow runs yet in this kernel: run a %%workflow cell first")
        if not key:
            return list(self.views.values())[-1]
        value = self.shell.user_ns.get(key)
        if isinstance(value, Run):
            return self.view_for(value)
        if key in self.views:
            return self.views[key]
        matches = [v for name, v in self.views.items() if name.startswith(key)]
        if len(matches) == 1:
            return matches[0]
        raise UsageError(f"no run {key!r}; runs: {', '.join(self.views)}")

    def has_run(self, key: str) -> bool:
        try:
            self.find(key)
        except Exception:
            return False
        return True

    # ---- output helpers --------------------------------------------------------------------------------
    @staticmethod
    def show(bundle: dict[str, Any]) -> None:
        from IPython.display import display

        display(bundle, raw=True)

    def show_spec(self, doc: Document | None, docs: list[Document]) -> None:
        from argonb.render import render_svg, spec_graph

        doc = doc or next((d for d in docs if d.kind in ("WorkflowTemplate", "ClusterWorkflowTemplate")), None)
        if doc is None:
            self.show({"text/plain": "argonb: nothing to draw (no Workflow or WorkflowTemplate in the cell)"})
            return
        graph = spec_graph(doc.data, self.registry)
        self.show({"text/html": static_graph(render_svg(graph), f"structure of {doc.name}"),
                   "text/plain": graph.to_dot()})


def _template_files(entries: list[str]) -> list[Any]:
    from pathlib import Path

    out: list[Any] = []
    for entry in entries:
        path = Path(entry)
        out.extend(sorted(p for p in path.rglob("*.y*ml")) if path.is_dir() else [path])
    return out


def _document_text(doc: Document) -> str:
    """The YAML of one document of a multi-document cell (so lint context holds just that document)."""
    import yaml

    return yaml.safe_dump(doc.data, sort_keys=False)
