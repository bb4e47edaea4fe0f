"""Reference resolution shared by steps and DAG (`resolveReferences` / `resolveDependencyReferences`,
ARGO-SEMANTICS §4.5, §5.5): a step or task is substituted with the scope of its siblings before it runs."""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from argonb.errors import ArgonbError
from argonb.expr.template import ABSENT, TemplateError, copy_if_tag_free, find_tags, substitute


class UnresolvedReference(ArgonbError):
    """A step/task reference that cannot be resolved (the step group or task node ends in Error)."""


_STRICT_PREFIXES = ("steps.", "tasks.")


def resolve_references(holder: dict[str, Any], variables: Mapping[str, Any],
                       artifacts: Mapping[str, Any]) -> dict[str, Any]:
    """Substitute a step/task with its scope (`resolveReferences` / `resolveDependencyReferences`).

    Unresolved `steps.*`/`tasks.*` tags are errors; an argument that is exactly an absent reference is
    marked ABSENT so the consumer's default applies (§4.5); `from` artifacts are looked up as objects.
    """
    hooks = holder.get("hooks")
    on_exit = holder.get("onExit")
    body = {k: v for k, v in holder.items() if k not in ("hooks", "onExit")}
    args = body.get("arguments") or {}
    absent_params = []
    kept = []
    for param in args.get("parameters") or []:
        value = param.get("value")
        ref = _sole_reference(value) if isinstance(value, str) else None
        if ref is not None and variables.get(ref, None) is ABSENT:
            absent_params.append(param.get("name"))  # markAbsentOptionalArgs: the consumer's default applies
            kept.append({k: v for k, v in param.items() if k != "value"})
        else:
            kept.append(param)
    if absent_params:
        body = {**body, "arguments": {**args, "parameters": kept}}
    plain = copy_if_tag_free(body)  # most tasks and steps reference nothing: no walk, nothing to check
    if plain is not None:
        new = plain
    else:
        try:
            new = substitute(body, variables, allow_unresolved=True)
        except TemplateError as exc:
            raise UnresolvedReference(str(exc)) from None
        _check_unresolved(new, exclude=("withItems", "withParam", "withSequence", "when"))
    new_args = new.get("arguments") or {}
    for param in new_args.get("parameters") or []:
        if param.get("name") in absent_params:
            param["value"] = ABSENT
    if new_args.get("artifacts"):
        new_args["artifacts"] = [resolve_artifact_argument(a, variables, artifacts) for a in new_args["artifacts"]]
    if hooks is not None:
        new["hooks"] = hooks
    if on_exit is not None:
        new["onExit"] = on_exit
    return new


def _sole_reference(text: str) -> str | None:
    m = re.fullmatch(r"\{\{\s*([^={}][^{}]*?)\s*\}\}", text)
    return m.group(1) if m else None


def _check_unresolved(obj: Any, exclude: tuple[str, ...] = ()) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key not in exclude:
                _check_unresolved(value)
    elif isinstance(obj, list):
        for value in obj:
            _check_unresolved(value)
    elif isinstance(obj, str) and "{{" in obj:
        for tag in find_tags(obj):
            if tag.kind == "simple" and tag.inner.strip().startswith(_STRICT_PREFIXES) \
                    and ".outputs.artifacts." not in tag.inner:
                raise UnresolvedReference(f"failed to resolve {{{{{tag.inner.strip()}}}}}")


def resolve_artifact_argument(art: dict[str, Any], variables: Mapping[str, Any],
                              artifacts: Mapping[str, Any]) -> dict[str, Any]:
    """`from` / `fromExpression` -> the referenced artifact's location, keeping this argument's name."""
    if art.get("from"):
        ref = _sole_reference(str(art["from"]))
        found = artifacts.get(ref) if ref else None
        if found is None:
            if art.get("optional"):
                return {"name": art.get("name"), "optional": True}
            raise UnresolvedReference(f"unable to resolve references: Unable to resolve: {art['from']!r}")
        return {**_location(found), **{k: v for k, v in art.items() if k not in ("from",)}}
    if art.get("fromExpression"):
        from argonb.expr.exprlang import evaluate
        from argonb.expr.template import expand_env

        env = expand_env(ChainMap(dict(artifacts), dict(variables)))  # type: ignore[arg-type]
        try:
            found = evaluate(str(art["fromExpression"]), env)
        except ValueError as exc:
            raise UnresolvedReference(f"failed to evaluate fromExpression {art['fromExpression']!r}: {exc}") from None
        if not isinstance(found, dict):
            if art.get("optional"):
                return {"name": art.get("name"), "optional": True}
            raise UnresolvedReference(f"fromExpression {art['fromExpression']!r} did not yield an artifact")
        return {**_location(found), **{k: v for k, v in art.items() if k != "fromExpression"}}
    return art


def _location(art: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in art.items() if k not in ("name", "path", "mode", "globalName", "optional")}
