"""Helpers for the spec tests: lint YAML text and pick diagnostics by code."""

from __future__ import annotations

import textwrap

from argonb.errors import Diagnostic
from argonb.spec.lint import lint


def lint_yaml(text: str, *extra: str) -> list[Diagnostic]:
    return lint(textwrap.dedent(text).lstrip("\n"), extra_sources=[textwrap.dedent(e) for e in extra], name="wf.yaml")


def only(diags: list[Diagnostic], code: str) -> Diagnostic:
    """The single diagnostic with `code` (fails listing everything otherwise)."""
    found = [d for d in diags if d.code == code]
    assert len(found) == 1, "\n".join(d.format() for d in diags)
    return found[0]


def where(diag: Diagnostic) -> tuple[int, int]:
    assert diag.span is not None
    return diag.span.line, diag.span.col
