"""Small workflows and node builders shared by the render tests (imported by name: unique module)."""

from __future__ import annotations

STEPS = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: steps-
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: x
        value: "1"
  templates:
    - name: main
      steps:
        - - name: hello
            template: echo
        - - name: fan
            template: echo
            withItems: [a, b]
          - name: maybe
            template: echo
            when: "{{workflow.parameters.x}} == 1"
    - name: echo
      container:
        image: alpine
        command: [echo, hi]
"""

NESTED_DAG = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: nested
spec:
  entrypoint: top
  onExit: cleanup
  templates:
    - name: top
      dag:
        tasks:
          - name: a
            template: leaf
          - name: b
            template: inner
            depends: a
          - name: c
            template: leaf
            depends: "a.Succeeded && b"
    - name: inner
      steps:
        - - name: x
            template: leaf
        - - name: y
            template: leaf
    - name: leaf
      container:
        image: alpine
        command: [echo, hi]
    - name: cleanup
      container:
        image: alpine
        command: [echo, bye]
"""


def pod(node_id: str, name: str, phase: str, *, boundary: str = "root", children: list[str] | None = None,
        type_: str = "Pod") -> dict:
    node = {"id": node_id, "name": f"wf.{name}", "displayName": name, "type": type_, "phase": phase,
            "boundaryID": boundary, "templateName": "t"}
    if children:
        node["children"] = children
    return node
