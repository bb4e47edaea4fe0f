"""`argonb.run()`: load the input once, then start it on the local engine or hand it to a whole-workflow backend.

Owns: `run` (the public entry; the CLI, the notebook and the run store call it). It sits above both the
local engine (`argonb.engine.api.start`) and the Argo client (`argonb.backends.argo.submit_loaded`, found
through the backend registry), so the engine never imports a backend.
Imports: argonb.engine (api, backend, config, loaded); the Argo client lazily, through the registry.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from argonb.engine.api import start
from argonb.engine.backend import workflow_backend
from argonb.engine.config import RunConfig
from argonb.engine.loaded import LoadedWorkflow, SourceLike, load_workflow


def run(source: SourceLike | LoadedWorkflow, parameters: dict[str, Any] | None = None, **options: Any) -> Any:
    """Start running a workflow; returns its `Run` (an `ArgoRun` for `backend="argo"`) at once, or when it ends
    with `wait=True`.

    `source`: YAML text, a path, an `argonb.spec.source.Source`, a dict, or a `LoadedWorkflow` (not parsed
    again). Options: the fields of `argonb.engine.config.RunConfig` (backend, templates, registry, home,
    parallelism, name, wait, validate_input, namespace, subscribers, max_workers, reuse, reuse_from,
    reuse_keeps_times); with `backend="argo"` also the connection settings of `argonb.backends.argo.submit`.

    Raises InvalidWorkflow (with located diagnostics) for input that cannot run, and BackendUnavailable when
    the backend cannot run here.
    """
    backend = options.get("backend", "local")
    submit = workflow_backend(backend) if isinstance(backend, str) else None
    settings: dict[str, Any] = {}
    if submit is not None:  # connection settings belong to that backend, not to the run
        known = {f.name for f in fields(RunConfig)}
        settings = {k: v for k, v in options.items() if k not in known}
        options = {k: v for k, v in options.items() if k in known}
    config = RunConfig.from_options(options)
    loaded = load_workflow(source, templates=config.templates, registry=config.registry,
                           validate_input=config.validate_input)
    if submit is not None:
        return submit(loaded, parameters, config, **settings)
    return start(loaded, parameters, config)
