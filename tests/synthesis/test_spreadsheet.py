"""Spreadsheet template import: CSV and XLSX, errors naming row and column."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from synthesis.exchange import import_file
from warehouse.errors import DataError
from warehouse.store import Store

HEADER = "site_id,data_item,dimension,rating,time_to_access_days,source,rater\n"


def test_csv_errors_name_every_row_and_column(tmp_path: Path) -> None:
    f = tmp_path / "ratings.csv"
    f.write_text(HEADER + "fbs,nhs_number,held,4,,focus_group,R1\n"
                 "fbz,nhs_numbr,held,7,-3,survey,R1\n\n"
                 "sat,csc_status,time_to_access,2.5,21,interview,R2\n", encoding="utf-8")
    store = Store(tmp_path / "w.duckdb")
    with pytest.raises(DataError) as info:
        import_file(f, store)
    msg = str(info.value)
    for fragment in ("row 3, column 'site_id'", "did you mean 'fbs'", "row 3, column 'data_item'",
                     "did you mean 'nhs_number'", "row 3, column 'rating'", "row 3, column 'time_to_access_days'",
                     "row 3, column 'source'", "row 5, column 'rating'"):       # blank line 4 keeps numbering
        assert fragment in msg
    assert "row 2" not in msg
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM syn_availability_rating").fetchone() == (0,)   # all or nothing


def test_site_option_fills_and_guards(tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text("data_item,dimension,rating,site_id\nnhs_number,held,3,\ncsc_status,held,2,leap\n", encoding="utf-8")
    store = Store(tmp_path / "w.duckdb")
    with pytest.raises(DataError, match="row 3, column 'site_id'.*differs from --site"):
        import_file(f, store, site="coda")
    f.write_text("data_item,dimension,rating,site_id\nnhs_number,held,3,\n", encoding="utf-8")
    report = import_file(f, store, site="coda")
    assert report.ratings == 1
    with store.reader() as con:
        assert con.execute("SELECT site_id, rating, source, rater FROM syn_availability_rating").fetchall() == [
            ("coda", 3, "focus_group", "unknown")]


def test_xlsx_workbook_with_all_four_sheets(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "ratings"
    ws.append(["site_id", "data_item", "dimension", "rating", "time_to_access_days"])
    ws.append(["sat", "csc_status", "time_to_access", 1, 90])
    ws.append(["sat", "csc_status", "held", 3, None])
    fw = wb.create_sheet("framework")
    fw.append(["site_id", "theme", "summary", "analyst"])
    fw.append(["sat", "Getting the data out", "Months to extract CSC status", "R2"])
    fi = wb.create_sheet("findings")
    fi.append(["finding_id", "statement", "site_id", "rq_id", "theme", "confidence"])
    fi.append(["F9", "CSC status is slow to reach researchers", "sat", "RQ3", "Getting the data out", "high"])
    tr = wb.create_sheet("triangulation")
    tr.append(["rq_id", "site_id", "source_a", "source_b", "convergence", "meaning_match", "prominence_match"])
    tr.append(["RQ3", "sat", "admin_extract", "focus_group", "partial_agreement", "yes", "no"])
    path = tmp_path / "template.xlsx"
    wb.save(path)
    store = Store(tmp_path / "w.duckdb")
    report = import_file(path, store)
    assert (report.ratings, report.framework_cells, report.findings, report.triangulation_cells) == (2, 1, 1, 1)
    with store.reader() as con:
        assert con.execute("SELECT site_id, summary FROM v_framework_matrix WHERE summary IS NOT NULL").fetchall() == [
            ("sat", "Months to extract CSC status")]
        assert con.execute("SELECT convergence, meaning_match, prominence_match, basis FROM v_triangulation_matrix "
                           "WHERE basis = 'assessed'").fetchall() == [("partial_agreement", True, False, "assessed")]
        assert con.execute("SELECT rating, time_to_access_days FROM v_availability_matrix "
                           "WHERE dimension = 'time_to_access'").fetchall() == [(1, 90.0)]
    # a bad xlsx names the sheet, row and column
    ws.append(["sat", "csc_status", "colour", 2, None])
    wb.save(path)
    with pytest.raises(DataError, match="sheet 'ratings': row 4, column 'dimension'"):
        import_file(path, store)


def test_unknown_header_lists_the_templates(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="matches no template; required columns are ratings: site_id"):
        import_file(f, Store(tmp_path / "w.duckdb"))


def test_free_text_with_identifiers_is_refused_without_echoing_values(tmp_path: Path) -> None:
    f = tmp_path / "framework.csv"
    f.write_text("site_id,theme,summary\nfbs,Holding the data,Ask Jo Bloggs on 07700 900123 about it\n",
                 encoding="utf-8")
    with pytest.raises(DataError) as info:
        import_file(f, Store(tmp_path / "w.duckdb"), roster=["Jo Bloggs"])
    msg = str(info.value)
    assert "row 2, column 'summary': holds identifiers" in msg and "phone at" in msg and "name at" in msg
    assert "07700" not in msg and "Bloggs" not in msg
