"""What the user sees when the (MOCK, tests/argo/fake_argo.py) Argo Server says no: auth, namespaces, base href,
validation errors mapped to YAML lines, connection problems, TLS; and that the token never shows."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from argonb.backends.argo import (
    ArgoAuthError,
    ArgoConfig,
    ArgoNotFound,
    ArgoRejected,
    ArgoUnavailable,
    connect,
    submit,
)
from argonb.backends.argo_errors import field_paths, resolve, split_errors
from argonb.errors import InvalidWorkflow
from argonb.spec.source import Source, parse
from tests.argo.conftest import HELLO, TOKEN
from tests.argo.fake_argo import FakeArgoServer

CRON = """apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
spec:
  schedules: ["0 0 * * *"]
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container:
        image: alpine
        command: [echo, hi]
"""


def rejecting(message: str, status: int = 400, kind: str = "Workflow"):
    return FakeArgoServer(token=TOKEN, reject=lambda k, obj: (status, message) if k == kind else None)


def refused(source, message: str, status: int = 400, kind: str = "Workflow", **kwargs) -> ArgoRejected:
    with rejecting(message, status, kind) as fake, pytest.raises(ArgoRejected) as info:
        submit(source, server=fake.url, token=TOKEN, follow=False, **kwargs)
    return info.value


def located(exc: ArgoRejected) -> list[tuple[int, int, str]]:
    return [(d.span.line, d.span.col, d.source_line.strip()) for d in exc.diagnostics if d.span]


def test_argo_validator_paths_point_at_the_yaml_line():
    exc = refused(HELLO, "templates.hello.container.image may not be empty")
    assert isinstance(exc, InvalidWorkflow) and exc.status == 400
    (diag,) = exc.diagnostics
    assert diag.code == "ARGO400"
    assert (diag.span.file, diag.span.line, diag.span.col) == ("<string>", 18, 7)
    assert diag.source_line.strip() == "image: alpine:3.19"
    assert "templates.hello.container.image may not be empty" in diag.message
    assert "^" in diag.format_with_source()


def test_kubernetes_paths_and_several_errors_in_one_message():
    exc = refused(HELLO, 'Workflow.argoproj.io "hello-x" is invalid: [spec.templates[1].container.command: '
                         'Invalid value: "x", spec.entrypoint: Required value]')
    assert located(exc) == [(19, 7, 'command: [echo, "hello {{workflow.parameters.who}}"]'),
                            (6, 3, "entrypoint: main")]


def test_steps_and_dag_tasks_are_found_by_name():
    exc = refused(HELLO, "templates.main.steps[0].hello.template 'nope' not found")
    assert located(exc) == [(15, 9, "template: hello")]
    dag = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: d-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - name: a
        template: t
      - name: b
        depends: a
        template: t
  - name: t
    container: {image: alpine, command: [echo]}
"""
    exc = refused(dag, "templates.main.tasks.b.depends invalid")
    assert located(exc) == [(13, 9, "depends: a")]


def test_cron_workflow_paths_map_into_workflow_spec():
    exc = refused(CRON, "spec.templates[0].container.image: Invalid value")
    assert located(exc) == [(12, 9, "image: alpine")]


def test_already_exists_points_at_the_name():
    fixed = HELLO.replace("generateName: hello-", "name: hello-fixed")
    with FakeArgoServer(token=TOKEN) as fake:
        submit(fixed, server=fake.url, token=TOKEN, follow=False)
        with pytest.raises(ArgoRejected) as info:
            submit(fixed, server=fake.url, token=TOKEN, follow=False)
    (diag,) = info.value.diagnostics
    assert diag.code == "ARGO409" and info.value.status == 409
    assert (diag.span.line, diag.source_line.strip()) == (4, "name: hello-fixed")
    assert "generateName" in diag.hint


def test_a_message_without_a_path_points_at_the_document():
    exc = refused(HELLO, "something went wrong")
    (diag,) = exc.diagnostics
    assert diag.span.line == 2 and "something went wrong" in diag.message


def test_a_rejected_template_points_into_the_template_document():
    source = """apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: shared
spec:
  templates:
  - name: say
    container:
      image: alpine
---
""" + HELLO
    exc = refused(source, "templates.say.container.image may not be empty", kind="WorkflowTemplate")
    (diag,) = exc.diagnostics
    assert "WorkflowTemplate shared" in diag.message
    assert (diag.span.line, diag.source_line.strip()) == (9, "image: alpine")


def test_template_not_found_points_at_the_reference():
    source = HELLO.replace("        template: hello\n", "        templateRef: {name: missing, template: x}\n")
    exc = refused(source, 'workflowtemplates.argoproj.io "missing" not found')
    (diag,) = exc.diagnostics
    assert diag.span.line == 15 and "templateRef" in diag.source_line
    assert "--templates" in diag.hint


def test_field_path_helpers():
    assert field_paths("templates.a.steps[0].b.template x") == [["templates", "a", "steps", 0, "b", "template"]]
    assert split_errors("plain") == ["plain"]
    (doc,) = parse(Source(HELLO))
    assert resolve(doc.data, ["templates", "hello", "container", "nosuch"]) == (
        ("spec", "templates", 1, "container"), 3)


def test_missing_token_is_401_with_a_hint_and_no_secret(fake):
    with pytest.raises(ArgoAuthError) as info:
        submit(HELLO, server=fake.url, follow=False)
    assert info.value.status == 401
    assert "ARGO_TOKEN" in str(info.value)


def test_wrong_token_is_401_and_never_echoed(fake, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ArgoAuthError) as info:
        submit(HELLO, server=fake.url, token="wrong-token-123", follow=False)
    assert "wrong-token-123" not in str(info.value)
    assert "expired" in str(info.value)
    assert "wrong-token-123" not in caplog.text


