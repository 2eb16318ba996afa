"""The rule engine: applies a :class:`TableSpec` to a frame of strings, vectorised with polars.

Input is a frame of string columns named by the spec's fields (plus ``_row``, the 1-based data
row). Output is the same rows with typed columns and a frame of issues ``(_row, field, rule)``.
No per-row Python: each field check and row rule is one polars expression (check digits use the
column-wise helpers of :mod:`warehouse.identifiers`, the one home of that arithmetic).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from warehouse.codelists import get_codelist

# check-digit arithmetic has one home (warehouse.identifiers); nhs_valid_mask and upn_valid_mask are
# re-exported here for the callers that found them in this module
from warehouse.identifiers import (
    NHS_FORMAT,
    UPN_FORMAT,
    nhs_digits_ok,
    nhs_number_clean_expr,
    nhs_valid_mask,
    upn_la_codes,
    upn_letters_ok,
    upn_valid_mask,
)
from warehouse.registry import Registry
from warehouse.validation.declarations import DateOrder, Field, OneOf, Paired, TableSpec, Unique
from warehouse.validation.problems import RULES

__all__ = [
    "FIELD_KINDS", "ISSUE_SCHEMA", "ROW_RULES", "CheckContext", "Checked", "FieldCheck", "FieldKind", "check_table", "duplicate_rows", "nhs_valid_mask",
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
    """A checked table.

    Attributes:
        typed: every input row, typed columns; a value that broke a *withhold* rule is null here.
        issues: ``(_row, field, rule)`` per problem found.
        refused: True for each row of ``typed`` that cannot be stored (key missing or withheld, key repeated).
        case_notes: ``(field, label, count)``: code values matched only after upper-casing or trimming.
    """

    typed: pl.DataFrame
    issues: pl.DataFrame
    refused: pl.Series = field(default_factory=lambda: pl.Series("refused", [], dtype=pl.Boolean))
    case_notes: list[tuple[str, str, int]] = field(default_factory=list)

    def bad_rows(self) -> pl.Series:
        return self.issues.get_column("_row").unique()


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


def _code_lookup(codes: list[str]) -> dict[str, str]:
    """Upper-cased code -> the list's own spelling (the list's upper-case spelling wins a tie)."""
    out: dict[str, str] = {}
    for code in sorted(codes, key=lambda c: c != c.upper()):
        out.setdefault(code.upper(), code)
    return out


_FORMULA_START = r"^[=+\-@\t\r]"
# a value that could break either free-text rule: it starts like a formula or holds a non-ASCII character
_FREE_TEXT_SUSPECT = r"^[=+\-@\t\r]|[^\x00-\x7F]"
_EARLIEST_YEAR = 1900


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


# ----------------------------------------------------------------------------- field kinds (registry)


@dataclass(frozen=True)
class FieldCheck:
    """One check's result: a boolean mask over the rows (True = the rule is broken) for a field."""

    field: str | None  # the spec's field name (None: the row as a whole)
    label: str | None  # the name reported (the file's own column name)
    rule: str
    mask: pl.Expr


@dataclass(frozen=True)
class FieldEnv:
    """What a field kind's checks see: the field, the run's context, its reported label and columns."""

    field: Field
    ctx: CheckContext
    label: str
    raw: pl.Expr  # stripped text (null when empty)
    typed: pl.Expr  # the typed value (the text itself for kinds that stay text)
    fmt: str  # the date format in force for the table


@dataclass(frozen=True)
class FieldKind:
    """A field type: how its text is typed and which rules its values break.

    Registered in :data:`FIELD_KINDS` under the :class:`~warehouse.validation.declarations.Field` type
    name; the engine dispatches on it (a new type is a new registration, not a new branch).
    """

    name: str
    typed: Callable[[Field, str, CheckContext], pl.Expr | None]
    checks: Callable[[FieldEnv], list[FieldCheck]]
    digits: str | None = None  # "nhs" / "upn": the value's check digit is computed column-wise first


FIELD_KINDS: Registry[FieldKind] = Registry("field type")


def _no_typing(f: Field, fmt: str, ctx: CheckContext) -> pl.Expr | None:
    return None


def _code_typed(f: Field, fmt: str, ctx: CheckContext) -> pl.Expr:
    # a listed code is kept as it is; any other is matched case-insensitively (null when not listed)
    codes = _codes(f, ctx)
    c = pl.col(f.name)
    return pl.when(c.is_in(codes)).then(c).otherwise(
        c.str.to_uppercase().replace_strict(_code_lookup(codes), default=None, return_dtype=pl.String))


def _date_typed(f: Field, fmt: str, ctx: CheckContext) -> pl.Expr:
    return pl.col(f.name).str.strptime(pl.Date, fmt, strict=False, exact=True)


