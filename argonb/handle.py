"""The run handle: what `argonb.run()` returns, whoever runs the workflow.

`engine.run.Run` (the local engine) and `backends.argo.ArgoRun` (an Argo server) both implement `RunHandle`, so the
CLI, the notebook and the run store use either without knowing which (tests/test_handle.py checks that every
member exists in both with a compatible signature). It imports nothing from argonb beyond the event type.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from argonb.engine.events import Event


class RunHandle(Protocol):
    """One workflow run, live or finished. Readers are thread-safe; nodes are Argo-shaped dicts (`status.nodes`).

    It promises: a name and uid as Argo gives them; `phase`/`message`/`done` and node snapshots that only move
    forward; `wait()` returning itself once the run has finished (or at the timeout); `stop()` (exit handlers run)
    and `terminate()` (they do not), `resume()` of a suspended node, each effective once; `subscribe()` to every
    later event, returning the unsubscribe function; `logs()` and `log_path()` reading what was saved on this
    machine (`log_path` None where nothing is); `to_workflow()` the same JSON as `argonb get -o json`.
    """

    name: str
    uid: str
    source_text: str  # the YAML the run was started from (the store keeps it for resubmit/edit)
    parameters: dict[str, Any]  # the -p overrides it was started with
    run_dir: Path | None  # <home>/runs/<name>/ (argonb.rundir), None when nothing is saved on this machine
    workflow: dict[str, Any]  # the Workflow as submitted (an attribute or a read-only property)

    @property
    def id(self) -> str: ...

    @property
    def phase(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def done(self) -> bool: ...

    @property
    def nodes(self) -> dict[str, dict[str, Any]]: ...

    @property
    def outputs(self) -> dict[str, Any]: ...

    @property
    def kept_from(self) -> dict[str, str]:
        """Node id -> the earlier run whose result it kept (retry/resubmit); its files are in that run's directory."""

    def node(self, key: str) -> dict[str, Any]:
        """A node by id, name or display name."""

    def progress(self) -> tuple[int, int]:
        """(complete, total) executable nodes, as Argo's `status.progress`."""

    def wait(self, timeout: float | None = None) -> RunHandle: ...

    def stop(self) -> None: ...

    def terminate(self) -> None: ...

    def resume(self, node: str | None = None, outputs: dict[str, str] | None = None) -> None: ...

    def subscribe(self, fn: Callable[[Event], None]) -> Callable[[], None]: ...

    def logs(self, node: str | None = None, *, tail_bytes: int | None = None) -> str: ...

    def log_path(self, node: str | dict[str, Any], stream: str = "main") -> Path | None: ...

    def to_workflow(self) -> dict[str, Any]: ...
