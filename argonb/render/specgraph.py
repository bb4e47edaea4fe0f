"""The static structure of a workflow spec, drawn before it runs.

Owns: `spec_graph` / `spec_dot`. From the entrypoint: steps groups (a small circle per group, as Argo draws
StepGroups) and DAG tasks with edges from `dependencies` or the task names in `depends`; a step or task
whose template is itself steps/dag becomes a nested cluster; loops (`withItems`/`withParam`/`withSequence`)
get a double border and a `⟳` note; `when` and `templateRef` targets are noted under the name; `onExit`
is drawn as a separate dashed branch. Pure data in, `Graph` out: no I/O, no validation (lint does that).
Imports: argonb.render.graph; argonb.engine.workflow (lazily, only to follow `workflowTemplateRef`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from argonb.render.graph import Cluster, GNode, Graph

LOOP_KEYS = ("withItems", "withParam", "withSequence")
_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def spec_dot(workflow: dict[str, Any], registry: Any = None) -> str:
    return spec_graph(workflow, registry).to_dot()


def spec_graph(workflow: dict[str, Any], registry: Any = None, *, prefix: str = "spec",
               max_depth: int = 6) -> Graph:
    """A `Graph` of `workflow`'s static structure (Workflow, WorkflowTemplate or CronWorkflow document).

    `registry` (an `argonb.engine.workflow.Registry`) lets `workflowTemplateRef` and `templateRef` expand.
    """
    workflow = _resolve_document(workflow, registry)
    spec = workflow.get("spec") or {}
    name = str((workflow.get("metadata") or {}).get("name") or (workflow.get("metadata") or {}).get(
        "generateName") or "workflow")
    graph = Graph(name=name, prefix=prefix)
    builder = _Builder(graph, _templates(spec), registry, max_depth)
    entry = spec.get("entrypoint")
    roots = [entry] if entry else [n for n, t in builder.templates.items() if "steps" in t or "dag" in t]
    for root in roots:
        builder.root(str(root), f"/{root}")
    if spec.get("onExit"):
        builder.root(str(spec["onExit"]), "/onExit", label=f"onExit: {spec['onExit']}", after=f"/{entry}")
    return graph


def _resolve_document(workflow: dict[str, Any], registry: Any) -> dict[str, Any]:
    if registry is None or not isinstance(workflow.get("spec"), dict):
        return workflow
    if not workflow["spec"].get("workflowTemplateRef"):
        return workflow
    from argonb.engine.workflow import workflow_from_document

    try:
        return workflow_from_document(workflow, registry)
    except Exception:  # an unresolvable ref still draws what the document itself holds
        return workflow


def _templates(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(t["name"]): t for t in spec.get("templates") or [] if isinstance(t, dict) and t.get("name")}


def _kind(tmpl: dict[str, Any] | None) -> str:
    if not tmpl:
        return "Pod"
    if "steps" in tmpl:
        return "Steps"
    if "dag" in tmpl:
        return "DAG"
    if "suspend" in tmpl:
        return "Suspend"
    return "Pod"


def depends_on(task: dict[str, Any], names: set[str]) -> list[str]:
    """Task names a DAG task waits for: `dependencies`, or the names mentioned in `depends`."""
    deps = task.get("dependencies")
    if isinstance(deps, list):
        return [str(d) for d in deps if str(d) in names]
    expr = task.get("depends")
    if not isinstance(expr, str):
        return []
    found: list[str] = []
    for token in _TOKEN.findall(expr):
        # `a.Succeeded` / `a.AnySucceeded`: the task is the part before the result suffix.
        base = token if token in names else token.rsplit(".", 1)[0]
        if base in names and base not in found:
            found.append(base)
    return found


@dataclass
class _Builder:
    graph: Graph
    templates: dict[str, dict[str, Any]]
    registry: Any
    max_depth: int

    def root(self, template: str, key: str, *, label: str | None = None, after: str | None = None) -> None:
        tmpl = self.templates.get(template)
        self.graph.add(GNode(key=key, label=label or template, kind=_kind(tmpl)))
        if after:
            self.graph.connect(after, key, dashed=True)
        self._expand(tmpl, key, None, (template,), 0)

    def _expand(self, tmpl: dict[str, Any] | None, entry: str, cluster: str | None, stack: tuple[str, ...],
                depth: int) -> list[str]:
        """Draw `tmpl`'s body below node `entry`; returns the node keys the next step attaches to."""
        if not tmpl or depth >= self.max_depth:
            return [entry]
        if isinstance(tmpl.get("steps"), list):
            return self._steps(tmpl["steps"], entry, cluster, stack, depth)
        if isinstance(tmpl.get("dag"), dict):
            return self._dag(tmpl["dag"].get("tasks") or [], entry, cluster, stack, depth)
        return [entry]

    def _steps(self, groups: list[Any], entry: str, cluster: str | None, stack: tuple[str, ...],
               depth: int) -> list[str]:
        prev = [entry]
        for i, group in enumerate(groups):
            gkey = f"{entry}[{i}]"
            self.graph.add(GNode(key=gkey, label=f"[{i}]", kind="StepGroup", cluster=cluster))
            for p in prev:
                self.graph.connect(p, gkey)
            outs: list[str] = []
            for step in group if isinstance(group, list) else [group]:
                if isinstance(step, dict):
                    first, leaves = self._item(step, gkey, cluster, stack, depth)
                    self.graph.connect(gkey, first)
                    outs += leaves
            prev = outs or [gkey]
        return prev

    def _dag(self, tasks: list[Any], entry: str, cluster: str | None, stack: tuple[str, ...],
             depth: int) -> list[str]:
        tasks = [t for t in tasks if isinstance(t, dict) and t.get("name")]
        names = {str(t["name"]) for t in tasks}
        placed: dict[str, tuple[str, list[str]]] = {}
        for task in tasks:
            placed[str(task["name"])] = self._item(task, entry, cluster, stack, depth)
        needed: set[str] = set()
        for task in tasks:
            deps = depends_on(task, names)
            first = placed[str(task["name"])][0]
            if not deps:
                self.graph.connect(entry, first)
            for dep in deps:
                needed.add(dep)
                for leaf in placed[dep][1]:
                    self.graph.connect(leaf, first)
        return [leaf for name, (_, leaves) in placed.items() if name not in needed for leaf in leaves] or [entry]

    def _item(self, item: dict[str, Any], parent: str, cluster: str | None, stack: tuple[str, ...],
              depth: int) -> tuple[str, list[str]]:
        """One step or task: a leaf node, or a cluster when its template has steps/dag of its own."""
        name = str(item.get("name"))
        key = f"{parent}/{name}"
        tmpl, tname, ref_note = self._target(item)
        loop = next((k for k in LOOP_KEYS if item.get(k) is not None), None)
        notes = [f"⟳ {loop}" if loop else "", _when_note(item.get("when")), ref_note]
        note = "\n".join(n for n in notes if n)
        nested = _kind(tmpl) in ("Steps", "DAG")
        if nested and tname in stack:
            self.graph.add(GNode(key=key, label=name, kind="Pod", cluster=cluster, loop=bool(loop),
                                 note="\n".join(filter(None, [note, f"↻ {tname} (recursive)"]))))
            return key, [key]
        if not nested or depth + 1 >= self.max_depth:
            self.graph.add(GNode(key=key, label=name, kind=_kind(tmpl) if not nested else "Pod", cluster=cluster,
                                 loop=bool(loop), note=note))
            return key, [key]
        cid = f"c{len(self.graph.clusters)}"
        self.graph.clusters.append(Cluster(cid, tname or name, cluster))
        self.graph.add(GNode(key=key, label=name, kind=_kind(tmpl), cluster=cid, loop=bool(loop), note=note))
        leaves = self._expand(tmpl, key, cid, (*stack, tname), depth + 1)
        return key, leaves

    def _target(self, item: dict[str, Any]) -> tuple[dict[str, Any] | None, str, str]:
        """(template body or None, its name, a note naming a templateRef target)."""
        if isinstance(item.get("inline"), dict):
            return item["inline"], f"{item.get('name')}(inline)", ""
        ref = item.get("templateRef")
        if isinstance(ref, dict):
            note = f"→ {ref.get('name')}/{ref.get('template')}"
            return self._lookup_ref(ref), f"{ref.get('name')}/{ref.get('template')}", note
        tname = str(item.get("template") or "")
        return self.templates.get(tname), tname, ""

    def _lookup_ref(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        if self.registry is None:
            return None
        table = self.registry.cluster_templates if ref.get("clusterScope") else self.registry.workflow_templates
        doc = table.get(str(ref.get("name")))
        templates = _templates((doc or {}).get("spec") or {})
        found = templates.get(str(ref.get("template")))
        # Names inside a WorkflowTemplate resolve against its own templates, not the workflow's: only
        # leaf templates are safe to draw from here.
        return found if found and _kind(found) not in ("Steps", "DAG") else None


def _when_note(when: Any) -> str:
    if when is None or when == "":
        return ""
    text = str(when).strip()
    return f"when {text if len(text) <= 32 else text[:31] + '…'}"
