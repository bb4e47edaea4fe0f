"""One bad input per lint rule, pinning code, line and column (and the message where it matters).

Rule sources: ARGO-SEMANTICS.md sections and the validate.go functions named in each docstring.
"""

from __future__ import annotations

from argonb.errors import Severity
from tests.spec.lint_helpers import lint_yaml, only, where

HEAD = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: t-
spec:
"""


def wf(body: str) -> str:
    return HEAD + body


# --- structure (schema from hera's models) -----------------------------------------------------------------


def test_unknown_key_with_did_you_mean() -> None:
    """Strict key walk beside hera's models (ARGO-SEMANTICS.md §16): `dependancies` -> `dependencies`."""
    diags = lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - name: a
        template: main
      - name: b
        dependancies: [a]
        template: main
"""))
    d = only(diags, "ARG001")
    assert where(d) == (14, 9)
    assert d.message == "unknown field 'dependancies' in spec.templates[0].dag.tasks[1]"
    assert d.hint == "did you mean 'dependencies'?"


def test_wrong_type_uses_go_json_rules() -> None:
    """Go's encoding/json does not turn the string "2" into an integer (spec.parallelism is int64)."""
    d = only(lint_yaml(wf('  entrypoint: main\n  parallelism: "2"\n  templates:\n  - name: main\n    suspend: {}\n')),
             "ARG002")
    assert where(d) == (7, 16)
    assert d.message == 'spec.parallelism: expected an integer, got string "2"'


def test_parameter_value_accepts_numbers_like_anystring() -> None:
    """wfv1.AnyString: parameter values may be YAML numbers/booleans (hera's str type is too strict)."""
    diags = lint_yaml(wf("""\
  entrypoint: main
  arguments:
    parameters: [{name: n, value: 3}, {name: b, value: true}]
  templates:
  - name: main
    inputs:
      parameters: [{name: n}, {name: b, default: 1.5}]
    suspend: {}
"""))
    assert diags == []


def test_missing_required_field() -> None:
    """Parameter.name is required in Argo's schema."""
    d = only(lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    inputs:
      parameters:
      - value: x
    suspend: {}
""")), "ARG003")
    assert where(d) == (11, 9)
    assert "missing required field 'name'" in d.message


def test_yaml_syntax_error_has_its_line() -> None:
    d = only(lint_yaml(wf("  entrypoint: main\n  templates: [\n")), "YAML001")
    assert d.span is not None and d.span.line == 8


def test_supplement_fields_newer_than_hera_are_known() -> None:
    """podResources, resourceClaims, executorPlugins, pendingTimeout (Argo v4.1) and free-form plugin bodies."""
    diags = lint_yaml(wf("""\
  entrypoint: main
  podResources: {limits: {cpu: "1"}}
  resourceClaims: [{name: gpu, resourceClaimTemplateName: gpu-tmpl}]
  executorPlugins:
  - metadata: {name: p}
    spec: {sidecar: {container: {name: p, image: busybox}}}
  templates:
  - name: main
    podResources: {requests: {memory: 1Gi}}
    resourceClaims: [{name: gpu}]
    pendingTimeout: 1m
    container: {image: busybox}
  - name: plug
    plugin: {hello: {any: [thing]}}
"""))
    assert diags == []


def test_supplement_models_are_still_strict() -> None:
    d = only(lint_yaml(wf("""\
  entrypoint: main
  resourceClaims: [{nmae: gpu}]
  templates:
  - name: main
    suspend: {}
""")), "ARG001")
    assert where(d) == (7, 21) and d.hint == "did you mean 'name'?"


def test_unknown_kind_is_a_warning_and_configmap_is_silent() -> None:
    diags = lint_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: x/v1\nkind: Widget\n")
    d = only(diags, "ARG011")
    assert d.severity is Severity.WARNING and where(d) == (6, 7)


def test_invalid_label_value_fun_with_gifs() -> None:
    """fun-with-gifs.yaml: generateName nested under labels gives an invalid label value (ends with '-')."""
    diags = lint_yaml("""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  labels:
    generateName: fun-with-gifs-
spec:
  entrypoint: main
  templates:
  - name: main
    suspend: {}
""")
    d = only(diags, "ARG014")
    assert where(d) == (5, 19) and d.severity is Severity.ERROR
    assert only(diags, "ARG013").severity is Severity.WARNING


# --- spec-level rules -------------------------------------------------------------------------------------


def test_entrypoint_must_name_a_template() -> None:
    """validate.go Workflow(): spec.entrypoint is required and must resolve."""
    d = only(lint_yaml(wf("  entrypoint: mian\n  templates:\n  - name: main\n    suspend: {}\n")), "ARG100")
    assert where(d) == (6, 15) and d.hint == "did you mean 'main'?"
    d = only(lint_yaml(wf("  templates:\n  - name: main\n    suspend: {}\n")), "ARG100")
    assert d.message == "spec.entrypoint is required"


def test_workflow_template_may_omit_entrypoint() -> None:
    text = "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: t}\nspec:\n" \
           "  templates:\n  - name: main\n    suspend: {}\n"
    assert lint_yaml(text) == []


def test_template_reference_must_resolve() -> None:
    """validateTemplateHolder: template name '...' undefined."""
    d = only(lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: ech
  - name: echo
    suspend: {}
""")), "ARG101")
    assert where(d) == (11, 19) and d.hint == "did you mean 'echo'?"


