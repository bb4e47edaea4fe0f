"""Outputs, artifacts and the local backend's path isolation (ARGO-SEMANTICS §5.2-§5.5, §6.4, §12.4)."""

from __future__ import annotations

import json
import os

from tests.engine.helpers import by_display, run_yaml

PARALLEL_PATHS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: colors}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: paint
        template: paint
        arguments: {parameters: [{name: color, value: "{{item}}"}]}
        withItems: [red, orange, yellow, green, blue, indigo, violet, black, white, grey]
  - name: paint
    inputs: {parameters: [{name: color}]}
    container:
      image: alpine
      command: [sh, -c, "sleep 0.2; echo -n {{inputs.parameters.color}} > /tmp/color.txt"]
    outputs:
      parameters:
      - name: color
        valueFrom: {path: /tmp/color.txt}
"""


def test_parallel_pods_writing_same_absolute_path_do_not_collide_s12_4():
    run = run_yaml(PARALLEL_PATHS)
    assert run.phase == "Succeeded"
    got = {n["inputs"]["parameters"][0]["value"]: n["outputs"]["parameters"][0]["value"]
           for n in run.nodes.values() if n["type"] == "Pod"}
    assert len(got) == 10
    assert all(k == v for k, v in got.items()), got


def test_loop_parameter_aggregation_is_json_list_of_strings_s6_4():
    text = PARALLEL_PATHS.replace("  - name: paint\n    inputs", """  - name: show
    inputs: {parameters: [{name: all}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.all}}"]}
  - name: paint
    inputs""").replace("""        withItems: [red, orange, yellow, green, blue, indigo, violet, black, white, grey]""",
                       """        withItems: [red, blue]
    - - name: show
        template: show
        arguments: {parameters: [{name: all, value: "{{steps.paint.outputs.parameters.color}}"}]}""")
    run = run_yaml(text)
    assert json.loads(run.node("show")["outputs"]["result"]) == ["red", "blue"]


ARTIFACTS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: arts}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
    - - name: use
        template: use
        arguments:
          artifacts:
          - {name: data, from: "{{steps.make.outputs.artifacts.out}}"}
          - {name: dir-file, from: "{{steps.make.outputs.artifacts.dir}}", subPath: b.txt}
  - name: make
    container:
      image: alpine
      command: [sh, -c, "mkdir -p /tmp/d && echo A > /tmp/d/a.txt && echo B > /tmp/d/b.txt && echo hi > /tmp/out.txt"]
    outputs:
      artifacts:
      - {name: out, path: /tmp/out.txt}
      - {name: dir, path: /tmp/d, archive: {none: {}}}
  - name: use
    inputs:
      artifacts:
      - {name: data, path: /in/data.txt}
      - {name: dir-file, path: /in/b.txt}
    container:
      image: alpine
      command: [sh, -c, "cat /in/data.txt /in/b.txt"]
"""


def test_artifact_passing_tgz_and_archive_none_with_subpath_s5_5(_argonb_home):
    run = run_yaml(ARTIFACTS)
    assert run.phase == "Succeeded", run.message
    assert run.logs("use").split() == ["hi", "B"]
    out = {a["name"]: a for a in run.node("make")["outputs"]["artifacts"]}
    assert out["out"]["s3"]["key"].endswith("/out.tgz")  # default archive: tar+gzip, key <wf>/<pod>/<name>.tgz
    assert out["dir"]["s3"]["key"].endswith("/d")  # archive none: key <wf>/<pod>/<basename>
    assert (_argonb_home / "artifacts" / out["dir"]["s3"]["key"] / "a.txt").read_text() == "A\n"


SCRIPT = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: script}
spec:
  entrypoint: main
  templates:
  - name: main
    script:
      image: python:alpine3.23
      command: [python]
      source: |
        import sys
        print("out", flush=True)
        print("err", file=sys.stderr)
        print("last")
"""


def test_script_result_is_stdout_only_with_one_trailing_newline_removed_s5_2_s5_3():
    run = run_yaml(SCRIPT)
    node = by_display(run)["script"]
    assert node["outputs"]["result"] == "out\nlast"
    assert "err" in run.logs("script")


def test_missing_output_parameter_file_is_error_s5_4():
    run = run_yaml("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {name: missing-param}
    spec:
      entrypoint: main
      templates:
      - name: main
        container: {image: alpine, command: [sh, -c, "true"]}
        outputs:
          parameters:
          - {name: p, valueFrom: {path: /tmp/nope}}
          - {name: q, valueFrom: {path: /tmp/nope, default: dflt}}
    """)
    assert run.phase == "Error"
    assert "no such file" in run.message


CONFIGMAP_VOLUME = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello, target: world}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: cm-volume}
spec:
  entrypoint: main
  volumes:
  - {name: cfg, configMap: {name: settings}}
  templates:
  - name: main
    container:
      image: alpine
      command: [sh, -c, "cat /etc/argonb-test-cm/greeting; echo; cat /etc/argonb-test-cm/target"]
      volumeMounts:
      - {name: cfg, mountPath: /etc/argonb-test-cm}
"""


def test_config_map_volume_files_come_from_configmap_documents():
    run = run_yaml(CONFIGMAP_VOLUME)
    assert run.phase == "Succeeded", run.message
    assert run.node("cm-volume")["outputs"]["result"] == "hello\nworld"
    assert not os.path.exists("/etc/argonb-test-cm")  # a mount under /etc is private to the pod


def test_missing_config_map_volume_is_an_error_unless_optional():
    run = run_yaml(CONFIGMAP_VOLUME.replace("name: settings}}", "name: nope}}"))
    assert run.phase == "Error"
    assert "configmap 'nope' not found" in run.message


def test_config_map_volume_with_sub_path_is_a_single_file():
    text = CONFIGMAP_VOLUME.replace("- {name: cfg, mountPath: /etc/argonb-test-cm}",
                                    "- {name: cfg, mountPath: /conf/greeting.txt, subPath: greeting}").replace(
        '"cat /etc/argonb-test-cm/greeting; echo; cat /etc/argonb-test-cm/target"', '"cat /conf/greeting.txt"')
    run = run_yaml(text)
    assert run.phase == "Succeeded", run.message
    assert run.node("cm-volume")["outputs"]["result"] == "hello"
