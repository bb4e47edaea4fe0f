"""The import graph of one package (issue 17's engine rules), from the one import walker the tests share
(`tests/import_graph.py`: every import counts, also inside functions, not those under `if TYPE_CHECKING:`)."""

from __future__ import annotations

from pathlib import Path

from tests.import_graph import circles, package_graph

ROOT = Path(__file__).resolve().parents[3]


def import_graph(package: str) -> dict[str, set[str]]:
    """module -> the modules of `package` it imports."""
    return package_graph(package)


__all__ = ["ROOT", "circles", "import_graph"]
