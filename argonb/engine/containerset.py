"""containerSet templates (ARGO-SEMANTICS §5.6): several containers in one pod, started in `dependencies` order.

The pod is one Pod node; each container is a child node `<pod>.<container>` (type Container). All containers
share the pod's filesystem (its volumes: `containerSet.volumeMounts`); inputs, outputs and `outputs.result`
come from the container named `main`. A container whose dependency did not succeed never starts.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from argonb.engine.artifact_errors import ArtifactError
from argonb.engine.backend import PodRequest, PodResult
from argonb.engine.model import Node, NodePhase, NodeType
from argonb.engine.pod import PodExec, PodOutcome
from argonb.rundir import MAIN, RunDir, container_subdir
from argonb.spec.template_view import TemplateView

DEPENDENCY_FAILED = "a dependency did not succeed"


class ContainerSetExec(PodExec):
    def start(self, *, hooked: bool, retried: bool) -> None:
        spec = TemplateView(self.tmpl).body
        self.containers: list[dict[str, Any]] = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
        self.container_nodes: dict[str, Node] = {}
        super().start(hooked=hooked, retried=retried)

    def _launch(self) -> None:
        self._create_container_nodes()
        super()._launch()

    def _create_container_nodes(self) -> None:
        if self.container_nodes or self.done:
            return
        for ctr in self.containers:
            name = str(ctr.get("name"))
            node = self.rt.create_node(f"{self.name}.{name}", NodeType.CONTAINER, boundary_id=self.node.id,
                                       phase=NodePhase.PENDING, template_name=TemplateView(self.tmpl).name)
            self.container_nodes[name] = node
        for ctr in self.containers:
            node = self.container_nodes[str(ctr.get("name"))]
            deps = [d for d in ctr.get("dependencies") or [] if d in self.container_nodes]
            for parent in [self.container_nodes[d] for d in deps] or [self.node]:
                self.rt.add_child(parent, node)

    def _request(self) -> PodRequest:
        main = next((c for c in self.containers if c.get("name") == "main"), self.containers[-1] if
                    self.containers else {})
        return self.request_for(main, self._mounts(main), RunDir(self.rt.run_dir).pod_dir(self.node.pod_name))

    def _mounts(self, ctr: dict[str, Any]) -> list[str]:
        view = TemplateView(self.tmpl)
        return [str(m["mountPath"]) for m in [*view.shared_volume_mounts, *(ctr.get("volumeMounts") or [])]
                if str(m.get("mountPath", "")).startswith("/")]

    # ---- worker thread ----------------------------------------------------------------------------------
    def _work(self, request: PodRequest, cancel: threading.Event) -> PodOutcome:
        try:
            self._stage_inputs(request)
        except (ArtifactError, OSError) as exc:
            return PodOutcome(NodePhase.ERROR, str(exc))
        results = self._run_graph(request, cancel)
        main = results.get("main") or next(iter(results.values()), PodResult(exit_code=None, error="no containers"))
        for name, result in results.items():
            if name != "main" and result.exit_code not in (0, None):
                main = replace(main, failed_container=name, failed_exit_code=result.exit_code,
                               exit_code=main.exit_code if main.exit_code is not None else result.exit_code,
                               error="" if main.error == DEPENDENCY_FAILED else main.error)
                break
        return self._outcome(request, main)

    def _run_graph(self, base: PodRequest, cancel: threading.Event) -> dict[str, PodResult]:
        results: dict[str, PodResult] = {}
        done = threading.Condition()
        specs = {str(c.get("name")): c for c in self.containers}

        def run_one(name: str) -> None:
            ctr = specs[name]
            pod_dir = base.pod_dir if name == MAIN else container_subdir(base.pod_dir, name)
            request = replace(self.request_for(ctr, self._mounts(ctr), pod_dir, root=base.root),
                              mapped_paths=base.mapped_paths)
            self._post_phase(name, NodePhase.RUNNING)
            result = self.rt.backend.run(request, lambda s, line: self.rt.log_line(self.node.id, s, line), cancel)
            phase = NodePhase.SUCCEEDED if result.exit_code == 0 and not result.error else NodePhase.FAILED
            message = result.error or ("" if result.exit_code == 0 else f"Error (exit code {result.exit_code})")
            self._post_phase(name, phase, message)
            with done:
                results[name] = result
                done.notify_all()

        started: set[str] = set()
        with done:
            while len(results) < len(specs):
                for name, ctr in specs.items():
                    deps = list(ctr.get("dependencies") or [])
                    if name in started or any(d in specs and d not in results for d in deps):
                        continue
                    started.add(name)
                    if any(d in results and results[d].exit_code != 0 for d in deps):
                        results[name] = PodResult(exit_code=None, error=DEPENDENCY_FAILED)
                        self._post_phase(name, NodePhase.FAILED, DEPENDENCY_FAILED)
                        continue
                    threading.Thread(target=run_one, args=(name,), daemon=True,
                                     name=f"argonb-ctr-{name}").start()
                if len(results) < len(specs):
                    done.wait()
        return results

    def _post_phase(self, name: str, phase: NodePhase, message: str = "") -> None:
        node = self.container_nodes[name]
        self.rt.post(lambda: self.rt.set_phase(node, phase, message))
