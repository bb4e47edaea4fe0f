"""`argonb lint` through `python -m argonb.cli.cmd_lint` (and the sub-command registration)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from argonb.cli import cmd_lint

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "spec" / "fixtures"

BAD = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: bad-
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - name: a
        template: main
        dependancies: [b]
"""

USES_REF = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ref-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        templateRef: {name: workflow-template-print-message, template: print-message}
        arguments: {parameters: [{name: message, value: hi}]}
"""


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "argonb.cli.cmd_lint", *args], capture_output=True, text=True,
                          env=env, input=stdin, timeout=60)


def test_clean_file_exits_zero(tmp_path: Path) -> None:
    result = run_cli(str(FIXTURES / "hello-world.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == "0 error(s), 0 warning(s) in 1 file(s)"


def test_errors_print_source_line_and_caret_and_exit_two(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    result = run_cli(str(bad))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{bad}:13:9: error: ARG001: unknown field 'dependancies' in spec.templates[0].dag.tasks[0] "
                        "(did you mean 'dependencies'?)")
    assert lines[1] == "            dependancies: [b]"
    assert lines[2] == "            ^"
    assert result.stderr.strip() == "1 error(s), 0 warning(s) in 1 file(s)"


def test_missing_file_is_a_diagnostic_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = run_cli(str(missing))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith(f"{missing}:1:1: error: ARG000: cannot read {missing}")


def test_json_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    result = run_cli("-o", "json", str(bad))
    data = json.loads(result.stdout)
    assert data == [{"file": str(bad), "line": 13, "col": 9, "severity": "error", "code": "ARG001",
                     "message": "unknown field 'dependancies' in spec.templates[0].dag.tasks[0]",
                     "hint": "did you mean 'dependencies'?"}]


def test_files_are_linted_together_and_templates_dir_is_context(tmp_path: Path) -> None:
    wf = tmp_path / "wf.yaml"
    wf.write_text(USES_REF)
    alone = run_cli(str(wf))
    assert alone.returncode == 0 and "ARG102" in alone.stdout  # warning: may exist on the cluster
    together = run_cli(str(wf), str(FIXTURES / "templates.yaml"))
    assert together.returncode == 0 and together.stdout == ""
    assert "in 2 file(s)" in together.stderr
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "templates.yaml").write_text((FIXTURES / "templates.yaml").read_text())
    (lib / "broken.yaml").write_text("kind: [")  # context only: not reported
    with_dir = run_cli(str(wf), "--templates", str(lib))
    assert with_dir.returncode == 0 and with_dir.stdout == "", with_dir.stdout
    assert "in 1 file(s)" in with_dir.stderr


def test_stdin_and_garbage_never_traceback() -> None:
    result = run_cli("-", stdin="kind: Workflow\nspec: [\n")
    assert result.returncode == 2 and "YAML001" in result.stdout and "Traceback" not in result.stderr
    result = run_cli("-", stdin="\x00\x01 binary")
    assert "Traceback" not in result.stderr


def test_directory_argument_lints_the_fixture_corpus() -> None:
    result = run_cli(str(FIXTURES))
    assert result.returncode == 2  # fun-with-gifs.yaml, the one example Argo rejects
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "fun-with-gifs.yaml:15:19: error: ARG014" in errors[0]


def test_add_parser_registers_lint() -> None:
    parser = argparse.ArgumentParser(prog="argonb")
    cmd_lint.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["lint", "a.yaml", "--templates", "d", "-o", "json"])
    assert args.func is cmd_lint.run and args.files == ["a.yaml"] and args.templates == ["d"]


def test_main_dispatches_lint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Through argonb.cli.main, with only the lint sub-command registered (cmd_render is not written yet)."""
    from argonb.cli import main as cli_main

    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("lint",))
    assert cli_main.main(["lint", str(FIXTURES / "hello-world.yaml")]) == 0
    assert "0 error(s), 0 warning(s) in 1 file(s)" in capsys.readouterr().err
