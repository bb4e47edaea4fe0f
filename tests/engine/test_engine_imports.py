"""Issue 17: the engine imports no backend, store or UI module, counting imports inside functions too (not those
under `if TYPE_CHECKING:`). `backend="argo"` is reached through the facade above the engine (argonb.facade),
so engine/api.py and backends/argo.py no longer import each other."""

from __future__ import annotations

import ast

from tests.import_graph import MODULES, _runtime_imports, imports_of

FORBIDDEN = ("argonb.backends", "argonb.store", "argonb.notebook", "argonb.cli", "argonb.facade")


def test_issue17_the_engine_imports_no_backend_store_or_ui_module():
    offending = [str(edge) for module in MODULES if module.startswith("argonb.engine")
                 for edge in imports_of(module) if edge.target.startswith(FORBIDDEN)]
    assert offending == []


def test_the_import_walk_sees_imports_inside_functions():
    tree = ast.parse("def f():\n    from argonb.backends.argo import submit\nif TYPE_CHECKING:\n    import x\n")
    found = [(n.lineno, f"{n.module}.{a.name}") for n in _runtime_imports(tree) if isinstance(n, ast.ImportFrom)
             for a in n.names]
    assert found == [(2, "argonb.backends.argo.submit")]
    assert not [n for n in _runtime_imports(tree) if isinstance(n, ast.Import)]
