"""After a recorded run: say what the run store could not record, so that what the CLI reports and what
`argonb list/get` will show agree (a run whose end is not in the store shows as Error "interrupted", or not at all).
Imports: argonb.store.actions.
"""

from __future__ import annotations

import sys
from typing import Any


def check_recorded(handle: Any, exit_code: int) -> int:
    """Print a warning per value recorded in reduced form, an error if the run's end is not recorded; return
    the exit code to use (1 when the store does not hold the run's end, whatever the run's phase)."""
    from argonb.store.actions import recorder_of

    recorder = recorder_of(handle)
    if recorder is None:
        return exit_code
    recorder.wait_flushed()
    where = recorder.writer.path
    for problem in recorder.problems:
        print(f"argonb: warning: run store {where}: {problem}", file=sys.stderr)
    if recorder.end_lost:
        print(f"argonb: error: run store {where}: the run ended {handle.phase} but the store could not record "
              "its end: `argonb list` shows it as Error \"interrupted\" or not at all (free space or make the "
              "store writable, then run it again)", file=sys.stderr)
        return exit_code or 1
    return exit_code
