"""Fixtures for the evaluation tests: one small seeded warehouse per session."""

from __future__ import annotations

import pytest

from tests.evaluation.readiness_world import build_world
from warehouse.store import Store


@pytest.fixture(scope="session")
def world_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A warehouse with 120 people per site, outcome rows and linkage metrics (read-write)."""
    return build_world(tmp_path_factory.mktemp("ew") / "w.duckdb")
