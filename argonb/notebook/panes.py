"""The two interactive parts of the run view, as anywidget components (their JS is in ./static).

Owns: `NodeBrowser` (graph SVG + node table; a click on a node or a row sets `selected`, a click on
"N hidden nodes" sends an `expand` message; fit, zoom and the phase/template filters live in the page) and
`LogTail` (a bounded window of one node's log as (stream, line) pairs; the page keeps the reader's place,
marks stderr, finds, and sets `show_all` to ask for the whole log). Why anywidget: plain ipywidgets HTML
cannot report clicks or keep a scroll position across updates (shared/PEERS.md, jupyter-browser.md §6).
Imports: anywidget, traitlets (lazily, by argonb.notebook.widget).
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

STATIC = Path(__file__).with_name("static")


class NodeBrowser(anywidget.AnyWidget):
    _esm = STATIC / "nodebrowser.js"
    _css = STATIC / "nodebrowser.css"
    svg = traitlets.Unicode("").tag(sync=True)  # laid out in the kernel (graphviz), drawn as is
    table = traitlets.Unicode("").tag(sync=True)  # argonb.render.report.node_table_html: rows carry data-node
    svg_keys = traitlets.Dict().tag(sync=True)  # SVG group id -> node id ("collapsed:<parent>" for a fold)
    node_info = traitlets.Dict().tag(sync=True)  # node id -> [phase, template]: what the filters match
    root_svg = traitlets.Unicode("").tag(sync=True)  # SVG group id of the root: the view opens there
    selected = traitlets.Unicode("").tag(sync=True)  # set by a click in the page, or by the kernel


class LogTail(anywidget.AnyWidget):
    _esm = STATIC / "logtail.js"
    _css = STATIC / "logtail.css"
    lines = traitlets.List().tag(sync=True)  # [[stream, text], ...] of the loaded window
    first = traitlets.Int(0).tag(sync=True)  # index of lines[0] in the whole log: keeps the reader's place
    total = traitlets.Int(0).tag(sync=True)  # lines the node printed in all
    title = traitlets.Unicode("").tag(sync=True)
    source = traitlets.Unicode("").tag(sync=True)  # which node's log: a new one opens at its end
    show_all = traitlets.Bool(False).tag(sync=True)  # the page asks for the whole log
    loggable = traitlets.Bool(False).tag(sync=True)  # the node has a log file ("Show full log" is offered)

    @property
    def text(self) -> str:
        """The title and loaded lines as plain text (what tests and `repr` read)."""
        return "\n".join([self.title, *(line for _stream, line in self.lines)])
