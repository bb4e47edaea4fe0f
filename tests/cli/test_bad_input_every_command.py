"""One way of turning bad input into diagnostics, shared by every command (issue 15 item 9): each bad input
below, given to `run`, `lint`, `render`, `export`, `submit`, `argonb.run()` and the `%%workflow` cell, gives
exit 2 (or InvalidWorkflow, or a failed cell) with a located `FILE:LINE:COL: error: CODE: ...` and never a
traceback. Before the fix `argonb run` raised on the non-UTF-8 file and on deep nesting, and every command on
the alias bomb ran out of memory.

Inputs that are valid for Argo run as Argo runs them: a 10,000-character `generateName` is cut to 58
characters (Kubernetes' SimpleNameGenerator), and a `withSequence.format` with more verbs than arguments
gives Go's `%!s(MISSING)` (operator.go `expandSequence` calls `fmt.Sprintf(format, i)`, §6.3).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

import argonb
from argonb.cli.main import main as cli_main
from argonb.errors import InvalidWorkflow

HEAD = ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: bad-}\nspec:\n"
        "  entrypoint: main\n  templates:\n  - name: main\n    container: {image: alpine, command: [echo, hi]}\n")
LAUGHS = "".join(["  lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"] + [
    f"  lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)])

# name -> (file bytes, the line the located error must point at)
BAD_INPUTS: dict[str, tuple[bytes, int]] = {
    "alias-bomb": ((HEAD + "  x:\n" + LAUGHS).encode(), 13),
    "self-alias": ((HEAD + "  x: &x [1, *x]\n").encode(), 9),
    "deep-flow": ((HEAD + "  x: " + "[" * 5000 + "]" * 5000 + "\n").encode(), 9),
    "deep-block": ((HEAD + "  x:\n" + "".join(f"{'  ' * (i + 2)}k{i}:\n" for i in range(3000))).encode(), 208),
    "not-utf8": (HEAD.replace("bad-", "b\xe9-").encode("latin-1"), 3),
    "binary": (b"\x00\x01\xfe\xff" * 64, 1),
    "yaml-syntax": ((HEAD + "  x: [1, 2\n").encode(), 10),
    "control-character": (HEAD.replace("bad-", "b\x01-").encode(), 3),  # was YAML001 at 1:1, over two lines
    "explicit-tag-misfit": ((HEAD + "  x: !!int nope\n").encode(), 9),  # was ValueError from PyYAML's constructor
}
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): error: (?P<code>[A-Z]+\d+): ", re.M)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(argv))  # an exception escaping here is the traceback this test forbids
    return code, out.getvalue(), err.getvalue()


COMMANDS = {
    "run": lambda path, home: cli("run", str(path), "--home", str(home)),
    "lint": lambda path, home: cli("lint", str(path)),
    "render": lambda path, home: cli("render", str(path), "-o", str(home.parent / "graph.dot")),
    "export": lambda path, home: cli("export", str(path), "-o", str(home.parent / "out.yaml")),
    "submit": lambda path, home: cli("submit", str(path), "--server", "http://127.0.0.1:9", "--home", str(home)),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_every_command_reports_bad_input_as_a_located_error(tmp_path, case, command):
    data, line = BAD_INPUTS[case]
    path = tmp_path / "wf.yaml"
    path.write_bytes(data)
    code, out, err = COMMANDS[command](path, tmp_path / "home")
    text = out + err
    assert code == 2 and "Traceback" not in text, (code, text[-2000:])
    found = [m for m in LOCATED.finditer(text) if m["file"] == str(path)]
    assert found and int(found[0]["line"]) == line, text[-2000:]


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_the_python_api_raises_located_invalid_workflow(tmp_path, case):
    data, line = BAD_INPUTS[case]
    path = tmp_path / "wf.yaml"
    path.write_bytes(data)
    with pytest.raises(InvalidWorkflow) as info:
        argonb.run(path, home=tmp_path / "home")
    assert [(d.span.file, d.span.line) for d in info.value.diagnostics][:1] == [(str(path), line)]


TEXT_INPUTS = sorted(set(BAD_INPUTS) - {"not-utf8", "binary"})  # a notebook cell is text: no bytes to decode


@pytest.mark.parametrize("case", TEXT_INPUTS)
def test_the_notebook_cell_fails_with_located_diagnostics(case):
    from IPython.testing.globalipapp import get_ipython

    from argonb.notebook.errors import WorkflowCellError

    data, line = BAD_INPUTS[case]
    ip = get_ipython()
    ip.run_line_magic("load_ext", "argonb")
    result = ip.run_cell("%%workflow\n" + data.decode())
    assert isinstance(result.error_in_exec, WorkflowCellError), result.error_in_exec
    diags = result.error_in_exec.diagnostics
    assert diags and diags[0].span.file == "cell" and diags[0].span.line == line + 1  # the %%workflow line


def test_notebook_line_commands_report_an_unreadable_file_without_a_traceback(tmp_path):
    from IPython.testing.globalipapp import get_ipython

    from argonb.notebook.errors import WorkflowCellError

    path = tmp_path / "latin1.yaml"
    path.write_bytes(BAD_INPUTS["not-utf8"][0])
    ip = get_ipython()
    ip.run_line_magic("load_ext", "argonb")
    for command in ("lint", "render"):
        result = ip.run_cell(f"%workflow {command} {path}")
        assert isinstance(result.error_in_exec, WorkflowCellError), (command, result.error_in_exec)
        assert result.error_in_exec.diagnostics[0].format().startswith(f"{path}:3:")


def test_a_10000_character_generate_name_is_cut_as_kubernetes_cuts_it(tmp_path):
    """apiserver names.SimpleNameGenerator: at most 58 characters of generateName, then 5 random ones. Before
    the fix the run's directory name was too long for the filesystem: OSError traceback."""
    path = tmp_path / "wf.yaml"
    path.write_text(HEAD.replace("bad-", "a" * 10_000))
    code, out, err = cli("run", str(path), "--home", str(tmp_path / "home"), "-o", "json")
    assert code == 0 and "Traceback" not in err, err[-2000:]
    name = json.loads(out)["metadata"]["name"]
    assert len(name) == 63 and name.startswith("a" * 58)


