"""A small client for the Argo Server's HTTP API (the endpoints `argo submit/get/logs/stop/...` use).

Owns: `ArgoConfig` (server address, namespace, token, TLS, base href; from the argo CLI's environment
variables or explicit values), `ArgoClient` (one method per endpoint, JSON in and out; streaming endpoints
yield the `result` objects of Server-Sent Events or newline-delimited JSON), and the error types raised for
the server's answers. Uses only the standard library (`http.client`), so a stream can be cut from another
thread by shutting its socket down.

The token is never logged, stored or shown: `ArgoConfig`'s repr masks it, every error text passes through
`redact`, and every answer is scrubbed of echoes of it (any case, base64, URL- or JSON-escaped, truncated:
argo_secrets.TokenMask) before anything else sees it. Every read of an answer is bounded (`MAX_ERROR_BODY`,
`MAX_RESPONSE_BYTES`, a stream's `max_line`), and every transport or protocol failure surfaces as an `ArgoError`
(the server answered, but not usably) or `ArgoUnavailable` (no usable answer), each one line of text.
Imports: stdlib, argonb.errors, argonb.engine.backend (BackendUnavailable), argonb.backends.argo_secrets.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from argonb.backends.argo_secrets import MASK, TokenMask
from argonb.engine.backend import BackendUnavailable
from argonb.errors import ArgonbError

DEFAULT_NAMESPACE = "argo"
DEFAULT_PORT = 2746
DEFAULT_TIMEOUT = 30.0  # seconds one request (connect, send, each read) may wait
# The Argo Server's own bound on a message: its gRPC layer refuses anything larger (GRPC_MESSAGE_SIZE, default
# 100 MiB; server/apiserver/argoserver.go). An answer past it is not one a real server gives.
MAX_RESPONSE_BYTES = 100 * 1024 * 1024
MAX_ERROR_BODY = 64 * 1024  # an error body is a short JSON object or a proxy's page: read this much of it
# Argo splits pod log lines at 1 MiB (util/logs/workflow-logger.go maxTokenLength): one JSON-escaped LogEntry
# (at most 6 bytes per byte of content, plus the envelope) always fits in this.
MAX_LOG_LINE_BYTES = 6 * 1024 * 1024 + 64 * 1024
MAX_MESSAGE_CHARS = 500
READ_DEADLINE_FACTOR = 10  # reading one whole answer may take this many request timeouts  # of server text in one error line
_CONTROL = {c: " " for c in (*range(32), *range(127, 160))}  # C0, DEL and C1 (a lone \x9b starts an escape)

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
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, server: str | None = None, namespace: str | None = None, token: str | None = None, *,
                 secure: bool | None = None, insecure_skip_verify: bool | None = None,
                 base_href: str | None = None, env: Mapping[str, str] | None = None,
                 timeout: float | None = None) -> ArgoConfig:
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
                   insecure_skip_verify=insecure_skip_verify,
                   timeout=DEFAULT_TIMEOUT if timeout is None else timeout)

    @property
    def authorization(self) -> str:
        return authorization_header(self.token)

    @cached_property
    def mask(self) -> TokenMask:
        return TokenMask(self.token)

    def redact(self, text: str) -> str:
        """`text` with every echo of the token (see argo_secrets) masked."""
        return self.mask.mask(str(text))

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
        reason = REASONS.get(status) or _phrase(status)
        text = f"Argo server: {status} {reason}"
        if method and path:
            text += f" ({method} {path})"
        text += f": {server_message}" if server_message else ""
        if hint:
            text += f" (hint: {hint})"
        super().__init__(text)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


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


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Server text made safe for one terminal line: control characters (newlines, escape sequences) become
    spaces, runs of blanks one space, and more than `limit` characters end in `...`."""
    flat = " ".join(str(text).translate(_CONTROL).split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


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
                 response: http.client.HTTPResponse, config: ArgoConfig, *, path: str = "",
                 max_line: int = MAX_RESPONSE_BYTES):
        self._conn = conn
        self._sock = sock
        self._response = response
        self._config = config
        self._path = path
        self._max_line = max_line
        self._closed = threading.Event()
        self._owner = threading.get_ident()

    def _lines(self) -> Iterator[bytes]:
        """Raw lines, none longer than `max_line` (a longer one is an ArgoError: the stream is not Argo's).
        `read1` (not `readline`) so that a chunked stream cut without its final chunk raises IncompleteRead
        instead of looking like the server's clean end."""
        buffer = bytearray()
        while not self._closed.is_set():
            try:
                data = self._response.read1(65536)
            except (OSError, ValueError, AttributeError, http.client.HTTPException):
                if self._closed.is_set():
                    return  # cut by close() from another thread
                raise
            if not data:
                break
            scanned = len(buffer)
            buffer += data
            start = 0
            end = buffer.find(b"\n", scanned)
            while end >= 0:
                yield bytes(buffer[start:end])
                start = end + 1
                end = buffer.find(b"\n", start)
            del buffer[:start]
            if len(buffer) > self._max_line:
                raise ArgoError(502, f"a line of the stream is longer than {self._max_line} bytes; an Argo "
                                     "Server never sends one", method="GET", path=self._path)
        if buffer and not self._closed.is_set():
            yield bytes(buffer)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        pending: list[str] = []  # data lines of an SSE event that did not parse on their own
        size = 0
        for raw in self._lines():
            line = raw.decode("utf-8", errors="replace").rstrip("\r")
            if not line:
                if pending:  # the event ends: its data lines, joined, are one JSON text
                    text, pending, size = "\n".join(pending), [], 0
                    yield self._result(text, self._parse(text, strict=True))
                continue
            if line.startswith(":") or line.startswith(("event:", "id:", "retry:")):
                continue  # SSE comments (heart beats) and fields argo does not use
            if not line.startswith("data:"):
                yield self._result(line, self._parse(line, strict=True))  # newline-delimited JSON
                continue
            data = line[6:] if line[5:6] == " " else line[5:]
            if not pending:  # the usual case: one event on one data line, yielded without waiting for its end
                obj = self._parse(data, strict=False)
                if obj is not _INCOMPLETE:
                    yield self._result(data, obj)
                    continue
            pending.append(data)
            size += len(data) + 1
            if size > self._max_line:
                raise ArgoError(502, f"an event of the stream is longer than {self._max_line} bytes; an Argo "
                                     "Server never sends one", method="GET", path=self._path)
        if pending and not self._closed.is_set():
            text = "\n".join(pending)
            yield self._result(text, self._parse(text, strict=True))

    def _parse(self, text: str, *, strict: bool) -> Any:
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            if not strict:
                return _INCOMPLETE
            raise ArgoError(502, f"unreadable stream line: {one_line(self._config.redact(text), 200)!r}",
                            method="GET", path=self._path) from None

    def _result(self, text: str, obj: Any) -> dict[str, Any]:
        """The `result` of one decoded event, scrubbed of the token; an `error` event raises."""
        obj = scrubbed(self._config, text, obj, self._path)
        if isinstance(obj, dict) and obj.get("error"):
            raise _stream_error(obj["error"], self._path)
        result = obj.get("result", obj) if isinstance(obj, dict) else obj
        if not isinstance(result, dict):
            raise ArgoError(502, f"a stream event is not a JSON object: {one_line(repr(result), 200)}",
                            method="GET", path=self._path)
        return result

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


