"""`argonb get RUN [-o text|json]`: one recorded run; `-o json` prints the Workflow object with its
Argo-shaped status, exactly as `argonb run -o json` does. RUN is a name, a unique prefix or `@latest`.

Exit: 0 found (whatever the run's phase), 2 no such run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from argonb.cli.cmd_list import RUN_HELP


def add_parser(sub: Any) -> None:
    p = sub.add_parser("get", help="show a recorded run", description=__doc__)
    p.add_argument("run", metavar="RUN", help=RUN_HELP)
    p.add_argument("-o", "--output", choices=("text", "json"), default="text")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.set_defaults(func=get_command)


def get_command(args: argparse.Namespace) -> int:
    from argonb.cli.progress import TextReporter
    from argonb.store import StoreError
    from argonb.store.views import StoredRunView, lookup, run_summary

    try:
        store, rec = lookup(args.home, args.run)
    except StoreError as exc:
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    with store:
        if args.output == "json":
            json.dump(store.to_workflow(rec), sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            print(run_summary(rec, store))
            TextReporter(out=sys.stdout).finish(StoredRunView(rec))
    return 0
