"""The parity report: what a local run emulated or ignored that would behave differently on a cluster.

Owns: `parity_report(run_or_workflow) -> list[ParityNote]` and `format_report(notes)`. The input is a local
`Run` or an `ArgoRun` (its workflow and nodes), a Workflow dict (for example `argonb run -o json` output, whose
`status.nodes` name the nodes), or YAML (text, a path, a `Source`). Every template the workflow can run (its
own, and those of the WorkflowTemplates it references, with `templateDefaults` merged) is checked for fields
the local backend does not honour the way Kubernetes does: scheduling (resources, nodeSelector, tolerations,
affinity, priorityClassName, ...), identity (serviceAccountName, securityContext), volumes and PVCs, secrets
and ConfigMaps, images (not used locally), podSpecPatch, sidecars, init containers and daemons, hostAliases,
deadlines' precision, artifact repositories, HTTP templates' network, memoization and synchronization scope.
A note names the template, the field, what differs, the nodes of the run that used the template, and (for
YAML input) where in the file the field is.

Kinds: `ignored` (no effect locally, an effect on a cluster), `emulated` (approximated locally), `unsupported`
(locally the node ends in Error; on a cluster it runs), `timing` (same rule, different precision),
`environment` (same YAML, different surroundings: images, network, shared caches).
Imports: argonb.engine.loaded / argonb.engine.workflow (lazily), argonb.errors, argonb.spec.source.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from argonb.errors import Span
from argonb.spec.template_view import template_kind

KINDS = ("unsupported", "ignored", "emulated", "timing", "environment")
SCHEDULING = ("nodeSelector", "tolerations", "affinity", "schedulerName", "priorityClassName", "priority",
              "podPriorityClassName", "podPriority")
LOCAL_DIR_VOLUMES = ("emptyDir", "hostPath")
ARTIFACT_LOCATIONS = ("s3", "gcs", "azure", "oss", "hdfs", "artifactory", "git", "http", "plugin")
_LOCAL_ERROR = re.compile(r"local backend|argonb cannot run|needs Kubernetes|not emulated|not supported by the "
                          r"local|not used by the local", re.I)


@dataclass(frozen=True)
class ParityNote:
    """One difference between the local run and a cluster run, for one template (or the workflow)."""

    kind: str  # unsupported | ignored | emulated | timing | environment
    field: str  # the YAML field, e.g. "resources", "volumes.data", "env.PASSWORD"
    message: str
    template: str = ""  # template name ("" for workflow-level fields); "WorkflowTemplate/x:t" when referenced
    nodes: tuple[str, ...] = ()  # nodes of the run that used the template (display names)
    path: tuple[Any, ...] = ()  # where the field is, in the document it came from
    span: Span | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["nodes"] = list(self.nodes)
        out["path"] = list(self.path)
        out["span"] = str(self.span) if self.span else None
        return out

    def format(self, max_nodes: int = 4) -> str:
        where = f"template {self.template}" if self.template else "workflow"
        if self.nodes:
            shown = ", ".join(self.nodes[:max_nodes])
            more = f" and {len(self.nodes) - max_nodes} more" if len(self.nodes) > max_nodes else ""
            where += f" (nodes: {shown}{more})"
        at = f"{self.span}: " if self.span else ""
        return f"{at}[{self.kind}] {where}: {self.field}: {self.message}"


# ---- collecting -------------------------------------------------------------------------------------------------
@dataclass
class _Template:
    name: str  # as shown in notes
    data: dict[str, Any]
    doc: Any  # argonb.spec.source.Document or None
    path: tuple[Any, ...]  # the template's path in doc
    match: tuple[str, str] = ("", "")  # (WorkflowTemplate name, template name) for templateRef nodes


@dataclass
class _Input:
    workflow: dict[str, Any]
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    doc: Any = None  # the document the workflow's templates are in
    wf_doc: Any = None  # the selected document itself
    spec_path: tuple[Any, ...] = ("spec",)
    registry: Any = None
    template_docs: dict[tuple[str, bool], Any] = field(default_factory=dict)
    backend: str = "local"


def parity_report(run_or_workflow: Any, *, templates: Any = None, registry: Any = None,
                  backend: str = "local") -> list[ParityNote]:
    """Notes on everything the local backend emulated or ignored that behaves differently on a cluster.

    `run_or_workflow`: a `Run` / `ArgoRun`, a Workflow dict (nodes from `status.nodes`), YAML (text, path,
    Source) or a `LoadedWorkflow`. `templates` / `registry` supply referenced WorkflowTemplates, as for `argonb.run`. With
    `backend="docker"` images, cpu/memory limits and securityContext are real, and not reported."""
    inp = _load(run_or_workflow, templates, registry)
    inp.backend = backend
    spec = inp.workflow.get("spec") or {}
    notes: list[ParityNote] = []
    for note in _workflow_notes(spec, inp):
        notes.append(_place(note, _doc_with(note.path, inp.wf_doc, inp.doc), ()))
    for tmpl in _templates(inp):
        nodes = _nodes_for(tmpl, inp.nodes)
        for note in _template_notes(tmpl, spec, inp.backend):
            notes.append(_place(note, tmpl.doc, nodes))
    notes += _node_notes(inp.nodes)
    return notes


def _load(obj: Any, templates: Any, registry: Any) -> _Input:
    nodes, workflow, loaded = _loaded(obj, templates, registry)
    chosen = loaded.selected
    if not workflow and chosen is not None:
        workflow = chosen.data
    inp = _Input(workflow=_runnable(workflow, loaded.registry), nodes=nodes, registry=loaded.registry,
                 wf_doc=chosen)
    if chosen is not None and chosen.kind in ("Workflow", "CronWorkflow"):
        inp.doc = chosen
        inp.spec_path = ("spec", "workflowSpec") if chosen.kind == "CronWorkflow" else ("spec",)
    for doc in loaded.extra + loaded.documents:
        if doc.kind in ("WorkflowTemplate", "ClusterWorkflowTemplate") and doc.name:
            inp.template_docs[(doc.name, doc.kind == "ClusterWorkflowTemplate")] = doc
    ref = ((workflow.get("spec") or {}).get("workflowTemplateRef") or {}) if isinstance(workflow, dict) else {}
    if inp.doc is None and chosen is not None and chosen.kind in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
        inp.doc = chosen
    elif ref and not (inp.doc and (inp.doc.data.get("spec") or {}).get("templates")):
        inp.doc = inp.template_docs.get((str(ref.get("name")), bool(ref.get("clusterScope")))) or inp.doc
    return inp


def _loaded(obj: Any, templates: Any, registry: Any) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(nodes, workflow, LoadedWorkflow) of what `parity_report` was given: a run's own workflow comes with
    it (its text only adds positions); a workflow dict has no documents; YAML is loaded, not linted."""
    from argonb.engine.loaded import LoadedWorkflow, assemble, load_workflow, template_documents

    if isinstance(obj, LoadedWorkflow):  # loaded at the edge, with its templates
        return {}, {}, obj.with_registry(registry)
    if not (hasattr(obj, "nodes") and hasattr(obj, "workflow")) and not isinstance(obj, dict):
        return {}, {}, load_workflow(obj, templates=templates, registry=registry, validate_input=False,
                                     require_runnable=False)
    if isinstance(obj, dict):
        nodes, workflow, text = dict((obj.get("status") or {}).get("nodes") or {}), obj, ""
    else:  # a Run or an ArgoRun
        nodes, workflow, text = dict(obj.nodes), dict(obj.workflow), getattr(obj, "source_text", "") or ""
    if text:
        try:
            return nodes, workflow, load_workflow(_source(text), templates=templates, registry=registry,
                                                  validate_input=False, require_runnable=False)
        except Exception:  # the run's own copy is authoritative; the text only adds positions
            pass
    return nodes, workflow, assemble([], template_documents(templates), registry, "<run source>",
                                     validate_input=False, require_runnable=False)


