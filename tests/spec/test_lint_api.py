"""The lint API: sources of every kind, context-only extra sources, load_and_validate, and a few more rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from argonb.errors import InvalidWorkflow, Severity
from argonb.spec.lint import lint, lint_documents, lint_sources, load_and_validate
from argonb.spec.source import Source, parse
from tests.spec.lint_helpers import lint_yaml, only, where

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN_LIB = "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: x}\nspec: {entrypoint: nope}\n"


def test_accepts_text_path_and_source() -> None:
    text = (FIXTURES / "hello-world.yaml").read_text()
    assert lint(text) == lint(FIXTURES / "hello-world.yaml") == lint(Source(text, "h.yaml")) == []


def test_unreadable_path_is_a_diagnostic(tmp_path: Path) -> None:
    d = only(lint(tmp_path / "missing.yaml"), "ARG000")
    assert d.severity is Severity.ERROR and where(d) == (1, 1)


def test_extra_sources_are_context_only() -> None:
    diags = lint(FIXTURES / "workflow-template__steps.yaml", extra_sources=[FIXTURES / "templates.yaml", BROKEN_LIB])
    assert [d.code for d in diags] == ["ARG134"]  # a deserved warning: the argument is not an input
    assert any(d.code == "ARG100" for d in lint_sources([FIXTURES / "workflow-template__steps.yaml", BROKEN_LIB]))


def test_lint_documents_sorted() -> None:
    docs = parse(Source(BROKEN_LIB + "---\n" + BROKEN_LIB.replace("name: x", "name: y"), "two.yaml"))
    diags = lint_documents(docs)
    assert [d.span.line for d in diags] == sorted(d.span.line for d in diags) and len(diags) == 2


def test_load_and_validate() -> None:
    docs = load_and_validate([FIXTURES / "workflow-template__steps.yaml", FIXTURES / "templates.yaml"])
    assert [d.kind for d in docs][0] == "Workflow"
    with pytest.raises(InvalidWorkflow) as info:
        load_and_validate(BROKEN_LIB)
    assert [d.code for d in info.value.diagnostics] == ["ARG100"]
    with pytest.raises(InvalidWorkflow) as info:
        load_and_validate("kind: [")
    assert info.value.diagnostics[0].code == "YAML001"


HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: t-}\nspec:\n"


def test_lifecycle_hooks_need_an_expression() -> None:
    """validateHooks: every hook but exit needs an expression (ARGO-SEMANTICS.md §8)."""
    d = only(lint_yaml(HEAD + """\
  entrypoint: main
  hooks:
    running: {template: main}
    exit: {template: main}
  templates:
  - name: main
    container: {image: busybox}
"""), "ARG152")
    assert where(d) == (7, 5)


def test_workflow_parameter_without_value_warns() -> None:
    """Lint allows empty spec.arguments values (validate.go allowEmptyValues), but the run needs -p."""
    d = only(lint_yaml(HEAD + """\
  entrypoint: main
  arguments: {parameters: [{name: message}]}
  templates:
  - name: main
    inputs: {parameters: [{name: message}]}
    container: {image: busybox}
"""), "ARG133")
    assert d.severity is Severity.WARNING and where(d) == (5, 15)


def test_cron_workflow_rules() -> None:
    """validate.go CronWorkflow(): schedules, concurrencyPolicy; arguments need values when submitted."""
    diags = lint_yaml("""\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: c}
spec:
  schedules: ["* * * *"]
  concurrencyPolicy: Forbidden
  workflowSpec:
    entrypoint: main
    arguments: {parameters: [{name: p}]}
    templates:
    - name: main
      container: {image: busybox}
""")
    codes = sorted((d.code, where(d)) for d in diags)
    assert codes == [("ARG131", (9, 30)), ("ARG160", (5, 15)), ("ARG160", (6, 22))]


def test_workflow_template_ref_needs_no_templates() -> None:
    d = only(lint_yaml(HEAD + """\
  workflowTemplateRef: {name: lib}
  templates:
  - name: main
    container: {image: busybox}
"""), "ARG153")
    assert where(d) == (6, 3)


@pytest.mark.parametrize("enabled", [True, False])
def test_lint_leaves_the_garbage_collector_as_it_was(enabled: bool) -> None:
    """Lint pauses the cyclic collector while it works (argonb.spec.gcpause) and restores the caller's setting."""
    import gc

    (gc.enable if enabled else gc.disable)()
    try:
        assert lint(FIXTURES / "hello-world.yaml") == []
        assert lint_yaml(BROKEN_LIB)  # also through the error paths
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
