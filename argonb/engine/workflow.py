"""Turn parsed documents into a runnable workflow: pick the Workflow, register WorkflowTemplates, merge
`workflowTemplateRef` and CLI parameters, name the run, and resolve templates by reference.

ARGO-SEMANTICS §5.11 (templateRef, workflowTemplateRef, inline, templateDefaults) and §0 (arguments feed the
entrypoint). Pure data manipulation: no I/O, no threads.
"""

from __future__ import annotations

import copy
import random
import string
from dataclasses import dataclass, field
from typing import Any

from argonb.errors import ArgonbError
from argonb.spec.template_view import TEMPLATE_TYPES, template_kind

RUNNABLE = ("Workflow", "CronWorkflow")


class ResolveError(ArgonbError):
    """A template reference that cannot be resolved (the node ends in Error)."""


@dataclass
class Registry:
    """WorkflowTemplates, ClusterWorkflowTemplates and ConfigMaps known to this run (the 'cluster')."""

    workflow_templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    cluster_templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_document(self, data: dict[str, Any]) -> str | None:
        """Register a template or ConfigMap document; returns its kind if registered."""
        kind = data.get("kind")
        meta = data.get("metadata")
        name = meta.get("name", "") if isinstance(meta, dict) else ""
        if not isinstance(name, (str, int)):  # junk metadata (the linter reports it): not registered
            name = ""
        if kind == "WorkflowTemplate" and name:
            self.workflow_templates[name] = data
        elif kind == "ClusterWorkflowTemplate" and name:
            self.cluster_templates[name] = data
        elif kind == "ConfigMap" and name:
            items = data.get("data")
            self.config_maps[name] = {str(k): str(v) for k, v in items.items()} if isinstance(items, dict) else {}
        else:
            return None
        return str(kind)

    def merged(self, other: Registry | None) -> Registry:
        if other is None:
            return self
        return Registry({**other.workflow_templates, **self.workflow_templates},
                        {**other.cluster_templates, **self.cluster_templates},
                        {**other.config_maps, **self.config_maps})

    def template_doc(self, name: str, cluster: bool) -> dict[str, Any]:
        table = self.cluster_templates if cluster else self.workflow_templates
        if name not in table:
            kind = "clusterworkflowtemplates" if cluster else "workflowtemplates"
            raise ResolveError(f'{kind}.argoproj.io "{name}" not found')
        return table[name]


@dataclass(frozen=True)
class TemplateContext:
    """Where plain `template:` names resolve: the workflow's own templates or a WorkflowTemplate's."""

    templates: dict[str, dict[str, Any]]
    registry: Registry
    scope_name: str = ""  # "" for the workflow itself, else "<kind>/<name>"

    def resolve(self, holder: dict[str, Any]) -> tuple[dict[str, Any], TemplateContext]:
        if holder.get("inline") is not None:
            return holder["inline"], self
        ref = holder.get("templateRef")
        if ref:
            cluster = bool(ref.get("clusterScope"))
            doc = self.registry.template_doc(str(ref.get("name", "")), cluster)
            ctx = context_for_document(doc, self.registry)
            name = str(ref.get("template", ""))
            if name not in ctx.templates:
                raise ResolveError(f"template {name} not found in workflow template {ref.get('name')}")
            return ctx.templates[name], ctx
        name = holder.get("template")
        if not name:
            raise ResolveError("template reference is empty")
        if name not in self.templates:
            raise ResolveError(f"template {name} not found")
        return self.templates[name], self


def context_for_document(doc: dict[str, Any], registry: Registry) -> TemplateContext:
    spec = doc.get("spec") or {}
    templates = {t.get("name"): t for t in spec.get("templates") or [] if isinstance(t, dict)}
    kind = doc.get("kind", "")
    scope = "" if kind == "Workflow" else f"{kind}/{(doc.get('metadata') or {}).get('name', '')}"
    return TemplateContext(templates, registry, scope)


def merge_defaults(tmpl: dict[str, Any], defaults: dict[str, Any] | None) -> dict[str, Any]:
    """Strategic-merge `spec.templateDefaults` under a template (§5.11): the template's own values win;
    type blocks (`container`, `script`, ...) in the defaults apply only to templates of that type."""
    if not defaults:
        return tmpl
    own_type = template_kind(tmpl)
    base = {k: v for k, v in defaults.items() if k not in TEMPLATE_TYPES or k == own_type}
    return _deep_merge(base, tmpl)


