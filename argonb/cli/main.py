"""`argonb` entry point: builds the argument parser from one module per sub-command.

Each sub-command module exposes `add_parser(subparsers)` that registers itself and sets `func`, a callable
`(args) -> int` exit code. Exit codes: 0 success, 1 workflow failed, 2 invalid input, 130 interrupted.
Heavy imports stay inside the sub-command functions so `argonb --version` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from argonb import __version__
from argonb.errors import ArgonbError

# Sub-command modules, in the order `argonb --help` lists them.
COMMAND_MODULES = ("run", "lint", "render", "list", "get", "logs", "retry", "resubmit", "stop", "resume", "delete",
                   "gc", "submit", "export")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="argonb", description="Run Argo Workflows locally, with Argo's semantics.")
    parser.add_argument("--version", action="version", version=f"argonb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"argonb.cli.cmd_{name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("argonb: interrupted", file=sys.stderr)
        return 130
    except ArgonbError as exc:  # a deliberate error no command reported itself: one line, never a traceback
        print(f"argonb: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from argonb.cli.envfail import describe, is_environment_error

        if not is_environment_error(exc):
            raise
        print(describe(args, exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
