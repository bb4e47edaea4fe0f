"""One typed, read-only view of a template mapping, shared by spec (lint), engine and parity.

Owns the one list of template types (`TEMPLATE_TYPES`, in the order of Argo's `Template.GetType`, which decides
the type when several are given) and what Argo derives from a template (`workflow_types.go`: GetType, IsLeaf,
IsPodType, the retry strategy, inputs, outputs, volumes...). Every accessor tolerates malformed data (the
structural lint reports wrong types; the engine runs only what passed it): a wrong type reads as absent.
Imports: stdlib only, so that every layer can use it without an import circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

TEMPLATE_TYPES = ("container", "containerSet", "steps", "dag", "script", "resource", "data", "suspend", "http",
                  "plugin")
LEAF_TYPES = frozenset({"container", "containerSet", "script", "resource", "data", "http", "plugin"})
POD_TYPES = frozenset({"container", "containerSet", "script", "resource", "data"})


def template_kind(data: Mapping[str, Any]) -> str:
    """`Template.GetType`: the first type key that is set, "" when none is."""
    for kind in TEMPLATE_TYPES:
        if data.get(kind) is not None:
            return kind
    return ""


def value_from(param: Mapping[str, Any]) -> dict[str, Any]:
    """A parameter's `valueFrom` ({} when absent or malformed): path, default, supplied, configMapKeyRef..."""
    return _map(param.get("valueFrom"))


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _maps(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass(frozen=True, eq=False)
class TemplateView:
    """A template (one entry of `spec.templates`, an `inline:` body or a processed copy) seen through Argo's
    accessors. The view never changes `data`; callers that need a changed template copy it."""

    data: Mapping[str, Any]

    @cached_property
    def kind(self) -> str:
        return template_kind(self.data)

    @property
    def kinds(self) -> list[str]:
        """Every type key that is set (more than one is a lint error)."""
        return [k for k in TEMPLATE_TYPES if self.data.get(k) is not None]

    @property
    def name(self) -> str:
        name = self.data.get("name")
        return "" if name is None else str(name)

    @property
    def is_pod(self) -> bool:
        return self.kind in POD_TYPES

    @property
    def is_leaf(self) -> bool:
        return self.kind in LEAF_TYPES

    @property
    def body(self) -> dict[str, Any]:
        """The block of its kind (`container: {...}`, `suspend: {...}`...), {} when absent or malformed."""
        return _map(self.data.get(self.kind)) if self.kind else {}

    @property
    def main_container(self) -> dict[str, Any]:
        """The main container of a container or script template (a script's also holds `source`), else {}."""
        return self.body if self.kind in ("container", "script") else {}

    @property
    def shared_volume_mounts(self) -> list[dict[str, Any]]:
        """A containerSet's `volumeMounts`, mounted in each of its containers."""
        return _maps(_map(self.data.get("containerSet")).get("volumeMounts"))

    def volume_mounts(self, container: Mapping[str, Any]) -> list[dict[str, Any]]:
        """What `container` of this template mounts: its own `volumeMounts`, then the containerSet's."""
        return _maps(container.get("volumeMounts")) + self.shared_volume_mounts

    @property
    def retry_strategy(self) -> dict[str, Any] | None:
        """`retryStrategy` as written; None when absent (`{}` is a real, unlimited strategy)."""
        strategy = self.data.get("retryStrategy")
        return strategy if isinstance(strategy, dict) else None

    @property
    def inputs(self) -> dict[str, Any]:
        return _map(self.data.get("inputs"))

    @property
    def outputs(self) -> dict[str, Any]:
        return _map(self.data.get("outputs"))

    @property
    def input_parameters(self) -> list[dict[str, Any]]:
        return _maps(self.inputs.get("parameters"))

    @property
    def input_artifacts(self) -> list[dict[str, Any]]:
        return _maps(self.inputs.get("artifacts"))

    @property
    def output_parameters(self) -> list[dict[str, Any]]:
        return _maps(self.outputs.get("parameters"))

    @property
    def output_artifacts(self) -> list[dict[str, Any]]:
        return _maps(self.outputs.get("artifacts"))

    @property
    def volumes(self) -> list[dict[str, Any]]:
        """The template-level `volumes` (the workflow's own are in `spec.volumes`)."""
        return _maps(self.data.get("volumes"))

    @property
    def memoize(self) -> dict[str, Any] | None:
        memo = self.data.get("memoize")
        return memo if isinstance(memo, dict) and memo else None

    @property
    def synchronization(self) -> dict[str, Any] | None:
        sync = self.data.get("synchronization")
        return sync if isinstance(sync, dict) and sync else None
