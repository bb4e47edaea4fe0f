"""`argonb submit` (against a MOCK Argo Server, tests/argo/fake_argo.py) and `argonb export`, in process."""

from __future__ import annotations

import json

import yaml

from argonb.cli.main import main
from argonb.spec.lint import lint_sources
from argonb.spec.source import Source
from tests.argo.conftest import HELLO, TOKEN
from tests.argo.fake_argo import FakeArgoServer, steps_plan
from tests.argo.test_templates import SHARED, USES_SHARED


def write(tmp_path, text: str, name: str = "wf.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_submit_without_wait_prints_the_name(fake, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    code = main(["submit", str(write(tmp_path, HELLO)), "--server", fake.url, "-p", "who=cli"])
    out = capsys.readouterr().out
    assert code == 0
    name = next(iter(fake.workflows))
    assert f"Name:       {name}" in out and "Namespace:  argo" in out
    assert fake.calls("POST")[0].body["workflow"]["spec"]["arguments"]["parameters"][0]["value"] == "cli"
    assert fake.calls("GET", "/workflow-events/") == []


def test_submit_wait_reports_like_argonb_run_and_records_the_run(fake, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    monkeypatch.setenv("ARGO_SERVER", fake.url)
    code = main(["submit", str(write(tmp_path, HELLO)), "--wait"])
    out = capsys.readouterr().out
    assert code == 0
    assert "hello: hello world" in out
    assert "Succeeded" in out and "(progress 1/1; 1 Succeeded)" in out
    name = next(iter(fake.workflows))
    # the run store has it: list, get and logs work unchanged
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert name in listed and "Succeeded" in listed
    assert main(["logs", name]) == 0
    assert "hello world" in capsys.readouterr().out
    assert main(["get", name, "-o", "json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert stored["status"]["phase"] == "Succeeded" and stored["metadata"]["name"] == name


def test_submit_wait_json_and_failure_exit_code(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    with FakeArgoServer(token=TOKEN, plan=steps_plan([("hello", "Failed", ["bad"])])) as fake:
        code = main(["submit", str(write(tmp_path, HELLO)), "--server", fake.url, "--wait", "-o", "json",
                     "--no-record"])
        captured = capsys.readouterr()
        assert code == 1
        wf = json.loads(captured.out)
        assert wf["status"]["phase"] == "Failed"
        assert "hello: bad" in captured.err  # logs go to stderr in json mode
        assert fake.violations == []


def test_submit_errors_exit_2_with_located_diagnostics(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    path = write(tmp_path, HELLO)
    with FakeArgoServer(token=TOKEN, reject=lambda k, o: (400, "templates.hello.container.image bad")) as fake:
        assert main(["submit", str(path), "--server", fake.url]) == 2
    err = capsys.readouterr().err
    assert f"{path}:18:7: error: ARGO400" in err and "image: alpine:3.19" in err
    monkeypatch.delenv("ARGO_TOKEN")
    with FakeArgoServer(token=TOKEN) as fake:
        assert main(["submit", str(path), "--server", fake.url]) == 2
    err = capsys.readouterr().err
    assert "401 Unauthorized" in err and "ARGO_TOKEN" in err
    assert main(["submit", str(path)]) == 2
    assert "no Argo server configured" in capsys.readouterr().err
    assert main(["submit", str(tmp_path / "missing.yaml"), "--server", "http://127.0.0.1:9"]) == 2


def test_export_writes_yaml_argo_accepts_as_is(tmp_path, capsys):
    source = write(tmp_path, SHARED + "---\n" + USES_SHARED + "  arguments:\n    parameters:\n    - name: n\n"
                   "      value: '1'\n")
    out = tmp_path / "out.yaml"
    assert main(["export", str(source), "-o", str(out), "-p", "n=5", "--name", "fixed"]) == 0
    text = out.read_text()
    assert text.startswith("# Exported by `argonb export")
    assert lint_sources([Source(text, "out.yaml")]) == []
    docs = list(yaml.safe_load_all(text))
    assert [d["kind"] for d in docs] == ["WorkflowTemplate", "Workflow"]
    assert docs[0] == yaml.safe_load(SHARED)
    wf = docs[1]
    assert wf["metadata"] == {"name": "fixed"}
    assert wf["spec"]["arguments"]["parameters"] == [{"name": "n", "value": "5"}]
    assert "status" not in wf


def test_export_of_a_run_json_drops_what_argo_owns(tmp_path, capsys):
    run_json = yaml.safe_load(HELLO)
    run_json["metadata"].update(name="hello-abcde", uid="u-1", creationTimestamp="2024-01-01T00:00:00Z",
                                labels={"workflows.argoproj.io/phase": "Succeeded"})
    run_json["status"] = {"phase": "Succeeded", "nodes": {}}
    path = write(tmp_path, json.dumps(run_json), "run.json")
    assert main(["export", str(path), "--no-comments"]) == 0
    out = capsys.readouterr().out
    (wf,) = list(yaml.safe_load_all(out))
    assert wf == yaml.safe_load(HELLO)
    assert not out.startswith("#")


def test_export_scripts_as_literal_blocks_and_cron_kept(tmp_path, capsys):
    cron = """apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedules: ["0 0 * * *"]
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      script:
        image: python:3.12
        command: [python]
        source: |
          print("a")
          print("b")
"""
    path = write(tmp_path, cron)
    assert main(["export", str(path)]) == 0
    out = capsys.readouterr().out
    assert "source: |" in out and "argo cron create" in out
    (doc,) = list(yaml.safe_load_all(out))
    assert doc == yaml.safe_load(cron)
    assert main(["export", str(path), "--as-workflow", "--no-comments"]) == 0
    (wf,) = list(yaml.safe_load_all(capsys.readouterr().out))
    assert wf["kind"] == "Workflow" and wf["metadata"] == {"generateName": "nightly-"}


def test_export_rejects_invalid_input(tmp_path, capsys):
    path = write(tmp_path, HELLO.replace("entrypoint: main", "entrypoint: nope"))
    assert main(["export", str(path)]) == 2
    assert f"{path}:6:" in capsys.readouterr().err


def test_export_parity_for_a_file_and_for_a_recorded_run(tmp_path, capsys):
    wf = HELLO.replace("      image: alpine:3.19\n", "      image: alpine:3.19\n"
                       "      resources: {limits: {memory: 64Mi}}\n")
    path = write(tmp_path, wf)
    assert main(["export", "--parity", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:19:7: [ignored] template hello: resources: limits memory=64Mi" in out
    assert main(["run", str(path)]) == 0
    capsys.readouterr()
    assert main(["export", "--parity", "@latest", "--format", "json"]) == 0
    notes = json.loads(capsys.readouterr().out)
    resources = [n for n in notes if n["field"] == "resources"]
    assert resources and resources[0]["nodes"] == ["hello"] and resources[0]["template"] == "hello"
    assert main(["export", "--parity", "no-such-run"]) == 1