_INCOMPLETE = object()  # a data line that is only part of an SSE event


def scrubbed(config: ArgoConfig, raw: str | bytes | bytearray, obj: Any, path: str, method: str = "GET") -> Any:
    """`obj` (decoded from `raw`) with every echo of the token masked; the probe on `raw` keeps it free
    when there is none."""
    if not config.mask.found(raw):
        return obj
    try:
        return config.mask.scrub(obj)
    except RecursionError:  # nested deeper than masking can walk: refuse rather than pass an echo on
        raise ArgoError(502, "the server's answer is nested too deeply", method=method, path=path) from None


# what argonb reads of a Workflow object, with the JSON type it must have (Argo's openapi types)
_MAPS = ("metadata", "status", "spec")
_STATUS_MAPS = ("nodes", "outputs")
_NODE_TEXT = ("id", "name", "displayName", "type", "phase", "message", "podName", "templateName", "boundaryID",
              "startedAt", "finishedAt", "progress")


def workflow_problem(obj: Any) -> str:
    """Why `obj` is not a Workflow object argonb can follow ("" when it is one)."""
    if not isinstance(obj, dict):
        return f"not a JSON object but {type(obj).__name__}"
    for key in _MAPS:
        if obj.get(key) is not None and not isinstance(obj[key], dict):
            return f"{key} is {type(obj[key]).__name__}, not an object"
    status = obj.get("status") or {}
    for key in _STATUS_MAPS:
        if status.get(key) is not None and not isinstance(status[key], dict):
            return f"status.{key} is {type(status[key]).__name__}, not an object"
    for node_id, node in (status.get("nodes") or {}).items():
        if not isinstance(node, dict):
            return f"status.nodes[{node_id!r}] is {type(node).__name__}, not an object"
        for key in _NODE_TEXT:
            if node.get(key) is not None and not isinstance(node[key], str):
                return f"status.nodes[{node_id!r}].{key} is {type(node[key]).__name__}, not a string"
        children = node.get("children")
        if children is not None and not (isinstance(children, list) and all(isinstance(c, str) for c in children)):
            return f"status.nodes[{node_id!r}].children is not a list of strings"
        for key in ("templateRef", "outputs", "inputs"):
            if node.get(key) is not None and not isinstance(node[key], dict):
                return f"status.nodes[{node_id!r}].{key} is {type(node[key]).__name__}, not an object"
    outputs = status.get("outputs") or {}
    for key in ("parameters", "artifacts"):
        if outputs.get(key) is not None and not isinstance(outputs[key], list):
            return f"status.outputs.{key} is {type(outputs[key]).__name__}, not a list"
    return ""


