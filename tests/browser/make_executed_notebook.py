"""Write tests/browser/executed_demo.ipynb: a small notebook executed headless by nbclient, outputs saved.

The browser test opens it in JupyterLab *without running it* and checks the saved widget state and static
snapshot show the final DAG and outputs. Regenerate after changing the widget's markup:

    python tests/browser/make_executed_notebook.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OUT = HERE / "executed_demo.ipynb"

DIAMOND = """\
%%workflow --name diamond
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: diamond-
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: seed
            template: emit
            arguments: {parameters: [{name: value, value: "3"}]}
          - name: double
            template: times
            depends: seed
            arguments: {parameters: [{name: x, value: "{{tasks.seed.outputs.result}}"}, {name: k, value: "2"}]}
          - name: triple
            template: times
            depends: seed
            arguments: {parameters: [{name: x, value: "{{tasks.seed.outputs.result}}"}, {name: k, value: "3"}]}
          - name: total
            template: add
            depends: double && triple
            arguments:
              parameters:
                - {name: a, value: "{{tasks.double.outputs.result}}"}
                - {name: b, value: "{{tasks.triple.outputs.result}}"}
    - name: emit
      inputs: {parameters: [{name: value}]}
      container: {image: alpine, command: [sh, -c], args: ["echo {{inputs.parameters.value}}"]}
    - name: times
      inputs: {parameters: [{name: x}, {name: k}]}
      container: {image: alpine, command: [sh, -c], args: ["echo $(( {{inputs.parameters.x}} * {{inputs.parameters.k}} ))"]}
    - name: add
      inputs: {parameters: [{name: a}, {name: b}]}
      container: {image: alpine, command: [sh, -c], args: ["echo $(( {{inputs.parameters.a}} + {{inputs.parameters.b}} ))"]}
"""

CELLS = [
    ("markdown", "# An executed argonb notebook\n\nRun headless with nbclient (`tests/browser/make_executed_notebook.py`); "
                 "the browser test opens it without running it."),
    ("code", "%load_ext argonb"),
    ("code", DIAMOND),
    ("code", "%workflow wait diamond"),
    ("code", 'print("total =", diamond.node("total")["outputs"]["result"])'),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
                for kind, src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with tempfile.TemporaryDirectory(prefix="argonb-demo-") as work:
        env = {"ARGONB_HOME": os.path.join(work, "argonb-home"),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the kernel inherits them
        try:
            NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
                           resources={"metadata": {"path": work}}).execute()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        # the temporary home shows in the detail pane's "full log" path: keep the file stable across runs
        nb = nbformat.reads(nbformat.writes(nb).replace(env["ARGONB_HOME"], "$ARGONB_HOME"), as_version=4)
    nbformat.validate(nb)
    return nb


def main(out: Path = OUT) -> int:
    nb = build()
    out.write_text(nbformat.writes(nb) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
