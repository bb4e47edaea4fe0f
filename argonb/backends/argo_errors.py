"""Point an Argo Server error at the YAML that caused it.

Owns: `field_paths(message)` (the field paths a server message names, in Kubernetes form
`spec.templates[0].container.image` or Argo's validator form `templates.main.steps[0].hello.template`),
`resolve(data, tokens)` (those paths as a path into the document: list items are found by index or by
`name`, and a key missing from a template is looked for one level down, so `templates.x.tasks.y` finds
`dag.tasks`), and `diagnostics_for(error, origin)`: `Diagnostic`s at the YAML line and column, through
`argonb.spec.source.Document` positions. `ArgoRejected` is the InvalidWorkflow raised for 400/409/422 answers.
Imports: argonb.errors, argonb.spec.source, argonb.backends.argo_client (types only).
"""

from __future__ import annotations

import re
from typing import Any

from argonb.errors import Diagnostic, InvalidWorkflow
from argonb.spec.source import Document, PathKey

_PATH = re.compile(r"(?<![\w./-])((?:spec|metadata|templates|status)(?:\.[A-Za-z0-9_-]+|\[\d+\])+)")
_TOKEN = re.compile(r"\[(\d+)\]|\.?([A-Za-z0-9_-]+)")
_K8S_LIST = re.compile(r" is invalid: \[(.*)\]\s*$", re.S)
_REF_NOT_FOUND = re.compile(r'(clusterworkflowtemplates|workflowtemplates)\.argoproj\.io "([^"]+)" not found')
_EXISTS = re.compile(r'(workflows|workflowtemplates|clusterworkflowtemplates)\.argoproj\.io "([^"]+)" already exists')


class ArgoRejected(InvalidWorkflow):
    """The Argo Server refused the workflow or a template (400/409/422); the diagnostics point into the YAML."""

    def __init__(self, diagnostics: list[Diagnostic], status: int = 400, server_message: str = ""):
        self.status = status
        self.server_message = server_message
        super().__init__(diagnostics)

    def __reduce__(self):
        return (ArgoRejected, (self.diagnostics, self.status, self.server_message))


def tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    for index, key in _TOKEN.findall(path):
        out.append(int(index) if index else key)
    return out


def field_paths(message: str) -> list[list[str | int]]:
    """Every field path named in `message`, longest first within each error."""
    return [tokens(m) for m in _PATH.findall(message)]


def resolve(data: Any, path: list[str | int]) -> tuple[PathKey, int]:
    """The deepest document path `path` reaches in `data`, and how many tokens matched."""
    if path and path[0] == "templates" and isinstance(data, dict) and "templates" not in data:
        spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
        if "templates" in spec:
            prefix: PathKey = ("spec",)
            node: Any = spec
        elif isinstance(spec.get("workflowSpec"), dict):
            prefix, node = ("spec", "workflowSpec"), spec["workflowSpec"]
        else:
            prefix, node = (), data
    else:
        prefix, node = (), data
    out = list(prefix)
    matched = 0
    for token in path:
        step = _step(node, token)
        if step is None:
            break
        keys, node = step
        out.extend(keys)
        matched += 1
    return tuple(out), matched


def _step(node: Any, token: str | int) -> tuple[list[Any], Any] | None:
    if isinstance(node, list):
        if isinstance(token, int):
            return ([token], node[token]) if 0 <= token < len(node) else None
        for i, item in enumerate(node):
            if isinstance(item, dict) and item.get("name") == token:
                return [i], item
            if isinstance(item, list):  # steps: a list of parallel groups, each a list of named steps
                for j, sub in enumerate(item):
                    if isinstance(sub, dict) and sub.get("name") == token:
                        return [i, j], sub
        return None
    if isinstance(node, dict):
        if token in node:
            return [token], node[token]
        for key, value in node.items():  # `templates.x.tasks` -> dag.tasks, `...steps` inside a template
            if isinstance(value, dict) and token in value:
                return [key, token], value[token]
        return None
    return None


def split_errors(message: str) -> list[str]:
    """Kubernetes joins several field errors: `X is invalid: [a: ..., b: ...]`."""
    m = _K8S_LIST.search(message)
    if not m:
        return [message]
    parts = re.split(r", (?=(?:spec|metadata)[.\[])", m.group(1))
    return [p.strip() for p in parts if p.strip()] or [message]


def _find_value(data: Any, keys: tuple[str, ...], value: str, path: PathKey = ()) -> PathKey | None:
    """The path of the first mapping under one of `keys` whose `name` is `value` (e.g. a templateRef)."""
    if isinstance(data, dict):
        for key, item in data.items():
            here = (*path, key)
            if key in keys and isinstance(item, dict) and item.get("name") == value:
                return (*here, "name")
            found = _find_value(item, keys, value, here)
            if found is not None:
                return found
    elif isinstance(data, list):
        for i, item in enumerate(data):
            found = _find_value(item, keys, value, (*path, i))
            if found is not None:
                return found
    return None


def _code(status: int) -> str:
    return f"ARGO{status}"


def _hint(status: int, message: str, unplaced: bool = False) -> str:
    if _EXISTS.search(message):
        return "use metadata.generateName, or pass --name with a new name"
    if _REF_NOT_FOUND.search(message):
        return "create the template on the server first, or pass it with --templates"
    if status == 409:
        return "the object already exists on the server"
    if unplaced:
        return "the message names no field argonb can find in this document"
    return "the field the Argo Server names"


def diagnostics_for(status: int, message: str, origin: Any, *, kind: str = "Workflow",
                    name: str = "") -> list[Diagnostic]:
    """Diagnostics for one server error about the object that came from `origin` (an argo_manifest.Origin)."""
    doc: Document | None = getattr(origin, "document", None)
    label = f"{kind} {name}".strip()
    out: list[Diagnostic] = []
    for part in split_errors(message):
        text = f"Argo Server rejected {label}: {part}" if label else f"Argo Server: {part}"
        if doc is None or not isinstance(doc.data, dict):
            out.append(Diagnostic(_code(status), text, None, hint=_hint(status, part, True)))
            continue
        path = _locate(doc, origin, part)
        hint = _hint(status, part, path is None)
        span = doc.span(path, key=True) if path is not None else doc.span(("kind",), key=True)
        out.append(Diagnostic(_code(status), text, span, hint=hint, source_line=doc.source.line_text(span.line)))
    return out


def _locate(doc: Document, origin: Any, message: str) -> PathKey | None:
    m = _EXISTS.search(message)
    if m:
        for key in ("name", "generateName"):
            if key in (doc.data.get("metadata") or {}):
                return origin.path(("metadata", key)) if origin else ("metadata", key)
    m = _REF_NOT_FOUND.search(message)
    if m:
        keys = ("workflowTemplateRef", "templateRef")
        found = _find_value(doc.data, keys, m.group(2))
        if found is not None:
            return found
    best: tuple[PathKey, int] | None = None
    for toks in field_paths(message):
        mapped = _map_tokens(origin, toks)
        path, matched = resolve(doc.data, mapped)
        if matched and (best is None or matched > best[1]):
            best = (path, matched)
    return best[0] if best else None


def _map_tokens(origin: Any, toks: list[str | int]) -> list[str | int]:
    """Server paths are about the submitted object; map them onto the document (CronWorkflow etc.)."""
    if origin is None or not toks or not isinstance(toks[0], str):
        return toks
    mapped = origin.path(tuple(toks))
    return list(mapped)


def rejected(status: int, message: str, origin: Any, *, kind: str, name: str) -> ArgoRejected:
    return ArgoRejected(diagnostics_for(status, message, origin, kind=kind, name=name), status, message)
