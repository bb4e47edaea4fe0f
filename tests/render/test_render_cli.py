"""`argonb render`: formats, outputs and exit codes."""

from __future__ import annotations

import json
import shutil

import pytest
from render_samples import NESTED_DAG, STEPS

from argonb.cli.main import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


@pytest.fixture
def steps_file(tmp_path):
    path = tmp_path / "steps.yaml"
    path.write_text(STEPS)
    return path


def test_dot_to_stdout(steps_file, capsysbinary):
    assert main(["render", str(steps_file)]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert out.startswith('digraph "steps-"') and 'label="fan\\n⟳ withItems"' in out


@needs_dot
@pytest.mark.parametrize("fmt,magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_svg_and_png_files(steps_file, tmp_path, fmt, magic):
    out = tmp_path / f"graph.{fmt}"
    assert main(["render", str(steps_file), "-o", str(out)]) == 0  # format from the suffix
    assert magic in out.read_bytes()[:400]


def test_png_without_dot_is_a_clear_error(steps_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert main(["render", str(steps_file), "--format", "png", "-o", str(tmp_path / "g.png")]) == 1
    err = capsys.readouterr().err
    assert "needs Graphviz" in err and "Traceback" not in err
    assert not (tmp_path / "g.png").exists()


def test_html_works_without_dot(steps_file, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    out = tmp_path / "g.html"
    assert main(["render", str(steps_file), "-o", str(out)]) == 0
    assert "argonb-graph-fallback" in out.read_text()


def test_invalid_workflow_exits_2_with_located_diagnostic(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(STEPS.replace("entrypoint: main", "entrypoint: mian"))
    assert main(["render", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:6:" in err and "mian" in err and "^" in err and "Traceback" not in err


def test_yaml_error_and_missing_file_exit_2(tmp_path, capsys):
    bad = tmp_path / "broken.yaml"
    bad.write_text("kind: Workflow\nspec: [\n")
    assert main(["render", str(bad)]) == 2
    assert main(["render", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "YAML001" in err and "ARG000" in err


def test_run_json_draws_the_node_tree(tmp_path, capsysbinary):
    status = {"nodes": {"r": {"id": "r", "name": "wf", "displayName": "wf", "type": "Steps", "phase": "Succeeded",
                              "boundaryID": "", "children": ["p"]},
                        "p": {"id": "p", "name": "wf[0].p", "displayName": "p", "type": "Pod",
                              "phase": "Succeeded", "boundaryID": "r"}}}
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"kind": "Workflow", "metadata": {"name": "wf-1"}, "spec": {}, "status": status}))
    assert main(["render", str(path)]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert 'digraph "wf-1"' in out and "argonb_succeeded" in out and "n0 -> n1;" in out


def test_nested_clusters_in_dot(tmp_path, capsysbinary):
    path = tmp_path / "nested.yaml"
    path.write_text(NESTED_DAG)
    assert main(["render", str(path), "-f", "dot"]) == 0
    assert "subgraph cluster_0" in capsysbinary.readouterr().out.decode()
