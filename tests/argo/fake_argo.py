"""A MOCK of an Argo Workflows cluster's Argo Server: the one thing these tests cannot run for real here.

`FakeArgoServer` is an `http.server` on 127.0.0.1 (random port, one thread per request) that implements the
Argo Server endpoints argonb uses, with the Argo Server's paths, request bodies, error bodies
(`{"code": <grpc>, "message": ...}`) and streaming formats (Server-Sent Events `data: {"result": ...}` when the
client sends `Accept: text/event-stream`, newline-delimited JSON otherwise). It does not run workflows: each
created workflow plays a scripted status progression (`Plan`: frames of node statuses and pod log lines,
one frame per tick), so tests can check what argonb does with what a cluster would say.

Every request is recorded (method, path, query, headers, body) and every request body is validated against
hera's models (`WorkflowCreateRequest`, `WorkflowStopRequest`, ...), including a check for fields hera's
models do not know; problems are collected in `violations` and answered with 400.

`fault` (one of `FAULTS`, with `fault_on(method, path)` choosing the requests it hits) makes the server (or a
proxy in front of it) misbehave instead: error statuses with JSON, HTML or empty bodies, no answer, a cut
connection, bad JSON, a redirect loop, an oversized body.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import hera.workflows.models as hm

from argonb.engine.naming import fnv32a, node_id

GRPC = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 500: 13}

# name -> what the answer is (see _Handler._fault)
FAULTS = {
    "json-500": "500 with the Argo Server's JSON error body (a multi-line message with a terminal escape)",
    "html-502": "502 with a proxy's HTML page",
    "empty-503": "503 with an empty body",
    "json-429": "429 (a rate-limiting proxy) with a JSON body",
    "hang": "no answer at all (the client must time out)",
    "drop": "the connection closed without an answer",
    "cut-body": "200 declaring 100000 bytes, the connection closed after 10",
    "bad-json": "200 with a JSON text cut in the middle",
    "deep-json": "200 with 100000 nested JSON arrays",
    "not-object": "200 with a JSON list",
    "wrong-shape": "200 with a Workflow whose status.nodes is a string",
    "redirect-loop": "302 to the same address, forever",
    "huge-error": "500 with a body of `huge_bytes` bytes (chunked, no Content-Length)",
    "huge-ok": "200 with a body of `huge_bytes` bytes (chunked)",
    "huge-line": "a stream whose first line never ends (`huge_bytes` bytes)",
    "drip": "200 declaring 1 MiB, sent one byte every 50 ms (each read is in time, the whole answer is not)",
}


def unknown_fields(data: Any, dumped: Any, path: str = "") -> list[str]:
    """Keys present in `data` that hera's model dropped (fields Argo would not know either)."""
    out: list[str] = []
    if isinstance(data, dict):
        if not isinstance(dumped, dict):
            return [path or "."]
        for key, value in data.items():
            if key not in dumped:
                out.append(f"{path}.{key}")
            else:
                out += unknown_fields(value, dumped[key], f"{path}.{key}")
    elif isinstance(data, list) and isinstance(dumped, list):
        for i, (a, b) in enumerate(zip(data, dumped, strict=False)):
            out += unknown_fields(a, b, f"{path}[{i}]")
    return out


def check_model(model: type, body: Any) -> list[str]:
    """Problems validating `body` with a hera model (empty when it is a valid, fully known request)."""
    try:
        parsed = model.model_validate(body)
    except Exception as exc:  # pydantic's ValidationError
        return [f"{model.__name__}: {exc}"]
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return [f"{model.__name__}: unknown field {p}" for p in unknown_fields(body, dumped)]


# ---- scripted progressions ------------------------------------------------------------------------------------
@dataclass
class Frame:
    phase: str
    nodes: dict[str, dict[str, Any]]
    logs: dict[str, list[str]] = field(default_factory=dict)  # pod name -> new lines
    message: str = ""
    outputs: dict[str, Any] | None = None


Plan = Callable[[dict[str, Any]], list[Frame]]


def v2_pod_name(wf_name: str, node_name: str, template: str) -> str:
    return f"{wf_name}-{template}-{fnv32a(node_name)}"


def stamp(offset: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_700_000_000 + offset))


