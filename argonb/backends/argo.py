"""Run the same workflow on a real Argo Workflows server: `submit(source, ...) -> ArgoRun`.

The engine's Backend protocol runs single pods; an Argo Server runs whole workflows, so this is a run-level
alternative to `argonb.run`. `submit` validates the YAML like a local run, creates the WorkflowTemplates it
needs (an existing one is left alone: 409 handled), creates the Workflow exactly as written (plus `-p`
parameters), and returns an `ArgoRun`: the same public interface as the local `Run` (name, phase, message,
done, nodes, node(), outputs, logs(), wait/stop/terminate/resume, subscribe, to_workflow, progress) plus
`retry`, `resubmit`, `suspend` and `delete` on the server. It publishes the engine's event types on an
`EventBus` (RunStarted; NodeUpdated with the server's node statuses, only for nodes that changed; NodeLog lines
from the pods' `main` containers; RunFinished), so the CLI reporter, the notebook widget and the run store
work unchanged.

Status comes from the watch stream (`/api/v1/workflow-events/{ns}`, Server-Sent Events or newline-delimited
JSON); when it cannot be used the run falls back to polling `GET /api/v1/workflows/{ns}/{name}` with
backoff. Logs come from one following stream for the whole workflow (`.../{name}/log?logOptions.follow=true`);
lines are matched to nodes through Argo's pod names, de-duplicated across reconnects, and fetched pod by pod
at the end if the stream broke. Connection settings follow the argo CLI (ARGO_SERVER, ARGO_NAMESPACE,
ARGO_TOKEN, ARGO_SECURE, ARGO_INSECURE_SKIP_VERIFY, ARGO_BASE_HREF; see docs/cluster.md). The token is never
logged, stored or shown.

Imports: argonb.engine (config, events, loaded, workflow), argonb.backends.argo_client / argo_manifest /
argo_errors.
"""

from __future__ import annotations

import copy
import http.client
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from argonb.backends.argo_client import (
    ArgoAuthError,
    ArgoBadRequest,
    ArgoClient,
    ArgoConfig,
    ArgoConflict,
    ArgoError,
    ArgoNotFound,
    ArgoUnavailable,
    WatchUnsupported,
    check_workflow,
    one_line,
)
from argonb.backends.argo_errors import ArgoRejected, rejected
from argonb.backends.argo_manifest import Submission, TemplateObject, submission_for
from argonb.engine.config import DEFAULT_CONFIG, RunConfig
from argonb.engine.events import Event, EventBus, NodeLog, NodeUpdated, RunFinished, RunStarted
from argonb.engine.loaded import LoadedWorkflow, load_workflow
from argonb.engine.naming import fnv32a
from argonb.rundir import RunDir

__all__ = ["ArgoAuthError", "ArgoConfig", "ArgoError", "ArgoNotFound", "ArgoRejected", "ArgoRun",
           "ArgoUnavailable", "attach", "submit", "submit_loaded"]

log = logging.getLogger("argonb.argo")

TERMINAL = ("Succeeded", "Failed", "Error")
POD_LOG_PHASES = ("Running", "Succeeded", "Failed", "Error")
MAX_END_FETCH = 500  # pods whose logs are fetched one by one when the log stream broke
MAX_POD_PREFIX = 253 - 10 - 1  # workflow/util/pod_name.go ensurePodNamePrefixLength


def pod_name(workflow_name: str, node: dict[str, Any]) -> str:
    """Argo's v2 pod name of a Pod node (`util.GeneratePodName` with `GetTemplateFromNode`)."""
    name = str(node.get("name", ""))
    if name == workflow_name:
        return workflow_name
    ref = node.get("templateRef") or {}
    template = str(ref.get("template") or node.get("templateName") or "")
    prefix = f"{workflow_name}-{template}" if template else workflow_name
    return f"{prefix[:MAX_POD_PREFIX]}-{fnv32a(name)}"


