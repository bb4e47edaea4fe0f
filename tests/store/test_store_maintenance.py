"""Run references, delete and gc (with outputs that later runs reused)."""

from __future__ import annotations

import sqlite3
import textwrap
import time
from pathlib import Path

import pytest

from argonb.store import AmbiguousRun, RunNotFound, open_store, resume_edited, run_recorded

TINY = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {{name: {name}}}
    spec:
      entrypoint: main
      templates:
      - name: main
        container: {{image: alpine, command: [sh, -c, "echo {name}"]}}
    """)

ARTIFACTS = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {{generateName: art-}}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {{name: make, template: make}}
        - - name: use
            template: use
            arguments: {{artifacts: [{{name: f, from: "{{{{steps.make.outputs.artifacts.f}}}}"}}]}}
      - name: make
        script:
          image: python
          command: [python]
          source: "import random; open('/tmp/f.txt', 'w').write(str(random.random())); print('made')"
        outputs: {{artifacts: [{{name: f, path: /tmp/f.txt}}]}}
      - name: use
        inputs: {{artifacts: [{{name: f, path: /tmp/in.txt}}]}}
        container: {{image: alpine, command: [sh, -c, "cat /tmp/in.txt; echo {tag}"]}}
    """)


def test_references_by_name_prefix_and_latest(home: Path) -> None:
    for name in ("alpha-1", "alpha-2", "beta"):
        run_recorded(TINY.format(name=name), wait=True)
    with open_store() as store:
        assert store.get_run("beta").name == "beta"
        assert store.get_run("be").name == "beta"
        assert store.get_run("alpha-2").name == "alpha-2"
        assert store.get_run("@latest").name == "beta"
        with pytest.raises(AmbiguousRun, match="alpha-1, alpha-2"):
            store.get_run("alpha")
        with pytest.raises(RunNotFound):
            store.get_run("gamma")
        with pytest.raises(RunNotFound):
            store.get_run("alpha_")  # LIKE wildcards are literal


def test_same_fixed_name_replaces_the_finished_run(home: Path) -> None:
    first = run_recorded(TINY.format(name="again"), wait=True)
    second = run_recorded(TINY.format(name="again"), wait=True)
    with open_store() as store:
        runs = store.list_runs()
        assert [r.name for r in runs] == ["again"] and runs[0].uid == second.uid != first.uid


def test_delete_keeps_what_a_resumed_run_reused(home: Path) -> None:
    first = run_recorded(ARTIFACTS.format(tag="v1"), wait=True)
    second = resume_edited(ARTIFACTS.format(tag="v2"), first.name, wait=True)
    assert second.phase == "Succeeded"
    store = open_store()
    make = next(r for r in store.node_rows(second.name) if r["status"]["displayName"] == "make")
    artifact = home / "artifacts" / make["status"]["outputs"]["artifacts"][0]["s3"]["key"]
    own_artifacts = home / "artifacts" / first.name
    store.delete(first.name)
    assert not (home / "runs" / first.name).exists()
    assert artifact.exists()  # second still points at it
    make = next(r for r in store.node_rows(second.name) if r["status"]["displayName"] == "make")
    assert make["log"].startswith(str(home / "runs" / second.name)) and Path(make["log"]).read_text() == "made\n"
    assert [p for p in own_artifacts.rglob("*") if p.is_file()] == [artifact]
    store.delete(second.name)
    assert not own_artifacts.exists() and store.list_runs() == []


def test_gc_deletes_only_runs_finished_long_ago(home: Path) -> None:
    for name in ("old", "new"):
        run_recorded(TINY.format(name=name), wait=True)
    with open_store() as store:
        conn = sqlite3.connect(store.db)
        conn.execute("UPDATE runs SET finished=? WHERE name='old'", (time.time() - 8 * 86400,))
        conn.commit()
        assert store.gc(7 * 86400) == ["old"]
        assert [r.name for r in store.list_runs()] == ["new"]
        assert not (home / "runs" / "old").exists() and (home / "runs" / "new").exists()
