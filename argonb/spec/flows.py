"""Per-template rules, and the bodies of steps and DAG templates (validate.go validateTemplate,
validateLeaf, validateSteps, validateDAG, validateOutputs; ARGO-SEMANTICS.md §2, §3, §5, §6.3, §9).

Owns: `TemplateChecker` (type, timeouts, inputs/outputs, leaf rules, variable scan), `StepsChecker` and
`DagChecker` (names, calls, loops, arguments, hooks, `depends`, cycles, targets, and the per-step/per-task
variable scopes). Imports: stdlib, argonb.spec.{catalog,depends,scope,semantics,source,suggest,tags}.
"""

from __future__ import annotations

from typing import Any

from argonb.spec.catalog import Tmpl, as_list, as_map, as_str, is_templated, named
from argonb.spec.depends import ITEM_RESULTS, RESULTS, parse_depends
from argonb.spec.scope import DagNodes, Producer, StepNodes, is_aggregate, loop_of
from argonb.spec.semantics import (
    GO_DURATION,
    RESOURCE_ACTIONS,
    RETRY_POLICIES,
    SpecChecker,
    check_arguments,
    check_names,
    has_exit_hook,
    scan,
    scan_strings,
    tagged_strings,
    template_type_list,
)
from argonb.spec.source import PathKey
from argonb.spec.suggest import did_you_mean
from argonb.spec.tags import ScalarLocator, diagnostic_at, locate

_LOOP_KEYS = ("withItems", "withParam", "withSequence")
_SKIP_INLINE = frozenset({"inline"})  # an inline body is scanned as a template of its own
_NO_NAMES: frozenset[str] = frozenset()
_NO_PATHS: frozenset[PathKey] = frozenset()


def _inline_inputs(holder: dict) -> frozenset[str]:
    """Input parameter names of a step's/task's inline template (validateSteps adds them to the scope)."""
    inline = holder.get("inline")
    if inline is None:  # the usual case: skip building empty containers per step/task
        return _NO_NAMES
    return frozenset(named(as_map(as_map(inline).get("inputs")).get("parameters")))