def selector_value(text: str) -> str:
    """Escape a Kubernetes field-selector value (`fields.EscapeValue`)."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


class ArgoRun:
    """A workflow running on an Argo Server, with the local `Run`'s interface. Thread-safe for readers."""

    backend = "argo"

    def __init__(self, client: ArgoClient, created: dict[str, Any], *, source_text: str = "",
                 parameters: dict[str, Any] | None = None, subscribers: Iterable[Callable[[Event], None]] = (),
                 home: str | Path | None = None, warnings: Iterable[str] = (), submission: Submission | None = None,
                 poll_interval: float = 0.5, poll_max: float = 5.0, watch_timeout: float = 60.0,
                 log_timeout: float = 120.0, log_drain: float = 10.0, lost_after: float = 300.0,
                 use_watch: bool = True):
        meta = created.get("metadata") or {}
        self._client = client
        self.name: str = str(meta.get("name", ""))
        self.namespace: str = str(meta.get("namespace") or client.namespace)
        self.uid: str = str(meta.get("uid", ""))
        self.server = client.config.base_url
        self.source_text = source_text
        self.parameters = dict(parameters or {})
        self.warnings: list[str] = list(warnings)
        self.submission = submission
        self.run_dir: Path | None = RunDir.of(Path(home).absolute(), self.name).path if home is not None else None
        self._lock = threading.RLock()
        self._wf: dict[str, Any] = copy.deepcopy(created)
        self._rv = _resource_version(created)
        self._phase = str((created.get("status") or {}).get("phase") or "Pending")
        self._message = str((created.get("status") or {}).get("message") or "")
        self._nodes: dict[str, dict[str, Any]] = {}
        self._pods: dict[str, str] = {}  # pod name -> node id
        self._lines: dict[str, list[str]] = {}  # pod name -> lines received
        self._pending: dict[str, list[str]] = {}  # lines of pods no node is known for yet
        self._files: dict[str, IO[str]] = {}
        self._fetched: set[str] = set()
        self._finished = threading.Event()
        self._closing = threading.Event()
        self._terminal = threading.Event()
        self._log_done = threading.Event()
        self._log_clean = False
        self._streams: list[Any] = []
        self._threads: list[threading.Thread] = []
        self._started_following = False
        self.poll_interval, self.poll_max = poll_interval, poll_max
        self.watch_timeout, self.log_timeout, self.log_drain = watch_timeout, log_timeout, log_drain
        self.lost_after = lost_after
        self.use_watch = use_watch
        self.mode = "watch" if use_watch else "poll"  # what the follower ended up using
        self._bus = EventBus(self.name, time.time)
        for fn in subscribers:
            self._bus.subscribe(fn)
        self._bus.publish(RunStarted, workflow_name=self.name)

    # ---- events -------------------------------------------------------------------------------------------
    def subscribe(self, fn: Callable[[Event], None]) -> Callable[[], None]:
        """Receive every later event (on argonb's follower threads: return fast, never block)."""
        return self._bus.subscribe(fn)

    # ---- state ----------------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.name

    @property
    def phase(self) -> str:
        return self._phase

    @property
    def message(self) -> str:
        return self._message

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def workflow(self) -> dict[str, Any]:
        """The Workflow object as the server has it, without `status`."""
        with self._lock:
            wf = copy.deepcopy(self._wf)
        wf.pop("status", None)
        return wf

    @property
    def nodes(self) -> dict[str, dict[str, Any]]:
        """The server's node statuses keyed by node ID (Pod nodes also carry `podName`), a snapshot."""
        with self._lock:
            return dict(self._nodes)

    def node(self, key: str) -> dict[str, Any]:
        """A node by ID, full name, display name or pod name (the first match)."""
        nodes = self.nodes
        if key in nodes:
            return nodes[key]
        for field in ("name", "displayName", "podName"):
            for node in nodes.values():
                if node.get(field) == key:
                    return node
        raise KeyError(f"no node {key!r} in workflow {self.name}")

    @property
    def outputs(self) -> dict[str, Any]:
        """Workflow outputs (`globalName` parameters and artifacts), shaped like the local Run's."""
        with self._lock:
            out = (self._wf.get("status") or {}).get("outputs") or {}
        result: dict[str, Any] = {}
        params = {str(p.get("name")): p.get("value") for p in out.get("parameters") or [] if isinstance(p, dict)}
        arts = {str(a.get("name")): a for a in out.get("artifacts") or [] if isinstance(a, dict)}
        if params:
            result["parameters"] = params
        if arts:
            result["artifacts"] = arts
        return result

    def progress(self) -> tuple[int, int]:
        pods = [n for n in self.nodes.values() if n.get("type") == "Pod"]
        return sum(1 for n in pods if n.get("phase") == "Succeeded"), len(pods)

    def to_workflow(self) -> dict[str, Any]:
        """The Workflow object with the server's `status` (node statuses as in `nodes`)."""
        with self._lock:
            wf = copy.deepcopy(self._wf)
            nodes = copy.deepcopy(self._nodes)
        status = wf.setdefault("status", {})
        status["phase"] = self._phase
        if nodes:
            status["nodes"] = nodes
        if "progress" not in status:
            done, total = self.progress()
            status["progress"] = f"{done}/{total}"
        return wf

    def __repr__(self) -> str:
        done, total = self.progress()
        return f"<ArgoRun {self.namespace}/{self.name} {self.phase} {done}/{total} pods on {self.server}>"

    # ---- logs -----------------------------------------------------------------------------------------------
    def logs(self, node: str | None = None, *, tail_bytes: int | None = None) -> str:
        """Full `main` log of a pod node, or of every pod node in start order (`display: line`); `tail_bytes`:
        only about the last that many bytes of one node's log (as `Run.logs`)."""
        if node is not None and tail_bytes is not None:
            return self._pod_log(self.node(node))[-tail_bytes:]
        if node is None:
            parts = []
            for n in sorted(self.nodes.values(), key=lambda n: (n.get("startedAt") or "", n.get("name", ""))):
                if n.get("type") == "Pod":
                    text = self._pod_log(n)
                    if text:
                        parts.append("".join(f"{n.get('displayName', n.get('name'))}: {line}\n"
                                             for line in text.splitlines()))
            return "".join(parts)
        return self._pod_log(self.node(node))

    def _pod_log(self, node: dict[str, Any]) -> str:
        pod = str(node.get("podName") or "")
        if not pod:
            return ""
        with self._lock:
            have = pod in self._lines
        following = self._started_following and not self.done
        if not have and not following and pod not in self._fetched and node.get("phase") in POD_LOG_PHASES:
            self._fetch_pod_log(pod)
        with self._lock:
            lines = list(self._lines.get(pod, []))
        return "".join(line + "\n" for line in lines)

    def _canon(self, pod: str) -> tuple[str, str | None]:
        """(the pod's name as its node has it, its node ID) for a pod name or alias (v1 names are node IDs)."""
        node_id = self._pods.get(pod)
        if node_id is None:
            return pod, None
        return str(self._nodes.get(node_id, {}).get("podName") or pod), node_id

    def _on_log(self, pod: str, line: str) -> None:
        with self._lock:
            pod, node_id = self._canon(pod)
            if node_id is None:
                self._pending.setdefault(pod, []).append(line)
                return
            self._lines.setdefault(pod, []).append(line)
        self._write_log(pod, line)
        self._bus.publish(NodeLog, node_id=node_id, stream="stdout", line=line)

    @property
    def kept_from(self) -> dict[str, str]:
        return {}  # the server runs every node itself

    def log_path(self, node: str | dict[str, Any], stream: str = "main") -> Path | None:
        """Where this machine saved a pod node's log as it streamed (None without a home or a pod). Only the
        combined `main` log is saved: the server's log API gives both streams as one."""
        pod = (self.node(node) if isinstance(node, str) else node).get("podName")
        if self.run_dir is None or not pod or stream != "main":
            return None
        return RunDir(self.run_dir).log_file(str(pod))

    def _write_log(self, pod: str, line: str) -> None:
        if self.run_dir is None:
            return
        try:
            fh = self._files.get(pod)
            if fh is None:
                path = RunDir(self.run_dir).log_file(pod)
                path.parent.mkdir(parents=True, exist_ok=True)
                fh = self._files[pod] = path.open("a", encoding="utf-8")
            fh.write(line + "\n")
            fh.flush()
        except (OSError, ValueError):  # a full disk (or a closed file) must not break following the run
            log.debug("cannot write the log of %s", pod, exc_info=True)

    def _flush_pending(self, pod: str) -> None:
        with self._lock:
            lines = self._pending.pop(pod, [])
        for line in lines:
            self._on_log(pod, line)

    def _count(self, pod: str) -> int:
        with self._lock:
            pod = self._canon(pod)[0]
            return len(self._lines.get(pod, [])) + len(self._pending.get(pod, []))

    def _skip_table(self) -> dict[str, list[int]]:
        """Lines already received per pod, one shared counter for a pod's name and its aliases."""
        with self._lock:
            table: dict[str, list[int]] = {}
            for key in set(self._lines) | set(self._pending):
                canon = self._canon(key)[0]
                counter = table.setdefault(canon, [self._count(canon)])
                table[key] = counter
            for alias in list(self._pods):
                canon = self._canon(alias)[0]
                if canon in table:
                    table[alias] = table[canon]
            return table

    def _fetch_pod_log(self, pod: str) -> None:
        """One pod's log, without following; lines already received are skipped."""
        self._fetched.add(pod)
        skip = self._count(pod)
        try:
            with self._client.logs(self.name, pod_name=pod, timeout=self.log_timeout) as stream:
                for entry in stream:
                    if skip > 0:
                        skip -= 1
                        continue
                    self._on_log(str(entry.get("podName") or pod), str(entry.get("content", "")))
        except (ArgoError, ArgoUnavailable, OSError, http.client.HTTPException, ValueError) as exc:
            log.debug("no log for pod %s: %s", pod, self._safe(exc))

    def _safe(self, exc: BaseException) -> str:
        """An exception's text as one line with every echo of the token masked (http.client's texts quote
        the server's bytes)."""
        return one_line(self._client.config.redact(str(exc)))

    # ---- following ------------------------------------------------------------------------------------------
    def follow(self) -> ArgoRun:
        """Start following the workflow (status and logs) on background threads; idempotent."""
        with self._lock:
            if self._started_following or self.done:
                return self
            self._started_following = True
        watcher = threading.Thread(target=self._follow_status, name=f"argonb-argo-{self.name}", daemon=True)
        logs = threading.Thread(target=self._follow_logs, name=f"argonb-argo-logs-{self.name}", daemon=True)
        self._threads = [watcher, logs]
        logs.start()
        watcher.start()
        return self

    def close(self) -> None:
        """Stop following (the workflow keeps running on the server); `done` stays as it is."""
        self._closing.set()
        for stream in list(self._streams):
            stream.close()

    def _open_stream(self, opener: Callable[[], Any]) -> Any:
        stream = opener()
        self._streams.append(stream)
        if self._closing.is_set():
            stream.close()
        return stream

    def _drop_stream(self, stream: Any) -> None:
        stream.close()
        if stream in self._streams:
            self._streams.remove(stream)

    def _follow_status(self) -> None:
        try:
            self._status_loop()
        except Exception as exc:  # never leave a waiter hanging; the run's message says why, in one line
            log.debug("following %s failed: %s: %s", self.name, type(exc).__name__, self._safe(exc))
            self._lost(f"argonb stopped following the workflow: {self._safe(exc)}")
        finally:
            self._finalize()

    def _status_loop(self) -> None:
        failures = 0
        last_ok = time.monotonic()
        interval = self.poll_interval
        while not self._closing.is_set() and not self._terminal.is_set():
            if self.mode == "watch":
                stream = None
                received = 0
                try:
                    stream = self._open_stream(lambda: self._client.watch(self.name, timeout=self.watch_timeout))
                    self._refresh()  # the state before the watch started (nothing is missed in between)
                    last_ok = time.monotonic()
                    for event in stream:
                        received += 1
                        failures, last_ok = 0, time.monotonic()
                        kind = str(event.get("type", ""))
                        obj = event.get("object")
                        if kind == "DELETED":
                            self._lost("the workflow was deleted on the server")
                            return
                        if kind == "ERROR":
                            break
                        if obj is not None:
                            self._apply(check_workflow(obj, method="GET", path="workflow-events"))
                        if self._terminal.is_set() or self._closing.is_set():
                            return
                    if not received:  # ended at once: a proxy that cannot stream? (after 3 times: poll)
                        failures = self._watch_failed(failures)
                    continue
                except WatchUnsupported:
                    self.mode = "poll"
                    continue
                except ArgoNotFound:
                    self._lost("the workflow no longer exists on the server")
                    return
                except ArgoAuthError as exc:
                    self._lost(f"lost access to the workflow: {exc.server_message or exc}")
                    return
                except TimeoutError:
                    if not received:  # nothing at all for watch_timeout: a buffering proxy, or a quiet workflow
                        failures = self._watch_failed(failures)
                    continue
                except (ArgoError, ArgoUnavailable, OSError, http.client.HTTPException, ValueError) as exc:
                    if self._closing.is_set():
                        return
                    log.debug("watch of %s broke: %s", self.name, self._safe(exc))
                    failures = self._watch_failed(failures)
                finally:
                    if stream is not None:
                        self._drop_stream(stream)
            else:
                try:
                    changed = self._refresh()
                    failures, last_ok = 0, time.monotonic()
                    interval = self.poll_interval if changed else min(interval * 1.5, self.poll_max)
                except ArgoNotFound:
                    self._lost("the workflow no longer exists on the server")
                    return
                except ArgoAuthError as exc:
                    self._lost(f"lost access to the workflow: {exc.server_message or exc}")
                    return
                except (ArgoError, ArgoUnavailable, OSError, http.client.HTTPException, ValueError) as exc:
                    failures += 1
                    interval = min(interval * 2, self.poll_max)
                    log.debug("polling %s failed (%d): %s", self.name, failures, self._safe(exc))
                    if time.monotonic() - last_ok > self.lost_after:
                        self._lost(f"lost contact with the Argo server for {self.lost_after:.0f}s: {self._safe(exc)}")
                        return
                if self._terminal.is_set():
                    return
                self._closing.wait(interval)

    def _watch_failed(self, failures: int) -> int:
        """Count a watch that failed or delivered nothing; three in a row switch to polling."""
        failures += 1
        if failures >= 3:
            self.mode = "poll"
        self._closing.wait(min(0.2 * 2 ** failures, 2.0))
        return failures

    def _refresh(self) -> bool:
        return self._apply(self._client.get_workflow(self.name))

    def _apply(self, wf: dict[str, Any]) -> bool:
        """Take a Workflow object from the server; publish the nodes that changed. True if anything did."""
        rv = _resource_version(wf)
        with self._lock:
            if rv is not None and self._rv is not None and rv < self._rv:
                return False  # an older object than one already seen
        status = wf.get("status") or {}
        if status.get("offloadNodeStatus") and not status.get("nodes"):
            wf = self._client.get_workflow(self.name)  # the server hydrates offloaded nodes on GET
            status = wf.get("status") or {}
        nodes = {str(k): self._enrich(v) for k, v in (status.get("nodes") or {}).items() if isinstance(v, dict)}
        phase = str(status.get("phase") or "Pending")
        with self._lock:
            changed = [k for k, v in nodes.items() if self._nodes.get(k) != v]
            moved = changed or phase != self._phase or str(status.get("message") or "") != self._message
            self._wf = wf
            self._rv = rv if rv is not None else self._rv
            self._nodes = nodes
            self._message = str(status.get("message") or "")
            if not self.uid:
                self.uid = str((wf.get("metadata") or {}).get("uid", ""))
            for node_id in changed:
                pod = nodes[node_id].get("podName")
                if pod:
                    self._pods[str(pod)] = node_id
                    self._pods.setdefault(node_id, node_id)  # POD_NAMES=v1 clusters name pods by node ID
        for node_id in _ordered(changed, nodes, self.name):
            node = nodes[node_id]
            self._bus.publish(NodeUpdated, node_id=node_id, phase=str(node.get("phase", "")), node=node,
                              extra={"backend": "argo"})
            if node.get("podName"):
                self._flush_pending(str(node["podName"]))
                self._flush_pending(node_id)
        self._phase = phase
        if phase in TERMINAL:
            self._terminal.set()
        return bool(moved)

    def _enrich(self, node: dict[str, Any]) -> dict[str, Any]:
        if node.get("type") == "Pod" and not node.get("podName"):
            return {**node, "podName": pod_name(self.name, node)}
        return node

    def _lost(self, message: str) -> None:
        with self._lock:
            if self._phase not in TERMINAL:
                self._phase = "Error"
            self._message = message
        self._terminal.set()

    def _follow_logs(self) -> None:
        attempts = 0
        try:
            while not self._closing.is_set():
                skip = self._skip_table()
                stream = None
                opened, delivered = time.monotonic(), 0
                try:
                    stream = self._open_stream(lambda: self._client.logs(self.name, follow=True,
                                                                         timeout=self.log_timeout))
                    for entry in stream:
                        pod = str(entry.get("podName", ""))
                        with self._lock:
                            counter = skip.get(pod) or skip.get(self._canon(pod)[0])
                        if counter and counter[0] > 0:  # a line this run already has (stream replayed)
                            counter[0] -= 1
                            continue
                        delivered += 1
                        self._on_log(pod, str(entry.get("content", "")))
                    if self._terminal.is_set():
                        self._log_clean = True
                        return
                except (ArgoAuthError, ArgoNotFound) as exc:
                    log.debug("no log stream for %s: %s", self.name, self._safe(exc))
                    return
                except (ArgoError, ArgoUnavailable, OSError, http.client.HTTPException, ValueError) as exc:
                    log.debug("log stream of %s broke: %s", self.name, self._safe(exc))
                finally:
                    if stream is not None:
                        self._drop_stream(stream)
                attempts = 1 if delivered or time.monotonic() - opened > 30 else attempts + 1
                if attempts > 20 or self._terminal.is_set():
                    return
                self._closing.wait(min(0.2 * attempts, 2.0))
        finally:
            self._log_done.set()

    def _finalize(self) -> None:
        if self._closing.is_set() and not self._terminal.is_set():
            self._close_files()
            return  # closed by the user: nothing more to report
        self._log_done.wait(self.log_drain)
        for stream in list(self._streams):
            stream.close()  # a log stream still open after the drain time
        if len(self._threads) > 1:
            self._threads[1].join(2.0)  # no NodeLog may follow RunFinished
        if not self._log_clean:
            for node in [n for n in self.nodes.values() if n.get("type") == "Pod"][:MAX_END_FETCH]:
                if node.get("podName") and node.get("phase") in POD_LOG_PHASES:
                    self._fetch_pod_log(str(node["podName"]))
        for stream in list(self._streams):
            stream.close()
        with self._lock:
            orphans = list(self._pending.items())
            self._pending.clear()
        for pod, lines in orphans:  # lines of pods no node named: publish them under the pod's name
            for line in lines:
                self._lines.setdefault(pod, []).append(line)
                self._bus.publish(NodeLog, node_id=pod, stream="stdout", line=line)
        self._close_files()
        self._bus.publish(RunFinished, phase=self._phase, message=self._message)
        self._finished.set()

    def _close_files(self) -> None:
        for fh in list(self._files.values()):
            try:
                fh.close()
            except OSError:
                pass
        self._files.clear()

    # ---- control --------------------------------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> ArgoRun:
        """Block until the workflow ends on the server (or `timeout` seconds pass); returns the run."""
        self.follow()
        self._finished.wait(timeout)
        return self

    def _selector(self, node: str | None) -> str:
        if node is None:
            return ""
        try:
            return f"id={selector_value(str(self.node(node)['id']))}"
        except KeyError:
            return f"displayName={selector_value(node)}"

    def stop(self, message: str = "") -> None:
        """Argo's `stop`: running pods are killed, exit handlers still run."""
        self._client.stop(self.name, message=message)

    def terminate(self) -> None:
        """Argo's `terminate`: like stop, but exit handlers do not run."""
        self._client.terminate(self.name)

    def suspend(self) -> None:
        self._client.suspend(self.name)

    def resume(self, node: str | None = None, outputs: dict[str, str] | None = None) -> None:
        """Resume the workflow, or one suspended node (by ID, name or display name) supplying output
        parameters (`argo node set --output-parameters` then `argo resume --node-field-selector`)."""
        selector = self._selector(node)
        if outputs:
            values = {k: str(v) for k, v in outputs.items()}
            targets = [selector] if selector else [
                f"id={selector_value(str(n['id']))}" for n in self.nodes.values()
                if n.get("type") == "Suspend" and n.get("phase") == "Running"]
            if not targets:
                raise ValueError(f"no suspended node in workflow {self.name} to give outputs to")
            for target in targets:
                self._client.set_node(self.name, target, output_parameters=values)
        self._client.resume(self.name, node_field_selector=selector)

    def retry(self, node: str | None = None, restart_successful: bool = False, *,
              parameters: dict[str, Any] | None = None,
              subscribers: Iterable[Callable[[Event], None]] = ()) -> ArgoRun:
        """Argo's retry (same workflow name): failed nodes run again; with `node`, that node (and what depends
        on it) is restarted even if it succeeded (`--restart-successful --node-field-selector`). Returns a new
        handle following the retried workflow."""
        selector = self._selector(node)
        wf = self._client.retry(self.name, node_field_selector=selector,
                                restart_successful=restart_successful or node is not None,
                                parameters=_param_list(parameters))
        return self._sibling(wf, subscribers, {**self.parameters, **(parameters or {})})

    def resubmit(self, *, memoized: bool = False, parameters: dict[str, Any] | None = None,
                 subscribers: Iterable[Callable[[Event], None]] = ()) -> ArgoRun:
        """Argo's resubmit: a new workflow from this one's spec; returns its handle."""
        wf = self._client.resubmit(self.name, memoized=memoized, parameters=_param_list(parameters))
        return self._sibling(wf, subscribers, {**self.parameters, **(parameters or {})})

    def delete(self) -> None:
        self._client.delete_workflow(self.name)

    def _sibling(self, wf: dict[str, Any], subscribers: Iterable[Callable[[Event], None]],
                 parameters: dict[str, Any]) -> ArgoRun:
        home = RunDir(self.run_dir).home if self.run_dir is not None else None
        handle = ArgoRun(self._client, wf, source_text=self.source_text, parameters=parameters,
                         subscribers=subscribers, home=home, submission=self.submission,
                         poll_interval=self.poll_interval, poll_max=self.poll_max, watch_timeout=self.watch_timeout,
                         log_timeout=self.log_timeout, log_drain=self.log_drain, lost_after=self.lost_after,
                         use_watch=self.use_watch)
        return handle.follow()


