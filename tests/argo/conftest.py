"""Fixtures for the Argo Server contract tests: a MOCK Argo Server on loopback (see fake_argo.py)."""

from __future__ import annotations

import pytest

from tests.argo.fake_argo import FakeArgoServer

TOKEN = "s3cr3t-t0ken-value"

HELLO = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: who
      value: world
  templates:
  - name: main
    steps:
    - - name: hello
        template: hello
  - name: hello
    container:
      image: alpine:3.19
      command: [echo, "hello {{workflow.parameters.who}}"]
"""


@pytest.fixture(autouse=True)
def _no_argo_env(monkeypatch):
    """Tests never read the developer's ARGO_* settings."""
    for var in ("ARGO_SERVER", "ARGO_NAMESPACE", "ARGO_TOKEN", "ARGO_SECURE", "ARGO_INSECURE_SKIP_VERIFY",
                "ARGO_BASE_HREF"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def fake():
    with FakeArgoServer(token=TOKEN) as server:
        yield server
        assert server.violations == [], server.violations


@pytest.fixture
def connect(fake):
    """Connection keyword arguments for `submit` against the mock server."""
    return {"server": fake.url, "token": TOKEN, "poll_interval": 0.02}