class TemplateChecker:
    """Rules of one template; steps/DAG bodies are delegated."""

    def __init__(self, spec: SpecChecker, tmpl: Tmpl):
        self.spec, self.tmpl, self.emit = spec, tmpl, spec.emit

    @property
    def label(self) -> str:
        return f"template '{self.tmpl.name}'" if self.tmpl.name else "inline template"

    def run(self) -> None:
        t = self.tmpl
        self._type()
        self._timeouts()
        self._leaf_only_fields()
        self._retry_policy()
        self._inputs()
        self._outputs()
        if t.type == "steps":
            StepsChecker(self).run()
        elif t.type == "dag":
            DagChecker(self).run()
        else:
            self._leaf_rules()
            scan(self.emit, t.data, t.path, self.spec.scope_for(t))

    def _type(self) -> None:
        t = self.tmpl
        if not t.types:
            where = (*t.path, "name") if t.name else t.path
            self.emit.at("ARG107", f"{self.label} has no type", where, key=bool(t.name),
                         hint=f"set exactly one of: {template_type_list()}")
        elif len(t.types) > 1:
            self.emit.at("ARG107", f"{self.label} has several types ({', '.join(t.types)})",
                         (*t.path, t.types[1]), key=True, hint="a template runs exactly one thing; split it")

    def _timeouts(self) -> None:
        t, data = self.tmpl, self.tmpl.data
        for key in ("timeout", "pendingTimeout"):
            value = data.get(key)
            if not isinstance(value, str) or not value:
                continue
            if t.types and not t.is_leaf:
                self.emit.at("ARG108", f"{t.type} templates do not support {key}", (*t.path, key), key=True)
            elif not is_templated(value) and _atoi(value) is not None:
                self.emit.at("ARG108", f"{self.label}: {key} '{value}' has no unit", (*t.path, key),
                             hint=f"use a duration such as '{value.strip()}s'")
            elif not is_templated(value) and not GO_DURATION.match(value.strip()):
                self.emit.at("ARG108", f"{self.label}: {key} '{value}' is not a duration", (*t.path, key),
                             hint="e.g. 30s, 5m, 1h30m", warning=True)

    def _leaf_only_fields(self) -> None:
        t, data = self.tmpl, self.tmpl.data
        if not t.types:
            return
        deadline = data.get("activeDeadlineSeconds")
        if deadline is not None and not t.is_leaf:
            self.emit.at("ARG108", "activeDeadlineSeconds is only valid for leaf templates",
                         (*t.path, "activeDeadlineSeconds"), key=True)
        elif isinstance(deadline, str) and not is_templated(deadline) and (_atoi(deadline) or -1) < 0:
            self.emit.at("ARG108", "activeDeadlineSeconds must be a positive integer or an argo variable",
                         (*t.path, "activeDeadlineSeconds"))
        elif isinstance(deadline, int) and deadline < 0:
            self.emit.at("ARG108", "activeDeadlineSeconds must be a positive integer",
                         (*t.path, "activeDeadlineSeconds"))
        if data.get("parallelism") is not None and t.is_leaf:
            self.emit.at("ARG108", "parallelism is only valid for steps and dag templates",
                         (*t.path, "parallelism"), key=True)

    def _retry_policy(self) -> None:
        policy = as_map(self.tmpl.data.get("retryStrategy")).get("retryPolicy")
        if isinstance(policy, str) and policy and policy not in RETRY_POLICIES and not is_templated(policy):
            self.emit.at("ARG151", f"'{policy}' is not a valid retryPolicy",
                         (*self.tmpl.path, "retryStrategy", "retryPolicy"),
                         hint=did_you_mean(policy, RETRY_POLICIES) or ", ".join(RETRY_POLICIES))

    def _inputs(self) -> None:
        t = self.tmpl
        base = (*t.path, "inputs")
        inputs = as_map(t.data.get("inputs"))
        check_names(self.emit, inputs.get("parameters"), (*base, "parameters"), "parameter", require=False)
        check_names(self.emit, inputs.get("artifacts"), (*base, "artifacts"), "artifact", require=False)
        for i, art in enumerate(as_list(inputs.get("artifacts"))):
            art = as_map(art)
            if art.get("path") and t.types and not t.is_leaf:
                self.emit.at("ARG141", f"input artifact '{as_str(art.get('name'))}': path is only valid in "
                             "container/script templates", (*base, "artifacts", i, "path"), key=True)
            if art.get("from"):
                self.emit.at("ARG141", "'from' is not valid in inputs (use it in arguments)",
                             (*base, "artifacts", i, "from"), key=True)

    def _outputs(self) -> None:
        t = self.tmpl
        base = (*t.path, "outputs")
        outputs = as_map(t.data.get("outputs"))
        check_names(self.emit, outputs.get("parameters"), (*base, "parameters"), "parameter", require=False)
        check_names(self.emit, outputs.get("artifacts"), (*base, "artifacts"), "artifact", require=False)
        for i, param in enumerate(as_list(outputs.get("parameters"))):
            if isinstance(param, dict):
                self._output_param(param, (*base, "parameters", i))
        for i, art in enumerate(as_list(outputs.get("artifacts"))):
            if as_map(art).get("path") and t.types and not t.is_leaf:
                self.emit.at("ARG141", f"output artifact '{as_str(art.get('name'))}': path is only valid in "
                             "container/script templates", (*base, "artifacts", i, "path"), key=True)

    def _output_param(self, param: dict, where: PathKey) -> None:
        """validateOutputParameter + the per-type valueFrom rules of validateOutputs."""
        name, vf, t = as_str(param.get("name")), param.get("valueFrom"), self.tmpl
        if vf is not None and param.get("value") is not None:
            self.emit.at("ARG140", f"output parameter '{name}' has both value and valueFrom", where)
            return
        if vf is None:
            if param.get("value") is None:
                self.emit.at("ARG140", f"output parameter '{name}' needs valueFrom (or value)", where)
            elif t.type in ("steps", "dag"):
                # validate.go lets this through, but the controller fails the node (getTemplateOutputsFromScope).
                self.emit.at("ARG140", f"output parameter '{name}' of a {t.type} template must use valueFrom",
                             (*where, "value"), key=True, hint="valueFrom: {parameter: ...} or {expression: ...}")
            return
        vf = as_map(vf)
        kinds = [k for k in ("path", "jqFilter", "jsonPath", "parameter", "expression") if vf.get(k)]
        kinds += ["supplied"] if vf.get("supplied") is not None else []
        vwhere = (*where, "valueFrom")
        if not kinds:
            self.emit.at("ARG140", f"output parameter '{name}': valueFrom names no source", vwhere, key=True,
                         hint="one of path, jqFilter, jsonPath, parameter, expression, supplied")
        elif len(kinds) > 1:
            self.emit.at("ARG140", f"output parameter '{name}': valueFrom has several sources ({', '.join(kinds)})",
                         vwhere, key=True)
        else:
            self._output_source(name, kinds[0], vwhere)

    def _output_source(self, name: str, kind: str, where: PathKey) -> None:
        t = self.tmpl
        need = {"container": ("path",), "containerSet": ("path",), "script": ("path",),
                "resource": ("jqFilter", "jsonPath"), "steps": ("parameter", "expression"),
                "dag": ("parameter", "expression")}.get(t.type)
        if need and kind not in need:
            self.emit.at("ARG140", f"output parameter '{name}' of a {t.type} template needs valueFrom."
                         f"{' or '.join(need)}", where, key=True)

    def _leaf_rules(self) -> None:
        t, data = self.tmpl, self.tmpl.data
        defaults = as_map(self.spec.spec.data.get("templateDefaults"))
        for kind in ("container", "script"):
            body = data.get(kind)
            if isinstance(body, dict) and not body.get("image") and not as_map(defaults.get(kind)).get("image"):
                self.emit.at("ARG170", f"{self.label}: {kind}.image may not be empty", (*t.path, kind), key=True)
        self._resource(as_map(data.get("resource")))
        self._mounts()
        container_set = as_map(data.get("containerSet"))
        if container_set and (t.input_artifacts or t.output_params or t.output_artifacts) and \
                "main" not in named(container_set.get("containers")):
            self.emit.at("ARG170", f"{self.label}: containerSet needs a container named 'main' for inputs/outputs",
                         (*t.path, "containerSet"), key=True)

    def _resource(self, res: dict) -> None:
        if not res:
            return
        path = (*self.tmpl.path, "resource")
        action = res.get("action")
        if isinstance(action, str) and not is_templated(action) and action not in RESOURCE_ACTIONS:
            self.emit.at("ARG171", f"resource.action '{action}' must be one of {', '.join(RESOURCE_ACTIONS)}",
                         (*path, "action"), hint=did_you_mean(action, RESOURCE_ACTIONS))
        if action not in ("get", "delete"):
            if not res.get("manifest") and res.get("manifestFrom") is None:
                self.emit.at("ARG171", "resource needs a manifest or manifestFrom", path, key=True)
            elif res.get("manifest") and res.get("manifestFrom") is not None:
                self.emit.at("ARG171", "resource cannot have both manifest and manifestFrom", path, key=True)

    def _mounts(self) -> None:
        t = self.tmpl
        container = as_map(t.data.get("container"))
        seen: dict[str, str] = {}
        for i, mount in enumerate(as_list(container.get("volumeMounts"))):
            mount_path = as_map(mount).get("mountPath")
            if isinstance(mount_path, str) and mount_path in seen:
                self.emit.at("ARG173", f"mountPath '{mount_path}' is already mounted by {seen[mount_path]}",
                             (*t.path, "container", "volumeMounts", i, "mountPath"))
            elif isinstance(mount_path, str):
                seen[mount_path] = f"volume '{as_str(as_map(mount).get('name'))}'"
        if not container:
            return
        for i, art in enumerate(as_list(as_map(t.data.get("inputs")).get("artifacts"))):
            art_path = as_map(art).get("path")
            if isinstance(art_path, str) and art_path in seen:
                self.emit.at("ARG173", f"input artifact path '{art_path}' is already mounted by {seen[art_path]}",
                             (*t.path, "inputs", "artifacts", i, "path"))
            elif isinstance(art_path, str):
                seen[art_path] = f"input artifact '{as_str(as_map(art).get('name'))}'"


