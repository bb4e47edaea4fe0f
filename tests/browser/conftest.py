"""Fixtures for the real-browser tests: one JupyterLab server and one headless Chromium per session.

Without chromium / jupyterlab / playwright / graphviz the tests skip locally with the reason, but fail
under CI (CI=true), where .ci/run installs them. Screenshots go to $ARGONB_TEST_ARTIFACTS (default
tests/browser/artifacts/, git-ignored); a failing test also leaves a screenshot and the server log there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .lab import CHROMIUM, CHROMIUM_ARGS, RECORD_KERNEL_FRAMES, Lab, missing_requirements

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium (chromium, jupyterlab, "
                                       "playwright, graphviz)")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_reason() -> str:
    missing = missing_requirements()
    return "browser tests need: " + "; ".join(missing) if missing else ""


@pytest.fixture(scope="session")
def browser_requirements() -> str:
    """"" when everything is there; else skip, or under CI the reason (the test then fails, see below)."""
    reason = missing_reason()
    if reason and not in_ci():
        pytest.skip(reason)
    return reason


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Under CI a browser test without its tools fails (its fixtures stood down instead of erroring)."""
    if item.get_closest_marker("browser") and in_ci():
        reason = missing_reason()
        if reason:
            pytest.fail(reason + " (CI=true: .ci/run installs them)", pytrace=False)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(os.environ.get("ARGONB_TEST_ARTIFACTS") or HERE / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("FAILED-*.png"):  # from an earlier session
        old.unlink()
    return path


@pytest.fixture(scope="session")
def lab(browser_requirements, tmp_path_factory, artifacts):
    if browser_requirements:
        yield None
        return
    server = Lab(tmp_path_factory.mktemp("jupyterlab"))
    server.start()
    yield server
    server.stop()
    shutil.copyfile(server.base / "lab.log", artifacts / "jupyterlab.log")


@pytest.fixture(scope="session")
def browser(browser_requirements):
    if browser_requirements:
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, lab, artifacts, request):
    if browser is None:
        yield None
        return
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    context.set_default_timeout(30_000)
    context.add_init_script(RECORD_KERNEL_FRAMES)  # widget traffic, timed by the page (see CommCounter)
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        try:
            pg.screenshot(path=str(artifacts / f"FAILED-{request.node.name}.png"), full_page=True)
        except Exception:  # the page may be gone; the report already says why the test failed
            pass
    context.close()


@pytest.fixture
def marker_dir():
    """A directory outside /tmp (pods get a private /tmp) that a pod can test for; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="argonb-browser-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    yield path
    shutil.rmtree(path, ignore_errors=True)