def _source(text: str) -> Any:
    from argonb.spec.source import Source

    return Source(text, "<run source>")


def _runnable(data: dict[str, Any], registry: Any) -> dict[str, Any]:
    """The Workflow a document runs as (CronWorkflow's workflowSpec, workflowTemplateRef merged)."""
    from argonb.engine.workflow import ResolveError, workflow_from_document

    if not isinstance(data, dict):
        return {}
    try:
        return workflow_from_document(data, registry)
    except ResolveError:
        return dict(data)


def _templates(inp: _Input) -> list[_Template]:
    from argonb.backends.argo_manifest import references
    from argonb.engine.workflow import merge_defaults

    spec = inp.workflow.get("spec") or {}
    defaults = spec.get("templateDefaults")
    out: list[_Template] = []
    doc_templates = _doc_template_index(inp.doc)
    for tmpl in spec.get("templates") or []:
        if isinstance(tmpl, dict):
            name = str(tmpl.get("name", ""))
            path = doc_templates.get(name, ())
            out.append(_Template(name, merge_defaults(tmpl, defaults), inp.doc if path else None, path,
                                 ("", name)))
    seen: set[tuple[str, bool]] = set()
    queue = list(references(inp.workflow))
    while queue:
        ref_name, cluster = queue.pop(0)
        if (ref_name, cluster) in seen:
            continue
        seen.add((ref_name, cluster))
        table = inp.registry.cluster_templates if cluster else inp.registry.workflow_templates
        data = table.get(ref_name)
        if not isinstance(data, dict):
            continue
        queue.extend(references(data))
        if (spec.get("workflowTemplateRef") or {}).get("name") == ref_name and \
                bool((spec.get("workflowTemplateRef") or {}).get("clusterScope")) == cluster:
            continue  # merged into the workflow itself above
        doc = inp.template_docs.get((ref_name, cluster))
        index = _doc_template_index(doc)
        kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
        for tmpl in (data.get("spec") or {}).get("templates") or []:
            if isinstance(tmpl, dict):
                name = str(tmpl.get("name", ""))
                path = index.get(name, ())
                out.append(_Template(f"{kind}/{ref_name}:{name}", merge_defaults(tmpl, defaults),
                                     doc if path else None, path, (ref_name, name)))
    return out


