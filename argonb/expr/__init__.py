"""Argo's expression languages and `{{...}}` templating, re-implemented in pure Python.

* `evaluate(source, env)`: expr-lang v1.17 (`{{=...}}`, `depends`, hooks, retry expressions).
* `evaluate_when(text)`: govaluate `when` semantics (bare words are strings).
* `replace` / `substitute` / `find_tags` / `expand_env`: the `{{...}}` tag engine.
* `get_func_map(flat)`: Argo's expression environment (expanded variables + helpers).
"""

from __future__ import annotations

import importlib
from typing import Any

# Submodules are imported on first use (PEP 562): the expression languages cost ~50 ms to import and most
# workflows never use `{{=...}}` or `when`; `from argonb.expr import evaluate` works as before.
_HOMES = {
    "ABSENT": "argoenv", "get_func_map": "argoenv",
    "ExprError": "errors", "WhenError": "errors",
    "Program": "exprlang", "compile_expr": "exprlang", "evaluate": "exprlang", "referenced_variables": "exprlang",
    "check_when_syntax": "govaluate", "evaluate_when": "govaluate",
    "AbsentValueError": "template", "Tag": "template", "TemplateError": "template", "expand_env": "template",
    "find_tags": "template", "is_missing_variable_error": "template", "replace": "template",
    "substitute": "template",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'argonb.expr' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"argonb.expr.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ABSENT",
    "AbsentValueError",
    "ExprError",
    "Program",
    "Tag",
    "TemplateError",
    "WhenError",
    "check_when_syntax",
    "compile_expr",
    "evaluate",
    "evaluate_when",
    "expand_env",
    "find_tags",
    "get_func_map",
    "is_missing_variable_error",
    "referenced_variables",
    "replace",
    "substitute",
]
