"""The rule engine: applies a :class:`TableSpec` to a frame of strings, vectorised with polars.

Input is a frame of string columns named by the spec's fields (plus ``_row``, the 1-based data
row). Output is the same rows with typed columns and a frame of issues ``(_row, field, rule)``.
No per-row Python: each field check and row rule is one polars expression (check digits use the
numpy helpers of :mod:`warehouse.identifiers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from warehouse.codelists import get_codelist
from warehouse.identifiers import UPN_ALPHABET, VALID_UPN_LA_CODES
from warehouse.validation.declarations import DateOrder, Field, OneOf, Paired, TableSpec, Unique

__all__ = [
    "ISSUE_SCHEMA", "CheckContext", "Checked", "check_table", "duplicate_rows", "nhs_valid_mask",
    "upn_valid_mask",
]

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


def _ascii_matrix(values: pl.Series, width: int) -> np.ndarray:
    """The ASCII codes of ``values`` (non-null, each exactly ``width`` ASCII characters) as a (k, width) matrix."""
    if values.len() == 0:
        return np.empty((0, width), dtype=np.uint8)
    joined = values.str.join("").item()
    return np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, width)


def _scatter(fmt: pl.Series, ok: np.ndarray, name: str) -> pl.Series:
    """A boolean mask that is ``ok`` where ``fmt`` holds (in order) and False elsewhere."""
    out = np.zeros(fmt.len(), dtype=bool)
    out[fmt.to_numpy()] = ok
    return pl.Series(name, out)


_NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)


def nhs_valid_mask(values: pl.Series) -> pl.Series:
    """True where a value is a 10-digit NHS number (spaces/hyphens ignored) with a valid mod-11 check digit.

    The algorithm of :func:`warehouse.identifiers.nhs_number_is_valid`, run column-wise (polars for the
    format, numpy for the weighted digit sum of the well-formed values only), so a million rows need no
    Python loop; property tests pin the two to the same answers.
    """
    clean = values.str.replace_all(r"[ \-]", "")
    fmt = clean.str.contains(r"^[0-9]{10}$").fill_null(False)
    digits = _ascii_matrix(clean.filter(fmt), 10).astype(np.int64) - 48
    check = (11 - (digits[:, :9] @ _NHS_WEIGHTS) % 11) % 11
    return _scatter(fmt, (check != 10) & (check == digits[:, 9]), values.name)


_UPN_LETTERS = "[" + UPN_ALPHABET + "]"


_UPN_WEIGHTS = np.arange(2, 13, dtype=np.int64)
# byte -> value: a UPN letter's index in UPN_ALPHABET, a digit's own value, -1 otherwise
_UPN_LETTER_CODE = np.full(256, -1, dtype=np.int64)
_UPN_LETTER_CODE[np.frombuffer(UPN_ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(UPN_ALPHABET))
_UPN_LAST_CODE = _UPN_LETTER_CODE.copy()
_UPN_LAST_CODE[48:58] = np.arange(10)


def upn_valid_mask(values: pl.Series) -> pl.Series:
    """True where a value is a 13-character UPN with a correct mod-23 check letter (permanent or temporary).

    The algorithm of :func:`warehouse.identifiers.upn_is_valid` (the LA-code test is a separate rule),
    run column-wise (polars for the format, numpy for the weighted sum of the well-formed values only)
    and pinned to the scalar function by property tests.
    """
    u = values.str.strip_chars().str.to_uppercase()
    fmt = u.str.contains(rf"^{_UPN_LETTERS}[0-9]{{11}}[0-9{UPN_ALPHABET}]$").fill_null(False)
    m = _ascii_matrix(u.filter(fmt), 13)
    total = (m[:, 1:12].astype(np.int64) - 48) @ _UPN_WEIGHTS + _UPN_LAST_CODE[m[:, 12]] * 13
    return _scatter(fmt, total % 23 == _UPN_LETTER_CODE[m[:, 0]], values.name)


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

    All checks are polars expressions evaluated in one pass; issues are ``(_row, field, rule)``.
    Columns of ``frame`` that are not spec fields are carried through unchanged (typed context
    columns such as a child's parsed birth date can be supplied that way).
    """
    label = ctx.labels.get
    fmt = ctx.date_format or spec.date_format
    df = frame
    missing = [f.name for f in spec.fields if f.name not in df.columns]
    if missing:
        df = df.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in missing])
    raw_cols = [f.name for f in spec.fields]
    df = df.with_columns(
        [pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c) for c in raw_cols]
    )
    # check digits are computed column-wise once, then used as boolean columns by the checks below
    helpers = [
        (nhs_valid_mask if f.type == "nhs_number" else upn_valid_mask)(df.get_column(f.name)).alias(f"__ok_{f.name}")
        for f in spec.fields if f.type in ("nhs_number", "upn", "upn_or_code")
    ]
    if helpers:
        df = df.with_columns(helpers)
    checks: list[tuple[str | None, str, pl.Expr]] = []
    typed_exprs: list[pl.Expr] = []
    for f in spec.fields:
        c = pl.col(f.name)
        present = c.is_not_null()
        name = label(f.name, f.name)
        if f.required:
            checks.append((name, "required", ~present))
        if f.free_text:
            checks.append((name, "formula_text", c.str.contains(r"^[=+\-@\t\r]").fill_null(False)))
            checks.append((name, "mixed_script", c.str.contains(r"[A-Za-z]").fill_null(False)
                           & c.str.contains(r"[\p{Cyrillic}\p{Greek}]").fill_null(False)))
        if f.type == "code":
            checks.append((name, "code_list", present & ~c.is_in(_codes(f, ctx))))
        elif f.type == "date":
            parsed = c.str.strptime(pl.Date, fmt, strict=False, exact=True)
            checks.append((name, "bad_date", present & parsed.is_null()))
            if ctx.extract_date is not None and not f.future_ok:
                checks.append((name, "future_date", (parsed > pl.lit(ctx.extract_date)).fill_null(False)))
            typed_exprs.append(parsed.alias(f.name))
        elif f.type == "int":
            parsed = c.cast(pl.Int64, strict=False)
            checks.append((name, "bad_integer", present & parsed.is_null()))
            typed_exprs.append(parsed.alias(f.name))
        elif f.type == "nhs_number":
            checks.append((name, "nhs_number_check", present & ~pl.col(f"__ok_{f.name}")))
            typed_exprs.append(c.str.replace_all(r"[ \-]", "").alias(f.name))
        elif f.type in ("upn", "upn_or_code"):
            is_code = c.is_in(_codes(f, ctx)).fill_null(False) if f.type == "upn_or_code" else pl.lit(False)
            upn = present & ~is_code
            ok = pl.col(f"__ok_{f.name}")
            checks.append((name, "upn_check", upn & ~ok))
            la_ok = c.str.slice(1, 3).is_in(sorted(VALID_UPN_LA_CODES)).fill_null(False)
            checks.append((name, "upn_la_code", upn & ok & ~la_ok))
            typed_exprs.append(c.str.to_uppercase().alias(f.name))
    typed = df.with_columns(typed_exprs) if typed_exprs else df

    role_ok = pl.col(ctx.role_field) if ctx.role_field in typed.columns else None

    def in_role(only: str | None) -> pl.Expr:
        if only is None or role_ok is None:
            return pl.lit(True)
        return (role_ok == only).fill_null(False)

    row_checks: list[tuple[str | None, str, pl.Expr]] = []
    for r in spec.rules:
        if isinstance(r, DateOrder):
            if r.earlier not in typed.columns or r.later not in typed.columns:
                continue
            if typed.schema[r.earlier] != pl.Date or typed.schema[r.later] != pl.Date:
                continue
            a, b = pl.col(r.earlier), pl.col(r.later)
            limit = a - pl.duration(days=r.tolerance_days) if r.tolerance_days else a
            bad = ((b <= limit) if r.strict else (b < limit)).fill_null(False) & in_role(r.only_role)
            row_checks.append((label(r.earlier, r.earlier), r.rule, bad))
            row_checks.append((label(r.later, r.later), r.rule, bad))
        elif isinstance(r, Paired):
            a_p, b_p = pl.col(r.a).is_not_null(), pl.col(r.b).is_not_null()
            row_checks.append((label(r.a, r.a), r.rule, b_p & ~a_p))
            row_checks.append((label(r.b, r.b), r.rule, a_p & ~b_p))
        elif isinstance(r, OneOf):
            bad = (pl.col(r.a).is_not_null() == pl.col(r.b).is_not_null()) & in_role(r.only_role)
            row_checks.append((label(r.a, r.a), r.rule, bad))
            row_checks.append((label(r.b, r.b), r.rule, bad))
        elif isinstance(r, Unique):
            complete = pl.all_horizontal([pl.col(k).is_not_null() for k in r.fields])
            dup = ~pl.struct(list(r.fields)).is_first_distinct() & complete
            fname = label(r.fields[0], r.fields[0]) if len(r.fields) == 1 else None
            row_checks.append((fname, r.rule, dup))
    # raw-value checks run on df, row rules on typed values: evaluate each set in one pass
    issues = [
        _collect(df, checks),
        _collect(typed, row_checks),
    ]
    typed = typed.drop([c for c in typed.columns if c.startswith("__ok_")])
    out = pl.concat(issues, how="vertical").unique(maintain_order=True)
    return Checked(typed, out)


