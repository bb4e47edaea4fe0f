"""Memoization (ARGO-SEMANTICS §10, `memoize {key, maxAge, cache.configMap.name}`), with a local cache.

A node whose template has `memoize` first looks its key up: an entry younger than `maxAge` (Go
`time.ParseDuration`: bare integers are not accepted) is a hit: the node is created Succeeded with the cached
outputs and nothing runs. After a successful run the outputs are saved. The cache persists across runs:
one JSON file per entry under `<ARGONB_HOME>/memoize/<cache name>/`, standing in for Argo's ConfigMap.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from argonb.engine.durations import parse_duration


class MemoizeError(ValueError):
    pass


class MemoCache:
    """Entries of one cache (one directory); writes are atomic (rename) so concurrent runs never see halves."""

    def __init__(self, root: Path, name: str):
        self.name = name
        self.dir = root / "memoize" / _safe(name)

    def _path(self, key: str) -> Path:
        return self.dir / (hashlib.sha256(key.encode()).hexdigest()[:40] + ".json")

    def load(self, key: str, max_age: str | None, now: float) -> dict[str, Any] | None:
        limit = None
        if max_age:  # parsed whether or not there is an entry, as Argo does
            try:
                limit = parse_duration(max_age, allow_bare_seconds=False)
            except ValueError as exc:
                raise MemoizeError(f"invalid maxAge: {exc}") from None
        try:
            entry = json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            return None
        if entry.get("key") != key:
            return None
        if limit is not None and now - float(entry.get("createdAt", 0)) > limit:
            return None
        return entry

    def save(self, key: str, node_id: str, outputs: dict[str, Any] | None, now: float | None = None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        entry = {"key": key, "nodeID": node_id, "outputs": outputs or {}, "createdAt": now or time.time()}
        path = self._path(key)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entry))
        os.replace(tmp, path)


def cache_for(home: Path, memoize: dict[str, Any]) -> MemoCache:
    name = str(((memoize.get("cache") or {}).get("configMap") or {}).get("name") or "default")
    return MemoCache(home, name)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "default"
