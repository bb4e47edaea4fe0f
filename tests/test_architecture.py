"""The import rules of docs/architecture.md (issue 17, "Done when"), checked on every import argonb makes.

Every `import`/`from ... import` is counted, also inside functions, except those under `if TYPE_CHECKING:`
(they never run). The rules: no import circle crosses a package, none lies inside `engine/`, and the engine
imports no backend, store or user-interface module (`backends/`, `store/`, `cli/`, `notebook/`, `render/`).
A failure lists every offending edge and circle with the file and line of each import.
"""

from __future__ import annotations

import ast

from tests.import_graph import (
    _describe,
    _resolve,
    _runtime_imports,
    import_graph,
    package_of,
    strongly_connected,
)

ENGINE = "argonb.engine"
NOT_FOR_THE_ENGINE = ("argonb.backends", "argonb.store", "argonb.cli", "argonb.notebook", "argonb.render")
NO_CIRCLES_INSIDE = (ENGINE,)


def architecture_problems() -> list[str]:
    graph = import_graph()
    problems = [f"the engine imports {e.target.split('.')[1]}/: {e}" for edges in graph.values() for e in edges
                if e.source.startswith(ENGINE + ".") or e.source == ENGINE
                if e.target.startswith(NOT_FOR_THE_ENGINE)]
    for group in strongly_connected(graph):
        packages = sorted({package_of(m) for m in group})
        if len(packages) > 1:
            problems.append(f"crosses packages {', '.join(packages)}: " + _describe(graph, group))
        elif packages[0] in NO_CIRCLES_INSIDE:
            problems.append(f"inside {packages[0]}: " + _describe(graph, group))
    return problems


def test_the_checker_sees_imports_inside_functions_and_skips_type_checking(tmp_path) -> None:
    """The counting rules themselves, on a made-up module: a function's import counts, TYPE_CHECKING's does not."""
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import argonb.store\n"
                     "def f():\n    from argonb.backends import local\n")
    names = [a.name if isinstance(n, ast.Import) else f"{n.module}.{a.name}"
             for n in _runtime_imports(tree) for a in n.names]
    assert sorted(names) == ["argonb.backends.local", "typing.TYPE_CHECKING"]
    assert _resolve("argonb.backends.local.LocalBackend") == "argonb.backends.local"


def test_imports_follow_the_architecture() -> None:
    problems = architecture_problems()
    assert not problems, "import rules broken (docs/architecture.md):\n" + "\n".join(problems)


if __name__ == "__main__":  # `python -m tests.test_architecture`: print what is left
    print("\n".join(architecture_problems()) or "no problems")
