"""Bad input never crashes argonb: `argonb lint`, `argonb.run` and `argonb run -p` fuzzed with mutated real Argo
YAML (tests/spec/fixtures, the workflows written in tests/engine, examples/) and random parameter values.

The oracle, for every input: no exception escapes except `InvalidWorkflow`, whose diagnostics all carry a
location; nothing inside argonb logs a traceback; a run always ends (a suspended one once terminated), and a
failed run says why (a message on the run or on a failed node); `argonb lint` exits 0 or 2 with located
diagnostics and never hits its ARG999 internal-error net.

The normal suite runs a small sample. The nightly version runs the same checks with many more cases:

    ARGONB_FUZZ_EXAMPLES=10000 python -m pytest tests/reliability/test_fuzz.py -m slow -s -p no:cacheprovider
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tempfile
import threading
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import argonb
from argonb.cli.main import main as cli_main
from argonb.engine.backend import BACKENDS
from argonb.errors import InvalidWorkflow
from tests.reliability import support

NIGHTLY = int(os.environ.get("ARGONB_FUZZ_EXAMPLES", "0") or 0)
STATS: Counter[str] = Counter()  # what the fuzzed inputs did (printed by the nightly tests)
MODES = ("ok", "fail", "error", "mixed")  # how the fake backend ends pods
RUN_WAIT = 1.0  # a run still going after this is terminated (suspend, long backoff) and must then end


def _settings(examples: int, derandomize: bool) -> Any:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
                    suppress_health_check=list(HealthCheck), print_blob=True)


# ---- inputs -----------------------------------------------------------------------------------------------
@st.composite
def workflow_inputs(draw: Any, kinds: tuple[str, ...] = ("gentle", "struct", "text", "params")) -> tuple:
    """(YAML text, parameters or None): a real workflow, mutated (scalars, structure or text) and/or given
    random `-p` values, for declared and undeclared parameter names."""
    index = draw(st.integers(0, len(support.SEEDS) - 1))
    kind = draw(st.sampled_from(kinds))
    docs = copy.deepcopy(support.SEED_DOCS[index])
    if kind == "text":
        text = support.text_mutate(support.SEEDS[index], draw)
    else:
        if kind != "params":
            docs = [support.mutate(d, draw, gentle=kind == "gentle") for d in docs]
        text = support.dump(docs) or support.SEEDS[index]
    names = support.declared_parameter_names(docs[0]) if docs and isinstance(docs[0], dict) else []
    params = None
    if kind == "params" or draw(st.booleans()):
        keys = st.one_of(st.sampled_from(names), st.text(min_size=1, max_size=8)) if names else st.text(min_size=1,
                                                                                                          max_size=8)
        params = draw(st.dictionaries(keys, support.PARAM_VALUES, max_size=3))
    return text, params


# ---- oracles ----------------------------------------------------------------------------------------------
def check_run(text: str, params: dict[str, str] | None, backend: Any, wait: float = RUN_WAIT) -> str:
    """Run one input; assert the oracle; return what happened (for the statistics)."""
    with support.TracebackCatcher() as caught:
        try:
            run = argonb.run(text, parameters=params, backend=backend)
        except InvalidWorkflow as exc:
            unlocated = [d.format() for d in exc.diagnostics if d.span is None]
            assert exc.diagnostics and not unlocated, unlocated
            return "invalid"
        run.wait(wait)
        outcome = run.phase
        if not run.done:  # suspended, or waiting out a long backoff/deadline: terminating must end it
            run.terminate()
            run.wait(60)
            assert run.done, f"run {run.name} did not end after terminate"
            outcome = "terminated"
    assert not caught.records, caught.formatted()
    assert run.phase in ("Succeeded", "Failed", "Error"), run.phase
    assert "internal error" not in run.message, run.message
    nodes = list(run.nodes.values())
    for node in nodes:
        assert "argonb failed to run the pod" not in (node.get("message") or ""), node["message"]
    if run.phase != "Succeeded":
        reasons = [run.message] + [n.get("message") for n in nodes if n.get("phase") in ("Failed", "Error")]
        assert any(reasons), f"run {run.phase} without any message: {json.dumps(nodes)[:2000]}"
    return outcome


def check_lint_cli(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wf.yaml"
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(["lint", "-o", "json", str(path)])
    assert code in (0, 2), (code, err.getvalue())
    assert "Traceback" not in err.getvalue()
    diags = json.loads(out.getvalue())
    for diag in diags:
        assert diag["file"] == str(path) and diag["line"] and diag["col"], diag  # every one is located
        assert diag["code"] != "ARG999", diag  # the linter's internal-error net
    return "errors" if code else "clean"


@st.composite
def lint_inputs(draw: Any) -> bytes:
    text, _ = draw(workflow_inputs(("struct", "text", "gentle")))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # now and then: bytes that are not UTF-8, or binary junk
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=16)) + data[pos:]
    return data


# ---- bombs: inputs built to exhaust memory, time or the stack ---------------------------------------------
# Each generator draws YAML text around a workflow whose step loops over the bomb (`withItems`), or holds it
# in a field; under the bounds it must lint and run like any input, past them fail at once with a located
# YAML002 (or the node's error, for the regex, expression, template-depth and oversize-value bombs, which are
# Argo's own limits or argonb's documented bounds). BOMBS is what the bomb checks sample from.
BOMB_HEAD = ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: bomb-}\nspec:\n"
             "  entrypoint: main\n  templates:\n  - name: main\n    steps:\n    - - name: s\n        template: echo\n"
             "        arguments: {parameters: [{name: m, value: '{{item}}'}]}\n")
BOMB_TAIL = ("  - name: echo\n    inputs: {parameters: [{name: m}]}\n"
             "    container: {image: alpine, command: [echo, '{{inputs.parameters.m}}']}\n")


@st.composite
def alias_bombs(draw: Any) -> str:
    """A billion-laughs ladder (`depth` levels of `width` aliases of the level below) as lists, mappings or
    `<<` merges; small ones stay under go-yaml's alias budget and run, big ones must be refused."""
    width, depth = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    shape = draw(st.sampled_from(["list", "map", "merge"]))
    levels = [f"&a0 [{', '.join(['lol'] * draw(st.integers(1, 9)))}]"]
    for i in range(1, depth):
        if shape == "list":
            levels.append(f"&a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
        elif shape == "map":
            levels.append(f"&a{i} {{{', '.join(f'k{j}: *a{i - 1}' for j in range(width))}}}")
        else:
            levels.append(f"&a{i} {{{', '.join(f'k{j}: {{<<: {{x: *a{i - 1}}}}}' for j in range(width))}}}")
    if draw(st.booleans()):  # loop over the ladder itself, or only over its top level
        items = "[" + ", ".join(levels) + "]"
    else:
        items = f"[{', '.join(levels[:-1] + [levels[-1]])}, *a{depth - 1}]"
    return BOMB_HEAD + f"        withItems: {items}\n" + BOMB_TAIL


@st.composite
def depth_bombs(draw: Any) -> str:
    """Nested mappings, lists, flow collections or a mix, just under, at and far past argonb's nesting bound."""
    from argonb.spec.yamlbounds import MAX_NESTING

    depth = draw(st.one_of(st.integers(MAX_NESTING - 12, MAX_NESTING + 2), st.sampled_from([1000, 5000, 20000])))
    shape = draw(st.sampled_from(["flow-list", "flow-map", "block-map", "block-list", "mixed"]))
    if shape == "flow-list":
        value = "[" * depth + "1" + "]" * depth
    elif shape == "flow-map":
        value = "{a: " * depth + "1" + "}" * depth
    elif shape == "mixed":
        value = "".join(draw(st.sampled_from(["[", "{a: "])) for _ in range(depth))
        value += "1" + "".join("]" if c == "[" else "}" for c in reversed(value.replace("{a: ", "{")))
    else:
        step = "k: " if shape == "block-map" else "- "
        lines = [f"{' ' * (8 + 2 * i)}{step}" for i in range(min(depth, 3000))]
        return BOMB_HEAD + "        withItems:\n        -\n" + "\n".join(lines) + " 1\n" + BOMB_TAIL
    return BOMB_HEAD + f"        withItems: [{value}]\n" + BOMB_TAIL


REGEX_BOMB_PATTERNS = ["^(a+)+$", "(a|aa)+$", "(a|a?)+$", "(.*a){25}", "^(x+x+)+y$", "(\\\\w+\\\\s?)*$",
                       "([a-z]+)*[0-9]", "^(a|b|ab)*c$",
                       # not RE2: a clean parse error, as in Go
                       "(?=a)a", "(a)\\\\1", "(?<=a)b", "a{2000}{2000}", "[", "(?P<x>a"]


@st.composite
def regex_bombs(draw: Any) -> str:
    """Catastrophic-backtracking patterns (and patterns RE2 refuses) against long subjects, through govaluate
    `=~` in `when`, expr `matches`, and sprig's regex functions in `{{=...}}` (§ expression evaluation)."""
    pattern = draw(st.sampled_from(REGEX_BOMB_PATTERNS))
    subject = draw(st.sampled_from(["a", "x", "ab"])) * draw(st.integers(1, 20000)) + draw(st.sampled_from(["", "!", "y"]))
    quoted = pattern.replace("'", "")
    where = draw(st.sampled_from(["when", "matches", "sprig"]))
    head = BOMB_HEAD.replace("'{{item}}'", "'{{workflow.parameters.s}}'")
    args = f"spec:\n  arguments: {{parameters: [{{name: s, value: '{subject}'}}]}}\n"
    head = head.replace("spec:\n", args, 1)
    if where == "when":
        return head + f"        when: \"'{{{{workflow.parameters.s}}}}' =~ '{quoted}'\"\n" + BOMB_TAIL
    if where == "matches":
        return head + f"        when: \"{{{{=workflow.parameters.s matches '{quoted}'}}}}\"\n" + BOMB_TAIL
    func = draw(st.sampled_from(["regexMatch", "regexFindAll", "regexReplaceAll", "regexSplit"]))
    call = {"regexMatch": f"sprig.regexMatch('{quoted}', workflow.parameters.s)",
            "regexFindAll": f"sprig.regexFindAll('{quoted}', workflow.parameters.s, -1)",
            "regexReplaceAll": f"sprig.regexReplaceAll('{quoted}', workflow.parameters.s, 'b')",
            "regexSplit": f"sprig.regexSplit('{quoted}', workflow.parameters.s, -1)"}[func]
    return head.replace("value: '{{workflow.parameters.s}}'", f"value: \"{{{{={call}}}}}\"") + BOMB_TAIL


@st.composite
def expression_bombs(draw: Any) -> str:
    """Expressions that build huge values or loop long: sprig/expr amplifiers nested a few times."""
    n = draw(st.sampled_from([10, 1000, 10**6, 10**8, 10**12]))
    expr = draw(st.sampled_from([
        f"sprig.repeat({n}, 'abcdefgh')",
        f"sprig.repeat({n}, sprig.repeat({n}, 'x'))",
        f"len(sprig.until({n}))",
        f"len(sprig.untilStep(0, {n}, 1))",
        f"len(1..{n})",
        f"len(map(1..{n}, {{# * 2}}))",
        f"sum(filter(1..{n}, {{# % 7 == 0}}))",
        f"len(toJson(map(1..{min(n, 10**7)}, {{sprig.repeat(64, 'z')}})))",
        f"len(join(map(1..{min(n, 10**7)}, {{string(#)}}), ','))",
    ]))
    return BOMB_HEAD.replace("value: '{{item}}'", f"value: \"{{{{={expr}}}}}\"") + BOMB_TAIL


@st.composite
def template_depth_bombs(draw: Any) -> str:
    """A template that calls itself with no base case (through steps or a DAG, with or without a pod at each
    level), or a chain of distinct templates nested just under, at and past Argo's maximum stack depth (§ template
    depth: operator.go maxAllowedStackDepth)."""
    shape = draw(st.sampled_from(["steps", "dag"]))
    pod = draw(st.booleans())
    chain = draw(st.sampled_from([0, 98, 99, 100, 101, 150]))  # 0: self-recursion
    head = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: deep-}\nspec:\n" \
           "  entrypoint: t0\n  templates:\n"
    pod_tmpl = "  - name: leaf\n    container: {image: alpine, command: [echo, hi]}\n"

    def call(name: str, target: str) -> str:
        calls = [target] + (["leaf"] if pod else [])
        if shape == "steps":
            return f"  - name: {name}\n    steps:\n" + "".join(
                f"    - - {{name: c{i}, template: {c}}}\n" for i, c in enumerate(calls))
        return f"  - name: {name}\n    dag:\n      tasks:\n" + "".join(
            f"      - {{name: c{i}, template: {c}}}\n" for i, c in enumerate(calls))

    if chain == 0:
        return head + call("t0", "t0") + pod_tmpl
    return head + "".join(call(f"t{i}", f"t{i + 1}") for i in range(chain)) + \
        f"  - name: t{chain}\n    container: {{image: alpine, command: [echo, bottom]}}\n" + pod_tmpl


