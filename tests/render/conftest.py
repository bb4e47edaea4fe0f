"""Fixtures for the render tests."""

from __future__ import annotations

import pytest
from render_samples import pod


@pytest.fixture
def dag_nodes() -> dict:
    """A finished DAG run: root -> a -> (b, skipped c); b failed."""
    nodes = [
        {"id": "root", "name": "wf", "displayName": "wf", "type": "DAG", "phase": "Failed", "boundaryID": "",
         "children": ["a"], "templateName": "main"},
        pod("a", "a", "Succeeded", children=["b", "c"]),
        pod("b", "b", "Failed"),
        pod("c", "c", "Skipped", type_="Skipped"),
    ]
    return {n["id"]: n for n in nodes}
