"""Helpers for engine tests: run YAML text to completion and look nodes up by display name."""

from __future__ import annotations

import textwrap
from typing import Any

import argonb


def run_yaml(text: str, parameters: dict[str, str] | None = None, timeout: float = 60, **options: Any):
    handle = argonb.run(textwrap.dedent(text), parameters=parameters, **options)
    handle.wait(timeout)
    assert handle.done, f"run did not finish within {timeout}s: {handle.phase}"
    return handle


def by_display(handle: Any) -> dict[str, dict[str, Any]]:
    return {n["displayName"]: n for n in handle.nodes.values()}


def by_name(handle: Any) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in handle.nodes.values()}
