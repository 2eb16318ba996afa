"""``--dirty RATE``: inject known data-quality defects and list each in ``truth/defects.csv``.

Contract (``docs/extract-drop.md``): columns ``file,row,field,kind``; ``row`` is the 1-based data row
without the header (for CIN XML the 1-based index of the ``Child`` element); ``field`` is the
column or element name, empty for row-level defects (``duplicate_row``, ``shifted_columns``).

Each defect is unambiguous: at most one defect per row, and each is chosen so that it breaks one
rule at one place only (no defect creates a second, unlisted problem elsewhere):

- ``duplicate_row`` copies a clean row directly after itself (``row`` = the later copy);
- ``shifted_columns`` loses one cell after the key column so every later value moves one left and
  the line has one field fewer than the header;
- ``impossible_date`` moves an end date before its start (only on rows that end a chain);
- ``future_date`` moves a date after the extract date (only where no other date depends on it);
- ``bad_check_digit`` changes the NHS number's check digit or the UPN's check letter;
- ``invalid_code`` / ``missing_required`` / ``out_of_range`` alter one coded / required / item field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from synthetic_data.settings import WorldSettings
from warehouse.adapters import get_adapter
from warehouse.drop import DEFECT_COLUMNS
from warehouse.identifiers import UPN_ALPHABET
from warehouse.measures import get_measure

if TYPE_CHECKING:
    from synthetic_data.world import DropFile

Row = list[str]


@dataclass
class _Context:
    """What every injector draws from: the defects stream, the extract date, ids outcome files refer to."""

    rng: np.random.Generator
    extract: np.datetime64
    referenced: dict[str, set[str]]


@dataclass(frozen=True)
class Defect:
    """One injected defect before row renumbering."""

    file: str
    row_index: int  # 0-based index of the row in the final (post-insertion) order
    field: str
    kind: str


def _set(df: pl.DataFrame) -> list[Row]:
    return [["" if v is None else v for v in r] for r in df.rows()]


def _bad_nhs(v: str) -> str:
    return v[:9] + str((int(v[9]) + 1 + (int(v[0]) % 3)) % 10) if int(v[9]) != 9 else v[:9] + "0"


def _bad_upn(v: str) -> str:
    i = UPN_ALPHABET.index(v[0])
    return UPN_ALPHABET[(i + 7) % len(UPN_ALPHABET)] + v[1:]  # another letter: never the right check


def _shift(row: Row, start: int) -> Row:
    return row[:start] + row[start + 1:] + [""]


def _future(extract_day: np.datetime64, rng: np.random.Generator, fmt: str) -> str:
    d = extract_day + np.timedelta64(int(rng.integers(10, 400)), "D")
    return str(pl.select(pl.lit(str(d)).str.to_date().dt.strftime(fmt)).item())


def inject_defects(files: list[DropFile], settings: WorldSettings, rng: np.random.Generator) -> pl.DataFrame:
    """Alter ``files`` (``world.DropFile`` objects) in place and return the defects table.

    ``rng`` is the drop's own defects stream (``world.Streams.defects``): the injector draws from
    nothing else, so it does not depend on how many streams the rest of the generator uses.
    """
    extract = np.datetime64(settings.extract_date.isoformat())
    out: list[Defect] = []
    # ids that outcome files refer to: a people row that cannot be parsed would orphan them
    ctx = _Context(rng, extract, {})
    for f in files:
        if f.kind == "site_outcomes" and f.table is not None and f.table.height:
            ctx.referenced.setdefault(f.site_id, set()).update(f.table.to_series(0).to_list())
    for f in sorted(files, key=lambda x: x.path):
        if f.kind in ("truth_links", "truth_defects"):
            continue
        if f.kind == "cin_census":
            out.extend(_cin(f, settings.dirty, rng))
            continue
        injector = _INJECTORS.get(f.kind)
        if injector is None or f.table is None:
            continue
        header = f.table.columns
        rows = _set(f.table)
        n = len(rows)
        k = int(rng.binomial(n, settings.dirty)) if n else 0
        if k == 0:
            continue
        targets = sorted(rng.choice(n, size=min(k, n), replace=False).tolist())
        plan: dict[int, tuple[str, str]] = {}
        dupes: set[int] = set()
        for t in targets:
            res = injector(f, header, rows[t], ctx)
            if res is None:
                continue
            kind, field = res
            if kind == "duplicate_row":
                dupes.add(t)
            plan[t] = (kind, field)
        # rebuild with duplicates inserted after their originals
        new_rows: list[Row] = []
        for i, r in enumerate(rows):
            if i in plan and plan[i][0] != "duplicate_row":
                out.append(Defect(f.path, len(new_rows), plan[i][1], plan[i][0]))
                if plan[i][0] == "shifted_columns":
                    f.short_rows.add(len(new_rows))  # written one field short (the lost delimiter)
            new_rows.append(r)
            if i in dupes:
                new_rows.append(list(r))
                out.append(Defect(f.path, len(new_rows) - 1, "", "duplicate_row"))
        f.table = pl.DataFrame(new_rows, schema={c: pl.Utf8 for c in header}, orient="row")
    df = pl.DataFrame(
        {"file": [d.file for d in out], "row": [str(d.row_index + 1) for d in out],
         "field": [d.field for d in out], "kind": [d.kind for d in out]},
        schema={c: pl.Utf8 for c in DEFECT_COLUMNS},
    )
    return df.with_columns(pl.col("row").cast(pl.Int64)).sort(["file", "row"]).with_columns(
        pl.col("row").cast(pl.Utf8))


Injector = Callable[..., "tuple[str, str] | None"]


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(0, len(options)))]


def _identifiers(f: DropFile, header: list[str], row: Row, ctx: _Context) -> tuple[str, str] | None:
    rng, extract = ctx.rng, ctx.extract
    col = {c: i for i, c in enumerate(header)}
    opts = ["invalid_code", "missing_required", "duplicate_row", "shifted_columns"]
    if row[col["NHSNumber"]] or row[col["UPN"]]:
        opts.append("bad_check_digit")
    if row[col["PersonBirthDate"]]:
        opts.append("future_date")
    kind = _pick(rng, opts)
    if kind == "invalid_code":
        field = _pick(rng, ["Sex", "Ethnicity"])
        row[col[field]] = {"Sex": "X", "Ethnicity": "WBRX"}[field]
        return kind, field
    if kind == "missing_required":
        row[col["Sex"]] = ""
        return kind, "Sex"
    if kind == "bad_check_digit":
        if row[col["NHSNumber"]]:
            row[col["NHSNumber"]] = _bad_nhs(row[col["NHSNumber"]])
            return kind, "NHSNumber"
        row[col["UPN"]] = _bad_upn(row[col["UPN"]])
        return kind, "UPN"
    if kind == "future_date":
        row[col["PersonBirthDate"]] = _future(extract, rng, "%Y-%m-%d")
        return kind, "PersonBirthDate"
    if kind == "shifted_columns":
        row[:] = _shift(row, 1)
        return kind, ""
    return kind, ""


def _ssda_header(f: DropFile, header: list[str], row: Row, ctx: _Context) -> tuple[str, str] | None:
    rng = ctx.rng
    col = {c: i for i, c in enumerate(header)}
    # no shifted_columns here: an unparseable header row would orphan the child's episodes
    opts = ["invalid_code", "missing_required", "duplicate_row"]
    if re.fullmatch(r"[A-Z]\d{12}", row[col["UPN"]]):
        opts.append("bad_check_digit")
    kind = _pick(rng, opts)
    if kind == "invalid_code":
        field = _pick(rng, ["SEX", "ETHNIC"])
        row[col[field]] = {"SEX": "3", "ETHNIC": "WBRX"}[field]
        return kind, field
    if kind == "missing_required":
        row[col["ETHNIC"]] = ""
        return kind, "ETHNIC"
    if kind == "bad_check_digit":
        row[col["UPN"]] = _bad_upn(row[col["UPN"]])
        return kind, "UPN"
    if kind == "shifted_columns":
        row[:] = _shift(row, 1)
        return kind, ""
    return kind, ""


def _ssda_episodes(f: DropFile, header: list[str], row: Row, ctx: _Context) -> tuple[str, str] | None:
    rng = ctx.rng
    col = {c: i for i, c in enumerate(header)}
    opts = ["invalid_code", "missing_required"]
    if row[col["DEC"]] and row[col["REC"]] != "X1":
        opts.append("impossible_date")
    kind = _pick(rng, opts)
    if kind == "invalid_code":
        row[col["LS"]] = "Q9"
        return kind, "LS"
    if kind == "missing_required":
        row[col["CIN"]] = ""
        return kind, "CIN"
    decom = pl.select(pl.lit(row[col["DECOM"]]).str.to_date("%d/%m/%Y")).item()
    dec = decom - np.timedelta64(int(rng.integers(3, 200)), "D").astype(object)
    row[col["DEC"]] = dec.strftime("%d/%m/%Y")
    return kind, "DEC"


def _site_people(f: DropFile, header: list[str], row: Row, ctx: _Context) -> tuple[str, str] | None:
    rng, extract = ctx.rng, ctx.extract
    lay = get_adapter(f.site_id).people
    col = {c: i for i, c in enumerate(header)}
    c = lay.columns
    opts = ["invalid_code", "missing_required", "duplicate_row"]
    if row[col[c["record_id"]]] not in ctx.referenced.get(f.site_id, set()):
        opts.append("shifted_columns")
    if row[col[c["nhs_number"]]]:
        opts.append("bad_check_digit")
    if row[col[c["end_date"]]]:
        opts.append("impossible_date")
    else:
        opts.append("future_date")
    kind = _pick(rng, opts)
    if kind == "invalid_code":
        row[col[c["sex"]]] = "Q"
        return kind, c["sex"]
    if kind == "missing_required":
        row[col[c["referral_date"]]] = ""
        return kind, c["referral_date"]
    if kind == "bad_check_digit":
        row[col[c["nhs_number"]]] = _bad_nhs(row[col[c["nhs_number"]]])
        return kind, c["nhs_number"]
    if kind == "impossible_date":
        start = pl.select(pl.lit(row[col[c["referral_date"]]]).str.to_date(lay.date_format)).item()
        end = start - np.timedelta64(int(rng.integers(3, 200)), "D").astype(object)
        row[col[c["end_date"]]] = end.strftime(lay.date_format)
        return kind, c["end_date"]
    if kind == "future_date":
        row[col[c["referral_date"]]] = _future(extract, rng, lay.date_format)
        return kind, c["referral_date"]
    if kind == "shifted_columns":
        row[:] = _shift(row, 2)
        return kind, ""
    return kind, ""


def _site_outcomes(f: DropFile, header: list[str], row: Row, ctx: _Context) -> tuple[str, str] | None:
    rng, extract = ctx.rng, ctx.extract
    adapter = get_adapter(f.site_id)
    lay = adapter.outcomes
    m = get_measure(f.measure)
    col = {c: i for i, c in enumerate(header)}
    kind = _pick(rng, ["out_of_range", "out_of_range", "invalid_code", "missing_required", "future_date",
                       "duplicate_row", "shifted_columns"])
    if kind == "out_of_range":
        j = int(rng.integers(1, m.n_items + 1))
        field = f"{lay.item_prefix}{j}"
        bad = max(m.item_values) + int(rng.integers(1, 4)) if rng.random() < 0.7 else min(m.item_values) - 1
        if bad in m.item_values:  # never, but keep the defect unambiguous
            bad = max(m.item_values) + 7
        row[col[field]] = str(bad)
        return kind, field
    if kind == "invalid_code":
        row[col[lay.timepoint_column]] = "Mid"
        return kind, lay.timepoint_column
    if kind == "missing_required":
        row[col[lay.date_column]] = ""
        return kind, lay.date_column
    if kind == "future_date":
        row[col[lay.date_column]] = _future(extract, rng, adapter.people.date_format)
        return kind, lay.date_column
    if kind == "shifted_columns":
        row[:] = _shift(row, 1)
        return kind, ""
    return kind, ""


_INJECTORS: dict[str, Injector] = {
    "la_identifiers": _identifiers,
    "ssda903_header": _ssda_header,
    "ssda903_episodes": _ssda_episodes,
    "site_people": _site_people,
    "site_outcomes": _site_outcomes,
}


def _cin(f: DropFile, rate: float, rng: np.random.Generator) -> list[Defect]:
    # the writer rendered RowSubset fragments before injection (world._generate)
    assert isinstance(f.fragments, pl.Series | list), "CIN fragments must be rendered before defects"
    frags: list[str] = f.fragments.to_list() if isinstance(f.fragments, pl.Series) else list(f.fragments)
    f.fragments = frags
    n = len(frags)
    k = int(rng.binomial(n, rate)) if n else 0
    out: list[Defect] = []
    for t in sorted(rng.choice(n, size=min(k, n), replace=False).tolist()) if k else []:
        x = frags[t]
        opts = ["invalid_code", "missing_required"]
        if "<UPN>" in x:
            opts.append("bad_check_digit")
        kind = _pick(rng, opts)
        if kind == "invalid_code":
            x = re.sub(r"<Ethnicity>[A-Z]+</Ethnicity>", "<Ethnicity>WBRX</Ethnicity>", x, count=1)
            field = "Ethnicity"
        elif kind == "missing_required":
            x = re.sub(r"<ReferralSource>[^<]*</ReferralSource>", "", x, count=1)
            field = "ReferralSource"
        else:
            upn = re.search(r"<UPN>([^<]+)</UPN>", x).group(1)  # type: ignore[union-attr]
            x = x.replace(f"<UPN>{upn}</UPN>", f"<UPN>{_bad_upn(upn)}</UPN>", 1)
            field = "UPN"
        frags[t] = x
        out.append(Defect(f.path, t, field, kind))
    return out
