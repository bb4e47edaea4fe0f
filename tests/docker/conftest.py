"""Docker backend tests: a real Docker engine only, no mocks.

Locally they skip (with the reason) when the docker SDK, the engine or the offline test images are missing;
in CI (`CI=true`) they fail instead, because .ci/run starts the engine and builds the images
(`tests/docker/engine.sh`). Every test must leave no argonb container behind.
"""

from __future__ import annotations

import os
import time

import pytest

REQUIRED_IMAGES = ("busybox:latest", "alpine:3.23", "python:alpine3.23", "argoproj/argosay:v2", "argoproj/argosay:v1")


def pytest_configure(config):
    config.addinivalue_line("markers", "docker_concurrent: runs docker pods concurrently with other tests of its module "
                            "(the per-test leftover check is done once for the module instead)")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"docker backend tests need a Docker engine in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client():
    try:
        import docker  # noqa: F401
    except ImportError:
        _unavailable("the docker SDK is not installed: pip install 'argonb[docker]'")
    from argonb.backends.docker import DockerBackend, make_client

    problem = DockerBackend().check()
    if problem:
        _unavailable(problem)
    client = make_client()
    missing = []
    for image in REQUIRED_IMAGES:
        try:
            client.images.get(image)
        except Exception:
            missing.append(image)
    if missing:
        _unavailable(f"offline test images missing ({', '.join(missing)}): run `bash tests/docker/engine.sh images`")
    saved = os.environ.get("ARGONB_DOCKER_PULL")
    os.environ["ARGONB_DOCKER_PULL"] = "never"  # tests never pull
    before = len(client.containers.list(all=True))
    yield client
    if saved is None:
        os.environ.pop("ARGONB_DOCKER_PULL", None)
    else:
        os.environ["ARGONB_DOCKER_PULL"] = saved
    after = len(client.containers.list(all=True))
    client.close()
    assert after <= before, f"docker tests left {after - before} container(s) behind"


def argonb_containers(client, run_id: str | None = None) -> list[dict]:
    """argonb's containers (the list API's entries: Id, Names, Labels, State), of one run or all."""
    from argonb.backends.docker import LABEL_RUN

    label = f"{LABEL_RUN}={run_id}" if run_id else LABEL_RUN
    return client.api.containers(all=True, filters={"label": label})


@pytest.fixture(autouse=True)
def _no_leftovers(request, docker_client):
    """Every test: no argonb container exists before or after it (removal is synchronous in `finally`)."""
    if request.node.get_closest_marker("docker_concurrent"):
        yield
        return
    assert not argonb_containers(docker_client), "argonb containers exist before the test"
    yield
    deadline = time.time() + 5
    left = argonb_containers(docker_client)
    while left and time.time() < deadline:  # a cancelled run's worker may still be in its finally
        time.sleep(0.1)
        left = argonb_containers(docker_client)
    assert not left, f"left behind: {[c['Names'] for c in left]}"