def check_workflow(obj: Any, *, method: str = "", path: str = "") -> dict[str, Any]:
    """`obj` if it is a Workflow object argonb can follow, else an ArgoError saying what is wrong."""
    problem = workflow_problem(obj)
    if problem:
        raise ArgoError(502, f"the server's answer is not a Workflow object: {one_line(problem, 200)}",
                        method=method, path=path)
    return obj


def _stream_error(err: Any, path: str) -> ArgoError:
    """The error object grpc-gateway puts in a stream (`{"error": {"grpc_code", "http_code", "message"}}`)."""
    err = err if isinstance(err, dict) else {"message": str(err)}
    try:
        status = int(err.get("http_code") or GRPC_HTTP.get(int(err.get("grpc_code") or 2), 500))
    except (TypeError, ValueError):
        status = 500
    status = status if 100 <= status <= 599 else 500
    return _error_class(status)(status, one_line(str(err.get("message", ""))), method="GET", path=path)


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
            raise ArgoUnavailable(f"cannot reach the Argo server at {self.config.base_url}: {self._reason(exc)} "
                                  "(check ARGO_SERVER / --server; is a port-forward running?)") from None
        if 300 <= response.status < 400:
            location = response.getheader("Location") or ""
            conn.close()
            # not followed: a redirect may loop, or carry the token to another host
            raise ArgoError(response.status, f"the server redirects to {one_line(self.config.redact(location), 200)!r}"
                                             if location else "the server redirects", method=method, path=path,
                            hint="argonb does not follow redirects: set ARGO_SERVER (and ARGO_BASE_HREF) to the "
                                 "Argo Server's own address")
        if response.status >= 300 or response.status < 200:
            try:
                raw = self._read(response, MAX_ERROR_BODY, method, path, truncate=True)
            finally:
                conn.close()
            raise self._error(response.status, raw, method, path)
        return conn, sock, response

    def _reason(self, exc: BaseException) -> str:
        """An exception as one line without secrets (http.client's messages quote the server's bytes)."""
        if isinstance(exc, TimeoutError):
            return "timed out waiting for the server"
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        return one_line(self.config.redact(text), 300)

    def _read(self, response: http.client.HTTPResponse, limit: int, method: str, path: str, *,
              truncate: bool = False) -> bytes | bytearray:
        """At most `limit` bytes of the body: more is an ArgoError (or, with `truncate`, cut off unread).
        A declared Content-Length past the limit is refused before anything is read."""
        length = response.getheader("Content-Length")
        declared = int(length) if length and length.strip().isdigit() else None
        if declared is not None and declared > limit and not truncate:
            raise ArgoError(502, f"the answer is {declared} bytes, more than the {limit} an Argo Server sends "
                                 "at most", method=method, path=path)
        raw = bytearray()  # grown piece by piece: no second copy of a large answer (json.loads takes it as is)
        deadline = time.monotonic() + READ_DEADLINE_FACTOR * self.config.timeout
        try:
            while len(raw) <= limit:
                piece = response.read1(min(1 << 20, limit + 1 - len(raw)))
                if not piece:
                    break
                raw += piece
                if time.monotonic() > deadline:  # a server dripping bytes: each read is in time, the whole is not
                    raise TimeoutError(f"the answer took more than {READ_DEADLINE_FACTOR * self.config.timeout:g}s")
        except http.client.IncompleteRead as exc:
            if truncate:
                return bytes(raw + exc.partial)[:limit]
            raise ArgoUnavailable(f"the connection to the Argo server at {self.config.base_url} broke while "
                                  f"reading the answer to {method} {path}: {self._reason(exc)}") from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if truncate:
                return b""
            raise ArgoUnavailable(f"the connection to the Argo server at {self.config.base_url} broke while "
                                  f"reading the answer to {method} {path}: {self._reason(exc)}") from None
        if len(raw) > limit:
            if truncate:
                return raw[:limit]
            raise ArgoError(502, f"the answer is longer than the {limit} bytes an Argo Server sends at most",
                            method=method, path=path)
        return raw

    def _error(self, status: int, raw: bytes | bytearray, method: str, path: str) -> ArgoError:
        text = bytes(raw).decode("utf-8", errors="replace")
        message = text.strip()
        try:
            obj = json.loads(text)
            if isinstance(obj, dict):
                message = str(obj.get("message") or obj.get("error") or text).strip()
        except (ValueError, RecursionError):
            if "<html" in text.lower():
                message = "the server answered with an HTML page, not the Argo API"
        if not message:
            message = "(empty answer)"
        message = one_line(self.config.redact(message))
        if not 100 <= status <= 599:
            message = f"unexpected HTTP status {status}: {message}"
        return _error_class(status)(status, message, method=method, path=path,
                                    hint=_hint(status, self.config, path))

    def request(self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None, *,
                timeout: float | None = None) -> dict[str, Any]:
        """One call; the answer is a JSON object (an empty body is `{}`), scrubbed of the token."""
        conn, _, response = self._open(method, path, body, query, stream=False,
                                       timeout=timeout or self.config.timeout)
        try:
            raw = self._read(response, MAX_RESPONSE_BYTES, method, path)
        finally:
            conn.close()
        if not raw.strip():
            return {}
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError):
            raise ArgoError(502, "the server's answer is not JSON (is ARGO_BASE_HREF right?)", method=method,
                            path=path) from None
        if not isinstance(obj, dict):
            raise ArgoError(502, f"the server's answer is not a JSON object but {type(obj).__name__} "
                                 f"{one_line(self.config.redact(repr(obj)), 100)}", method=method, path=path)
        return scrubbed(self.config, raw, obj, path, method)

    def stream(self, path: str, query: Mapping[str, Any] | None = None, *, timeout: float | None = None,
               max_line: int = MAX_RESPONSE_BYTES) -> Stream:
        """Open a streaming GET; `timeout` is how long one read may wait for data, `max_line` the longest
        line (one event) accepted."""
        conn, sock, response = self._open("GET", path, None, query, stream=True, timeout=timeout)
        return Stream(conn, sock, response, self.config, path=path, max_line=max_line)

    # ---- endpoints ----------------------------------------------------------------------------------------
    def _wf(self, name: str, action: str = "") -> str:
        return f"/api/v1/workflows/{quote(self.namespace, safe='')}/{quote(name, safe='')}" + \
            (f"/{action}" if action else "")

    def create_workflow(self, workflow: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"namespace": self.namespace, "workflow": workflow}
        if dry_run:
            body["serverDryRun"] = True
        return check_workflow(self.request("POST", f"/api/v1/workflows/{quote(self.namespace, safe='')}", body))

    def get_workflow(self, name: str) -> dict[str, Any]:
        return check_workflow(self.request("GET", self._wf(name)))

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
        return check_workflow(self.request("PUT", self._wf(name, "retry"), body))

    def resubmit(self, name: str, *, memoized: bool = False, parameters: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "namespace": self.namespace}
        if memoized:
            body["memoized"] = True
        if parameters:
            body["parameters"] = list(parameters)
        return check_workflow(self.request("PUT", self._wf(name, "resubmit"), body))

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
        return self.stream(self._wf(name, "log"), query, timeout=timeout, max_line=MAX_LOG_LINE_BYTES)
