"""Pod nodes: container and script templates (ARGO-SEMANTICS §5.1-§5.5, §9, §11).

On the loop thread: create the node, wait for a `spec.parallelism` slot, compute the deadline. On a worker
thread: stage input artifacts, run the backend, collect `outputs.result`, `exitCode`, output parameters and
artifacts. Back on the loop thread: record outputs and finish with Argo's phase and message.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argonb.engine.artifact_errors import ArtifactError, OutputsStopped
from argonb.engine.artifacts import has_location, output_key, stage_input
from argonb.engine.backend import AuxContainer, PodRequest, PodResult
from argonb.engine.durations import parse_duration
from argonb.engine.executor import STOP_MESSAGE, Dispatcher, OnDone, TemplateExec
from argonb.engine.model import NodePhase, NodeType
from argonb.engine.naming import pod_name
from argonb.engine.outputlimit import OutputBudget
from argonb.engine.podfs import locate_artifact, locate_file, open_regular_file, stop_check
from argonb.engine.workflow import TemplateContext
from argonb.rundir import RunDir, pod_root
from argonb.spec.template_view import TemplateView, value_from

DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"


@dataclass
class PodOutcome:
    phase: NodePhase
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)


class PodExec(TemplateExec):
    def __init__(self, engine: Dispatcher, name: str, tmpl: dict[str, Any], ctx: TemplateContext, boundary_id: str,
                 on_done: OnDone):
        super().__init__(engine, name, tmpl, ctx, boundary_id, on_done)
        self.killed_by_boundary = False
        self.cancel: threading.Event = threading.Event()

    def start(self, *, hooked: bool, retried: bool) -> None:
        tname = TemplateView(self.tmpl).name
        # A pod that gets its `spec.parallelism` slot at once is first published Running: one snapshot instead
        # of Pending then Running in the same instant. One that waits is published Pending, as before. (A
        # subclass that creates other nodes when it launches, containerSet, publishes Pending first.)
        defer = type(self)._launch is PodExec._launch
        self.node = self.rt.create_node(self.name, NodeType.POD, template_name=tname, boundary_id=self.boundary_id,
                                        phase=NodePhase.PENDING, hooked=hooked, retried=retried,
                                        inputs=_node_inputs(self.tmpl), publish=not defer)
        self.node.pod_name = pod_name(self.rt.name, self.name, tname)
        self.rt.acquire_pod_slot(self._launch)
        if defer and self.node.phase is NodePhase.PENDING:
            self.rt.publish_node(self.node)  # waiting for a slot

    def _launch(self) -> None:
        if self.done:
            self.rt.release_pod_slot()
            return
        if self.rt.shutdown_blocks(self.name):
            self.rt.release_pod_slot()
            self.finish(NodePhase.FAILED, STOP_MESSAGE.format(self.rt.stop_strategy))
            return
        if self.rt.deadline_exceeded() and ".onExit" not in self.name:  # exit handlers still run (§1.3)
            self.rt.release_pod_slot()
            self.finish(NodePhase.FAILED, "Step exceeded its deadline")
            return
        try:
            request = self._request()
        except ValueError as exc:
            self.rt.release_pod_slot()
            self.finish(NodePhase.ERROR, str(exc))
            return
        self.node.detail["command"] = [*(request.command or []), *(request.args or [])]
        # what the node panel shows, after substitution: the image, the container's own command/args and env
        self.node.detail["container"] = {"image": request.image, "command": request.command or [],
                                         "args": request.args or [], "env": dict(request.env)}
        if request.script:
            self.node.detail["script"] = request.script
        self.rt.set_phase(self.node, NodePhase.RUNNING)
        cancel = self.rt.pod_cancels[self.node.id] = self.cancel  # unused until now (set only by kill_daemon)
        if self._unthreaded_possible():
            self.rt.start_without_worker(lambda: self._start_unthreaded(request, cancel))
        else:
            self.rt.submit(lambda: self._work(request, cancel), self._done)
        if self.tmpl.get("daemon"):
            self.rt.daemons.setdefault(self.boundary_id, []).append(self)
            self.cancel = cancel
            probe = TemplateView(self.tmpl).main_container.get("readinessProbe")
            self.rt.submit(lambda: wait_ready(probe, cancel), self._daemon_ready)

    def _unthreaded_possible(self) -> bool:
        """A pod with nothing to stage before it or to archive after it can go to the backend's `start()`, when it
        has one, and no worker thread waits on it (the local backend's supervisor watches every such pod). A
        subclass that runs its pod its own way (containerSet) keeps its worker."""
        return (getattr(self.rt.backend, "start", None) is not None and type(self)._work is PodExec._work
                and _plain(self.tmpl))

    def _start_unthreaded(self, request: PodRequest, cancel: threading.Event) -> None:
        node_id = request.node_id
        log_line = self.rt.log_line
        started = self.rt.backend.start(request, lambda stream, line: log_line(node_id, stream, line),  # type: ignore[attr-defined]
                                        cancel, lambda result: self._exited(request, result))
        if not started:  # the backend wants a thread for this one after all
            self.rt.worker_free()
            self.rt.submit(lambda: self._work(request, cancel), self._done)

    def _exited(self, request: PodRequest, result: PodResult) -> None:
        """The backend's thread: outputs are read there (small files), the node is finished on the loop."""
        outcome: PodOutcome | BaseException
        try:
            outcome = self._outcome(request, result)
        except Exception as exc:
            outcome = exc

        def done() -> None:
            self.rt.worker_free()
            self._done(outcome)

        self.rt.post(done)

    def _daemon_ready(self, ready: Any) -> None:
        """§5.10: a daemon is fulfilled ("Daemoned") once running and ready; dependents go on."""
        if self.done or ready is not True:
            return
        self.node.daemoned = True
        self.node.detail["ip"] = "127.0.0.1"  # {{steps.X.ip}}: pods share this machine's network
        self.notify_fulfilled()

    def kill_daemon(self) -> None:
        """The enclosing steps/DAG node is fulfilled: the daemon is stopped and ends Succeeded."""
        self.killed_by_boundary = True
        self.cancel.set()
        self.finish(NodePhase.SUCCEEDED)  # marked at once, as Argo's killDaemonedChildren does

    def _request(self) -> PodRequest:
        return self.request_for(TemplateView(self.tmpl).main_container,
                                _mount_paths(self.tmpl), RunDir(self.rt.run_dir).pod_dir(self.node.pod_name))

    def request_for(self, container: dict[str, Any], mounts: list[str], pod_dir: Path,
                    root: Path | None = None) -> PodRequest:
        """The backend request for one container of this pod (`root` shared by a containerSet's containers)."""
        env = {}
        for var in container.get("env") or []:
            if var.get("value") is not None:
                env[str(var["name"])] = str(var["value"])
            elif var.get("valueFrom"):
                raise ValueError(f"env {var.get('name')!r}: valueFrom ({', '.join(var['valueFrom'])}) needs "
                                 "Kubernetes and is not emulated by the local backend")
        for problem in _unsupported_volumes(self.rt.spec, self.tmpl, container):
            raise ValueError(problem)
        return PodRequest(
            node_id=self.node.id, node_name=self.name, pod_name=self.node.pod_name,
            template_name=TemplateView(self.tmpl).name, image=str(container.get("image", "")),
            command=_strings(container.get("command")), args=_strings(container.get("args")), env=env,
            pod_dir=pod_dir, root=root or pod_root(pod_dir), mapped_paths=_declared_paths(self.tmpl),
            mount_paths=mounts, private_paths=_input_artifact_paths(self.tmpl),
            output_paths=_output_paths(self.tmpl),
            script=str(container["source"]) if self.tmpl.get("script") and container.get("source") else None,
            working_dir=container.get("workingDir"), deadline=self._deadline(), run_id=self.rt.name,
            stdin=bool(container.get("stdin")), tty=bool(container.get("tty")),
            init_containers=[_aux(c) for c in self.tmpl.get("initContainers") or []],
            sidecars=[_aux(c) for c in self.tmpl.get("sidecars") or []],
            **_container_options(self.rt.spec, self.tmpl, container),
        )

    def _deadline(self) -> float | None:
        deadlines = []
        start = self.node.started_at or self.rt.clock()
        if self.tmpl.get("timeout"):
            deadlines.append(start + parse_duration(str(self.tmpl["timeout"])))
        if self.tmpl.get("activeDeadlineSeconds") is not None:
            deadlines.append(self.rt.clock() + float(str(self.tmpl["activeDeadlineSeconds"])))
        if self.rt.spec.get("activeDeadlineSeconds") is not None and ".onExit" not in self.name:
            deadlines.append(self.rt.started_at + float(str(self.rt.spec["activeDeadlineSeconds"])))
        if self.name in self.rt.execution_deadlines:
            deadlines.append(self.rt.execution_deadlines[self.name])
        return min(deadlines) if deadlines else None

    # ---- worker thread ------------------------------------------------------------------------------
    def _work(self, request: PodRequest, cancel: threading.Event) -> PodOutcome:
        try:
            self._stage_inputs(request)
        except (ArtifactError, OSError, ValueError) as exc:
            return PodOutcome(NodePhase.ERROR, str(exc))
        result = self.rt.backend.run(request, lambda s, line: self.rt.log_line(request.node_id, s, line),
                                     cancel)
        return self._outcome(request, result)

    def _stage_config_maps(self, request: PodRequest) -> None:
        container = TemplateView(self.tmpl).main_container
        for mount_path, files in config_map_files(self.rt.spec, self.tmpl, container,
                                                  self.rt.registry.config_maps).items():
            target = request.host_path(mount_path)
            for name, text in files.items():
                path = target / name if name else target
                if not name and path.is_dir() and not any(path.iterdir()):
                    path.rmdir()  # a subPath mount is a file, not the directory made for the mount point
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)

    def _stage_inputs(self, request: PodRequest) -> None:
        self._stage_config_maps(request)
        for art in TemplateView(self.tmpl).input_artifacts:
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
        if result.failed_container:  # an init container or sidecar exited non-zero (not 137/143)
            phase = NodePhase.FAILED
            message = f"{result.failed_container}: Error (exit code {result.failed_exit_code})"
        elif result.exit_code != 0:  # a backend may say why (docker: `main: OOMKilled (exit code 137)`)
            phase, message = NodePhase.FAILED, result.message or f"main: Error (exit code {result.exit_code})"
        try:
            params = self._collect_parameters(request, result.copied_outputs)
            if params:
                outputs["parameters"] = params
            arts = self._collect_artifacts(request, result.copied_outputs)
            if arts:
                outputs["artifacts"] = arts
        except OutputsStopped as exc:  # stop and deadlines reach a long collection too
            strategy = self.rt.stop_strategy or "Stop"
            return PodOutcome(NodePhase.FAILED, DEADLINE_MESSAGE if exc.timed_out else STOP_MESSAGE.format(strategy),
                              outputs)
        except (ArtifactError, OSError, ValueError) as exc:
            if phase is NodePhase.SUCCEEDED:  # a failed main wins over an output error (§5.4)
                phase, message = NodePhase.ERROR, str(exc)
        return PodOutcome(phase, message, outputs)

    def _collect_parameters(self, request: PodRequest, copied: dict[str, Path]) -> list[dict[str, Any]]:
        out = []
        budget = OutputBudget()  # all values of one pod travel in one task result, bounded as Argo's
        for param in TemplateView(self.tmpl).output_parameters:
            entry = {k: v for k, v in param.items() if k != "valueFrom"}
            vf = value_from(param)
            if param.get("value") is not None:
                entry["value"] = budget.take(str(param["value"]))
            elif vf.get("path"):
                # read as the container sees it: a link resolves inside the pod, never on the host
                text = budget.read(open_regular_file(locate_file(request, copied, str(vf["path"]))))
                if text is None:
                    if vf.get("default") is None:
                        raise ValueError(f"open {vf['path']}: no such file or directory "
                                         f"(output parameter {param.get('name')!r})")
                    text = budget.take(str(vf["default"]))
                elif text.endswith("\n"):
                    text = text[:-1]
                entry["value"] = text
            elif vf.get("default") is not None:
                entry["value"] = budget.take(str(vf["default"]))
            else:
                raise ValueError(f"output parameter {param.get('name')!r}: valueFrom "
                                 f"{json.dumps(value_from)} is not supported for pods by the local backend")
            out.append(entry)
        return out

    def _collect_artifacts(self, request: PodRequest, copied: dict[str, Path]) -> list[dict[str, Any]]:
        out = []
        check = stop_check(self.cancel.is_set, request.deadline)
        for art in TemplateView(self.tmpl).output_artifacts:
            if not art.get("path"):
                raise ArtifactError(f"output artifact {art.get('name')!r} has no path")
            check()
            source = locate_artifact(request, copied, str(art["path"]))
            if source is None:
                if art.get("optional"):
                    continue
                raise ArtifactError(f"failed to save outputs: {art['path']}: no such file or directory "
                                    f"(artifact {art.get('name')!r})")
            key = output_key(self.rt.name, self.node.pod_name, art)
            self.rt.repo.save(source, key, art.get("archive"), check)
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
        if self.done:  # a daemon already marked Succeeded when its boundary ended
            return
        if self.tmpl.get("daemon") and outcome.phase is NodePhase.SUCCEEDED:
            outcome.phase, outcome.message = NodePhase.FAILED, "daemon exited by itself"  # §5.10
        if outcome.outputs:
            self.node.outputs = outcome.outputs
            for param in outcome.outputs.get("parameters") or []:
                self.rt.add_global_output(param)
            for art in outcome.outputs.get("artifacts") or []:
                self.rt.add_global_artifact(art)
        self.finish(outcome.phase, outcome.message)


