"""Lint stays fast: a 10,000-task DAG (budget well under 1 s on a dev machine; CI bound is looser) and no
hera/pydantic import once the field table is cached."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from argonb.spec.lint import lint
from argonb.spec.schema import field_table

ROOT = Path(__file__).resolve().parents[2]


def big_dag(n: int) -> str:
    lines = ["apiVersion: argoproj.io/v1alpha1", "kind: Workflow", "metadata: {generateName: big-}", "spec:",
             "  entrypoint: main", "  templates:", "  - name: main", "    dag:", "      tasks:"]
    for i in range(n):
        lines += [f"      - name: t{i}", "        template: echo"]
        if i:
            lines += [f"        depends: t{i - 1}",
                      f"        arguments: {{parameters: [{{name: msg, value: '{{{{tasks.t{i - 1}.outputs.result}}}}'}}]}}"]
        else:
            lines += ["        arguments: {parameters: [{name: msg, value: hi}]}"]
    lines += ["  - name: echo", "    inputs: {parameters: [{name: msg}]}",
              "    container: {image: busybox, command: [echo, '{{inputs.parameters.msg}}']}"]
    return "\n".join(lines) + "\n"


def test_ten_thousand_task_dag() -> None:
    text = big_dag(10_000)
    field_table()
    start = time.perf_counter()
    diags = lint(text)
    elapsed = time.perf_counter() - start
    assert diags == []
    assert elapsed < 5.0, elapsed  # ~0.45 s here; generous for slow CI machines


def test_cold_lint_does_not_import_hera() -> None:
    field_table()  # make sure the cache exists
    code = ("import sys; from argonb.spec.lint import lint; "
            "lint('apiVersion: argoproj.io/v1alpha1\\nkind: Workflow\\nmetadata: {name: a}\\nspec:\\n"
            "  entrypoint: m\\n  templates: [{name: m, suspend: {}}]\\n'); "
            "print(sorted(m for m in ('hera', 'pydantic') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The first process may have to build the cache (field_table() above can be memoised from another test
    # that used a different cache dir); the second must find it and import neither package.
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
