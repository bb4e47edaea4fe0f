"""Read-only views of the templates in a set of documents, for the semantic checks.

Owns: `Tmpl` (one template mapping plus what Argo derives from it: its type, leaf/pod-ness, declared inputs and
outputs; `workflow_types.go` GetType/IsLeaf/IsPodType/HasOutput), `SpecCtx` (one Workflow/WorkflowTemplate/
ClusterWorkflowTemplate/CronWorkflow spec and its templates by name) and `Registry` (WorkflowTemplates and
ClusterWorkflowTemplates by name, shared by every document of one lint call, for `templateRef`).
Every accessor tolerates malformed data (wrong types were already reported by the structural pass).
Imports: stdlib, argonb.spec.source, argonb.spec.template_view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from argonb.spec.source import Document, PathKey
from argonb.spec.template_view import LEAF_TYPES, POD_TYPES, TEMPLATE_TYPES

TYPE_KEYS = TEMPLATE_TYPES  # the one list of template types, in Template.GetType's order (spec/template_view.py)
LOCATION_KEYS = ("s3", "git", "http", "raw", "artifactory", "gcs", "oss", "hdfs", "azure", "plugin")


def as_map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def named(items: Any) -> dict[str, dict]:
    """name -> item for a list of mappings with a string `name` (first one wins)."""
    out: dict[str, dict] = {}
    for item in as_list(items):
        name = as_map(item).get("name")
        if isinstance(name, str) and name not in out:
            out[name] = item
    return out


def is_templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


@dataclass(eq=False)
class Tmpl:
    """One template (from spec.templates or an `inline:` body)."""

    data: dict
    path: PathKey
    owner: SpecCtx

    @cached_property
    def name(self) -> str:  # cached: asked for once per step/task that calls the template
        return as_str(self.data.get("name"))

    @cached_property
    def types(self) -> list[str]:
        return [k for k in TYPE_KEYS if self.data.get(k) is not None]

    @property
    def type(self) -> str:
        return self.types[0] if self.types else ""

    @property
    def is_leaf(self) -> bool:
        return self.type in LEAF_TYPES

    @property
    def is_pod(self) -> bool:
        return self.type in POD_TYPES

    @cached_property
    def has_output(self) -> bool:
        """Template.HasOutput: may produce outputs.result / exitCode."""
        if self.type == "containerSet":
            containers = as_map(self.data.get("containerSet")).get("containers")
            return "main" in named(containers)
        return any(self.data.get(k) is not None for k in ("container", "script", "data", "http", "plugin"))

    @property
    def daemon(self) -> bool:
        return self.data.get("daemon") is True

    @cached_property
    def input_params(self) -> dict[str, dict]:
        return named(as_map(self.data.get("inputs")).get("parameters"))

    @cached_property
    def input_artifacts(self) -> dict[str, dict]:
        return named(as_map(self.data.get("inputs")).get("artifacts"))

    @cached_property
    def required_input_params(self) -> tuple[str, ...]:
        """Input parameters a caller must supply: no value, default or valueFrom (ProcessArgs)."""
        return tuple(name for name, param in self.input_params.items()
                     if all(param.get(k) is None for k in ("value", "default", "valueFrom")))

    @cached_property
    def required_input_artifacts(self) -> tuple[str, ...]:
        """Input artifacts a caller must supply: not optional and without a location of their own."""
        return tuple(name for name, art in self.input_artifacts.items()
                     if art.get("optional") is not True and all(art.get(k) is None for k in LOCATION_KEYS))

    @cached_property
    def output_params(self) -> dict[str, dict]:
        return named(as_map(self.data.get("outputs")).get("parameters"))

    @cached_property
    def output_artifacts(self) -> dict[str, dict]:
        return named(as_map(self.data.get("outputs")).get("artifacts"))

    @property
    def doc(self) -> Document:
        return self.owner.doc


@dataclass(eq=False)
class SpecCtx:
    """One runnable spec: a Workflow's/template's `spec`, or a CronWorkflow's `spec.workflowSpec`."""

    doc: Document
    data: dict
    path: PathKey
    kind: str

    @property
    def is_template_kind(self) -> bool:
        """WorkflowTemplate/ClusterWorkflowTemplate: validated with WorkflowTemplateValidation semantics."""
        return self.kind in ("WorkflowTemplate", "ClusterWorkflowTemplate")

    @cached_property
    def template_list(self) -> list[Tmpl]:
        base = (*self.path, "templates")
        return [Tmpl(t, (*base, i), self) for i, t in enumerate(as_list(self.data.get("templates")))
                if isinstance(t, dict)]

    @cached_property
    def templates(self) -> dict[str, Tmpl]:
        out: dict[str, Tmpl] = {}
        for tmpl in self.template_list:
            if tmpl.name and tmpl.name not in out:
                out[tmpl.name] = tmpl
        return out

    @property
    def name(self) -> str:
        return self.doc.name


def spec_of(doc: Document) -> SpecCtx | None:
    """The runnable spec of a document of one of the four Argo kinds, if it is a mapping."""
    data = as_map(doc.data)
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return None
    if doc.kind == "CronWorkflow":
        inner = spec.get("workflowSpec")
        return SpecCtx(doc, inner, ("spec", "workflowSpec"), doc.kind) if isinstance(inner, dict) else None
    return SpecCtx(doc, spec, ("spec",), doc.kind)


@dataclass
class Registry:
    """WorkflowTemplates and ClusterWorkflowTemplates given to one lint call, by metadata.name."""

    namespaced: dict[str, SpecCtx] = field(default_factory=dict)
    cluster: dict[str, SpecCtx] = field(default_factory=dict)

    def add(self, spec: SpecCtx) -> bool:
        """Register `spec`; False if that name was already registered."""
        table = self.cluster if spec.kind == "ClusterWorkflowTemplate" else self.namespaced
        name = as_str(as_map(as_map(spec.doc.data).get("metadata")).get("name"))
        if not name:
            return True
        if name in table:
            return False
        table[name] = spec
        return True

    def lookup(self, name: str, cluster: bool) -> SpecCtx | None:
        return (self.cluster if cluster else self.namespaced).get(name)