def _atoi(text: str) -> int | None:
    """Go strconv.Atoi: optional sign and decimal digits only."""
    body = text[1:] if text[:1] in "+-" else text
    return int(text) if body.isdigit() and body.isascii() else None


class _BodyChecker:
    """What steps and DAG bodies share: calls, loops, arguments and hooks of one step/task."""

    def __init__(self, parent: TemplateChecker):
        self.parent, self.spec, self.tmpl, self.emit = parent, parent.spec, parent.tmpl, parent.emit

    def call(self, holder: dict, path: PathKey) -> Producer:
        """Resolve and check one step/task: target, loops, arguments, hooks, inline body, inputs supplied."""
        target, known = self.spec.resolve(holder, path)
        self.loops(holder, path)
        check_arguments(self.emit, holder.get("arguments"), (*path, "arguments"), allow_empty=False)
        self.hooks(holder, path)
        if isinstance(holder.get("inline"), dict) and target is not None:
            TemplateChecker(self.spec, target).run()
        if target is not None:
            self.spec.check_call(target, holder, path)
        return Producer(as_str(holder.get("name")), target, is_aggregate(holder), known)

    def loops(self, holder: dict, path: PathKey) -> None:
        if holder.keys().isdisjoint(_LOOP_KEYS):  # the usual case: nothing to check
            return
        kinds = [k for k in _LOOP_KEYS if holder.get(k) not in (None, "", [])]
        if len(kinds) > 1:
            self.emit.at("ARG150", f"only one of withItems, withParam, withSequence can be used (found "
                         f"{', '.join(kinds)})", (*path, kinds[1]), key=True)
        seq = as_map(holder.get("withSequence"))
        if seq.get("count") is not None and seq.get("end") is not None:
            self.emit.at("ARG150", "withSequence takes count or end, not both", (*path, "withSequence", "end"),
                         key=True, hint="count: N gives start..start+N-1; end: M gives start..M")

    def hooks(self, holder: dict, path: PathKey) -> None:
        for name, hook in as_map(holder.get("hooks")).items():
            where = (*path, "hooks", name)
            if not isinstance(hook, dict):
                continue
            if name != "exit" and not hook.get("expression"):
                self.emit.at("ARG152", f"hook '{name}' needs an expression (only the exit hook may omit it)", where,
                             key=True)
            target = self.spec.resolve(hook, where)[0]
            if target is not None:
                self.spec.check_call(target, hook, where)
        on_exit = holder.get("onExit")
        if isinstance(on_exit, str) and on_exit and on_exit not in self.spec.spec.templates:
            self.emit.at("ARG101", f"onExit template '{on_exit}' is not defined", (*path, "onExit"),
                         hint=did_you_mean(on_exit, self.spec.spec.templates))

    def scan_outside(self, skip: str) -> None:
        """Fields of the steps/DAG template other than its body: Argo does not check them; warn only."""
        t = self.tmpl
        scan(self.emit, t.data, t.path, self.spec.scope_for(t), skip=frozenset({skip, "outputs"}), cap=True)


