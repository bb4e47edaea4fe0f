"""Scopes: the variables a steps/DAG template exposes about its children (ARGO-SEMANTICS §4.2, §4.5, §6.4).

`steps.<name>.*` / `tasks.<name>.*` are flat string keys (artifact objects are kept apart, since they are not
text). Loop aggregates follow `processAggregateNodeOutputs`; skipped/omitted nodes expose their declared
output defaults or the ABSENT marker.
"""

from __future__ import annotations

import json
import re
from typing import Any

from argonb.engine.model import Node, NodePhase
from argonb.engine.timefmt import rfc3339
from argonb.expr.template import ABSENT
from argonb.spec.template_view import TemplateView, value_from


class AggregationError(ValueError):
    pass


def node_reference(prefix: str, name: str, node: Node, include_result: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(text variables, artifact variables) describing one child node, as `buildLocalScope` does."""
    base = f"{prefix}.{name}"
    text: dict[str, Any] = {f"{base}.id": node.id, f"{base}.status": node.phase.value}
    if node.started_at is not None:
        text[f"{base}.startedAt"] = rfc3339(node.started_at)
    if node.finished_at is not None:
        text[f"{base}.finishedAt"] = rfc3339(node.finished_at)
    if node.detail.get("ip"):
        text[f"{base}.ip"] = node.detail["ip"]
    arts: dict[str, Any] = {}
    outputs = node.outputs or {}
    if include_result and outputs.get("result") is not None:
        text[f"{base}.outputs.result"] = outputs["result"]
    if outputs.get("exitCode") is not None:
        text[f"{base}.exitCode"] = outputs["exitCode"]
    for param in outputs.get("parameters") or []:
        if param.get("value") is not None:
            text[f"{base}.outputs.parameters.{param['name']}"] = str(param["value"])
    for art in outputs.get("artifacts") or []:
        arts[f"{base}.outputs.artifacts.{art['name']}"] = art
    return text, arts


def skipped_outputs(prefix: str, name: str, template: dict[str, Any] | None) -> dict[str, Any]:
    """§4.5: outputs of a Skipped/Omitted node: the producer's `valueFrom.default`, else ABSENT."""
    out: dict[str, Any] = {}
    for param in TemplateView(template or {}).output_parameters:
        default = value_from(param).get("default")
        key = f"{prefix}.{name}.outputs.parameters.{param.get('name')}"
        out[key] = str(default) if default is not None else ABSENT
    return out


def aggregate(prefix: str, name: str, children: list[Node], include_result: bool) -> dict[str, Any]:
    """§6.4 loop aggregates over Succeeded children, in loop-index order."""
    done = sorted((c for c in children if not c.hooked), key=lambda c: _loop_index(c.name))
    params: list[dict[str, str]] = []
    by_name: dict[str, list[str]] = {}
    results: list[Any] = []
    result_error: str | None = None
    for child in done:
        if child.outputs is None or child.phase is not NodePhase.SUCCEEDED:
            continue
        if child.outputs.get("parameters"):
            entry = {}
            for p in child.outputs["parameters"]:
                entry[p["name"]] = str(p.get("value", ""))
                by_name.setdefault(p["name"], []).append(str(p.get("value", "")))
            params.append(entry)
        if include_result and child.outputs.get("result") is not None:
            try:
                results.append(json.loads(child.outputs["result"]))
            except ValueError as exc:
                result_error = f"invalid character in loop result {child.outputs['result'][:60]!r}: {exc}"
    base = f"{prefix}.{name}.outputs"
    out: dict[str, Any] = {f"{base}.parameters": _go_json(params)}
    if include_result:
        if result_error:
            raise AggregationError(result_error)
        out[f"{base}.result"] = _go_json(results)
    for pname, values in by_name.items():
        out[f"{base}.parameters.{pname}"] = aggregated_value_list(values)
    return out


def aggregated_value_list(values: list[str]) -> str:
    """JSON list of values; embedded as JSON only when every value is a JSON object or array."""
    parsed: list[Any] = []
    for value in values:
        try:
            item = json.loads(value)
        except ValueError:
            return _go_json(values)
        if not isinstance(item, (dict, list)):
            return _go_json(values)
        parsed.append(item)
    return _go_json(parsed)


def _go_json(value: Any) -> str:
    """encoding/json style: compact, map keys sorted, no HTML escaping."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


_INDEX = re.compile(r"\((\d+):")


def _loop_index(name: str) -> int:
    matches = _INDEX.findall(name)
    return int(matches[-1]) if matches else 0


def referenced_results(prefix: str, parent_template_json: str) -> set[str]:
    """`hasOutputResultRef` for every child at once: the names whose `<prefix>.<name>.outputs.result` (or
    `<prefix>['<name>'].outputs.result`) appear anywhere in the parent template. One scan per template keeps
    this linear in the template's size, not quadratic."""
    names = set(re.findall(rf"{prefix}\.([\w-]+)\.outputs\.result", parent_template_json))
    names.update(re.findall(rf"{prefix}\[\\?['\"]([^'\"\\]+)\\?['\"]\]\.outputs.result", parent_template_json))
    return names
