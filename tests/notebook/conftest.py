"""An IPython shell with `%load_ext argonb`, shared by the in-process magic tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ip():
    from IPython.testing.globalipapp import get_ipython, start_ipython

    shell = start_ipython() or get_ipython()  # None when another test module started the shell first
    shell.run_line_magic("load_ext", "argonb")
    return shell


@pytest.fixture
def session(ip):
    return ip.magics_manager.registry["WorkflowMagics"].session


@pytest.fixture
def gate():
    """A gate file path outside /tmp; removing its directory at teardown releases any pod still waiting."""
    folder = Path(tempfile.mkdtemp(prefix="argonb-gate-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    yield folder / "gate"
    shutil.rmtree(folder, ignore_errors=True)