def _doc_template_index(doc: Any) -> dict[str, tuple[Any, ...]]:
    if doc is None or not isinstance(doc.data, dict):
        return {}
    spec = doc.data.get("spec") or {}
    base: tuple[Any, ...] = ("spec",)
    if doc.kind == "CronWorkflow":
        spec, base = spec.get("workflowSpec") or {}, ("spec", "workflowSpec")
    return {str(t.get("name")): (*base, "templates", i) for i, t in enumerate(spec.get("templates") or [])
            if isinstance(t, dict)}


def _nodes_for(tmpl: _Template, nodes: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    ref_name, name = tmpl.match
    out = []
    for node in nodes.values():
        if node.get("type") in ("StepGroup", "TaskGroup"):
            continue
        ref = node.get("templateRef") or {}
        if ref_name:
            hit = ref.get("name") == ref_name and ref.get("template") == name
        else:
            hit = not ref and node.get("templateName") == name
        if hit:
            out.append(str(node.get("displayName") or node.get("name") or node.get("id")))
    return tuple(out)


def _doc_with(path: tuple[Any, ...], *docs: Any) -> Any:
    """The first document that has `path` (positions are only meaningful there)."""
    for doc in docs:
        if doc is not None and (path in doc.key_marks or path in doc.value_marks):
            return doc
    return None


def _place(note: ParityNote, doc: Any, nodes: tuple[str, ...]) -> ParityNote:
    span = None
    if doc is not None and note.path:
        span = doc.span(note.path, key=True)
    return ParityNote(note.kind, note.field, note.message, note.template, nodes, note.path, span)


# ---- rules ------------------------------------------------------------------------------------------------------
def _note(kind: str, fld: str, message: str, template: str = "", path: tuple[Any, ...] = ()) -> ParityNote:
    return ParityNote(kind, fld, message, template, (), path)


def _scheduling_message(key: str, value: Any) -> str:
    if key == "nodeSelector":
        labels = ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        return (f"pods only run on nodes labelled {labels}; locally ignored. On a cluster a selector no node "
                "matches leaves the pod Pending (and the workflow waiting) forever")
    if key == "tolerations":
        return "lets pods run on tainted nodes (GPU, spot, dedicated pools); locally ignored"
    if key == "affinity":
        return "node/pod (anti-)affinity decides where pods land and can keep them Pending; locally ignored"
    if key in ("priorityClassName", "podPriorityClassName", "priority", "podPriority"):
        return "pod priority decides scheduling order and pre-emption under pressure; locally every pod starts " \
               "as soon as a parallelism slot is free"
    return "a custom scheduler places the pods; locally ignored"


def _pod_level(obj: dict[str, Any], template: str, base: tuple[Any, ...], spec_level: bool) -> list[ParityNote]:
    """Fields shared by the workflow spec (defaults for every pod) and a template."""
    notes: list[ParityNote] = []
    for key in SCHEDULING:
        if obj.get(key) not in (None, {}, [], ""):
            notes.append(_note("ignored", key, _scheduling_message(key, obj[key]), template, (*base, key)))
    sa = obj.get("serviceAccountName")
    if sa:
        notes.append(_note("ignored", "serviceAccountName",
                           f"pods run as service account {sa!r}: its RBAC decides what they may do in the cluster "
                           "(and what resource templates may create); locally there is no Kubernetes identity",
                           template, (*base, "serviceAccountName")))
    if obj.get("automountServiceAccountToken") is not None:
        notes.append(_note("ignored", "automountServiceAccountToken",
                           "controls whether the token is mounted in pods (the executor then needs "
                           "executor.serviceAccountName); locally ignored", template,
                           (*base, "automountServiceAccountToken")))
    executor = obj.get("executor") or {}
    if isinstance(executor, dict) and executor.get("serviceAccountName"):
        notes.append(_note("ignored", "executor.serviceAccountName",
                           "the Argo executor (init/wait containers) runs as this service account; locally there "
                           "are no executor containers", template, (*base, "executor")))
    if obj.get("securityContext"):
        notes.append(_note("ignored", "securityContext",
                           "runAsUser / runAsNonRoot / fsGroup apply to the pod on a cluster; locally commands run "
                           "as the user running argonb, so file ownership and permission errors can differ",
                           template, (*base, "securityContext")))
    if obj.get("podSpecPatch"):
        notes.append(_note("ignored", "podSpecPatch",
                           "the patch is merged into the pod spec on a cluster (often resources, volumes or "
                           "containers); locally it is not applied at all", template, (*base, "podSpecPatch")))
    if obj.get("hostAliases"):
        names = ", ".join(str(h) for a in obj["hostAliases"] if isinstance(a, dict) for h in a.get("hostnames") or [])
        notes.append(_note("ignored", "hostAliases",
                           f"/etc/hosts entries ({names}) exist only inside the pods; locally this machine's "
                           "/etc/hosts is used", template, (*base, "hostAliases")))
    for key in ("dnsPolicy", "dnsConfig", "hostNetwork"):
        if obj.get(key) not in (None, {}, ""):
            notes.append(_note("ignored", key, "pod networking on the cluster; locally this machine's network and DNS "
                               "are used", template, (*base, key)))
    if obj.get("imagePullSecrets"):
        notes.append(_note("ignored", "imagePullSecrets",
                           "registry credentials for private images; locally no image is pulled", template,
                           (*base, "imagePullSecrets")))
    meta_key = "podMetadata" if spec_level else "metadata"
    if obj.get(meta_key):
        notes.append(_note("ignored", meta_key,
                           "pod labels/annotations (sidecar injection such as Istio, cost allocation, network "
                           "policies) take effect on a cluster only", template, (*base, meta_key)))
    if obj.get("volumes"):
        notes += _volume_notes(obj["volumes"], template, (*base, "volumes"))
    if obj.get("synchronization"):
        notes.append(_note("environment", "synchronization",
                           "mutexes and semaphores are shared by every workflow in the namespace on a cluster "
                           "(semaphore limits come from a ConfigMap there); locally only this argonb process "
                           "competes for them", template, (*base, "synchronization")))
    if obj.get("activeDeadlineSeconds") is not None:
        notes.append(_note("timing", "activeDeadlineSeconds",
                           "locally a timer enforces the deadline within milliseconds; on a cluster the kubelet "
                           "(pods) or the controller's reconcile loop (workflow) enforces it, seconds later, and "
                           "pod deadlines count from pod start, not from scheduling", template,
                           (*base, "activeDeadlineSeconds")))
    return notes


def _volume_notes(volumes: Any, template: str, base: tuple[Any, ...]) -> list[ParityNote]:
    notes: list[ParityNote] = []
    for i, vol in enumerate(volumes if isinstance(volumes, list) else []):
        if not isinstance(vol, dict):
            continue
        name = str(vol.get("name", ""))
        kind = next((k for k in vol if k != "name"), "unknown")
        path = (*base, i)
        if kind == "emptyDir":
            notes.append(_note("emulated", f"volumes.{name}",
                               "emptyDir is a directory under the pod's private root locally; on a cluster it is "
                               "node disk (or memory with medium: Memory, counted against the memory limit)",
                               template, path))
        elif kind == "hostPath":
            notes.append(_note("emulated", f"volumes.{name}",
                               f"hostPath {(vol.get('hostPath') or {}).get('path')!r} is a per-pod directory "
                               "locally; on a cluster it is that path on whichever node runs the pod (often "
                               "forbidden by pod security policies)", template, path))
        elif kind == "secret":
            secret = (vol.get("secret") or {}).get("secretName")
            notes.append(_note("unsupported", f"volumes.{name}",
                               f"secret {secret!r} is mounted from the cluster; the local backend cannot read "
                               "Kubernetes secrets, so pods mounting it end in Error locally", template, path))
        elif kind == "configMap":
            cm = (vol.get("configMap") or {}).get("name")
            if _mountable_locally("configMap"):
                notes.append(_note("emulated", f"volumes.{name}",
                                   f"ConfigMap {cm!r} comes from the ConfigMap documents argonb was given locally; on "
                                   "a cluster it must exist in the namespace (`argonb export` includes the ones in "
                                   "the source: apply them with kubectl)", template, path))
            else:
                notes.append(_note("unsupported", f"volumes.{name}",
                                   f"ConfigMap {cm!r} is mounted from the cluster (it must exist there: `argonb "
                                   "export` includes ConfigMaps from the source); pods mounting it end in Error "
                                   "locally", template, path))
        elif kind == "persistentVolumeClaim":
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            notes.append(_note("unsupported", f"volumes.{name}",
                               f"PersistentVolumeClaim {claim!r} must exist in the namespace; a ReadWriteOnce "
                               "volume cannot be shared by pods on different nodes; pods mounting it end in Error "
                               "locally", template, path))
        else:
            notes.append(_note("unsupported", f"volumes.{name}",
                               f"{kind} volumes need Kubernetes; pods mounting it end in Error locally", template,
                               path))
    return notes


def _workflow_notes(spec: dict[str, Any], inp: _Input) -> list[ParityNote]:
    base = inp.spec_path
    notes = _pod_level(spec, "", base, spec_level=True)
    for i, claim in enumerate(spec.get("volumeClaimTemplates") or []):
        if isinstance(claim, dict):
            name = str((claim.get("metadata") or {}).get("name", ""))
            size = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
            notes.append(_note("unsupported", f"volumeClaimTemplates.{name}",
                               f"a PersistentVolumeClaim{f' of {size}' if size else ''} is created for each "
                               "workflow on a cluster (storage class, access modes and quota apply; ReadWriteOnce "
                               "volumes pin every pod using them to one node); pods mounting it end in Error "
                               "locally", "", (*base, "volumeClaimTemplates", i)))
    housekeeping = {
        "podGC": "pods are deleted by the policy on a cluster (their logs then come from the archive, if any); "
                 "locally there are no pods to collect",
        "ttlStrategy": "the Workflow object is deleted after the TTL on a cluster; local runs stay in the run store "
                       "until `argonb delete` / `argonb gc`",
        "archiveLogs": "logs are archived to the artifact repository on a cluster; locally they are files under "
                       "the run directory",
        "artifactGC": "artifacts are deleted from the repository on a cluster; locally `argonb gc` removes them",
        "artifactRepositoryRef": "the artifact repository comes from a ConfigMap in the namespace on a cluster; "
                                 "locally argonb's own repository (.argonb/artifacts) stands in",
        "podDisruptionBudget": "protects pods from voluntary evictions on a cluster; locally nothing evicts pods",
        "metrics": "Prometheus metrics are emitted by the controller on a cluster; not locally",
    }
    for key, message in housekeeping.items():
        if spec.get(key) not in (None, {}, [], False):
            notes.append(_note("ignored", key, message, "", (*base, key)))
    retry = spec.get("retryStrategy")
    if isinstance(retry, dict):
        notes += _retry_notes(retry, "", (*base, "retryStrategy"))
    return notes


def _retry_notes(retry: dict[str, Any], template: str, path: tuple[Any, ...]) -> list[ParityNote]:
    notes = []
    if retry.get("affinity"):
        notes.append(_note("ignored", "retryStrategy.affinity",
                           "nodeAntiAffinity moves retries to other nodes on a cluster; locally every attempt runs "
                           "on this machine", template, (*path, "affinity")))
    if retry.get("backoff"):
        notes.append(_note("timing", "retryStrategy.backoff",
                           "locally the next attempt starts right after the backoff; on a cluster pod scheduling, "
                           "image pulls and the controller's requeue add seconds per attempt (maxDuration counts "
                           "them)", template, (*path, "backoff")))
    return notes


def _containers(tmpl: dict[str, Any]) -> list[tuple[str, dict[str, Any], tuple[Any, ...]]]:
    out: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = []
    for key in ("container", "script"):
        if isinstance(tmpl.get(key), dict):
            out.append(("main", tmpl[key], (key,)))
    cs = tmpl.get("containerSet")
    if isinstance(cs, dict):
        for i, c in enumerate(cs.get("containers") or []):
            if isinstance(c, dict):
                out.append((str(c.get("name", i)), c, ("containerSet", "containers", i)))
    return out


def _template_notes(t: _Template, spec: dict[str, Any], backend: str = "local") -> list[ParityNote]:
    tmpl, name, base = t.data, t.name, t.path
    notes = _pod_level(tmpl, name, base, spec_level=False)
    if backend == "docker":
        notes = [n for n in notes if n.field != "securityContext"]
    kind = template_kind(tmpl)
    unsupported = _unsupported_kinds()
    cluster_side = {
        "resource": f"the manifest is applied ({(tmpl.get('resource') or {}).get('action', '')}) to the cluster "
                    "with the workflow's service account",
        "data": "data templates list an artifact repository (S3) on the cluster",
        "plugin": "executor plugins run as sidecars of the Argo agent on a cluster that has them installed",
        "containerSet": "all containers share one pod on a cluster (network, volumes) and run in their own images",
    }
    if kind in unsupported:
        notes.append(_note("unsupported", kind, f"{cluster_side.get(kind, kind)}; locally the node ends in Error "
                           f"({unsupported[kind]})", name, (*base, kind)))
    elif kind == "containerSet":
        notes.append(_note("emulated", "containerSet", f"{cluster_side['containerSet']}; locally the containers "
                           "are processes on this machine sharing one directory root", name, (*base, kind)))
    elif kind == "http":
        notes.append(_note("environment", "http",
                           "locally the request is made from this machine; on a cluster from the Argo agent pod, "
                           "where cluster DNS names resolve, egress rules apply and localhost means the pod",
                           name, (*base, "http")))
    for cname, c, cpath in _containers(tmpl):
        notes += _container_notes(c, name, (*base, *cpath), cname, kind, backend)
    for key, cluster, local in (
            ("sidecars", "sidecars start with main on a cluster, share the pod's network (127.0.0.1) and, with "
                         "mirrorVolumeMounts, its volumes, and are killed when main exits",
             "processes beside main on this machine: they share this machine's network and ports with every "
             "other pod, and use host tools instead of their images"),
            ("initContainers", "init containers run to completion before main on a cluster, in their own images",
             "processes run before main on this machine with host tools")):
        if tmpl.get(key):
            names = ", ".join(str(s.get("name")) for s in tmpl[key] if isinstance(s, dict))
            if _engine_supports("sidecars" if key == "sidecars" else "init_containers"):
                notes.append(_note("emulated", key, f"{names}: {cluster}; locally they are {local}", name,
                                   (*base, key)))
            else:
                notes.append(_note("ignored", key, f"{names}: {cluster}; locally they are not started", name,
                                   (*base, key)))
    if tmpl.get("daemon"):
        notes.append(_note("emulated", "daemon",
                           "on a cluster the step is Daemoned once its pod is Ready (readiness probes), keeps "
                           "running until its steps/DAG scope ends and is reachable at its pod IP "
                           "({{steps.X.ip}}); locally it is a process on this machine, so the address and port "
                           "space are this machine's", name, (*base, "daemon")))
    if tmpl.get("timeout"):
        notes.append(_note("timing", "timeout",
                           "counts from node start including Pending time on a cluster (image pulls, scheduling); "
                           "locally pods start at once, so the same timeout leaves more time for the work",
                           name, (*base, "timeout")))
    retry = tmpl.get("retryStrategy")
    if isinstance(retry, dict):
        notes += _retry_notes(retry, name, (*base, "retryStrategy"))
    memo = tmpl.get("memoize")
    if isinstance(memo, dict):
        cm = ((memo.get("cache") or {}).get("configMap") or {}).get("name")
        notes.append(_note("environment", "memoize",
                           f"the cache is ConfigMap {cm!r} in the namespace on a cluster, shared with every "
                           "workflow there (earlier cluster runs may be hits); locally it is argonb's own cache "
                           "under ARGONB_HOME", name, (*base, "memoize")))
    if tmpl.get("archiveLocation"):
        notes.append(_note("emulated", "archiveLocation", "artifacts of this template go to this location on a "
                           "cluster; locally argonb's repository stands in", name, (*base, "archiveLocation")))
    notes += _artifact_notes(tmpl, name, base)
    return notes


@functools.cache
def _unsupported_kinds() -> dict[str, str]:
    """Template kinds the local engine cannot run, with its reason (argonb.engine.unsupported.UNSUPPORTED)."""
    try:
        from argonb.engine.unsupported import UNSUPPORTED
    except ImportError:  # pragma: no cover - the engine ships with the package
        return {"resource": "needs Kubernetes", "data": "needs S3", "plugin": "needs plugins"}
    return dict(UNSUPPORTED)


@functools.cache
def _mountable_locally(kind: str) -> bool:
    """Whether the local engine mounts volumes of `kind` (asked of the engine itself, as it grows)."""
    try:
        from argonb.engine.pod import _unsupported_volumes

        container = {"volumeMounts": [{"name": "probe", "mountPath": "/probe"}]}
        return not _unsupported_volumes({"volumes": [{"name": "probe", kind: {}}]}, {}, container)
    except Exception:  # the engine's internals moved: assume only directories are emulated
        return kind in LOCAL_DIR_VOLUMES


def _engine_supports(feature: str) -> bool:
    """Whether this argonb's engine hands `feature` (a PodRequest field) to the backend."""
    try:
        from argonb.engine.backend import PodRequest
    except ImportError:  # pragma: no cover - the engine ships with the package
        return False
    return feature in getattr(PodRequest, "__dataclass_fields__", {})


def _container_notes(c: dict[str, Any], template: str, base: tuple[Any, ...], cname: str,
                     kind: str, backend: str = "local") -> list[ParityNote]:
    notes: list[ParityNote] = []
    label = "" if cname == "main" else f"{cname}."
    image = c.get("image")
    docker = backend == "docker"
    if image and kind in ("container", "script", "containerSet") and not docker:
        command = " ".join(str(x) for x in (c.get("command") or [])[:2])
        how = f"`{command}` ran" if command else "the image's default command (argonb's table) ran"
        notes.append(_note("environment", f"{label}image",
                           f"image {image!r} is not pulled locally: {how} with this machine's tools, OS and user; "
                           "on a cluster the image's own binaries, libraries, files and default user are used "
                           "(versions may differ)", template, (*base, "image")))
    res = c.get("resources")
    if docker and isinstance(res, dict) and res.get("requests"):
        notes.append(_note("emulated", f"{label}resources",
                           "limits are enforced by docker on this machine, but requests schedule nothing: on a "
                           "cluster a pod asking more than any node has stays Pending", template,
                           (*base, "resources")))
    elif not docker and isinstance(res, dict) and (res.get("requests") or res.get("limits")):
        parts = []
        for key in ("requests", "limits"):
            if isinstance(res.get(key), dict):
                parts.append(f"{key} " + ", ".join(f"{k}={v}" for k, v in res[key].items()))
        notes.append(_note("ignored", f"{label}resources",
                           f"{'; '.join(parts)}: not enforced locally. On a cluster requests decide scheduling (a "
                           "pod asking more than any node has stays Pending) and limits are enforced (memory: "
                           "OOMKilled, exit 137; cpu: throttled)", template, (*base, "resources")))
    for i, var in enumerate(c.get("env") or []):
        if not isinstance(var, dict) or not isinstance(var.get("valueFrom"), dict):
            continue
        vf = var["valueFrom"]
        source = next(iter(vf), "")
        ref = vf.get(source) or {}
        what = {"secretKeyRef": f"secret {ref.get('name')!r} key {ref.get('key')!r}",
                "configMapKeyRef": f"ConfigMap {ref.get('name')!r} key {ref.get('key')!r}",
                "fieldRef": f"pod field {ref.get('fieldPath')!r}",
                "resourceFieldRef": f"resource field {ref.get('resource')!r}"}.get(source, source)
        notes.append(_note("unsupported", f"{label}env.{var.get('name')}",
                           f"comes from the {what} on a cluster; the local backend cannot read it, so the node "
                           "ends in Error locally (set `value:` for local runs, or keep the secret cluster-only)",
                           template, (*base, "env", i)))
    if c.get("envFrom"):
        notes.append(_note("ignored", f"{label}envFrom",
                           "variables from Secrets/ConfigMaps are set on a cluster only; locally they are missing",
                           template, (*base, "envFrom")))
    for key, message in (("securityContext", "container user, capabilities and read-only root filesystem apply on "
                                             "a cluster only"),
                         ("imagePullPolicy", "locally no image is pulled"),
                         ("ports", "container ports are reachable on the pod IP on a cluster; locally processes "
                                   "share this machine's ports (two pods binding one port collide)"),
                         ("readinessProbe", "probes run on a cluster only (daemons become Daemoned when Ready)"),
                         ("livenessProbe", "a failing probe restarts the container on a cluster; not locally"),
                         ("startupProbe", "probes run on a cluster only"),
                         ("lifecycle", "postStart/preStop hooks run on a cluster only")):
        if c.get(key) not in (None, {}, [], "") and not (docker and key in ("securityContext", "imagePullPolicy")):
            notes.append(_note("ignored", f"{label}{key}", message, template, (*base, key)))
    return notes


def _artifact_notes(tmpl: dict[str, Any], template: str, base: tuple[Any, ...]) -> list[ParityNote]:
    notes: list[ParityNote] = []
    for side in ("inputs", "outputs"):
        for i, art in enumerate((tmpl.get(side) or {}).get("artifacts") or []):
            if not isinstance(art, dict):
                continue
            loc = next((k for k in ARTIFACT_LOCATIONS if art.get(k)), "")
            path = (*base, side, "artifacts", i)
            if loc in ("s3", "http") and side == "inputs":
                notes.append(_note("environment", f"{side}.artifacts.{art.get('name')}",
                                   f"read from {loc} on a cluster with the credentials in the artifact definition "
                                   "(secrets); locally argonb's repository or this machine's network is used",
                                   template, path))
            elif loc:
                notes.append(_note("unsupported" if loc not in ("s3", "http") else "emulated",
                                   f"{side}.artifacts.{art.get('name')}",
                                   f"{loc} artifact locations need the cluster's artifact drivers and credentials; "
                                   "argonb's local repository stands in where it can", template, path))
            elif side == "outputs":
                notes.append(_note("emulated", f"outputs.artifacts.{art.get('name')}",
                                   "saved to argonb's local repository; on a cluster it is uploaded to the "
                                   "configured artifact repository (tar+gzip unless `archive: {none: {}}`), which "
                                   "must exist and be writable", template, path))
    return notes


def _node_notes(nodes: dict[str, dict[str, Any]]) -> list[ParityNote]:
    """Nodes that ended in Error locally because the local backend cannot do what they ask."""
    notes = []
    for node in nodes.values():
        message = str(node.get("message") or "")
        if node.get("phase") == "Error" and _LOCAL_ERROR.search(message):
            display = str(node.get("displayName") or node.get("name") or "")
            notes.append(ParityNote("unsupported", "node", f"ended in Error locally: {message}",
                                    str(node.get("templateName") or ""), (display,)))
    return notes


# ---- output -----------------------------------------------------------------------------------------------------
def format_report(notes: Iterable[ParityNote], *, max_nodes: int = 4) -> str:
    """One line per note, unsupported first, then ignored, emulated, timing, environment."""
    ordered = sorted(notes, key=lambda n: (KINDS.index(n.kind) if n.kind in KINDS else len(KINDS), n.template,
                                           n.field))
    if not ordered:
        return "No parity notes: nothing in this workflow is emulated or ignored by the local backend.\n"
    return "".join(note.format(max_nodes) + "\n" for note in ordered)


def summary(notes: Iterable[ParityNote]) -> str:
    counts: dict[str, int] = {}
    for note in notes:
        counts[note.kind] = counts.get(note.kind, 0) + 1
    return ", ".join(f"{counts[k]} {k}" for k in KINDS if k in counts) or "no notes"


def is_yaml_path(text: str) -> bool:
    return text.endswith((".yaml", ".yml", ".json")) and Path(text).exists()
