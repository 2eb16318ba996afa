"""Fixtures for the ingestion tests: a tiny valid drop built at test time (nothing personal committed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.warehouse.drop_fixture import write_drop


@pytest.fixture(scope="session")
def clean_drop_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("template") / "drop"
    counts = write_drop(root)
    return root, counts


@pytest.fixture()
def drop(clean_drop_template: tuple[Path, dict[str, int]], tmp_path: Path) -> Path:
    """A fresh, writable copy of the clean drop."""
    src, _ = clean_drop_template
    dst = tmp_path / "drop"
    shutil.copytree(src, dst)
    return dst


@pytest.fixture()
def drop_counts(clean_drop_template: tuple[Path, dict[str, int]]) -> dict[str, int]:
    return clean_drop_template[1]


@pytest.fixture(scope="session")
def mini_drop_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mini") / "drop"
    write_drop(root, sites=("sat", "leap", "coda"))
    return root


@pytest.fixture()
def mini_drop(mini_drop_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of a smaller clean drop (sites sat, leap, coda and their LAs 380, 208, 209)."""
    dst = tmp_path / "mini"
    shutil.copytree(mini_drop_template, dst)
    return dst
