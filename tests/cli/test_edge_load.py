"""Issue 17 at the CLI: `argonb run` loads the file once; the backend registry names every backend `--backend` /
`backend=` accepts, `argo` included (a whole-workflow backend, started through `argonb.run`, the facade)."""

from __future__ import annotations

import pytest

import argonb
from argonb.cli.main import main
from argonb.engine.backend import BackendUnavailable, get_backend

HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  templates:
    - name: main
      container: {image: alpine, command: [echo, hi]}
"""


def test_issue17_an_unknown_backend_lists_argo_too():
    with pytest.raises(BackendUnavailable) as info:
        argonb.run(HELLO, backend="nope")
    assert str(info.value) == "unknown backend 'nope'; available: argo, docker, local"


def test_issue17_argo_as_a_pod_backend_says_where_it_runs():
    with pytest.raises(BackendUnavailable, match=r"runs whole workflows, not pods: start it with argonb\.run"):
        get_backend("argo")


def test_issue17_cli_unknown_backend_is_one_line_naming_argo(tmp_path, capsys):
    path = tmp_path / "wf.yaml"
    path.write_text(HELLO)
    code = main(["run", str(path), "--backend", "nope"])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert "unknown backend 'nope'; available: argo, docker, local" in err and len(err.strip().splitlines()) == 1


def test_issue17_argonb_run_parses_and_lints_the_file_once(tmp_path, monkeypatch, capsys):
    from tests.loadcount import count_loads

    path = tmp_path / "wf.yaml"
    path.write_text(HELLO)
    counts = count_loads(monkeypatch)
    assert main(["run", str(path)]) == 0
    assert "Succeeded" in capsys.readouterr().out
    assert counts == {"parse": 1, "lint": 1}
