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
import pyarrow as pa

from warehouse.codelists import get_codelist
from warehouse.identifiers import UPN_ALPHABET, VALID_UPN_LA_CODES
from warehouse.validation.declarations import DateOrder, Field, OneOf, Paired, TableSpec, Unique

__all__ = [
    "ISSUE_SCHEMA", "CheckContext", "Checked", "check_table", "duplicate_rows", "nhs_valid_mask",
    "free_text_masks", "repeated_key_mask", "upn_valid_mask",
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
    """The ASCII codes of ``values`` (non-null, each exactly ``width`` ASCII characters) as a (k, width) matrix.

    Read straight from the Arrow data buffer (every value has the same width, so the values lie back
    to back); other layouts fall back to joining the strings.
    """
    if values.len() == 0:
        return np.empty((0, width), dtype=np.uint8)
    arr = values.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offset_type = {pa.large_string(): np.int64, pa.string(): np.int32}.get(arr.type)
    if offset_type is not None:
        offsets = np.frombuffer(arr.buffers()[1], dtype=offset_type)[arr.offset:arr.offset + len(arr) + 1]
        start, size = int(offsets[0]), len(arr) * width
        if int(offsets[-1]) - start == size:
            return np.frombuffer(arr.buffers()[2], dtype=np.uint8)[start:start + size].reshape(-1, width)
    joined = values.str.join("").item()
    return np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, width)