def _plain(tmpl: dict[str, Any]) -> bool:
    """No input artifacts or configMap files to stage, no output artifacts to archive, not a daemon."""
    view = TemplateView(tmpl)
    return not (tmpl.get("daemon") or view.input_artifacts or view.output_artifacts
                or view.main_container.get("volumeMounts"))


def _aux(spec: dict[str, Any]) -> AuxContainer:
    for var in spec.get("env") or []:  # as for the main container: refused, never silently dropped
        if var.get("value") is None and var.get("valueFrom"):
            raise ValueError(f"{spec.get('name')}: env {var.get('name')!r}: valueFrom ({', '.join(var['valueFrom'])}) "
                             "needs Kubernetes and is not emulated by the local backend")
    env = {str(v["name"]): str(v["value"]) for v in spec.get("env") or [] if v.get("value") is not None}
    return AuxContainer(name=str(spec.get("name", "")), image=str(spec.get("image", "")),
                        command=_strings(spec.get("command")), args=_strings(spec.get("args")), env=env,
                        working_dir=spec.get("workingDir"))


def wait_ready(probe: dict[str, Any] | None, cancel: threading.Event, limit: float = 300.0) -> bool:
    """Poll a readinessProbe (httpGet / tcpSocket on this machine) until it succeeds; no probe = ready."""
    import socket
    import time
    import urllib.request

    if not probe:
        return True
    if cancel.wait(float(probe.get("initialDelaySeconds") or 0)):
        return False
    period = float(probe.get("periodSeconds") or 1)
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            if probe.get("httpGet"):
                get = probe["httpGet"]
                url = f"http://127.0.0.1:{get.get('port', 80)}{get.get('path', '/')}"
                with urllib.request.urlopen(url, timeout=float(probe.get("timeoutSeconds") or 1)) as resp:
                    if 200 <= resp.status < 400:
                        return True
            elif probe.get("tcpSocket"):
                with socket.create_connection(("127.0.0.1", int(probe["tcpSocket"].get("port", 0))), timeout=1):
                    return True
            else:
                return True  # exec probes are not run locally: treated as ready
        except OSError:
            pass
        if cancel.wait(period):
            return False
    return False


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [v if isinstance(v, str) else json.dumps(v) for v in value]


