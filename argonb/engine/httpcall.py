"""HTTP templates (ARGO-SEMANTICS §5.8): urllib on a worker thread; the result is the response body; the node
succeeds on a 2xx status, or when `successCondition` holds."""

from __future__ import annotations

from typing import Any

from argonb.engine.executor import TemplateExec
from argonb.engine.model import NodePhase, NodeType
from argonb.spec.template_view import TemplateView


class HttpExec(TemplateExec):
    """HTTP templates: urllib on a worker thread; result = response body; 2xx or `successCondition`."""

    def start(self, *, hooked: bool, retried: bool) -> None:
        self.node = self.rt.create_node(self.name, NodeType.HTTP, template_name=TemplateView(self.tmpl).name,
                                        boundary_id=self.boundary_id, hooked=hooked, retried=retried)
        http = dict(TemplateView(self.tmpl).body)
        self.rt.submit(lambda: _call(http), self._done)

    def _done(self, outcome: Any) -> None:
        if isinstance(outcome, BaseException):
            self.finish(NodePhase.ERROR, str(outcome))
            return
        phase, message, body = outcome
        self.node.outputs = {"result": body}
        self.finish(phase, message)


def _call(http: dict[str, Any]) -> tuple[NodePhase, str, str]:
    import urllib.error  # here, not at the top: ~20 ms of imports for every run, most without HTTP templates
    import urllib.request

    method = str(http.get("method") or "GET")
    headers = {h.get("name"): str(h.get("value", "")) for h in http.get("headers") or []}
    body = http.get("body")
    data = body.encode() if isinstance(body, str) else None
    timeout = float(http.get("timeoutSeconds") or 30)
    try:
        request = urllib.request.Request(str(http.get("url", "")), data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, text, resp_headers = resp.status, resp.read().decode("utf-8", "replace"), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        status, text, resp_headers = exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers or {})
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return NodePhase.FAILED, f"HTTP request failed: {exc}", ""
    condition = http.get("successCondition")
    if condition:
        from argonb.expr.exprlang import evaluate

        env = {"request": {"method": method, "url": http.get("url"), "body": body or "", "headers": headers},
               "response": {"statusCode": status, "body": text, "headers": resp_headers}}
        try:
            ok = bool(evaluate(str(condition), env))
        except ValueError as exc:
            return NodePhase.ERROR, f"failed to evaluate successCondition: {exc}", text
        return (NodePhase.SUCCEEDED, "", text) if ok else \
            (NodePhase.FAILED, f"successCondition '{condition}' evaluated false", text)
    if 200 <= status < 300:
        return NodePhase.SUCCEEDED, "", text
    return NodePhase.FAILED, f"received non-2xx response code: {status}", text