@pytest.mark.parametrize("name", ["b" * 10_000, "Upper"])
def test_a_bad_name_option_is_a_clear_error(tmp_path, name):
    path = tmp_path / "wf.yaml"
    path.write_text(HEAD)
    code, _, err = cli("run", str(path), "--home", str(tmp_path / "home"), "--name", name)
    assert code == 2 and "Traceback" not in err and ("ARG015" in err or "ARG013" in err), err[-2000:]


def test_a_with_sequence_format_with_more_verbs_than_arguments_runs_as_in_go(tmp_path):
    """§6.3: items are `fmt.Sprintf(format, i)`; Go prints `%!s(MISSING)` for the verb without an argument.
    Before the fix: TypeError traceback in the run loop."""
    path = tmp_path / "wf.yaml"
    path.write_text(HEAD.replace("    container: {image: alpine, command: [echo, hi]}\n", (
        "    steps:\n    - - {name: s, template: say, arguments: {parameters: [{name: m, value: '{{item}}'}]},\n"
        "         withSequence: {count: '2', format: 'n%d-%s-%x'}}\n"
        "  - name: say\n    inputs: {parameters: [{name: m}]}\n"
        "    container: {image: alpine, command: [echo, '{{inputs.parameters.m}}']}\n")))
    code, out, err = cli("run", str(path), "--home", str(tmp_path / "home"), "-o", "json")
    assert code == 0 and "Traceback" not in err, err[-2000:]
    pods = [n for n in json.loads(out)["status"]["nodes"].values() if n["type"] == "Pod"]
    params = sorted(n["inputs"]["parameters"][0]["value"] for n in pods)
    assert params == ["n0-%!s(MISSING)-%!x(MISSING)", "n1-%!s(MISSING)-%!x(MISSING)"]


def test_a_missing_file_is_named_not_read_as_yaml_text(tmp_path):
    missing = tmp_path / "nope.yaml"
    code, _, err = cli("run", str(missing), "--home", str(tmp_path / "home"))
    assert code == 2 and f"{missing}:1:1: error: ARG000: cannot read {missing}" in err, err
    assert Path(missing).exists() is False


@pytest.mark.parametrize("command", ["lint", "render"])
def test_standard_input_that_is_not_utf8_is_located_too(command):
    """`-` reads bytes and decodes them as files are decoded. Before the fix, Python's surrogate escapes reached
    the YAML reader: `YAML001 … unacceptable character #xdcff` at 1:1."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "argonb.cli.main", command, "-"], capture_output=True,
                          input=BAD_INPUTS["not-utf8"][0], timeout=60, cwd=Path(__file__).resolve().parents[2])
    text = (done.stdout + done.stderr).decode()
    assert done.returncode == 2 and "Traceback" not in text, text
    assert "<stdin>:3:27: error: ARG000: cannot read <stdin>: not UTF-8 text (byte 0xe9)" in text, text


def test_a_plain_scalar_that_only_looks_like_a_date_stays_text():
    """go-yaml resolves `2001-02-30` as a timestamp only if it parses (sigs.k8s.io/yaml gives the string); PyYAML
    raised ValueError (day is out of range), a traceback from lint and run."""
    from argonb.spec.source import Source, parse

    assert parse(Source("t: 2001-02-30\nu: 2001-02-03\n"))[0].data == {"t": "2001-02-30", "u": "2001-02-03"}


def test_the_api_names_a_missing_file_given_as_a_string(tmp_path):
    """`argonb.run("wf.yaml")` with no such file read the name as YAML text: ARG010 at `<string>`."""
    missing = str(tmp_path / "nope.yaml")
    with pytest.raises(InvalidWorkflow) as info:
        argonb.run(missing, home=tmp_path / "home")
    assert info.value.diagnostics[0].format().startswith(f"{missing}:1:1: error: ARG000: cannot read {missing}")
