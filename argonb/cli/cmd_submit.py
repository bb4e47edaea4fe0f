"""`argonb submit FILE [-p NAME=VALUE]... [--server HOST:PORT] [-n NAMESPACE] [--wait] [-o text|json]`.

Runs the same workflow on a real Argo Workflows server (see docs/cluster.md): validates FILE like `argonb run`,
creates the WorkflowTemplates it needs (an existing one is left alone unless --update-templates), creates the
Workflow, and prints its name. With --wait it follows the workflow like `argonb run` (pod logs as `node: line`,
a progress line, the node table; -o json prints the final Workflow object), records it in the run store
(`argonb list/get/logs` show it; `argonb stop` stops it on the server while this command waits), and exits
with the workflow's outcome. Ctrl-C stops waiting; the workflow keeps running on the server.

Connection: --server or ARGO_SERVER (host:port, or an http(s):// URL), --namespace or ARGO_NAMESPACE (default
argo), ARGO_TOKEN (or --token), ARGO_SECURE (default true: https; --no-secure), ARGO_INSECURE_SKIP_VERIFY (-k),
ARGO_BASE_HREF (--base-href). Exit: 0 submitted (or Succeeded with --wait), 1 Failed/Error, 2 invalid input,
refused by the server or no server, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from argonb.cli.progress import TextReporter


def add_parser(sub: Any) -> None:
    p = sub.add_parser("submit", help="run a workflow on an Argo Workflows server", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="Argo YAML file (Workflow, CronWorkflow or WorkflowTemplate with entrypoint)")
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="override a workflow argument parameter (repeatable)")
    p.add_argument("--templates", action="append", default=[], metavar="PATH",
                   help="file or directory of WorkflowTemplates the workflow references (created on the server)")
    p.add_argument("--name", default=None, help="workflow name (default: metadata.name or generateName+random)")
    p.add_argument("--parallelism", type=int, default=None, help="set spec.parallelism")
    p.add_argument("--server", "--argo-server", dest="server", default=None, metavar="HOST:PORT",
                   help="Argo Server address or URL (default $ARGO_SERVER)")
    p.add_argument("-n", "--namespace", default=None, help="namespace (default $ARGO_NAMESPACE or argo)")
    p.add_argument("--token", default=None, help="bearer token (default $ARGO_TOKEN; prefer the variable)")
    p.add_argument("--secure", action=argparse.BooleanOptionalAction, default=None,
                   help="use TLS (default $ARGO_SECURE or true)")
    p.add_argument("-k", "--insecure-skip-verify", action="store_true", default=None,
                   help="do not verify the server's certificate (default $ARGO_INSECURE_SKIP_VERIFY)")
    p.add_argument("--base-href", default=None, help="path prefix of the Argo Server (default $ARGO_BASE_HREF)")
    p.add_argument("--update-templates", action="store_true",
                   help="replace WorkflowTemplates that already exist on the server and differ")
    p.add_argument("-w", "--wait", action="store_true", help="follow the workflow until it ends")
    p.add_argument("--poll", action="store_true", help="with --wait: poll the workflow instead of watching it")
    p.add_argument("-o", "--output", choices=("text", "json"), default="text")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.add_argument("--no-record", action="store_true", help="with --wait: do not record the run in the run store")
    p.set_defaults(func=submit_command)


def submit_command(args: argparse.Namespace) -> int:
    from argonb.backends.argo import ArgoError, submit
    from argonb.cli.cmd_run import parse_parameters
    from argonb.engine.backend import BackendUnavailable
    from argonb.errors import InvalidWorkflow

    try:
        params = parse_parameters(args.parameter)
    except ValueError as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    if not Path(args.file).is_file():
        print(f"{args.file}: error: cannot read file: no such file", file=sys.stderr)
        return 2
    reporter = TextReporter(json_mode=args.output == "json")
    recorder = None
    subscribers: list[Any] = []
    try:
        if args.wait and not args.no_record:
            recorder = _recorder(args, params)
            subscribers.append(recorder.on_event)
        if args.wait:
            subscribers.append(reporter.on_event)
        handle = submit(args.file, params, server=args.server, namespace=args.namespace, token=args.token,
                        secure=args.secure, insecure_skip_verify=args.insecure_skip_verify,
                        base_href=args.base_href, templates=args.templates or None, name=args.name,
                        parallelism=args.parallelism, update_templates=args.update_templates,
                        follow=args.wait, home=_home(args) if recorder is not None else None,
                        subscribers=subscribers, watch=not args.poll)
    except InvalidWorkflow as exc:
        for diag in exc.diagnostics:
            print(diag.format_with_source(), file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"{args.file}: error: cannot read file: {exc.strerror}", file=sys.stderr)
        return 2
    except (ArgoError, BackendUnavailable) as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    except _StoreProblem as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    for note in handle.warnings:
        print(f"argonb: warning: {note}", file=sys.stderr)
    if recorder is not None:
        recorder.attach(handle)
    if not args.wait:
        if args.output == "json":
            json.dump(handle.to_workflow(), sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            print(f"Name:       {handle.name}\nNamespace:  {handle.namespace}\nServer:     {handle.server}\n"
                  f"Status:     {handle.phase}")
        return 0
    reporter.attach(handle)
    if not _wait(handle):
        print(f"\nargonb: interrupted; workflow {handle.name} keeps running on the server "
              f"(stop it with `argo stop -n {handle.namespace} {handle.name}`)", file=sys.stderr)
        handle.close()
        return 130
    if recorder is not None:
        recorder.wait_flushed()
    reporter.finish(handle)
    if args.output == "json":
        json.dump(handle.to_workflow(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0 if handle.phase == "Succeeded" else 1


class _StoreProblem(Exception):
    pass


def _home(args: argparse.Namespace) -> Any:
    from argonb.engine.api import home_dir

    return home_dir(args.home)


def _recorder(args: argparse.Namespace, params: dict[str, str]) -> Any:
    """A run-store recorder for the run (a finished earlier run of the same fixed name is replaced)."""
    from argonb.store import StoreError, open_store, planned_name
    from argonb.store.recorder import RunRecorder

    try:
        store = open_store(_home(args))
        name = args.name or planned_name(args.file)
        if name:
            try:
                rec = store.get_run(name)
            except LookupError:
                rec = None
            if rec is not None and rec.name == name:
                if rec.active:
                    raise _StoreProblem(f"run {name} is still running (pid {rec.pid}); choose another --name")
                store.delete(rec)
        from argonb.spec.source import Source

        text = Source.from_file(args.file).text  # InvalidWorkflow (ARG000) if unreadable, before anything is sent
        return RunRecorder(store.db, source=text, source_path=str(Path(args.file).resolve()), parameters=params,
                           templates=list(args.templates), backend="argo")
    except StoreError as exc:
        raise _StoreProblem(str(exc)) from None


def _wait(handle: Any) -> bool:
    """Wait for the workflow to end; False on Ctrl-C (the workflow is left running)."""
    done = threading.Event()
    while not done.is_set():
        try:
            handle.wait(0.2)
            if handle.done:
                done.set()
        except KeyboardInterrupt:
            return False
    return True
