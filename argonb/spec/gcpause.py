"""Pausing Python's cyclic garbage collector while lint parses and checks.

Owns: `collector_paused()`. Parsing and checking a 10,000-task workflow allocates a few hundred thousand objects
that stay alive until the lint ends, so allocation-triggered collections keep re-walking them and find nothing
to free: ~10% of the lint. Lint builds no garbage that must go before it returns, so collection waits until
then. A collector that was already off (by the caller, or another thread's lint) is left as it was.
Imports: stdlib only.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
