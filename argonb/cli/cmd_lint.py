"""`argonb lint FILE... [--templates DIR] [-o text|json]`: check workflows the way Argo would, all at once.

Owns: the `lint` sub-command (registered through `add_parser`, see argonb.cli.main) and a standalone entry,
`python -m argonb.cli.cmd_lint FILE...`. All FILEs are linted together (a templateRef in one file resolves
against WorkflowTemplates in another); `--templates DIR` adds *.yaml/*.yml files under DIR as context only
(their own problems are not reported). Diagnostics go to stdout (text with the source line and a caret, or
JSON), the summary line to stderr. Exit 0 when there are no errors (warnings are fine), 2 otherwise.
Imports: stdlib, argonb.errors, argonb.spec.lint (lazily, so `argonb --help` stays fast).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

YAML_SUFFIXES = (".yaml", ".yml")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "lint", help="check Argo workflow YAML for every problem Argo would reject",
        description="Check Argo Workflows YAML (Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow) "
                    "against Argo's schema and validation rules, reporting every problem at once.")
    _add_arguments(parser)
    return parser


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="YAML files or directories to lint together ('-' reads standard input)")
    parser.add_argument("--templates", action="append", default=[], metavar="DIR",
                        help="directory (or file) of WorkflowTemplates for templateRef; may be repeated")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.set_defaults(func=run)


def _expand(entries: list[str]) -> list[Path | str]:
    """Files as given; directories become their *.yaml/*.yml files, sorted; '-' stays '-'."""
    out: list[Path | str] = []
    for entry in entries:
        path = Path(entry)
        if entry == "-":
            out.append(entry)
        elif path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file()))
        else:
            out.append(path)
    return out


def _sources(files: list[Path | str]) -> list[Any]:
    return [sys.stdin.buffer.read() if f == "-" else f for f in files]  # bytes: decoded (or ARG000) by lint


def lint_paths(files: list[str], templates: list[str] = ()) -> tuple[list[Any], int]:
    """Diagnostics for `files` (with `templates` as context) and the number of files linted."""
    from argonb.spec.lint import lint_documents, parse_sources, sort_key

    targets = _expand(files)
    wanted = {str(t) for t in targets}
    context = [p for p in _expand(list(templates)) if str(p) not in wanted]
    docs, diags = parse_sources(_sources(targets))
    extra_docs, _ = parse_sources(context)
    found = [d for d in lint_documents(docs + extra_docs) if d.span is None or d.span.file in wanted
             or d.span.file == "<stdin>"]
    return sorted(diags + found, key=sort_key), len(targets)


def _as_json(diag: Any) -> dict[str, Any]:
    span = diag.span
    return {"file": span.file if span else None, "line": span.line if span else None,
            "col": span.col if span else None, "severity": diag.severity.value, "code": diag.code,
            "message": diag.message, "hint": diag.hint}


def run(args: argparse.Namespace) -> int:
    from argonb.spec.lint import count

    diags, nfiles = lint_paths(args.files, args.templates)
    if args.output == "json":
        print(json.dumps([_as_json(d) for d in diags], indent=2))
    else:
        for diag in diags:
            print(diag.format_with_source())
    errors, warnings = count(diags)
    print(f"{errors} error(s), {warnings} warning(s) in {nfiles} file(s)", file=sys.stderr)
    return 2 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="argonb lint", description=add_parser.__doc__)
    _add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
