"""The field table comes from hera's models (not a hand-written schema), is cached, and agrees with pydantic."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from argonb.spec import schema
from argonb.spec.lint import lint

HELLO = (Path(__file__).parent / "fixtures" / "hello-world.yaml").read_text()


def test_table_has_every_hera_field_by_alias() -> None:
    from hera.workflows import models

    table = schema.field_table()
    for name in ("Workflow", "WorkflowSpec", "Template", "DAGTask", "WorkflowStep", "Parameter", "Container"):
        hera_keys = {f.alias or k for k, f in getattr(models, name).model_fields.items()}
        assert hera_keys <= set(table.models[name]), name
    assert table.models["DAGTask"]["dependencies"] == ["list", "str"]
    assert table.models["WorkflowSpec"]["templates"] == ["list", ["model", "Template"]]


def test_supplement_and_overrides_are_applied() -> None:
    table = schema.field_table()
    assert table.models["WorkflowSpec"]["podResources"] == ["model", "ResourceRequirements"]
    assert table.models["Template"]["pendingTimeout"] == "str"
    assert table.models["Parameter"]["value"] == "anystr"
    assert table.models["Template"]["plugin"] == "freemap"


def test_cache_is_written_and_reused_without_importing_hera(tmp_path: Path) -> None:
    env = {"ARGONB_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    code = ("import sys; from argonb.spec.schema import field_table; field_table(); "
            "print('hera' in sys.modules)")
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert first.stdout.strip() == "True"
    cached = list(tmp_path.glob("hera-fields-*.json"))
    assert len(cached) == 1 and json.loads(cached[0].read_text())["format"] == schema._TABLE_FORMAT
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert second.stdout.strip() == "False"


def test_unwritable_cache_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("ARGONB_CACHE_DIR", str(blocker / "sub"))
    assert "Template" in schema._apply_supplement(schema._load_raw_table()).models


@pytest.mark.parametrize("mutate, loc", [
    (lambda d: d["spec"]["templates"][0]["container"].__setitem__("image", ["x"]),
     ("spec", "templates", 0, "container", "image")),
    (lambda d: d["spec"].__setitem__("parallelism", {"a": 1}), ("spec", "parallelism")),
    (lambda d: d["spec"]["templates"][0].__setitem__("inputs", [1]), ("spec", "templates", 0, "inputs")),
    (lambda d: d["spec"].__setitem__("templates", {"name": "x"}), ("spec", "templates")),
])
def test_type_errors_agree_with_pydantic(mutate, loc) -> None:
    """Where Go's JSON rules and pydantic agree, model_validate's error loc is where ARG002 points."""
    from hera.workflows.models import Workflow
    from pydantic import ValidationError

    data = yaml.safe_load(HELLO)
    bad = copy.deepcopy(data)
    mutate(bad)
    with pytest.raises(ValidationError) as info:
        Workflow.model_validate(bad)
    assert any(tuple(e["loc"][:len(loc)]) == loc for e in info.value.errors())
    ours = [d for d in lint(yaml.safe_dump(bad, sort_keys=False)) if d.code == "ARG002"]
    assert any(d.message.startswith(schema.format_path(loc) + ":") for d in ours), ours


def test_format_path() -> None:
    assert schema.format_path(("spec", "templates", 0, "dag")) == "spec.templates[0].dag"
    assert schema.format_path(()) == "<document>"
