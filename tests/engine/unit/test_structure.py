"""The shape of argonb/engine (issue 17): no import circle inside it, one module per template type, the
template types written once, one evaluation of `when` for steps and DAG."""

from __future__ import annotations

import ast

from tests.engine.unit.imports import ROOT, circles, import_graph


def test_no_import_circle_inside_engine_counting_every_import():
    """Every import counts, also inside functions; only `if TYPE_CHECKING:` ones are left out."""
    assert circles(import_graph("argonb.engine")) == []


def test_artifact_errors_live_apart_from_repository_podfs_and_archiver():
    graph = import_graph("argonb.engine")
    for module in ("argonb.engine.podfs", "argonb.engine.outarchive"):
        assert "argonb.engine.artifacts" not in graph[module]
        assert "argonb.engine.artifact_errors" in graph[module]


def test_executors_import_their_base_not_the_dispatcher():
    graph = import_graph("argonb.engine")
    executors = {"argonb.engine.pod", "argonb.engine.steps", "argonb.engine.dag", "argonb.engine.suspend",
                 "argonb.engine.httpcall", "argonb.engine.retry", "argonb.engine.locked"}
    for module in executors:
        assert "argonb.engine.executor" in graph[module], module
        assert "argonb.engine.execute" not in graph[module], module


def test_one_executor_module_per_template_type():
    from argonb.engine.execute import EXECUTORS, UNSUPPORTED
    from argonb.spec.template_view import TEMPLATE_TYPES

    assert set(EXECUTORS) | set(UNSUPPORTED) == set(TEMPLATE_TYPES)
    assert EXECUTORS["suspend"].__module__ != EXECUTORS["http"].__module__  # no grab-bag module
    assert not (ROOT / "argonb" / "engine" / "misc.py").exists()


def _type_lists(path: str) -> list[int]:
    """Lines where `path` spells out a list of template types (a literal naming steps, dag, suspend...)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    kinds = {"container", "steps", "dag", "suspend", "http"}
    return [node.lineno for node in ast.walk(tree) if isinstance(node, (ast.Tuple, ast.List, ast.Set))
            and kinds <= {e.value for e in node.elts if isinstance(e, ast.Constant)}]


def test_template_types_are_written_once():
    """spec's lint, the engine and parity all read the one list (spec/template_view.py)."""
    from argonb.spec import catalog, template_view

    assert catalog.TYPE_KEYS is template_view.TEMPLATE_TYPES
    sources = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "argonb").rglob("*.py"))]
    spelled = {path: lines for path in sources if (lines := _type_lists(path))}
    assert list(spelled) == ["argonb/spec/template_view.py"]


def test_steps_and_dag_share_one_when_and_last_attempt():
    graph = import_graph("argonb.engine")
    for module in ("argonb.engine.steps", "argonb.engine.dag"):
        assert "argonb.engine.conditions" in graph[module], module
        text = (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        assert "evaluate_when" not in text, module  # `when` is evaluated in engine/conditions.py only
        assert "_last_attempt" not in text, module
    assert "argonb.engine.steps" not in graph["argonb.engine.dag"]


def test_the_dispatcher_protocol_matches_the_engine():
    """Executors type their engine as `executor.Dispatcher`: `execute.Engine` must offer each of its methods
    with the same parameters (so no executor needs to import the dispatcher, even for type checking)."""
    import inspect

    from argonb.engine.execute import Engine
    from argonb.engine.executor import Dispatcher

    for name in ("execute", "dispatch", "fulfilled_node", "error_node"):
        declared = inspect.signature(getattr(Dispatcher, name)).parameters
        actual = inspect.signature(getattr(Engine, name)).parameters
        assert list(declared) == list(actual), name
        assert [p.default for p in declared.values()] == [p.default for p in actual.values()], name
    graph = import_graph("argonb.engine")
    users = [m for m, deps in graph.items() if "argonb.engine.execute" in deps]
    assert "argonb.engine.lifecycle" in users  # it builds the Engine; the edge (api.py, run.py) may too
    assert set(users) <= {"argonb.engine.lifecycle", "argonb.engine.api", "argonb.engine.run"}
