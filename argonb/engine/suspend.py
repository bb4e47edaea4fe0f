"""Suspend templates (ARGO-SEMANTICS §5.7): `suspend: {duration}` resumes by itself, `suspend: {}` waits
for `Run.resume()`; outputs declared `valueFrom.supplied` take the supplied value or their default."""

from __future__ import annotations

from argonb.engine.durations import parse_duration
from argonb.engine.executor import STOP_MESSAGE, TemplateExec
from argonb.engine.model import NodePhase, NodeType
from argonb.spec.template_view import TemplateView, value_from


class SuspendExec(TemplateExec):
    """`suspend: {duration}` resumes by itself; `suspend: {}` waits for `Run.resume()`."""

    def start(self, *, hooked: bool, retried: bool) -> None:
        self.node = self.rt.create_node(self.name, NodeType.SUSPEND, template_name=TemplateView(self.tmpl).name,
                                        boundary_id=self.boundary_id, hooked=hooked, retried=retried)
        duration = TemplateView(self.tmpl).body.get("duration")
        if duration not in (None, ""):
            try:
                seconds = parse_duration(str(duration))
            except ValueError as exc:
                self.finish(NodePhase.ERROR, str(exc))
                return
            self.rt.call_later(seconds, lambda: self.resume({}))
        self.rt.suspended[self.node.id] = self

    def resume(self, supplied: dict[str, str], *, phase: NodePhase = NodePhase.SUCCEEDED, message: str = "") -> None:
        """Resume (loop thread): outputs declared `valueFrom.supplied` take the supplied value or their default."""
        if self.done:
            return
        self.rt.suspended.pop(self.node.id, None)
        params = []
        for param in TemplateView(self.tmpl).output_parameters:
            vf = value_from(param)
            value = supplied.get(param.get("name"))
            if value is None:
                value = vf.get("default") if vf.get("default") is not None else param.get("value")
            if value is None:
                continue
            params.append({k: v for k, v in param.items() if k != "valueFrom"} | {"value": str(value)})
        if params:
            self.node.outputs = {"parameters": params}
            for p in params:
                self.rt.add_global_output(p)
        self.finish(phase, message)

    def stop(self, strategy: str) -> None:
        self.resume({}, phase=NodePhase.FAILED, message=STOP_MESSAGE.format(strategy))
