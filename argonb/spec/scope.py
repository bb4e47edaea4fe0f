"""Which `{{...}}` variables resolve where: Argo's validation scope rules (ARGO-SEMANTICS.md §4.1-4.2).

Owns: `Globals` (what `workflow.*` may name in one spec: validate.go Workflow() tctx.globalParams), `Loop`
(`item` / `item.<key>` from withItems/withParam/withSequence: addItemsToScope), `Producer` (what
`steps.X.*` / `tasks.X.*` expose: addOutputsToScope), `StepNodes` / `DagNodes` (which sibling nodes are
visible from one step or task) and `Scope.check(tag)` that mirrors resolveAllVariables: tags without a known
prefix (item. steps. inputs. outputs. pod. workflow. tasks.) are never errors; known prefixes must resolve.
Where Argo's validator accepts something that cannot work at runtime (a step reading a sibling of its own
group, a task reading a non-ancestor, `{{item}}` outside a loop) the finding is a warning, not an error.
Imports: stdlib, argonb.errors, argonb.spec.catalog, argonb.spec.suggest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from argonb.errors import Severity
from argonb.spec.catalog import Tmpl
from argonb.spec.suggest import did_you_mean

KNOWN_PREFIXES = ("item.", "steps.", "inputs.", "outputs.", "pod.", "workflow.", "tasks.")
# resolveAllVariables lets these through by prefix, whatever follows.
_ALWAYS_OK_PREFIXES = ("outputs.", "workflow.creationTimestamp", "workflow.scheduledTime", "workflow.duration",
                       "tasks.name", "steps.name")
_NODE_BASICS = ("id", "startedAt", "finishedAt", "hostNodeName")


@dataclass(frozen=True)
class Finding:
    severity: Severity
    message: str
    hint: str = ""


def _error(message: str, hint: str = "") -> Finding:
    return Finding(Severity.ERROR, message, hint)


def _warning(message: str, hint: str = "") -> Finding:
    return Finding(Severity.WARNING, message, hint)


@dataclass
class Globals:
    exact: set[str] = field(default_factory=set)
    params: list[str] = field(default_factory=list)
    any_params: bool = False            # validating a WorkflowTemplate on its own: params come from callers
    failures: bool = False              # spec.onExit is set
    any_output_params: bool = False     # some globalName is itself templated
    any_output_artifacts: bool = False

    def check(self, tag: str, in_exit_path: bool) -> Finding | None:
        if tag in self.exact:
            if tag == "workflow.failures" and not in_exit_path:
                return _error("{{workflow.failures}} is only available in the exit handler (spec.onExit), not in "
                              "templates run from the entrypoint")
            return None
        if tag.startswith("workflow.parameters") and self.any_params:
            return None
        if tag == "workflow.failures":
            return _error("{{workflow.failures}} is only available in an exit handler, and this workflow has no "
                          "spec.onExit")
        return self._named(tag)

    def _named(self, tag: str) -> Finding | None:
        for prefix, flag, what in (("workflow.outputs.parameters.", self.any_output_params, "output parameter"),
                                   ("workflow.outputs.artifacts.", self.any_output_artifacts, "output artifact")):
            if tag.startswith(prefix):
                if flag:
                    return None
                return _error(f"no template exports a global {what} named '{tag[len(prefix):]}' (globalName)",
                              did_you_mean(tag, self.exact))
        if tag.startswith("workflow.parameters."):
            name = tag[len("workflow.parameters."):]
            return _error(f"workflow parameter '{name}' is not defined in spec.arguments.parameters",
                          did_you_mean(name, self.params))
        for what in ("labels", "annotations"):
            if tag.startswith(f"workflow.{what}."):
                return _error(f"the workflow has no {what[:-1]} '{tag.split('.', 2)[2]}'",
                              did_you_mean(tag, self.exact))
        if tag == "workflow.priority":
            return _error("{{workflow.priority}} needs spec.priority to be set")
        return _error(f"unknown workflow variable '{tag}'", did_you_mean(tag, self.exact))


@dataclass
class Loop:
    """The `item` scope of one looped step or task."""

    kind: str                      # "items", "param" or "sequence"
    keys: frozenset[str] = frozenset()

    def check(self, tag: str) -> Finding | None:
        if self.kind == "param":
            return None  # withParam items are only known at runtime: any item.* is accepted
        key = tag[len("item."):]
        if self.kind == "sequence":
            return _error(f"{{{{{tag}}}}}: withSequence items are plain numbers", "use {{item}}")
        if key in self.keys:
            return None
        if not self.keys:
            return _error(f"{{{{{tag}}}}}: the withItems entries are not mappings", "use {{item}}")
        return _error(f"no withItems entry has the key '{key}'", did_you_mean(key, self.keys))


def loop_of(holder: dict) -> Loop | None:
    """Loop kind of a step/task (validation of several kinds at once happens elsewhere)."""
    items = holder.get("withItems")
    if isinstance(items, list) and items:
        keys: set[str] = set()
        for item in items:
            if isinstance(item, dict):
                keys.update(str(k) for k in item)
            elif isinstance(item, list):
                keys.update(f"[{i}]" for i in range(len(item)))
        return Loop("items", frozenset(keys))
    if isinstance(holder.get("withParam"), str) and holder.get("withParam"):
        return Loop("param")
    if holder.get("withSequence") is not None:
        return Loop("sequence")
    return None


def is_aggregate(holder: dict) -> bool:
    """withItems/withParam (not withSequence) expose aggregated outputs (validateSteps/validateDAG)."""
    return bool(holder.get("withItems")) or bool(holder.get("withParam"))


@dataclass
class Producer:
    """What `steps.<name>.` / `tasks.<name>.` exposes; tmpl None = unknown (templateRef not available)."""

    name: str
    tmpl: Tmpl | None
    aggregate: bool
    known: bool = True

    def check(self, attr: str, prefix: str) -> Finding | None:
        if attr in _NODE_BASICS or not self.known or self.tmpl is None:
            return None
        t, label = self.tmpl, f"{prefix}.{self.name}"
        if attr == "ip":
            return None if t.daemon else _error(f"{label}.ip is only set for daemon templates ('{t.name}' has no "
                                                "daemon: true)")
        if attr in ("outputs.result", "exitCode"):
            if t.has_output or (self.aggregate and t.type in ("script", "containerSet")):
                return None
            return _error(f"{label}.{attr} is not available: template '{t.name}' is a {t.type or 'typeless'} "
                          "template")
        if attr == "outputs.parameters":
            return None if self.aggregate else _error(
                f"{label}.outputs.parameters (the aggregated list) needs withItems or withParam",
                "name one parameter: outputs.parameters.<name>")
        for kind, declared in (("parameters", t.output_params), ("artifacts", t.output_artifacts)):
            head = f"outputs.{kind}."
            if attr.startswith(head):
                name = attr[len(head):]
                if name in declared:
                    return None
                return _error(f"template '{t.name}' has no output {kind[:-1]} '{name}'",
                              did_you_mean(name, declared))
        return _error(f"unknown attribute '{attr}' of {label}",
                      did_you_mean(attr, (*_NODE_BASICS, "outputs.result", "exitCode", "status", "ip")))


@dataclass
class StepNodes:
    """Steps visible from one step: earlier ones (same-group ones only with a warning) and itself."""

    template: str
    order: dict[str, tuple[int, int]]          # step name -> (group index, position in document order)
    producers: dict[str, Producer]
    current: str = ""
    current_exit_hook: bool = False

    def check(self, rest: str) -> Finding | None:
        name, _, attr = rest.partition(".")
        if name not in self.order:
            return _error(f"template '{self.template}' has no step named '{name}'", did_you_mean(name, self.order))
        # current == "" means "after every step" (the template's own outputs).
        (group, pos), (cur_group, cur_pos) = self.order[name], self.order.get(self.current, (-1, 1 << 30))
        if pos > cur_pos:
            return _error(f"step '{name}' runs after step '{self.current}': steps.{name} is only available to "
                          "later step groups")
        if attr == "status":
            return None
        if name == self.current and not self.current_exit_hook:
            return _error(f"step '{name}' cannot read its own outputs", "only its hooks.exit arguments can")
        found = self.producers[name].check(attr, "steps")
        if found is None and group == cur_group and name != self.current:
            return _warning(f"step '{name}' is in the same step group as '{self.current}', so it runs in parallel "
                            f"and steps.{name}.{attr} is not available yet", "move the step to a later group")
        return found


@dataclass
class DagNodes:
    """Tasks visible from one DAG task: Argo's validator puts every task's outputs in scope, but only
    ancestors have finished when the task starts (and only ancestors' `.status` is in scope)."""

    template: str
    producers: dict[str, Producer]
    deps: dict[str, list[str]]
    hooked: set[str]
    exit_hooked: set[str]
    current: str = ""
    _memo: dict[tuple[str, str], bool] = field(default_factory=dict)

    def is_ancestor(self, name: str, of: str) -> bool:
        key = (name, of)
        if key not in self._memo:
            seen, stack, found = {of}, list(self.deps.get(of, ())), False
            while stack and not found:
                cur = stack.pop()
                found = cur == name
                if cur not in seen:
                    seen.add(cur)
                    stack.extend(self.deps.get(cur, ()))
            self._memo[key] = found
        return self._memo[key]

    def check(self, rest: str) -> Finding | None:
        name, _, attr = rest.partition(".")
        if name not in self.producers:
            return _error(f"template '{self.template}' has no task named '{name}'",
                          did_you_mean(name, self.producers))
        # current == "" means the template's own outputs, computed once every task is done.
        ancestor = not self.current or self.is_ancestor(name, self.current)
        if attr == "status":
            if ancestor or (name == self.current and name in self.hooked):
                return None
            return _error(f"tasks.{name}.status is only available to tasks that depend on '{name}'",
                          f"add '{name}' to the depends of '{self.current}'")
        found = self.producers[name].check(attr, "tasks")
        if found is None and not ancestor and not (name == self.current and name in self.exit_hooked):
            return _warning(f"task '{self.current}' reads tasks.{name}.{attr} but does not depend on '{name}', so "
                            "it may not be resolved when the task starts",
                            f"add '{name}' to depends/dependencies")
        return found


@dataclass
class Scope:
    """Everything one string of a template may refer to."""

    tmpl: Tmpl
    globals: Globals
    in_exit_path: bool = True
    loop: Loop | None = None
    leaked_loop: bool = False                     # an earlier step of the same template had a loop
    extra_inputs: frozenset[str] = frozenset()    # inline template parameters (validateSteps)
    nodes: StepNodes | DagNodes | None = None
    retry: bool = False

    def check(self, tag: str) -> Finding | None:
        t = tag.strip()
        if not t.startswith(KNOWN_PREFIXES):
            return self._unprefixed(t)
        if t.startswith(_ALWAYS_OK_PREFIXES):
            return None
        head = t.split(".", 1)[0]
        handler: Callable[[str], Finding | None] = getattr(self, f"_{head}")
        return handler(t)

    def _unprefixed(self, t: str) -> Finding | None:
        if t == "item" and self.loop is None:
            if self.leaked_loop:
                return None
            return _warning("{{item}} is used outside a loop (no withItems/withParam/withSequence) and will be "
                            "left as is")
        if (t == "retries" or t.startswith("lastRetry.")) and not self.retry:
            return _warning(f"{{{{{t}}}}} is only set for templates with a retryStrategy and will be left as is")
        return None

    def _item(self, t: str) -> Finding | None:
        if self.loop is not None:
            return self.loop.check(t)
        if self.leaked_loop:
            return _warning(f"{{{{{t}}}}} is used outside a loop; it only validates because an earlier step "
                            "loops")
        return _error(f"{{{{{t}}}}} is used outside a loop (no withItems/withParam/withSequence)")

    def _inputs(self, t: str) -> Finding | None:
        params = set(self.tmpl.input_params) | self.extra_inputs
        arts = self.tmpl.input_artifacts
        parts = t.split(".")
        label = f"template '{self.tmpl.name}'" if self.tmpl.name else "this template"
        if t == "inputs.parameters":
            return None if params else _error(f"{label} declares no input parameters")
        if len(parts) == 3 and parts[1] == "parameters":
            if parts[2] in params:
                return None
            return _error(f"input parameter '{parts[2]}' is not declared in {label}", did_you_mean(parts[2], params))
        if parts[1:2] == ["artifacts"] and len(parts) in (3, 4) and (len(parts) == 3 or parts[3] == "path"):
            if parts[2] not in arts:
                return _error(f"input artifact '{parts[2]}' is not declared in {label}", did_you_mean(parts[2], arts))
            if len(parts) == 4 and not self.tmpl.is_leaf:
                return _error(f"{{{{{t}}}}} is only available in container/script (leaf) templates")
            return None
        return _error(f"cannot resolve {{{{{t}}}}}", "inputs.parameters.<name>, inputs.artifacts.<name>[.path]")

    def _outputs(self, t: str) -> Finding | None:
        return None  # resolveAllVariables accepts every outputs.* (metrics refer to their own outputs)

    def _pod(self, t: str) -> Finding | None:
        if t == "pod.name" and self.tmpl.is_pod:
            return None
        if t == "pod.name":
            return _error(f"{{{{pod.name}}}} is only available in pod templates, not in a {self.tmpl.type} template")
        return _error(f"unknown variable {{{{{t}}}}}", did_you_mean(t, ["pod.name"]))

    def _workflow(self, t: str) -> Finding | None:
        return self.globals.check(t, self.in_exit_path)

    def _steps(self, t: str) -> Finding | None:
        if isinstance(self.nodes, StepNodes):
            return self.nodes.check(t[len("steps."):])
        return _error(f"{{{{{t}}}}}: steps.* can only be used inside a steps template")

    def _tasks(self, t: str) -> Finding | None:
        if isinstance(self.nodes, DagNodes):
            return self.nodes.check(t[len("tasks."):])
        return _error(f"{{{{{t}}}}}: tasks.* can only be used inside a dag template")
