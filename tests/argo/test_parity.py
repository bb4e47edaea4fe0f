"""`argonb.parity.parity_report`: what a local run emulated or ignored that behaves differently on a cluster."""

from __future__ import annotations

import argonb
from argonb.backends.argo import submit
from argonb.parity import ParityNote, format_report, parity_report, summary
from tests.argo.conftest import HELLO

FULL = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: parity-
spec:
  entrypoint: main
  serviceAccountName: runner
  activeDeadlineSeconds: 600
  podGC: {strategy: OnPodSuccess}
  securityContext: {runAsNonRoot: true}
  volumes:
  - name: scratch
    emptyDir: {}
  - name: creds
    secret: {secretName: creds}
  volumeClaimTemplates:
  - metadata: {name: work}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 2Gi}}
  templates:
  - name: main
    steps:
    - - name: train
        template: train
        arguments: {parameters: [{name: n, value: "{{item}}"}]}
        withItems: [1, 2]
    - - name: notify
        template: notify
  - name: train
    inputs: {parameters: [{name: n}]}
    nodeSelector: {accelerator: a100}
    tolerations: [{key: gpu, operator: Exists}]
    affinity: {nodeAffinity: {}}
    priorityClassName: high
    podSpecPatch: '{"containers":[{"name":"main","resources":{"limits":{"nvidia.com/gpu":1}}}]}'
    hostAliases: [{ip: 10.0.0.1, hostnames: [db.internal]}]
    timeout: 10m
    retryStrategy: {limit: 2, backoff: {duration: 5s}, affinity: {nodeAntiAffinity: {}}}
    sidecars:
    - name: cache
      image: redis
    initContainers:
    - name: fetch
      image: alpine
    container:
      image: pytorch/pytorch:2.1
      command: [python, -c, "print('train')"]
      resources:
        requests: {cpu: "4", memory: 16Gi}
        limits: {nvidia.com/gpu: "1"}
      env:
      - name: TOKEN
        valueFrom: {secretKeyRef: {name: hf, key: token}}
      - name: MODE
        valueFrom: {configMapKeyRef: {name: settings, key: mode}}
      envFrom: [{secretRef: {name: more}}]
      volumeMounts: [{name: scratch, mountPath: /scratch}]
    outputs:
      artifacts:
      - name: model
        path: /tmp/model
  - name: notify
    http:
      url: http://notifier.default.svc/hook
