"""Retry nodes (ARGO-SEMANTICS §7, `processNodeRetries`): attempts `<name>(0)`, `<name>(1)`... under a Retry
node whose phase, message and outputs are the last attempt's.

`limit` counts retries (attempts = limit + 1; absent = unlimited); `retryPolicy` OnFailure by default, Always
when `expression` is set; `backoff` waits `duration * factor^(n-1)` capped by `cap`, and `maxDuration` is
measured from the first attempt's start.
"""

from __future__ import annotations

import os
import re
from typing import Any

from argonb.engine.durations import parse_duration
from argonb.engine.execute import POD_TYPES, Engine, Exec, OnDone
from argonb.engine.model import Node, NodePhase, NodeType
from argonb.engine.naming import pod_name
from argonb.engine.params import ArgumentError, substitute_params
from argonb.engine.workflow import TemplateContext, template_type
from argonb.expr.template import TemplateError


class RetryExec(Exec):
    def __init__(self, engine: Engine, name: str, tmpl: dict[str, Any], ctx: TemplateContext, boundary_id: str,
                 on_done: OnDone, hooked: bool, strategy: dict[str, Any], holder: dict[str, Any], depth: int):
        super().__init__(engine, on_done)
        self.depth = depth  # attempts are the same executeTemplate call as the Retry node
        self.name = name
        self.tmpl = tmpl
        self.template = tmpl
        self.ctx = ctx
        self.boundary_id = boundary_id
        self.strategy = strategy
        self.attempts: list[Node] = []
        self.node = self.rt.create_node(name, NodeType.RETRY, template_name=str(tmpl.get("name", "")),
                                        boundary_id=boundary_id, hooked=hooked)
        self.rt.active_execs.add(self)
        self._attempt()

    def _attempt(self) -> None:
        if self.done:
            return
        index = len(self.attempts)
        name = f"{self.name}({index})"
        if self.name in self.rt.node_templates:  # attempts carry the Retry node's template reference
            self.rt.node_templates[name] = self.rt.node_templates[self.name]
        local = {"retries": str(index), "node.name": name, **self._last_retry_vars()}
        if template_type(self.tmpl) in POD_TYPES:
            local["pod.name"] = pod_name(self.rt.name, name, str(self.tmpl.get("name", "")))
        try:
            tmpl = substitute_params(self.tmpl, self.rt.globals, local)
        except (ArgumentError, TemplateError) as exc:
            self.finish(NodePhase.ERROR, str(exc))
            return
        ex = self.engine.dispatch(name, tmpl, self.ctx, self.boundary_id, self._attempt_done, hooked=False, retried=True,
                                  depth=self.depth)
        self.rt.add_child(self.node, ex.node)
        self.attempts.append(ex.node)

    def _last_retry_vars(self) -> dict[str, str]:
        if not self.attempts:
            return {"lastRetry.exitCode": "0", "lastRetry.duration": "0", "lastRetry.status": "",
                    "lastRetry.message": ""}
        last = self.attempts[-1]
        return {"lastRetry.exitCode": str((last.outputs or {}).get("exitCode", "0")),
                "lastRetry.duration": _go_seconds(last.duration), "lastRetry.status": last.phase.value,
                "lastRetry.message": last.message}

    def _attempt_done(self, ex: Exec) -> None:
        last = ex.node
        self.node.outputs = last.outputs
        if not last.phase.failed_or_error:
            self.finish(NodePhase.SUCCEEDED)
            return
        try:
            stop = self._stop_reason(last)
        except _UnresolvableLimit as exc:   # operator.go processNodeRetries returns the error: node Error
            self.finish(NodePhase.ERROR, str(exc))
            return
        if stop is not None:
            self.finish(last.phase, stop)
            return
        wait = self._backoff(last)
        if isinstance(wait, str):
            self.finish(last.phase, wait)
            return
        if wait > 0:
            self.rt.set_phase(self.node, self.node.phase, f"Backoff for {_humanize(wait)}")
            self.rt.call_later(wait, self._resume_after_backoff)
        else:
            self._attempt()

    def _resume_after_backoff(self) -> None:
        if self.rt.stop_strategy:
            last = self.attempts[-1]
            self.finish(last.phase, f"Stopped with strategy '{self.rt.stop_strategy}'")
            return
        self.rt.set_phase(self.node, self.node.phase, "")
        self._attempt()

    def _stop_reason(self, last: Node) -> str | None:
        if self.rt.stop_strategy:
            return f"Stopped with strategy '{self.rt.stop_strategy}'"
        if self.rt.deadline_exceeded():
            return "retry exceeded workflow deadline"
        policy = self.strategy.get("retryPolicy") or ("Always" if self.strategy.get("expression") else "OnFailure")
        retry_failed = policy in ("Always", "OnFailure")
        retry_error = policy in ("Always", "OnError")
        if policy == "OnTransientError":
            pattern = os.environ.get("TRANSIENT_ERROR_PATTERN")
            retry_failed = retry_error = bool(pattern) and _transient(pattern, last.message)
        if (last.phase is NodePhase.FAILED and not retry_failed) or (last.phase is NodePhase.ERROR and not retry_error):
            return last.message
        limit = _retry_limit(self.strategy.get("limit"))
        if limit is not None and len(self.attempts) > limit:
            return "No more retries left"
        expression = self.strategy.get("expression")
        if expression:
            from argonb.expr.exprlang import evaluate
            from argonb.expr.template import expand_env

            env = expand_env({"retries": str(len(self.attempts) - 1), **self._last_retry_vars(),
                              "lastRetry.exitCode": str((last.outputs or {}).get("exitCode", "-1"))})
            try:
                proceed = evaluate(str(expression), env)
            except ValueError as exc:
                return f"retryStrategy.expression failed: {exc}"
            if not proceed:
                return "retryStrategy.expression evaluated to false"
        return None

    def _backoff(self, last: Node) -> float | str:
        backoff = self.strategy.get("backoff")
        if not backoff:
            return 0.0
        max_deadline = None
        if backoff.get("maxDuration"):
            first = self.attempts[0].started_at or self.rt.clock()
            max_deadline = first + parse_duration(str(backoff["maxDuration"]))
            if self.rt.clock() > max_deadline:
                return "Max duration limit exceeded"
        if not backoff.get("duration"):
            return "no base duration specified for retryStrategy"
        wait = parse_duration(str(backoff["duration"]))
        factor = backoff.get("factor")
        if factor not in (None, "") and int(str(factor)) > 0:
            wait *= int(str(factor)) ** (len(self.attempts) - 1)
        if backoff.get("cap"):
            wait = min(wait, parse_duration(str(backoff["cap"])))
        finished = last.finished_at or self.rt.clock()
        if max_deadline is not None and finished + wait > max_deadline:
            return "Backoff would exceed max duration limit"
        if self.strategy.get("limit") is None:
            return 0.0  # Argo only waits when a limit is set (§7)
        if max_deadline is not None:  # maxDuration also caps the next attempt's pod deadline
            self.rt.execution_deadlines[f"{self.name}({len(self.attempts)})"] = max_deadline
        return max(0.0, finished + wait - self.rt.clock())

    def stop(self, strategy: str) -> None:
        pass


def _go_seconds(seconds: float) -> str:
    text = f"{seconds:.9f}".rstrip("0").rstrip(".")
    return text or "0"


def _humanize(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    return f"{int(seconds // 60)} minutes"


class _UnresolvableLimit(ValueError):
    pass


def _retry_limit(value: Any) -> int | None:
    """util/intstr Int32 of `retryStrategy.limit` (an int or a string holding one), with its error."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _UnresolvableLimit(f"value '{value}' cannot be resolved to an int")
    text = str(value)
    if isinstance(value, int) or re.fullmatch(r"[+-]?[0-9]+", text):   # strconv.Atoi's syntax
        return int(text)
    raise _UnresolvableLimit(f"value '{value}' cannot be resolved to an int")


def _transient(pattern: str, message: str) -> bool:
    """util/errors/errors.go matchTransientErrPattern: Go's regexp; an invalid pattern matches nothing."""
    from argonb.expr.goregex import RegexpError, compile_go

    try:
        return compile_go(pattern).match_string(message)
    except RegexpError:
        return False
