"""argonb's import graph, read from its source: every `import`/`from ... import` counts, also inside functions,
except those under `if TYPE_CHECKING:` (they never run). Shared by the import-rule tests (tests/test_architecture.py,
tests/engine/unit/test_structure.py, tests/engine/test_engine_imports.py), so all count imports the same way.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "argonb"


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


def package_graph(package: str) -> dict[str, set[str]]:
    """module -> the modules of `package` it imports (`package`'s own __init__ left out)."""
    inside = [m for m in MODULES if m.startswith(package + ".")]
    return {m: {e.target for e in imports_of(m) if e.target.startswith(package + ".")} for m in inside}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The circles (strongly connected groups of more than one module) of a plain module graph, each sorted."""
    edges = {m: [Edge(m, t, "") for t in sorted(targets) if t in graph] for m, targets in graph.items()}
    return sorted(strongly_connected(edges))
