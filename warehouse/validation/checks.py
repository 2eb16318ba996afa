"""The rule engine: applies a :class:`TableSpec` to a frame of strings, vectorised with polars.

Input is a frame of string columns named by the spec's fields (plus ``_row``, the 1-based data
row). Output is the same rows with typed columns and a frame of issues ``(_row, field, rule)``.
No per-row Python: each field check and row rule is one polars expression (check digits use the
numpy helpers of :mod:`warehouse.identifiers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from warehouse.codelists import get_codelist
from warehouse.identifiers import (
    VALID_UPN_LA_CODES,
    nhs_check_digits_vec,
    upn_check_letters_vec,
    upn_is_valid,
)
from warehouse.validation.declarations import DateOrder, Field, OneOf, Paired, TableSpec, Unique

__all__ = ["CheckContext", "Checked", "check_table", "nhs_valid_mask", "upn_valid_mask", "ISSUE_SCHEMA"]

ISSUE_SCHEMA = {"_row": pl.Int64, "field": pl.String, "rule": pl.String}


@dataclass(frozen=True)
class CheckContext:
    """What a check needs beyond the spec: the year, the extract date and per-drop code lists.

    Attributes:
        year: collection year (ending year) selecting code-list versions.
        extract_date: the data's "today"; later dates are ``future_date`` (unless ``future_ok``).
        date_format: overrides the spec's date format (site adapters declare their own).
        codelists: extra or overriding code lists by name (e.g. ``la_code`` = the site's LAs).
        labels: canonical field name -> the file's own column name, used in reported issues.
        role_field: column holding the canonical role, for rules limited to one role.
    """

    year: int
    extract_date: date | None = None
    date_format: str | None = None
    codelists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    role_field: str = "role"


@dataclass
class Checked:
    """A checked table: ``typed`` (all input rows, typed columns) and ``issues``."""

    typed: pl.DataFrame
    issues: pl.DataFrame

    def bad_rows(self) -> pl.Series:
        return self.issues.get_column("_row").unique()


def nhs_valid_mask(values: pl.Series) -> pl.Series:
    """True where a (non-null) value is a 10-digit NHS number with a valid mod-11 check digit."""
    clean = values.str.replace_all(r"[ \-]", "")
    fmt = clean.str.contains(r"^[0-9]{10}$").fill_null(False)
    nums = pl.select(pl.when(fmt).then(clean).otherwise(pl.lit("0")).cast(pl.Int64)).to_series().to_numpy()
    check = nhs_check_digits_vec(nums // 10)
    ok = fmt.to_numpy() & (check == nums % 10)
    return pl.Series(values.name, ok, dtype=pl.Boolean)


def upn_valid_mask(values: pl.Series) -> pl.Series:
    """True where a (non-null) value is a well-formed UPN with the right check letter."""
    u = values.str.strip_chars().str.to_uppercase()
    perm = u.str.contains(r"^[A-HJ-NP-RT-Z][0-9]{12}$").fill_null(False).to_numpy()
    ok = np.zeros(len(values), dtype=bool)
    if perm.any():
        body = pl.select(pl.when(pl.Series(perm)).then(u.str.slice(1, 12)).otherwise(pl.lit("0" * 12))).to_series()
        la = body.str.slice(0, 3).cast(pl.Int64).to_numpy()
        est = body.str.slice(3, 4).cast(pl.Int64).to_numpy()
        yr = body.str.slice(7, 2).cast(pl.Int64).to_numpy()
        ser = body.str.slice(9, 3).cast(pl.Int64).to_numpy()
        letters = upn_check_letters_vec(la, est, yr, ser)
        first = u.str.slice(0, 1).fill_null("").to_numpy()
        ok = perm & (letters == first)
    temp = u.str.contains(r"^[A-Z][0-9]{11}[A-Z]$").fill_null(False).to_numpy()
    if temp.any():
        idx = np.flatnonzero(temp)
        vals = u.to_list()
        for i in idx:  # temporary UPNs are rare: the scalar check is fine here
            ok[i] = upn_is_valid(vals[i])
    return pl.Series(values.name, ok, dtype=pl.Boolean)


def _issues(rows: pl.Series, field_name: str | None, rule: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"_row": rows, "field": pl.Series([field_name] * len(rows), dtype=pl.String),
         "rule": pl.Series([rule] * len(rows), dtype=pl.String)},
        schema=ISSUE_SCHEMA,
    )


def _codes(f: Field, ctx: CheckContext) -> list[str]:
    assert f.codelist is not None
    if f.codelist in ctx.codelists:
        return sorted(ctx.codelists[f.codelist])
    return sorted(get_codelist(f.codelist, ctx.year).codes)


def check_table(frame: pl.DataFrame, spec: TableSpec, ctx: CheckContext) -> Checked:
    """Check every field and row rule of ``spec`` on ``frame``; return typed rows and issues.

    Columns of ``frame`` that are not spec fields are carried through unchanged (typed context
    columns such as a child's parsed birth date can be supplied that way).
    """
    label = ctx.labels.get
    fmt = ctx.date_format or spec.date_format
    found: list[pl.DataFrame] = []
    df = frame
    for f in spec.fields:
        if f.name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(f.name))
    raw_cols = [f.name for f in spec.fields]
    df = df.with_columns(
        [pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c) for c in raw_cols]
    )
    rows = df.get_column("_row")
    typed_exprs: list[pl.Expr] = []
    masks: dict[str, pl.Series] = {}
    for f in spec.fields:
        col = df.get_column(f.name)
        present = col.is_not_null()
        name = label(f.name, f.name)
        if f.required:
            found.append(_issues(rows.filter(~present), name, "required"))
        if f.type == "code":
            bad = present & ~col.is_in(_codes(f, ctx))
            found.append(_issues(rows.filter(bad), name, "code_list"))
        elif f.type == "date":
            parsed = col.str.strptime(pl.Date, fmt, strict=False, exact=True)
            bad = present & parsed.is_null()
            found.append(_issues(rows.filter(bad), name, "bad_date"))
            if ctx.extract_date is not None and not f.future_ok:
                fut = (parsed > ctx.extract_date).fill_null(False)
                found.append(_issues(rows.filter(fut), name, "future_date"))
            masks[f.name] = parsed
            typed_exprs.append(pl.lit(parsed).alias(f.name))
        elif f.type == "int":
            parsed = col.cast(pl.Int64, strict=False)
            found.append(_issues(rows.filter(present & parsed.is_null()), name, "bad_integer"))
            typed_exprs.append(pl.lit(parsed).alias(f.name))
        elif f.type == "nhs_number":
            bad = present & ~nhs_valid_mask(col)
            found.append(_issues(rows.filter(bad), name, "nhs_number_check"))
            typed_exprs.append(pl.lit(col.str.replace_all(r"[ \-]", "")).alias(f.name))
        elif f.type in ("upn", "upn_or_code"):
            is_code = col.is_in(_codes(f, ctx)) if f.type == "upn_or_code" else pl.Series([False] * len(col))
            upn = present & ~is_code.fill_null(False)
            valid = upn_valid_mask(col)
            found.append(_issues(rows.filter(upn & ~valid), name, "upn_check"))
            la_ok = col.str.slice(1, 3).is_in(sorted(VALID_UPN_LA_CODES)).fill_null(False)
            found.append(_issues(rows.filter(upn & valid & ~la_ok), name, "upn_la_code"))
            typed_exprs.append(pl.lit(col.str.to_uppercase()).alias(f.name))
    if typed_exprs:
        typed = df.with_columns(typed_exprs)
    else:
        typed = df
    role = typed.get_column(ctx.role_field) if ctx.role_field in typed.columns else None

    def in_role(only: str | None) -> pl.Series:
        if only is None or role is None:
            return pl.Series([True] * typed.height, dtype=pl.Boolean)
        return (role == only).fill_null(False)

    for r in spec.rules:
        if isinstance(r, DateOrder):
            if r.earlier not in typed.columns or r.later not in typed.columns:
                continue
            a, b = typed.get_column(r.earlier), typed.get_column(r.later)
            if a.dtype != pl.Date or b.dtype != pl.Date:
                continue
            limit = a - timedelta(days=r.tolerance_days) if r.tolerance_days else a
            bad = ((b <= limit) if r.strict else (b < limit)).fill_null(False) & in_role(r.only_role)
            bad_rows = rows.filter(bad)
            found.append(_issues(bad_rows, label(r.earlier, r.earlier), r.rule))
            found.append(_issues(bad_rows, label(r.later, r.later), r.rule))
        elif isinstance(r, Paired):
            a_p, b_p = df.get_column(r.a).is_not_null(), df.get_column(r.b).is_not_null()
            found.append(_issues(rows.filter(b_p & ~a_p), label(r.a, r.a), r.rule))
            found.append(_issues(rows.filter(a_p & ~b_p), label(r.b, r.b), r.rule))
        elif isinstance(r, OneOf):
            a_p, b_p = df.get_column(r.a).is_not_null(), df.get_column(r.b).is_not_null()
            bad = (a_p == b_p) & in_role(r.only_role)
            bad_rows = rows.filter(bad)
            found.append(_issues(bad_rows, label(r.a, r.a), r.rule))
            found.append(_issues(bad_rows, label(r.b, r.b), r.rule))
        elif isinstance(r, Unique):
            key = df.select(list(r.fields))
            complete = key.select(pl.all_horizontal(pl.all().is_not_null())).to_series()
            dup = ~key.select(pl.struct(pl.all()).is_first_distinct()).to_series() & complete
            fname = label(r.fields[0], r.fields[0]) if len(r.fields) == 1 else None
            found.append(_issues(rows.filter(dup), fname, r.rule))
    issues = pl.concat(found, how="vertical") if found else pl.DataFrame(schema=ISSUE_SCHEMA)
    return Checked(typed, issues.unique(maintain_order=True))


def duplicate_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Issues for rows that repeat an earlier row exactly (all columns but ``_row``)."""
    cols = [c for c in frame.columns if c != "_row"]
    if not cols or frame.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    later_copy = ~frame.select(pl.struct(cols).is_first_distinct()).to_series()
    return _issues(frame.get_column("_row").filter(later_copy), None, "duplicate_row")
