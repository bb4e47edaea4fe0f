"""Docker backend behaviour against a real engine: availability messages, image policy, cancel/deadline cleanup,
labels, streaming, OOM, securityContext, resources, volumes, leftovers, CLI selection."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import argonb
from argonb.backends.docker import (
    LABEL_NODE,
    LABEL_PID,
    LABEL_POD,
    LABEL_RUN,
    DockerBackend,
    cleanup_leftovers,
    parse_quantity,
)
from argonb.engine.backend import BackendUnavailable, PodRequest, get_backend
from tests.docker.conftest import argonb_containers

REPO = Path(__file__).resolve().parents[2]


def run_yaml(text: str, timeout: float = 60, **options):
    handle = argonb.run(textwrap.dedent(text), backend="docker", **options)
    handle.wait(timeout)
    assert handle.done, f"run did not finish in {timeout}s: {handle.phase}"
    return handle


def by_display(handle) -> dict:
    return {n["displayName"]: n for n in handle.nodes.values()}


def pod_request(tmp_path: Path, **fields) -> PodRequest:
    base = dict(node_id="n-1", node_name="direct", pod_name="direct-pod", template_name="t", image="busybox",
                command=None, args=None, env={}, pod_dir=tmp_path / "pod", root=tmp_path / "pod" / "root",
                run_id="direct-run")
    base.update(fields)
    return PodRequest(**base)


def wait_for(predicate, timeout: float = 20, interval: float = 0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


# ---- availability ---------------------------------------------------------------------------------------
def test_check_passes_and_registry_knows_docker():
    assert DockerBackend().check() is None
    assert get_backend("docker").name == "docker"


def test_unreachable_engine_is_reported_in_milliseconds(monkeypatch, tmp_path):
    monkeypatch.setenv("ARGONB_DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    start = time.perf_counter()
    problem = DockerBackend().check()
    elapsed = time.perf_counter() - start
    assert problem and "cannot reach a Docker engine" in problem and "no-such.sock" in problem
    assert elapsed < 0.5, elapsed
    with pytest.raises(BackendUnavailable, match="cannot reach"):
        argonb.run("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\nspec:\n  entrypoint: m\n"
                   "  templates:\n  - name: m\n    container: {image: busybox, command: [echo]}\n", backend="docker")


def test_missing_sdk_gives_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "docker", None)  # `import docker` raises ImportError
    problem = DockerBackend().check()
    assert problem and "pip install 'argonb[docker]'" in problem


# ---- images -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", ["", "IfNotPresent", "Never", "Always"])
def test_missing_image_is_a_fast_clear_error(policy):
    pull = f"imagePullPolicy: {policy}" if policy else ""
    start = time.time()
    handle = run_yaml(f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{generateName: missing-image-}}
        spec:
          entrypoint: main
          templates:
          - name: main
            container:
              image: argonb-test/no-such-image:1.0
              {pull}
              command: [echo, hi]
        """, timeout=20)
    node = by_display(handle)[handle.name]
    assert node["phase"] == "Error"
    assert "argonb-test/no-such-image:1.0" in node["message"]
    assert "not present" in node["message"]
    assert time.time() - start < 3


def test_existing_image_with_never_policy_runs():
    handle = run_yaml("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: never-policy-}
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: busybox, imagePullPolicy: Never, command: [echo, present]}
        """)
    assert handle.phase == "Succeeded"
    assert by_display(handle)[handle.name]["outputs"]["result"] == "present"


# ---- cancel, deadline, labels ------------------------------------------------------------------------
SLEEPER = """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: sleeper-}
    spec:
      entrypoint: main
      templates:
      - name: main
        container:
          image: busybox
          command: [sh, -c, "echo started; sleep 120"]
    """


@pytest.mark.parametrize("how", ["stop", "terminate"])
def test_cancel_stops_and_removes_the_container(docker_client, how):
    handle = argonb.run(textwrap.dedent(SLEEPER), backend="docker")
    try:
        (container,) = wait_for(lambda: argonb_containers(docker_client, handle.name))
        wait_for(lambda: "started" in handle.logs(handle.name))
        start = time.time()
        getattr(handle, how)()
        handle.wait(20)
        assert handle.done and time.time() - start < 10
        node = by_display(handle)[handle.name]
        assert node["phase"] == "Failed"
        assert node["outputs"]["exitCode"] in ("143", "137")
        assert not argonb_containers(docker_client, handle.name)
        import docker

        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(container["Id"])
    finally:
        if not handle.done:
            handle.terminate()
            handle.wait(20)


def test_deadline_kills_and_removes_the_container(docker_client):
    start = time.time()
    handle = run_yaml("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: deadline-}
        spec:
          entrypoint: main
          templates:
          - name: main
            activeDeadlineSeconds: 1
            container: {image: busybox, command: [sleep, "120"]}
        """, timeout=30)
    node = by_display(handle)[handle.name]
    assert node["phase"] == "Failed"
    assert node["message"] == "Pod was active on the node longer than the specified deadline"
    assert time.time() - start < 8
    assert not argonb_containers(docker_client, handle.name)