def _weighted(digits: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row sums of ``digits * weights`` (int32: a few columns of small numbers)."""
    total = np.zeros(digits.shape[0], dtype=np.int32)
    for j, w in enumerate(weights.tolist()):
        total += digits[:, j].astype(np.int32) * w
    return total


def _scatter(fmt: pl.Series, ok: np.ndarray, name: str) -> pl.Series:
    """A boolean mask that is ``ok`` where ``fmt`` holds (in order) and False elsewhere."""
    out = np.zeros(fmt.len(), dtype=bool)
    out[fmt.to_numpy()] = ok
    return pl.Series(name, out)


_NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)
_NHS_FORMAT = r"^[0-9]{10}$"


def _nhs_clean(c: pl.Expr) -> pl.Expr:
    """An NHS number without the spaces and hyphens people type into it."""
    return c.str.replace_all(r"[ \-]", "")


def _nhs_digits_ok(clean: pl.Series, fmt: pl.Series) -> pl.Series:
    """The mod-11 check of the well-formed values (``fmt``) of ``clean``; False elsewhere."""
    digits = _ascii_matrix(clean.filter(fmt), 10) - np.uint8(48)
    check = (11 - _weighted(digits, _NHS_WEIGHTS) % 11) % 11
    return _scatter(fmt, (check != 10) & (check == digits[:, 9]), clean.name)


def nhs_valid_mask(values: pl.Series) -> pl.Series:
    """True where a value is a 10-digit NHS number (spaces/hyphens ignored) with a valid mod-11 check digit.

    The algorithm of :func:`warehouse.identifiers.nhs_number_is_valid`, run column-wise (polars for the
    format, numpy for the weighted digit sum of the well-formed values only), so a million rows need no
    Python loop; property tests pin the two to the same answers.
    """
    frame = values.to_frame("v").select(_nhs_clean(pl.col("v")).alias("clean"))
    frame = frame.with_columns(pl.col("clean").str.contains(_NHS_FORMAT).fill_null(False).alias("fmt"))
    return _nhs_digits_ok(frame.get_column("clean"), frame.get_column("fmt")).alias(values.name)


_UPN_LETTERS = "[" + UPN_ALPHABET + "]"
_UPN_FORMAT = rf"^{_UPN_LETTERS}[0-9]{{11}}[0-9{UPN_ALPHABET}]$"
_UPN_WEIGHTS = np.arange(2, 13, dtype=np.int64)
# byte -> value: a UPN letter's index in UPN_ALPHABET, a digit's own value, -1 otherwise
_UPN_LETTER_CODE = np.full(256, -1, dtype=np.int64)
_UPN_LETTER_CODE[np.frombuffer(UPN_ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(UPN_ALPHABET))
_UPN_LAST_CODE = _UPN_LETTER_CODE.copy()
_UPN_LAST_CODE[48:58] = np.arange(10)


def _upn_letters_ok(upper: pl.Series, fmt: pl.Series) -> pl.Series:
    """The mod-23 check letter of the well-formed values (``fmt``) of ``upper``; False elsewhere."""
    m = _ascii_matrix(upper.filter(fmt), 13)
    total = _weighted(m[:, 1:12] - np.uint8(48), _UPN_WEIGHTS) + _UPN_LAST_CODE[m[:, 12]] * 13
    return _scatter(fmt, total % 23 == _UPN_LETTER_CODE[m[:, 0]], upper.name)


def upn_valid_mask(values: pl.Series) -> pl.Series:
    """True where a value is a 13-character UPN with a correct mod-23 check letter (permanent or temporary).

    The algorithm of :func:`warehouse.identifiers.upn_is_valid` (the LA-code test is a separate rule),
    run column-wise (polars for the format, numpy for the weighted sum of the well-formed values only)
    and pinned to the scalar function by property tests.
    """
    frame = values.to_frame("v").select(pl.col("v").str.strip_chars().str.to_uppercase().alias("upper"))
    frame = frame.with_columns(pl.col("upper").str.contains(_UPN_FORMAT).fill_null(False).alias("fmt"))
    return _upn_letters_ok(frame.get_column("upper"), frame.get_column("fmt")).alias(values.name)


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


_FORMULA_START = r"^[=+\-@\t\r]"
# a value that could break either free-text rule: it starts like a formula or holds a non-ASCII character
_FREE_TEXT_SUSPECT = r"^[=+\-@\t\r]|[^\x00-\x7F]"


def free_text_masks(values: pl.Series, suspect: pl.Series | None = None) -> tuple[pl.Series, pl.Series]:
    """``(formula_text, mixed_script)`` for a free-text column.

    formula_text: the value starts like a spreadsheet formula. mixed_script: it mixes Latin letters
    with Cyrillic or Greek ones (a sign of look-alike characters). Almost every value is plain ASCII
    that starts with a letter, so one pattern finds the few that could break either rule (``suspect``,
    computed here unless given) and only those are tested further.
    """
    n = values.len()
    formula, mixed = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if suspect is None:
        suspect = values.str.contains(_FREE_TEXT_SUSPECT).fill_null(False)
    if suspect.any():
        idx = suspect.arg_true().to_numpy()
        few = values.gather(idx)
        formula[idx] = few.str.contains(_FORMULA_START).fill_null(False).to_numpy()
        mixed[idx] = (few.str.contains(r"[A-Za-z]").fill_null(False)
                      & few.str.contains(r"[\p{Cyrillic}\p{Greek}]").fill_null(False)).to_numpy()
    return pl.Series("formula_text", formula), pl.Series("mixed_script", mixed)


def _typed_expr(f: Field, fmt: str) -> pl.Expr | None:
    """The typed value of field ``f`` from its stripped text (None: the field stays text)."""
    c = pl.col(f.name)
    if f.type == "date":
        return c.str.strptime(pl.Date, fmt, strict=False, exact=True)
    if f.type == "int":
        return c.cast(pl.Int64, strict=False)
    if f.type == "nhs_number":
        return _nhs_clean(c)
    if f.type in ("upn", "upn_or_code"):
        return c.str.to_uppercase()
    return None


def _field_checks(f: Field, ctx: CheckContext, name: str, typed: pl.Expr) -> list[tuple[str | None, str, pl.Expr]]:
    """The checks of one field: raw text in ``pl.col(f.name)``, its typed value in ``typed``."""
    c = pl.col(f.name)
    present = c.is_not_null()
    out: list[tuple[str | None, str, pl.Expr]] = []
    if f.required:
        out.append((name, "required", ~present))
    if f.free_text:
        out.append((name, "formula_text", pl.col(f"__formula_{f.name}")))
        out.append((name, "mixed_script", pl.col(f"__mixed_{f.name}")))
    if f.type == "code":
        out.append((name, "code_list", present & ~c.is_in(_codes(f, ctx))))
    elif f.type == "date":
        out.append((name, "bad_date", present & typed.is_null()))
        if ctx.extract_date is not None and not f.future_ok:
            out.append((name, "future_date", (typed > pl.lit(ctx.extract_date)).fill_null(False)))
    elif f.type == "int":
        out.append((name, "bad_integer", present & typed.is_null()))
    elif f.type == "nhs_number":
        out.append((name, "nhs_number_check", present & ~pl.col(f"__ok_{f.name}")))
    elif f.type in ("upn", "upn_or_code"):
        is_code = c.is_in(_codes(f, ctx)).fill_null(False) if f.type == "upn_or_code" else pl.lit(False)
        upn = present & ~is_code
        ok = pl.col(f"__ok_{f.name}")
        out.append((name, "upn_check", upn & ~ok))
        la_ok = c.str.slice(1, 3).is_in(sorted(VALID_UPN_LA_CODES)).fill_null(False)
        out.append((name, "upn_la_code", upn & ok & ~la_ok))
    return out


def _repeated_hashes(hashes: np.ndarray) -> np.ndarray:
    """The hash values that occur more than once (sorted; usually none)."""
    ordered = np.sort(hashes)
    return np.unique(ordered[1:][ordered[1:] == ordered[:-1]])


def repeated_key_mask(frame: pl.DataFrame, fields: tuple[str, ...]) -> pl.Series:
    """True for each row whose (complete) key an earlier row already had.

    The keys are hashed and the hashes sorted first; only rows whose hash repeats are compared by
    value, so a file without repeats costs a hash and a sort rather than a distinct-value pass.
    """
    keys = frame.select(list(fields))
    hashes = (keys.get_column(fields[0]).hash() if len(fields) == 1 else keys.hash_rows()).to_numpy()
    mask = np.zeros(frame.height, dtype=bool)
    repeated = _repeated_hashes(hashes)
    if repeated.size == 0:
        return pl.Series("repeat", mask)
    complete = keys.select(pl.all_horizontal([pl.col(k).is_not_null() for k in fields])).to_series().to_numpy()
    idx = np.flatnonzero(np.isin(hashes, repeated) & complete)
    later = ~keys[idx].select(pl.struct(list(fields)).is_first_distinct()).to_series().to_numpy()
    mask[idx[later]] = True
    return pl.Series("repeat", mask)


def check_table(frame: pl.DataFrame, spec: TableSpec, ctx: CheckContext) -> Checked:
    """Check every field and row rule of ``spec`` on ``frame``; return typed rows and issues.

    Each value is typed once (dates parsed, check digits computed column-wise) and every check is
    a polars expression over the text and typed values, evaluated in one pass; issues are
    ``(_row, field, rule)``. Row rules see typed values (an unparseable date counts as absent).
    Columns of ``frame`` that are not spec fields are carried through unchanged (typed context
    columns such as a child's parsed birth date can be supplied that way).
    """
    label = ctx.labels.get
    fmt = ctx.date_format or spec.date_format
    df = frame
    missing = [f.name for f in spec.fields if f.name not in df.columns]
    if missing:
        df = df.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in missing])
    df = df.with_columns(
        [pl.col(f.name).cast(pl.String).str.strip_chars().replace("", None).alias(f.name) for f in spec.fields]
    )
    typed_exprs = {f.name: e for f in spec.fields if (e := _typed_expr(f, fmt)) is not None}
    digit_fields = [f for f in spec.fields if f.type in ("nhs_number", "upn", "upn_or_code")]
    # typed values and the identifiers' format tests in one parallel pass ...
    df = df.with_columns(
        [e.alias(f"__t_{n}") for n, e in typed_exprs.items()]
        + [typed_exprs[f.name].str.contains(_NHS_FORMAT if f.type == "nhs_number" else _UPN_FORMAT)
           .fill_null(False).alias(f"__fmt_{f.name}") for f in digit_fields]
        + [pl.col(f.name).str.contains(_FREE_TEXT_SUSPECT).fill_null(False).alias(f"__sus_{f.name}")
           for f in spec.fields if f.free_text]
    )
    # ... then the check digits of the well-formed ones (numpy) and the free-text tests, used as
    # boolean columns by the checks
    helpers = [
        (_nhs_digits_ok if f.type == "nhs_number" else _upn_letters_ok)(
            df.get_column(f"__t_{f.name}"), df.get_column(f"__fmt_{f.name}")).alias(f"__ok_{f.name}")
        for f in digit_fields
    ]
    for f in spec.fields:
        if f.free_text:
            formula, mixed = free_text_masks(df.get_column(f.name), df.get_column(f"__sus_{f.name}"))
            helpers += [formula.alias(f"__formula_{f.name}"), mixed.alias(f"__mixed_{f.name}")]
    df = df.with_columns(helpers)

    def typed(name: str) -> str:
        return f"__t_{name}" if name in typed_exprs else name

    checks: list[tuple[str | None, str, pl.Expr]] = []
    for f in spec.fields:
        checks.extend(_field_checks(f, ctx, label(f.name, f.name), pl.col(typed(f.name))))
    role_ok = pl.col(typed(ctx.role_field)) if ctx.role_field in df.columns else None

    def in_role(only: str | None) -> pl.Expr:
        if only is None or role_ok is None:
            return pl.lit(True)
        return (role_ok == only).fill_null(False)

    for i, r in enumerate(spec.rules):
        if isinstance(r, DateOrder):
            early, late = typed(r.earlier), typed(r.later)
            if early not in df.columns or late not in df.columns:
                continue
            if df.schema[early] != pl.Date or df.schema[late] != pl.Date:
                continue
            a, b = pl.col(early), pl.col(late)
            limit = a - pl.duration(days=r.tolerance_days) if r.tolerance_days else a
            bad = ((b <= limit) if r.strict else (b < limit)).fill_null(False) & in_role(r.only_role)
            checks.append((label(r.earlier, r.earlier), r.rule, bad))
            checks.append((label(r.later, r.later), r.rule, bad))
        elif isinstance(r, Paired):
            a_p, b_p = pl.col(typed(r.a)).is_not_null(), pl.col(typed(r.b)).is_not_null()
            checks.append((label(r.a, r.a), r.rule, b_p & ~a_p))
            checks.append((label(r.b, r.b), r.rule, a_p & ~b_p))
        elif isinstance(r, OneOf):
            bad = (pl.col(typed(r.a)).is_not_null() == pl.col(typed(r.b)).is_not_null()) & in_role(r.only_role)
            checks.append((label(r.a, r.a), r.rule, bad))
            checks.append((label(r.b, r.b), r.rule, bad))
        elif isinstance(r, Unique):
            df = df.with_columns(repeated_key_mask(df.select([typed(k) for k in r.fields]),
                                                   tuple(typed(k) for k in r.fields)).alias(f"__rep_{i}"))
            fname = label(r.fields[0], r.fields[0]) if len(r.fields) == 1 else None
            checks.append((fname, r.rule, pl.col(f"__rep_{i}")))
    issues = _collect(df, checks).unique(maintain_order=True)
    out = df.with_columns([pl.col(f"__t_{n}").alias(n) for n in typed_exprs])
    out = out.drop([c for c in out.columns if c.startswith(("__ok_", "__t_", "__rep_", "__fmt_", "__sus_", "__formula_", "__mixed_"))])
    return Checked(out, issues)


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
    hashes = frame.select(cols).hash_rows().to_numpy()
    repeated = _repeated_hashes(hashes)
    if repeated.size == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    candidates = frame.filter(pl.Series(np.isin(hashes, repeated)))
    if candidates.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    later_copy = ~candidates.select(pl.struct(cols).is_first_distinct()).to_series()
    return _issues(candidates.get_column("_row").filter(later_copy), None, "duplicate_row")
