"""`argonb list [-o text|json|name]`: the runs in the store, newest first (like `argo list`).

Exit: 0. Runs whose owning process died are shown as Error "interrupted".
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

RUN_HELP = "run name, unique name prefix, or @latest"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("list", help="list recorded runs", description=__doc__)
    p.add_argument("-o", "--output", choices=("text", "json", "name"), default="text")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.set_defaults(func=list_command)


def list_command(args: argparse.Namespace) -> int:
    from argonb.store import open_store
    from argonb.store.views import runs_table

    with open_store(args.home) as store:
        records = store.list_runs()
    if args.output == "json":
        rows = [{"name": r.name, "phase": r.phase, "message": r.message, "created": r.created,
                 "started": r.started, "finished": r.finished, "attempt": r.attempt,
                 "progress": f"{r.progress[0]}/{r.progress[1]}", "resumedFrom": r.resumed_from,
                 "resubmittedFrom": r.resubmitted_from} for r in records]
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.output == "name":
        sys.stdout.write("".join(f"{r.name}\n" for r in records))
    elif records:
        print(runs_table(records))
    else:
        print("No runs recorded.", file=sys.stderr)
    return 0