def _deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _deep_merge(base[key], value) if key in base else value
        return out
    return over


def random_suffix(rng: random.Random | None = None, n: int = 5) -> str:
    rng = rng or random.SystemRandom()
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(n))


# Kubernetes' SimpleNameGenerator (apiserver/pkg/storage/names/generate.go): a generateName longer than
# 63 - 5 characters is cut, so that the generated name fits the 63-character limit on workflow names.
MAX_GENERATE_NAME = 58


def generated_name(generate_name: str, rng: random.Random | None = None) -> str:
    """The name Kubernetes gives an object created with `metadata.generateName`."""
    return f"{generate_name[:MAX_GENERATE_NAME]}{random_suffix(rng)}"


def workflow_from_document(data: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """A runnable Workflow object from a Workflow, CronWorkflow or (Cluster)WorkflowTemplate document."""
    kind = data.get("kind")
    wf = copy.deepcopy(data)
    if kind == "CronWorkflow":
        spec = wf.get("spec") or {}
        meta = {**(spec.get("workflowMetadata") or {})}
        meta.setdefault("generateName", f"{(wf.get('metadata') or {}).get('name', 'cron')}-")
        wf = {"apiVersion": wf.get("apiVersion"), "kind": "Workflow", "metadata": meta,
              "spec": spec.get("workflowSpec") or {}}
    elif kind in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
        name = (wf.get("metadata") or {}).get("name", "workflow")
        wf = {"apiVersion": wf.get("apiVersion"), "kind": "Workflow", "metadata": {"generateName": f"{name}-"},
              "spec": {"workflowTemplateRef": {"name": name, "clusterScope": kind == "ClusterWorkflowTemplate"}}}
    for key in ("metadata", "spec"):  # `metadata: null` / `spec: null` mean absent, as in Kubernetes
        if not isinstance(wf.get(key), dict):
            wf[key] = {}
    ref = wf["spec"].get("workflowTemplateRef")
    if ref:
        wf["spec"] = _merge_workflow_template_ref(wf["spec"], ref, registry)
    return wf


def _merge_workflow_template_ref(spec: dict[str, Any], ref: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """`spec.workflowTemplateRef`: the template's spec, with the Workflow's fields (entrypoint, arguments merged
    by name, anything else) on top (§5.11)."""
    doc = registry.template_doc(str(ref.get("name", "")), bool(ref.get("clusterScope")))
    base = copy.deepcopy(doc.get("spec") or {})
    own = {k: v for k, v in spec.items() if k != "workflowTemplateRef"}
    args_base = base.get("arguments") or {}
    args_own = own.pop("arguments", None) or {}
    merged = _deep_merge(base, own)
    merged["arguments"] = {
        "parameters": merge_named(args_base.get("parameters"), args_own.get("parameters")),
        "artifacts": merge_named(args_base.get("artifacts"), args_own.get("artifacts")),
    }
    merged["arguments"] = {k: v for k, v in merged["arguments"].items() if v}
    return merged


def merge_named(base: list[Any] | None, over: list[Any] | None) -> list[Any]:
    """Merge two lists of `{name: ...}` objects by name, `over` winning, keeping first-seen order."""
    out: dict[str, Any] = {}
    for item in (base or []) + (over or []):
        if isinstance(item, dict):
            out[str(item.get("name"))] = {**out.get(str(item.get("name")), {}), **item}
    return list(out.values())


def apply_parameters(wf: dict[str, Any], parameters: dict[str, Any] | None) -> None:
    """CLI/API `-p NAME=VALUE` overrides `spec.arguments.parameters` by name (added when not declared)."""
    if not parameters:
        return
    args = wf["spec"].setdefault("arguments", {})
    params = args.setdefault("parameters", [])
    by_name = {p.get("name"): p for p in params if isinstance(p, dict)}
    for name, value in parameters.items():
        text = value if isinstance(value, str) else _json_text(value)
        if name in by_name:
            by_name[name]["value"] = text
            by_name[name].pop("valueFrom", None)
        else:
            params.append({"name": name, "value": text})


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))