def _param_list(parameters: dict[str, Any] | None) -> list[str] | None:
    if not parameters:
        return None
    return [f"{k}={v}" for k, v in parameters.items()]


def _resource_version(wf: dict[str, Any]) -> int | None:
    rv = (wf.get("metadata") or {}).get("resourceVersion")
    try:
        return int(str(rv))
    except (TypeError, ValueError):
        return None


def _ordered(changed: list[str], nodes: dict[str, dict[str, Any]], root: str) -> list[str]:
    """Changed node IDs, parents before children (breadth-first from the root), then the rest by start."""
    wanted = set(changed)
    out: list[str] = []
    seen: set[str] = set()
    queue = deque([root] if root in nodes else [])
    queue.extend(k for k, n in nodes.items() if not n.get("boundaryID") and k != root)
    while queue:
        node_id = queue.popleft()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        if node_id in wanted:
            out.append(node_id)
        queue.extend(str(c) for c in nodes[node_id].get("children") or [])
    rest = sorted((k for k in changed if k not in seen),
                  key=lambda k: (nodes[k].get("startedAt") or "", nodes[k].get("name", "")))
    return out + rest


# ---- entry points -------------------------------------------------------------------------------------------
def connect(server: str | None = None, namespace: str | None = None, token: str | None = None, *,
            secure: bool | None = None, insecure_skip_verify: bool | None = None, base_href: str | None = None,
            config: ArgoConfig | None = None, timeout: float | None = None) -> ArgoClient:
    """An `ArgoClient` from explicit settings or the argo CLI's environment variables."""
    if config is None:
        config = ArgoConfig.from_env(server, namespace, token, secure=secure,
                                     insecure_skip_verify=insecure_skip_verify, base_href=base_href,
                                     timeout=timeout)
    return ArgoClient(config)