def test_labels_carry_run_and_node(docker_client):
    handle = argonb.run(textwrap.dedent(SLEEPER), backend="docker")
    try:
        (container,) = wait_for(lambda: argonb_containers(docker_client, handle.name))
        node = by_display(handle)[handle.name]
        labels = container["Labels"]
        assert labels[LABEL_RUN] == handle.name
        assert labels[LABEL_NODE] == node["id"]
        assert labels[LABEL_POD] == node["podName"]
        assert labels[LABEL_PID] == str(os.getpid())
    finally:
        handle.terminate()
        handle.wait(20)


def test_cleanup_leftovers_removes_orphans_only_when_asked(docker_client):
    labels = {LABEL_RUN: "leftover-run", LABEL_NODE: "n", LABEL_POD: "p", LABEL_PID: "999999999"}
    from argonb.backends.docker import LABEL_HOST, _machine

    labels[LABEL_HOST] = _machine()
    orphan = docker_client.containers.create("busybox", ["sleep", "60"], labels=labels, network_disabled=True)
    mine = docker_client.containers.create("busybox", ["sleep", "60"], network_disabled=True,
                                           labels={**labels, LABEL_RUN: "live-run", LABEL_PID: str(os.getpid())})
    try:
        removed = cleanup_leftovers(orphans_only=True)
        assert orphan.name in removed and mine.name not in removed
        assert cleanup_leftovers("live-run") == [mine.name]
        assert not argonb_containers(docker_client)
    finally:
        for c in (orphan, mine):
            try:
                c.remove(force=True)
            except Exception:
                pass


# ---- streaming and results ------------------------------------------------------------------------------
def test_logs_stream_live_and_streams_stay_apart(tmp_path):
    lines: list[tuple[float, str, str]] = []
    request = pod_request(tmp_path, command=["sh", "-c"],
                          args=["echo first; echo oops >&2; sleep 1.5; echo second"])
    start = time.time()
    result = DockerBackend().run(request, lambda s, line: lines.append((time.time() - start, s, line)),
                                 threading.Event())
    total = time.time() - start
    assert result.exit_code == 0 and not result.error
    first = next(t for t, s, line in lines if line == "first")
    assert first < total - 1.0, "the first line arrived only at the end"
    assert [(s, line) for _, s, line in lines if s == "stderr"] == [("stderr", "oops")]
    assert result.stdout_tail == b"first\nsecond\n"
    assert (request.pod_dir / "stdout.log").read_text() == "first\nsecond\n"
    assert (request.pod_dir / "stderr.log").read_text() == "oops\n"
    assert sorted((request.pod_dir / "main.log").read_text().split()) == ["first", "oops", "second"]


def test_missing_executable_is_an_error(tmp_path):
    result = DockerBackend().run(pod_request(tmp_path, command=["no-such-program"]), lambda s, line: None,
                                 threading.Event())
    assert result.exit_code is None
    assert "no-such-program" in result.error and "not found" in result.error


def test_oom_killed_gets_argos_message():
    handle = run_yaml("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: oom-}
        spec:
          entrypoint: main
          templates:
          - name: main
            script:
              image: python:3.11
              command: [python3]
              resources:
                limits: {memory: 24Mi}
              source: |
                chunks = []
                while True:
                    chunks.append(bytearray(8 * 1024 * 1024))
        """)
    node = by_display(handle)[handle.name]
    assert node["phase"] == "Failed"
    assert node["message"] == "main: OOMKilled (exit code 137)"
    assert node["outputs"]["exitCode"] == "137"


def test_resources_map_to_docker_limits(docker_client, tmp_path):
    request = pod_request(tmp_path, command=["sleep", "30"],
                          resources={"limits": {"memory": "64Mi", "cpu": "500m"}, "requests": {"cpu": "250m"}})
    cancel = threading.Event()
    thread = threading.Thread(target=DockerBackend().run, args=(request, lambda s, line: None, cancel))
    thread.start()
    try:
        (container,) = wait_for(lambda: argonb_containers(docker_client, "direct-run"))
        host = docker_client.api.inspect_container(container["Id"])["HostConfig"]
        assert host["Memory"] == 64 * 1024 * 1024
        assert host["MemorySwap"] == 64 * 1024 * 1024
        assert host["NanoCpus"] == 500_000_000
        assert host["CpuShares"] == 256
    finally:
        cancel.set()
        thread.join(20)


def test_parse_quantity():
    assert parse_quantity("64Mi") == 64 * 2 ** 20
    assert parse_quantity("1G") == 1e9
    assert parse_quantity("500m") == 0.5
    assert parse_quantity("2") == 2
    assert parse_quantity("1.5Gi") == 1.5 * 2 ** 30
    with pytest.raises(ValueError):
        parse_quantity("lots")


# ---- securityContext and volumes -----------------------------------------------------------------------
def test_run_as_user_and_outputs_still_collected():
    handle = run_yaml("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: run-as-user-}
        spec:
          entrypoint: main
          securityContext: {runAsUser: 1000}
          templates:
          - name: main
            container:
              image: busybox
              securityContext: {runAsGroup: 3000}
              command: [sh, -c, "id -u; id -g; echo written > /tmp/out/value.txt"]
            outputs:
              parameters:
              - name: v
                valueFrom: {path: /tmp/out/value.txt}
        """)
    node = by_display(handle)[handle.name]
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "1000\n3000"
    assert node["outputs"]["parameters"][0]["value"] == "written"