@st.composite
def oversize_values(draw: Any) -> str:
    """Values past the bounds a workflow value meets on its way: a huge argument, a huge `withItems` item, an
    output parameter past Argo's task-result limit (§5.4, 3 MiB), a huge generateName."""
    size = draw(st.sampled_from([1, 1024, 256 * 1024, 3 * 1024 * 1024 + 1, 6 * 1024 * 1024]))
    where = draw(st.sampled_from(["argument", "item", "output", "name"]))
    big = "x" * size
    if where == "argument":
        return BOMB_HEAD.replace("value: '{{item}}'", f"value: '{big}'") + BOMB_TAIL
    if where == "item":
        return BOMB_HEAD + f"        withItems: ['{big}']\n" + BOMB_TAIL
    if where == "name":
        return BOMB_HEAD.replace("generateName: bomb-", f"generateName: b{big[:min(size, 100000)]}-") + \
            "        withItems: [1]\n" + BOMB_TAIL
    return (BOMB_HEAD + "        withItems: [1]\n" + "  - name: echo\n    inputs: {parameters: [{name: m}]}\n"
            "    container: {image: alpine, command: [echo, '{{inputs.parameters.m}}']}\n"
            f"    outputs: {{parameters: [{{name: o, value: '{big}'}}]}}\n")


