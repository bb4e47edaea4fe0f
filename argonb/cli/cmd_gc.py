"""`argonb gc --older-than 7d [--dry-run]`: delete every finished run that finished longer ago than the
period (`7d`, `2w`, `36h`, `90m`, or seconds). Running runs are never collected. Docker containers whose argonb
process on this machine is gone are removed too (when the Docker SDK is installed and an engine answers).

Exit: 0, 2 for a bad period.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("gc", help="delete old finished runs", description=__doc__)
    p.add_argument("--older-than", required=True, metavar="PERIOD", help="e.g. 7d, 2w, 36h, 90m")
    p.add_argument("--dry-run", action="store_true", help="only print what would be deleted")
    p.add_argument("--home", default=None, help="argonb's state directory (default $ARGONB_HOME or ./.argonb)")
    p.set_defaults(func=gc_command)


def gc_command(args: argparse.Namespace) -> int:
    from argonb.store import open_store
    from argonb.store.views import parse_age

    try:
        period = parse_age(args.older_than)
    except ValueError as exc:
        print(f"argonb: error: invalid --older-than {args.older_than!r}: {exc}", file=sys.stderr)
        return 2
    with open_store(args.home) as store:
        if args.dry_run:
            cutoff = time.time() - period
            names = [r.name for r in store.list_runs() if r.finished is not None and r.finished < cutoff]
        else:
            names = store.gc(period)
    verb = "would delete" if args.dry_run else "deleted"
    for name in names:
        print(f"{verb} {name}")
    print(f"{len(names)} run(s) {verb}", file=sys.stderr)
    for container in docker_orphans(dry_run=args.dry_run):
        print(f"{'would remove' if args.dry_run else 'removed'} container {container} (its argonb process is gone)",
              file=sys.stderr)
    return 0


def docker_orphans(*, dry_run: bool) -> list[str]:
    """Remove the docker containers whose argonb process on this machine is gone (a SIGKILL that also took the
    watchdog, a reboot). Nothing when the SDK is missing or no engine answers: gc never waits on docker."""
    try:
        import docker  # noqa: F401
    except ImportError:
        return []
    from argonb.backends.docker import DockerBackend, cleanup_leftovers

    if DockerBackend().check() is not None:
        return []
    try:
        return cleanup_leftovers(orphans_only=True, dry_run=dry_run)
    except Exception as exc:  # the engine went away between the check and the listing
        print(f"argonb: warning: docker containers not cleaned: {exc}", file=sys.stderr)
        return []