TEMPLATES = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  templates:
  - name: print
    inputs: {parameters: [{name: message}]}
    container: {image: busybox, args: ["{{inputs.parameters.message}}"]}
"""

USES_LIB = wf("""\
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        templateRef: {name: lib, template: %s}
%s""")


def test_template_ref_not_available_locally_is_a_warning() -> None:
    """ARGO-SEMANTICS.md §5.11: the WorkflowTemplate may exist on the cluster."""
    d = only(lint_yaml(USES_LIB % ("print", "")), "ARG102")
    assert d.severity is Severity.WARNING and where(d) == (11, 29)


def test_template_ref_resolves_against_other_sources() -> None:
    """templateRef against a WorkflowTemplate given in the same lint call; its inputs must be supplied."""
    args = "        arguments: {parameters: [{name: message, value: hi}]}\n"
    assert lint_yaml(USES_LIB % ("print", args), TEMPLATES) == []
    d = only(lint_yaml(USES_LIB % ("prnt", args), TEMPLATES), "ARG103")
    assert d.hint == "did you mean 'print'?"
    d = only(lint_yaml(USES_LIB % ("print", ""), TEMPLATES), "ARG130")
    assert "input parameter 'message' of template 'print' is not supplied" in d.message


def test_duplicate_template_names() -> None:
    """validateWorkflowFieldNames: names are unique."""
    d = only(lint_yaml(wf("  entrypoint: a\n  templates:\n  - name: a\n    suspend: {}\n  - name: a\n"
                          "    suspend: {}\n")), "ARG105")
    assert where(d) == (10, 11) and d.hint == "first defined on line 8"


def test_template_needs_exactly_one_type() -> None:
    """validateTemplateType: zero or several of container/script/steps/dag/... is an error."""
    diags = lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox}
    script: {image: busybox, source: echo}
  - name: nothing
    inputs: {}
"""))
    several, none = sorted((d for d in diags if d.code == "ARG107"), key=lambda d: d.span.line)
    assert where(several) == (10, 5) and "several types (container, script)" in several.message
    assert where(none) == (11, 5) and "has no type" in none.message


def test_timeout_needs_a_unit() -> None:
    """validateTemplate: a whole-number timeout is invalid (ARGO-SEMANTICS.md §9)."""
    d = only(lint_yaml(wf('  entrypoint: main\n  templates:\n  - name: main\n    timeout: "30"\n'
                          '    container: {image: busybox}\n')), "ARG108")
    assert where(d) == (9, 14) and "has no unit" in d.message


def test_required_inputs_of_the_entrypoint_come_from_spec_arguments() -> None:
    """ProcessArgs: an input without value/default must be supplied (entrypoint: by spec.arguments)."""
    d = only(lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    inputs: {parameters: [{name: message}]}
    container: {image: busybox}
""")), "ARG130")
    assert where(d) == (6, 15)


def test_required_inputs_of_a_step() -> None:
    d = only(lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: echo
        arguments: {parameters: [{name: mesage, value: hi}]}
  - name: echo
    inputs: {parameters: [{name: message}]}
    container: {image: busybox}
""")), "ARG130")
    assert where(d) == (12, 9) and d.hint == "did you mean 'mesage'?"


