"""A small client for the Argo Server's HTTP API (the endpoints `argo submit/get/logs/stop/...` use).

Owns: `ArgoConfig` (server address, namespace, token, TLS, base href; from the argo CLI's environment
variables or explicit values), `ArgoClient` (one method per endpoint, JSON in and out; streaming endpoints
yield the `result` objects of Server-Sent Events or newline-delimited JSON), and the error types raised for
the server's answers. Uses only the standard library (`http.client`), so a stream can be cut from another
thread by shutting its socket down.

The token is never logged, stored or shown: `ArgoConfig`'s repr masks it and every error text passes through
`redact`. Imports: stdlib, argonb.errors, argonb.engine.backend (BackendUnavailable).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from argonb.engine.backend import BackendUnavailable
from argonb.errors import ArgonbError

DEFAULT_NAMESPACE = "argo"
DEFAULT_PORT = 2746
MASK = "******"

# gRPC status codes the Argo Server puts in error bodies, and the HTTP status grpc-gateway maps them to
GRPC_HTTP = {3: 400, 5: 404, 6: 409, 7: 403, 9: 400, 16: 401, 12: 501, 14: 503, 4: 504, 13: 500, 2: 500, 10: 409}
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
           422: "Unprocessable Entity", 500: "Internal Server Error", 501: "Not Implemented",
           503: "Service Unavailable"}


def _truthy(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "y", "on")


def authorization_header(token: str) -> str:
    """`ARGO_TOKEN` is either a full `Authorization` value (`Bearer ...`) or the bare token."""
    token = token.strip()
    if not token:
        return ""
    return token if len(token.split()) > 1 else f"Bearer {token}"


@dataclass(frozen=True)
class ArgoConfig:
    """Where the Argo Server is and how to talk to it. `token` never appears in reprs or errors."""

    base_url: str  # scheme://host:port[/base-href], no trailing slash
    namespace: str = DEFAULT_NAMESPACE
    token: str = field(default="", repr=False)
    insecure_skip_verify: bool = False
    timeout: float = 30.0

    @classmethod
    def from_env(cls, server: str | None = None, namespace: str | None = None, token: str | None = None, *,
                 secure: bool | None = None, insecure_skip_verify: bool | None = None,
                 base_href: str | None = None, env: Mapping[str, str] | None = None,
                 timeout: float = 30.0) -> ArgoConfig:
        """Explicit values win; otherwise the argo CLI's variables: ARGO_SERVER (host:port), ARGO_NAMESPACE
        (default `argo`), ARGO_TOKEN, ARGO_SECURE (default true: https), ARGO_INSECURE_SKIP_VERIFY,
        ARGO_BASE_HREF. `server` may also be a URL (`http://127.0.0.1:2746`), whose scheme then decides TLS."""
        env = os.environ if env is None else env
        server = (server or env.get("ARGO_SERVER") or "").strip()
        if not server:
            raise ArgoUnavailable("no Argo server configured: set ARGO_SERVER=host:port (e.g. localhost:2746 "
                                  "after `kubectl -n argo port-forward svc/argo-server 2746:2746`) or pass "
                                  "--server / server=")
        if "://" in server:
            parts = urlsplit(server)
            scheme = parts.scheme.lower()
            if scheme not in ("http", "https"):
                raise ArgoUnavailable(f"unsupported server URL scheme {parts.scheme!r}: use http:// or https://")
            netloc, path = parts.netloc, parts.path
        else:
            if secure is None:
                secure = _truthy(env.get("ARGO_SECURE"), True)
            scheme = "https" if secure else "http"
            netloc, _, path = server.partition("/")
            path = "/" + path if path else ""
        if not netloc:
            raise ArgoUnavailable(f"invalid Argo server address {server!r}: expected host:port")
        href = base_href if base_href is not None else env.get("ARGO_BASE_HREF", "")
        prefix = "/".join(p for p in (path.strip("/"), (href or "").strip("/")) if p)
        base_url = f"{scheme}://{netloc}" + (f"/{prefix}" if prefix else "")
        if insecure_skip_verify is None:
            insecure_skip_verify = _truthy(env.get("ARGO_INSECURE_SKIP_VERIFY"), False)
        return cls(base_url=base_url, namespace=(namespace or env.get("ARGO_NAMESPACE") or DEFAULT_NAMESPACE),
                   token=token if token is not None else env.get("ARGO_TOKEN", ""),
                   insecure_skip_verify=insecure_skip_verify, timeout=timeout)

    @property
    def authorization(self) -> str:
        return authorization_header(self.token)

    def redact(self, text: str) -> str:
        """`text` with the token (bare and as a header value) masked."""
        out = str(text)
        secrets = {self.token.strip(), self.authorization, self.authorization.partition(" ")[2]}
        for secret in sorted(secrets, key=len, reverse=True):  # the whole header before the bare token
            if secret and len(secret) >= 4:
                out = out.replace(secret, MASK)
        return out

    def __repr__(self) -> str:
        token = MASK if self.token else ""
        return (f"ArgoConfig(base_url={self.base_url!r}, namespace={self.namespace!r}, token={token!r}, "
                f"insecure_skip_verify={self.insecure_skip_verify})")


# ---- errors --------------------------------------------------------------------------------------------------
class ArgoError(ArgonbError):
    """The Argo Server refused a request. `status` is the HTTP status, `server_message` its own text."""

    def __init__(self, status: int, server_message: str, *, method: str = "", path: str = "", hint: str = ""):
        self.status = status
        self.server_message = server_message
        self.method = method
        self.path = path
        self.hint = hint
        reason = REASONS.get(status, "error")
        text = f"Argo server: {status} {reason}"
        if method and path:
            text += f" ({method} {path})"
        text += f": {server_message}" if server_message else ""
        if hint:
            text += f"\n  hint: {hint}"
        super().__init__(text)


class ArgoAuthError(ArgoError):
    """401 Unauthorized / 403 Forbidden."""


class ArgoNotFound(ArgoError):
    """404: no such workflow, template or namespace (or a wrong base href)."""


class ArgoConflict(ArgoError):
    """409: the object already exists."""


class ArgoBadRequest(ArgoError):
    """400 / 422: the server rejected the object."""


class ArgoUnavailable(BackendUnavailable):
    """The server cannot be reached or is not configured (no answer at all)."""


class WatchUnsupported(ArgonbError):
    """The watch endpoint is missing or refuses to stream: poll instead."""


def _error_class(status: int) -> type[ArgoError]:
    if status in (401, 403):
        return ArgoAuthError
    if status == 404:
        return ArgoNotFound
    if status == 409:
        return ArgoConflict
    if status in (400, 422):
        return ArgoBadRequest
    return ArgoError


def _hint(status: int, config: ArgoConfig, path: str) -> str:
    if status == 401:
        return ("the server wants a token: set ARGO_TOKEN (e.g. `export ARGO_TOKEN=\"Bearer $(kubectl create token "
                "argo-server -n argo)\"`) or pass --token" if not config.token else
                "the token was refused: it may have expired or be for another cluster; create a new one")
    if status == 403:
        return (f"the token's service account may not do this in namespace {config.namespace!r}: check its "
                "Role/RoleBinding (see docs/cluster.md)")
    if status == 404 and "/api/v1/" in path:
        return (f"check that namespace {config.namespace!r} exists and Argo watches it (--namespace / "
                "ARGO_NAMESPACE), and that ARGO_BASE_HREF matches the server's --basehref")
    return ""


# ---- the client ----------------------------------------------------------------------------------------------
class Stream:
    """An open streaming response: iterate for the `result` objects; `close()` from any thread cuts it."""

    def __init__(self, conn: http.client.HTTPConnection, sock: socket.socket | None,
                 response: http.client.HTTPResponse, config: ArgoConfig):
        self._conn = conn
        self._sock = sock
        self._response = response
        self._config = config
        self._closed = threading.Event()
        self._owner = threading.get_ident()

    def _lines(self) -> Iterator[bytes]:
        """Raw lines. `read1` (not `readline`) so that a chunked stream cut without its final chunk raises
        IncompleteRead instead of looking like the server's clean end."""
        buffer = b""
        while not self._closed.is_set():
            try:
                data = self._response.read1(65536)
            except (OSError, ValueError, AttributeError, http.client.HTTPException):
                if self._closed.is_set():
                    return  # cut by close() from another thread
                raise
            if not data:
                break
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            yield from lines
        if buffer and not self._closed.is_set():
            yield buffer

    def __iter__(self) -> Iterator[dict[str, Any]]:
        pending: list[str] = []
        for raw in self._lines():
            line = raw.decode("utf-8", errors="replace").rstrip("\r")
            if not line:
                pending = []  # an SSE event ends; a complete one was already yielded
                continue
            if line.startswith(":") or line.startswith(("event:", "id:", "retry:")):
                continue  # SSE comments (heart beats) and fields argo does not use
            if line.startswith("data:"):
                pending.append(line[6:] if line[5:6] == " " else line[5:])
                text = "\n".join(pending)
            else:
                text = line  # newline-delimited JSON (no `Accept: text/event-stream`)
            try:
                obj = json.loads(text)
            except ValueError:
                if line.startswith("data:"):
                    continue  # an SSE event spread over several data lines: wait for the rest
                raise ArgoError(502, f"unreadable stream line: {text[:200]!r}") from None
            pending = []
            if isinstance(obj, dict) and obj.get("error"):
                err = obj["error"]
                status = int(err.get("http_code") or GRPC_HTTP.get(int(err.get("grpc_code") or 2), 500))
                raise _error_class(status)(status, self._config.redact(str(err.get("message", ""))))
            yield obj.get("result", obj) if isinstance(obj, dict) else obj

    def close(self) -> None:
        """Cut the stream. From another thread only the socket is shut down (the reader sees the end); the
        thread that opened the stream also releases the connection."""
        self._closed.set()
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if threading.get_ident() == self._owner:
            try:
                self._conn.close()
            except Exception:  # closing twice: nothing to recover
                pass

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ArgoClient:
    """One method per Argo Server endpoint argonb uses (paths as in api/openapi-spec/swagger.json)."""

    def __init__(self, config: ArgoConfig):
        self.config = config
        self._context: ssl.SSLContext | None = None

    def __repr__(self) -> str:
        return f"ArgoClient({self.config!r})"

    @property
    def namespace(self) -> str:
        return self.config.namespace

    # ---- transport ----------------------------------------------------------------------------------------
    def _connection(self, timeout: float | None) -> http.client.HTTPConnection:
        parts = urlsplit(self.config.base_url)
        host = parts.hostname or ""
        port = parts.port
        if parts.scheme == "https":
            if self._context is None:
                ctx = ssl.create_default_context()
                if self.config.insecure_skip_verify:
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                self._context = ctx
            return http.client.HTTPSConnection(host, port or DEFAULT_PORT, timeout=timeout, context=self._context)
        return http.client.HTTPConnection(host, port or DEFAULT_PORT, timeout=timeout)

    def _target(self, path: str, query: Mapping[str, Any] | None) -> str:
        prefix = urlsplit(self.config.base_url).path.rstrip("/")
        q = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in (query or {}).items()
             if v is not None}
        return prefix + path + (("?" + urlencode(q)) if q else "")

    def _headers(self, body: bytes | None, stream: bool) -> dict[str, str]:
        headers = {"Accept": "text/event-stream" if stream else "application/json", "User-Agent": "argonb"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        auth = self.config.authorization
        if auth:
            headers["Authorization"] = auth
        return headers

    def _open(self, method: str, path: str, body: Any, query: Mapping[str, Any] | None, *, stream: bool,
              timeout: float | None) -> tuple[http.client.HTTPConnection, socket.socket | None,
                                              http.client.HTTPResponse]:
        data = json.dumps(body).encode() if body is not None else None
        conn = self._connection(timeout)
        target = self._target(path, query)
        try:
            conn.connect()
            sock = conn.sock
            conn.request(method, target, body=data, headers=self._headers(data, stream))
            response = conn.getresponse()
        except ssl.SSLError as exc:
            conn.close()
            hint = (" (the server may speak plain HTTP: set ARGO_SECURE=false or use http://)"
                    if "WRONG_VERSION" in str(exc) or "wrong version" in str(exc) else
                    " (self-signed certificate? set ARGO_INSECURE_SKIP_VERIFY=true or pass -k)"
                    if "CERTIFICATE_VERIFY_FAILED" in str(exc) else "")
            raise ArgoUnavailable(f"TLS error talking to the Argo server at {self.config.base_url}: "
                                  f"{self.config.redact(str(exc))}{hint}") from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            raise ArgoUnavailable(f"cannot reach the Argo server at {self.config.base_url}: {reason} "
                                  "(check ARGO_SERVER / --server; is a port-forward running?)") from None
        if response.status >= 300:
            try:
                raw = response.read()
            finally:
                conn.close()
            raise self._error(response.status, raw, method, path)
        return conn, sock, response

    def _error(self, status: int, raw: bytes, method: str, path: str) -> ArgoError:
        text = raw.decode("utf-8", errors="replace")
        message = text.strip()
        try:
            obj = json.loads(text)
            if isinstance(obj, dict):
                message = str(obj.get("message") or obj.get("error") or text).strip()
        except ValueError:
            if "<html" in text.lower():
                message = "the server answered with an HTML page, not the Argo API"
        message = self.config.redact(message)[:2000]
        return _error_class(status)(status, message, method=method, path=path,
                                    hint=_hint(status, self.config, path))

    def request(self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None, *,
                timeout: float | None = None) -> Any:
        conn, _, response = self._open(method, path, body, query, stream=False,
                                       timeout=timeout or self.config.timeout)
        try:
            raw = response.read()
        finally:
            conn.close()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise ArgoError(502, "the server's answer is not JSON (is ARGO_BASE_HREF right?)", method=method,
                            path=path) from None

    def stream(self, path: str, query: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> Stream:
        """Open a streaming GET; `timeout` is how long one read may wait for data."""
        conn, sock, response = self._open("GET", path, None, query, stream=True, timeout=timeout)
        return Stream(conn, sock, response, self.config)

    # ---- endpoints ----------------------------------------------------------------------------------------
    def _wf(self, name: str, action: str = "") -> str:
        return f"/api/v1/workflows/{quote(self.namespace, safe='')}/{quote(name, safe='')}" + \
            (f"/{action}" if action else "")

    def create_workflow(self, workflow: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"namespace": self.namespace, "workflow": workflow}
        if dry_run:
            body["serverDryRun"] = True
        return self.request("POST", f"/api/v1/workflows/{quote(self.namespace, safe='')}", body)

    def get_workflow(self, name: str) -> dict[str, Any]:
        return self.request("GET", self._wf(name))

    def delete_workflow(self, name: str) -> dict[str, Any]:
        return self.request("DELETE", self._wf(name))

    def stop(self, name: str, *, message: str = "", node_field_selector: str = "") -> dict[str, Any]:
        body = {"name": name, "namespace": self.namespace}
        if message:
            body["message"] = message
        if node_field_selector:
            body["nodeFieldSelector"] = node_field_selector
        return self.request("PUT", self._wf(name, "stop"), body)

    def terminate(self, name: str) -> dict[str, Any]:
        return self.request("PUT", self._wf(name, "terminate"), {"name": name, "namespace": self.namespace})

    def suspend(self, name: str) -> dict[str, Any]:
        return self.request("PUT", self._wf(name, "suspend"), {"name": name, "namespace": self.namespace})

    def resume(self, name: str, *, node_field_selector: str = "") -> dict[str, Any]:
        body = {"name": name, "namespace": self.namespace}
        if node_field_selector:
            body["nodeFieldSelector"] = node_field_selector
        return self.request("PUT", self._wf(name, "resume"), body)

    def set_node(self, name: str, node_field_selector: str, *, output_parameters: dict[str, str] | None = None,
                 phase: str = "", message: str = "") -> dict[str, Any]:
        """`argo node set`: supply outputs (and/or a phase) for the nodes matching the selector."""
        body: dict[str, Any] = {"name": name, "namespace": self.namespace, "nodeFieldSelector": node_field_selector}
        if output_parameters:
            body["outputParameters"] = json.dumps(output_parameters)
        if phase:
            body["phase"] = phase
        if message:
            body["message"] = message
        return self.request("PUT", self._wf(name, "set"), body)

    def retry(self, name: str, *, node_field_selector: str = "", restart_successful: bool = False,
              parameters: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "namespace": self.namespace}
        if restart_successful:
            body["restartSuccessful"] = True
        if node_field_selector:
            body["nodeFieldSelector"] = node_field_selector
        if parameters:
            body["parameters"] = list(parameters)
        return self.request("PUT", self._wf(name, "retry"), body)

    def resubmit(self, name: str, *, memoized: bool = False, parameters: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "namespace": self.namespace}
        if memoized:
            body["memoized"] = True
        if parameters:
            body["parameters"] = list(parameters)
        return self.request("PUT", self._wf(name, "resubmit"), body)

    def _templates_path(self, cluster: bool) -> str:
        return "/api/v1/cluster-workflow-templates" if cluster else \
            f"/api/v1/workflow-templates/{quote(self.namespace, safe='')}"

    def create_template(self, template: dict[str, Any], *, cluster: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"template": template}
        if not cluster:
            body["namespace"] = self.namespace
        return self.request("POST", self._templates_path(cluster), body)

    def get_template(self, name: str, *, cluster: bool = False) -> dict[str, Any]:
        return self.request("GET", f"{self._templates_path(cluster)}/{quote(name, safe='')}")

    def update_template(self, template: dict[str, Any], *, cluster: bool = False) -> dict[str, Any]:
        name = str((template.get("metadata") or {}).get("name", ""))
        body: dict[str, Any] = {"name": name, "template": template}
        if not cluster:
            body["namespace"] = self.namespace
        return self.request("PUT", f"{self._templates_path(cluster)}/{quote(name, safe='')}", body)

    def watch(self, name: str, *, timeout: float | None = None) -> Stream:
        """`/workflow-events/{ns}`: ADDED/MODIFIED/DELETED events of the one workflow."""
        query = {"listOptions.fieldSelector": f"metadata.name={name}"}
        try:
            return self.stream(f"/api/v1/workflow-events/{quote(self.namespace, safe='')}", query, timeout=timeout)
        except ArgoError as exc:
            if exc.status in (404, 405, 501):
                raise WatchUnsupported(str(exc)) from None
            raise

    def logs(self, name: str, *, pod_name: str = "", follow: bool = False, container: str = "main",
             timeout: float | None = None) -> Stream:
        """`/workflows/{ns}/{name}/log`: LogEntry objects (`content`, `podName`) of one pod or of every pod."""
        query: dict[str, Any] = {"logOptions.container": container}
        if pod_name:
            query["podName"] = pod_name
        if follow:
            query["logOptions.follow"] = True
        return self.stream(self._wf(name, "log"), query, timeout=timeout)
