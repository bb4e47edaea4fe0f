"""Bounds on one expression evaluation (§4.4): expr-lang's own memory budget, argonb's bounds on the
rest (value size, process growth, steps, time) and interruption by stop / Ctrl-C."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from argonb.expr import ExprError, evaluate, get_func_map
from tests.engine.helpers import by_display, run_yaml

_REPO = Path(__file__).resolve().parents[2]

# Expected values from expr-lang itself (v1.17.8, Argo's version, + 3 commits) (expr.Compile + expr.Run, as Argo calls them):
# vm/vm.go memGrow panics "memory budget exceeded" once conf.DefaultMemoryBudget (1e6) is reached,
# charged by ranges, array/map literals, map/filter results, sortBy and the Safe builtins.
_BUDGET = "memory budget exceeded"
EXPR_MEMORY_BUDGET_CASES = [
    ("len(1..999999)", 999999), ("len(1..1000000)", _BUDGET),
    ("len(map(1..499999, #))", 499999), ("len(map(1..500000, #))", _BUDGET),
    ("len(filter(1..999998, true))", _BUDGET),
    ("len(repeat('ab', 499999))", 999998), ("len(repeat('ab', 500000))", _BUDGET), ("len(repeat('a', 1000001))", _BUDGET),
    ("len(map(1..1000, [#, #]))", 1000), ("len(map(1..400000, [#]))", _BUDGET),
    ("len(sortBy(1..499999, #))", 499999), ("len(reverse(1..499999))", 499999), ("len(reverse(1..500000))", _BUDGET),
    ("len(concat(1..300000, 1..300000))", _BUDGET), ("len(flatten([1..300000, 1..300000]))", _BUDGET),
    ("len(sort(1..500000))", _BUDGET), ("len(reduce(1..100000, #acc + 'xx', ''))", 200000),
    ("all(1..999999, all(1..999999, true))", _BUDGET),
]


@pytest.mark.parametrize(("source", "expected"), EXPR_MEMORY_BUDGET_CASES)
def test_expr_lang_memory_budget_is_argos_s4_4(source: str, expected: object) -> None:
    try:
        got: object = evaluate(source, {})
    except ExprError as exc:
        got = str(exc)
    assert got == expected


# sprig has no bound in Go: these reached 1.8-5.6 GB within 60 s in argonb
BOMBS = [
    "sprig.repeat(1000000000, 'x')",
    "sprig.until(100000000)",
    "sprig.untilStep(0, 100000000, 1)",
    "sprig.seq(100000000)",
    "sprig.randAlpha(1000000000)",
    "sprig.indent(100000000, 'a\\nb')",
    "sprig.replace('a', sprig.repeat(1000000, 'b'), sprig.repeat(1000000, 'a'))",
    "sprig.splitList('', sprig.repeat(20000000, 'a'))",
    "toJSON(map(1..900000, sprig.repeat(1000000, 'x')))",
    "sprig.join(',', map(1..1000, sprig.repeat(10000000, 'x')))",
    "map(1..100000, sprig.repeat(100000, 'x' + string(#)))",
    "reduce(1..40, #acc + #acc, 'xx')",
    "sprig.toJson(sprig.list(sprig.repeat(20000000, 'x'), sprig.repeat(20000000, 'x')))",
    "sprig.cat(sprig.repeat(20000000, 'x'), sprig.repeat(20000000, 'x'))",
]


def test_expression_bombs_are_refused_with_bounded_memory() -> None:
    """Every bomb ends in an ExprError naming the bound, its variable and the expression, in well under
    the time bound, and the whole child process stays under 600 MB."""
    code = textwrap.dedent("""
        import json, resource, sys, time
        from argonb.expr import ExprError, evaluate, get_func_map
        env = get_func_map({})
        out = []
        for source in json.loads(sys.argv[1]):
            start = time.monotonic()
            try:
                evaluate(source, env)
                out.append(["no error", 0])
            except ExprError as exc:
                out.append([str(exc), time.monotonic() - start])
        # VmHWM, not ru_maxrss: Linux carries the parent's peak over exec into ru_maxrss (pytest's size, not ours)
        rss = int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) * 1024
        print(json.dumps({"out": out, "rss": rss}))
    """)
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(BOMBS)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(_REPO)}, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    for source, (message, seconds) in zip(BOMBS, result["out"], strict=True):
        assert "ARGONB_EXPR_" in message, (source, message)
        assert "in expression" in message and source.split("\\")[0][:30] in message, (source, message)
        assert seconds < 20, (source, seconds)
    assert result["rss"] < 500 << 20


def test_step_bound_and_its_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGONB_EXPR_MAX_STEPS", "1000")
    with pytest.raises(ExprError, match=r"more than 1000 steps \(argonb's bound, ARGONB_EXPR_MAX_STEPS\)"):
        evaluate("all(1..5000, true)", {})
    assert evaluate("all(1..500, true)", {}) is True


def test_time_bound_ends_a_slow_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGONB_EXPR_MAX_SECONDS", "1")
    start = time.monotonic()
    with pytest.raises(ExprError, match=r"longer than 1 s \(argonb's bound, ARGONB_EXPR_MAX_SECONDS\)"):
        evaluate("all(1..999, all(1..999, 'ab' + 'c' == 'abc'))", get_func_map({}))
    assert time.monotonic() - start < 10


def test_an_interrupt_switch_ends_the_evaluation() -> None:
    """The run loop installs its stop switch (limits.set_interrupt); a set switch ends the loop."""
    from argonb.expr import limits

    limits.set_interrupt(lambda: True)
    try:
        with pytest.raises(ExprError, match="evaluation interrupted: the run is stopping"):
            evaluate("all(1..999, all(1..999, true))", {})
    finally:
        limits.set_interrupt(None)


def test_a_node_whose_expression_is_a_bomb_ends_in_error_naming_it() -> None:
    run = run_yaml("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: expr-bomb}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: big, template: say, arguments: {parameters: [{name: msg, value: "{{=sprig.repeat(1000000000, 'x')}}"}]}}
          - name: say
            inputs: {parameters: [{name: msg}]}
            container: {image: alpine, command: [echo, "{{inputs.parameters.msg}}"]}
    """, timeout=60)
    assert run.phase in ("Error", "Failed")
    messages = " ".join(str(n.get("message", "")) for n in by_display(run).values()) + " " + str(run.message)
    assert "ARGONB_EXPR_MAX_VALUE_BYTES" in messages and "sprig.repeat(1000000000" in messages


def test_stop_interrupts_an_expression_being_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    """`Run.stop()` (what Ctrl-C and `argonb stop` call) reaches an evaluation in progress on the run loop."""
    import argonb

    monkeypatch.setenv("ARGONB_EXPR_MAX_SECONDS", "600")
    monkeypatch.setenv("ARGONB_EXPR_MAX_STEPS", "1000000000")
    handle = argonb.run(textwrap.dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: expr-slow}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: slow, template: say, arguments: {parameters: [{name: msg, value: "{{=all(1..999, all(1..999, all(1..999, true)))}}"}]}}
          - name: say
            inputs: {parameters: [{name: msg}]}
            container: {image: alpine, command: [echo, "{{inputs.parameters.msg}}"]}
    """))
    time.sleep(1.0)   # the loop is inside the evaluation now (it would take minutes)
    started = time.monotonic()
    stopper = threading.Thread(target=handle.stop)
    stopper.start()
    handle.wait(30)
    stopper.join(5)
    assert handle.done, "the run did not end after stop"
    assert time.monotonic() - started < 15