# --- DAG rules (ARGO-SEMANTICS.md §3) -------------------------------------------------------------------------

DAG = wf("""\
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
%s
  - name: echo
    container: {image: busybox}
""")


def test_dag_cycle_names_the_cycle_and_points_at_the_closing_edge() -> None:
    """verifyNoCycles; the cycle is printed a -> b -> a (a depends on b depends on a)."""
    d = only(lint_yaml(DAG % """\
      - {name: a, template: echo, depends: b}
      - {name: b, template: echo, depends: "x-1 || a"}
      - {name: x-1, template: echo}"""), "ARG110")
    assert d.message == "dependency cycle in template 'main': a -> b -> a"
    assert where(d) == (12, 52)


def test_unknown_dependency_with_did_you_mean() -> None:
    """validateDAG: dependency '...' not defined."""
    d = only(lint_yaml(DAG % """\
      - {name: build, template: echo}
      - {name: test, template: echo, dependencies: [biuld]}"""), "ARG111")
    assert where(d) == (12, 53) and d.hint == "did you mean 'build'?"


def test_depends_and_dependencies_cannot_be_mixed() -> None:
    d = only(lint_yaml(DAG % """\
      - {name: a, template: echo}
      - {name: b, template: echo, depends: a}
      - {name: c, template: echo, dependencies: [a]}"""), "ARG112")
    assert where(d) == (13, 35)


def test_invalid_depends_result() -> None:
    """common.ValidateTaskResults: only .Succeeded .Failed .Errored .Skipped .Omitted .Daemoned ..."""
    d = only(lint_yaml(DAG % """\
      - {name: a, template: echo}
      - {name: b, template: echo, depends: "a.Succeded"}"""), "ARG113")
    assert where(d) == (12, 45) and d.hint == "did you mean 'Succeeded'?"


def test_invalid_depends_syntax() -> None:
    d = only(lint_yaml(DAG % """\
      - {name: a, template: echo}
      - {name: b, template: echo, depends: "a &&"}"""), "ARG114")
    assert d.span is not None and d.span.line == 12


def test_any_succeeded_needs_a_loop() -> None:
    d = only(lint_yaml(DAG % """\
      - {name: a, template: echo}
      - {name: b, template: echo, depends: "a.AnySucceeded"}"""), "ARG115")
    assert where(d) == (12, 45)


def test_duplicate_task_names() -> None:
    d = only(lint_yaml(DAG % """\
      - {name: a, template: echo}
      - {name: a, template: echo}"""), "ARG105")
    assert where(d) == (12, 16)


def test_task_reads_status_of_a_non_ancestor() -> None:
    """validateDAG: only ancestors' tasks.X.status is in scope; other outputs only warn (validateDAG adds
    every task's outputs to the shared scope)."""
    diags = lint_yaml(DAG % """\
      - {name: a, template: echo}
      - {name: b, template: echo, when: "{{tasks.a.status}} == Succeeded"}
      - {name: c, template: echo, when: "{{tasks.a.exitCode}} == 0"}""")
    assert where(only(diags, "ARG120")) == (12, 42)
    warning = only(diags, "ARG121")
    assert warning.severity is Severity.WARNING and where(warning) == (13, 42)


def test_argument_from_a_task_that_is_not_a_dependency() -> None:
    """validateDAGTaskArgumentDependency: missing dependency 'a' for parameter 'm'."""
    diags = lint_yaml(DAG % """\
      - {name: a, template: echo}
      - name: b
        template: echo
        arguments: {parameters: [{name: m, value: "{{tasks.a.outputs.result}}"}]}""")
    d = only(diags, "ARG120")
    assert d.message == "missing dependency 'a' for parameter 'm' of task 'b'"


# --- steps and variables (ARGO-SEMANTICS.md §2, §4) -----------------------------------------------------------


def test_input_parameter_typo_points_at_the_tag_in_a_block_scalar() -> None:
    """resolveAllVariables: {{inputs.parameters.mesage}} with `message` declared."""
    d = only(lint_yaml(wf("""\
  entrypoint: main
  arguments: {parameters: [{name: message, value: hi}]}
  templates:
  - name: main
    inputs: {parameters: [{name: message}]}
    script:
      image: busybox
      command: [sh]
      source: |
        echo start
        echo "say {{inputs.parameters.mesage}}"
""")), "ARG120")
    assert where(d) == (16, 19)
    assert d.message == "input parameter 'mesage' is not declared in template 'main'"
    assert d.hint == "did you mean 'message'?"


