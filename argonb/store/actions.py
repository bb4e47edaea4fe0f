"""Starting recorded runs, and Argo's retry / resubmit plus argonb's edit-and-resume on top of the store.

Owns: `run_recorded` (the store-aware wrapper of `argonb.run`), `retry` (same workflow name, a new attempt that
keeps every succeeded node not selected for a restart), `resubmit` (a new run from the same source and
parameters, optionally memoized) and `resume_edited` (changed YAML reusing every unchanged succeeded node of an
earlier run), and `plan_retry`, the pure function that decides which nodes a retry keeps.
Imports: argonb.facade (run), argonb.engine.api, argonb.engine.workflow, argonb.store.store, argonb.store.recorder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from argonb.engine.events import Event
from argonb.engine.run import Run
from argonb.store.recorder import RunRecorder
from argonb.store.store import RunActive, RunRecord, Store, StoreError, open_store

# Node types whose succeeded status the engine can keep (engine.execute.REUSABLE_TYPES); other nodes
# (Steps, DAG, groups) are always evaluated again and succeed again from their kept children.
LEAF_TYPES = ("Pod", "Retry", "Suspend", "HTTP", "Container", "Plugin")
FAILED = ("Failed", "Error")
SELECTOR_FIELDS = ("id", "name", "displayName", "templateName", "phase")


class RetryError(StoreError):
    pass


# ---- starting a recorded run ------------------------------------------------------------------------------
def run_recorded(source: Any, parameters: dict[str, Any] | None = None, *, store: Store | None = None,
                 home: str | Path | None = None, backend: Any = "local", templates: Any = None,
                 name: str | None = None, wait: bool = False, subscribers: Iterable[Callable[[Event], None]] = (),
                 reuse: dict[str, dict[str, Any]] | None = None, reuse_from: str = "", resumed_from: str = "",
                 resubmitted_from: str = "", replace: bool = True, **options: Any) -> Run:
    """`argonb.run(...)` recorded in the run store (`<home>/argonb.db`); returns the `Run`.

    A finished earlier run with the same workflow name is replaced (its rows and run directory deleted), as
    re-running a notebook cell would expect; a still-running one raises `RunActive`. `options` are passed to
    `argonb.run` (parallelism, max_workers, registry, validate_input).
    """
    from argonb.facade import run

    st = store or open_store(home)
    if replace:
        _clear_name(st, name or planned_name(source))
    recorder = RunRecorder(st.db, source=_source_text(source), source_path=_source_path(source),
                           parameters=parameters, templates=_template_refs(templates), backend=_backend_name(backend),
                           resumed_from=resumed_from, resubmitted_from=resubmitted_from)
    handle = run(source, parameters, backend=backend, templates=templates, home=st.home, name=name,
                 reuse=reuse, reuse_from=reuse_from, subscribers=[recorder.on_event, *subscribers], **options)
    recorder.attach(handle)
    _recorders[handle] = recorder
    if wait:
        handle.wait()
        recorder.wait_flushed()
    return handle


_recorders: WeakKeyDictionary[Run, RunRecorder] = WeakKeyDictionary()


def recorder_of(handle: Run) -> RunRecorder | None:
    """The recorder of a run started by `run_recorded` (its `problems`, `end_lost`), None for other runs."""
    return _recorders.get(handle)


def _clear_name(st: Store, name: str | None) -> None:
    if not name:
        return
    try:
        rec = st.get_run(name)
    except LookupError:
        return
    if rec.name != name:  # get_run matched a prefix: a different run
        return
    if rec.active:
        raise RunActive(f"run {name} is still running (pid {rec.pid}); stop it or choose another name")
    st.delete(rec)


def planned_name(source: Any) -> str | None:
    """`metadata.name` of the document `argonb.run` would pick, when fixed (None for generateName or junk)."""
    from argonb.engine.api import load_documents, select_workflow
    from argonb.engine.workflow import Registry

    try:
        doc = select_workflow(load_documents(source), Registry())
        name = (doc.data.get("metadata") or {}).get("name")
    except Exception:  # the real run reports bad input with its diagnostics; nothing to plan here
        return None
    return str(name) if name else None


def _is_path(source: Any, directory: bool = False) -> bool:
    if isinstance(source, Path) and not directory:
        return True
    if not isinstance(source, (str, Path)) or "\n" in str(source):
        return False
    try:
        return Path(source).is_dir() if directory else Path(source).is_file()
    except OSError:  # e.g. a one-line YAML string too long to be a file name
        return False


def _source_text(source: Any) -> str:
    if _is_path(source):
        from argonb.spec.source import Source

        return Source.from_file(source).text  # InvalidWorkflow (ARG000) if unreadable, as the run would say
    if isinstance(source, str):
        return source
    if isinstance(source, dict):
        import json

        return json.dumps(source)
    return str(getattr(source, "text", "") or "")


def _source_path(source: Any) -> str:
    if _is_path(source):
        return str(Path(source).resolve())
    return str(getattr(source, "name", "") or "")


def _template_refs(templates: Any) -> list[str]:
    """Paths of `templates` (files or directories) so a retry can load them again; text is kept as is."""
    if templates is None:
        return []
    items = [templates] if isinstance(templates, (str, Path)) else list(templates)
    return [str(Path(t).resolve()) if _is_path(t) or _is_path(t, directory=True) else str(t)
            for t in items if isinstance(t, (str, Path))]


def _backend_name(backend: Any) -> str:
    return backend if isinstance(backend, str) else str(getattr(backend, "name", type(backend).__name__))


# ---- retry ------------------------------------------------------------------------------------------------
def plan_retry(nodes: dict[str, dict[str, Any]], workflow_name: str, node: str | None = None,
               restart_successful: bool = False) -> set[str]:
    """The IDs of nodes a retry must run again (Argo's `FormulateRetryWorkflow`, for argonb's reuse).

    Reset: every failed/errored leaf node and everything after it (its `children`, transitively: the
    dependent tasks and later step groups), the exit handler (`<wf>.onExit...`), and with `node` plus
    `restart_successful`, every node matching the selector and its descendants. Composite nodes need no reset:
    the engine evaluates them again. `node` is a node ID, name or display name, or an Argo field selector
    `field=value` (fields: id, name, displayName, templateName, phase), comma-separated for AND.
    """
    seeds = {i for i, n in nodes.items() if n.get("phase") in FAILED and n.get("type") in LEAF_TYPES}
    seeds |= {i for i, n in nodes.items() if str(n.get("name", "")).startswith(f"{workflow_name}.onExit")}
    if node:
        matched = select_nodes(nodes, node)
        if not matched:
            raise RetryError(f"no node matches {node!r} in run {workflow_name}")
        succeeded = [nodes[i] for i in matched if nodes[i].get("phase") == "Succeeded"]
        if succeeded and not restart_successful:
            raise RetryError(f"node {succeeded[0].get('displayName')!r} succeeded; add --restart-successful "
                             "(restart_successful=True) to run it again")
        seeds |= matched
    return _descendants(nodes, seeds)


def select_nodes(nodes: dict[str, dict[str, Any]], selector: str) -> set[str]:
    if "=" in selector:
        terms = []
        for term in selector.split(","):
            key, _, value = term.partition("=")
            key = key.strip().rstrip("!")
            if key not in SELECTOR_FIELDS:
                raise RetryError(f"unknown node field {key!r} in selector {selector!r}; use one of "
                                 f"{', '.join(SELECTOR_FIELDS)}")
            terms.append((key, value.strip(), term.strip().partition("=")[0].endswith("!")))
        return {i for i, n in nodes.items()
                if all((str(n.get(k, "")) == v) != negate for k, v, negate in terms)}
    return {i for i, n in nodes.items() if selector in (i, n.get("name"), n.get("displayName"))}


def _descendants(nodes: dict[str, dict[str, Any]], seeds: set[str]) -> set[str]:
    out: set[str] = set()
    todo = list(seeds)
    while todo:
        current = todo.pop()
        if current in out or current not in nodes:
            continue
        out.add(current)
        todo.extend(nodes[current].get("children") or [])
    return out


def retry(ref: str, node: str | None = None, restart_successful: bool = False,
          parameters: dict[str, Any] | None = None, *, store: Store | None = None, home: str | Path | None = None,
          wait: bool = False, subscribers: Iterable[Callable[[Event], None]] = (), registry: Any = None) -> Run:
    """Argo's `argo retry`: run the workflow again under the same name, keeping (with their outputs and
    artifacts) the succeeded nodes `plan_retry` does not reset. The earlier attempt's nodes are archived
    (`Store.attempts`, `Store.attempt_nodes`) and its reset pods' directories move to
    `runs/<name>/attempts/<n>/`. `parameters` override workflow arguments (nodes using them then re-run)."""
    st = store or open_store(home)
    rec = st.get_run(ref)
    _check_retryable(rec, node, restart_successful)
    rows = {r["id"]: r for r in st.node_rows(rec.name)}
    reset = plan_retry(rec.nodes, rec.name, node, restart_successful)
    keep = {i: {**r["status"], **_reuse_extra(r["extra"])} for i, r in rows.items() if i not in reset}
    merged = {**rec.parameters, **(parameters or {})}
    source = _stored_source(rec)
    st.archive_attempt(rec, merged, set(keep))
    try:
        return run_recorded(source, merged, store=st, backend=rec.backend or "local",
                            templates=rec.templates or None, name=rec.name, wait=wait, subscribers=subscribers,
                            reuse=keep, reuse_from=rec.name, resumed_from=rec.resumed_from,
                            resubmitted_from=rec.resubmitted_from, replace=False, registry=registry)
    except Exception as exc:  # the attempt never started: say why instead of leaving it Pending
        st.set_outcome(rec.name, "Error", f"retry could not start: {exc}")
        raise


def _check_retryable(rec: RunRecord, node: str | None, restart_successful: bool) -> None:
    if rec.active:
        raise RunActive(f"run {rec.name} is still running (pid {rec.pid}); stop it before retrying")
    if rec.phase == "Succeeded" and not (node and restart_successful):
        raise RetryError(f"run {rec.name} succeeded; to run parts of it again give a node and "
                         "--restart-successful")
    if rec.phase not in ("Succeeded", "Failed", "Error"):
        raise RetryError(f"cannot retry run {rec.name} in phase {rec.phase}")


def _reuse_extra(extra: dict[str, Any]) -> dict[str, Any]:
    return {"templateHash": extra["templateHash"]} if extra.get("templateHash") else {}


def _stored_source(rec: RunRecord) -> Any:
    if rec.source:
        return rec.source
    raise RetryError(f"run {rec.name} has no stored source YAML (it was started from a Python object); "
                     "run the workflow again instead")


# ---- resubmit and edit-and-resume ---------------------------------------------------------------------------
def resubmit(ref: str, memoized: bool = False, parameters: dict[str, Any] | None = None, *,
             store: Store | None = None, home: str | Path | None = None, wait: bool = False,
             subscribers: Iterable[Callable[[Event], None]] = ()) -> Run:
    """Argo's `argo resubmit`: a new run (a new name) from the same source and parameters; `memoized` keeps
    the earlier run's succeeded nodes whose templates and inputs are unchanged."""
    st = store or open_store(home)
    rec = st.get_run(ref)
    if rec.active:
        raise RunActive(f"run {rec.name} is still running (pid {rec.pid})")
    reuse = _succeeded_reuse(st, rec) if memoized else None
    return run_recorded(_stored_source(rec), {**rec.parameters, **(parameters or {})}, store=st,
                        backend=rec.backend or "local", templates=rec.templates or None,
                        name=_fresh_name(st, rec), wait=wait, subscribers=subscribers, reuse=reuse,
                        reuse_from=rec.name if memoized else "", resubmitted_from=rec.name, replace=False,
                        reuse_keeps_times=False)


