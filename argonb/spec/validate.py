"""Strict validation of parsed Argo documents: every problem at once, each with a stable code and position.

Owns: the diagnostic code table below, document-level rules (kind, apiVersion, metadata, CronWorkflow fields),
and `validate_documents(docs)` which runs, for all documents of one lint call together: the structural pass
(argonb.spec.schema), the template registry for templateRef (argonb.spec.catalog) and the semantic rules
(argonb.spec.semantics / argonb.spec.flows). Imports: stdlib, argonb.errors, argonb.spec.*.

Codes (stable; tests pin them). "Argo" column: what Argo itself does with such input.

| code    | sev.    | meaning                                                              | Argo            |
|---------|---------|----------------------------------------------------------------------|-----------------|
| YAML001 | error   | YAML syntax error (argonb.spec.source)                               | rejected        |
| YAML002 | error   | past a YAML bound: excessive aliasing, nesting > 200 (yamlbounds)    | rejected/-      |
| ARG000  | error   | file cannot be read or is not UTF-8 (located at the first bad byte)  | -               |
| ARG001  | error   | unknown field (did-you-mean hint)                                    | dropped/rejected|
| ARG002  | error   | wrong type (warning for a list/map where AnyString is expected)      | rejected        |
| ARG003  | error   | missing required field                                               | rejected        |
| ARG010  | error   | document is not a mapping / has no kind                              | rejected        |
| ARG011  | warning | document of an unknown kind, ignored                                 | -               |
| ARG012  | error   | apiVersion is not argoproj.io/v1alpha1                               | rejected        |
| ARG013  | error   | metadata.name/generateName invalid (missing: warning)                | rejected (k8s)  |
| ARG014  | error   | invalid label key or value                                           | rejected (k8s)  |
| ARG015  | error   | name too long (63; CronWorkflow 52)                                  | rejected        |
| ARG016  | warning | two WorkflowTemplates with one name; the first is used               | -               |
| ARG100  | error   | entrypoint missing or not a template                                 | rejected        |
| ARG101  | error   | `template:`/onExit names no template                                 | rejected        |
| ARG102  | warning | templateRef/workflowTemplateRef target not among the linted files    | needs cluster   |
| ARG103  | error   | templateRef names a template the (local) WorkflowTemplate lacks      | rejected        |
| ARG104  | error   | step/task has both or neither of template/templateRef/inline         | rejected        |
| ARG105  | error   | duplicate template/step/task/parameter/artifact name                 | rejected        |
| ARG106  | error   | missing or invalid name                                              | rejected        |
| ARG107  | error   | template has zero or several types                                   | rejected        |
| ARG108  | error   | timeout without unit, timeout/deadline/parallelism on wrong template | rejected        |
| ARG110  | error   | DAG dependency cycle                                                 | rejected        |
| ARG111  | error   | dependency names no task                                             | rejected        |
| ARG112  | error   | depends and dependencies mixed; continueOn with depends              | rejected        |
| ARG113  | error   | invalid task result in depends (.Succeeded ...)                      | rejected        |
| ARG114  | error   | depends expression syntax error                                      | node Error      |
| ARG115  | error   | .AnySucceeded/.AllFailed on a task without a loop                    | rejected        |
| ARG116  | error   | DAG without tasks; target names no task                              | rejected        |
| ARG117  | error   | task name starts with a digit while using depends/dependencies       | rejected        |
| ARG120  | error   | `{{...}}` with a known prefix that cannot resolve in its scope       | rejected        |
| ARG121  | warning | `{{...}}` Argo accepts but that cannot resolve when it runs          | left verbatim   |
| ARG122  | warning | `{{` without `}}`                                                    | pairs oddly     |
| ARG123  | warning | `{{= }}` expression names an unknown parameter/step/task             | runtime error   |
| ARG130  | error   | required input parameter not supplied                                | rejected        |
| ARG131  | error   | invalid argument (no value, bad valueFrom, enum)                     | rejected        |
| ARG132  | error   | required input artifact not supplied                                 | rejected        |
| ARG133  | warning | workflow parameter without value (must be given at submit, -p)       | submit needs -p |
| ARG134  | warning | argument that is not an input of the called template                | ignored         |
| ARG140  | error   | output parameter problems (steps/DAG outputs without valueFrom ...)  | rejected/Error  |
| ARG141  | error   | artifact path/from where it is not allowed                           | rejected        |
| ARG150  | error   | several loop kinds; withSequence with count and end                  | rejected        |
| ARG151  | error   | unknown retryPolicy                                                  | rejected        |
| ARG152  | error   | lifecycle hook (not exit) without expression                         | rejected        |
| ARG153  | error   | spec.templates together with workflowTemplateRef                     | rejected        |
| ARG160  | error   | CronWorkflow: schedule, timezone, concurrencyPolicy, deadline        | rejected        |
| ARG170  | error   | container/script image missing; containerSet without main            | rejected        |
| ARG171  | error   | resource template action/manifest                                    | rejected        |
| ARG172  | error   | unknown podGC strategy                                               | rejected        |
| ARG173  | error   | two mounts/artifacts on one path                                     | rejected        |
| ARG999  | error   | internal error in argonb's linter (a bug: please report)             | -               |
"""

