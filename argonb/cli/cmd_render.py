"""`argonb render FILE [--format dot|svg|png|html] [-o OUT] [--templates PATH]`: draw a workflow.

Owns: the `render` sub-command. A workflow spec is drawn statically (steps groups, DAG dependencies, nested
templates as clusters, loops marked); a Workflow that carries `status.nodes` (`argonb run -o json`,
`argo get -o yaml`) is drawn as its node tree coloured by phase. The format defaults from OUT's suffix, else
DOT. Exit 0 drawn, 1 cannot render (svg/png need Graphviz's `dot`), 2 invalid input (located diagnostics on
stderr, never a traceback). Imports: stdlib, argonb.render, argonb.spec (lazily, so `argonb --help` is fast).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

FORMATS = ("dot", "svg", "png", "html")
SUFFIX_FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".html": "html", ".htm": "html"}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "render", help="draw a workflow's structure (or a finished run's node tree) as DOT, SVG, PNG or HTML",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("file", metavar="FILE", help="Argo YAML/JSON file ('-' reads standard input)")
    parser.add_argument("--format", "-f", choices=FORMATS, default=None,
                        help="output format (default: from OUT's suffix, else dot)")
    parser.add_argument("-o", "--output", metavar="OUT", default=None, help="write here instead of stdout")
    parser.add_argument("--templates", action="append", default=[], metavar="PATH",
                        help="file or directory of WorkflowTemplates for workflowTemplateRef/templateRef")
    parser.set_defaults(func=render_command)
    return parser


def render_command(args: argparse.Namespace) -> int:
    from argonb.errors import InvalidWorkflow
    from argonb.render import RenderError

    suffix_fmt = SUFFIX_FORMATS.get(Path(args.output).suffix.lower()) if args.output else None
    fmt = args.format or suffix_fmt or "dot"
    try:
        graph = load_graph(args.file, args.templates)
    except InvalidWorkflow as exc:
        for diag in exc.diagnostics:
            print(diag.format_with_source(), file=sys.stderr)
        return 2
    try:
        data = encode(graph, fmt)
    except RenderError as exc:
        print(f"argonb render: error: --format {fmt} needs Graphviz: {exc}; --format dot and --format html "
              "work without it", file=sys.stderr)
        return 1
    return write(data, args.output)


def load_graph(file: str, templates: list[str]) -> Any:
    """The `Graph` to draw for FILE. Raises InvalidWorkflow with located diagnostics for bad input."""
    from argonb.errors import Diagnostic, InvalidWorkflow, Span, errors_only
    from argonb.render import run_graph, spec_graph, workflow_nodes
    from argonb.spec.lint import lint_documents, parse_sources
    from argonb.spec.source import Source

    name = "<stdin>" if file == "-" else file
    target: Any = Source.from_bytes(sys.stdin.buffer.read(), name) if file == "-" else Path(file)
    docs, diags = parse_sources([target])
    if diags:
        raise InvalidWorkflow(diags)
    for doc in docs:
        nodes = workflow_nodes(doc.data) if isinstance(doc.data, dict) else None
        if nodes:
            meta = doc.data.get("metadata") or {}
            return run_graph(nodes, name=str(meta.get("name") or "run"), workflow=doc.data)
    context, _ = parse_sources(_template_paths(templates))
    problems = [d for d in errors_only(lint_documents(docs + context)) if d.span is None or d.span.file == name]
    if problems:
        raise InvalidWorkflow(problems)
    registry = _registry(docs + context)
    chosen = _choose(docs)
    if chosen is None:
        raise InvalidWorkflow([Diagnostic("ARG010", "nothing to draw: expected a Workflow, CronWorkflow or "
                                                    "WorkflowTemplate", Span(name, 1, 1))])
    data = chosen.data
    if data.get("kind") == "CronWorkflow":
        from argonb.engine.workflow import workflow_from_document

        data = workflow_from_document(data, registry)
    return spec_graph(data, registry)


def _template_paths(entries: list[str]) -> list[Path]:
    out: list[Path] = []
    for entry in entries:
        path = Path(entry)
        out.extend(sorted(p for p in path.rglob("*.y*ml") if p.is_file()) if path.is_dir() else [path])
    return out


def _registry(docs: list[Any]) -> Any:
    from argonb.engine.workflow import Registry

    registry = Registry()
    for doc in docs:
        if isinstance(doc.data, dict):
            registry.add_document(doc.data)
    return registry


def _choose(docs: list[Any]) -> Any:
    for kinds in (("Workflow", "CronWorkflow"), ("WorkflowTemplate", "ClusterWorkflowTemplate")):
        for doc in docs:
            if doc.kind in kinds:
                return doc
    return None


def encode(graph: Any, fmt: str) -> bytes:
    """Bytes of `graph` in `fmt`. Raises RenderError when svg/png are asked for without `dot`."""
    from argonb.render import render_bytes, render_svg

    if fmt == "dot":
        return graph.to_dot().encode("utf-8")
    if fmt == "html":
        body = render_svg(graph)
        return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{graph.name}</title></head>"
                f"<body>{body}</body></html>\n").encode()
    return render_bytes(graph.to_dot(), fmt)


def write(data: bytes, output: str | None) -> int:
    if output:
        try:
            Path(output).write_bytes(data)
        except OSError as exc:
            print(f"argonb render: error: cannot write {output}: {exc.strerror}", file=sys.stderr)
            return 1
        return 0
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return 0
