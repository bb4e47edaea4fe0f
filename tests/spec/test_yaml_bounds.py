"""YAML is read within bounds (argonb.spec.yamlbounds): alias expansion as go-yaml v2 bounds it for Kubernetes
and the argo CLI (sigs.k8s.io/yaml goyaml.v2/decode.go `allowedAliasRatio`), nesting at MAX_NESTING levels.
Past a bound: a located YAML002 at once, in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from argonb.errors import InvalidWorkflow
from argonb.spec.lint import lint
from argonb.spec.source import Source, parse

MAX_NESTING = 200

ROOT = Path(__file__).resolve().parents[2]
HEAD = ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: x-}\nspec:\n  entrypoint: main\n"
        "  templates:\n  - name: main\n    container: {image: alpine, command: [echo, hi]}\n")


def billion_laughs(width: int = 9, depth: int = 10) -> str:
    """The classic: `depth` levels, each a list of `width` aliases of the level below (width**depth nodes)."""
    lines = ['  lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"  lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth)]
    return HEAD + "  x:\n" + "\n".join(lines) + "\n"


# VmHWM, not ru_maxrss: Linux carries the parent's peak over exec into ru_maxrss (pytest's size, not ours)
def measure_in_child(args: list[str]) -> dict:
    """Run `argonb ARGS` in a fresh interpreter; its exit code, stderr, seconds and own peak RSS (MiB)."""
    code = ("import json, resource, sys, time, io, contextlib\n"
            "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # a bomb must not take the machine\n"
            "from argonb.cli.main import main\n"
            "err = io.StringIO(); t = time.monotonic()\n"
            "with contextlib.redirect_stderr(err), contextlib.redirect_stdout(err):\n"
            "    rc = main(sys.argv[1:])\n"
            "print(json.dumps({'rc': rc, 'out': err.getvalue()[-4000:], 'seconds': time.monotonic() - t,"
            " 'peak_mib': int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) / 1024}))\n")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_billion_laughs_is_refused_at_once_with_a_located_error(tmp_path):
    """Issue 15 item 2: a 1 KB alias bomb made lint reach 5.8 GB in 118 s, then a MemoryError traceback."""
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs())
    assert path.stat().st_size < 1500
    result = measure_in_child(["lint", str(path)])
    assert result["rc"] == 2 and "Traceback" not in result["out"], result["out"]
    assert f"{path}:13:44:" in result["out"] and "YAML002: YAML error: document contains excessive aliasing" in \
        result["out"], result["out"]
    assert result["seconds"] < 5 and result["peak_mib"] < 300, result  # measured: 0.3 s, 60 MiB


@pytest.mark.parametrize("width,depth", [(9, 10), (2, 40), (1000, 3), (50, 5)])
def test_alias_bombs_of_every_shape_are_refused(width, depth):
    with pytest.raises(InvalidWorkflow) as info:
        parse(Source(billion_laughs(width, depth), "b.yaml"))
    (diag,) = info.value.diagnostics
    assert diag.code == "YAML002" and "excessive aliasing" in diag.message and diag.span.line > 9


def test_a_merge_bomb_is_counted_like_an_alias_bomb():
    """`<<: *x` is an alias too: go-yaml's decoder.merge decodes the merged mapping through it."""
    levels = ["  m0: &m0 {" + ", ".join(f"k{i}: v" for i in range(9)) + "}"]
    levels += [f"  m{i}: &m{i} {{" + ", ".join(f"k{j}: {{<<: *m{i - 1}}}" for j in range(9)) + "}" for i in range(1, 9)]
    with pytest.raises(InvalidWorkflow) as info:
        parse(Source(HEAD + "  x:\n" + "\n".join(levels) + "\n", "m.yaml"))
    assert [d.code for d in info.value.diagnostics] == ["YAML002"]


