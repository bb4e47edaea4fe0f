"""`argonb resubmit RUN [--memoized] [-p NAME=VALUE]... [--wait] [-o text|json]`.

Argo's `argo resubmit`: a new run, with a new name, from the recorded source and parameters. `--memoized`
keeps the earlier run's succeeded nodes whose templates and inputs are unchanged. Without `--wait` it runs in
a detached background process (see `argonb retry`).
Exit: 0 started (or, with --wait, Succeeded), 1 Failed/Error, 2 invalid request, 130 interrupted.
"""

from __future__ import annotations

import argparse
from typing import Any

from argonb.cli.cmd_list import RUN_HELP
from argonb.cli.cmd_retry import add_common, run_action


def add_parser(sub: Any) -> None:
    p = sub.add_parser("resubmit", help="run a recorded workflow again under a new name", description=__doc__)
    p.add_argument("run", metavar="RUN", help=RUN_HELP)
    p.add_argument("--memoized", action="store_true", help="keep the unchanged succeeded nodes of RUN")
    add_common(p)
    p.set_defaults(func=resubmit_command)


def resubmit_command(args: argparse.Namespace) -> int:
    from argonb.store import resubmit

    def start(params: dict[str, str], subscribers: list[Any]) -> Any:
        return resubmit(args.run, args.memoized, params, home=args.home, subscribers=subscribers)

    return run_action(args, "resubmit", start)
