"""Declared contracts (issue 17 item 4): `Run` and `ArgoRun` implement `argonb.handle.RunHandle`; the local
backend implements `Backend.start()`, docker says it has none."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import pytest

from argonb.backends.argo import ArgoRun
from argonb.backends.docker import DockerBackend
from argonb.backends.local import LocalBackend
from argonb.engine.backend import Backend, get_backend
from argonb.engine.run import Run
from argonb.handle import RunHandle

HANDLES = [Run, ArgoRun]


def _protocol_members(proto: type) -> dict[str, Any]:
    members = {name: value for name, value in vars(proto).items()
               if not name.startswith("_") and (callable(value) or isinstance(value, property))}
    members.update({name: "attribute" for name in proto.__annotations__})
    return members


def _instance_attributes(cls: type) -> set[str]:
    """Names `__init__` assigns to `self` (annotated or not)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls.__init__)))  # type: ignore[misc]
    return {t.attr for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}


def _compatible(wanted: inspect.Signature, got: inspect.Signature) -> str:
    """'' when a method with signature `got` can be called every way `wanted` allows, else why not."""
    params = list(got.parameters.values())
    for want in wanted.parameters.values():
        have = got.parameters.get(want.name)
        if have is None:
            return f"has no parameter {want.name!r}"
        if have.kind != want.kind:
            return f"parameter {want.name!r} is {have.kind.description}, not {want.kind.description}"
        if want.default is not inspect.Parameter.empty and have.default is inspect.Parameter.empty:
            return f"parameter {want.name!r} has no default"
    extra = [p.name for p in params if p.name not in wanted.parameters and p.default is inspect.Parameter.empty
             and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return f"needs parameters the protocol does not pass: {extra}" if extra else ""


@pytest.mark.parametrize("cls", HANDLES, ids=lambda c: c.__name__)
def test_every_run_handle_implements_the_protocol(cls: type) -> None:
    problems = []
    attributes = _instance_attributes(cls)
    for name, member in _protocol_members(RunHandle).items():
        have = inspect.getattr_static(cls, name, None)
        if member == "attribute":
            if have is None and name not in attributes:
                problems.append(f"{name}: missing (neither a class member nor set in __init__)")
        elif isinstance(member, property):
            if not isinstance(have, property):
                problems.append(f"{name}: should be a property, is {type(have).__name__}")
        elif not callable(have) or isinstance(have, property):
            problems.append(f"{name}: should be a method, is {type(have).__name__}")
        else:
            why = _compatible(inspect.signature(member), inspect.signature(have))
            if why:
                problems.append(f"{name}{inspect.signature(have)}: {why}")
    assert not problems, f"{cls.__name__} does not implement RunHandle:\n" + "\n".join(problems)


def test_an_argo_runs_log_path_takes_a_stream_as_a_local_runs_does(tmp_path) -> None:
    """The notebook's log pane asks `run.log_path(node, "stderr")` to mark stderr lines (notebook/logfiles.py).
    Before: ArgoRun.log_path took no stream, so showing a saved log of an Argo run raised TypeError. Only the
    combined log is saved for an Argo run (the server's log API merges the streams): no stderr file."""
    from argonb.notebook.logfiles import disk_log

    run = ArgoRun.__new__(ArgoRun)  # no server needed: only the paths are asked for
    run.run_dir = tmp_path / "runs" / "wf"
    node = {"id": "wf-1", "type": "Pod", "podName": "wf-say-1"}
    log = run.run_dir / "pods" / "wf-say-1" / "main.log"
    log.parent.mkdir(parents=True)
    log.write_text("one\ntwo\n")
    assert run.log_path(node) == log and run.log_path(node, "stderr") is None
    assert disk_log(run, node, 10) == ([("stdout", "one"), ("stdout", "two")], 2)


def test_the_local_backend_has_the_unthreaded_start_and_docker_says_it_has_none() -> None:
    """`Backend.start` is declared: a method on the local backend (its supervisor), None on docker."""
    assert "start" in Backend.__annotations__
    assert callable(inspect.getattr_static(LocalBackend, "start"))
    assert list(inspect.signature(LocalBackend.start).parameters) == ["self", "request", "on_log", "cancel",
                                                                        "on_exit"]
    assert inspect.getattr_static(DockerBackend, "start") is None


def test_an_unknown_backend_names_argo_among_the_choices() -> None:
    """Before: `available: docker, local`, though `backend="argo"` is accepted too."""
    from argonb.engine.backend import BackendUnavailable

    with pytest.raises(BackendUnavailable, match=r"unknown backend 'nope'; available: argo, docker, local"):
        get_backend("nope")
