"""`argonb resume RUN [--node NAME] [-p NAME=VALUE]...`: resume suspended nodes of a run going on in another
process (Argo's `argo resume`), optionally supplying output parameter values for them.

To continue a run that failed or was interrupted, keeping what succeeded, use `argonb retry`.
Exit: 0 request taken, 1 the owner did not take it in time, 2 no such run or not running.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from argonb.cli.cmd_list import RUN_HELP

PICKUP_TIMEOUT = 10.0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("resume", help="resume a suspended run", description=__doc__)
    p.add_argument("run", metavar="RUN", help=RUN_HELP)
    p.add_argument("--node", default=None, metavar="NAME", help="only this suspended node (ID, name or display name)")
    p.add_argument("-p", "--output-parameter", dest="outputs", action="append", default=[], metavar="NAME=VALUE",
                   help="value for the suspended node's output parameter (repeatable)")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.set_defaults(func=resume_command)


def resume_command(args: argparse.Namespace) -> int:
    from argonb.cli.cmd_run import parse_parameters
    from argonb.store import StoreError, open_store

    with open_store(args.home) as store:
        try:
            outputs = parse_parameters(args.outputs)
            rec = store.request(args.run, "resume", node=args.node, outputs=outputs)
        except (ValueError, StoreError) as exc:
            hint = "; use `argonb retry` to continue a failed or interrupted run" if "not running" in str(exc) else ""
            print(f"argonb: error: {exc}{hint}", file=sys.stderr)
            return 2
        deadline = time.monotonic() + PICKUP_TIMEOUT
        while time.monotonic() < deadline:
            if store.request_handled(rec.name):
                print(f"Workflow '{rec.name}' resumed")
                return 0
            time.sleep(0.1)  # polling the store for the owner's answer
    print(f"argonb: error: the process running {rec.name} did not take the request", file=sys.stderr)
    return 1
