"""What a reader of a shared notebook sees: the runs in `jupyter nbconvert --to html` with no JavaScript.

`shown_runs(html)` drops every `<script>` (offline, the widget JavaScript cannot load; GitHub and nbviewer
run none), then reads each run snapshot left: its header phase, the nodes of its graph image with their phase
classes, and the phases of its node table. Used by tests/notebook/test_sharing.py and tests/tutorials.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)
SNAPSHOT = re.compile(r'<div class="argonb-snapshot[^"]*"')
GRAPH_IMAGE = re.compile(r'src="data:image/svg\+xml;base64,([^"]+)"')
SVG_NODE = re.compile(r'<g id="[^"]*" class="node (argonb_\w+)">\s*<title>[^<]*</title>(.*?)</g>', re.S)
TEXT = re.compile(r"<text\b[^>]*>([^<]*)</text>")
HEADER_PHASE = re.compile(r'class="argonb-header".*?class="argonb-phase (argonb_\w+)"', re.S)
ROW = re.compile(r'<tr data-node="[^"]*"><td[^>]*>([^<]*)<.*?class="argonb-phase (argonb_\w+)"', re.S)


def nbconvert_html(notebook: Path) -> str:
    """`jupyter nbconvert --to html NOTEBOOK`, as a user runs it; returns the page."""
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--log-level", "ERROR", str(notebook)],
                   check=True, capture_output=True, timeout=120)
    return notebook.with_suffix(".html").read_text()


def export_html(nb) -> str:
    """The same page as `nbconvert_html`, made in this process (nbconvert's HTMLExporter, its default template)."""
    from nbconvert import HTMLExporter

    return HTMLExporter().from_notebook_node(nb)[0]


def without_scripts(page: str) -> str:
    return SCRIPT.sub("", page)


def shown_runs(page: str) -> list[dict]:
    """Per run snapshot visible without scripts: header phase, graph nodes (label -> phase), table rows."""
    visible = without_scripts(page)
    starts = [m.start() for m in SNAPSHOT.finditer(visible)] + [len(visible)]
    runs = []
    for start, end in zip(starts, starts[1:], strict=False):
        block = visible[start:end]
        header = HEADER_PHASE.search(block)
        graph: dict[str, str] = {}
        for data in GRAPH_IMAGE.findall(block):
            svg = base64.b64decode(data).decode("utf-8")
            assert svg.lstrip().startswith("<svg"), svg[:80]
            for cls, body in SVG_NODE.findall(svg):
                label = " ".join(TEXT.findall(body)).strip()
                graph[label] = cls.removeprefix("argonb_")
        runs.append({"phase": header.group(1).removeprefix("argonb_") if header else None, "graph": graph,
                     "table": {name.strip(): cls.removeprefix("argonb_") for name, cls in ROW.findall(block)}})
    return runs