from __future__ import annotations

import re
from typing import Any

from argonb.errors import Diagnostic, Severity
from argonb.spec.catalog import Registry, SpecCtx, as_list, as_map, spec_of
from argonb.spec.gcpause import collector_paused
from argonb.spec.schema import check_structure
from argonb.spec.semantics import GlobalOutputs, SpecChecker
from argonb.spec.source import RUNNABLE_KINDS, Document
from argonb.spec.suggest import did_you_mean

ARGO_API_VERSION = "argoproj.io/v1alpha1"
# Other Kubernetes objects that travel with workflows (e.g. examples/ support files): ignored silently.
QUIET_KINDS = frozenset({"ConfigMap", "Secret", "PersistentVolumeClaim", "PersistentVolume", "ServiceAccount",
                         "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Namespace", "Service",
                         "WorkflowEventBinding", "EventSource", "Sensor", "EventBus", "List"})
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_GENERATE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*)$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_PARAMETER = re.compile(r"{{[-a-zA-Z0-9]+(\.[-a-zA-Z0-9_]+)*}}")   # validate.go paramRegex
_CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,\-]+$")
_CONCURRENCY = ("Allow", "Forbid", "Replace")


def validate_documents(docs: list[Document]) -> list[Diagnostic]:
    """All diagnostics for `docs`, checked together (templateRef resolves across all of them)."""
    with collector_paused():
        return _validate(docs)