BOMBS = [alias_bombs(), depth_bombs(), regex_bombs(), expression_bombs(), template_depth_bombs(), oversize_values()]


def check_bomb_lint(text: str) -> str:
    return "bomb-lint:" + check_lint_cli(text.encode())


def check_bomb_run(text: str) -> str:
    return "bomb-run:" + check_run(text, None, support.FakeBackend())


# ---- the normal suite: a small sample --------------------------------------------------------------------
@_settings(60, derandomize=True)
@given(st.one_of(*BOMBS))
def test_bombs_are_refused_or_read_within_bounds_by_lint(text: str) -> None:
    STATS[check_bomb_lint(text)] += 1


@_settings(40, derandomize=True)
@given(st.one_of(*BOMBS))
def test_bombs_are_refused_or_run_within_bounds(text: str) -> None:
    STATS[check_bomb_run(text)] += 1


@_settings(400, derandomize=True)
@given(lint_inputs())
def test_lint_cli_never_crashes(data: bytes) -> None:
    STATS["lint:" + check_lint_cli(data)] += 1


@_settings(200, derandomize=True)
@given(workflow_inputs())
def test_run_never_crashes_with_a_fake_backend(case: tuple) -> None:
    text, params = case
    mode = MODES[zlib.crc32(text.encode("utf-8", "surrogatepass")) % 4]
    STATS["run:" + check_run(text, params, support.FakeBackend(mode))] += 1


