"""Issue 17: the engine imports no backend, store or UI module, counting imports inside functions too (not those
under `if TYPE_CHECKING:`). `backend="argo"` is reached through the facade above the engine (argonb.facade),
so engine/api.py and backends/argo.py no longer import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import argonb.engine

ENGINE = Path(argonb.engine.__file__).parent
FORBIDDEN = ("argonb.backends", "argonb.store", "argonb.notebook", "argonb.cli", "argonb.facade")


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import in `tree`, at any depth, skipping `if TYPE_CHECKING:` blocks."""
    found: list[tuple[int, str]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        stack.extend(ast.iter_child_nodes(node))
    return found


def test_issue17_the_engine_imports_no_backend_store_or_ui_module():
    offending = []
    for path in sorted(ENGINE.glob("*.py")):
        for line, module in imported_modules(ast.parse(path.read_text(), str(path))):
            if module.startswith(FORBIDDEN):
                offending.append(f"{path.name}:{line}: {module}")
    assert offending == []


def test_the_import_walk_sees_imports_inside_functions():
    tree = ast.parse("def f():\n    from argonb.backends.argo import submit\nif TYPE_CHECKING:\n    import x\n")
    assert imported_modules(tree) == [(2, "argonb.backends.argo"), (2, "argonb.backends.argo.submit")]
