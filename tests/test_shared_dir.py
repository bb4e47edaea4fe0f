"""Tests find `../shared` one way (issue 17 item 5): `tests/shared.py`, with `ARGONB_SHARED` as the one override."""

from __future__ import annotations

import ast
from pathlib import Path

from tests import shared

TESTS = Path(__file__).resolve().parent


def _corpus(root: Path) -> Path:
    (root / "argo-examples").mkdir(parents=True)
    (root / "argo-examples" / "CATALOG.tsv").write_text("file\tlocal\texpected\tnote\n")
    return root


def test_override_names_the_shared_directory(tmp_path, monkeypatch) -> None:
    root = _corpus(tmp_path / "elsewhere")
    monkeypatch.setenv("ARGONB_SHARED", str(root))
    assert shared.shared_dir() == root
    assert shared.argo_examples() == root / "argo-examples"


def test_an_override_without_the_corpus_means_absent(tmp_path, monkeypatch) -> None:
    """Set to a directory without the corpus, nothing else is tried: the tests that need it skip cleanly."""
    monkeypatch.setenv("ARGONB_SHARED", str(tmp_path))
    assert shared.shared_dir() is None and shared.argo_examples() is None


def test_found_beside_the_repository_or_a_parent(tmp_path, monkeypatch) -> None:
    """A worktree at <project>/wt/<name> finds <project>/shared, as the main checkout does."""
    root = _corpus(tmp_path / "shared")
    monkeypatch.delenv("ARGONB_SHARED", raising=False)
    monkeypatch.setattr(shared, "REPO", tmp_path / "wt" / "branch")
    assert shared.shared_dir() == root


def test_no_test_module_finds_shared_on_its_own() -> None:
    """Every test reading ../shared goes through tests/shared.py: no other module builds a path to it."""
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name in ("shared.py", Path(__file__).name):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _finds_shared(node):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}: {ast.unparse(node)}")
    assert not offenders, "find ../shared through tests.shared instead:\n" + "\n".join(offenders)


def _finds_shared(node: ast.AST) -> bool:
    """`ARGONB_SHARED`, `/work/shared`, or `<something>.parent(s)... / "shared"` (climbing out of the repository)."""
    if isinstance(node, ast.Constant):
        return node.value in ("ARGONB_SHARED", "/work/shared")
    return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.right, ast.Constant)
            and node.right.value == "shared" and "parent" in ast.dump(node.left))
