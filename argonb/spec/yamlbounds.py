"""The bounds every YAML document argonb reads must stay within: nesting depth and alias expansion.

Owns: `MAX_NESTING`, `AliasBudget` (how many nodes may come out of aliases) and `YamlBoundExceeded`, the located
error both parsers (`argonb.spec.source.parse`, `argonb.spec.fastparse.parse_fast`) raise, which becomes a
YAML002 diagnostic. Without these bounds a 1 KB "billion laughs" document expands into billions of nodes, and a
deeply nested one exhausts the Python stack.

The alias rule is the one Kubernetes and the argo CLI apply, because they decode YAML with
sigs.k8s.io/yaml's fork of go-yaml v2 (goyaml.v2/decode.go, `allowedAliasRatio` and `decoder.unmarshal`):
every decoded node counts, nodes decoded inside an alias count as aliased too, and once more than 100 aliased
of more than 1,000 decoded nodes exceed the allowed ratio (99 % up to 400,000 decodes, falling linearly to
10 % at 4,000,000) the document is refused with "document contains excessive aliasing". So argonb accepts and
refuses exactly the aliasing Argo does, and its worst case is about 400,000 nodes (~100 MB), bounded.
go-yaml limits nesting to 10,000 levels (scannerc.go `max_flow_level`, `max_indents`); argonb's checks and
engine walk documents recursively, so it reads at most `MAX_NESTING` levels, far beyond any real workflow.
Imports: yaml.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_NESTING = 200  # nested mappings/sequences per document; real workflows stay below 20

_RATIO_LOW, _RATIO_HIGH = 400_000, 4_000_000


class YamlBoundExceeded(yaml.MarkedYAMLError):
    """A document went past a bound; `problem_mark` is where, `hint` says what to change."""

    def __init__(self, problem: str, mark: Any, hint: str):
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


def too_deep(mark: Any) -> YamlBoundExceeded:
    return YamlBoundExceeded(f"nesting is deeper than {MAX_NESTING} levels", mark,
                             "flatten the structure; argonb reads at most "
                             f"{MAX_NESTING} nested mappings and lists")


def allowed_alias_ratio(decoded: int) -> float:
    """go-yaml v2's `allowedAliasRatio`: the share of decoded nodes that may come from aliases."""
    if decoded <= _RATIO_LOW:
        return 0.99
    if decoded >= _RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _RATIO_LOW) / (_RATIO_HIGH - _RATIO_LOW)


class AliasBudget:
    """Counts decoded nodes of one document, and those produced through aliases, as go-yaml v2 does."""

    def __init__(self) -> None:
        self.decoded = 0
        self.aliased = 0

    def count(self, through_alias: bool, mark: Any) -> None:
        self.decoded += 1
        if through_alias:
            self.aliased += 1
        if (self.aliased > 100 and self.decoded > 1000
                and self.aliased / self.decoded > allowed_alias_ratio(self.decoded)):
            raise YamlBoundExceeded(
                "document contains excessive aliasing", mark,
                f"{self.aliased} of the first {self.decoded} nodes come from aliases; Kubernetes' YAML decoder "
                "refuses this too: expand fewer aliases")


def self_containing(anchor: str, mark: Any) -> YamlBoundExceeded:
    """go-yaml's error for an alias inside the value of its own anchor (the document would be infinite)."""
    return YamlBoundExceeded(f"anchor '{anchor}' value contains itself", mark,
                             "an alias cannot refer to an anchor it is inside of")