def _same_template(local: dict[str, Any], remote: dict[str, Any]) -> bool:
    return (local.get("spec") or {}) == (remote.get("spec") or {})


def ensure_templates(client: ArgoClient, items: Iterable[TemplateObject], *, update: bool = False) -> list[str]:
    """Create each (Cluster)WorkflowTemplate; one that exists is left alone (or replaced with `update`).
    Returns notes for templates whose server copy differs from the local one."""
    notes: list[str] = []
    for item in items:
        try:
            client.create_template(item.data, cluster=item.cluster)
            continue
        except ArgoConflict:
            pass
        except ArgoBadRequest as exc:
            raise rejected(exc.status, exc.server_message, item.origin, kind=item.kind, name=item.name) from None
        remote = client.get_template(item.name, cluster=item.cluster)
        if _same_template(item.data, remote):
            continue
        if update:
            data = copy.deepcopy(item.data)
            data.setdefault("metadata", {})["resourceVersion"] = (remote.get("metadata") or {}).get(
                "resourceVersion", "")
            try:
                client.update_template(data, cluster=item.cluster)
            except ArgoBadRequest as exc:
                raise rejected(exc.status, exc.server_message, item.origin, kind=item.kind,
                               name=item.name) from None
            notes.append(f"{item.kind} {item.name} was replaced on the server by the local version")
        else:
            notes.append(f"{item.kind} {item.name} already exists on the server and differs from the local one: "
                         "the server's copy is used (pass --update-templates / update_templates=True to replace "
                         "it)")
    return notes


