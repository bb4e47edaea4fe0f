"""`RunConfig`: how to run a workflow, as one frozen value instead of keyword arguments passed down layers.

Owns: `RunConfig` (every option of `argonb.run` besides the source and the parameters; each field says whether
only the local engine uses it) and `RunConfig.from_options` (keyword arguments → config, refusing unknown
names as a function signature would). Imports: stdlib only (the backend and registry are typed loosely so
this module stays at the bottom of the engine).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

LOCAL_ONLY = {"local_only": True}  # field metadata: meaningless on an Argo Server (noted, not sent)


@dataclass(frozen=True)
class RunConfig:
    backend: Any = "local"  # a registry name or a Backend object
    templates: Any = None  # sources or directories with WorkflowTemplates / ConfigMaps
    registry: Any = None  # a Registry shared across runs (the notebook keeps one per kernel)
    home: str | Path | None = None
    parallelism: int | None = None
    name: str | None = None
    wait: bool = False
    validate_input: bool = True
    namespace: str | None = None
    subscribers: tuple[Callable[[Any], None], ...] = ()
    max_workers: int = field(default=64, metadata=LOCAL_ONLY)
    reuse: dict[str, dict[str, Any]] | None = field(default=None, metadata=LOCAL_ONLY)
    reuse_from: str = field(default="", metadata=LOCAL_ONLY)
    reuse_keeps_times: bool = field(default=True, metadata=LOCAL_ONLY)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> RunConfig:
        """A config from keyword arguments; TypeError names an option that does not exist."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unexpected run option(s): {', '.join(unknown)}")
        values = dict(options)
        if "subscribers" in values:
            values["subscribers"] = tuple(values["subscribers"] or ())
        if "reuse" in values:  # an empty map keeps nothing, as no map does
            values["reuse"] = values["reuse"] or None
        return cls(**values)

    def with_options(self, **changes: Any) -> RunConfig:
        return replace(self, **changes)

    def local_only_set(self) -> list[str]:
        """Names of local-engine options set to something other than their default."""
        return sorted(f.name for f in fields(self)
                      if f.metadata.get("local_only") and getattr(self, f.name) != f.default)


DEFAULT_CONFIG = RunConfig()
