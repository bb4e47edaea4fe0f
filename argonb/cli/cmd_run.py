"""`argonb run FILE [-p NAME=VALUE]... [--backend local] [-o text|json] [--parallelism N]`.

Text mode streams `node: line` logs and a progress line, then a node table; json mode prints exactly one
Workflow JSON document on stdout (logs go to stderr). Exit: 0 Succeeded, 1 Failed/Error, 2 invalid input,
130 interrupted (the run is stopped cleanly first).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from argonb.cli.progress import TextReporter
from argonb.cli.storecheck import check_recorded


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="run a workflow locally", description=__doc__)
    p.add_argument("file", help="Argo YAML file (Workflow, CronWorkflow or WorkflowTemplate with entrypoint)")
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="override a workflow argument parameter (repeatable)")
    p.add_argument("--backend", default=None, help="local (default), docker or argo; also $ARGONB_BACKEND")
    p.add_argument("-o", "--output", choices=("text", "json"), default="text")
    p.add_argument("--parallelism", type=int, default=None, help="max pods running at once (spec.parallelism)")
    p.add_argument("--templates", action="append", default=[], metavar="PATH",
                   help="file or directory of WorkflowTemplates/ClusterWorkflowTemplates/ConfigMaps")
    p.add_argument("--name", default=None, help="workflow name (default: metadata.name or generateName+random)")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.add_argument("--reuse", default=None, metavar="RUN",
                   help="edit-and-resume: keep every unchanged succeeded node of RUN (name, prefix or @latest)")
    p.set_defaults(func=run_command)


def parse_parameters(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"invalid parameter {item!r}: expected NAME=VALUE")
        out[name] = value
    return out


def run_command(args: argparse.Namespace) -> int:
    import os

    from argonb.engine.backend import BackendUnavailable
    from argonb.engine.loaded import load_workflow
    from argonb.errors import ArgonbError, InvalidWorkflow
    from argonb.store import StoreError, resume_edited, run_recorded

    try:
        params = parse_parameters(args.parameter)
    except ValueError as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    reporter = TextReporter(json_mode=args.output == "json")
    backend = args.backend or os.environ.get("ARGONB_BACKEND") or "local"
    try:
        options = dict(backend=backend, templates=args.templates or None, home=args.home,
                       parallelism=args.parallelism, name=args.name, subscribers=[reporter.on_event])
        # a path, never YAML text: a missing file is ARG000, not "no runnable document"; loaded once, here
        source = load_workflow(Path(args.file), templates=options["templates"])
        if args.reuse:
            handle = resume_edited(source, args.reuse, params, **options)
        else:
            handle = run_recorded(source, params, **options)
    except StoreError as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    except InvalidWorkflow as exc:
        for diag in exc.diagnostics:
            print(diag.format_with_source(), file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"{args.file}: error: cannot read file: {exc.strerror}", file=sys.stderr)
        return 2
    except (BackendUnavailable, ArgonbError) as exc:  # e.g. the Argo server refused or failed the request
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    reporter.attach(handle)
    interrupted = _wait_interruptibly(handle)
    reporter.finish(handle)
    if args.output == "json":
        json.dump(handle.to_workflow(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    code = 130 if interrupted else 0 if handle.phase == "Succeeded" else 1
    return check_recorded(handle, code)


def _wait_interruptibly(handle: Any) -> bool:
    """Wait for the run; on Ctrl-C stop it cleanly (children killed) and report the interruption. When the
    stop itself fails (an Argo server that refuses it), say so and stop waiting."""
    from argonb.errors import ArgonbError

    done = threading.Event()
    interrupted = False
    while not done.is_set():
        try:
            handle.wait(0.2)
            if handle.done:
                done.set()
        except KeyboardInterrupt:
            try:
                if interrupted:
                    handle.terminate()
                interrupted = True
                print("\nargonb: interrupted, stopping the run...", file=sys.stderr)
                handle.stop()
            except ArgonbError as exc:
                print(f"argonb: error: could not stop {handle.name}: {exc}", file=sys.stderr)
                return True
    return interrupted
