"""The DfE rules over every LA file of a seeded synthetic world, read as the loader reads them (CIN XML
through ``flatten_cin``, SSDA903 CSVs as text): they run without failing and every problem points at a
real row and child of the file it came from."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from synthetic_data import WorldSettings, generate
from warehouse.validation.cin import flatten_cin
from warehouse.validation.dfe import run_rules
from warehouse.validation.dfe.catalogue import CATALOGUE


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dfe_world")
    generate(out, WorldSettings(seed=5, children=200))
    return out


def _cin_tables(path: Path) -> dict[str, object]:
    flat = flatten_cin(path)
    names = ("child", "details", "assessments", "factors", "plans", "section47", "cpp", "disabilities", "reviews")
    tables: dict[str, object] = {"header": flat.header}
    tables.update({n: getattr(flat, n) for n in names if getattr(flat, n, None) is not None})
    return tables


def test_rules_run_over_generated_files(world: Path) -> None:
    codes = {(e.return_name, e.code) for e in CATALOGUE}
    las = sorted(p for p in (world / "la").iterdir() if p.is_dir())
    assert las
    for la in las:
        tables = _cin_tables(la / "cin_census.xml")
        problems = run_rules("cin", tables, 2025, la.name)  # type: ignore[arg-type]
        child = tables["child"]
        assert isinstance(child, pl.DataFrame)
        ids = dict(zip(child.get_column("_row").to_list(), child.get_column("LAchildID").to_list(), strict=True))
        for row in problems.filter(pl.col("row").is_not_null()).iter_rows(named=True):
            assert ids[row["row"]] == row["child_id"]
        assert {("cin", c) for c in problems.get_column("dfe_rule")} <= codes

        frames = {f.stem.lower(): pl.read_csv(f, infer_schema=False).with_row_index("_row", offset=1)
                  .with_columns(pl.col("_row").cast(pl.Int64)) for f in (la / "ssda903").glob("*.csv")}
        problems = run_rules("903", frames, 2025)
        for row in problems.iter_rows(named=True):
            table = frames[row["table"]]
            assert table.filter(pl.col("_row") == row["row"]).get_column("CHILD").to_list() == [row["child_id"]]
        assert {("903", c) for c in problems.get_column("dfe_rule")} <= codes