def _collect(frame: pl.DataFrame, checks: list[tuple[str | None, str, pl.Expr]]) -> pl.DataFrame:
    """Evaluate boolean check expressions in one pass; return ``(_row, field, rule)`` for each hit."""
    if not checks or frame.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    masks = frame.select(
        pl.col("_row"), *[expr.fill_null(False).alias(f"c{i}") for i, (_, _, expr) in enumerate(checks)]
    )
    # most rows are clean: keep only rows with a hit before turning check columns into rows
    masks = masks.filter(pl.any_horizontal([pl.col(f"c{i}") for i in range(len(checks))]))
    if masks.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    hits = masks.unpivot(index="_row", variable_name="check", value_name="bad").filter(pl.col("bad"))
    meta = pl.DataFrame(
        {"check": [f"c{i}" for i in range(len(checks))], "field": [c[0] for c in checks],
         "rule": [c[1] for c in checks]},
        schema={"check": pl.String, "field": pl.String, "rule": pl.String},
    )
    return hits.join(meta, on="check", how="left", maintain_order="left").select(
        pl.col("_row").cast(pl.Int64), "field", "rule"
    )


def duplicate_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Issues for rows that repeat an earlier row exactly (all columns but ``_row``).

    Rows are hashed first; only rows whose hash repeats are compared value by value.
    """
    cols = [c for c in frame.columns if c != "_row"]
    if not cols or frame.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    hashes = frame.select(cols).hash_rows()
    candidates = frame.filter(hashes.is_duplicated())
    if candidates.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    later_copy = ~candidates.select(pl.struct(cols).is_first_distinct()).to_series()
    return _issues(candidates.get_column("_row").filter(later_copy), None, "duplicate_row")