class StepsChecker(_BodyChecker):
    def run(self) -> None:
        t = self.tmpl
        steps: list[tuple[dict, PathKey, int]] = []
        for g, group in enumerate(as_list(t.data.get("steps"))):
            for i, step in enumerate(as_list(group)):
                if isinstance(step, dict):
                    steps.append((step, (*t.path, "steps", g, i), g))
        self._names(steps)
        order = {}
        for pos, (step, _, g) in enumerate(steps):
            order.setdefault(as_str(step.get("name")), (g, pos))
        nodes = StepNodes(t.name, order, {})
        looped = False
        for step, path, _ in steps:
            name = as_str(step.get("name"))
            producer = self.call(step, path)
            nodes.producers.setdefault(name, producer)
            nodes.current, nodes.current_exit_hook = name, has_exit_hook(step)
            strings = tagged_strings(step, path, _SKIP_INLINE)
            if strings:  # most steps have nothing to resolve: only then build their scope
                scope = self.spec.scope_for(t, loop=loop_of(step), leaked_loop=looped,
                                            extra_inputs=_inline_inputs(step), nodes=nodes)
                scan_strings(self.emit, strings, scope)
            looped = looped or loop_of(step) is not None
        nodes.current = ""
        scan(self.emit, t.data.get("outputs"), (*t.path, "outputs"), self.spec.scope_for(t, nodes=nodes))
        self.scan_outside("steps")

    def _names(self, steps: list[tuple[dict, PathKey, int]]) -> None:
        seen: dict[str, PathKey] = {}
        for step, path, _ in steps:
            name = step.get("name")
            if not isinstance(name, str) or not name:
                self.emit.at("ARG106", "step name is required", path)
                continue
            if not is_templated(name) and not _valid_field_name(name):
                self.emit.at("ARG106", f"invalid step name '{name}': must be alphanumerics or '-', starting with an "
                             "alphanumeric", (*path, "name"))
            if name in seen:
                self.emit.at("ARG105", f"duplicate step name '{name}' in {self.parent.label}", (*path, "name"),
                             hint=f"first defined on line {self.emit.doc.span((*seen[name], 'name')).line}")
            else:
                seen[name] = path


