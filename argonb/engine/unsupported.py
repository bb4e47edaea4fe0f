"""Template types the local engine cannot run, with the reason its node gives (ARGO-SEMANTICS §5): a module of
its own so that parity can read it without loading the executors."""

from __future__ import annotations

UNSUPPORTED = {
    "resource": "resource templates need a Kubernetes API server",
    "data": "data templates need an artifact repository listing (S3) and are not emulated",
    "plugin": "executor plugins need an Argo controller with plugins",
}
