"""The run store: every run recorded in SQLite (`<home>/argonb.db`, WAL) next to its run directory.

Public API: `open_store`, `Store` (list_runs, get_run, nodes, to_workflow, delete, gc), `RunRecorder` (the
event subscriber that writes the store), `run_recorded` (argonb.run + recording), and Argo's `retry` and
`resubmit` plus edit-and-resume (`resume_edited`). See docs/runs.md.
Imports: argonb.engine (events, api, run, workflow, durations, timefmt), argonb.rundir (run directory paths),
argonb.engine.progress, argonb.spec.source, argonb.errors.
"""

from __future__ import annotations

from argonb.store.actions import (
    RetryError,
    plan_retry,
    planned_name,
    resubmit,
    resume_edited,
    retry,
    run_recorded,
)
from argonb.store.recorder import RunRecorder
from argonb.store.store import (
    LATEST,
    AmbiguousRun,
    RunActive,
    RunNotFound,
    RunRecord,
    Store,
    StoreError,
    open_store,
)

__all__ = [
    "LATEST", "AmbiguousRun", "RetryError", "RunActive", "RunNotFound", "RunRecord", "RunRecorder", "Store",
    "StoreError", "open_store", "plan_retry", "planned_name", "resubmit", "resume_edited", "retry",
    "run_recorded",
]
