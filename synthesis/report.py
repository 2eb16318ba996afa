"""The findings report: every matrix as Markdown, one XLSX workbook, or a folder of CSV files.

Text that looks like a formula is written inert (:mod:`synthesis.inert`): imported summaries and notes
never become live formulas in the CSV or XLSX outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from synthesis import outputs
from synthesis.inert import inert_frame, write_csv_frame, write_xlsx_sheet
from warehouse.errors import ConfigError
from warehouse.registry import Registry
from warehouse.store import Store

Format = Literal["md", "xlsx", "csv"]

@dataclass(frozen=True)
class ReportSection:
    """One section of the findings report: its sheet / file name, its title and the frame it shows."""

    name: str
    title: str
    build: Callable[[Store], pl.DataFrame]


SECTIONS: Registry[ReportSection] = Registry("findings report section")
"""The report's sections in order; a new one registers exactly as these do."""

for _section in (
    ReportSection("availability", "Data-availability matrix (0-4; columns are dimensions)",
                  lambda s: outputs.availability_matrix(s, wide=True)),
    ReportSection("maturity", "Per-site data maturity profile", outputs.maturity_profile),
    ReportSection("framework", "Framework matrix (sites x themes)", outputs.framework_matrix),
    ReportSection("triangulation", "Triangulation matrix", outputs.triangulation_matrix),
    ReportSection("code_frequency", "Code frequency by site (prevalence, not importance)",
                  outputs.code_frequency_by_site),
    ReportSection("code_by_site", "Code x site (segments)", lambda s: outputs.code_by_case(s, "site")),
    ReportSection("cooccurrence", "Code co-occurrence", outputs.cooccurrence),
    ReportSection("agreement_char", "Inter-coder agreement per code (unit: character)",
                  lambda s: outputs.intercoder_agreement(s, "char", save=False)),
    ReportSection("agreement_turn", "Inter-coder agreement per code (unit: speaker turn)",
                  lambda s: outputs.intercoder_agreement(s, "turn", save=False)),
):
    SECTIONS.register(_section)


def _flat(df: pl.DataFrame) -> pl.DataFrame:
    """Lists become '; '-joined text so CSV/XLSX/Markdown can hold them."""
    return df.with_columns([pl.col(c).cast(pl.List(pl.Utf8)).list.join("; ") for c, t in df.schema.items()
                            if isinstance(t, pl.List)])


def _markdown(df: pl.DataFrame, limit: int = 200) -> str:
    if df.height == 0:
        return "_(no rows)_\n"
    cols = df.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.head(limit).iter_rows():
        cells = []
        for v in row:
            text = "" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)
            cells.append(text.replace("|", "\\|").replace("\n", " "))
        lines.append("| " + " | ".join(cells) + " |")
    if df.height > limit:
        lines.append(f"\n_{df.height - limit} more rows in the XLSX/CSV export._")
    return "\n".join(lines) + "\n"


def report_frames(store: Store) -> dict[str, pl.DataFrame]:
    """Every report section as a flat polars frame, keyed by section name."""
    return {section.name: _flat(section.build(store)) for section in SECTIONS.values()}


def write_report(store: Store, fmt: Format = "md", out: Path | None = None,
                 frames: dict[str, pl.DataFrame] | None = None) -> str:
    """Render the report; write it to ``out`` when given (required for xlsx and csv). Returns Markdown or the path.

    ``frames`` (from :func:`report_frames`) avoids recomputing the outputs when writing several formats.
    """
    if fmt not in ("md", "xlsx", "csv"):
        raise ConfigError(f"report format {fmt!r} is not supported; allowed: md, xlsx, csv")
    if fmt != "md" and out is None:
        raise ConfigError(f"--out is required for the {fmt} format")
    frames = frames if frames is not None else report_frames(store)
    if fmt == "md":
        parts = ["# linkready findings report\n"]
        for section in SECTIONS.values():
            parts.append(f"## {section.title}\n\n{_markdown(frames[section.name])}")
        text = "\n".join(parts)
        if out is not None:
            Path(out).write_text(text, encoding="utf-8")
        return text
    out = Path(out)  # type: ignore[arg-type]
    if fmt == "csv":
        out.mkdir(parents=True, exist_ok=True)
        for name, df in frames.items():
            write_csv_frame(df, out / f"{name}.csv")
        return str(out)
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, df in frames.items():
        write_xlsx_sheet(wb.create_sheet(name[:31]), df.columns, df.iter_rows())
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return str(out)


TableFormat = Literal["md", "csv", "json", "xlsx"]


def write_table(df: pl.DataFrame, fmt: TableFormat, out: Path | None = None, title: str = "") -> str:
    """One table as Markdown, CSV, JSON (records) or XLSX; returns the text, or the path when ``out`` is given.

    Formula-looking text is written inert in CSV and XLSX. XLSX needs ``out``.
    """
    if fmt not in ("md", "csv", "json", "xlsx"):
        raise ConfigError(f"table format {fmt!r} is not supported; allowed: md, csv, json, xlsx")
    flat = _flat(df)
    if fmt == "xlsx":
        if out is None:
            raise ConfigError("--out is required for the xlsx format")
        import openpyxl

        wb = openpyxl.Workbook()
        write_xlsx_sheet(wb.active, flat.columns, flat.iter_rows())
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        wb.save(out)
        return str(out)
    if fmt == "csv":
        text = inert_frame(flat).write_csv()
    elif fmt == "json":
        text = df.write_json() + "\n"
    else:
        text = (f"## {title}\n\n" if title else "") + _markdown(flat, limit=10_000)
    if out is None:
        return text
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text, encoding="utf-8")
    return str(out)