def _str_checks(env: FieldEnv) -> list[FieldCheck]:
    return []


def _code_checks(env: FieldEnv) -> list[FieldCheck]:
    return [FieldCheck(env.field.name, env.label, "code_list", env.raw.is_not_null() & env.typed.is_null())]


def _date_checks(env: FieldEnv) -> list[FieldCheck]:
    f, present = env.field, env.raw.is_not_null()
    out = [FieldCheck(f.name, env.label, "bad_date", present & env.typed.is_null()),
           FieldCheck(f.name, env.label, "date_year", (env.typed.dt.year() < _EARLIEST_YEAR).fill_null(False))]
    if env.ctx.extract_date is not None and not f.future_ok:
        out.append(FieldCheck(f.name, env.label, "future_date",
                              (env.typed > pl.lit(env.ctx.extract_date)).fill_null(False)))
    return out


def _int_checks(env: FieldEnv) -> list[FieldCheck]:
    return [FieldCheck(env.field.name, env.label, "bad_integer", env.raw.is_not_null() & env.typed.is_null())]


def _nhs_checks(env: FieldEnv) -> list[FieldCheck]:
    ok = pl.col(f"__ok_{env.field.name}")
    return [FieldCheck(env.field.name, env.label, "nhs_number_check", env.raw.is_not_null() & ~ok)]


def _upn_checks(env: FieldEnv) -> list[FieldCheck]:
    f = env.field
    is_code = env.raw.str.to_uppercase().is_in([c.upper() for c in _codes(f, env.ctx)]).fill_null(False) \
        if f.type == "upn_or_code" else pl.lit(False)
    upn = env.raw.is_not_null() & ~is_code
    ok = pl.col(f"__ok_{f.name}")
    la_ok = env.raw.str.slice(1, 3).is_in(sorted(upn_la_codes(env.ctx.year))).fill_null(False)
    return [FieldCheck(f.name, env.label, "upn_check", upn & ~ok),
            FieldCheck(f.name, env.label, "upn_la_code", upn & ok & ~la_ok)]


for _kind in (
    FieldKind("str", _no_typing, _str_checks),
    FieldKind("code", _code_typed, _code_checks),
    FieldKind("date", _date_typed, _date_checks),
    FieldKind("int", lambda f, fmt, ctx: pl.col(f.name).cast(pl.Int64, strict=False), _int_checks),
    FieldKind("nhs_number", lambda f, fmt, ctx: nhs_number_clean_expr(pl.col(f.name)), _nhs_checks, digits="nhs"),
    FieldKind("upn", lambda f, fmt, ctx: pl.col(f.name).str.to_uppercase(), _upn_checks, digits="upn"),
    FieldKind("upn_or_code", lambda f, fmt, ctx: pl.col(f.name).str.to_uppercase(), _upn_checks, digits="upn"),
):
    FIELD_KINDS.register(_kind)


def _common_checks(env: FieldEnv) -> list[FieldCheck]:
    f = env.field
    out = []
    if f.required:
        out.append(FieldCheck(f.name, env.label, "required", env.raw.is_null()))
    if f.free_text:
        out.append(FieldCheck(f.name, env.label, "formula_text", pl.col(f"__formula_{f.name}")))
        out.append(FieldCheck(f.name, env.label, "mixed_script", pl.col(f"__mixed_{f.name}")))
    return out


# ----------------------------------------------------------------------------- row rules (registry)


@dataclass
class RowEnv:
    """What a row rule's check sees: the frame (typed columns beside the text), names and roles."""

    df: pl.DataFrame
    ctx: CheckContext
    typed_names: set[str]

    def col(self, name: str) -> str:
        """The column holding ``name``'s typed value."""
        return f"__t_{name}" if name in self.typed_names else name

    def label(self, name: str) -> str:
        return self.ctx.labels.get(name, name)

    def in_role(self, only: str | None) -> pl.Expr:
        role = self.col(self.ctx.role_field)
        if only is None or role not in self.df.columns:
            return pl.lit(True)
        return (pl.col(role) == only).fill_null(False)


ROW_RULES: Registry[Callable[[Any, RowEnv], list[FieldCheck]]] = Registry("row rule")


@ROW_RULES.register("DateOrder")
def _date_order(r: DateOrder, env: RowEnv) -> list[FieldCheck]:
    early, late = env.col(r.earlier), env.col(r.later)
    if early not in env.df.columns or late not in env.df.columns:
        return []
    if env.df.schema[early] != pl.Date or env.df.schema[late] != pl.Date:
        return []
    a, b = pl.col(early), pl.col(late)
    limit = a - pl.duration(days=r.tolerance_days) if r.tolerance_days else a
    bad = ((b <= limit) if r.strict else (b < limit)).fill_null(False) & env.in_role(r.only_role)
    return [FieldCheck(r.earlier, env.label(r.earlier), r.rule, bad),
            FieldCheck(r.later, env.label(r.later), r.rule, bad)]


