"""`argonb.run()`: load Argo YAML, validate it, and start a run on a backend.

Sources are YAML text, a path, an `argonb.spec.source.Source`, or an already-parsed dict. Extra documents
(WorkflowTemplates, ClusterWorkflowTemplates, ConfigMaps) come from the same source, from `templates`
(sources or a directory) or from a `Registry` shared across runs (the notebook keeps one per kernel).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from argonb.engine.artifacts import LocalRepository
from argonb.engine.backend import Backend, get_backend
from argonb.engine.events import Event, EventBus
from argonb.engine.lifecycle import WorkflowLifecycle
from argonb.engine.run import Run
from argonb.engine.runtime import Runtime
from argonb.engine.workflow import (
    RUNNABLE,
    Registry,
    apply_parameters,
    generated_name,
    workflow_from_document,
)
from argonb.errors import Diagnostic, InvalidWorkflow, Span
from argonb.rundir import RunDir, artifacts_dir
from argonb.spec.fastparse import parse_fast as parse
from argonb.spec.source import Document, Source

SourceLike = str | Path | Source | dict


def home_dir(home: str | Path | None = None) -> Path:
    """`ARGONB_HOME`, else `.argonb` in the working directory."""
    # absolute: pod commands run in other directories and must still find their staged files
    return Path(home or os.environ.get("ARGONB_HOME") or Path.cwd() / ".argonb").absolute()


def _names_a_file(source: str) -> bool:
    """A one-line `.yaml`/`.yml`/`.json` string is a path if the file exists, or if it cannot be a workflow
    anyway (no `:`), so that a missing file is reported as one (ARG000) rather than as YAML text."""
    if "\n" in source or not source.endswith((".yaml", ".yml", ".json")):
        return False
    try:
        return ":" not in source or Path(source).exists()
    except OSError:  # e.g. a name too long for the filesystem
        return False


def load_documents(source: SourceLike) -> list[Document]:
    if isinstance(source, dict):
        return [Document(data=source, source=Source("", "<dict>"))]
    if isinstance(source, Source):
        return parse(source)
    if isinstance(source, Path) or (isinstance(source, str) and _names_a_file(source)):
        return parse(Source.from_file(source))
    return parse(Source(str(source), "<string>"))


def _source_name(source: SourceLike) -> str:
    """How diagnostics name `source` (as `load_documents` names it)."""
    if isinstance(source, Source):
        return source.name
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and source.endswith(
            (".yaml", ".yml", ".json"))):
        return str(source)
    return "<dict>" if isinstance(source, dict) else "<string>"


def template_documents(templates: Iterable[SourceLike] | str | Path | None) -> list[Document]:
    """Documents from `--templates`: files, directories (every *.yaml inside) or text."""
    if templates is None:
        return []
    items = [templates] if isinstance(templates, (str, Path)) else list(templates)
    docs: list[Document] = []
    for item in items:
        if isinstance(item, (str, Path)) and Path(item).is_dir():
            for path in sorted(Path(item).rglob("*.y*ml")):
                docs.extend(load_documents(path))
        else:
            docs.extend(load_documents(item))
    return docs


def select_workflow(docs: list[Document], registry: Registry, source_name: str = "<input>") -> Document:
    """The document to run: the first Workflow (or CronWorkflow); else a lone runnable WorkflowTemplate."""
    for kinds in (("Workflow", "CronWorkflow"), ("WorkflowTemplate", "ClusterWorkflowTemplate")):
        for doc in docs:
            spec = doc.data.get("spec") if doc.kind in kinds else None
            if doc.kind in kinds and (doc.kind in RUNNABLE or (isinstance(spec, dict) and spec.get("entrypoint"))):
                return doc
    # located at the first document (line 1 of an empty source), so the message points somewhere
    span = docs[0].span(()) if docs else Span(source_name, 1, 1)
    raise InvalidWorkflow([Diagnostic("ARG010", "no runnable document: expected a Workflow, a CronWorkflow or a "
                                      "WorkflowTemplate with an entrypoint", span,
                                      hint="add `kind: Workflow` and `spec.entrypoint`")])


def validate(docs: list[Document], extra: list[Document]) -> None:
    """Raise InvalidWorkflow with every error the linter finds (warnings are ignored)."""
    try:
        from argonb.spec.lint import lint_documents
    except ImportError:  # pragma: no cover - the linter ships with the package
        return
    from argonb.errors import errors_only

    problems = errors_only(lint_documents(docs + extra))
    problems = [d for d in problems if not d.span or d.span.file in {doc.source.name for doc in docs}] or problems
    if problems:
        raise InvalidWorkflow(problems)


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


def run(source: SourceLike, parameters: dict[str, Any] | None = None, *, backend: str | Backend = "local",
        templates: Iterable[SourceLike] | str | Path | None = None, registry: Registry | None = None,
        home: str | Path | None = None, parallelism: int | None = None, max_workers: int = 64,
        name: str | None = None, wait: bool = False, validate_input: bool = True,
        reuse: dict[str, dict[str, Any]] | None = None, reuse_from: str = "", reuse_keeps_times: bool = True,
        namespace: str | None = None, subscribers: Iterable[Callable[[Event], None]] = ()) -> Run:
    """Start running a workflow; returns at once (or when it ends, with `wait=True`).

    `reuse` maps node names to earlier node statuses (plus `templateHash`, and `childNames` for Retry nodes):
    Succeeded leaf nodes whose template hash matches are kept instead of re-run (Argo's retry semantics and
    edit-and-resume; see docs/runs.md). A kept node keeps its times (Argo's retry copies it as it was);
    `reuse_keeps_times=False` stamps it with the start instead, as Argo's `resubmit --memoized` does
    (`workflow/util/util.go FormulateResubmitWorkflow`: StartedAt = FinishedAt = now).

    Raises InvalidWorkflow (with located diagnostics) for input that cannot run, and
    BackendUnavailable when the backend cannot run here.
    """
    if backend == "argo":  # a real Argo server runs the whole workflow: a run-level backend
        from argonb.backends.argo import submit

        return submit(source, parameters, templates=templates, registry=registry, home=home, name=name,  # type: ignore[return-value]
                      parallelism=parallelism, wait=wait, validate_input=validate_input, subscribers=subscribers)
    docs = load_documents(source)
    extra = template_documents(templates)
    reg = Registry()
    for doc in extra + docs:
        if isinstance(doc.data, dict):
            reg.add_document(doc.data)
    reg = reg.merged(registry)
    chosen = select_workflow(docs, reg, _source_name(source))
    if validate_input:
        validate(docs, extra)
    wf = workflow_from_document(chosen.data, reg)
    meta = wf["metadata"]
    if name:
        check_name(name)
    meta["name"] = name or meta.get("name") or generated_name(str(meta.get("generateName") or "workflow-"))
    apply_parameters(wf, parameters)
    check_argument_enums(wf, chosen)
    if namespace:  # locks (mutexes, semaphores) are shared by the runs of one namespace, as in Argo
        meta["namespace"] = namespace
    be = get_backend(backend) if isinstance(backend, str) else backend
    root = home_dir(home)
    if not root.exists():  # owner-only, as the run store makes it: logs and artifacts may hold private data
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_dir = RunDir.of(root, meta["name"]).path
    run_dir.mkdir(parents=True, exist_ok=True)
    repo = LocalRepository(artifacts_dir(root))
    import time

    bus = EventBus(meta["name"], time.time)
    for fn in subscribers:
        bus.subscribe(fn)
    rt = Runtime(wf, reg, be, bus, run_dir, repo, max_workers=max_workers, parallelism=parallelism)
    rt.reuse = relative_reuse_map(reuse or {}, reuse_from)
    rt.reuse_from = reuse_from
    rt.reuse_keeps_times = reuse_keeps_times
    lifecycle = WorkflowLifecycle(rt)
    text = chosen.source.text if isinstance(source, (str, Path, Source)) else ""
    handle = Run(rt, lifecycle, source_text=text, parameters=parameters)
    rt.start(lifecycle.begin)
    if wait:
        handle.wait()
    return handle