@pytest.mark.parametrize("text,line", [
    ("a: &x [1, *x]\n", 1), ("a: &x {b: *x}\n", 1), ("a: &x {<<: *x}\n", 1), ("a:\n  &x {c: {<<: *x}}\n", 2),
])
def test_an_anchor_containing_its_own_alias_is_refused(text, line):
    """go-yaml: "anchor 'x' value contains itself". Before the fix the builder recursed until RecursionError
    (reported as nesting, at 1:1)."""
    (diag,) = lint(text)
    assert diag.code == "YAML002" and "anchor 'x' value contains itself" in diag.message
    assert diag.span.line == line and diag.span.col > 1


def test_moderate_aliasing_and_merge_keys_are_read_as_before():
    """What real workflows do (Argo's examples use anchors and `<<`): shared fragments, reused many times."""
    base = "  base: &base {image: alpine, command: [sh, -c], env: [{name: A, value: '1'}, {name: B, value: '2'}]}\n"
    uses = "".join(f"  - {{<<: *base, name: t{i}, args: [echo {i}]}}\n" for i in range(200))
    docs = parse(Source(HEAD + base + "  uses:\n" + uses, "ok.yaml"))
    uses = docs[0].data["spec"]["uses"]
    assert len(uses) == 200 and uses[7] == {"image": "alpine", "command": ["sh", "-c"], "env": [
        {"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "name": "t7", "args": ["echo 7"]}


@pytest.mark.parametrize("refs,refused", [(295, False), (300, True)])
def test_the_alias_ratio_boundary_is_go_yamls(refs, refused):
    """An anchor of 150 scalars used `refs` times: sigs.k8s.io/yaml v1.6.0 (the argo CLI's decoder) accepts 295
    uses and refuses 300 (checked with a Go program on these documents; 138 other boundary and random
    documents agreed too)."""
    text = "base: &b [" + ",".join(f"v{i}" for i in range(150)) + "]\nrefs:\n" + "- *b\n" * refs
    codes = [d.code for d in lint(text)]
    assert ("YAML002" in codes) == refused, codes


@pytest.mark.parametrize("shape", ["block-map", "block-list", "flow-map", "flow-list", "mixed"])
def test_deep_nesting_is_a_located_error_in_every_shape(shape):
    """Issue 15 item 9: deep nesting was reported at 1:1 (a RecursionError caught by lint). Now YAML002 at the
    node that goes past MAX_NESTING, on its own line."""
    depth = 3000
    if shape == "block-map":
        body = "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(depth)) + f"{'  ' * (depth + 1)}leaf\n"
    elif shape == "block-list":
        body = "".join(f"{'  ' * (i + 1)}-\n" for i in range(depth)) + f"{'  ' * (depth + 1)}leaf\n"
    elif shape == "flow-map":
        body = "  " + "{a: " * depth + "1" + "}" * depth + "\n"
    elif shape == "flow-list":
        body = "  " + "[" * depth + "]" * depth + "\n"
    else:
        body = "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(50)) + "  " * 51 + "[" * depth + "]" * depth + "\n"
    text = "x:\n" + body
    diags = lint(text)
    assert [d.code for d in diags] == ["YAML002"], [d.format() for d in diags]
    assert "nesting is deeper than 200 levels" in diags[0].message
    assert diags[0].span.line > 1 or diags[0].span.col > 100, diags[0].format()


def test_nesting_up_to_the_bound_is_read():
    text = "x: " + "[" * (MAX_NESTING - 1) + "1" + "]" * (MAX_NESTING - 1) + "\n"
    value = parse(Source(text))[0].data["x"]
    for _ in range(MAX_NESTING - 1):
        (value,) = value
    assert value == 1


def test_a_file_that_is_not_utf8_is_located_at_its_first_bad_byte(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("kind: Workflow\nmetadata: {name: caf\u00e9}\n".encode("latin-1"))
    (diag,) = lint(path)
    assert diag.code == "ARG000" and "not UTF-8 text (byte 0xe9)" in diag.message
    assert (diag.span.line, diag.span.col) == (2, 21)
