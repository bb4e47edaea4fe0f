"""`argonb export`: the YAML to hand to a real Argo Workflows installation, as is.

Owns: `export_yaml(source, ...) -> Export`: the documents `submit` would send (ConfigMaps from the source,
then the WorkflowTemplates / ClusterWorkflowTemplates, then the Workflow, or the CronWorkflow itself unless
`as_workflow`), cleaned of what Argo owns (status, uid, resourceVersion, ...), with `-p` parameters, `--name`
and `--parallelism` baked in, dumped as multi-document YAML (multi-line strings as `|` blocks), optionally
headed by comments with the parity report, and re-linted: the result must be clean for argonb's strict
linter, or `Export.diagnostics` says why not.
Imports: yaml, argonb.backends.argo_manifest, argonb.parity, argonb.spec.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import yaml

from argonb.backends.argo_manifest import apply_options, clean, prepare
from argonb.errors import Diagnostic


@dataclass
class Export:
    text: str
    documents: list[dict[str, Any]]
    notes: list[Any] = field(default_factory=list)  # argonb.parity.ParityNote
    diagnostics: list[Diagnostic] = field(default_factory=list)  # lint of the exported text
    warnings: list[str] = field(default_factory=list)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump(documents: list[dict[str, Any]]) -> str:
    """Multi-document YAML in key order; multi-line strings (scripts, manifests) as literal blocks."""
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=120, explicit_start=True)


def export_yaml(source: Any, parameters: dict[str, Any] | None = None, *, templates: Any = None,
                registry: Any = None, name: str | None = None, parallelism: int | None = None,
                as_workflow: bool = False, comments: bool = True, source_name: str = "",
                validate_input: bool = True) -> Export:
    """The exported YAML for `source` (see the module docstring). Raises InvalidWorkflow for bad input."""
    from argonb.parity import parity_report

    sub = prepare(source, parameters, templates=templates, registry=registry, name=name, parallelism=parallelism,
                  validate_input=validate_input)
    selected = sub.selected
    if selected is not None and selected.kind == "CronWorkflow" and not as_workflow:
        main = clean(selected.data)
        apply_options(main, parameters, name, parallelism)
    else:
        main = copy.deepcopy(sub.workflow)
    docs = [*sub.config_maps, *(t.data for t in sub.templates), main]
    seen: list[dict[str, Any]] = []
    for doc in docs:  # a runnable WorkflowTemplate is both a template and the selected document
        if doc not in seen:
            seen.append(doc)
    body = dump(seen)
    notes = parity_report(source, templates=templates, registry=registry)
    header = _header(source_name, seen, notes) if comments else ""
    text = header + body
    return Export(text, seen, notes, lint_export(text, source_name), warnings=[
        w for w in sub.warnings if not w.startswith("ConfigMap ")])


def lint_export(text: str, source_name: str = "") -> list[Diagnostic]:
    from argonb.spec.lint import lint_sources
    from argonb.spec.source import Source

    return lint_sources([Source(text, f"<export of {source_name or 'input'}>")])


def _header(source_name: str, docs: list[dict[str, Any]], notes: list[Any]) -> str:
    from argonb.parity import format_report, summary

    kinds = [str(d.get("kind")) for d in docs]
    lines = [f"Exported by `argonb export{' ' + source_name if source_name else ''}` for Argo Workflows; "
             "Argo accepts this file as is:"]
    if "WorkflowTemplate" in kinds:
        lines.append("  argo template create FILE            # the WorkflowTemplates")
    if "ClusterWorkflowTemplate" in kinds:
        lines.append("  argo cluster-template create FILE    # the ClusterWorkflowTemplates")
    if "Workflow" in kinds:
        lines.append("  argo submit FILE                     # the Workflow")
    if "CronWorkflow" in kinds:
        lines.append("  argo cron create FILE                # the CronWorkflow")
    if "ConfigMap" in kinds:
        lines.append("  kubectl apply -n NAMESPACE -f FILE   # the ConfigMaps (argo ignores them)")
    if any(k in ("WorkflowTemplate", "ClusterWorkflowTemplate") for k in kinds):
        lines.append("(`argonb submit` creates the templates and submits in one step.)")
    lines.append("")
    lines.append(f"Parity with a local run ({summary(notes)}; see docs/cluster.md):")
    if notes:
        lines += ["  " + line for line in format_report(notes).splitlines()]
    else:
        lines.append("  nothing in this workflow is emulated or ignored by the local backend")
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)
