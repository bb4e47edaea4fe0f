"""Arguments -> inputs and template substitution, in Argo's order (ARGO-SEMANTICS §4.1, `ProcessArgs` /
`SubstituteParams` in workflow/common/util.go).

1. each input parameter takes its `default`, then the caller's argument (an argument beats `default` and a
   declared `value`), then `valueFrom.configMapKeyRef`; still nothing -> `inputs.parameters.X was not supplied`;
2. input artifacts without a location take the argument's location;
3. globals and locals are substituted in the whole template, then `inputs.*` / `outputs.*.path`.
"""

from __future__ import annotations

import copy
import json
import marshal
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from argonb.engine.artifacts import has_location
from argonb.errors import ArgonbError
from argonb.expr.template import ABSENT, substitute
from argonb.spec.template_view import TemplateView, value_from


class ArgumentError(ArgonbError):
    pass


def process_args(tmpl: dict[str, Any], args: dict[str, Any] | None, global_vars: Mapping[str, Any],
                 local_vars: Mapping[str, Any], config_maps: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """A copy of `tmpl` with inputs filled from `args` and every resolvable tag substituted."""
    new = dict(tmpl)  # only `inputs` is changed in place below; substitution copies the rest
    new["inputs"] = copy_data(tmpl.get("inputs") or {})
    args = args or {}
    inputs = new.get("inputs") or {}
    arg_params = {p.get("name"): p for p in args.get("parameters") or [] if isinstance(p, dict)}
    for param in inputs.get("parameters") or []:
        _fill_parameter(param, arg_params.get(param.get("name")), config_maps)
    arg_arts = {a.get("name"): a for a in args.get("artifacts") or [] if isinstance(a, dict)}
    for art in inputs.get("artifacts") or []:
        _fill_artifact(art, arg_arts.get(art.get("name")))
    return substitute_params(new, global_vars, local_vars)


def copy_data(obj: Any) -> Any:
    """`copy.deepcopy` of YAML/JSON data at C speed (marshal keeps shared sub-objects shared, as deepcopy does);
    what marshal cannot copy (other objects, e.g. ABSENT) goes through `copy.deepcopy`."""
    try:
        return marshal.loads(marshal.dumps(obj))
    except ValueError:
        return copy.deepcopy(obj)


def _fill_parameter(param: dict[str, Any], arg: dict[str, Any] | None,
                    config_maps: Mapping[str, Mapping[str, str]]) -> None:
    name = param.get("name")
    if param.get("value") is None and param.get("default") is not None:
        param["value"] = param["default"]
    if arg is not None:
        if arg.get("value") is ABSENT:
            if param.get("value") is None and param.get("valueFrom") is None:
                raise ArgumentError(f"inputs.parameters.{name}: argument references an absent optional "
                                    "(skipped/omitted node output with no default)")
        elif arg.get("value") is not None:
            param["value"] = arg["value"]
        elif arg.get("valueFrom") is not None:
            param["valueFrom"] = arg["valueFrom"]
    ref = value_from(param).get("configMapKeyRef")
    if ref and param.get("value") is None:
        data = config_maps.get(str(ref.get("name")))
        if data is None or str(ref.get("key")) not in data:
            if value_from(param).get("default") is not None:
                param["value"] = param["valueFrom"]["default"]
            elif not ref.get("optional"):
                raise ArgumentError(f"unable to retrieve inputs.parameters.{name} from ConfigMap: configmap "
                                    f"{ref.get('name')!r} key {ref.get('key')!r} not found (argonb reads ConfigMap "
                                    "documents given with the workflow or via --templates)")
        else:
            param["value"] = data[str(ref["key"])]
    if param.get("value") is None and param.get("valueFrom") is None:
        raise ArgumentError(f"inputs.parameters.{name} was not supplied")
    if param.get("value") is not None and not isinstance(param["value"], str):
        param["value"] = _text(param["value"])
    enum = param.get("enum")
    if enum and param.get("value") is not None and str(param["value"]) not in [_text(e) for e in enum]:
        raise ArgumentError(f"inputs.parameters.{name}: value {param['value']!r} is not in enum {enum}")


def _fill_artifact(art: dict[str, Any], arg: dict[str, Any] | None) -> None:
    if has_location(art):
        return
    name = art.get("name")
    if arg is None:
        if not art.get("optional"):
            raise ArgumentError(f"inputs.artifacts.{name} was not supplied")
        return
    if not has_location(arg):
        if art.get("optional"):
            return
        raise ArgumentError(f"inputs.artifacts.{name} missing location information")
    for key, value in arg.items():
        if key not in ("name", "path", "mode", "recurseMode", "from", "fromExpression", "optional"):
            art[key] = copy.deepcopy(value)


def substitute_params(tmpl: dict[str, Any], global_vars: Mapping[str, Any],
                      local_vars: Mapping[str, Any]) -> dict[str, Any]:
    """`SubstituteParams`: globals and locals first (inputs may reference them), then inputs/outputs paths."""
    merged = ChainMap(dict(local_vars), global_vars)  # type: ignore[arg-type]
    tmpl = substitute(tmpl, merged, allow_unresolved=True)
    second: dict[str, Any] = {}
    view = TemplateView(tmpl)
    inputs = view.inputs
    for param in inputs.get("parameters") or []:
        if param.get("value") is None and param.get("valueFrom") is None:
            raise ArgumentError(f"inputs.parameters.{param.get('name')} had no value")
        if param.get("value") is not None:
            second[f"inputs.parameters.{param['name']}"] = _text(param["value"])
    second["inputs.parameters"] = json.dumps(inputs.get("parameters") or [], separators=(",", ":"))
    for art in inputs.get("artifacts") or []:
        if art.get("path"):
            second[f"inputs.artifacts.{art['name']}.path"] = art["path"]
    outputs = view.outputs
    for art in outputs.get("artifacts") or []:
        if art.get("path"):
            second[f"outputs.artifacts.{art['name']}.path"] = art["path"]
    for param in outputs.get("parameters") or []:
        path = value_from(param).get("path")
        if path:
            second[f"outputs.parameters.{param['name']}.path"] = path
    return substitute(tmpl, second, allow_unresolved=True)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))