def steps_plan(steps: list[tuple[str, str, list[str]]], *, final: str | None = None, message: str = "",
               outputs: dict[str, Any] | None = None) -> Plan:
    """A steps workflow `main` with one step per group: [(step name, final phase, log lines)].

    Frames: Pending (no nodes) -> root Running -> for each step: group + pod Pending, pod Running with its
    logs, pod done -> workflow final phase (Succeeded unless a step failed)."""

    def plan(wf: dict[str, Any]) -> list[Frame]:
        name = wf["metadata"]["name"]
        nodes: dict[str, dict[str, Any]] = {}
        frames = [Frame("Pending", {})]
        root = {"id": name, "name": name, "displayName": name, "type": "Steps", "templateName": "main",
                "templateScope": f"local/{name}", "phase": "Running", "startedAt": stamp(0), "finishedAt": None,
                "children": [], "progress": "0/1"}
        nodes[name] = root
        frames.append(Frame("Running", copy.deepcopy(nodes)))
        prev = name
        end_phase = "Succeeded"
        t = 1
        for i, (step, phase, lines) in enumerate(steps):
            gname, pname = f"{name}[{i}]", f"{name}[{i}].{step}"
            gid, pid = node_id(name, gname), node_id(name, pname)
            nodes[gid] = {"id": gid, "name": gname, "displayName": f"[{i}]", "type": "StepGroup",
                          "templateScope": f"local/{name}", "phase": "Running", "boundaryID": name,
                          "startedAt": stamp(t), "children": [pid]}
            nodes[prev]["children"] = [*nodes[prev].get("children", []), gid]
            nodes[pid] = {"id": pid, "name": pname, "displayName": step, "type": "Pod", "templateName": step,
                          "templateScope": f"local/{name}", "phase": "Pending", "boundaryID": name,
                          "startedAt": stamp(t)}
            frames.append(Frame("Running", copy.deepcopy(nodes)))
            nodes[pid]["phase"] = "Running"
            pod = v2_pod_name(name, pname, step)
            frames.append(Frame("Running", copy.deepcopy(nodes), {pod: list(lines)}))
            t += 2
            nodes[pid].update(phase=phase, finishedAt=stamp(t),
                              outputs={"exitCode": "0" if phase == "Succeeded" else "1"})
            if phase != "Succeeded":
                nodes[pid]["message"] = "Error (exit code 1)"
            nodes[gid].update(phase=phase, finishedAt=stamp(t))
            frames.append(Frame("Running", copy.deepcopy(nodes)))
            prev = gid
            if phase != "Succeeded":
                end_phase = "Failed"
                break
        done = final or end_phase
        nodes[name].update(phase=done, finishedAt=stamp(t + 1))
        if done != "Succeeded" and not message:
            nodes[name]["message"] = "child failed"
        frames.append(Frame(done, copy.deepcopy(nodes), message=message, outputs=outputs))
        return frames

    return plan


# ---- server state -------------------------------------------------------------------------------------------
@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeWorkflow:
    obj: dict[str, Any]
    frames: list[Frame]
    index: int = -1
    logs: dict[str, list[str]] = field(default_factory=dict)
    held: bool = False  # stop advancing (a suspended workflow)

    @property
    def phase(self) -> str:
        return str((self.obj.get("status") or {}).get("phase") or "")

    @property
    def done(self) -> bool:
        return self.phase in ("Succeeded", "Failed", "Error")


