"""Session setup for the spec tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the hera field-table cache out of the user's home during tests."""
    os.environ.setdefault("ARGONB_CACHE_DIR", str(tmp_path_factory.mktemp("argonb-cache")))
