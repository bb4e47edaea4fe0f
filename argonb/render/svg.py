"""Turn DOT into SVG (or PNG) with Graphviz's `dot`, recolour laid-out SVG, and fall back to HTML.

Owns: `have_dot`, `render_svg` (never raises: SVG when `dot` works, else the HTML view of
`argonb.render.htmlview`), `render_bytes` (SVG/PNG for files; raises `RenderError` when `dot` is missing),
`recolor` (repaint node fills in an SVG laid out once) and `GraphRenderer` (one layout per distinct
structure, recoloured for each phase change: a live run re-runs `dot` only when nodes appear).
Imports: stdlib, argonb.render.graph, argonb.render.htmlview.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import OrderedDict

from argonb.render.graph import Graph, PhaseStyle, phase_class, style_for
from argonb.render.htmlview import dot_text_html, graph_html, parse_dot

DOT_TIMEOUT = 20.0
INSTALL_HINT = "install Graphviz (apt-get install graphviz, brew install graphviz or conda install graphviz)"


class RenderError(Exception):
    """`dot` is missing or failed; the message says what to install or what went wrong."""


def dot_binary() -> str | None:
    return shutil.which("dot")


def have_dot() -> bool:
    return dot_binary() is not None


def render_bytes(dot: str, fmt: str = "svg") -> bytes:
    """Run `dot -T<fmt>`. Raises RenderError when `dot` is missing, times out or rejects the input."""
    exe = dot_binary()
    if exe is None:
        raise RenderError(f"Graphviz `dot` is not on PATH: {INSTALL_HINT}")
    try:
        proc = subprocess.run([exe, f"-T{fmt}"], input=dot.encode("utf-8"), capture_output=True,
                              timeout=DOT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError(f"running {exe} failed: {exc}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"dot exited with {proc.returncode}: {err}")
    return proc.stdout


def _strip_prolog(svg: str) -> str:
    """Inline SVG for HTML: drop the XML declaration, DOCTYPE and generator comments before `<svg`."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def render_svg(dot: str | Graph) -> str:
    """Inline SVG markup for `dot` (DOT text or a `Graph`); without a working `dot`, an HTML view instead.

    Never raises: a graph drawn badly is better than a notebook cell that fails.
    """
    text = dot.to_dot() if isinstance(dot, Graph) else dot
    if have_dot():
        try:
            return _strip_prolog(render_bytes(text, "svg").decode("utf-8", "replace"))
        except RenderError as exc:
            return _fallback(dot, note=f"Graphviz failed ({exc}); showing a simplified view.")
    return _fallback(dot)


def _fallback(dot: str | Graph, note: str | None = None) -> str:
    graph = dot if isinstance(dot, Graph) else parse_dot(dot)
    kwargs = {"note": note} if note else {}
    if graph is None:
        return dot_text_html(str(dot), **kwargs)
    return graph_html(graph, **kwargs)


_NODE_GROUP = re.compile(r'(<g id="(?P<id>[^"]+)" class=")node[^"]*(">)(?P<body>.*?)(</g>)', re.S)
_SHAPE = re.compile(r"<(?:path|polygon|ellipse|polyline)\b[^>]*>")
_TEXT = re.compile(r"<text\b[^>]*>")


def recolor(svg: str, phases: dict[str, str | None]) -> str:
    """Repaint node groups of `svg` whose id is in `phases` (svg id -> phase); other nodes are untouched.

    Works on dot's SVG, where each node is `<g id=... class="node">` holding its shape(s) and text.
    """

    def repaint(m: re.Match[str]) -> str:
        node_id = m.group("id")
        if node_id not in phases:
            return m.group(0)
        phase = phases[node_id]
        st = style_for(phase)
        body = _SHAPE.sub(lambda s: _restyle_shape(s.group(0), st), m.group("body"))
        body = _TEXT.sub(lambda t: _set_attr(t.group(0), "fill", st.font), body)
        return f'{m.group(1)}node {phase_class(phase)}{m.group(3)}{body}{m.group(5)}'

    return _NODE_GROUP.sub(repaint, svg)


def _restyle_shape(tag: str, st: PhaseStyle) -> str:
    if 'fill="none"' not in tag:  # the outer ring of a double border stays hollow
        tag = _set_attr(tag, "fill", st.fill)
    tag = _set_attr(tag, "stroke", st.stroke)
    tag = re.sub(r' stroke-dasharray="[^"]*"', "", tag)
    if st.dashed:
        tag = tag.replace(" stroke=", ' stroke-dasharray="5,2" stroke=', 1)
    return tag


def _set_attr(tag: str, name: str, value: str) -> str:
    pattern = re.compile(rf' {name}="[^"]*"')
    if pattern.search(tag):
        return pattern.sub(f' {name}="{value}"', tag, count=1)
    end = -2 if tag.endswith("/>") else -1
    return f'{tag[:end]} {name}="{value}"{tag[end:]}'


class GraphRenderer:
    """Renders successive states of one picture, laying each distinct structure out only once.

    The layout key is the DOT text without phases, so a phase change costs a regex recolour (well under a
    millisecond for hundreds of nodes) instead of a `dot` subprocess. Not thread-safe: one owner thread.
    """

    def __init__(self, max_layouts: int = 8):
        self._layouts: OrderedDict[str, str] = OrderedDict()
        self._max = max_layouts
        self.layout_count = 0  # how many times `dot` ran (tests and benchmarks read it)

    def render(self, graph: Graph) -> str:
        if not graph.nodes:
            return '<div class="argonb-graph" style="color:#6e7781">(no nodes yet)</div>'
        if not have_dot():
            return graph_html(graph)
        key = graph.to_dot(colored=False)
        svg = self._layouts.get(key)
        if svg is None:
            try:
                svg = _strip_prolog(render_bytes(key, "svg").decode("utf-8", "replace"))
            except RenderError as exc:
                return graph_html(graph, note=f"Graphviz failed ({exc}); showing a simplified view.")
            self.layout_count += 1
            self._layouts[key] = svg
            while len(self._layouts) > self._max:
                self._layouts.popitem(last=False)
        else:
            self._layouts.move_to_end(key)
        return recolor(svg, graph.phases())
