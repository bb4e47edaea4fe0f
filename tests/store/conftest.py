"""Fixtures for the run-store tests (helpers live in tests/store/support.py)."""

from tests.store.support import cli, home, procs  # noqa: F401
