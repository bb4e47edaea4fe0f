"""WorkflowTemplates go to the (MOCK, tests/argo/fake_argo.py) Argo Server before the Workflow that needs them."""

from __future__ import annotations

import yaml

from argonb.backends.argo import submit
from argonb.engine.workflow import Registry

SHARED = """apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: shared
spec:
  templates:
  - name: say
    container:
      image: alpine
      command: [echo, shared]
"""

USES_SHARED = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: uses-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: hello
        templateRef: {name: shared, template: say}
"""

CLUSTER = """apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: everywhere
spec:
  templates:
  - name: say
    container: {image: alpine, command: [echo, cluster]}
"""


def order(fake) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests if r.method in ("POST", "PUT")]


def test_templates_in_the_same_source_are_created_first(fake, connect):
    run = submit(SHARED + "---\n" + USES_SHARED, follow=False, **connect)
    assert order(fake) == ["POST /api/v1/workflow-templates/argo", "POST /api/v1/workflows/argo"]
    (post,) = fake.calls("POST", "/api/v1/workflow-templates/argo")
    assert post.body == {"namespace": "argo", "template": yaml.safe_load(SHARED)}
    assert run.warnings == []


def test_an_existing_identical_template_is_left_alone(fake, connect):
    submit(SHARED + "---\n" + USES_SHARED, follow=False, **connect)
    run = submit(SHARED + "---\n" + USES_SHARED, follow=False, **connect)
    assert len(fake.calls("POST", "/api/v1/workflow-templates/argo")) == 2  # the second got 409
    assert fake.calls("GET", "/api/v1/workflow-templates/argo/shared")
    assert fake.calls("PUT", "/workflow-templates/") == []
    assert run.warnings == []


def test_a_differing_template_is_kept_with_a_warning_or_replaced_on_request(fake, connect):
    submit(SHARED + "---\n" + USES_SHARED, follow=False, **connect)
    changed = SHARED.replace("[echo, shared]", "[echo, changed]")
    run = submit(changed + "---\n" + USES_SHARED, follow=False, **connect)
    assert any("already exists on the server and differs" in w for w in run.warnings)
    assert fake.templates[(False, "shared")]["spec"]["templates"][0]["container"]["command"] == ["echo", "shared"]

    run = submit(changed + "---\n" + USES_SHARED, follow=False, update_templates=True, **connect)
    (put,) = fake.calls("PUT", "/api/v1/workflow-templates/argo/shared")
    assert put.body["name"] == "shared" and put.body["namespace"] == "argo"
    assert put.body["template"]["metadata"]["resourceVersion"]
    assert fake.templates[(False, "shared")]["spec"]["templates"][0]["container"]["command"] == ["echo", "changed"]
    assert any("replaced" in w for w in run.warnings)


def test_referenced_templates_come_from_templates_files_transitively(fake, connect, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "shared.yaml").write_text(SHARED.replace("    container:\n      image: alpine\n      command: [echo, shared]\n",
                                                    "    steps:\n    - - name: inner\n        templateRef: "
                                                    "{name: everywhere, template: say, clusterScope: true}\n"))
    (lib / "cluster.yaml").write_text(CLUSTER)
    (lib / "unused.yaml").write_text(SHARED.replace("name: shared", "name: unused"))
    submit(USES_SHARED, templates=str(lib), follow=False, **connect)
    assert order(fake) == ["POST /api/v1/workflow-templates/argo", "POST /api/v1/cluster-workflow-templates",
                           "POST /api/v1/workflows/argo"]
    (cluster,) = fake.calls("POST", "/api/v1/cluster-workflow-templates")
    assert set(cluster.body) == {"template"}
    assert (True, "everywhere") in fake.templates and (False, "unused") not in fake.templates


def test_templates_from_a_registry_and_a_missing_one(fake, connect):
    reg = Registry()
    reg.add_document(yaml.safe_load(SHARED))
    submit(USES_SHARED, registry=reg, follow=False, **connect)
    assert (False, "shared") in fake.templates
    missing = USES_SHARED.replace("name: shared", "name: elsewhere")
    run = submit(missing, follow=False, validate_input=False, **connect)
    assert any("WorkflowTemplate elsewhere is referenced but not defined here" in w for w in run.warnings)


def test_a_runnable_workflow_template_is_created_and_referenced(fake, connect):
    runnable = SHARED.replace("spec:\n", "spec:\n  entrypoint: say\n")
    run = submit(runnable, follow=False, **connect)
    (create,) = fake.calls("POST", "/api/v1/workflows/argo")
    assert create.body["workflow"] == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                                       "metadata": {"generateName": "shared-"},
                                       "spec": {"workflowTemplateRef": {"name": "shared"}}}
    assert (False, "shared") in fake.templates
    assert run.name.startswith("shared-")


def test_config_maps_are_not_sent_but_noted(fake, connect):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n---\n"
    run = submit(cm + USES_SHARED.replace("templateRef: {name: shared, template: say}", "template: say") +
                 "  - name: say\n    container: {image: alpine, command: [echo]}\n", follow=False, **connect)
    assert any("ConfigMap settings" in w and "kubectl" in w for w in run.warnings)
    assert [r.path for r in fake.requests if r.method == "POST"] == ["/api/v1/workflows/argo"]
