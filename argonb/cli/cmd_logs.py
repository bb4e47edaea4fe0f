"""`argonb logs RUN [NODE] [-f]`: the logs of a recorded run's pods (all of them, each line prefixed with
the node's name, or one node's). `-f` follows a run still going in another process until it ends.

Exit: 0; with `-f`, 0 if the run succeeded and 1 otherwise; 2 no such run or node.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from argonb.cli.cmd_list import RUN_HELP


def add_parser(sub: Any) -> None:
    p = sub.add_parser("logs", help="print or follow a run's logs", description=__doc__)
    p.add_argument("run", metavar="RUN", help=RUN_HELP)
    p.add_argument("node", metavar="NODE", nargs="?", default=None,
                   help="node ID, name, display name or pod name (default: every pod)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.set_defaults(func=logs_command)


def logs_command(args: argparse.Namespace) -> int:
    from argonb.store import StoreError
    from argonb.store.views import follow_logs, lookup, pod_rows, print_logs

    try:
        store, rec = lookup(args.home, args.run)
    except StoreError as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    with store:
        if args.node and not pod_rows(store, rec.name, args.node) and not args.follow:
            print(f"argonb: error: no pod node {args.node!r} in run {rec.name}", file=sys.stderr)
            return 2
        if not args.follow:
            print_logs(store, rec.name, args.node, sys.stdout)
            return 0
        final = follow_logs(store, rec.name, args.node, sys.stdout)
    return 0 if final.phase == "Succeeded" else 1
