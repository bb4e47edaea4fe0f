"""What argonb sends to an Argo Server, and what `argonb export` writes: the same objects.

Owns: `prepare(source, ...) -> Submission` (load, then `submission_for(loaded, ...)`): the Workflow to create (the selected document as written, with
`-p` parameters, `--name` and `--parallelism` applied; a CronWorkflow becomes the Workflow it would start; a
runnable WorkflowTemplate becomes a Workflow with `workflowTemplateRef`), the WorkflowTemplates and
ClusterWorkflowTemplates to create first (every one in the same source, plus those referenced, transitively,
from `templates=` / the registry), and where each object came from (so a server error naming a field can be
pointed at its YAML line). `clean` drops what Argo owns (status, uid, resourceVersion, ...).
Imports: argonb.engine.loaded (the one loader), argonb.engine.workflow, argonb.spec.source.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from argonb.engine.loaded import LoadedWorkflow, load_workflow
from argonb.engine.workflow import Registry, apply_parameters
from argonb.spec.source import Document, PathKey

TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                   "deletionTimestamp", "deletionGracePeriodSeconds")


@dataclass
class Origin:
    """Where a submitted object came from: its Document and how its paths map onto the document's."""

    document: Document | None
    prefix: dict[str, PathKey] = field(default_factory=dict)  # first path key -> path in the document

    def path(self, path: PathKey) -> PathKey:
        if path and isinstance(path[0], str) and path[0] in self.prefix:
            return (*self.prefix[path[0]], *path[1:])
        return tuple(path)


@dataclass
class TemplateObject:
    kind: str  # WorkflowTemplate | ClusterWorkflowTemplate
    name: str
    data: dict[str, Any]
    origin: Origin

    @property
    def cluster(self) -> bool:
        return self.kind == "ClusterWorkflowTemplate"


@dataclass
class Submission:
    workflow: dict[str, Any]
    origin: Origin
    templates: list[TemplateObject] = field(default_factory=list)
    config_maps: list[dict[str, Any]] = field(default_factory=list)
    selected: Document | None = None  # the document the workflow comes from
    documents: list[Document] = field(default_factory=list)
    registry: Registry = field(default_factory=Registry)
    source_text: str = ""
    warnings: list[str] = field(default_factory=list)


def clean(data: dict[str, Any], *, from_run: bool | None = None) -> dict[str, Any]:
    """A copy without what Argo (or a run) owns: `status`, server metadata; a run's generated `name` is dropped
    when a `generateName` is there to make a new one."""
    out = copy.deepcopy(data)
    had_status = "status" in out
    out.pop("status", None)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in SERVER_METADATA:
            meta.pop(key, None)
        if (had_status if from_run is None else from_run) and meta.get("generateName") and meta.get("name"):
            meta.pop("name")
        labels = meta.get("labels")
        if isinstance(labels, dict):  # labels the controller adds to a run (phase, completed, ...)
            for key in [k for k in labels if str(k).startswith("workflows.argoproj.io/")]:
                labels.pop(key)
            if not labels:
                meta.pop("labels")
    return out


def _workflow_spec_key(data: dict[str, Any]) -> tuple[str, ...]:
    return ("spec", "workflowSpec") if data.get("kind") == "CronWorkflow" else ("spec",)


def apply_options(obj: dict[str, Any], parameters: dict[str, Any] | None, name: str | None,
                  parallelism: int | None) -> None:
    """`-p`, `--name`, `--parallelism` applied to a Workflow (or the workflowSpec of a CronWorkflow)."""
    spec_path = _workflow_spec_key(obj)
    holder: dict[str, Any] = obj
    for key in spec_path:
        holder = holder.setdefault(key, {})
    if parameters:
        apply_parameters({"spec": holder}, parameters)
    if parallelism is not None:
        holder["parallelism"] = int(parallelism)
    if name:
        meta = obj.setdefault("metadata", {})
        meta["name"] = name
        if obj.get("kind") != "CronWorkflow":
            meta.pop("generateName", None)


def _as_workflow(doc: Document) -> tuple[dict[str, Any], Origin]:
    """The Workflow object the selected document stands for, and how its paths map back."""
    data = clean(doc.data)
    kind = data.get("kind")
    meta = data.get("metadata") or {}
    if kind == "CronWorkflow":
        spec = data.get("spec") or {}
        wmeta = copy.deepcopy(spec.get("workflowMetadata") or {})
        wmeta.setdefault("generateName", f"{meta.get('name', 'cron')}-")
        wf = {"apiVersion": data.get("apiVersion", "argoproj.io/v1alpha1"), "kind": "Workflow",
              "metadata": wmeta, "spec": copy.deepcopy(spec.get("workflowSpec") or {})}
        return wf, Origin(doc, {"spec": ("spec", "workflowSpec"), "metadata": ("spec", "workflowMetadata")})
    if kind in TEMPLATE_KINDS:
        ref: dict[str, Any] = {"name": meta.get("name", "")}
        if kind == "ClusterWorkflowTemplate":
            ref["clusterScope"] = True
        wf = {"apiVersion": data.get("apiVersion", "argoproj.io/v1alpha1"), "kind": "Workflow",
              "metadata": {"generateName": f"{meta.get('name', 'workflow')}-"}, "spec": {"workflowTemplateRef": ref}}
        return wf, Origin(doc, {"metadata": ("metadata",)})
    return data, Origin(doc)


