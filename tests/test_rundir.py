"""One object alone knows the run directory's layout (issue 17 item 4): `argonb/rundir.py`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from argonb.rundir import RunDir, artifacts_dir, home_log_path, log_file_name

PACKAGE = Path(__file__).resolve().parents[1] / "argonb"
LAYOUT_NAMES = {"runs", "pods", "attempts", "artifacts", "containers", "root", "staging"}
LAYOUT_TEXT = re.compile(r"(^|/)(pods|attempts)/|/(pods|attempts)$|\b(main|stdout|stderr)\.log\b")


def test_the_layout_is_the_documented_one(tmp_path) -> None:
    """docs/runs.md: `<home>/runs/<run>/pods/<pod>/{main,stdout,stderr}.log`, containers/<name>/, attempts/<n>/."""
    run = RunDir.of(tmp_path, "wf-abc")
    assert run.path == tmp_path / "runs" / "wf-abc" and run.home == tmp_path and run.name == "wf-abc"
    assert run.log_file("wf-abc-1") == run.path / "pods" / "wf-abc-1" / "main.log"
    assert run.log_file("p", "stderr") == run.path / "pods" / "p" / "stderr.log"
    assert run.log_file("p", "stdout", "b") == run.path / "pods" / "p" / "containers" / "b" / "stdout.log"
    assert run.attempt_pod_dir(2, "p") == run.path / "attempts" / "2" / "pods" / "p"
    assert run.sibling("other").log_file("p") == tmp_path / "runs" / "other" / "pods" / "p" / "main.log"
    assert artifacts_dir(tmp_path) == tmp_path / "artifacts"
    assert home_log_path("wf", "p") == "runs/wf/pods/p/main.log"
    assert [log_file_name("init", s) for s in ("main", "stdout", "stderr")] == \
        ["init.log", "init.stdout.log", "init.stderr.log"]


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def _spells_the_layout(node: ast.AST, docs: set[int]) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
        return bool(LAYOUT_TEXT.search(node.value))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # path / "pods"
        return isinstance(node.right, ast.Constant) and node.right.value in LAYOUT_NAMES
    # run_dir.parent.parent: knowing that a run directory sits two levels below the home
    return (isinstance(node, ast.Attribute) and node.attr == "parent" and isinstance(node.value, ast.Attribute)
            and node.value.attr == "parent" and "run_dir" in ast.dump(node.value.value))


def test_no_module_but_rundir_spells_the_run_directory_layout() -> None:
    """Before: `runs/<name>/pods/<pod>/main.log` and its parts were spelled out in the engine (api, run, pod,
    containerset, memoized, locked, lifecycle), the backends (argo, podlogs, docker), the store and the notebook."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "rundir.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        offenders += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {ast.unparse(node)}"  # type: ignore[attr-defined]
                      for node in ast.walk(tree) if _spells_the_layout(node, docs)]
    assert not offenders, "ask argonb.rundir for these paths:\n" + "\n".join(sorted(set(offenders)))