class FakeArgoServer:
    """See the module docstring. Use as a context manager; `url` is `http://127.0.0.1:<port>`."""

    def __init__(self, *, plan: Plan | None = None, token: str = "", namespaces: tuple[str, ...] = ("argo",),
                 forbidden: tuple[str, ...] = (), tick: float = 0.02, watch: bool = True, sse: bool = True,
                 reject: Callable[[str, dict[str, Any]], tuple[int, str] | None] | None = None,
                 drop_watch_after: int | None = None, base_href: str = "", follow_logs_status: int = 200,
                 drop_logs_after: int | None = None, fault: str | None = None,
                 fault_on: Callable[[str, str], bool] | None = None, huge_bytes: int = 1 << 30):
        self.plan = plan or steps_plan([("hello", "Succeeded", ["hello world"])])
        self.token = token
        self.namespaces = set(namespaces)
        self.forbidden = set(forbidden)
        self.tick = tick
        self.watch_enabled = watch
        self.sse_enabled = sse
        self.reject = reject
        self.drop_watch_after = drop_watch_after
        self.follow_logs_status = follow_logs_status  # answer following log requests with this error
        self.drop_logs_after = drop_logs_after  # cut a following log stream after this many new lines
        self.logs_streamed: dict[tuple[str, str], int] = {}
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
        self.fault = fault
        self.fault_on = fault_on or (lambda method, path: True)
        self.huge_bytes = huge_bytes
        self.huge_sent = 0  # bytes of huge answers written before the client hung up
        self.base_href = base_href.rstrip("/")
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.workflows: dict[str, FakeWorkflow] = {}
        self.templates: dict[tuple[bool, str], dict[str, Any]] = {}
        self.watch_connections = 0
        self.log_connections = 0
        self.cond = threading.Condition()
        self.rv = 100
        self.stopping = threading.Event()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{self.base_href}"
        self._threads: list[threading.Thread] = []

    # ---- lifecycle --------------------------------------------------------------------------------------
    def __enter__(self) -> FakeArgoServer:
        server = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        ticker = threading.Thread(target=self._tick_loop, daemon=True)
        self._threads = [server, ticker]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        with self.cond:
            self.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---- queries for tests --------------------------------------------------------------------------------
    def calls(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        return [r for r in self.requests if (method is None or r.method == method) and contains in r.path]

    def hold(self, name: str, held: bool = True) -> None:
        with self.cond:
            self.workflows[name].held = held

    # ---- the cluster's side ---------------------------------------------------------------------------------
    def _next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def _tick_loop(self) -> None:
        while not self.stopping.is_set():
            time.sleep(self.tick)
            with self.cond:
                changed = False
                for wf in self.workflows.values():
                    if wf.held or wf.done or wf.index + 1 >= len(wf.frames):
                        continue
                    wf.index += 1
                    self._apply_frame(wf, wf.frames[wf.index])
                    changed = True
                if changed:
                    self.cond.notify_all()

    def _apply_frame(self, wf: FakeWorkflow, frame: Frame) -> None:
        status = wf.obj.setdefault("status", {})
        status["phase"] = frame.phase
        status["nodes"] = copy.deepcopy(frame.nodes)
        status.setdefault("startedAt", stamp(0))
        if frame.message:
            status["message"] = frame.message
        if frame.outputs:
            status["outputs"] = frame.outputs
        if frame.phase in ("Succeeded", "Failed", "Error"):
            status["finishedAt"] = stamp(100)
        pods = [n for n in frame.nodes.values() if n.get("type") == "Pod"]
        status["progress"] = f"{sum(1 for n in pods if n.get('phase') == 'Succeeded')}/{len(pods)}"
        for pod, lines in frame.logs.items():
            wf.logs.setdefault(pod, []).extend(lines)
        wf.obj["metadata"]["resourceVersion"] = self._next_rv()

    def create(self, workflow: dict[str, Any], namespace: str) -> dict[str, Any]:
        wf = copy.deepcopy(workflow)
        meta = wf.setdefault("metadata", {})
        if not meta.get("name"):
            meta["name"] = f"{meta.get('generateName', 'wf-')}{uuid.uuid4().hex[:5]}"
        meta.update(namespace=namespace, uid=str(uuid.uuid4()), resourceVersion=self._next_rv(),
                    creationTimestamp=stamp(0))
        frames = self.plan(wf)
        with self.cond:
            self.workflows[meta["name"]] = FakeWorkflow(wf, frames)
            self.cond.notify_all()
        return copy.deepcopy(wf)

    def restart(self, name: str, frames: list[Frame]) -> dict[str, Any]:
        with self.cond:
            wf = self.workflows[name]
            wf.frames, wf.index = frames, -1
            wf.logs = {}  # retry deletes the failed pods; the new pods (same names) log afresh
            wf.obj["status"]["phase"] = "Running"
            wf.obj["status"].pop("finishedAt", None)
            wf.obj["metadata"]["resourceVersion"] = self._next_rv()
            self.cond.notify_all()
            return copy.deepcopy(wf.obj)

    def finish(self, name: str, phase: str, message: str) -> dict[str, Any]:
        with self.cond:
            wf = self.workflows[name]
            nodes = copy.deepcopy((wf.obj.get("status") or {}).get("nodes") or {})
            for node in nodes.values():
                if node.get("phase") in ("Pending", "Running"):
                    node["phase"] = "Failed"
                    node["message"] = message
            wf.frames = wf.frames[: wf.index + 1] + [Frame(phase, nodes, message=message)]
            wf.held = False
            self.cond.notify_all()
            return copy.deepcopy(wf.obj)


def _error(status: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": GRPC.get(status, 2), "message": message, "details": []}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArgoServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    # ---- plumbing ---------------------------------------------------------------------------------------
    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        return json.loads(raw)

    def _send(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if fake.base_href:
            if not path.startswith(fake.base_href + "/"):
                data = b"<html><body>404 page not found</body></html>"
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            path = path[len(fake.base_href):]
        query = parse_qs(parts.query)
        body = self._body() if method in ("POST", "PUT") else None
        fake.requests.append(Recorded(method, path, query, {k: v for k, v in self.headers.items()}, body))
        if fake.fault and fake.fault_on(method, path):
            self.close_connection = True
            self._fault(fake.fault)
            return
        if fake.token and self.headers.get("Authorization") != f"Bearer {fake.token}":
            self._send(*_error(401, "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/"))
            return
        route = _route(method, path)
        if route is None:
            self._send(*_error(404, f"Not Found: {method} {path}"))
            return
        handler, args = route
        ns = args.get("ns")
        if ns is not None and ns in fake.forbidden:
            self._send(*_error(403, f'workflows.argoproj.io is forbidden: User "system:serviceaccount:argo:reader" '
                                    f'cannot create resource "workflows" in API group "argoproj.io" in the namespace '
                                    f'"{ns}"'))
            return
        if ns is not None and ns not in fake.namespaces:
            self._send(*_error(404, f'namespaces "{ns}" not found'))
            return
        getattr(self, handler)(body=body, query=query, **args)

    # ---- faults (see FAULTS) ------------------------------------------------------------------------------
    def _raw(self, status: int, body: bytes, content_type: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _chunked(self, status: int, content_type: str, total: int, byte: bytes = b"x") -> None:
        """`total` bytes of `byte` (no newline), chunked, written as fast as the client reads them."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        piece = byte * (1 << 20)
        sent = 0
        try:
            while sent < total and not self.fake.stopping.is_set():
                n = min(len(piece), total - sent)
                self.wfile.write(f"{n:x}\r\n".encode() + piece[:n] + b"\r\n")
                sent += n
                self.fake.huge_sent += n
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up: what a bounded reader does

    def _fault(self, kind: str) -> None:
        fake = self.fake
        if kind == "json-500":
            body = {"code": 13, "message": "etcdserver: request timed out\n\x1b[31mretry later\x1b[0m", "details": []}
            self._raw(500, json.dumps(body).encode())
        elif kind == "html-502":
            self._raw(502, b"<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>\n",
                      "text/html")
        elif kind == "empty-503":
            self._raw(503, b"")
        elif kind == "json-429":
            self._raw(429, b'{"message": "too many requests"}', Retry_After="1")
        elif kind == "hang":
            fake.stopping.wait()
        elif kind == "drop":
            pass  # close_connection is set: the socket closes with nothing written
        elif kind == "cut-body":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'{"metadata"')
        elif kind == "bad-json":
            self._raw(200, b'{"metadata": {"name": "x"}, "status": {"phase": ')
        elif kind == "deep-json":
            self._raw(200, b"[" * 100_000 + b"]" * 100_000)
        elif kind == "not-object":
            self._raw(200, b'["not", "a", "workflow"]')
        elif kind == "wrong-shape":
            self._raw(200, json.dumps({"metadata": {"name": "x", "namespace": "argo"},
                                       "status": {"phase": "Running", "nodes": "garbage"}}).encode())
        elif kind == "redirect-loop":
            self._raw(302, b"", "text/plain", Location=self.path)
        elif kind == "huge-error":
            self._chunked(500, "text/plain", fake.huge_bytes)
        elif kind == "huge-ok":
            self._chunked(200, "application/json", fake.huge_bytes, b" ")
        elif kind == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(1 << 20))
            self.end_headers()
            try:
                while not fake.stopping.wait(0.05):
                    self.wfile.write(b" ")
                    self.wfile.flush()
            except OSError:
                pass
        elif kind == "huge-line":
            self._chunked(200, "text/event-stream", fake.huge_bytes)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _check(self, model: type, body: Any) -> bool:
        problems = check_model(model, body)
        if problems:
            self.fake.violations.extend(problems)
            self._send(*_error(400, "; ".join(problems)))
            return False
        return True

    # ---- workflows --------------------------------------------------------------------------------------
    def create_workflow(self, body: Any, query: Any, ns: str) -> None:
        if not self._check(hm.WorkflowCreateRequest, body):
            return
        if body.get("namespace") not in (None, ns):
            self.fake.violations.append(f"body namespace {body.get('namespace')} != path namespace {ns}")
        wf = body["workflow"]
        if self.fake.reject:
            refusal = self.fake.reject("Workflow", wf)
            if refusal:
                self._send(*_error(*refusal))
                return
        name = (wf.get("metadata") or {}).get("name")
        if name and name in self.fake.workflows:
            self._send(*_error(409, f'workflows.argoproj.io "{name}" already exists'))
            return
        self._send(200, self.fake.create(wf, ns))

    def _wf(self, name: str) -> FakeWorkflow | None:
        wf = self.fake.workflows.get(name)
        if wf is None:
            self._send(*_error(404, f'workflows.argoproj.io "{name}" not found'))
        return wf

    def get_workflow(self, body: Any, query: Any, ns: str, name: str) -> None:
        with self.fake.cond:
            wf = self._wf(name)
            obj = copy.deepcopy(wf.obj) if wf else None
        if obj is not None:
            hm.Workflow.model_validate(obj)  # what the fake says is a valid Workflow
            self._send(200, obj)

    def delete_workflow(self, body: Any, query: Any, ns: str, name: str) -> None:
        with self.fake.cond:
            if self._wf(name) is None:
                return
            del self.fake.workflows[name]
            self.fake.cond.notify_all()
        self._send(200, {})

    def action(self, body: Any, query: Any, ns: str, name: str, action: str) -> None:
        models = {"stop": hm.WorkflowStopRequest, "terminate": hm.WorkflowTerminateRequest,
                  "suspend": hm.WorkflowSuspendRequest, "resume": hm.WorkflowResumeRequest,
                  "retry": hm.WorkflowRetryRequest, "resubmit": hm.WorkflowResubmitRequest,
                  "set": hm.WorkflowSetRequest}
        if action not in models:
            self._send(*_error(404, f"Not Found: {action}"))
            return
        if not self._check(models[action], body):
            return
        if body.get("name") != name or body.get("namespace") != ns:
            self.fake.violations.append(f"{action}: body name/namespace {body} do not match the path")
        wf = self._wf(name)
        if wf is None:
            return
        fake = self.fake
        if action in ("stop", "terminate"):
            strategy = "Stop" if action == "stop" else "Terminate"
            self._send(200, fake.finish(name, "Failed", f"Stopped with strategy '{strategy}'"))
        elif action == "suspend":
            fake.hold(name)
            self._send(200, copy.deepcopy(wf.obj))
        elif action == "resume":
            fake.hold(name, False)
            self._send(200, copy.deepcopy(wf.obj))
        elif action == "set":
            self._send(200, copy.deepcopy(wf.obj))
        elif action == "retry":
            if not wf.done:
                self._send(*_error(400, f"workflow must be Failed/Error to retry, but was {wf.phase}"))
                return
            retry_plan = steps_plan([("hello", "Succeeded", ["retried ok"])])
            self._send(200, fake.restart(name, retry_plan(wf.obj)))
        elif action == "resubmit":
            new = copy.deepcopy(wf.obj)
            new.pop("status", None)
            meta = new["metadata"]
            base = meta.get("generateName") or f"{name}-"
            new["metadata"] = {"generateName": base}
            self._send(200, fake.create(new, ns))

    # ---- (cluster) workflow templates ------------------------------------------------------------------
    def create_template(self, body: Any, query: Any, ns: str) -> None:
        self._create_tmpl(body, ns, cluster=False)

    def get_template(self, body: Any, query: Any, ns: str, name: str) -> None:
        self._get_tmpl(name, cluster=False)

    def update_template(self, body: Any, query: Any, ns: str, name: str) -> None:
        self._update_tmpl(body, name, cluster=False)

    def create_cluster_template(self, body: Any, query: Any) -> None:
        self._create_tmpl(body, None, cluster=True)

    def get_cluster_template(self, body: Any, query: Any, name: str) -> None:
        self._get_tmpl(name, cluster=True)

    def update_cluster_template(self, body: Any, query: Any, name: str) -> None:
        self._update_tmpl(body, name, cluster=True)

    def _create_tmpl(self, body: Any, ns: str | None, cluster: bool) -> None:
        model = hm.ClusterWorkflowTemplateCreateRequest if cluster else hm.WorkflowTemplateCreateRequest
        if not self._check(model, body):
            return
        tmpl = copy.deepcopy(body["template"])
        name = tmpl["metadata"]["name"]
        if self.fake.reject:
            refusal = self.fake.reject("ClusterWorkflowTemplate" if cluster else "WorkflowTemplate", tmpl)
            if refusal:
                self._send(*_error(*refusal))
                return
        kind = "clusterworkflowtemplates" if cluster else "workflowtemplates"
        if (cluster, name) in self.fake.templates:
            self._send(*_error(409, f'{kind}.argoproj.io "{name}" already exists'))
            return
        tmpl["metadata"].update(uid=str(uuid.uuid4()), resourceVersion=self.fake._next_rv())
        if not cluster:
            tmpl["metadata"]["namespace"] = ns
        self.fake.templates[(cluster, name)] = tmpl
        self._send(200, tmpl)

    def _get_tmpl(self, name: str, cluster: bool) -> None:
        tmpl = self.fake.templates.get((cluster, name))
        if tmpl is None:
            kind = "clusterworkflowtemplates" if cluster else "workflowtemplates"
            self._send(*_error(404, f'{kind}.argoproj.io "{name}" not found'))
            return
        self._send(200, tmpl)

    def _update_tmpl(self, body: Any, name: str, cluster: bool) -> None:
        model = hm.ClusterWorkflowTemplateUpdateRequest if cluster else hm.WorkflowTemplateUpdateRequest
        if not self._check(model, body):
            return
        old = self.fake.templates.get((cluster, name))
        if old is None:
            self._send(*_error(404, f'"{name}" not found'))
            return
        tmpl = copy.deepcopy(body["template"])
        if tmpl["metadata"].get("resourceVersion") != old["metadata"]["resourceVersion"]:
            self._send(*_error(409, "the object has been modified; please apply your changes to the latest version"))
            return
        tmpl["metadata"]["resourceVersion"] = self.fake._next_rv()
        self.fake.templates[(cluster, name)] = tmpl
        self._send(200, tmpl)

    # ---- streams ------------------------------------------------------------------------------------------
    def _start_stream(self) -> bool:
        """A streaming answer as Go's net/http sends one: chunked; a clean end is the zero-length chunk."""
        sse = "text/event-stream" in (self.headers.get("Accept") or "") and self.fake.sse_enabled
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if sse else "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        return sse

    def _emit(self, sse: bool, obj: Any) -> bool:
        line = json.dumps({"result": obj})
        data = (f"data: {line}\n\n" if sse else f"{line}\n").encode()
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
            return True
        except OSError:
            return False

    def _end_stream(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass

    def watch(self, body: Any, query: Any, ns: str) -> None:
        fake = self.fake
        if not fake.watch_enabled:
            self._send(*_error(404, "Not Found"))
            return
        selector = (query.get("listOptions.fieldSelector") or [""])[0]
        if not selector.startswith("metadata.name="):
            fake.violations.append(f"watch without a name field selector: {selector!r}")
        name = selector.partition("=")[2]
        fake.watch_connections += 1
        sse = self._start_stream()
        sent_rv = None
        count = 0
        kind = "ADDED"
        while not fake.stopping.is_set():
            with fake.cond:
                wf = fake.workflows.get(name)
                if wf is None:
                    obj = None
                elif wf.obj["metadata"]["resourceVersion"] != sent_rv:
                    obj = copy.deepcopy(wf.obj)
                    sent_rv = obj["metadata"]["resourceVersion"]
                else:
                    fake.cond.wait(0.5)
                    continue
            if obj is None:
                self._emit(sse, {"type": "DELETED", "object": {"metadata": {"name": name}}})
                self._end_stream()
                return
            hm.WorkflowWatchEvent.model_validate({"type": kind, "object": obj})
            if not self._emit(sse, {"type": kind, "object": obj}):
                return
            kind = "MODIFIED"
            count += 1
            if fake.drop_watch_after is not None and count >= fake.drop_watch_after:
                return  # a proxy cuts the stream: no final chunk

    def logs(self, body: Any, query: Any, ns: str, name: str) -> None:
        fake = self.fake
        pod = (query.get("podName") or [""])[0]
        follow = (query.get("logOptions.follow") or ["false"])[0] == "true"
        if (query.get("logOptions.container") or [""])[0] != "main":
            fake.violations.append(f"log request without logOptions.container=main: {query}")
        with fake.cond:
            if self._wf(name) is None:
                return
        if follow and fake.follow_logs_status != 200:
            self._send(*_error(fake.follow_logs_status, "logs are not available"))
            return
        fake.log_connections += 1
        sse = self._start_stream()
        sent: dict[str, int] = {}
        served: dict[str, int] = {}
        count = 0
        while not fake.stopping.is_set():
            with fake.cond:
                wf = fake.workflows.get(name)
                if wf is None:
                    return
                batch = []
                for p, lines in wf.logs.items():
                    if pod and p != pod:
                        continue
                    start = sent.get(p, 0)
                    batch += [(p, line) for line in lines[start:]]
                    sent[p] = len(lines)
                finished = wf.done
                if not batch and follow and not finished:
                    fake.cond.wait(0.5)
                    continue
            for p, line in batch:
                if not self._emit(sse, {"content": line, "podName": p}):
                    return
                fresh = fake.logs_streamed.get((name, p), 0)
                served[p] = served.get(p, 0) + 1
                if served[p] > fresh:  # a line no earlier connection carried
                    fake.logs_streamed[(name, p)] = served[p]
                    count += 1
                if follow and fake.drop_logs_after is not None and count >= fake.drop_logs_after:
                    return  # a proxy cuts the stream (no final chunk); the client reconnects without duplicates
            if not follow or finished:
                self._end_stream()  # the workflow is done: Argo ends the log stream
                return


def _route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    parts = [p for p in path.split("/") if p]
    if parts[:2] != ["api", "v1"]:
        return None
    rest = parts[2:]
    if rest[:1] == ["workflows"]:
        if method == "POST" and len(rest) == 2:
            return "create_workflow", {"ns": rest[1]}
        if method == "GET" and len(rest) == 3:
            return "get_workflow", {"ns": rest[1], "name": rest[2]}
        if method == "DELETE" and len(rest) == 3:
            return "delete_workflow", {"ns": rest[1], "name": rest[2]}
        if method == "GET" and len(rest) == 4 and rest[3] == "log":
            return "logs", {"ns": rest[1], "name": rest[2]}
        if method == "PUT" and len(rest) == 4:
            return "action", {"ns": rest[1], "name": rest[2], "action": rest[3]}
    if rest[:1] == ["workflow-events"] and method == "GET" and len(rest) == 2:
        return "watch", {"ns": rest[1]}
    if rest[:1] == ["workflow-templates"]:
        if method == "POST" and len(rest) == 2:
            return "create_template", {"ns": rest[1]}
        if method in ("GET", "PUT") and len(rest) == 3:
            return ("get_template" if method == "GET" else "update_template"), {"ns": rest[1], "name": rest[2]}
    if rest[:1] == ["cluster-workflow-templates"]:
        if method == "POST" and len(rest) == 1:
            return "create_cluster_template", {}
        if method in ("GET", "PUT") and len(rest) == 2:
            return ("get_cluster_template" if method == "GET" else "update_cluster_template"), {"name": rest[1]}
    return None
