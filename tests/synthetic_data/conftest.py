"""Shared seeded drops for the synthetic-world tests (small N: the whole suite stays fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthetic_data.settings import WorldSettings
from synthetic_data.world import generate


@pytest.fixture(scope="session")
def clean_drop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("clean")
    manifest = generate(out, WorldSettings(seed=11, children=6000))
    return out, manifest


@pytest.fixture(scope="session")
def dirty_drop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("dirty")
    manifest = generate(out, WorldSettings(seed=12, children=2500, dirty=0.05))
    return out, manifest
