"""Argo's field table (derived from hera's generated models) and the strict structural pass over YAML.

Owns: `field_table()` (for every model reachable from Workflow, WorkflowTemplate, ClusterWorkflowTemplate and
CronWorkflow: its YAML keys, each key's type, and its required keys) and `check_structure(doc)` which walks a
parsed Document beside that table and reports unknown keys (ARG001, with a did-you-mean hint), wrong types
(ARG002) and missing required keys (ARG003), each at the exact key or value position.
Imports: stdlib, argonb.errors, argonb.spec.source, argonb.spec.suggest; hera only lazily (see below).

Source of truth. The keys, aliases and types come from `hera.workflows.models` (hera 7.1, generated from Argo's
OpenAPI schema); nothing here restates Argo's schema except `_SUPPLEMENT`, a short commented list of fields that
Argo added after the schema hera was generated from, and `_OVERRIDES`, where Argo's Go types are looser than
the OpenAPI ones (AnyString parameter values, Kubernetes quantities).

Speed decision (measured with `python -X importtime`). Importing `hera.workflows.models` takes ~0.85 s (it
imports all of `hera.workflows` and ~220 pydantic models), which alone breaks the 0.5 s cold-start budget of
`argonb lint`. So the table is computed from hera once and cached as JSON (~60 KB) in
`$ARGONB_CACHE_DIR` or `$XDG_CACHE_HOME/argonb` (default `~/.cache/argonb`), keyed by the size and mtime of
hera's model files and by `_TABLE_FORMAT`; later runs load it in ~2 ms without importing hera or pydantic. If
the cache cannot be written the table is simply kept in memory.

Why not `Model.model_validate` for types. Besides the import cost, pydantic's lax mode disagrees with Argo in
both directions: it rejects numbers for `Parameter.value` (Argo's AnyString accepts them) and accepts the
string "2" for integer fields (Go's encoding/json rejects it). The walk here applies Go's JSON decoding rules
to the model annotations instead; `tests/spec/test_schema.py` cross-checks it against `model_validate`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
import types
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any

from argonb.errors import Diagnostic, Severity
from argonb.spec.source import Document, PathKey
from argonb.spec.suggest import did_you_mean

# A type descriptor is JSON-friendly: a scalar kind name, or ["list", d], ["dict", d], ["model", name].
TypeDesc = Any
SCALARS = ("str", "int", "bool", "float", "any", "intstr", "quantity", "anystr", "freemap")

_TABLE_FORMAT = 1  # bump when the JSON layout or the derivation rules below change
_ROOT_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
# hera RootModel wrappers whose Go counterparts decode differently from their OpenAPI type.
_ROOT_MODEL_KINDS = {"IntOrString": "intstr", "Quantity": "quantity", "Item": "any", "Time": "str",
                     "MicroTime": "str", "Amount": "float"}
_MODEL_FILES = ("workflows/models/io/argoproj/workflow/v1alpha1.py", "workflows/models/io/k8s/api/core/v1.py",
                "workflows/models/io/k8s/apimachinery/pkg/apis/meta/v1.py")

# Fields newer than hera 7.1's models (Argo v4.1, pkg/apis/workflow/v1alpha1/workflow_types.go). Each entry has
# a test in tests/spec/test_schema.py. Remove entries once hera's models carry them.
_SUPPLEMENT_MODELS: dict[str, dict[str, TypeDesc]] = {
    # spec.resourceClaims / templates[].resourceClaims: []apiv1.PodResourceClaim (Kubernetes DRA).
    "PodResourceClaim": {"name": "str", "resourceClaimName": "str", "resourceClaimTemplateName": "str"},
    # spec.executorPlugins: []ExecutorPlugin {metadata, spec: {sidecar: {automountServiceAccountToken, container}}}.
    "ExecutorPlugin": {"metadata": ["model", "ObjectMeta"], "spec": ["model", "ExecutorPluginSpec"]},
    "ExecutorPluginSpec": {"sidecar": ["model", "ExecutorPluginSidecar"]},
    "ExecutorPluginSidecar": {"automountServiceAccountToken": "bool", "container": ["model", "Container"]},
}
_SUPPLEMENT_REQUIRED = {"PodResourceClaim": ["name"]}
_SUPPLEMENT_FIELDS: dict[tuple[str, str], TypeDesc] = {
    ("WorkflowSpec", "podResources"): ["model", "ResourceRequirements"],   # pod-level resources (k8s 1.32+)
    ("WorkflowSpec", "resourceClaims"): ["list", ["model", "PodResourceClaim"]],
    ("WorkflowSpec", "executorPlugins"): ["list", ["model", "ExecutorPlugin"]],
    ("Template", "podResources"): ["model", "ResourceRequirements"],
    ("Template", "resourceClaims"): ["list", ["model", "PodResourceClaim"]],
    ("Template", "pendingTimeout"): "str",                                  # Argo v4.1 template pendingTimeout
    ("HTTPArtifact", "saveStreamViaFile"): "bool",
}
# Where Argo's Go type is looser than the OpenAPI type hera was generated from.
_OVERRIDES: dict[tuple[str, str], TypeDesc] = {
    ("Parameter", "value"): "anystr", ("Parameter", "default"): "anystr",     # wfv1.AnyString
    ("Parameter", "description"): "anystr", ("Parameter", "enum"): ["list", "anystr"],
    ("ValueFrom", "default"): "anystr",
    # A plugin template body is the plugin's own configuration: exactly one free-form key.
    ("Template", "plugin"): "freemap",
}


class FieldTable:
    """Model name -> {yaml key: TypeDesc}, required keys per model, and the root model of each kind."""

    def __init__(self, models: dict[str, dict[str, TypeDesc]], required: dict[str, list[str]],
                 roots: dict[str, str]):
        self.models = models
        self.required = {name: tuple(keys) for name, keys in required.items()}
        self.roots = roots


# --- deriving the table from hera ------------------------------------------------------------------------


def _unwrap_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


class _Deriver:
    """Walks hera's pydantic models once, naming each model and describing each field's type."""

    def __init__(self) -> None:
        from pydantic import BaseModel, RootModel

        self.base, self.root = BaseModel, RootModel
        self.names: dict[type, str] = {}
        self.models: dict[str, dict[str, TypeDesc]] = {}
        self.required: dict[str, list[str]] = {}

    def name_of(self, cls: type) -> str:
        if cls not in self.names:
            name = cls.__name__
            if name in self.models:  # same class name in two hera modules (e.g. k8s vs Argo HTTPHeader)
                name = f"{name}@{cls.__module__.rsplit('.', 2)[-2]}"
            self.names[cls] = name
            self.models[name] = {}
            fields = cls.model_fields
            self.required[name] = [f.alias or k for k, f in fields.items() if f.is_required()]
            self.models[name] = {f.alias or k: self.describe(f.annotation) for k, f in fields.items()}
        return self.names[cls]

    def describe(self, tp: Any) -> TypeDesc:
        tp = _unwrap_annotated(tp)
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            descs = [self.describe(a) for a in args]
            if len(descs) == 1:
                return descs[0]
            return "intstr" if sorted(map(str, descs)) == ["int", "str"] else "any"
        if origin in (list, typing.List):  # noqa: UP006 - hera may use either spelling
            return ["list", self.describe(typing.get_args(tp)[0])]
        if origin in (dict, typing.Dict):  # noqa: UP006
            return ["dict", self.describe(typing.get_args(tp)[1])]
        if isinstance(tp, type) and issubclass(tp, self.root):
            if tp.__name__ in _ROOT_MODEL_KINDS:
                return _ROOT_MODEL_KINDS[tp.__name__]
            return self.describe(tp.model_fields["root"].annotation)
        if isinstance(tp, type) and issubclass(tp, self.base):
            return ["model", self.name_of(tp)]
        return {str: "str", int: "int", bool: "bool", float: "float"}.get(tp, "any")


def _derive_from_hera() -> dict[str, Any]:
    from hera.workflows import models

    deriver = _Deriver()
    roots = {kind: deriver.name_of(getattr(models, kind)) for kind in _ROOT_KINDS}
    return {"format": _TABLE_FORMAT, "models": deriver.models, "required": deriver.required, "roots": roots}


# --- caching ---------------------------------------------------------------------------------------------


def _hera_fingerprint() -> str | None:
    """Size+mtime of hera's model files, found without importing hera (importing it costs ~0.85 s)."""
    spec = importlib.util.find_spec("hera")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    parts = []
    for rel in _MODEL_FILES:
        try:
            st = (root / rel).stat()
        except OSError:
            return None
        parts.append(f"{st.st_size}-{int(st.st_mtime)}")
    return f"f{_TABLE_FORMAT}-" + "-".join(parts)


