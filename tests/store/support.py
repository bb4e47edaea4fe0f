"""Fixtures for the run-store tests: a CLI runner in real subprocesses, condition polling, workflow texts.

Pod commands see `/tmp/...` paths rewritten into the pod's private root by the local backend, so marker
files the test creates are passed with `@` for `/` and decoded inside the pod (`hidden`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def hidden(path: Path) -> str:
    return str(path).replace("/", "@")


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll `condition` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Cli:
    """`python -m argonb.cli.main ...` with the test's ARGONB_HOME."""

    def __init__(self, home: Path, cwd: Path):
        self.home = home
        self.cwd = cwd
        self.env = {**os.environ, "ARGONB_HOME": str(home), "PYTHONPATH": str(ROOT)}

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "argonb.cli.main", *args]

    def __call__(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), cwd=self.cwd, env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(*args), cwd=self.cwd, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.fixture
def home(_argonb_home: Path) -> Path:
    return _argonb_home


@pytest.fixture
def cli(home: Path, tmp_path: Path) -> Cli:
    return Cli(home, tmp_path)


@pytest.fixture
def procs() -> Any:
    """Subprocesses started by a test; killed (by their own pid) if still running at the end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def waiting_script(marker: Path, message: str = "done") -> str:
    """A Python script body that waits (at most 20 s) for `marker` to exist, then prints `message`."""
    return (f"import os, time\n"
            f"marker = {hidden(marker)!r}.replace('@', '/')\n"
            f"deadline = time.time() + 20\n"
            f"print('waiting', flush=True)\n"
            f"while not os.path.exists(marker) and time.time() < deadline:\n"
            f"    time.sleep(0.02)\n"
            f"print({message!r})\n")


def indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())