"""


def by_field(notes: list[ParityNote]) -> dict[tuple[str, str], ParityNote]:
    return {(n.template, n.field): n for n in notes}


def test_every_kind_of_difference_is_reported_with_its_yaml_line(tmp_path):
    path = tmp_path / "wf.yaml"
    path.write_text(FULL)
    notes = parity_report(path)
    got = by_field(notes)
    expected = {
        ("", "serviceAccountName"): ("ignored", 7), ("", "activeDeadlineSeconds"): ("timing", 8),
        ("", "podGC"): ("ignored", 9), ("", "securityContext"): ("ignored", 10),
        ("", "volumes.scratch"): ("emulated", 12), ("", "volumes.creds"): ("unsupported", 14),
        ("", "volumeClaimTemplates.work"): ("unsupported", 17),
        ("train", "nodeSelector"): ("ignored", 32), ("train", "tolerations"): ("ignored", 33),
        ("train", "affinity"): ("ignored", 34), ("train", "priorityClassName"): ("ignored", 35),
        ("train", "podSpecPatch"): ("ignored", 36), ("train", "hostAliases"): ("ignored", 37),
        ("train", "timeout"): ("timing", 38), ("train", "retryStrategy.backoff"): ("timing", 39),
        ("train", "retryStrategy.affinity"): ("ignored", 39),
        ("train", "image"): ("environment", 47), ("train", "resources"): ("ignored", 49),
        ("train", "env.TOKEN"): ("unsupported", 53), ("train", "env.MODE"): ("unsupported", 55),
        ("train", "envFrom"): ("ignored", 57), ("train", "outputs.artifacts.model"): ("emulated", 61),
        ("notify", "http"): ("environment", 64),
    }
    for key, (kind, line) in expected.items():
        assert key in got, key
        assert got[key].kind == kind, (key, got[key])
        assert got[key].span is not None and got[key].span.line == line, (key, got[key].span)
    assert got[("train", "sidecars")].kind in ("emulated", "ignored")
    assert got[("train", "initContainers")].kind in ("emulated", "ignored")
    assert "accelerator=a100" in got[("train", "nodeSelector")].message
    assert "requests cpu=4, memory=16Gi" in got[("train", "resources")].message
    assert "secret 'hf' key 'token'" in got[("train", "env.TOKEN")].message
    assert "2Gi" in got[("", "volumeClaimTemplates.work")].message
    text = format_report(notes)
    assert text.splitlines()[0].split("] ")[0].endswith("[unsupported")
    assert "unsupported" in summary(notes)


def test_notes_list_the_nodes_of_a_local_run():
    wf = HELLO.replace("      image: alpine:3.19\n", "      image: alpine:3.19\n"
                       "      resources: {requests: {memory: 64Mi}}\n")
    run = argonb.run(wf, wait=True)
    assert run.phase == "Succeeded"
    notes = by_field(parity_report(run))
    assert notes[("hello", "resources")].nodes == ("hello",)
    assert notes[("hello", "resources")].span is not None  # positions come from the run's source text
    assert notes[("hello", "image")].nodes == ("hello",)
    assert ("main", "image") not in notes


def test_a_workflow_dict_with_status_nodes_and_local_errors():
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"},
          "spec": {"entrypoint": "m", "templates": [{"name": "m", "resource": {"action": "create", "manifest": "x"}}]},
          "status": {"nodes": {"w": {"id": "w", "name": "w", "displayName": "w", "type": "Pod", "templateName": "m",
                                     "phase": "Error", "message": "argonb cannot run this resource template locally: "
                                     "resource templates need a Kubernetes API server"}}}}
    notes = parity_report(wf)
    kinds = {(n.field, n.kind) for n in notes}
    assert ("resource", "unsupported") in kinds and ("node", "unsupported") in kinds
    node_note = next(n for n in notes if n.field == "node")
    assert node_note.nodes == ("w",) and "ended in Error locally" in node_note.message
    assert node_note.to_dict()["nodes"] == ["w"]


def test_templates_referenced_from_workflow_templates_are_checked(tmp_path):
    lib = tmp_path / "lib.yaml"
    lib.write_text("""apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  templates:
  - name: gpu
    nodeSelector: {gpu: "yes"}
    container: {image: alpine, command: [echo]}
""")
    wf = HELLO.replace("        template: hello\n", "        templateRef: {name: lib, template: gpu}\n")
    notes = by_field(parity_report(wf, templates=[lib]))
    note = notes[("WorkflowTemplate/lib:gpu", "nodeSelector")]
    assert note.span is not None and note.span.file == str(lib) and note.span.line == 7


def test_a_docker_backend_run_uses_images(tmp_path):
    wf = HELLO.replace("      image: alpine:3.19\n", "      image: alpine:3.19\n"
                       "      resources: {limits: {memory: 64Mi}}\n")
    notes = by_field(parity_report(wf, backend="docker"))
    assert ("hello", "image") not in notes and ("hello", "resources") not in notes


def test_an_argo_run_has_a_report_too(fake, connect):
    run = submit(HELLO, **connect).wait(10)
    notes = by_field(parity_report(run))
    assert notes[("hello", "image")].nodes == ("hello",)


def test_nothing_to_report():
    plain = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: s-}
spec:
  entrypoint: main
  templates:
  - name: main
    suspend: {duration: "1"}
"""
    assert parity_report(plain) == []
    assert format_report([]).startswith("No parity notes")
    assert summary([]) == "no notes"


def test_what_the_engine_emulates_is_asked_of_the_engine():
    from argonb.parity import _mountable_locally, _unsupported_kinds

    wf = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: e-}
spec:
  entrypoint: main
  volumes:
  - name: settings
    configMap: {name: settings}
  templates:
  - name: main
    containerSet:
      containers:
      - name: main
        image: alpine
        command: [echo]
"""
    notes = by_field(parity_report(wf))
    assert notes[("", "volumes.settings")].kind == ("emulated" if _mountable_locally("configMap") else "unsupported")
    expected = "unsupported" if "containerSet" in _unsupported_kinds() else "emulated"
    assert notes[("main", "containerSet")].kind == expected
    assert notes[("main", "image")].kind == "environment"  # containerSet containers are checked too
