"""Errors of moving artifacts in and out of pods, in a module of their own so that the repository
(artifacts.py), the pod filesystem (podfs.py) and the output archiver (outarchive.py) share them without
importing each other."""

from __future__ import annotations

from argonb.errors import ArgonbError


class ArtifactError(ArgonbError):
    """An artifact that cannot be stored, fetched or unpacked."""


class OutputsStopped(ArtifactError):
    """`argonb stop` or a deadline reached a pod while its outputs were being collected."""

    def __init__(self, message: str, *, timed_out: bool):
        super().__init__(message)
        self.timed_out = timed_out
