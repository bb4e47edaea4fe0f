"""Argo's expression languages and `{{...}}` templating, re-implemented in pure Python.

* `evaluate(source, env)`: expr-lang v1.17 (`{{=...}}`, `depends`, hooks, retry expressions).
* `evaluate_when(text)`: govaluate `when` semantics (bare words are strings).
* `replace` / `substitute` / `find_tags` / `expand_env`: the `{{...}}` tag engine.
* `get_func_map(flat)`: Argo's expression environment (expanded variables + helpers).
"""

from __future__ import annotations

from argonb.expr.argoenv import ABSENT, get_func_map
from argonb.expr.errors import ExprError, WhenError
from argonb.expr.exprlang import Program, compile_expr, evaluate, referenced_variables
from argonb.expr.govaluate import check_when_syntax, evaluate_when
from argonb.expr.template import (
    AbsentValueError,
    Tag,
    TemplateError,
    expand_env,
    find_tags,
    is_missing_variable_error,
    replace,
    substitute,
)

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
