"""Analysis outputs and the report."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from synthesis.outputs import (
    code_by_case,
    code_frequency_by_site,
    cooccurrence,
    maturity_profile,
    quotes,
)
from synthesis.report import SECTIONS, report_frames, write_report
from warehouse.store import Store


def test_code_frequency_and_code_by_case_agree(loaded: Store) -> None:
    freq = code_frequency_by_site(loaded)
    wide = code_by_case(loaded, "site")
    for r in freq.iter_rows(named=True):
        assert wide.filter(code_name=r["code_name"])[r["site_id"]].item() == r["n_segments"]
        assert r["n_coders"] == 2 and r["n_documents"] >= 1
    presence = code_by_case(loaded, "site", presence=True)
    assert set(presence.drop("code_name").unique().to_numpy().ravel()) <= {0, 1}


def test_cooccurrence_item_and_dimension_codes_overlap(loaded: Store) -> None:
    co = cooccurrence(loaded)
    pairs = {frozenset((r["code_a_name"], r["code_b_name"])) for r in co.iter_rows(named=True)}
    assert frozenset(("NHS number", "Holding the data")) in pairs
    assert all(0 < j <= 1 for j in co["jaccard"])
    # item codes never co-occur with each other: each passage is about one item
    items = {"NHS number", "CSC status", "police notification", "outcome measures", "attendance record"}
    assert not any(p <= items for p in pairs)


def test_quotes_by_theme_have_speaker_attributes(loaded: Store) -> None:
    q = quotes(loaded, theme="Workarounds")
    assert q.height > 0
    assert set(q["quote"]) == {"We keep a separate spreadsheet to track this by hand."}
    assert q["participant"].null_count() == 0 and q["role"].null_count() == 0
    by_code = quotes(loaded, code="manual workarounds")
    assert sorted(by_code["segment_id"]) == sorted(q["segment_id"])


def test_maturity_profile_stages(loaded: Store) -> None:
    mp = maturity_profile(loaded)
    assert mp.height == 16      # 4 sites x 4 dimensions
    fbs = mp.filter(site_id="fbs", dimension="held").row(0, named=True)
    assert fbs["n_items"] == 5 and fbs["stage"] in {"Learning", "Developing", "Mastering"}


def test_report_markdown_and_xlsx(loaded: Store, tmp_path: Path) -> None:
    frames = report_frames(loaded)
    md = write_report(loaded, "md", frames=frames)
    for title in (section.title for section in SECTIONS.values()):
        assert f"## {title}" in md
    out = Path(write_report(loaded, "xlsx", tmp_path / "r.xlsx", frames=frames))
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == list(SECTIONS)
    assert wb["availability"].max_row == 21     # header + 4 sites x 5 items
    csv_dir = Path(write_report(loaded, "csv", tmp_path / "csv", frames=frames))
    assert sorted(p.stem for p in csv_dir.glob("*.csv")) == sorted(SECTIONS)
