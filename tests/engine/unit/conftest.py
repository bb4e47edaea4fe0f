"""Unit tests of the executors run the engine inline (engine/inline.py): no threads, no processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from argonb.engine.inline import InlineRun


@pytest.fixture
def inline(tmp_path) -> Callable[..., Any]:
    from argonb.engine.inline import InlineRun, ScriptedBackend  # here: each test fails on its own without it

    def make(workflow: dict[str, Any], results: dict[str, Any] | None = None, **options: Any) -> InlineRun:
        return InlineRun(workflow, tmp_path / "home", ScriptedBackend(results), **options)

    return make


def workflow(*templates: dict[str, Any], entrypoint: str = "main", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "unit"},
            "spec": {"entrypoint": entrypoint, "templates": list(templates), **spec}}


def pod(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "container": {"image": "alpine", "command": ["true"]}, **extra}