def test_run_as_non_root_refuses_a_root_image():
    handle = run_yaml("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: non-root-}
        spec:
          entrypoint: main
          templates:
          - name: main
            container:
              image: busybox
              securityContext: {runAsNonRoot: true}
              command: [echo]
        """)
    node = by_display(handle)[handle.name]
    assert node["phase"] == "Error" and "runAsNonRoot" in node["message"]


def test_host_path_volume_reads_and_writes_the_host(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in.txt").write_text("from host\n")
    handle = run_yaml(f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{generateName: host-path-}}
        spec:
          entrypoint: main
          volumes:
          - name: shared
            hostPath: {{path: {shared}, type: Directory}}
          - name: ro
            hostPath: {{path: {shared}}}
          templates:
          - name: main
            container:
              image: alpine:3.23
              command: [sh, -c, "cat /data/in.txt; echo from container > /data/out.txt; touch /ro/x || echo read-only"]
              volumeMounts:
              - {{name: shared, mountPath: /data}}
              - {{name: ro, mountPath: /ro, readOnly: true}}
        """)
    node = by_display(handle)[handle.name]
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "from host\nread-only"
    assert (shared / "out.txt").read_text() == "from container\n"
    assert not (shared / "x").exists()


def test_read_only_root_filesystem():
    handle = run_yaml("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: read-only-}
        spec:
          entrypoint: main
          templates:
          - name: main
            container:
              image: busybox
              securityContext: {readOnlyRootFilesystem: true}
              command: [sh, -c, "touch /x 2>/dev/null || echo refused; echo ok > /tmp/p/v"]
            outputs:
              parameters:
              - {name: v, valueFrom: {path: /tmp/p/v}}
        """)
    node = by_display(handle)[handle.name]
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "refused"
    assert node["outputs"]["parameters"][0]["value"] == "ok"


def test_sidecar_shares_the_pods_network():
    handle = run_yaml("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: sidecar-net-}
        spec:
          entrypoint: main
          templates:
          - name: main
            sidecars:
            - name: server
              image: python:3.11
              command: [python3, -c, "import http.server as h; h.HTTPServer(('127.0.0.1', 8080), h.BaseHTTPRequestHandler).serve_forever()"]
            container:
              image: python:3.11
              command: [python3, -c]
              args:
              - |
                import time, urllib.request, urllib.error
                for _ in range(100):
                    try:
                        urllib.request.urlopen("http://127.0.0.1:8080/")
                    except urllib.error.HTTPError as e:
                        print("reached", e.code); break
                    except OSError:
                        time.sleep(0.1)
        """)
    node = by_display(handle)[handle.name]
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "reached 501"


# ---- selection from the CLI ------------------------------------------------------------------------------
HELLO = REPO / "tests" / "docker" / "corpus" / "command-args.yaml"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_cli_selects_the_docker_backend(tmp_path, how, docker_client):
    env = {**os.environ, "ARGONB_HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "argonb.cli.main", "run", str(HELLO), "-o", "json"]
    if how == "flag":
        argv += ["--backend", "docker"]
    else:
        env["ARGONB_BACKEND"] = "docker"
    seen: list = []
    stop = threading.Event()

    def watch():  # the pods must be containers
        while not stop.is_set():
            seen.extend(c["Id"] for c in argonb_containers(docker_client))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, cwd=REPO)
    finally:
        stop.set()
        watcher.join()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"phase": "Succeeded"' in proc.stdout
    assert seen, "no container was seen: the docker backend was not used"


def test_config_map_volume_is_mounted_read_only():
    handle = run_yaml("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: docker-test-config}
        data: {greeting: hello from a configmap}
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: config-map-}
        spec:
          entrypoint: main
          volumes:
          - name: cfg
            configMap: {name: docker-test-config}
          templates:
          - name: main
            container:
              image: busybox
              command: [sh, -c, "cat /etc/cfg/greeting; echo; cat /one; echo; touch /etc/cfg/x 2>/dev/null || echo ro"]
              volumeMounts:
              - {name: cfg, mountPath: /etc/cfg}
              - {name: cfg, mountPath: /one, subPath: greeting}
        """)
    node = by_display(handle)[handle.name]
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "hello from a configmap\nhello from a configmap\nro"
