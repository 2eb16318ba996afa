"""Spreadsheet-safe output: text that looks like a formula never becomes a live formula.

Imported findings carry free text (summaries, notes, code names, ToC labels) from templates and
QDA projects. A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula to Excel and LibreOffice (``=HYPERLINK(...)`` can exfiltrate data when clicked). Values
are stored in the warehouse exactly as delivered; only the writers neutralise them, with the one
rule in :func:`warehouse.disclosure.neutralise_formula`:

- CSV: such a text cell gets a leading ``'`` (the OWASP CSV-injection advice), so a spreadsheet
  shows it as text (plain numbers such as ``-0.05`` are left alone);
- XLSX: every text cell is written with the string type, and formula-looking ones also carry
  Excel's quote prefix (the hidden apostrophe a person types), so the text is exact and stays text
  when the cell is edited.

Example:
    >>> inert_csv_value("=1+1"), inert_csv_value("fine"), inert_csv_value(3)
    ("'=1+1", 'fine', 3)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from warehouse.disclosure import inert_frame, neutralise_formula

__all__ = ["inert_csv_value", "inert_frame", "looks_like_formula", "write_csv_frame", "write_csv_rows",
           "write_xlsx_sheet"]


def looks_like_formula(value: object) -> bool:
    """True for text a spreadsheet would evaluate (the rule is ``warehouse.disclosure.neutralise_formula``)."""
    return isinstance(value, str) and neutralise_formula(value) != value


def inert_csv_value(value: object) -> object:
    """``value`` neutralised for CSV when it is formula-looking text; anything else unchanged."""
    return neutralise_formula(value) if isinstance(value, str) else value


def write_csv_frame(df: pl.DataFrame, path: Path) -> Path:
    """Write ``df`` as UTF-8 CSV with formula-looking text neutralised."""
    inert_frame(df).write_csv(path)
    return Path(path)


def write_csv_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Write rows as UTF-8 CSV (Python's csv quoting) with formula-looking text neutralised."""
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([inert_csv_value(h) for h in header])
        for row in rows:
            w.writerow([inert_csv_value(v) for v in row])
    return Path(path)


def write_xlsx_sheet(ws: Any, header: Sequence[object], rows: Iterable[Sequence[object]]) -> int:
    """Fill an empty openpyxl worksheet; text cells are typed as strings, never formulas. Returns rows written."""
    n = 0
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
                if looks_like_formula(value):
                    cell.quotePrefix = True
        n = r - 1
    return n
