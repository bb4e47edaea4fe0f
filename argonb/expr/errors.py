"""Error types raised by argonb's expression engines.

`ExprError` covers expr-lang (`{{=...}}`, `depends`, hook / retry expressions) failures,
`WhenError` covers govaluate `when` failures. Both are `ValueError`s so callers can catch either
family with one clause.
"""

from __future__ import annotations

__all__ = ["ExprError", "WhenError"]


class ExprError(ValueError):
    """An expr-lang expression failed to parse, type-check or run."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WhenError(ValueError):
    """A step/task `when` expression could not be parsed or evaluated (Argo marks the node Error)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
