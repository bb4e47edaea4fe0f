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


MAX_DEPTH_MESSAGE = ("Maximum recursion depth exceeded. See "
                     "https://argo-workflows.readthedocs.io/en/release-4.1/scaling/#maximum-recursion-depth")


def run_bounded(text: str, timeout: float = 60) -> Any:
    """Run to completion within `timeout`, stopping (and failing) a run that goes on past it."""
    handle = argonb.run(textwrap.dedent(text))
    handle.wait(timeout)
    if not handle.done:
        handle.stop()
        handle.wait(30)
        raise AssertionError(f"run did not finish within {timeout}s: {len(handle.nodes)} nodes so far")
    return handle


def errored(handle: Any) -> list[dict[str, Any]]:
    """The nodes in Error that are leaves of the failure (not containers of an errored child)."""
    return [n for n in handle.nodes.values() if n["phase"] == "Error" and n["type"] not in ("DAG", "Steps")]


def by_display(handle: Any) -> dict[str, dict[str, Any]]:
    return {n["displayName"]: n for n in handle.nodes.values()}


def by_name(handle: Any) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in handle.nodes.values()}


def nested_templates(levels: int, kind: str = "steps") -> str:
    """A workflow of `levels` nested template calls (t1 calls t2 ... calls t<levels>, a pod), through `kind`
    (steps or dag): the last call is at Argo's stack depth `levels`."""
    lines = ["apiVersion: argoproj.io/v1alpha1", "kind: Workflow", "metadata: {name: deep}", "spec:",
             "  entrypoint: t1", "  templates:"]
    for i in range(1, levels):
        call = f"{{name: s, template: t{i + 1}}}"
        body = f"steps: [[{call}]]" if kind == "steps" else f"dag: {{tasks: [{call}]}}"
        lines.append(f"  - name: t{i}\n    {body}")
    lines.append(f"  - name: t{levels}\n    container: {{image: alpine, command: [echo, leaf]}}")
    return "\n".join(lines) + "\n"


def endless_recursion(kind: str = "steps", pod: bool = False) -> str:
    """A template that calls itself with no base case (after running a pod first, with `pod`)."""
    if kind == "steps":
        groups = "    - - {name: work, template: pod}\n" if pod else ""
        body = f"    steps:\n{groups}    - - {{name: again, template: loop}}\n"
    else:
        work = "      - {name: work, template: pod}\n" if pod else ""
        after = ", depends: work" if pod else ""
        body = f"    dag:\n      tasks:\n{work}      - {{name: again, template: loop{after}}}\n"
    return ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: endless}\nspec:\n"
            "  entrypoint: loop\n  templates:\n  - name: loop\n" + body +
            "  - name: pod\n    container: {image: alpine, command: [echo, level]}\n")