def cache_dir() -> Path:
    env = os.environ.get("ARGONB_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "argonb"


def _read_cache(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == _TABLE_FORMAT else None


def _write_cache(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".fields-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.replace(tmp, path)  # atomic, so concurrent linters never read half a file
    except OSError:
        pass


def _load_raw_table() -> dict[str, Any]:
    fingerprint = _hera_fingerprint()
    path = cache_dir() / f"hera-fields-{fingerprint}.json" if fingerprint else None
    if path is not None:
        cached = _read_cache(path)
        if cached is not None:
            return cached
    data = _derive_from_hera()
    if path is not None:
        _write_cache(path, data)
    return data


def _apply_supplement(data: dict[str, Any]) -> FieldTable:
    models = {name: dict(fields) for name, fields in data["models"].items()}
    required = {name: list(keys) for name, keys in data["required"].items()}
    for name, fields in _SUPPLEMENT_MODELS.items():
        models.setdefault(name, dict(fields))
        required.setdefault(name, _SUPPLEMENT_REQUIRED.get(name, []))
    for (model, key), desc in {**_SUPPLEMENT_FIELDS, **_OVERRIDES}.items():
        if model in models:
            models[model][key] = desc
    return FieldTable(models, required, dict(data["roots"]))


@lru_cache(maxsize=1)
def field_table() -> FieldTable:
    """The (static) field table; computed from hera on first use, then read from the cache."""
    return _apply_supplement(_load_raw_table())


# --- the strict structural walk ----------------------------------------------------------------------------


def format_path(path: PathKey) -> str:
    """`spec.templates[0].dag.tasks[2]` for the path tuple ('spec', 'templates', 0, 'dag', 'tasks', 2)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<document>"


def _describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"string {json.dumps(shown)}"
    return {dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)


_EXPECTED = {"str": "a string", "int": "an integer", "bool": "a boolean (true/false)", "float": "a number",
             "intstr": "an integer or a string", "quantity": "a quantity (number or string like 500m, 1Gi)",
             "anystr": "a string, number or boolean", "freemap": "a mapping"}


# Value types each scalar kind accepts without a closer look (a shortcut in front of _scalar_ok).
_ACCEPTS: dict[str, frozenset[type]] = {
    "str": frozenset({str}), "bool": frozenset({bool}), "int": frozenset({int}), "float": frozenset({int, float}),
    "intstr": frozenset({str, int}), "quantity": frozenset({str, int, float}),
    "anystr": frozenset({str, int, float, bool}), "any": frozenset({str, int, float, bool, dict, list}),
    "freemap": frozenset({dict}),
}


def _scalar_ok(kind: str, value: Any) -> bool:
    """Go encoding/json rules: no string<->number<->bool coercion; null leaves the zero value."""
    if value is None or kind == "any":
        return True
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "intstr":
        return isinstance(value, (str, int)) and not isinstance(value, bool)
    if kind == "quantity":
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    if kind == "anystr":
        return isinstance(value, (str, int, float, bool))
    if kind == "freemap":
        return isinstance(value, dict)
    return True


class _Walker:
    """Collects ARG001-ARG003 diagnostics for one document."""

    def __init__(self, doc: Document, table: FieldTable):
        self.doc, self.table = doc, table
        self.out: list[Diagnostic] = []

    def walk(self, value: Any, desc: TypeDesc, path: PathKey) -> None:
        if value is None:
            return
        if isinstance(desc, str):
            self._scalar(value, desc, path)
            return
        kind, inner = desc
        if kind == "model":
            self._walk_model(value, inner, path)
        elif kind == "list":
            if not isinstance(value, list):
                self._type_error(value, "a list", path)
                return
            item_model = inner[1] if not isinstance(inner, str) and inner[0] == "model" else None
            for i, item in enumerate(value):
                if item is None and not isinstance(inner, str):  # Kubernetes rejects null for an object/array
                    self._type_error(item, f"a mapping ({inner[1]})" if inner[0] == "model" else
                                     "a list" if inner[0] == "list" else "a mapping", (*path, i))
                    continue
                if item_model is not None:  # lists of objects (tasks, steps, parameters) are the big ones
                    self._walk_model(item, item_model, (*path, i))
                else:
                    self.walk(item, inner, (*path, i))
        elif kind == "dict":
            if not isinstance(value, dict):
                self._type_error(value, "a mapping", path)
                return
            for key, item in value.items():
                self.walk(item, inner, (*path, key))

    def _walk_model(self, value: Any, model: str, path: PathKey) -> None:
        if not isinstance(value, dict):
            self._type_error(value, f"a mapping ({model})", path)
            return
        fields = self.table.models.get(model, {})
        for key, item in value.items():
            desc = fields.get(key) if isinstance(key, str) else None
            if desc is None:
                self._unknown_key(key, fields, path)
            elif item is None:
                continue
            elif isinstance(desc, str):
                if type(item) not in _ACCEPTS.get(desc, ()):  # most scalars have the right type: no call
                    self._scalar(item, desc, (*path, key))
            elif desc[0] == "model":
                self._walk_model(item, desc[1], (*path, key))
            else:
                self.walk(item, desc, (*path, key))
        for key in self.table.required.get(model, ()):
            if value.get(key) is None and key not in value:
                self.out.append(self.doc.diagnostic(
                    "ARG003", f"{format_path(path)}: missing required field '{key}'", path, key=True))

    def _scalar(self, value: Any, kind: str, path: PathKey) -> None:
        if not _scalar_ok(kind, value):
            self._type_error(value, _EXPECTED.get(kind, kind), path, anystr=kind == "anystr")

    def _unknown_key(self, key: Any, fields: dict[str, TypeDesc], path: PathKey) -> None:
        where = format_path(path)
        hint = did_you_mean(str(key), fields) if isinstance(key, str) else ""
        self.out.append(self.doc.diagnostic("ARG001", f"unknown field '{key}' in {where}", (*path, key),
                                            hint=hint, key=True))

    def _type_error(self, value: Any, expected: str, path: PathKey, *, anystr: bool = False) -> None:
        # Argo's AnyString silently decodes a list/mapping to "", so that is suspicious rather than fatal.
        severity = Severity.WARNING if anystr else None
        self.out.append(self.doc.diagnostic(
            "ARG002", f"{format_path(path)}: expected {expected}, got {_describe_value(value)}", path,
            severity=severity))


def check_structure(doc: Document, root_model: str) -> list[Diagnostic]:
    """Unknown keys, wrong types and missing required keys of `doc` against model `root_model`."""
    walker = _Walker(doc, field_table())
    walker.walk(doc.data, ["model", root_model], ())
    return walker.out
