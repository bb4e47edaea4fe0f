"""Where the tests find `../shared` (Argo's example corpus, ARGO-SEMANTICS.md): one rule for every test.

`ARGONB_SHARED` names the directory when set (set to a missing directory, the tests that need it skip). Otherwise
the first `shared/` beside the repository or one of its parents is used, so a git worktree under
`<project>/wt/<name>` finds the same `<project>/shared` as the main checkout. The project's own tests never need
it: what reads it skips with `SKIP_REASON` when `shared_dir()` is None.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = Path("argo-examples") / "CATALOG.tsv"  # what makes a directory the shared corpus
SKIP_REASON = "../shared/argo-examples is not available (set ARGONB_SHARED to its parent directory)"


def shared_dir() -> Path | None:
    """The shared directory, or None when it is absent."""
    override = os.environ.get("ARGONB_SHARED")
    if override is not None:
        candidates = [Path(override)] if override else []
    else:
        candidates = [parent / "shared" for parent in REPO.parents]
    return next((c for c in candidates if (c / MARKER).is_file()), None)


def argo_examples() -> Path | None:
    """`<shared>/argo-examples`, or None when it is absent."""
    root = shared_dir()
    return root / "argo-examples" if root is not None else None
