"""Starting, re-running and retrying runs from the notebook: the one place that calls `argonb.run`.

Owns: `LaunchSpec` (everything needed to start a run again), `start_run`, `rerun` and `retry_run`.
`retry_run` applies Argo's retry semantics through the run store (keep Succeeded nodes, reset failed ones
and what depends on them). Imports: argonb.engine.api, argonb.engine.run, argonb.spec.source.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from argonb.engine.events import Event
from argonb.engine.run import Run
from argonb.spec.source import Source

Subscriber = Callable[[Event], None]


@dataclass(frozen=True)
class LaunchSpec:
    """How a run was started: the cell (with its line offset), parameters and engine options."""

    source: Source
    parameters: dict[str, str] = field(default_factory=dict)
    backend: str = "local"
    templates: tuple[Any, ...] = ()
    registry: Any = None
    home: str | None = None
    parallelism: int | None = None
    reuse: str | None = None  # edit-and-resume: keep unchanged succeeded nodes of this recorded run


_LAUNCHES: weakref.WeakKeyDictionary[Run, LaunchSpec] = weakref.WeakKeyDictionary()


def start_run(spec: LaunchSpec, subscribers: Iterable[Subscriber] = ()) -> Run:
    """Start a run; `subscribers` see every event from the first. Raises InvalidWorkflow/BackendUnavailable."""
    from argonb.store import resume_edited, run_recorded

    if spec.reuse:
        handle = resume_edited(spec.source, spec.reuse, dict(spec.parameters), backend=spec.backend,
                               templates=list(spec.templates) or None, registry=spec.registry, home=spec.home,
                               parallelism=spec.parallelism, subscribers=list(subscribers))
        _LAUNCHES[handle] = spec
        return handle
    # recorded in the run store, so `%workflow list` / `argonb retry` find it after a kernel restart
    handle = run_recorded(spec.source, dict(spec.parameters), backend=spec.backend,
                          templates=list(spec.templates) or None, registry=spec.registry, home=spec.home,
                          parallelism=spec.parallelism, subscribers=list(subscribers))
    _LAUNCHES[handle] = spec
    return handle


def launch_spec(run: Run) -> LaunchSpec:
    """The spec `run` was started with; for runs started elsewhere, rebuilt from its source and parameters."""
    spec = _LAUNCHES.get(run)
    if spec is not None:
        return spec
    if not run.source_text:
        raise ValueError(f"run {run.name} has no source text to start again")
    return LaunchSpec(Source(run.source_text, "<rerun>"), {k: str(v) for k, v in run.parameters.items()})


def rerun(run: Run, *, subscribers: Iterable[Subscriber] = (), parameters: dict[str, str] | None = None) -> Run:
    """A new run of the same workflow with the same options (parameters optionally overridden)."""
    spec = launch_spec(run)
    if parameters:
        spec = replace(spec, parameters={**spec.parameters, **parameters})
    return start_run(spec, subscribers)


def retry_run(run: Run, node: str | None = None, *, subscribers: Iterable[Subscriber] = (),
              restart_successful: bool = False) -> Run:
    """Argo's retry of `run` (same workflow name): failed nodes (or `node`'s subtree) and what depends on them
    run again; succeeded nodes keep their outputs and artifacts (see docs/runs.md)."""
    from argonb.store.actions import retry

    spec = launch_spec(run)
    run.wait(10)
    handle = retry(run.name, node=node, restart_successful=restart_successful, home=spec.home,
                   subscribers=list(subscribers), registry=spec.registry)
    _LAUNCHES[handle] = spec
    return handle
