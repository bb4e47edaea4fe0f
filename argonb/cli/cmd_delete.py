"""`argonb delete RUN...`: remove recorded runs: their rows, run directories and the artifacts no other run
still uses. A run still going in a live process is refused (stop it first).

Exit: 0 all deleted, 2 a run was not found or is still running (the others are still deleted).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from argonb.cli.cmd_list import RUN_HELP


def add_parser(sub: Any) -> None:
    p = sub.add_parser("delete", help="delete recorded runs", description=__doc__)
    p.add_argument("runs", metavar="RUN", nargs="+", help=RUN_HELP)
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.set_defaults(func=delete_command)


def delete_command(args: argparse.Namespace) -> int:
    from argonb.store import StoreError, open_store

    code = 0
    with open_store(args.home) as store:
        for ref in args.runs:
            try:
                print(f"Workflow '{store.delete(ref)}' deleted")
            except StoreError as exc:
                print(f"argonb: error: {exc}", file=sys.stderr)
                code = 2
    return code
