"""`argonb stop RUN [--terminate] [--timeout SECONDS] [--signal]`: stop a run going on in another process.

Argo's `argo stop` (running nodes are killed, exit handlers still run) or, with `--terminate`, `argo
terminate` (exit handlers do not run). The request is written to the store; the owning process's store thread
picks it up within a fraction of a second and calls `Run.stop()`. This works for notebook kernels and for
processes owning several runs, and cannot hit a recycled pid. `--signal` additionally sends SIGINT to the
owning process if it has not taken the request after a few seconds (an `argonb run` then stops cleanly).
Exit: 0 stopped, 1 not stopped in time, 2 no such run or not running.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any

from argonb.cli.cmd_list import RUN_HELP

PICKUP_SECONDS = 3.0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("stop", help="stop a running run", description=__doc__)
    p.add_argument("run", metavar="RUN", help=RUN_HELP)
    p.add_argument("--terminate", action="store_true", help="do not run exit handlers")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the run to end (default 60)")
    p.add_argument("--signal", action="store_true", help="fall back to SIGINT if the owner does not respond")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.set_defaults(func=stop_command)


def stop_command(args: argparse.Namespace) -> int:
    from argonb.store import StoreError, open_store

    with open_store(args.home) as store:
        try:
            rec = store.request(args.run, "terminate" if args.terminate else "stop")
        except StoreError as exc:
            print(f"argonb: error: {exc}", file=sys.stderr)
            return 2
        signalled = False
        start = time.monotonic()
        while time.monotonic() - start < args.timeout:
            store.mark_interrupted()
            current = store.get_run(rec.name)
            if current.done:
                print(f"Workflow '{rec.name}' stopped: {current.phase}"
                      f"{': ' + current.message if current.message else ''}")
                return 0
            if args.signal and not signalled and time.monotonic() - start > PICKUP_SECONDS \
                    and not store.request_handled(rec.name) and current.active and current.pid:
                os.kill(current.pid, signal.SIGINT)
                signalled = True
            time.sleep(0.1)  # polling the store for the owner's answer
    print(f"argonb: error: run {rec.name} did not stop within {args.timeout:.0f}s", file=sys.stderr)
    return 1