def test_forbidden_namespace_is_403():
    with FakeArgoServer(token=TOKEN, namespaces=("argo", "team"), forbidden=("team",)) as fake:
        with pytest.raises(ArgoAuthError) as info:
            submit(HELLO, server=fake.url, token=TOKEN, namespace="team", follow=False)
    assert info.value.status == 403
    assert "Role" in str(info.value) and "'team'" in str(info.value)


def test_unknown_namespace_is_404_naming_it(fake):
    with pytest.raises(ArgoNotFound) as info:
        submit(HELLO, server=fake.url, token=TOKEN, namespace="nope", follow=False)
    text = str(info.value)
    assert info.value.status == 404 and 'namespaces "nope" not found' in text and "--namespace" in text


def test_base_href_prefixes_every_path(monkeypatch):
    with FakeArgoServer(token=TOKEN, base_href="/argo") as fake:
        monkeypatch.setenv("ARGO_BASE_HREF", "/argo/")
        monkeypatch.setenv("ARGO_SECURE", "false")
        monkeypatch.setenv("ARGO_TOKEN", TOKEN)
        monkeypatch.setenv("ARGO_SERVER", f"127.0.0.1:{fake.port}")
        run = submit(HELLO).wait(10)
        assert run.phase == "Succeeded"
        assert fake.violations == []
        monkeypatch.delenv("ARGO_BASE_HREF")
        with pytest.raises(ArgoNotFound) as info:
            submit(HELLO, follow=False)
        assert "HTML page" in str(info.value) and "ARGO_BASE_HREF" in str(info.value)


def test_no_server_configured_and_nothing_listening():
    with pytest.raises(ArgoUnavailable) as info:
        submit(HELLO, follow=False)
    assert "ARGO_SERVER" in str(info.value)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ArgoUnavailable) as info:
        submit(HELLO, server=f"127.0.0.1:{port}", secure=False, follow=False)
    assert "cannot reach" in str(info.value) and str(port) in str(info.value)


def test_local_validation_happens_before_anything_is_sent(fake):
    with pytest.raises(InvalidWorkflow) as info:
        submit(HELLO.replace("entrypoint: main", "entrypoint: mian"), server=fake.url, token=TOKEN)
    assert info.value.diagnostics[0].span.line == 6
    assert fake.requests == []


def test_the_token_is_masked_everywhere(fake, connect, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    run = submit(HELLO, home=tmp_path, **connect).wait(10)
    client = connect_client(fake)
    texts = [repr(run), repr(client), repr(client.config), str(run.to_workflow()), caplog.text]
    assert all(TOKEN not in t for t in texts)
    assert "******" in repr(client.config)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes()
    assert client.config.redact(f"Authorization: Bearer {TOKEN}") == "Authorization: ******"


def connect_client(fake):
    return connect(fake.url, token=TOKEN)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a test certificate")
def test_tls_with_a_self_signed_certificate(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True, timeout=30)
    with FakeArgoServer(token=TOKEN) as fake:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        fake.httpd.socket = ctx.wrap_socket(fake.httpd.socket, server_side=True)
        server = f"127.0.0.1:{fake.port}"
        with pytest.raises(ArgoUnavailable) as info:
            submit(HELLO, server=server, token=TOKEN, follow=False)  # ARGO_SECURE defaults to true
        assert "ARGO_INSECURE_SKIP_VERIFY" in str(info.value)
        run = submit(HELLO, server=server, token=TOKEN, insecure_skip_verify=True).wait(10)
        assert run.phase == "Succeeded" and run.logs() == "hello: hello world\n"
        assert fake.violations == []


def test_plain_http_server_with_tls_client_gets_a_hint():
    with FakeArgoServer(token=TOKEN) as fake:
        with pytest.raises(ArgoUnavailable) as info:
            submit(HELLO, server=f"127.0.0.1:{fake.port}", token=TOKEN, follow=False)
    assert "ARGO_SECURE=false" in str(info.value)


def test_config_from_environment(monkeypatch):
    env = {"ARGO_SERVER": "argo.example.com:443", "ARGO_TOKEN": "Bearer abc.def", "ARGO_NAMESPACE": "ml",
           "ARGO_BASE_HREF": "/argo/", "ARGO_INSECURE_SKIP_VERIFY": "true"}
    cfg = ArgoConfig.from_env(env=env)
    assert cfg.base_url == "https://argo.example.com:443/argo"
    assert cfg.namespace == "ml" and cfg.insecure_skip_verify
    assert cfg.authorization == "Bearer abc.def"
    assert "abc.def" not in repr(cfg)
    cfg = ArgoConfig.from_env(env={"ARGO_SERVER": "localhost:2746", "ARGO_SECURE": "false", "ARGO_TOKEN": "raw"})
    assert cfg.base_url == "http://localhost:2746" and cfg.namespace == "argo"
    assert cfg.authorization == "Bearer raw"
    cfg = ArgoConfig.from_env("http://127.0.0.1:9/base", env={"ARGO_SECURE": "true"})
    assert cfg.base_url == "http://127.0.0.1:9/base" and cfg.authorization == ""
    explicit = ArgoConfig.from_env("h:1", "ns", "tok", secure=False, env={"ARGO_SERVER": "other:2"})
    assert (explicit.base_url, explicit.namespace, explicit.token) == ("http://h:1", "ns", "tok")
    with pytest.raises(ArgoUnavailable):
        ArgoConfig.from_env("ftp://x", env={})


def test_follower_threads_end(fake, connect):
    run = submit(HELLO, **connect).wait(10)
    for t in run._threads:
        t.join(5)
        assert not t.is_alive()
    assert not [t for t in threading.enumerate() if t.name.startswith(f"argonb-argo-logs-{run.name}")]
