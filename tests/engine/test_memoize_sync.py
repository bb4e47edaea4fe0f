"""Memoization and synchronization (ARGO-SEMANTICS §10)."""

from __future__ import annotations

import threading

import argonb
from tests.engine.helpers import by_display, run_yaml

MEMO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: memo-}
spec:
  entrypoint: main
  templates:
  - name: main
    memoize:
      key: "{{workflow.parameters.k}}"
      maxAge: "1h"
      cache: {configMap: {name: my-cache}}
    script:
      image: python:alpine3.23
      command: [python]
      source: "import random; print(random.random())"
  arguments: {parameters: [{name: k, value: one}]}
"""


def test_memoize_hit_reuses_outputs_without_running_s10():
    first = run_yaml(MEMO)
    second = run_yaml(MEMO)
    a, b = first.nodes[first.name], second.nodes[second.name]
    assert a["memoizationStatus"] == {"key": "one", "cacheName": "my-cache", "hit": False}
    assert b["memoizationStatus"]["hit"] is True
    assert a["outputs"]["result"] == b["outputs"]["result"]
    assert second.logs(second.name) == ""  # nothing ran
    third = run_yaml(MEMO, parameters={"k": "two"})
    assert third.nodes[third.name]["memoizationStatus"]["hit"] is False


def test_memoize_max_age_must_be_a_go_duration_s10():
    run = run_yaml(MEMO.replace('maxAge: "1h"', 'maxAge: "10"'))
    assert run.phase == "Error"
    assert "invalid maxAge" in run.message


MUTEX = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: mutex-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: critical}
      - {name: b, template: critical}
  - name: critical
    synchronization:
      mutexes: [{name: the-lock}]
    script:
      image: python:alpine3.23
      command: [python]
      source: "import time; print(time.time()); time.sleep(0.3); print(time.time())"
"""


def test_mutex_serialises_nodes_and_waiters_stay_pending_s10():
    pending_seen = threading.Event()

    def watch(event):
        if event.kind == "NodeUpdated" and event.phase == "Pending" and "lock" in event.node.get("message", ""):
            pending_seen.set()

    run = argonb.run(MUTEX, subscribers=[watch]).wait(30)
    assert run.phase == "Succeeded", run.message
    nodes = by_display(run)
    spans = sorted([tuple(map(float, nodes[n]["outputs"]["result"].split())) for n in ("a", "b")])
    assert spans[0][1] <= spans[1][0]  # the second started after the first ended
    assert pending_seen.is_set()


SEMAPHORE = """
apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {workers: "2"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sem-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: w, template: work, withSequence: {count: "4"}}
  - name: work
    synchronization:
      semaphores: [{configMapKeyRef: {name: limits, key: workers}}]
    container: {image: alpine, command: [sh, -c, "sleep 0.2"]}
"""


def test_semaphore_limit_from_configmap_document_s10():
    running = []
    peak = [0]
    lock = threading.Lock()

    def watch(event):
        if event.kind == "NodeUpdated" and event.node.get("type") == "Pod":
            with lock:
                if event.phase == "Running" and event.node_id not in running:
                    running.append(event.node_id)
                elif event.phase in ("Succeeded", "Failed", "Error") and event.node_id in running:
                    running.remove(event.node_id)
                peak[0] = max(peak[0], len(running))

    run = argonb.run(SEMAPHORE, subscribers=[watch]).wait(30)
    assert run.phase == "Succeeded", run.message
    assert peak[0] == 2
