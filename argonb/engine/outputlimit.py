"""The bound on what a pod's output parameters may carry, and reading `valueFrom.path` files within it.

Argo has no size check of its own in `executor.go SaveParameters`: the values travel to the controller in the
pod's `WorkflowTaskResult`, which the wait container creates or patches through the Kubernetes API
(`workflow/executor/taskresult.go upsertTaskResult`, called from `executor.go reportResult`). The API server
refuses a request body over 3 MiB ("Request entity too large: limit is 3145728"); `reportResult` retries only
transient errors, so the wait container exits with that error (`cmd/argoexec/main.go`: exit code 64, the error
as its termination message) and `operator.go inferFailedReason` ends the node in Error with
`wait: Error (exit code 64): <message>` when main succeeded (§5.4). argonb applies the same bound to the sum
of one pod's output parameter values, and reads each file at most one byte past what is left of it, so a huge
file is refused without being read.
Imports: stdlib only.
"""

from __future__ import annotations

from pathlib import Path

TASK_RESULT_LIMIT = 3 * 1024 * 1024  # kube-apiserver's request body limit (3145728 bytes)
TOO_LARGE_MESSAGE = f"wait: Error (exit code 64): Request entity too large: limit is {TASK_RESULT_LIMIT}"


class OutputTooLarge(ValueError):
    """A pod's output parameters do not fit in one task result (the node ends in Error with Argo's message)."""

    def __init__(self) -> None:
        super().__init__(TOO_LARGE_MESSAGE)


class OutputBudget:
    """What is left of one pod's output bound; every value taken from it is counted in UTF-8 bytes."""

    def __init__(self, limit: int = TASK_RESULT_LIMIT):
        self.left = limit

    def take(self, value: str) -> str:
        size = len(value.encode("utf-8", errors="replace"))
        if size > self.left:
            raise OutputTooLarge()
        self.left -= size
        return value

    def read_file(self, path: Path) -> str | None:
        """The file's text (invalid UTF-8 replaced), None if it is not a readable regular file. Reads at most
        `left + 1` bytes: a file past the bound is refused without being read whole."""
        try:
            if not path.is_file():
                return None
            with open(path, "rb") as fh:
                data = fh.read(self.left + 1)
        except OSError:
            return None
        if len(data) > self.left:
            raise OutputTooLarge()
        self.left -= len(data)
        return data.decode("utf-8", errors="replace")
