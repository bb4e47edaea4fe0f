"""Workflows shared by the notebook tests (imported by name: a unique module).

`gated(path)` holds its first pod until `path` exists (or its directory is removed), so tests order things
by creating a file, never by sleeping. The gate must live outside /tmp: the local backend gives each pod a
private /tmp.
"""

from __future__ import annotations

import os

FAILING = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: failing-
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: hello
            template: echo
        - - name: bad
            template: fail
    - name: echo
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo hello from argonb"]
    - name: fail
      script:
        image: python:3
        command: [python]
        source: |
          import sys
          print("boom", file=sys.stderr)
          sys.exit(3)
"""

TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: lib
spec:
  templates:
    - name: say
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo from the library"]
"""

USES_TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: uses-lib-
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: call
            templateRef: {name: lib, template: say}
"""

TYPO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: typo-
spec:
  entrypoint: mian
  templates:
    - name: main
      container: {image: alpine, command: [echo, hi]}
"""


def gated(gate: str, name: str = "gated") -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: {name}-
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: first
            template: wait-gate
          - name: second
            template: echo
            depends: first
    - name: wait-gate
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo waiting; while [ ! -e {gate} ] && [ -d {os.path.dirname(gate)} ]; do sleep 0.02; done; echo released"]
    - name: echo
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo second"]
"""


def recovered_and_failed(folder: str) -> str:
    """A DAG whose `flaky` task fails twice and then succeeds under its retryStrategy (attempts are counted
    in `folder`, outside the pods' private /tmp), and whose `broken` task really fails, deeper in a steps
    template: one real failure and two recovered attempts."""
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: shared-
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: prepare
            template: echo
          - name: flaky
            template: flaky
            dependencies: [prepare]
          - name: check
            template: check
            dependencies: [prepare]
    - name: echo
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo ready; sleep 1"]
    - name: flaky
      retryStrategy:
        limit: 3
      script:
        image: python:3
        command: [python]
        source: |
          import os, sys
          path = {os.path.join(folder, "attempts")!r}
          n = int(open(path).read()) if os.path.exists(path) else 0
          open(path, "w").write(str(n + 1))
          print("attempt", n + 1, "recovered" if n >= 2 else "fails", file=sys.stderr)
          sys.exit(0 if n >= 2 else 1)
    - name: check
      steps:
        - - name: broken
            template: broken
    - name: broken
      script:
        image: python:3
        command: [python]
        source: |
          import sys
          print("the real failure", file=sys.stderr)
          sys.exit(4)
"""