def resume_edited(source: Any, reuse_ref: str, parameters: dict[str, Any] | None = None, *,
                  store: Store | None = None, home: str | Path | None = None, wait: bool = False,
                  subscribers: Iterable[Callable[[Event], None]] = (), **options: Any) -> Run:
    """Edit-and-resume: run `source` (changed YAML) as a new run that keeps every succeeded node of the
    referenced run whose processed template (inputs included) is unchanged; changed nodes and everything
    that consumes their outputs run again. A fixed `metadata.name` equal to an existing run gets a suffix."""
    st = store or open_store(home)
    rec = st.get_run(reuse_ref)
    if rec.active:
        raise RunActive(f"run {rec.name} is still running (pid {rec.pid}); wait for it or stop it first")
    name = options.pop("name", None) or planned_name(source)
    if name and _exists(st, name):
        name = _fresh_name(st, rec, base=name)
    return run_recorded(source, parameters, store=st, name=name, wait=wait, subscribers=subscribers,
                        reuse=_succeeded_reuse(st, rec), reuse_from=rec.name, resumed_from=rec.name,
                        **options)


def _succeeded_reuse(st: Store, rec: RunRecord) -> dict[str, dict[str, Any]]:
    onexit = f"{rec.name}.onExit"
    return {r["id"]: {**r["status"], **_reuse_extra(r["extra"])} for r in st.node_rows(rec.name)
            if not str(r["status"].get("name", "")).startswith(onexit)}


def _exists(st: Store, name: str) -> bool:
    try:
        return st.get_run(name).name == name
    except LookupError:
        return False


def _fresh_name(st: Store, rec: RunRecord, base: str | None = None) -> str:
    """A new name: generateName + random suffix like Argo's resubmit, else `<base>-<suffix>`."""
    from argonb.engine.workflow import generated_name

    meta = rec.workflow.get("metadata") or {}
    prefix = meta.get("generateName") if base is None else None
    prefix = str(prefix or f"{base or rec.name}-")
    while True:
        name = generated_name(prefix)
        if not _exists(st, name):
            return name
