"""argonb: run Argo Workflows locally, in notebooks and from the CLI, with Argo's semantics.

Public API only (re-exports, no logic). Heavy modules load lazily so `import argonb` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from argonb.engine.run import Run


def run(source: Any, parameters: dict[str, str] | None = None, **options: Any) -> Run:
    """Start a workflow run, locally or on an Argo Server; see `argonb.facade.run` for the options."""
    from argonb.facade import run as _run

    return _run(source, parameters=parameters, **options)


def lint(source: Any, **options: Any) -> list:
    """Validate Argo YAML (text, or the path of an existing .yaml/.yml/.json file, as `run` accepts);
    returns the list of `Diagnostic`s (empty when clean)."""
    from pathlib import Path

    from argonb.spec.lint import lint as _lint

    if isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml", ".json")) \
            and Path(source).is_file():
        source = Path(source)
    return _lint(source, **options)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext argonb` registers the `%%workflow` / `%workflow` magics."""
    from argonb.notebook import load_ipython_extension as _load

    _load(ipython)