def _node_inputs(tmpl: dict[str, Any]) -> dict[str, Any] | None:
    inputs = TemplateView(tmpl).inputs
    out: dict[str, Any] = {}
    if inputs.get("parameters"):
        out["parameters"] = [{k: v for k, v in p.items() if k in ("name", "value", "default", "enum",
                                                                    "description")}
                             for p in inputs["parameters"]]
    if inputs.get("artifacts"):
        out["artifacts"] = inputs["artifacts"]
    return out or None


def _mount_paths(tmpl: dict[str, Any]) -> list[str]:
    container = TemplateView(tmpl).main_container
    return [str(m["mountPath"]) for m in container.get("volumeMounts") or [] if str(m.get("mountPath", ""))
            .startswith("/")]


def _input_artifact_paths(tmpl: dict[str, Any]) -> list[str]:
    """Where input artifacts go: argonb writes them, so they are the pod's own files, also under /usr or /bin
    (never the host's: `path: /usr/local/bin/kubectl` must not replace the user's kubectl)."""
    return [str(a["path"]) for a in TemplateView(tmpl).input_artifacts if str(a.get("path") or "").startswith("/")]


def _output_paths(tmpl: dict[str, Any]) -> list[str]:
    """Absolute paths the engine reads after the pod: output parameters' files and output artifacts."""
    view = TemplateView(tmpl)
    paths = [str(a["path"]) for a in view.output_artifacts if a.get("path")]
    paths += [str(p["valueFrom"]["path"]) for p in view.output_parameters if value_from(p).get("path")]
    return [p for p in paths if p.startswith("/")]


