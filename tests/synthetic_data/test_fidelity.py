"""Fidelity: the calibration table, recomputed from the files of three seeded worlds, stays in tolerance.

Each world is small (3,000 children: big enough to hold the sites' own flows) so the suite stays
fast; tolerances widen with the sampling error at that size (see ``synthetic_data.fidelity``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthetic_data import calibration_table, render_table, write_json
from synthetic_data.fidelity import Figure
from synthetic_data.settings import WorldSettings
from synthetic_data.world import generate

SEEDS = (101, 202, 303)


@pytest.fixture(scope="module", params=SEEDS)
def table(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Figure], Path]:
    settings = WorldSettings(seed=request.param, children=3000)
    out = tmp_path_factory.mktemp(f"fidelity{request.param}")
    generate(out, settings)
    return calibration_table(out, settings), out


def test_every_figure_inside_its_tolerance(table: tuple[list[Figure], Path]) -> None:
    figures, _ = table
    outside = [(f.figure, f.generated, f.low, f.high) for f in figures if not f.inside]
    assert not outside, outside


def test_table_covers_the_issue_figures(table: tuple[list[Figure], Path]) -> None:
    figures, _ = table
    names = " | ".join(f.figure for f in figures)
    for needle in ("Twin maternities per 1,000 maternities (target: all multiple maternities", "Unborn children", "under 5", "aged 10-15",
                   "domestic-abuse factor (all with factors recorded, site families included)",
                   "White British among children in need, Lambeth", "Pakistani among children in need, Bradford",
                   "For Baby's Sake: new family referrals a year", "CODA: new child referrals a year",
                   "LEAP Enhanced Casework: new adult referrals a year", "SCORE-15 improvement"):
        assert needle in names, needle
    for f in figures:
        assert f.source and f.n > 0 and f.low <= f.target <= f.high, f
    # verified only with a source and a figure (a number in the source text)
    assert all(any(ch.isdigit() for ch in f.source) for f in figures if f.verified)
    # ethnicity targets come from the generator's own model (and an unverified C§2.4 mapping): never verified
    ethnicity = [f for f in figures if " among children in need, " in f.figure]
    assert ethnicity and all(not f.verified and "generator's own model" in f.source for f in ethnicity)


def test_report_text_and_json(table: tuple[list[Figure], Path], tmp_path: Path) -> None:
    figures, _ = table
    text = render_table(figures)
    assert text.splitlines()[0].split()[:2] == ["Figure", "Target"]
    assert text.splitlines()[-1] == f"{len(figures)} of {len(figures)} figures inside their tolerance"
    write_json(figures, tmp_path / "t.json")
    data = json.loads((tmp_path / "t.json").read_text())
    assert len(data) == len(figures)
    assert {"figure", "target", "low", "high", "generated", "source", "verified", "inside_tolerance"} <= set(data[0])


def test_a_figure_outside_its_tolerance_is_reported() -> None:
    f = Figure("Twin maternities per 1,000 maternities", "per 1,000", 14.6, 12.0, 17.0, 9.2, 5000, "C§7.1", True)
    assert not f.inside
    assert "outside: Twin maternities" in render_table([f])


@pytest.mark.slow
def test_age_mix_stays_in_tolerance_in_a_large_world(tmp_path: Path) -> None:
    """At 100,000 children the band is about ±0.5 points; the weights fitted on a 20,000-family pilot
    left 10-15 at 30.0% (band 30.1-31.1%) for this seed. They are now exact for the family model."""
    settings = WorldSettings(seed=2718, children=100_000)
    generate(tmp_path, settings)
    ages = [f for f in calibration_table(tmp_path, settings) if "children in need" in f.figure.lower()
            and ("Unborn" in f.figure or "under 5" in f.figure or "aged 10-15" in f.figure)]
    assert len(ages) == 3
    outside = [(f.figure, f.generated, f.low, f.high) for f in ages if not f.inside]
    assert not outside, outside