def submit(source: Any, parameters: dict[str, Any] | None = None, *, server: str | None = None,
           namespace: str | None = None, token: str | None = None, secure: bool | None = None,
           insecure_skip_verify: bool | None = None, base_href: str | None = None,
           config: ArgoConfig | None = None, client: ArgoClient | None = None, follow: bool = True,
           update_templates: bool = False, poll_interval: float = 0.5, poll_max: float = 5.0,
           watch: bool = True, **options: Any) -> ArgoRun:
    """Submit `source` (YAML text, a path, a Source, a dict or a LoadedWorkflow) to an Argo Server and follow it.

    Connection: explicit `server` ("host:port" or a URL), `namespace`, `token`, ... or the argo CLI's
    environment (ARGO_SERVER, ARGO_NAMESPACE, ARGO_TOKEN, ARGO_SECURE, ARGO_INSECURE_SKIP_VERIFY,
    ARGO_BASE_HREF). `options` are `RunConfig`'s fields: `templates` / `registry` supply WorkflowTemplates the
    workflow references; they are created on the server first (an existing one is left alone unless
    `update_templates`). `home` mirrors pod logs into `<home>/runs/<name>/pods/<pod>/main.log` as local runs
    do. Options only the local engine has (`max_workers`, `reuse`, ...) are accepted and ignored, with a note
    in `run.warnings`.

    Raises InvalidWorkflow (local validation), ArgoRejected (an InvalidWorkflow: the server refused the YAML;
    diagnostics point at the line), ArgoAuthError / ArgoNotFound / ArgoError, ArgoUnavailable (no server).
    """
    run_config = RunConfig.from_options(options)
    loaded = load_workflow(source, templates=run_config.templates, registry=run_config.registry,
                           validate_input=run_config.validate_input)
    return submit_loaded(loaded, parameters, run_config, server=server, namespace=namespace, token=token,
                         secure=secure, insecure_skip_verify=insecure_skip_verify, base_href=base_href,
                         config=config, client=client, follow=follow, update_templates=update_templates,
                         poll_interval=poll_interval, poll_max=poll_max, watch=watch)