def _declared_paths(tmpl: dict[str, Any]) -> list[str]:
    """Container paths that must be private to this pod: artifact and parameter paths."""
    paths: list[str] = []
    view = TemplateView(tmpl)
    for art in [*view.input_artifacts, *view.output_artifacts]:
        if art.get("path"):
            paths.append(str(art["path"]))
    for param in view.output_parameters:
        path = value_from(param).get("path")
        if path:
            paths.append(str(path))
    return [p for p in paths if p.startswith("/")]


def _unsupported_volumes(spec: dict[str, Any], tmpl: dict[str, Any], container: dict[str, Any]) -> list[str]:
    mounts = TemplateView(tmpl).volume_mounts(container)
    if not mounts:
        return []  # the usual pod: nothing to look up
    volumes = {v.get("name"): v for v in (spec.get("volumes") or []) + TemplateView(tmpl).volumes}
    claims = {c.get("metadata", {}).get("name") for c in spec.get("volumeClaimTemplates") or []}
    problems = []
    for mount in mounts:
        vol = volumes.get(mount.get("name"))
        if mount.get("name") in claims:
            problems.append(f"volume {mount.get('name')!r} is a volumeClaimTemplate (PVC): PersistentVolumeClaims "
                            "need Kubernetes and are not emulated by the local backend")
        elif vol is None:
            problems.append(f"volumeMount {mount.get('name')!r} has no matching volume")
        elif not ("emptyDir" in vol or "hostPath" in vol or "configMap" in vol):
            kind = next((k for k in vol if k != "name"), "unknown")
            problems.append(f"volume {mount.get('name')!r} of type {kind} needs Kubernetes and is not emulated by "
                            "the local backend (emptyDir, hostPath and configMap are)")
    return problems


