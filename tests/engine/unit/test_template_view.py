"""The typed, read-only view of a template (issue 17, item 3; Argo's `workflow_types.go` GetType, IsPodType,
IsLeaf), shared by spec, engine and parity."""

from __future__ import annotations

import dataclasses

import pytest

from argonb.spec.template_view import TEMPLATE_TYPES, TemplateView, template_kind, value_from


def test_kind_follows_get_type_order_when_several_are_given():
    """`Template.GetType` checks container before script and steps before suspend (workflow_types.go)."""
    assert template_kind({"script": {}, "container": {}}) == "container"
    assert template_kind({"suspend": {}, "steps": []}) == "steps"
    assert template_kind({"name": "x"}) == ""
    assert TemplateView({"steps": [], "dag": {}}).kinds == ["steps", "dag"]
    assert TEMPLATE_TYPES.index("container") == 0


@pytest.mark.parametrize(("data", "pod", "leaf"), [
    ({"container": {}}, True, True), ({"containerSet": {}}, True, True), ({"resource": {}}, True, True),
    ({"http": {}}, False, True), ({"plugin": {}}, False, True), ({"suspend": {}}, False, False),
    ({"dag": {}}, False, False), ({}, False, False)])
def test_pod_and_leaf(data, pod, leaf):
    view = TemplateView(data)
    assert (view.is_pod, view.is_leaf) == (pod, leaf)


def test_accessors_read_inputs_outputs_volumes_and_retry():
    view = TemplateView({
        "name": "t", "script": {"image": "py", "volumeMounts": [{"name": "a", "mountPath": "/a"}]},
        "inputs": {"parameters": [{"name": "p"}], "artifacts": [{"name": "i", "path": "/i"}]},
        "outputs": {"parameters": [{"name": "o"}], "artifacts": [{"name": "x", "path": "/x"}]},
        "volumes": [{"name": "a", "emptyDir": {}}], "retryStrategy": {}})
    assert view.name == "t" and view.kind == "script" and view.body == {"image": "py", "volumeMounts": [
        {"name": "a", "mountPath": "/a"}]}
    assert [p["name"] for p in view.input_parameters] == ["p"]
    assert [a["name"] for a in view.input_artifacts] == ["i"]
    assert [p["name"] for p in view.output_parameters] == ["o"]
    assert [a["name"] for a in view.output_artifacts] == ["x"]
    assert view.volumes == [{"name": "a", "emptyDir": {}}]
    assert view.retry_strategy == {}  # an empty strategy is a real one (unlimited retries)
    assert view.volume_mounts(view.main_container) == [{"name": "a", "mountPath": "/a"}]


def test_malformed_data_reads_as_absent():
    view = TemplateView({"inputs": "x", "outputs": {"parameters": ["bad", {"name": "ok"}]}, "volumes": 3,
                         "retryStrategy": "no", "containerSet": {"volumeMounts": "no"}})
    assert view.input_parameters == [] and view.input_artifacts == []
    assert view.output_parameters == [{"name": "ok"}]
    assert view.volumes == [] and view.retry_strategy is None and view.shared_volume_mounts == []


def test_view_is_read_only():
    view = TemplateView({"container": {}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.data = {}  # type: ignore[misc]


def test_value_from_of_a_parameter():
    assert value_from({"name": "p", "valueFrom": {"path": "/o"}}) == {"path": "/o"}
    assert value_from({"name": "p"}) == {} and value_from({"valueFrom": "bad"}) == {}