def references(obj: Any) -> list[tuple[str, bool]]:
    """(name, clusterScope) of every `templateRef` / `workflowTemplateRef` inside `obj`, in order."""
    found: list[tuple[str, bool]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("templateRef", "workflowTemplateRef") and isinstance(value, dict) and value.get("name"):
                    item = (str(value["name"]), bool(value.get("clusterScope")))
                    if item not in found:
                        found.append(item)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(obj)
    return found


def config_map_references(obj: Any) -> list[str]:
    """Names of ConfigMaps a workflow reads (`configMapKeyRef`, memoize caches, semaphores)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "configMapKeyRef" and isinstance(value, dict) and value.get("name"):
                    if value["name"] not in found:
                        found.append(str(value["name"]))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(obj)
    return found


def prepare(source: Any, parameters: dict[str, Any] | None = None, *, templates: Any = None,
            registry: Registry | None = None, name: str | None = None, parallelism: int | None = None,
            validate_input: bool = True) -> Submission:
    """Everything to send for `source` (YAML text, a path, a Source, a dict or a LoadedWorkflow).
    Raises InvalidWorkflow."""
    loaded = load_workflow(source, templates=templates, registry=registry, validate_input=validate_input)
    return submission_for(loaded, parameters, name=name, parallelism=parallelism)


def submission_for(loaded: LoadedWorkflow, parameters: dict[str, Any] | None = None, *, name: str | None = None,
                   parallelism: int | None = None) -> Submission:
    """Everything to send for an input loaded once at the edge."""
    chosen = loaded.require_selected()
    workflow, origin = _as_workflow(chosen)
    apply_options(workflow, parameters, name, parallelism)
    templates, missing = templates_to_create(workflow, loaded)
    sub = Submission(workflow=workflow, origin=origin, templates=templates, selected=chosen,
                     documents=list(loaded.documents), registry=loaded.registry,
                     source_text=chosen.source.text if loaded.from_text else "")
    for item in missing:
        sub.warnings.append(f"{item} is referenced but not defined here: it must already exist on the server")
    sub.config_maps = config_maps_to_apply(workflow, templates, loaded)
    for cm in sub.config_maps:
        sub.warnings.append(f"ConfigMap {(cm.get('metadata') or {}).get('name')} is not created by argonb: the "
                            "Argo Server has no ConfigMap API (apply it with kubectl, see `argonb export`)")
    return sub


def templates_to_create(workflow: dict[str, Any], loaded: LoadedWorkflow) -> tuple[list[TemplateObject], list[str]]:
    """The source's own templates, then whatever the workflow and those templates reference (transitively,
    from the registry); and the references found nowhere ("WorkflowTemplate NAME")."""
    docs, reg = list(loaded.documents), loaded.registry
    by_key: dict[tuple[str, bool], TemplateObject] = {}
    located = {(d.kind, d.name): d for d in [*loaded.extra, *docs] if d.kind in TEMPLATE_KINDS}
    for doc in docs:
        if doc.kind in TEMPLATE_KINDS and doc.name:
            by_key[(doc.name, doc.kind == "ClusterWorkflowTemplate")] = TemplateObject(
                doc.kind, doc.name, clean(doc.data), Origin(doc))
    queue = references(workflow) + [r for t in list(by_key.values()) for r in references(t.data)]
    missing: list[str] = []
    while queue:
        ref_name, cluster = queue.pop(0)
        if (ref_name, cluster) in by_key:
            continue
        kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
        data = (reg.cluster_templates if cluster else reg.workflow_templates).get(ref_name)
        if data is None:
            missing.append(f"{kind} {ref_name}")
            continue
        obj = TemplateObject(kind, ref_name, clean(data), Origin(located.get((kind, ref_name))))
        by_key[(ref_name, cluster)] = obj
        queue.extend(references(obj.data))
    return list(by_key.values()), missing


def config_maps_to_apply(workflow: dict[str, Any], templates: list[TemplateObject],
                         loaded: LoadedWorkflow) -> list[dict[str, Any]]:
    """The source's ConfigMaps, then those the workflow reads that only the registry holds."""
    out = [clean(doc.data) for doc in loaded.documents if doc.kind == "ConfigMap" and isinstance(doc.data, dict)]
    known = {str((c.get("metadata") or {}).get("name")) for c in out}
    for cm in config_map_references([workflow, *(t.data for t in templates)]):
        if cm not in known and cm in loaded.registry.config_maps:
            out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": cm},
                        "data": dict(loaded.registry.config_maps[cm])})
    return out

