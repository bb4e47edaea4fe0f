"""Daemons, sidecars and init containers on the local backend (ARGO-SEMANTICS §5.10)."""

from __future__ import annotations

from tests.engine.helpers import by_display, run_yaml

DAEMON = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: daemon}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - name: client
        template: client
        arguments: {parameters: [{name: ip, value: "{{steps.server.ip}}"}]}
  - name: server
    daemon: true
    container:
      image: python:alpine3.23
      command: [python, -m, http.server, "18931", --bind, 127.0.0.1]
      readinessProbe:
        httpGet: {path: /, port: 18931}
        periodSeconds: 1
  - name: client
    inputs: {parameters: [{name: ip}]}
    script:
      image: python:alpine3.23
      command: [python]
      source: |
        import urllib.request
        print(urllib.request.urlopen("http://{{inputs.parameters.ip}}:18931/").status)
"""


def test_daemon_is_fulfilled_when_ready_then_killed_and_succeeded_s5_10():
    run = run_yaml(DAEMON)
    nodes = by_display(run)
    assert run.phase == "Succeeded", run.message
    assert nodes["client"]["outputs"]["result"] == "200"
    assert nodes["server"]["phase"] == "Succeeded"  # killed when the steps node ended
    assert nodes["server"].get("daemoned") is True


SIDECAR = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: sidecar}
spec:
  entrypoint: main
  templates:
  - name: main
    initContainers:
    - {name: prepare, image: alpine, command: [sh, -c, "echo ready > /tmp/init-done"]}
    sidecars:
    - {name: side, image: python:alpine3.23, command: [python, -m, http.server, "18932", --bind, 127.0.0.1]}
    script:
      image: python:alpine3.23
      command: [python]
      source: |
        import time, urllib.request
        print(open("/tmp/init-done").read().strip())
        for _ in range(100):
            try:
                print(urllib.request.urlopen("http://127.0.0.1:18932/").status)
                break
            except OSError:
                time.sleep(0.1)
"""


def test_sidecar_shares_network_and_is_killed_after_main_init_runs_first_s5_10():
    run = run_yaml(SIDECAR)
    assert run.phase == "Succeeded", run.message
    assert by_display(run)["sidecar"]["outputs"]["result"] == "ready\n200"


def test_failing_init_container_fails_the_pod():
    run = run_yaml(SIDECAR.replace('echo ready > /tmp/init-done', 'exit 3'))
    assert run.phase == "Failed"
    assert by_display(run)["sidecar"]["message"] == "prepare: Error (exit code 3)"


CONTAINER_SET = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: cset}
spec:
  entrypoint: main
  templates:
  - name: main
    volumes:
    - {name: workspace, emptyDir: {}}
    containerSet:
      volumeMounts:
      - {name: workspace, mountPath: /workspace}
      containers:
      - {name: a, image: alpine, command: [sh, -c, "echo a >> /workspace/msg"]}
      - {name: b, image: alpine, command: [sh, -c, "echo b >> /workspace/msg"], dependencies: [a]}
      - {name: main, image: alpine, command: [sh, -c, "cat /workspace/msg"], dependencies: [b]}
    outputs:
      parameters:
      - {name: msg, valueFrom: {path: /workspace/msg}}
"""


def test_container_set_runs_in_dependency_order_with_container_nodes_s5_6():
    run = run_yaml(CONTAINER_SET)
    assert run.phase == "Succeeded", run.message
    nodes = by_display(run)
    pod = nodes["cset"]
    assert pod["type"] == "Pod"
    assert [nodes[c]["type"] for c in "ab"] == ["Container", "Container"]
    assert pod["outputs"]["result"] == "a\nb"
    assert pod["outputs"]["parameters"][0]["value"] == "a\nb"
    assert nodes["b"]["id"] in nodes["a"]["children"]
    assert run.logs("main").strip() == "a\nb"


def test_container_set_failed_dependency_stops_dependents_s5_6():
    run = run_yaml(CONTAINER_SET.replace('"echo b >> /workspace/msg"', '"exit 4"'))
    assert run.phase == "Failed"
    nodes = by_display(run)
    assert nodes["b"]["phase"] == "Failed"
    assert nodes["main"]["phase"] == "Failed"
