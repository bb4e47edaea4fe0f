"""Argo's maximum template stack depth, and the Python stack the engine needs to reach it.

The controller counts nested `executeTemplate` calls (`woc.currentStackDepth`, workflow/controller/operator.go):
the entrypoint, the workflow's exit handler and its hooks are at depth 1, and each step, task or hook of a
steps/DAG template at depth d is at d + 1 (retry attempts, memoization and locks are the same call). The call
that reaches `maxAllowedStackDepth` (100, workflow/controller/controller.go) creates its node as a Skipped node
in Error with `ErrMaxDepthExceeded`'s message (`initializeNodeOrMarkError`), which its steps/DAG parent then
treats as any errored child. So a recursion with no base case ends after 99 levels, with or without pods.
The controller's `DISABLE_MAX_RECURSION=true` is not honoured: unbounded nesting cannot fit on a Python stack.

argonb expands nested templates synchronously on the run loop's stack (as Argo does within one reconcile), about
ten Python frames per level. `ensure_python_stack` makes sure no Python recursion limit is reachable below
Argo's limit: it raises the interpreter's recursion limit to `PYTHON_RECURSION_LIMIT` (never lowers it), and
`LOOP_THREAD_STACK` is the C stack the run loop thread gets for it.
"""

from __future__ import annotations

import sys
import threading

MAX_STACK_DEPTH = 100  # maxAllowedStackDepth
# ErrMaxDepthExceeded: help.ConfigureMaximumRecursionDepth() for Argo v4.1 (util/help/topics.go)
MAX_DEPTH_MESSAGE = ("Maximum recursion depth exceeded. See "
                     "https://argo-workflows.readthedocs.io/en/release-4.1/scaling/#maximum-recursion-depth")

# measured: a retried, memoized, synchronized step with hooks in a loop costs 14 frames per level (1,385 at
# depth 99), a plain step 10, a DAG task 9: twice that, and no more, as C recursion in other threads (8 MiB
# stacks) must not overflow before Python raises RecursionError (the limit is per process)
PYTHON_RECURSION_LIMIT = 3_000
LOOP_THREAD_STACK = 256 << 20  # virtual: only the pages actually used are committed

_lock = threading.Lock()


def depth_exceeded(depth: int) -> bool:
    """True when an executeTemplate call at `depth` must end in `MAX_DEPTH_MESSAGE`."""
    return depth >= MAX_STACK_DEPTH


def ensure_python_stack() -> None:
    """Raise the recursion limit so that nesting up to Argo's limit never meets Python's."""
    with _lock:
        if sys.getrecursionlimit() < PYTHON_RECURSION_LIMIT:
            sys.setrecursionlimit(PYTHON_RECURSION_LIMIT)


def start_thread_with_stack(thread: threading.Thread, size: int = LOOP_THREAD_STACK) -> None:
    """Start `thread` with a C stack of `size` bytes (the size applies to threads started meanwhile too,
    so it is set and restored under a lock)."""
    ensure_python_stack()
    with _lock:
        previous = threading.stack_size()
        try:
            threading.stack_size(size)
        except (ValueError, RuntimeError):  # a platform that cannot: the default stack
            thread.start()
            return
        try:
            thread.start()
        finally:
            threading.stack_size(previous)
