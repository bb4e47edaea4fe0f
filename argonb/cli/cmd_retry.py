"""`argonb retry RUN [--node NAME] [--restart-successful] [-p NAME=VALUE]... [--wait] [-o text|json]`.

Argo's `argo retry`: the run starts again under the same name; failed and errored nodes and everything after
them run again, succeeded nodes are kept with their outputs and artifacts. `--node` (an ID, name, display name
or a field selector like `templateName=train`) with `--restart-successful` also runs the selected succeeded
nodes and their descendants again. `-p` overrides workflow parameters (nodes that use them run again).

Without `--wait` the retry runs in a detached background process and the command returns once it started
(follow it with `argonb logs RUN -f`); with `--wait` it runs here and prints like `argonb run`.
Exit: 0 started (or, with --wait, Succeeded), 1 Failed/Error, 2 invalid request, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from argonb.cli.cmd_list import RUN_HELP
from argonb.cli.storecheck import check_recorded

STARTED = "argonb: started "
START_TIMEOUT = 60.0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("retry", help="retry a failed run, keeping what succeeded", description=__doc__)
    p.add_argument("run", metavar="RUN", help=RUN_HELP)
    p.add_argument("--node", default=None, metavar="NAME",
                   help="node to retry: ID, name, display name, or field selector (templateName=x,phase=Failed)")
    p.add_argument("--restart-successful", action="store_true",
                   help="with --node, also run the matching succeeded nodes (and their descendants) again")
    add_common(p)
    p.set_defaults(func=retry_command)


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="override a workflow argument parameter (repeatable)")
    p.add_argument("--wait", action="store_true", help="run in this process and wait for the end")
    p.add_argument("-o", "--output", choices=("text", "json"), default="text")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.add_argument("--detached-child", action="store_true", help=argparse.SUPPRESS)


def retry_command(args: argparse.Namespace) -> int:
    from argonb.store import retry

    def start(params: dict[str, str], subscribers: list[Any]) -> Any:
        return retry(args.run, args.node, args.restart_successful, params, home=args.home,
                     subscribers=subscribers)

    return run_action(args, "retry", start)


def run_action(args: argparse.Namespace, verb: str, start: Any) -> int:
    """Shared by retry and resubmit: validate, then run detached or in the foreground."""
    from argonb.cli.cmd_run import parse_parameters
    from argonb.store import StoreError
    from argonb.store.views import lookup

    try:
        params = parse_parameters(args.parameter)
        store, rec = lookup(args.home, args.run)
        store.close()
    except (ValueError, StoreError) as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    if not args.wait and not args.detached_child:
        return spawn_detached(args, verb, rec.name, store.home)
    return run_foreground(args, lambda subs: start(params, subs))


def run_foreground(args: argparse.Namespace, start: Any) -> int:
    from argonb.cli.cmd_run import _wait_interruptibly
    from argonb.cli.progress import TextReporter
    from argonb.engine.backend import BackendUnavailable
    from argonb.errors import ArgonbError, InvalidWorkflow
    from argonb.store import StoreError

    reporter = TextReporter(json_mode=args.output == "json")
    try:
        handle = start([reporter.on_event])
    except InvalidWorkflow as exc:
        for diag in exc.diagnostics:
            print(diag.format_with_source(), file=sys.stderr)
        return 2
    except (StoreError, BackendUnavailable, FileNotFoundError, ArgonbError) as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    if args.detached_child:
        print(f"{STARTED}{handle.name}", flush=True)
    reporter.attach(handle)
    interrupted = _wait_interruptibly(handle)
    reporter.finish(handle)
    if args.output == "json":
        json.dump(handle.to_workflow(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    code = 130 if interrupted else 0 if handle.phase == "Succeeded" else 1
    return check_recorded(handle, code)


def spawn_detached(args: argparse.Namespace, verb: str, name: str, home: Path) -> int:
    """Start `argonb <verb> ... --detached-child` in its own session (Ctrl-C here does not reach it) with its
    output in `<home>/background/<name>.<verb>.log`; return once it reports the run started."""
    argv = _rebuild(args, verb, name)
    logdir = home / "background"
    logdir.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_path = logdir / f"{name}.{verb}.log"
    with open(log_path, "ab") as out:
        start_at = out.tell()
        env = {**os.environ, "ARGONB_HOME": str(home)}
        child = subprocess.Popen([sys.executable, "-m", "argonb.cli.main", *argv, "--detached-child"], env=env,
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = _read_from(log_path, start_at)
        started = [line[len(STARTED):] for line in text.splitlines() if line.startswith(STARTED)]
        if started:
            print(f"Workflow '{started[0]}' {verb} started in the background (pid {child.pid}); "
                  f"follow it with: argonb logs {started[0]} -f")
            return 0
        if child.poll() is not None:
            sys.stderr.write(text)
            return child.returncode or 1
        time.sleep(0.05)  # polling a file for the child's first line
    print(f"argonb: error: the background {verb} did not start within {START_TIMEOUT:.0f}s; see {log_path}",
          file=sys.stderr)
    return 1


def _rebuild(args: argparse.Namespace, verb: str, name: str) -> list[str]:
    """The command line again, with the run resolved (a later `@latest` may be another run)."""
    argv = [verb, name, "-o", args.output]
    for item in args.parameter:
        argv += ["-p", item]
    for flag in ("node",):
        if getattr(args, flag, None):
            argv += [f"--{flag}", getattr(args, flag)]
    for flag in ("restart_successful", "memoized"):
        if getattr(args, flag, False):
            argv.append("--" + flag.replace("_", "-"))
    return argv


def _read_from(path: Path, offset: int) -> str:
    with open(path, "rb") as fh:
        fh.seek(offset)
        return fh.read().decode("utf-8", errors="replace")
