"""What the local backend knows about container images it does not pull: their ENTRYPOINT and CMD.

Kubernetes semantics (ARGO-SEMANTICS §5.1): `command` replaces ENTRYPOINT, `args` replaces CMD, and a command
without args drops the image CMD. Stand-ins emulate the Argo test images (§12).
"""

from __future__ import annotations

import re

# (pattern on the image name without tag, entrypoint, cmd)
_IMAGES: list[tuple[str, list[str], list[str]]] = [
    (r"(.*/)?argoproj/argosay", ["/argosay"], []),  # v2; v1 is handled below
    (r"(.*/)?docker/whalesay", [], ["/bin/bash"]),
    (r"(.*/)?(busybox|alpine|alpine/.*)", [], ["sh"]),
    (r"(.*/)?python", [], ["python3"]),
    (r"(.*/)?(debian|ubuntu)", [], ["bash"]),
    (r"(.*/)?node", [], ["node"]),
    (r"(.*/)?golang", [], ["bash"]),
    (r"(.*/)?curlimages/curl", ["/entrypoint.sh"], ["curl"]),
    (r"(.*/)?stedolan/jq", ["jq"], []),
    (r"(.*/)?docker", ["docker-entrypoint.sh"], ["sh"]),
]


def split_image(image: str) -> tuple[str, str]:
    name, _, tag = image.partition("@")[0].rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    return (name, tag) if name else (image, "")


def image_defaults(image: str) -> tuple[list[str], list[str]]:
    """(ENTRYPOINT, CMD) of a known image; unknown images have neither."""
    name, tag = split_image(image)
    if re.fullmatch(r"(.*/)?argoproj/argosay", name) and tag == "v1":
        return [], ["cowsay"]
    for pattern, entrypoint, cmd in _IMAGES:
        if re.fullmatch(pattern, name):
            return list(entrypoint), list(cmd)
    return [], []


def effective_argv(image: str, command: list[str] | None, args: list[str] | None) -> list[str]:
    entrypoint, cmd = image_defaults(image)
    if command:
        return list(command) + list(args or [])
    return entrypoint + (list(args) if args else cmd)