def _quick_local_seeds() -> list[str]:
    """Seeds that run in well under a second on the local backend (no sleeps, no suspend, no randomness, no
    `parallelism: 0`, which waits forever as on Argo)."""
    return [s for s in support.SEEDS if not any(w in s for w in ("sleep", "suspend", "random", "coinflip",
                                                                    "{gate}", "backoff", "parallelism: 0"))]


LOCAL_SEEDS = _quick_local_seeds()


@_settings(12, derandomize=True)
@given(st.integers(0, len(LOCAL_SEEDS) - 1), st.dictionaries(st.text(min_size=1, max_size=6), support.PARAM_VALUES,
                                                            max_size=2), st.data())
def test_run_never_crashes_on_the_local_backend(index: int, params: dict[str, str], data: Any) -> None:
    docs = copy.deepcopy(list(support.SEED_DOCS[support.SEEDS.index(LOCAL_SEEDS[index])]))
    names = support.declared_parameter_names(docs[0]) if docs and isinstance(docs[0], dict) else []
    for name in names:  # random values for the declared parameters too: they reach real shell commands
        params[name] = data.draw(support.PARAM_VALUES)
    STATS["local:" + check_run(LOCAL_SEEDS[index], params, "local", wait=30)] += 1


CLI_SEEDS = [s for s in LOCAL_SEEDS if "kind: Workflow\n" in s]
PARAM_ITEMS = st.one_of(st.builds(lambda k, v: f"{k}={v}", st.text(min_size=1, max_size=6).filter(lambda k: "=" not in k),
                                  support.PARAM_VALUES.filter(lambda v: "\x00" not in v)),
                        st.sampled_from(["", "=", "=x", "novalue", "a==b", "message"]))