@ROW_RULES.register("Paired")
def _paired(r: Paired, env: RowEnv) -> list[FieldCheck]:
    a_p, b_p = pl.col(env.col(r.a)).is_not_null(), pl.col(env.col(r.b)).is_not_null()
    return [FieldCheck(r.a, env.label(r.a), r.rule, b_p & ~a_p), FieldCheck(r.b, env.label(r.b), r.rule, a_p & ~b_p)]


@ROW_RULES.register("OneOf")
def _one_of(r: OneOf, env: RowEnv) -> list[FieldCheck]:
    bad = (pl.col(env.col(r.a)).is_not_null() == pl.col(env.col(r.b)).is_not_null()) & env.in_role(r.only_role)
    return [FieldCheck(r.a, env.label(r.a), r.rule, bad), FieldCheck(r.b, env.label(r.b), r.rule, bad)]


@ROW_RULES.register("Unique")
def _unique(r: Unique, env: RowEnv) -> list[FieldCheck]:
    cols = tuple(env.col(k) for k in r.fields)
    name = f"__rep_{'_'.join(r.fields)}"
    env.df = env.df.with_columns(repeated_key_mask(env.df.select(list(cols)), cols).alias(name))
    fname = r.fields[0] if len(r.fields) == 1 else None
    return [FieldCheck(fname, env.label(fname) if fname else None, r.rule, pl.col(name))]


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


# ----------------------------------------------------------------------------- the engine's stages

_HELPER_PREFIXES = ("__ok_", "__t_", "__rep_", "__fmt_", "__sus_", "__formula_", "__mixed_", "__withhold_")


def _prepare(frame: pl.DataFrame, spec: TableSpec) -> pl.DataFrame:
    """Stage 1: every spec field present, stripped, empty text as null."""
    missing = [f.name for f in spec.fields if f.name not in frame.columns]
    if missing:
        frame = frame.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in missing])
    return frame.with_columns(
        [pl.col(f.name).cast(pl.String).str.strip_chars().replace("", None).alias(f.name) for f in spec.fields]
    )


def _type_values(df: pl.DataFrame, spec: TableSpec, ctx: CheckContext, fmt: str) -> tuple[pl.DataFrame, set[str]]:
    """Stage 2: typed values (``__t_<field>``) and the identifiers' check digits, column-wise."""
    kinds = {f.name: FIELD_KINDS.get(f.type) for f in spec.fields}
    typed_exprs = {f.name: e for f in spec.fields if (e := kinds[f.name].typed(f, fmt, ctx)) is not None}
    digit_fields = [f for f in spec.fields if kinds[f.name].digits]
    # typed values and the identifiers' format tests in one parallel pass ...
    df = df.with_columns(
        [e.alias(f"__t_{n}") for n, e in typed_exprs.items()]
        + [typed_exprs[f.name].str.contains(NHS_FORMAT if kinds[f.name].digits == "nhs" else UPN_FORMAT)
           .fill_null(False).alias(f"__fmt_{f.name}") for f in digit_fields]
        + [pl.col(f.name).str.contains(_FREE_TEXT_SUSPECT).fill_null(False).alias(f"__sus_{f.name}")
           for f in spec.fields if f.free_text]
    )
    # ... then the check digits of the well-formed ones (numpy) and the free-text tests, used as
    # boolean columns by the checks
    helpers = [
        (nhs_digits_ok if kinds[f.name].digits == "nhs" else upn_letters_ok)(
            df.get_column(f"__t_{f.name}"), df.get_column(f"__fmt_{f.name}")).alias(f"__ok_{f.name}")
        for f in digit_fields
    ]
    for f in spec.fields:
        if f.free_text:
            formula, mixed = free_text_masks(df.get_column(f.name), df.get_column(f"__sus_{f.name}"))
            helpers += [formula.alias(f"__formula_{f.name}"), mixed.alias(f"__mixed_{f.name}")]
    return df.with_columns(helpers), set(typed_exprs)


def _field_checks(spec: TableSpec, ctx: CheckContext, fmt: str, typed_names: set[str]) -> list[FieldCheck]:
    checks: list[FieldCheck] = []
    for f in spec.fields:
        typed = pl.col(f"__t_{f.name}") if f.name in typed_names else pl.col(f.name)
        env = FieldEnv(f, ctx, ctx.labels.get(f.name, f.name), pl.col(f.name), typed, fmt)
        checks += _common_checks(env) + FIELD_KINDS.get(f.type).checks(env)
    return checks


