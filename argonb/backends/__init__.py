"""Backends that run pod nodes: `local` (subprocesses, the default), later `docker` and `argo`."""
