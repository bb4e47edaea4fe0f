"""Shared fixtures: every test gets its own ARGONB_HOME so runs never share state."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _argonb_home(tmp_path, monkeypatch):
    home = tmp_path / "argonb-home"
    monkeypatch.setenv("ARGONB_HOME", str(home))
    return home