def _validate(docs: list[Document]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    specs: list[SpecCtx] = []
    for doc in docs:
        if _guarded(doc, out, _check_document, doc, out):
            spec = spec_of(doc)
            if spec is not None:
                specs.append(spec)
    registry = Registry()
    for spec in specs:
        if spec.is_template_kind and not registry.add(spec):
            out.append(spec.doc.diagnostic("ARG016", f"{spec.kind} '{spec.name}' is defined more than once; the "
                                           "first definition is used", ("metadata", "name"),
                                           severity=Severity.WARNING))
    outputs = _global_outputs(specs)
    for spec in specs:
        _guarded(spec.doc, out, lambda s=spec: SpecChecker(s, registry, outputs, out).run())
    return out


def _guarded(doc: Document, out: list[Diagnostic], fn: Any, *args: Any) -> Any:
    """Run one check; a crash becomes an ARG999 diagnostic so lint never raises on any input."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - deliberately broad: lint must always return diagnostics
        out.append(doc.diagnostic("ARG999", f"internal error while checking this document: "
                                  f"{type(exc).__name__}: {exc}", (), hint="please report this argonb bug"))
        return None


def _check_document(doc: Document, out: list[Diagnostic]) -> bool:
    """Kind, apiVersion, structure and metadata. True if the document is one of the four runnable kinds."""
    data = doc.data
    if not isinstance(data, dict):
        out.append(doc.diagnostic("ARG010", "a document must be a mapping with apiVersion, kind, metadata and "
                                  "spec", ()))
        return False
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        out.append(doc.diagnostic("ARG010", "document has no kind", ("kind",) if "kind" in data else (),
                                  hint="e.g. kind: Workflow"))
        return False
    if kind not in RUNNABLE_KINDS:
        if kind not in QUIET_KINDS:
            out.append(doc.diagnostic("ARG011", f"documents of kind '{kind}' are not run and are ignored", ("kind",),
                                      hint=did_you_mean(kind, RUNNABLE_KINDS), severity=Severity.WARNING))
        return False
    if data.get("apiVersion") != ARGO_API_VERSION:
        path = ("apiVersion",) if "apiVersion" in data else ("kind",)
        out.append(doc.diagnostic("ARG012", f"apiVersion must be {ARGO_API_VERSION} for a {kind}", path,
                                  key="apiVersion" not in data))
    out.extend(check_structure(doc, kind))
    _check_metadata(doc, kind, out)
    if kind == "CronWorkflow":
        _check_cron(doc, out)
    return True


def name_problems(name: str, kind: str = "Workflow") -> list[tuple[str, str]]:
    """(code, message) for each reason Kubernetes/Argo would refuse `name` as the name of a `kind`."""
    problems = []
    if not _DNS_SUBDOMAIN.match(name):
        problems.append(("ARG013", f"metadata.name '{name[:80]}' must be lowercase alphanumerics, '-' or '.'"))
    limit = 52 if kind == "CronWorkflow" else 63
    if len(name) > limit:
        problems.append(("ARG015", f"{kind} name must not be more than {limit} characters long (currently "
                         f"{len(name)})"))
    return problems


def _check_metadata(doc: Document, kind: str, out: list[Diagnostic]) -> None:
    meta = doc.data.get("metadata")
    if not isinstance(meta, dict):
        return  # missing/mistyped metadata is reported by the structural pass
    name, generate = meta.get("name"), meta.get("generateName")
    if not name and not generate:
        labels = as_map(meta.get("labels"))
        hint = ("'generateName' is indented under labels" if "generateName" in labels or "name" in labels
                else "add metadata.name or metadata.generateName")
        # Kubernetes rejects this at submission, but a local run can still name the workflow: warn only.
        out.append(doc.diagnostic("ARG013", "metadata.name or metadata.generateName is required to submit this "
                                  f"{kind} to Kubernetes", ("metadata",), hint=hint, key=True,
                                  severity=Severity.WARNING))
    if isinstance(name, str) and name:
        out.extend(doc.diagnostic(code, message, ("metadata", "name")) for code, message in name_problems(name, kind))
    if isinstance(generate, str) and generate and not _GENERATE_NAME.match(generate):
        out.append(doc.diagnostic("ARG013", f"metadata.generateName '{generate}' must be lowercase alphanumerics, "
                                  "'-' or '.'", ("metadata", "generateName")))
    for key, value in as_map(meta.get("labels")).items():
        _check_label(doc, key, value, out)


def _check_label(doc: Document, key: Any, value: Any, out: list[Diagnostic]) -> None:
    path = ("metadata", "labels", key)
    key_text = str(key)
    prefix, _, name = key_text.rpartition("/")
    if len(name) > 63 or not _LABEL_NAME.match(name) or (prefix and not _DNS_SUBDOMAIN.match(prefix)):
        out.append(doc.diagnostic("ARG014", f"invalid label key '{key_text}'", path, key=True,
                                  hint="[prefix/]name: name is at most 63 alphanumerics, '-', '_' or '.'"))
    if isinstance(value, str) and value and (len(value) > 63 or not _LABEL_NAME.match(value)):
        out.append(doc.diagnostic("ARG014", f"invalid value '{value}' for label '{key_text}'", path,
                                  hint="at most 63 alphanumerics, '-', '_' or '.', starting and ending with an "
                                  "alphanumeric"))


def _check_cron(doc: Document, out: list[Diagnostic]) -> None:
    """validate.go CronWorkflow(): schedules, timezone, concurrencyPolicy, startingDeadlineSeconds."""
    spec = as_map(doc.data.get("spec"))
    for i, schedule in enumerate(as_list(spec.get("schedules"))):
        if isinstance(schedule, str) and not _valid_cron(schedule):
            out.append(doc.diagnostic("ARG160", f"cron schedule '{schedule}' is malformed", ("spec", "schedules", i),
                                      hint="five fields: minute hour day-of-month month day-of-week, or @hourly"))
    if "schedules" in spec and not as_list(spec.get("schedules")):
        out.append(doc.diagnostic("ARG160", "cron workflow must have at least one schedule", ("spec", "schedules"),
                                  key=True))
    policy = spec.get("concurrencyPolicy")
    if isinstance(policy, str) and policy and policy not in _CONCURRENCY:
        out.append(doc.diagnostic("ARG160", f"'{policy}' is not a valid concurrencyPolicy",
                                  ("spec", "concurrencyPolicy"), hint=did_you_mean(policy, _CONCURRENCY)))
    deadline = spec.get("startingDeadlineSeconds")
    if isinstance(deadline, int) and deadline < 0:
        out.append(doc.diagnostic("ARG160", "startingDeadlineSeconds must be positive",
                                  ("spec", "startingDeadlineSeconds")))
    timezone = spec.get("timezone")
    if isinstance(timezone, str) and timezone and not _valid_timezone(timezone):
        out.append(doc.diagnostic("ARG160", f"invalid timezone '{timezone}'", ("spec", "timezone"),
                                  hint="an IANA name such as America/Los_Angeles"))


def _valid_cron(schedule: str) -> bool:
    """robfig/cron ParseStandard, approximately: optional TZ=, descriptors, @every, or five fields."""
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        text = text.partition(" ")[2].strip()
    if text.startswith("@every "):
        return bool(re.match(r"^((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$", text[7:].strip()))
    if text.startswith("@"):
        return text in _CRON_DESCRIPTORS
    fields = text.split()
    return len(fields) == 5 and all(_CRON_FIELD.match(f) for f in fields)


def _valid_timezone(name: str) -> bool:
    try:
        import zoneinfo

        if not zoneinfo.available_timezones():
            return True  # no tz database on this machine: cannot tell, so do not complain
        zoneinfo.ZoneInfo(name)
        return True
    except (ImportError, ValueError, OSError):
        return False
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError and friends
        return False


def _global_outputs(specs: list[SpecCtx]) -> GlobalOutputs:
    """Every globalName of every template, so workflow.outputs.* resolves regardless of visiting order."""
    found = GlobalOutputs(set(), set())
    for spec in specs:
        for tmpl in spec.template_list:
            for kind, values in (("params", tmpl.output_params), ("artifacts", tmpl.output_artifacts)):
                for item in values.values():
                    name = item.get("globalName")
                    if not isinstance(name, str) or not name:
                        continue
                    if _PARAMETER.search(name):
                        setattr(found, f"any_{kind}", True)
                    else:
                        getattr(found, kind).add(name)
    return found
