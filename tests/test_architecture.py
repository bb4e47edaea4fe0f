"""The import rules of docs/architecture.md (issue 17, "Done when"), checked on every import argonb makes.

Every `import`/`from ... import` is counted, also inside functions, except those under `if TYPE_CHECKING:`
(they never run). The rules: no import circle crosses a package, none lies inside `engine/`, and the engine
imports no backend, store or user-interface module (`backends/`, `store/`, `cli/`, `notebook/`, `render/`).
A failure lists every offending edge and circle with the file and line of each import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "argonb"
ENGINE = "argonb.engine"
NOT_FOR_THE_ENGINE = ("argonb.backends", "argonb.store", "argonb.cli", "argonb.notebook", "argonb.render")
NO_CIRCLES_INSIDE = (ENGINE,)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # file:line of the import

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}  ({self.where})"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def package_of(module: str) -> str:
    """`argonb.engine.pod` -> `argonb.engine`; a top-level module (`argonb.errors`) is a package of its own."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _resolve(name: str) -> str | None:
    """The argonb module that `name` (a module, or a name inside one) is found in."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: all of them but those in the body of `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imports_of(module: str) -> list[Edge]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    edges = []
    for node in _runtime_imports(tree):
        where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            resolved = _resolve(target) if target.startswith("argonb") else None
            if resolved is not None and resolved != module:
                edges.append(Edge(module, resolved, where))
    return list(dict.fromkeys(edges))  # `from m import a, b` is one edge


def import_graph() -> dict[str, list[Edge]]:
    return {module: imports_of(module) for module in MODULES}


def strongly_connected(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the groups of modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            advanced = False
            for edge in edges:
                target = edge.target
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def _one_circle(graph: dict[str, list[Edge]], group: list[str]) -> list[Edge]:
    """A shortest circle through the group's first module, as the import edges that make it."""
    members = set(group)
    start = group[0]
    paths: dict[str, list[Edge]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph[node]:
                if edge.target == start:
                    return [*paths[node], edge]
                if edge.target in members and edge.target not in paths:
                    paths[edge.target] = [*paths[node], edge]
                    following.append(edge.target)
        frontier = following
    return []


def _describe(graph: dict[str, list[Edge]], group: list[str]) -> str:
    members = set(group)
    inner = [str(e) for m in group for e in graph[m] if e.target in members]
    circle = " -> ".join([e.source for e in _one_circle(graph, group)] + [group[0]])
    return (f"circle of {len(group)} modules: {', '.join(group)}\n    e.g. {circle}\n    edges:\n      "
            + "\n      ".join(inner))


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