def _valid_field_name(name: str) -> bool:
    from argonb.spec.semantics import FIELD_NAME

    return bool(FIELD_NAME.match(name)) and len(name) <= 128


class DagChecker(_BodyChecker):
    def run(self) -> None:
        t = self.tmpl
        dag_path = (*t.path, "dag")
        tasks = [(task, (*dag_path, "tasks", i)) for i, task in enumerate(as_list(as_map(t.data["dag"]).get("tasks")))
                 if isinstance(task, dict)]
        if not tasks:
            self.emit.at("ARG116", f"{self.parent.label}: a dag needs at least one task", dag_path, key=True)
            return
        check_names(self.emit, as_map(t.data["dag"]).get("tasks"), (*dag_path, "tasks"), "task", require=False)
        by_name = {}
        for task, path in tasks:
            by_name.setdefault(as_str(task.get("name")), (task, path))
        deps = self._dependencies(tasks, by_name)
        self._cycles(tasks, deps, by_name)
        self._target(dag_path, by_name)
        producers: dict[str, Producer] = {}  # in by_name's order; the last task of a duplicated name wins
        for task, path in tasks:
            producers[as_str(task.get("name"))] = self.call(task, path)
        nodes = DagNodes(t.name, producers, deps, {n for n, (tk, _) in by_name.items() if tk.get("hooks")},
                         {n for n, (tk, _) in by_name.items() if has_exit_hook(tk)})
        for task, path in tasks:
            nodes.current = as_str(task.get("name"))
            suppress = self._argument_dependencies(task, path, nodes)
            strings = tagged_strings(task, path, _SKIP_INLINE)
            if strings:  # most tasks have nothing to resolve: only then build their scope
                scope = self.spec.scope_for(t, loop=loop_of(task), extra_inputs=_inline_inputs(task), nodes=nodes)
                scan_strings(self.emit, strings, scope, suppress=suppress)
        nodes.current = ""
        scope = self.spec.scope_for(t, nodes=nodes)
        scan(self.emit, t.data.get("outputs"), (*t.path, "outputs"), scope)
        scan(self.emit, t.data["dag"], dag_path, scope, skip=frozenset({"tasks"}))
        self.scan_outside("dag")

    def _dependencies(self, tasks: list[tuple[dict, PathKey]], by_name: dict[str, Any]) -> dict[str, list[str]]:
        """Parse depends/dependencies of every task; report syntax, results, unknown names, mixing."""
        using_depends = any(isinstance(task.get("depends"), str) and task["depends"].strip() for task, _ in tasks)
        deps: dict[str, list[str]] = {}
        for task, path in tasks:
            name = as_str(task.get("name"))
            self._task_flags(task, path, name, using_depends)
            depends = task.get("depends")
            if isinstance(depends, str) and depends.strip():
                found = self._depends(depends, (*path, "depends"), by_name)
            elif task.get("dependencies"):
                found = self._dependency_list(task["dependencies"], (*path, "dependencies"), by_name)
            else:
                found = []
            deps.setdefault(name, list(dict.fromkeys(found)) if found else [])
        return deps

    def _task_flags(self, task: dict, path: PathKey, name: str, using_depends: bool) -> None:
        uses = bool(task.get("depends")) or bool(task.get("dependencies"))
        if (using_depends or uses) and name[:1].isdigit():
            self.emit.at("ARG117", f"task name '{name}' cannot begin with a digit when using depends or "
                         "dependencies", (*path, "name"))
        if using_depends and task.get("dependencies"):
            self.emit.at("ARG112", f"{self.parent.label} mixes 'depends' and 'dependencies'; use one of them in a DAG",
                         (*path, "dependencies"), key=True, hint="rewrite 'dependencies: [a, b]' as 'depends: a && b'")
        if using_depends and task.get("continueOn") is not None:
            self.emit.at("ARG112", "continueOn cannot be used with 'depends'", (*path, "continueOn"), key=True,
                         hint="use 'task.Failed' / 'task.Errored' in depends instead")

    def _depends(self, text: str, path: PathKey, by_name: dict[str, Any]) -> list[str]:
        parsed = parse_depends(text)
        doc = self.emit.doc
        if parsed.error:
            near = text[parsed.error_offset:parsed.error_offset + 1] or text[-1:]
            span = locate(doc, path, text[parsed.error_offset:] or near,
                          0) if parsed.error_offset < len(text) else locate(doc, path, text)
            self.emit.out.append(diagnostic_at(doc, span, "ARG114", f"invalid depends expression: {parsed.error}",
                                               hint="use task names, .Result, &&, ||, ! and parentheses"))
        names = []
        where = ScalarLocator(doc, path, text)  # references are located in order: linear in the expression
        for ref in parsed.refs:
            def span(ref=ref):  # only located when reported: most references are fine
                return where.span(ref.text, ref.offset)
            if ref.result is not None and ref.result not in RESULTS:
                self.emit.out.append(diagnostic_at(
                    doc, span(), "ARG113", f"task result '{ref.result}' for task '{ref.task}' is invalid",
                    hint=did_you_mean(ref.result, RESULTS) or "one of " + ", ".join(RESULTS)))
            if ref.task not in by_name:
                self.emit.out.append(diagnostic_at(doc, span(), "ARG111", f"dependency '{ref.task}' is not a task "
                                                   f"of {self.parent.label}", hint=did_you_mean(ref.task, by_name)))
                continue
            if ref.result in ITEM_RESULTS and loop_of(by_name[ref.task][0]) is None:
                self.emit.out.append(diagnostic_at(doc, span(), "ARG115", f"'{ref.text}' needs task '{ref.task}' to "
                                                   "loop (withItems/withParam/withSequence)"))
            names.append(ref.task)
        return names

    def _dependency_list(self, items: Any, path: PathKey, by_name: dict[str, Any]) -> list[str]:
        names = []
        for i, dep in enumerate(as_list(items)):
            if not isinstance(dep, str):
                continue
            if dep not in by_name:
                self.emit.at("ARG111", f"dependency '{dep}' is not a task of {self.parent.label}", (*path, i),
                             hint=did_you_mean(dep, by_name))
            else:
                names.append(dep)
        return names

    def _cycles(self, tasks: list[tuple[dict, PathKey]], deps: dict[str, list[str]], by_name: dict[str, Any]) -> None:
        """Iterative DFS over 'depends on' edges; each back edge is one cycle, reported at that edge."""
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        for root, _ in tasks:
            start = as_str(root.get("name"))
            if state.get(start):
                continue
            stack: list[tuple[str, int]] = [(start, 0)]
            state[start] = 1
            while stack:
                node, i = stack[-1]
                children = deps.get(node, [])
                if i >= len(children):
                    state[node] = 2
                    stack.pop()
                    continue
                stack[-1] = (node, i + 1)
                child = children[i]
                if state.get(child) == 1:
                    chain = [n for n, _ in stack]
                    self._report_cycle(chain[chain.index(child):] + [child], by_name)
                elif not state.get(child):
                    state[child] = 1
                    stack.append((child, 0))

    def _report_cycle(self, cycle: list[str], by_name: dict[str, Any]) -> None:
        last, closing = cycle[-2], cycle[-1]
        task, path = by_name[last]
        depends = task.get("depends")
        if isinstance(depends, str) and depends.strip():
            span = locate(self.emit.doc, (*path, "depends"), closing,
                          next((depends.count(closing, 0, r.offset) for r in parse_depends(depends).refs
                                if r.task == closing), 0))
        else:
            idx = next((i for i, d in enumerate(as_list(task.get("dependencies"))) if d == closing), 0)
            span = self.emit.doc.span((*path, "dependencies", idx))
        self.emit.out.append(diagnostic_at(self.emit.doc, span, "ARG110",
                                           f"dependency cycle in {self.parent.label}: {' -> '.join(cycle)}",
                                           hint=f"'{last}' depends on '{closing}', which closes the cycle"))

    def _target(self, dag_path: PathKey, by_name: dict[str, Any]) -> None:
        target = as_map(self.tmpl.data["dag"]).get("target")
        if not isinstance(target, str):
            return
        for name in target.split(" "):
            if name and not is_templated(name) and name not in by_name:
                span = locate(self.emit.doc, (*dag_path, "target"), name)
                self.emit.out.append(diagnostic_at(self.emit.doc, span, "ARG116", f"target '{name}' is not a task of "
                                                   f"{self.parent.label}", hint=did_you_mean(name, by_name)))

    def _argument_dependencies(self, task: dict, path: PathKey, nodes: DagNodes) -> frozenset[PathKey]:
        """validateDAGTaskArgumentDependency: an argument that starts with {{tasks.X must depend on X."""
        args, flagged = as_map(task.get("arguments")), set()
        for kind, key in (("parameters", "value"), ("artifacts", "from")):
            for i, item in enumerate(as_list(args.get(kind))):
                value = as_map(item).get(key)
                if not isinstance(value, str) or not value.startswith("{{tasks."):
                    continue
                ref = value.split(".")[1] if value.count(".") >= 1 else ""
                if ref in nodes.producers and not nodes.is_ancestor(ref, nodes.current):
                    where = (*path, "arguments", kind, i, key)
                    flagged.add(where)
                    self.emit.at("ARG120", f"missing dependency '{ref}' for {kind[:-1]} "
                                 f"'{as_str(as_map(item).get('name'))}' of task '{nodes.current}'", where,
                                 hint=f"add '{ref}' to depends/dependencies of '{nodes.current}'")
        return frozenset(flagged) if flagged else _NO_PATHS