def submit_loaded(loaded: LoadedWorkflow, parameters: dict[str, Any] | None = None,
                  run_config: RunConfig = DEFAULT_CONFIG, *, server: str | None = None, namespace: str | None = None,
                  token: str | None = None, secure: bool | None = None, insecure_skip_verify: bool | None = None,
                  base_href: str | None = None, config: ArgoConfig | None = None, client: ArgoClient | None = None,
                  follow: bool = True, update_templates: bool = False, poll_interval: float = 0.5,
                  poll_max: float = 5.0, watch: bool = True) -> ArgoRun:
    """`submit` for an input loaded once at the edge (what `argonb.run(..., backend="argo")` calls)."""
    sub = submission_for(loaded, parameters, name=run_config.name, parallelism=run_config.parallelism)
    # the run's namespace is the server's namespace when no connection setting names one
    client = client or connect(server, namespace or run_config.namespace, token, secure=secure,
                               insecure_skip_verify=insecure_skip_verify, base_href=base_href, config=config)
    notes = list(sub.warnings)
    notes += ensure_templates(client, sub.templates, update=update_templates)
    ignored = run_config.local_only_set()
    if ignored:
        notes.append(f"local-only options ignored on the Argo Server: {', '.join(ignored)}")
    created = create_workflow(client, sub)
    handle = ArgoRun(client, created, source_text=sub.source_text, parameters=parameters,
                     subscribers=run_config.subscribers, home=run_config.home, warnings=notes, submission=sub,
                     poll_interval=poll_interval, poll_max=poll_max, use_watch=watch)
    if follow or run_config.wait:
        handle.follow()
    if run_config.wait:
        handle.wait()
    return handle


def create_workflow(client: ArgoClient, sub: Submission) -> dict[str, Any]:
    """POST the workflow; a refusal becomes ArgoRejected pointing into the YAML."""
    try:
        return client.create_workflow(sub.workflow)
    except (ArgoBadRequest, ArgoConflict) as exc:
        meta = sub.workflow.get("metadata") or {}
        raise rejected(exc.status, exc.server_message, sub.origin, kind="Workflow",
                       name=str(meta.get("name") or meta.get("generateName") or "")) from None


def attach(name: str, *, server: str | None = None, namespace: str | None = None, token: str | None = None,
           config: ArgoConfig | None = None, client: ArgoClient | None = None, follow: bool = True,
           home: str | Path | None = None, subscribers: Iterable[Callable[[Event], None]] = (),
           **settings: Any) -> ArgoRun:
    """A handle on a workflow already on the server (e.g. submitted by `argo submit`)."""
    client = client or connect(server, namespace, token, config=config, **settings)
    wf = client.get_workflow(name)
    handle = ArgoRun(client, wf, subscribers=subscribers, home=home)
    return handle.follow() if follow else handle
