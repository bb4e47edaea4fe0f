"""Argo's semantic rules for one spec (workflow/validate/validate.go, ARGO-SEMANTICS.md §2-§7).

Owns: `SpecChecker` (spec-level rules: workflowTemplateRef, entrypoint, onExit, hooks, arguments, podGC,
template names; then every template) and `TemplateChecker` (per-template rules: one type, timeouts, inputs,
outputs, leaf-only/non-leaf-only fields, and the `{{...}}` scan of leaf bodies). Steps and DAG bodies are
checked in argonb.spec.flows. Every rule reports and carries on, so one run shows every problem.
Imports: stdlib, argonb.errors, argonb.spec.{catalog,scope,source,suggest,tags}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from argonb.errors import Diagnostic, Severity
from argonb.spec.catalog import (
    LOCATION_KEYS,
    TYPE_KEYS,
    Registry,
    SpecCtx,
    Tmpl,
    as_list,
    as_map,
    as_str,
    is_templated,
    named,
)
from argonb.spec.scope import Finding, Globals, Scope
from argonb.spec.source import PathKey
from argonb.spec.suggest import did_you_mean
from argonb.spec.tags import ScalarLocator, diagnostic_at, find_tags, iter_strings

FIELD_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")     # validate.go workflowFieldNameFmt
PARAM_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")               # validate.go paramOrArtifactNameRegex
GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$|^0$")
_EXPR_REF = re.compile(r"\b(inputs\.parameters|workflow\.parameters|steps|tasks)"
                       r"(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
RETRY_POLICIES = ("Always", "OnError", "OnFailure", "OnTransientError")
POD_GC_STRATEGIES = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
RESOURCE_ACTIONS = ("get", "create", "apply", "delete", "replace", "patch")


@dataclass
class GlobalOutputs:
    """Every globalName exported by any template of the lint call (collected up front, order-free)."""

    params: set[str]
    artifacts: set[str]
    any_params: bool = False
    any_artifacts: bool = False


class Emitter:
    """Collects diagnostics for one document."""

    def __init__(self, spec: SpecCtx, out: list[Diagnostic]):
        self.doc, self.out = spec.doc, out

    def at(self, code: str, message: str, path: PathKey, *, hint: str = "", key: bool = False,
           warning: bool = False) -> None:
        severity = Severity.WARNING if warning else None
        self.out.append(self.doc.diagnostic(code, message, path, hint=hint, key=key, severity=severity))

    def finding(self, code: str, finding: Finding, where: ScalarLocator, needle: str, offset: int,
                cap: bool = False) -> None:
        """A finding about the `needle` at `offset` in the string `where` locates."""
        severity = Severity.WARNING if cap else finding.severity
        if code == "ARG120" and severity is Severity.WARNING:
            code = "ARG121"
        span = where.span(needle, offset)
        self.out.append(diagnostic_at(self.doc, span, code, finding.message, hint=finding.hint, severity=severity))


def scan(emit: Emitter, node: Any, path: PathKey, scope: Scope, *, skip: frozenset[str] = frozenset(),
         cap: bool = False, suppress: frozenset[PathKey] = frozenset()) -> None:
    """Check every `{{...}}` under `node` against `scope` (resolveAllVariables over the JSON of `node`)."""
    scan_strings(emit, tagged_strings(node, path, skip), scope, cap=cap, suppress=suppress)


def tagged_strings(node: Any, path: PathKey, skip: frozenset[str] = frozenset()) -> list[tuple[PathKey, str]]:
    """The strings under `node` that `scan` looks at (those with `{{`), with their paths."""
    return iter_strings(node, path, skip, "{{")


def scan_strings(emit: Emitter, strings: list[tuple[PathKey, str]], scope: Scope, *, cap: bool = False,
                 suppress: frozenset[PathKey] = frozenset()) -> None:
    """`scan` over strings already collected by `tagged_strings`."""
    for path, text in strings:
        if path in suppress:
            continue
        where = ScalarLocator(emit.doc, path, text)  # one per string: its tags are located in order, linearly
        for tag in find_tags(text):
            if not tag.closed:
                emit.finding("ARG122", Finding(Severity.WARNING, "'{{' without a closing '}}'",
                                               "Argo pairs it with the next '}}' it finds"), where, "{{",
                             tag.start, cap=True)
            elif tag.is_expression:
                _scan_expression(emit, tag.inner, tag.start + 2, where, scope)
            else:
                finding = scope.check(tag.inner)
                if finding is not None:
                    emit.finding("ARG120", finding, where, tag.text, tag.start, cap=cap)


def _scan_expression(emit: Emitter, expr: str, base: int, where: ScalarLocator, scope: Scope) -> None:
    """Light check of names inside `{{= }}` (Argo's validator skips expressions, so only warnings)."""
    for m in _EXPR_REF.finditer(expr):
        root, name = m.group(1), m.group(2) or m.group(3)
        known = _expression_names(root, scope)
        if known is None or name in known or (root == "workflow.parameters" and name == "json"):
            continue
        what = {"inputs.parameters": "input parameter", "workflow.parameters": "workflow parameter",
                "steps": "step", "tasks": "task"}[root]
        emit.finding("ARG123", Finding(Severity.WARNING, f"expression refers to unknown {what} '{name}'",
                                       did_you_mean(name, known)), where, m.group(0), base + m.start())


def _expression_names(root: str, scope: Scope) -> set[str] | None:
    from argonb.spec.scope import DagNodes, StepNodes

    if root == "inputs.parameters":
        return set(scope.tmpl.input_params) | set(scope.extra_inputs)
    if root == "workflow.parameters":
        return None if scope.globals.any_params else set(scope.globals.params)
    if root == "steps":
        return set(scope.nodes.order) if isinstance(scope.nodes, StepNodes) else None
    return set(scope.nodes.producers) if isinstance(scope.nodes, DagNodes) else None


def check_names(emit: Emitter, items: Any, path: PathKey, kind: str, *, require: bool) -> None:
    """validateWorkflowFieldNames: names present (when the schema does not already say so), valid, unique."""
    seen: dict[str, int] = {}
    pattern = PARAM_NAME if kind in ("parameter", "artifact") else FIELD_NAME
    for i, item in enumerate(as_list(items)):
        if not isinstance(item, dict):
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name:
            if require:
                emit.at("ARG106", f"{kind} name is required", (*path, i))
            continue
        if not is_templated(name) and (not pattern.match(name) or len(name) > 128):
            rule = ("alphanumerics, '_' or '-'" if pattern is PARAM_NAME
                    else "alphanumerics or '-', starting with an alphanumeric, at most 128 characters")
            emit.at("ARG106", f"invalid {kind} name '{name}': must be {rule}", (*path, i, "name"))
        if name in seen:
            first = emit.doc.span((*path, seen[name], "name")).line
            emit.at("ARG105", f"duplicate {kind} name '{name}'", (*path, i, "name"),
                    hint=f"first defined on line {first}")
        else:
            seen[name] = i


def check_arguments(emit: Emitter, args: Any, path: PathKey, *, allow_empty: bool) -> None:
    """validateArguments: names, and every parameter has a value (unless allowed empty) and a valid valueFrom."""
    args = as_map(args)
    params, arts = as_list(args.get("parameters")), as_list(args.get("artifacts"))
    if params:  # (called for every step and task: skip the name checks of empty lists)
        check_names(emit, params, (*path, "parameters"), "parameter", require=False)
    if arts:
        check_names(emit, arts, (*path, "artifacts"), "artifact", require=False)
    for i, param in enumerate(params):
        if isinstance(param, dict):
            _check_argument_param(emit, param, (*path, "parameters", i), allow_empty)
    for i, art in enumerate(arts):
        if not isinstance(art, dict):
            continue
        where, name = (*path, "artifacts", i), as_str(art.get("name"))
        if art.get("from") and art.get("fromExpression"):
            emit.at("ARG131", f"artifact argument '{name}' has both 'from' and 'fromExpression'", where)
        elif not art.get("from") and not any(art.get(k) is not None for k in LOCATION_KEYS):
            emit.at("ARG131", f"artifact argument '{name}' needs 'from', an artifact location, or a key", where)


def _check_argument_param(emit: Emitter, param: dict, where: PathKey, allow_empty: bool) -> None:
    name, value, vf = as_str(param.get("name")), param.get("value"), param.get("valueFrom")
    if value is None and vf is None and not allow_empty:
        emit.at("ARG131", f"argument '{name}' needs a value or valueFrom", where,
                hint=f"add value: ... to argument '{name}'")
    if isinstance(vf, dict) and (not any(vf.get(k) for k in ("configMapKeyRef", "event"))
                                 and vf.get("supplied") is None
                                 or any(vf.get(k) for k in ("path", "jsonPath", "parameter", "expression"))):
        emit.at("ARG131", f"argument '{name}': valueFrom only allows default, configMapKeyRef, event and supplied "
                "here", (*where, "valueFrom"), key=True)
    enum = param.get("enum")
    if isinstance(enum, list):
        if not enum:
            emit.at("ARG131", f"argument '{name}': enum should contain at least one value", (*where, "enum"), key=True)
        elif value is None:
            if not allow_empty:
                emit.at("ARG131", f"argument '{name}' has an enum but no value", where)
        elif _anystr(value) not in {_anystr(v) for v in enum}:
            emit.at("ARG131", f"argument '{name}': value '{_anystr(value)}' is not one of its enum values",
                    (*where, "value"), hint=did_you_mean(_anystr(value), [_anystr(v) for v in enum]))


def _anystr(value: Any) -> str:
    """wfv1.AnyString text of a YAML scalar (Go formats bools lowercase, floats without trailing zeros)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def has_exit_hook(holder: dict) -> bool:
    return "exit" in as_map(holder.get("hooks")) or bool(holder.get("onExit"))


class SpecChecker:
    """All rules of one spec; templates are checked by TemplateChecker / argonb.spec.flows."""

    def __init__(self, spec: SpecCtx, registry: Registry, outputs: GlobalOutputs, out: list[Diagnostic]):
        self.spec, self.registry, self.outputs = spec, registry, outputs
        self.emit = Emitter(spec, out)
        self.ref_spec: SpecCtx | None = None
        self.globals = Globals()
        self.reachable: set[str] = set()
        self._flags: dict[Tmpl, tuple[bool, bool]] = {}

    def run(self) -> None:
        from argonb.spec.flows import TemplateChecker

        self.ref_spec = self._workflow_template_ref()
        self.globals = self._build_globals()
        check_names(self.emit, self.spec.data.get("templates"), (*self.spec.path, "templates"), "template",
                    require=True)
        self._check_spec_arguments()
        entry = self._entrypoint()
        self._on_exit()
        self._workflow_hooks()
        self._pod_gc()
        self.reachable = self._reachable_from(entry)
        for tmpl in self.spec.template_list:
            TemplateChecker(self, tmpl).run()

    # --- spec-level rules -------------------------------------------------------------------------------

    def _workflow_template_ref(self) -> SpecCtx | None:
        ref = self.spec.data.get("workflowTemplateRef")
        if not isinstance(ref, dict):
            return None
        path = (*self.spec.path, "workflowTemplateRef")
        if self.spec.data.get("templates"):
            self.emit.at("ARG153", "spec.templates cannot be used together with spec.workflowTemplateRef",
                         (*self.spec.path, "templates"), key=True)
        name, cluster = as_str(ref.get("name")), ref.get("clusterScope") is True
        if not name or is_templated(name):
            return None
        found = self.registry.lookup(name, cluster)
        if found is None:
            self._ref_not_local(name, cluster, (*path, "name"))
        return found

    def _ref_not_local(self, name: str, cluster: bool, path: PathKey) -> None:
        kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
        hint = ""
        if self.registry.lookup(name, not cluster) is not None:
            hint = "set clusterScope: true" if not cluster else "it is a WorkflowTemplate: drop clusterScope"
        else:
            known = self.registry.cluster if cluster else self.registry.namespaced
            hint = did_you_mean(name, known) or "pass the file that defines it (e.g. --templates DIR)"
        self.emit.at("ARG102", f"{kind} '{name}' is not among the linted files; it must exist on the cluster",
                     path, hint=hint, warning=True)

    def _build_globals(self) -> Globals:
        spec, g = self.spec, Globals()
        g.exact = {f"workflow.{k}" for k in ("name", "namespace", "mainEntrypoint", "serviceAccountName", "uid",
                                             "status")}
        params = list(self._merged_arguments()[0])
        if params:
            g.exact |= {"workflow.parameters", "workflow.parameters.json"}
            g.exact |= {f"workflow.parameters.{p}" for p in params}
        g.params, g.any_params = params, spec.is_template_kind
        for what, keys in (("labels", self._meta_keys("labels")), ("annotations", self._meta_keys("annotations"))):
            g.exact |= {f"workflow.{what}", f"workflow.{what}.json"} | {f"workflow.{what}.{k}" for k in keys}
        specs = [s for s in (spec, self.ref_spec) if s is not None]
        if any(s.data.get("priority") is not None for s in specs):
            g.exact.add("workflow.priority")
        g.failures = any(bool(s.data.get("onExit")) for s in specs)
        if g.failures:
            g.exact.add("workflow.failures")
        g.exact |= {f"workflow.outputs.parameters.{n}" for n in self.outputs.params}
        g.exact |= {f"workflow.outputs.artifacts.{n}" for n in self.outputs.artifacts}
        g.any_output_params, g.any_output_artifacts = self.outputs.any_params, self.outputs.any_artifacts
        return g

    def _meta_keys(self, what: str) -> set[str]:
        keys = set(as_map(as_map(as_map(self.spec.doc.data).get("metadata")).get(what)))
        for s in (self.spec, self.ref_spec):
            meta = as_map(s.data.get("workflowMetadata")) if s is not None else {}
            keys |= set(as_map(meta.get(what)))
            if what == "labels":
                keys |= set(as_map(meta.get("labelsFrom")))
        return {str(k) for k in keys}

    def _merged_arguments(self) -> tuple[dict[str, dict], dict[str, dict]]:
        """util.MergeParameters: the Workflow's arguments win over the referenced template's, by name."""
        mine = as_map(self.spec.data.get("arguments"))
        theirs = as_map(self.ref_spec.data.get("arguments")) if self.ref_spec else {}
        params = {**named(theirs.get("parameters")), **named(mine.get("parameters"))}
        arts = {**named(theirs.get("artifacts")), **named(mine.get("artifacts"))}
        return params, arts

    def _check_spec_arguments(self) -> None:
        # Lint and WorkflowTemplate validation allow empty values; a CronWorkflow is validated as submitted.
        allow_empty = self.spec.kind != "CronWorkflow"
        check_arguments(self.emit, self.spec.data.get("arguments"), (*self.spec.path, "arguments"),
                        allow_empty=allow_empty)

    def _entrypoint(self) -> Tmpl | None:
        spec, path = self.spec, (*self.spec.path, "entrypoint")
        entry = as_str(spec.data.get("entrypoint"))
        owner = spec
        if spec.data.get("workflowTemplateRef") is not None:
            if self.ref_spec is None:
                return None
            owner = self.ref_spec
            entry = entry or as_str(self.ref_spec.data.get("entrypoint"))
        if not entry:
            if not spec.is_template_kind and spec.data.get("workflowTemplateRef") is None:
                self.emit.at("ARG100", "spec.entrypoint is required", spec.path, key=True,
                             hint=did_you_mean("", spec.templates) or "name the template to run first")
            return None
        target = owner.templates.get(entry)
        if target is None:
            where = f" of {owner.kind} '{owner.name}'" if owner is not spec else ""
            self.emit.at("ARG100", f"entrypoint '{entry}' is not a template{where}", path,
                         hint=did_you_mean(entry, owner.templates))
            return None
        if not spec.is_template_kind:
            params, arts = self._merged_arguments()
            self._check_workflow_call(target, params, arts, path, "the entrypoint")
        return target

    def _check_workflow_call(self, target: Tmpl, params: dict[str, dict], arts: dict[str, dict], path: PathKey,
                             label: str) -> None:
        """ProcessArgs with spec.arguments: inputs without default must be given a value by the workflow."""
        for name in target.required_input_params:
            arg = params.get(name)
            if arg is None:
                self.emit.at("ARG130", f"input parameter '{name}' of {label} template '{target.name}' is not "
                             "supplied by spec.arguments.parameters", path,
                             hint=did_you_mean(name, params) or "add it to spec.arguments.parameters or give "
                             "it a default")
            elif arg.get("value") is None and arg.get("valueFrom") is None and self.spec.kind == "Workflow":
                self.emit.at("ARG133", f"workflow parameter '{name}' has no value: it must be given when the "
                             f"workflow is submitted (-p {name}=...)", path, warning=True)
        self._check_artifact_inputs(target, arts, path, label)

    def _check_artifact_inputs(self, target: Tmpl, arts: dict[str, dict], path: PathKey, label: str) -> None:
        for name in target.required_input_artifacts:
            if name not in arts:
                self.emit.at("ARG132", f"input artifact '{name}' of {label} template '{target.name}' is not "
                             "supplied", path, hint=did_you_mean(name, arts) or "pass it in arguments.artifacts or "
                             "mark it optional: true")

    def _on_exit(self) -> None:
        name = self.spec.data.get("onExit")
        if not isinstance(name, str) or not name:
            return
        owner = self.ref_spec if self.spec.data.get("workflowTemplateRef") is not None else self.spec
        if owner is None:
            return
        path = (*self.spec.path, "onExit")
        target = owner.templates.get(name)
        if target is None:
            self.emit.at("ARG101", f"onExit template '{name}' is not defined", path,
                         hint=did_you_mean(name, owner.templates))
        elif not self.spec.is_template_kind:
            params, arts = self._merged_arguments()
            self._check_workflow_call(target, params, arts, path, "the exit handler")

    def _workflow_hooks(self) -> None:
        hooks = self.spec.data.get("hooks")
        for name, hook in as_map(hooks).items():
            path = (*self.spec.path, "hooks", name)
            if not isinstance(hook, dict):
                continue
            if name != "exit" and not hook.get("expression"):
                self.emit.at("ARG152", f"hook '{name}' needs an expression (only the exit hook may omit it)", path,
                             key=True)
            target = self.resolve(hook, path)[0]
            if target is not None:
                self.check_call(target, hook, path)

    def _pod_gc(self) -> None:
        strategy = as_map(self.spec.data.get("podGC")).get("strategy")
        if isinstance(strategy, str) and strategy and strategy not in POD_GC_STRATEGIES:
            self.emit.at("ARG172", f"podGC.strategy '{strategy}' is unknown", (*self.spec.path, "podGC", "strategy"),
                         hint=did_you_mean(strategy, POD_GC_STRATEGIES) or ", ".join(POD_GC_STRATEGIES))

    def _reachable_from(self, entry: Tmpl | None) -> set[str]:
        """Templates the entrypoint runs (through template: names of steps, tasks and inline bodies)."""
        seen: set[str] = set()
        stack = [entry] if entry is not None and entry.owner is self.spec else []
        while stack:
            tmpl = stack.pop()
            if tmpl.name in seen:
                continue
            seen.add(tmpl.name)
            for holder in _holders(tmpl.data):
                target = self.spec.templates.get(as_str(holder.get("template")))
                if target is not None:
                    stack.append(target)
        return seen

    # --- shared by templates, steps and tasks -----------------------------------------------------------

    def resolve(self, holder: dict, path: PathKey) -> tuple[Tmpl | None, bool]:
        """The template a step/task/hook calls, and whether it is known (False: skip checks against it)."""
        template = holder.get("template") not in (None, "")
        ref = holder.get("templateRef") not in (None, "")
        inline = holder.get("inline") not in (None, "")
        if template and ref:
            self.emit.at("ARG104", "set either template or templateRef, not both", (*path, "templateRef"), key=True)
        if not (template or ref or inline):
            self.emit.at("ARG104", "no template to run: set template, templateRef or inline", path)
            return None, False
        if isinstance(holder.get("inline"), dict):
            return Tmpl(holder["inline"], (*path, "inline"), self.spec), True
        if isinstance(holder.get("templateRef"), dict):
            return self._resolve_ref(holder["templateRef"], (*path, "templateRef"))
        name = as_str(holder.get("template"))
        target = self.spec.templates.get(name)
        if target is None and name:
            self.emit.at("ARG101", f"template '{name}' is not defined", (*path, "template"),
                         hint=did_you_mean(name, self.spec.templates))
        return target, target is not None

    def _resolve_ref(self, ref: dict, path: PathKey) -> tuple[Tmpl | None, bool]:
        name, template = as_str(ref.get("name")), as_str(ref.get("template"))
        if not name or not template:
            return None, False  # reported as missing required fields by the structural pass
        if is_templated(name) or is_templated(template):
            return None, False  # resolved at runtime; Argo skips it too
        cluster = ref.get("clusterScope") is True
        owner = self.registry.lookup(name, cluster)
        if owner is None:
            self._ref_not_local(name, cluster, (*path, "name"))
            return None, False
        target = owner.templates.get(template)
        if target is None:
            self.emit.at("ARG103", f"{owner.kind} '{name}' has no template '{template}'", (*path, "template"),
                         hint=did_you_mean(template, owner.templates))
        return target, target is not None

    def check_call(self, target: Tmpl, holder: dict, path: PathKey) -> None:
        """ProcessArgs for a step/task/hook: every input without a default must come from its arguments."""
        args = as_map(holder.get("arguments"))
        params, arts = named(args.get("parameters")), named(args.get("artifacts"))
        where = (*path, "arguments") if "arguments" in holder else path
        for name in target.required_input_params:
            if name in params:
                continue
            spare = [p for p in params if p not in target.input_params]
            self.emit.at("ARG130", f"input parameter '{name}' of {_call_label(target)} is not supplied", where,
                         key=True, hint=did_you_mean(name, spare) or "pass it in arguments.parameters or give it a "
                         "default")
        for name in params:
            if name not in target.input_params and target.name:
                i = next(i for i, p in enumerate(as_list(args.get("parameters")))
                         if as_map(p).get("name") == name)
                self.emit.at("ARG134", f"argument '{name}' is not an input parameter of {_call_label(target)} and "
                             "is ignored", (*path, "arguments", "parameters", i, "name"), warning=True,
                             hint=did_you_mean(name, target.input_params))
        self._check_artifact_inputs(target, arts, where, "")

    def scope_for(self, tmpl: Tmpl, **kwargs: Any) -> Scope:
        in_exit, retry = self._template_flags(tmpl)
        return Scope(tmpl, self.globals, in_exit_path=in_exit, retry=retry, **kwargs)

    def _template_flags(self, tmpl: Tmpl) -> tuple[bool, bool]:
        """(not run from the entrypoint, has a retryStrategy); asked for every step and task, so memoised."""
        flags = self._flags.get(tmpl)
        if flags is None:
            retry = tmpl.data.get("retryStrategy") is not None or self.spec.data.get("retryStrategy") is not None
            flags = self._flags[tmpl] = (not tmpl.name or tmpl.name not in self.reachable, retry)
        return flags


def _call_label(target: Tmpl) -> str:
    return f"template '{target.name}'" if target.name else "the inline template"


def _holders(tmpl: dict) -> list[dict]:
    """Steps and DAG tasks of a template (malformed entries skipped)."""
    out = [s for group in as_list(tmpl.get("steps")) for s in as_list(group) if isinstance(s, dict)]
    out += [t for t in as_list(as_map(tmpl.get("dag")).get("tasks")) if isinstance(t, dict)]
    return out


def template_type_list() -> str:
    return ", ".join(TYPE_KEYS)
