"""Issue 17: the backend registry names every backend `--backend` / `backend=` accepts, `argo` included; `argo`
(a whole-workflow backend) is started through `argonb.run`, the facade above the engine."""

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
