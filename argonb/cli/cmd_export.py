"""`argonb export FILE [-o OUT] [-p NAME=VALUE]...` and `argonb export --parity RUN_OR_FILE`.

Writes YAML that Argo Workflows accepts as is: the WorkflowTemplates the workflow needs (from FILE and
--templates), then the Workflow (a CronWorkflow stays one unless --as-workflow), with -p parameters, --name and
--parallelism baked in and nothing argonb- or server-owned (status, uid, resourceVersion). ConfigMaps defined in
FILE are included for `kubectl apply`. The result is re-linted; a header of YAML comments lists the parity
report (what a local run emulated or ignored that behaves differently on a cluster; --no-comments drops it).
Create it with `argo template create OUT && argo submit OUT`, or use `argonb submit FILE`.

With --parity, prints only the parity report, for a YAML file or for a recorded run (name, prefix or @latest;
its nodes are listed per note). --format json prints the notes as JSON.
Exit: 0 written, 2 invalid input (or the export does not lint clean), 1 no such run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("export", help="write YAML for a real Argo server (and the parity report)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="Argo YAML file; with --parity, a file or a recorded run")
    p.add_argument("-o", "--output", default="-", metavar="OUT", help="where to write the YAML (default stdout)")
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="bake a workflow argument parameter into the export (repeatable)")
    p.add_argument("--templates", action="append", default=[], metavar="PATH",
                   help="file or directory of WorkflowTemplates the workflow references (exported too)")
    p.add_argument("--name", default=None, help="set metadata.name (drops generateName)")
    p.add_argument("--parallelism", type=int, default=None, help="set spec.parallelism")
    p.add_argument("--as-workflow", action="store_true", help="export a CronWorkflow as the Workflow it starts")
    p.add_argument("--no-comments", action="store_true", help="no header comments (parity report)")
    p.add_argument("--parity", action="store_true", help="print only the parity report for FILE or a run")
    p.add_argument("--backend", default="local", choices=("local", "docker"),
                   help="with --parity: the backend the local run used (default local)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="with --parity: output format")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.set_defaults(func=export_command)


def export_command(args: argparse.Namespace) -> int:
    from argonb.cli.cmd_run import parse_parameters
    from argonb.errors import InvalidWorkflow, errors_only

    try:
        params = parse_parameters(args.parameter)
    except ValueError as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    if not args.parity and not Path(args.file).is_file():
        print(f"{args.file}: error: cannot read file: no such file", file=sys.stderr)
        return 2
    try:
        if args.parity:
            return _parity(args)
        from argonb.backends.argo_export import export_yaml

        result = export_yaml(Path(args.file), params, templates=args.templates or None, name=args.name,
                             parallelism=args.parallelism, as_workflow=args.as_workflow,
                             comments=not args.no_comments, source_name=args.file)
    except InvalidWorkflow as exc:
        for diag in exc.diagnostics:
            print(diag.format_with_source(), file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"{args.file}: error: cannot read file: {exc.strerror}", file=sys.stderr)
        return 2
    for note in result.warnings:
        print(f"argonb: warning: {note}", file=sys.stderr)
    problems = errors_only(result.diagnostics)
    if problems:
        for diag in problems:
            print(diag.format_with_source(), file=sys.stderr)
        print("argonb: error: the exported YAML does not lint clean; nothing written", file=sys.stderr)
        return 2
    if args.output == "-":
        sys.stdout.write(result.text)
    else:
        Path(args.output).write_text(result.text, encoding="utf-8")
        kinds = ", ".join(f"{d.get('kind')} {(d.get('metadata') or {}).get('name') or (d.get('metadata') or {}).get('generateName', '')}"
                          for d in result.documents)
        print(f"wrote {args.output}: {kinds}", file=sys.stderr)
    return 0


def _parity(args: argparse.Namespace) -> int:
    from argonb.parity import format_report, parity_report

    target = Path(args.file)
    if target.exists():
        notes = parity_report(target, templates=args.templates or None, backend=args.backend)
    else:
        from argonb.store import StoreError
        from argonb.store.views import lookup

        try:
            store, rec = lookup(args.home, args.file)
        except StoreError as exc:
            print(f"argonb: error: {exc} (and no file {args.file!r})", file=sys.stderr)
            return 1
        with store:
            workflow = store.to_workflow(rec)
        notes = parity_report(_StoredRun(workflow, rec.source), templates=args.templates or None,
                              backend=rec.backend if rec.backend in ("local", "docker") else args.backend)
    if args.format == "json":
        print(json.dumps([n.to_dict() for n in notes], indent=2))
    else:
        sys.stdout.write(format_report(notes))
    return 0


class _StoredRun:
    """What parity_report reads from a run, served from the run store."""

    def __init__(self, workflow: dict[str, Any], source: str):
        self.workflow = {k: v for k, v in workflow.items() if k != "status"}
        self.nodes = dict((workflow.get("status") or {}).get("nodes") or {})
        self.source_text = source