def test_steps_only_see_earlier_groups() -> None:
    """validateSteps: steps.X must be an earlier step; a same-group sibling validates but cannot run (warning)."""
    diags = lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: gen, arguments: {parameters: [{name: m, value: "{{steps.c.outputs.result}}"}]}}
      - {name: b, template: gen, arguments: {parameters: [{name: m, value: "{{steps.a.outputs.result}}"}]}}
    - - {name: c, template: gen, arguments: {parameters: [{name: m, value: "{{steps.a.outputs.reslt}}"}]}}
  - name: gen
    inputs: {parameters: [{name: m}]}
    script: {image: python, source: print(1)}
"""))
    later = [d for d in diags if d.code == "ARG120" and "runs after" in d.message]
    assert len(later) == 1 and where(later[0]) == (10, 77)
    assert where(only(diags, "ARG121")) == (11, 77)
    typo = [d for d in diags if d.code == "ARG120" and "reslt" in d.message]
    assert len(typo) == 1 and where(typo[0]) == (12, 77)


def test_item_only_inside_loops() -> None:
    """addItemsToScope: item.* needs withItems/withParam/withSequence; map items define the keys."""
    diags = lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: echo
        arguments: {parameters: [{name: m, value: "{{item.nmae}}"}]}
        withItems: [{name: x}, {name: y}]
  - name: echo
    inputs: {parameters: [{name: m}]}
    container: {image: busybox, args: ["{{item.name}}"]}
"""))
    keyed, outside = sorted((d for d in diags if d.code == "ARG120"), key=lambda d: d.span.line)
    assert where(keyed) == (12, 52) and keyed.hint == "did you mean 'name'?"
    assert where(outside) == (16, 41) and "outside a loop" in outside.message


def test_workflow_failures_only_in_exit_handlers() -> None:
    """validate.go Workflow(): workflow.failures joins the globals only when spec.onExit is set, after the
    entrypoint's templates were validated."""
    text = wf("""\
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    container: {image: busybox, args: ["{{workflow.failures}}"]}
  - name: bye
    container: {image: busybox, args: ["{{workflow.failures}} {{workflow.status}}"]}
""")
    d = only(lint_yaml(text), "ARG120")
    assert where(d) == (10, 41)


def test_unknown_prefixes_are_not_checked_and_expressions_only_warn() -> None:
    """GlobalVarValidWorkflowVariablePrefix; template.Validate skips expression tags."""
    diags = lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    inputs: {parameters: [{name: message, value: x}]}
    container:
      image: busybox
      args: ["{{custom.variable}}", "{{=inputs.parameters['mesage']}}"]
"""))
    d = only(diags, "ARG123")
    assert d.severity is Severity.WARNING and where(d) == (12, 41)


def test_retries_without_retry_strategy_warns() -> None:
    d = only(lint_yaml(wf('  entrypoint: main\n  templates:\n  - name: main\n'
                          '    container: {image: busybox, args: ["{{retries}}"]}\n')), "ARG121")
    assert d.severity is Severity.WARNING and where(d) == (9, 41)


def test_steps_output_parameters_need_value_from() -> None:
    """getTemplateOutputsFromScope: output parameters must have a valueFrom specified."""
    d = only(lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: echo}
    outputs:
      parameters:
      - name: out
        value: "{{steps.a.outputs.result}}"
  - name: echo
    container: {image: busybox}
""")), "ARG140")
    assert where(d) == (14, 9)


def test_with_sequence_count_and_end() -> None:
    """addItemsToScope: only one of count or end can be defined in withSequence."""
    d = only(lint_yaml(wf("""\
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: echo, withSequence: {count: "3", end: "5"}}
  - name: echo
    container: {image: busybox}
""")), "ARG150")
    assert where(d) == (10, 62)


def test_every_problem_at_once_sorted() -> None:
    diags = lint_yaml(wf("""\
  entrypoint: mian
  parallelism: "2"
  templates:
  - name: main
    steps:
    - - {name: a, template: nope}
"""))
    assert [d.code for d in diags] == ["ARG100", "ARG002", "ARG101"]
    assert [d.span.line for d in diags] == sorted(d.span.line for d in diags)