@pytest.fixture
def fake_backend_registered(monkeypatch):
    monkeypatch.setitem(BACKENDS, "fake", "tests.reliability.support:FakeBackend")


def check_run_cli(text: str, items: list[str], home: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wf.yaml"
        path.write_text(text)
        argv = ["run", str(path), "--backend", "fake", "--home", str(home), "-o", "json"]
        for item in items:
            argv += ["-p", item]
        out, err = io.StringIO(), io.StringIO()
        with support.TracebackCatcher() as caught, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(argv)
    assert not caught.records, caught.formatted()
    assert code in (0, 1, 2), code
    assert "Traceback" not in err.getvalue(), err.getvalue()
    if code == 2:  # invalid input: one located diagnostic or an `argonb: error:` line
        assert "error" in err.getvalue()
    else:
        assert json.loads(out.getvalue())["status"]["phase"] in ("Succeeded", "Failed", "Error")
    return str(code)


def test_run_cli_never_crashes_on_random_parameters(fake_backend_registered, tmp_path):
    @_settings(30, derandomize=True)
    @given(st.sampled_from(CLI_SEEDS), st.lists(PARAM_ITEMS, max_size=3))
    def fuzz(text: str, items: list[str]) -> None:
        STATS["cli:" + check_run_cli(text, items, tmp_path / "home")] += 1

    fuzz()


def test_known_crashers_are_now_located_diagnostics_or_run_errors():
    """Inputs the fuzzer found crashing argonb before the fixes (each raised or killed the run loop)."""
    head = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n"
    cases = [
        "",  # no runnable document: ARG010 had no location
        "kind: Workflow\nmetadata: -9.5\nspec: {entrypoint: main}\n",  # metadata not a mapping
        "kind: WorkflowTemplate\nmetadata: {name: [1, 2]}\nspec: 5\n",  # a list as a name; spec not a mapping
        head + "metadata: null\nspec: null\n",
        head + "metadata: null\nspec: {entrypoint: main, templates: [{name: main, container: {image: a}}]}\n",
        head + "metadata: {name: a}\nspec: {entrypoint: main, templates: [{name: main, container: {image: a},"
               " outputs: {parameters: [null]}}]}\n",
        head + "metadata: {name: a}\nspec: {entrypoint: main, templates: [null, {name: main, steps: [[null]]}]}\n",
        head + "metadata: {name: a}\nspec: {entrypoint: main, templates: [{name: main, steps: [[{name: s, "
               "template: w, withSequence: {count: '999999999999999'}}]]}, {name: w, container: {image: a}}]}\n",
        "kind: ConfigMap\nmetadata: {name: c}\ndata: [1]\n---\n" + head + "metadata: {name: b}\nspec: {entrypoint:"
        " main, templates: [{name: main, container: {image: a}}]}\n",
    ]
    for text in cases:
        check_run(text, None, support.FakeBackend())
    # a timer years away (a huge deadline or suspend) used to overflow the run loop's wait and kill its thread
    run = argonb.run(head + "metadata: {name: far}\nspec: {entrypoint: main, activeDeadlineSeconds: 99999999999999,"
                     " templates: [{name: main, suspend: {duration: 99999999999999h}}]}\n",
                     backend=support.FakeBackend())
    run.wait(0.5)
    assert not run.done and any(t.name == f"argonb-run-{run.name}" and t.is_alive() for t in threading.enumerate())
    run.terminate()
    assert run.wait(30).done and run.phase == "Failed"


# ---- nightly: ARGONB_FUZZ_EXAMPLES cases each --------------------------------------------------------------
nightly = pytest.mark.skipif(not NIGHTLY, reason="set ARGONB_FUZZ_EXAMPLES=10000 to run the nightly fuzz")


def _report(prefix: str) -> None:
    figures = {k: v for k, v in sorted(STATS.items()) if k.startswith(prefix)}
    print(f"\nfuzz {prefix} {sum(figures.values())} cases: {figures}")


@pytest.mark.slow
@pytest.mark.timeout(0)
@nightly
def test_nightly_lint_cli():
    given(lint_inputs())(_settings(NIGHTLY, derandomize=False)(lambda data: STATS.update(
        ["lint:" + check_lint_cli(data)])))()
    _report("lint:")


@pytest.mark.slow
@pytest.mark.timeout(0)
@nightly
def test_nightly_run_fake_backend():
    def one(case: tuple) -> None:
        text, params = case
        mode = MODES[zlib.crc32(text.encode("utf-8", "surrogatepass")) % 4]
        STATS["run:" + check_run(text, params, support.FakeBackend(mode))] += 1

    given(workflow_inputs())(_settings(NIGHTLY, derandomize=False)(one))()
    _report("run:")


@pytest.mark.slow
@pytest.mark.timeout(0)
@nightly
def test_nightly_bombs():
    def one(text: str) -> None:
        STATS[check_bomb_lint(text)] += 1
        STATS[check_bomb_run(text)] += 1

    given(st.one_of(*BOMBS))(_settings(max(100, NIGHTLY // 10), derandomize=False)(one))()
    _report("bomb-")


@pytest.mark.slow
@pytest.mark.timeout(0)
@nightly
def test_nightly_run_local_backend():
    def one(index: int, params: dict[str, str]) -> None:
        STATS["local:" + check_run(LOCAL_SEEDS[index], params, "local", wait=30)] += 1

    examples = max(50, NIGHTLY // 50)
    given(st.integers(0, len(LOCAL_SEEDS) - 1),
          st.dictionaries(st.sampled_from(["message", "msg", "app", "n", "x"]), support.PARAM_VALUES, max_size=3))(
        _settings(examples, derandomize=False)(one))()
    _report("local:")
