"""The local engine's entry: start a `LoadedWorkflow` on a pod backend under a `RunConfig`.

`start(loaded, parameters, config)` names the workflow, applies `-p` parameters, and starts a `Runtime` with
`WorkflowLifecycle.begin`; `run(source, parameters, **options)` loads the source first (see
`argonb.engine.loaded`). Whole-workflow backends (`argo`) are reached through `argonb.run`, the facade
above this module: the engine imports no backend.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from argonb.engine.artifacts import LocalRepository
from argonb.engine.backend import get_backend
from argonb.engine.config import DEFAULT_CONFIG, RunConfig
from argonb.engine.events import EventBus
from argonb.engine.lifecycle import WorkflowLifecycle
from argonb.engine.loaded import (  # noqa: F401  re-exported: callers load single steps through here
    LoadedWorkflow,
    SourceLike,
    load_documents,
    load_workflow,
    select_workflow,
    template_documents,
    validate,
)
from argonb.engine.run import Run
from argonb.engine.runtime import Runtime
from argonb.engine.workflow import apply_parameters, generated_name, workflow_from_document
from argonb.errors import Diagnostic, InvalidWorkflow
from argonb.rundir import RunDir, artifacts_dir
from argonb.spec.source import Document


def home_dir(home: str | Path | None = None) -> Path:
    """`ARGONB_HOME`, else `.argonb` in the working directory."""
    # absolute: pod commands run in other directories and must still find their staged files
    return Path(home or os.environ.get("ARGONB_HOME") or Path.cwd() / ".argonb").absolute()


def check_name(name: str) -> None:
    """A name given with `name=`/`--name` must be one Kubernetes accepts, as lint requires of metadata.name."""
    from argonb.spec.validate import name_problems

    problems = name_problems(name)
    if problems:
        raise InvalidWorkflow([Diagnostic(code, f"--name: {message}", None, hint="choose a shorter DNS-1123 name")
                               for code, message in problems])


def check_argument_enums(wf: dict[str, Any], doc: Document) -> None:
    """Argo's submit-time check: a workflow argument with an `enum` must hold one of its values (also after
    `-p` overrides)."""
    problems = []
    for i, param in enumerate(((wf["spec"].get("arguments") or {}).get("parameters")) or []):
        enum = param.get("enum")
        if not enum or param.get("value") is None:
            continue
        allowed = [str(e) if not isinstance(e, bool) else str(e).lower() for e in enum]
        if str(param["value"]) not in allowed:
            name = param.get("name")
            span = doc.span(("spec", "arguments", "parameters", i, "value")) if doc.source.text else None
            problems.append(Diagnostic("ARG135", f"spec.arguments.{name}.value should be present in "
                                       f"spec.arguments.{name}.enum list", span,
                                       hint=f"got {param['value']!r}; allowed: {', '.join(allowed)}"))
    if problems:
        raise InvalidWorkflow(problems)


def relative_reuse_map(nodes: dict[str, dict[str, Any]], workflow_name: str) -> dict[str, dict[str, Any]]:
    """Key earlier node statuses by their name relative to their workflow (`.a`, `[0].hello`, '' for the root),
    so a run under a new name finds them; Retry nodes list their attempts' relative names."""
    by_id = {n.get("id"): n for n in nodes.values()}
    out: dict[str, dict[str, Any]] = {}
    for node in nodes.values():
        name = str(node.get("name", ""))
        if workflow_name and not name.startswith(workflow_name):
            continue
        rel = name[len(workflow_name):]
        entry = {**node, "relativeName": rel}
        if node.get("type") == "Retry":
            entry["childNames"] = [str(by_id[c]["name"])[len(workflow_name):] for c in node.get("children") or []
                                   if c in by_id]
        out[rel] = entry
    return out


def run(source: SourceLike | LoadedWorkflow, parameters: dict[str, Any] | None = None, **options: Any) -> Run:
    """Load `source` and start it on a local pod backend; the options are `RunConfig`'s fields.

    Prefer `argonb.run`, which also reaches whole-workflow backends (`backend="argo"`)."""
    config = RunConfig.from_options(options)
    loaded = load_workflow(source, templates=config.templates, registry=config.registry,
                           validate_input=config.validate_input)
    return start(loaded, parameters, config)


def start(loaded: LoadedWorkflow, parameters: dict[str, Any] | None = None, config: RunConfig = DEFAULT_CONFIG) -> Run:
    """Start running `loaded` locally; returns at once (or when it ends, with `config.wait`).

    `config.reuse` maps node names to earlier node statuses (plus `templateHash`, and `childNames` for Retry
    nodes): Succeeded leaf nodes whose template hash matches are kept instead of re-run (Argo's retry semantics
    and edit-and-resume; see docs/runs.md). A kept node keeps its times (Argo's retry copies it as it was);
    `reuse_keeps_times=False` stamps it with the start instead, as Argo's `resubmit --memoized` does
    (`workflow/util/util.go FormulateResubmitWorkflow`: StartedAt = FinishedAt = now).

    Raises InvalidWorkflow (with located diagnostics) for input that cannot run, and
    BackendUnavailable when the backend cannot run here.
    """
    chosen = loaded.require_selected()
    reg = loaded.registry
    wf = workflow_from_document(chosen.data, reg)
    meta = wf["metadata"]
    if config.name:
        check_name(config.name)
    meta["name"] = config.name or meta.get("name") or generated_name(str(meta.get("generateName") or "workflow-"))
    apply_parameters(wf, parameters)
    check_argument_enums(wf, chosen)
    if config.namespace:  # locks (mutexes, semaphores) are shared by the runs of one namespace, as in Argo
        meta["namespace"] = config.namespace
    be = get_backend(config.backend) if isinstance(config.backend, str) else config.backend
    root = home_dir(config.home)
    if not root.exists():  # owner-only, as the run store makes it: logs and artifacts may hold private data
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_dir = RunDir.of(root, meta["name"]).path
    run_dir.mkdir(parents=True, exist_ok=True)
    repo = LocalRepository(artifacts_dir(root))
    bus = EventBus(meta["name"], time.time)
    for fn in config.subscribers:
        bus.subscribe(fn)
    rt = Runtime(wf, reg, be, bus, run_dir, repo, max_workers=config.max_workers, parallelism=config.parallelism)
    rt.reuse = relative_reuse_map(config.reuse or {}, config.reuse_from)
    rt.reuse_from = config.reuse_from
    rt.reuse_keeps_times = config.reuse_keeps_times
    lifecycle = WorkflowLifecycle(rt)
    handle = Run(rt, lifecycle, source_text=chosen.source.text if loaded.from_text else "", parameters=parameters)
    rt.start(lifecycle.begin)
    if config.wait:
        handle.wait()
    return handle