def _code_case_notes(df: pl.DataFrame, spec: TableSpec, typed_names: set[str]) -> list[tuple[str, str, int]]:
    """``(field, label, count)`` of code fields whose values were matched only after upper-casing."""
    codes = [f for f in spec.fields if f.type == "code" and f.name in typed_names]
    if not codes or df.height == 0:
        return []
    counts = df.select([
        (pl.col(f"__t_{f.name}").is_not_null() & (pl.col(f"__t_{f.name}") != pl.col(f.name))).sum().alias(f.name)
        for f in codes
    ]).row(0)
    return [(f.name, f.name, int(n)) for f, n in zip(codes, counts, strict=True) if n]


def check_table(frame: pl.DataFrame, spec: TableSpec, ctx: CheckContext) -> Checked:
    """Check every field and row rule of ``spec`` on ``frame``; return typed rows, issues and refusals.

    Stages: prepare (strip, empty = null) -> type (dates parsed, codes matched in any case, check
    digits computed column-wise) -> check (every field kind's and row rule's checks, dispatched by
    the :data:`FIELD_KINDS` and :data:`ROW_RULES` registries, evaluated as polars expressions in one
    pass) -> collect (issues ``(_row, field, rule)``; values that break a *withhold* rule set to null
    in the typed output; ``refused`` marks rows that cannot be stored: a key field missing or withheld,
    or a *refuse* rule such as a repeated key). Row rules see typed values (an unparseable date counts
    as absent). Columns of ``frame`` that are not spec fields are carried through unchanged (typed
    context columns such as a child's parsed birth date can be supplied that way).
    """
    fmt = ctx.date_format or spec.date_format
    df, typed_names = _type_values(_prepare(frame, spec), spec, ctx, fmt)
    checks = _field_checks(spec, ctx, fmt, typed_names)
    env = RowEnv(df, ctx, typed_names)
    for r in spec.rules:
        checks += ROW_RULES.get(type(r).__name__)(r, env)
    df = env.df
    masks = _masks(df, checks)
    issues = _collect(masks, checks).unique(maintain_order=True)
    notes = _code_case_notes(df, spec, typed_names)
    df = df.with_columns([pl.col(f"__t_{n}").alias(n) for n in typed_names])
    df, refused = _withhold(df, masks, checks, spec)
    out = df.drop([c for c in df.columns if c.startswith(_HELPER_PREFIXES)])
    labels = [(fld, ctx.labels.get(fld, fld), n) for fld, _, n in notes]
    return Checked(out, issues, refused, labels)


def _masks(frame: pl.DataFrame, checks: list[FieldCheck]) -> pl.DataFrame:
    """Every check's mask as a boolean column ``c<i>`` (one pass), beside ``_row``."""
    if not checks:
        return frame.select("_row")
    return frame.select(pl.col("_row"), *[c.mask.fill_null(False).alias(f"c{i}") for i, c in enumerate(checks)])


def _withhold(df: pl.DataFrame, masks: pl.DataFrame, checks: list[FieldCheck],
              spec: TableSpec) -> tuple[pl.DataFrame, pl.Series]:
    """Null each value that breaks a withhold rule; mark rows whose key is missing or withheld, or that
    break a refuse rule (they cannot be stored)."""
    withhold: dict[str, list[str]] = {}
    refuse: list[str] = []
    for i, c in enumerate(checks):
        effect = RULES[c.rule].effect
        if effect == "withhold" and c.field is not None and c.field in df.columns:
            withhold.setdefault(c.field, []).append(f"c{i}")
        elif effect == "refuse":
            refuse.append(f"c{i}")
    if withhold:
        df = df.with_columns([
            pl.when(pl.any_horizontal([masks.get_column(m) for m in ms])).then(None).otherwise(pl.col(name))
            .alias(name) for name, ms in withhold.items()
        ])
    bad = [pl.col(k).is_null() for k in spec.key if k in df.columns]
    bad += [pl.lit(masks.get_column(m)) for m in refuse]
    refused = df.select(pl.any_horizontal(bad).alias("refused")).to_series() if bad and df.height else \
        pl.Series("refused", [False] * df.height, dtype=pl.Boolean)
    return df, refused


def _collect(masks: pl.DataFrame, checks: list[FieldCheck]) -> pl.DataFrame:
    """``(_row, field, rule)`` for each check hit (field as reported: the file's own column name)."""
    if not checks or masks.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    # most rows are clean: keep only rows with a hit before turning check columns into rows
    hit = masks.filter(pl.any_horizontal([pl.col(f"c{i}") for i in range(len(checks))]))
    if hit.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    hits = hit.unpivot(index="_row", variable_name="check", value_name="bad").filter(pl.col("bad"))
    meta = pl.DataFrame(
        {"check": [f"c{i}" for i in range(len(checks))], "field": [c.label for c in checks],
         "rule": [c.rule for c in checks]},
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
