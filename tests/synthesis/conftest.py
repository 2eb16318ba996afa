"""Shared fixtures: one seeded synthetic focus-group set, loaded once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthesis.exchange import import_file
from synthetic_data.focus_groups import write_focus_groups
from warehouse.store import Store

SEED = 7


@pytest.fixture(scope="session")
def material(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], dict]:
    out = tmp_path_factory.mktemp("findings")
    paths = write_focus_groups(out, SEED)
    truth = json.loads((out / "truth" / "ground_truth.json").read_text(encoding="utf-8"))
    return out, paths, truth


@pytest.fixture(scope="session")
def loaded(material: tuple[Path, list[Path], dict], tmp_path_factory: pytest.TempPathFactory) -> Store:
    _, paths, _ = material
    store = Store(tmp_path_factory.mktemp("db") / "fg.duckdb")
    for p in paths:
        import_file(p, store)
    return store
