"""Pod nodes: container and script templates (ARGO-SEMANTICS §5.1-§5.5, §9, §11).

On the loop thread: create the node, wait for a `spec.parallelism` slot, compute the deadline. On a worker
thread: stage input artifacts, run the backend, collect `outputs.result`, `exitCode`, output parameters and
artifacts. Back on the loop thread: record outputs and finish with Argo's phase and message.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from argonb.engine.artifacts import ArtifactError, has_location, output_key, stage_input
from argonb.engine.backend import PodRequest, PodResult
from argonb.engine.durations import parse_duration
from argonb.engine.execute import STOP_MESSAGE, Engine, Exec, OnDone
from argonb.engine.model import NodePhase, NodeType
from argonb.engine.naming import pod_name
from argonb.engine.workflow import TemplateContext

DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"


@dataclass
class PodOutcome:
    phase: NodePhase
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)


class PodExec(Exec):
    def __init__(self, engine: Engine, name: str, tmpl: dict[str, Any], ctx: TemplateContext, boundary_id: str,
                 on_done: OnDone):
        super().__init__(engine, on_done)
        self.name = name
        self.tmpl = tmpl
        self.boundary_id = boundary_id

    def start(self, *, hooked: bool, retried: bool) -> None:
        tname = str(self.tmpl.get("name", ""))
        self.node = self.rt.create_node(self.name, NodeType.POD, template_name=tname, boundary_id=self.boundary_id,
                                        phase=NodePhase.PENDING, hooked=hooked, retried=retried,
                                        inputs=_node_inputs(self.tmpl))
        self.node.pod_name = pod_name(self.rt.name, self.name, tname)
        self.rt.acquire_pod_slot(self._launch)

    def _launch(self) -> None:
        if self.done:
            self.rt.release_pod_slot()
            return
        if self.rt.shutdown_blocks(self.name):
            self.rt.release_pod_slot()
            self.finish(NodePhase.FAILED, STOP_MESSAGE.format(self.rt.stop_strategy))
            return
        try:
            request = self._request()
        except ValueError as exc:
            self.rt.release_pod_slot()
            self.finish(NodePhase.ERROR, str(exc))
            return
        self.node.detail["command"] = [*(request.command or []), *(request.args or [])]
        if request.script:
            self.node.detail["script"] = request.script
        self.rt.set_phase(self.node, NodePhase.RUNNING)
        cancel = self.rt.pod_cancels[self.node.id] = threading.Event()
        self.rt.submit(lambda: self._work(request, cancel), self._done)

    def _request(self) -> PodRequest:
        container = self.tmpl.get("script") or self.tmpl.get("container") or {}
        env = {}
        for var in container.get("env") or []:
            if var.get("value") is not None:
                env[str(var["name"])] = str(var["value"])
            elif var.get("valueFrom"):
                raise ValueError(f"env {var.get('name')!r}: valueFrom ({', '.join(var['valueFrom'])}) needs "
                                 "Kubernetes and is not emulated by the local backend")
        for problem in _unsupported_volumes(self.rt.spec, self.tmpl):
            raise ValueError(problem)
        pod_dir = self.rt.run_dir / "pods" / self.node.pod_name
        return PodRequest(
            node_id=self.node.id, node_name=self.name, pod_name=self.node.pod_name,
            template_name=str(self.tmpl.get("name", "")), image=str(container.get("image", "")),
            command=_strings(container.get("command")), args=_strings(container.get("args")), env=env,
            pod_dir=pod_dir, root=pod_dir / "root", mapped_paths=_declared_paths(self.tmpl),
            mount_paths=_mount_paths(self.tmpl),
            script=str(container["source"]) if self.tmpl.get("script") and container.get("source") else None,
            working_dir=container.get("workingDir"), deadline=self._deadline(), run_id=self.rt.name,
            stdin=bool(container.get("stdin")), tty=bool(container.get("tty")),
        )

    def _deadline(self) -> float | None:
        deadlines = []
        start = self.node.started_at or self.rt.clock()
        if self.tmpl.get("timeout"):
            deadlines.append(start + parse_duration(str(self.tmpl["timeout"])))
        if self.tmpl.get("activeDeadlineSeconds") is not None:
            deadlines.append(self.rt.clock() + float(str(self.tmpl["activeDeadlineSeconds"])))
        if self.rt.spec.get("activeDeadlineSeconds") is not None:
            deadlines.append(self.rt.started_at + float(str(self.rt.spec["activeDeadlineSeconds"])))
        if self.name in self.rt.execution_deadlines:
            deadlines.append(self.rt.execution_deadlines[self.name])
        return min(deadlines) if deadlines else None

    # ---- worker thread ------------------------------------------------------------------------------
    def _work(self, request: PodRequest, cancel: threading.Event) -> PodOutcome:
        try:
            self._stage_inputs(request)
        except (ArtifactError, OSError) as exc:
            return PodOutcome(NodePhase.ERROR, str(exc))
        result = self.rt.backend.run(request, lambda s, line: self.rt.log_line(request.node_id, s, line),
                                     cancel)
        return self._outcome(request, result)

    def _stage_inputs(self, request: PodRequest) -> None:
        for art in (self.tmpl.get("inputs") or {}).get("artifacts") or []:
            if not has_location(art):
                continue  # optional and not supplied
            if not art.get("path"):
                raise ArtifactError(f"input artifact {art.get('name')!r} has no path")
            try:
                stage_input(self.rt.repo, art, request.host_path(str(art["path"])))
            except (ArtifactError, OSError):
                if not art.get("optional"):
                    raise  # an optional artifact that cannot be loaded is simply absent

    def _outcome(self, request: PodRequest, result: PodResult) -> PodOutcome:
        outputs: dict[str, Any] = {}
        if result.error:
            return PodOutcome(NodePhase.ERROR, result.error)
        tail = result.stdout_tail.decode("utf-8", errors="replace")
        outputs["result"] = tail[:-1] if tail.endswith("\n") else tail
        outputs["exitCode"] = str(result.exit_code)
        if result.cancelled:
            strategy = self.rt.stop_strategy or "Stop"
            return PodOutcome(NodePhase.FAILED, STOP_MESSAGE.format(strategy), outputs)
        if result.timed_out:
            return PodOutcome(NodePhase.FAILED, DEADLINE_MESSAGE, outputs)
        phase, message = NodePhase.SUCCEEDED, ""
        if result.exit_code != 0:
            phase, message = NodePhase.FAILED, f"main: Error (exit code {result.exit_code})"
        try:
            params = self._collect_parameters(request)
            if params:
                outputs["parameters"] = params
            arts = self._collect_artifacts(request)
            if arts:
                outputs["artifacts"] = arts
        except (ArtifactError, OSError, ValueError) as exc:
            if phase is NodePhase.SUCCEEDED:  # a failed main wins over an output error (§5.4)
                phase, message = NodePhase.ERROR, str(exc)
        return PodOutcome(phase, message, outputs)

    def _collect_parameters(self, request: PodRequest) -> list[dict[str, Any]]:
        out = []
        for param in (self.tmpl.get("outputs") or {}).get("parameters") or []:
            entry = {k: v for k, v in param.items() if k != "valueFrom"}
            value_from = param.get("valueFrom") or {}
            if param.get("value") is not None:
                entry["value"] = str(param["value"])
            elif value_from.get("path"):
                path = request.host_path(str(value_from["path"]))
                try:
                    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
                except OSError:
                    text = None
                if text is None:
                    if value_from.get("default") is None:
                        raise ValueError(f"open {value_from['path']}: no such file or directory "
                                         f"(output parameter {param.get('name')!r})")
                    text = str(value_from["default"])
                elif text.endswith("\n"):
                    text = text[:-1]
                entry["value"] = text
            elif value_from.get("default") is not None:
                entry["value"] = str(value_from["default"])
            else:
                raise ValueError(f"output parameter {param.get('name')!r}: valueFrom "
                                 f"{json.dumps(value_from)} is not supported for pods by the local backend")
            out.append(entry)
        return out

    def _collect_artifacts(self, request: PodRequest) -> list[dict[str, Any]]:
        out = []
        for art in (self.tmpl.get("outputs") or {}).get("artifacts") or []:
            if not art.get("path"):
                raise ArtifactError(f"output artifact {art.get('name')!r} has no path")
            source = request.host_path(str(art["path"]))
            if not source.exists():
                if art.get("optional"):
                    continue
                raise ArtifactError(f"failed to save outputs: {art['path']}: no such file or directory "
                                    f"(artifact {art.get('name')!r})")
            key = output_key(self.rt.name, self.node.pod_name, art)
            self.rt.repo.save(source, key, art.get("archive"))
            entry = {k: v for k, v in art.items() if k not in ("s3", "archive")}
            entry["s3"] = {"key": key}
            if art.get("archive"):
                entry["archive"] = art["archive"]
            out.append(entry)
        return out

    # ---- back on the loop thread --------------------------------------------------------------------------
    def _done(self, outcome: PodOutcome | BaseException) -> None:
        self.rt.release_pod_slot()
        self.rt.pod_cancels.pop(self.node.id, None)
        if isinstance(outcome, BaseException):
            outcome = PodOutcome(NodePhase.ERROR, f"argonb failed to run the pod: {outcome}")
        if outcome.outputs:
            self.node.outputs = outcome.outputs
            for param in outcome.outputs.get("parameters") or []:
                self.rt.add_global_output(param)
            for art in outcome.outputs.get("artifacts") or []:
                self.rt.add_global_artifact(art)
        self.finish(outcome.phase, outcome.message)


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [v if isinstance(v, str) else json.dumps(v) for v in value]


def _node_inputs(tmpl: dict[str, Any]) -> dict[str, Any] | None:
    inputs = tmpl.get("inputs") or {}
    out: dict[str, Any] = {}
    if inputs.get("parameters"):
        out["parameters"] = [{k: v for k, v in p.items() if k in ("name", "value", "default", "enum",
                                                                    "description")}
                             for p in inputs["parameters"]]
    if inputs.get("artifacts"):
        out["artifacts"] = inputs["artifacts"]
    return out or None


def _mount_paths(tmpl: dict[str, Any]) -> list[str]:
    container = tmpl.get("container") or tmpl.get("script") or {}
    return [str(m["mountPath"]) for m in container.get("volumeMounts") or [] if str(m.get("mountPath", ""))
            .startswith("/")]


def _declared_paths(tmpl: dict[str, Any]) -> list[str]:
    """Container paths that must be private to this pod: artifact and parameter paths."""
    paths: list[str] = []
    for art in (tmpl.get("inputs") or {}).get("artifacts") or []:
        if art.get("path"):
            paths.append(str(art["path"]))
    outputs = tmpl.get("outputs") or {}
    for art in outputs.get("artifacts") or []:
        if art.get("path"):
            paths.append(str(art["path"]))
    for param in outputs.get("parameters") or []:
        path = (param.get("valueFrom") or {}).get("path")
        if path:
            paths.append(str(path))
    return [p for p in paths if p.startswith("/")]


def _unsupported_volumes(spec: dict[str, Any], tmpl: dict[str, Any]) -> list[str]:
    volumes = {v.get("name"): v for v in (spec.get("volumes") or []) + (tmpl.get("volumes") or [])}
    claims = {c.get("metadata", {}).get("name") for c in spec.get("volumeClaimTemplates") or []}
    container = tmpl.get("container") or tmpl.get("script") or {}
    problems = []
    for mount in container.get("volumeMounts") or []:
        vol = volumes.get(mount.get("name"))
        if mount.get("name") in claims:
            problems.append(f"volume {mount.get('name')!r} is a volumeClaimTemplate (PVC): PersistentVolumeClaims "
                            "need Kubernetes and are not emulated by the local backend")
        elif vol is None:
            problems.append(f"volumeMount {mount.get('name')!r} has no matching volume")
        elif not ("emptyDir" in vol or "hostPath" in vol):
            kind = next((k for k in vol if k != "name"), "unknown")
            problems.append(f"volume {mount.get('name')!r} of type {kind} needs Kubernetes and is not emulated by "
                            "the local backend (emptyDir is)")
    return problems
