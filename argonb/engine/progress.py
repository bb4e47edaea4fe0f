"""Argo's workflow `progress` (N/M): part of the Workflow's status, so the engine owns the rule
(`workflow/progress/updater.go UpdateProgress`); the run views (`argonb.render.summary`) and the store use it.
Imports: stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# progress.go `executable`: node types whose progress Argo sets itself (the others sum their children).
EXECUTABLE_TYPES = ("Pod", "HTTP", "Plugin", "Container", "Suspend")
# progress.go: these phases set a node's progress to complete.
COMPLETE_PHASES = ("Succeeded", "Skipped", "Omitted")


def progress(nodes: Mapping[str, dict[str, Any]]) -> tuple[int, int]:
    """Argo's workflow `progress` (N/M) from `status.nodes` (progress.go `UpdateProgress`): every executable
    node (attempts included) adds 0/1, or 1/1 once Succeeded, Skipped or Omitted."""
    executable = [n for n in nodes.values() if n.get("type") in EXECUTABLE_TYPES]
    return sum(1 for n in executable if n.get("phase") in COMPLETE_PHASES), len(executable)