def config_map_files(spec: dict[str, Any], tmpl: dict[str, Any], container: dict[str, Any],
                     config_maps: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Files of configMap volumes per mount path (one file per key), from ConfigMap documents known to the run.
    A missing ConfigMap is an empty directory when `optional`, an error otherwise."""
    volumes = {v.get("name"): v for v in (spec.get("volumes") or []) + TemplateView(tmpl).volumes}
    mounts = TemplateView(tmpl).volume_mounts(container)
    out: dict[str, dict[str, str]] = {}
    for mount in mounts:
        source = (volumes.get(mount.get("name")) or {}).get("configMap")
        if source is None:
            continue
        data = config_maps.get(str(source.get("name")))
        if data is None:
            if not source.get("optional"):
                raise ValueError(f"configmap {source.get('name')!r} not found (volume {mount.get('name')!r}; give the "
                                 "ConfigMap document with the workflow or via --templates)")
            data = {}
        items = source.get("items")
        files = {str(i.get("path")): data[str(i.get("key"))] for i in items or [] if str(i.get("key")) in data} \
            if items else dict(data)
        if mount.get("subPath"):
            files = {"": files.get(str(mount["subPath"]), "")}
        out[str(mount.get("mountPath"))] = files
    return out


def _container_options(spec: dict[str, Any], tmpl: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    """What only a container backend uses: resolved volume mounts, securityContext, resources, pull policy."""
    mounts = TemplateView(tmpl).volume_mounts(container)
    volumes = {v.get("name"): v for v in (spec.get("volumes") or []) + TemplateView(tmpl).volumes} if mounts else {}
    security = {**(spec.get("securityContext") or {}), **(tmpl.get("securityContext") or {}),
                **(container.get("securityContext") or {})}
    return dict(
        volumes=[{**m, "volume": volumes.get(m.get("name")) or {}} for m in mounts if m.get("mountPath")],
        security_context=security, resources=dict(container.get("resources") or {}),
        image_pull_policy=str(container.get("imagePullPolicy") or ""),
    )
