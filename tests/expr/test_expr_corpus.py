"""Every expression and `when` in the Argo example corpus parses (ARGO-SEMANTICS §4.1, §4.3, §4.4, §3.1).

The corpus lives outside the project (../shared/argo-examples); without it these tests skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argonb.expr import check_when_syntax, compile_expr, find_tags, referenced_variables
from tests.shared import SKIP_REASON, argo_examples

CORPUS = argo_examples() or Path("/nonexistent/argo-examples")  # absent: the corpus tests skip
EXPRESSION_KEYS = {"expression", "fromExpression"}


def _documents() -> Iterator[tuple[str, Any]]:
    for path in sorted(CORPUS.rglob("*.yaml")):
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError:
            continue
        for doc in docs:
            yield path.relative_to(CORPUS).as_posix(), doc


def _walk(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)
    elif isinstance(node, str):
        yield key, node


def _collect() -> tuple[list[Any], list[Any], list[Any]]:
    exprs: dict[tuple[str, str], None] = {}
    whens: dict[tuple[str, str], None] = {}
    depends: dict[tuple[str, str], None] = {}
    if not CORPUS.is_dir():
        return [], [], []
    for name, doc in _documents():
        for key, text in _walk(doc):
            for tag in find_tags(text):
                if tag.kind == "expression":
                    exprs[(name, tag.expression)] = None
            if key in EXPRESSION_KEYS:
                exprs[(name, text)] = None
            elif key == "when":
                whens[(name, text)] = None
            elif key == "depends":
                depends[(name, text)] = None
    return [pytest.param(*k, id=f"{k[0]}:{k[1][:40]}") for k in exprs], \
        [pytest.param(*k, id=f"{k[0]}:{k[1][:40]}") for k in whens], \
        [pytest.param(*k, id=f"{k[0]}:{k[1][:40]}") for k in depends]


EXPRS, WHENS, DEPENDS = _collect()
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=SKIP_REASON)
# placeholders used in documentation text, not real expressions
DOC_PLACEHOLDERS = {"...", "jsonpath(...)"}


@needs_corpus
def test_corpus_found_expressions_s4_4() -> None:
    assert len(EXPRS) > 20 and len(WHENS) > 20


@needs_corpus
@pytest.mark.parametrize(("name", "source"), EXPRS or [pytest.param("", "", marks=pytest.mark.skip)])
def test_corpus_expression_parses_s4_4(name: str, source: str) -> None:
    if source.strip() in DOC_PLACEHOLDERS:
        pytest.skip("documentation placeholder")
    source = _render_placeholders(source, simple="true")  # retryStrategy.expression may embed {{...}}
    compile_expr(source)
    referenced_variables(source)


def _render_placeholders(text: str, simple: str = "placeholder") -> str:
    out, pos = [], 0
    for tag in find_tags(text):
        out.append(text[pos:tag.start])
        out.append("true" if tag.kind == "expression" else simple)
        pos = tag.end
    out.append(text[pos:])
    return "".join(out)


@needs_corpus
@pytest.mark.parametrize(("name", "text"), WHENS or [pytest.param("", "", marks=pytest.mark.skip)])
def test_corpus_when_parses_with_govaluate_s4_3(name: str, text: str) -> None:
    check_when_syntax(_render_placeholders(text))


@needs_corpus
@pytest.mark.parametrize(("name", "text"), DEPENDS or [pytest.param("", "", marks=pytest.mark.skip)])
def test_corpus_depends_parses_as_expr_s3_1(name: str, text: str) -> None:
    """`depends` is evaluated by expr-lang after replacing `-` with `_` (§3.1)."""
    compile_expr(text.replace("-", "_"))
