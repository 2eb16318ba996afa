"""Standardise person identifiers in polars before blocking and comparison.

Names: case, accents, punctuation, placeholder names, nickname and transliteration canonical
forms, metaphone keys. Dates: many input formats, ISO text, year/month parts and the day/month
swapped form. Sex: one coding. Postcodes: unit, sector, district and area. NHS numbers: digits.
Phonetic keys and canonical forms are computed once per distinct value, not per record.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import cache
from pathlib import Path

import jellyfish
import polars as pl

from warehouse.vocabulary import normalise_sex_expr

#: The roles a record may carry; anything else is compared as generic text (``x_<name>``).
ROLES: tuple[str, ...] = ("forename", "surname", "dob", "sex", "postcode", "nhs_number")

PLACEHOLDER_NAMES = frozenset(
    {"baby", "unborn", "unknown", "not known", "nk", "n k", "infant", "child", "boy", "girl", "twin", "na", "none"}
)

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
_UK_POSTCODE = r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$"


@cache
def name_variants() -> dict[str, str]:
    """Nickname and transliteration variants -> canonical form (``linkage/data/name_variants.csv``)."""
    text = (Path(__file__).parent / "data" / "name_variants.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {r["variant"].strip(): r["canonical"].strip() for r in rows if r["variant"].strip()}


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Lower case, accents stripped, apostrophes dropped, other punctuation to spaces, spaces collapsed."""
    return (
        expr.cast(pl.Utf8)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"['’`]", "")
        .str.replace_all(r"[^a-z0-9 ]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def clean_name(expr: pl.Expr) -> pl.Expr:
    """:func:`clean_text` plus digits removed and placeholder names ("Baby", "Unknown") made null."""
    cleaned = clean_text(expr).str.replace_all(r"[0-9]+", "").str.replace_all(r"\s+", " ").str.strip_chars()
    return (
        pl.when(cleaned.is_in(list(PLACEHOLDER_NAMES)) | (cleaned.str.len_chars() == 0))
        .then(None)
        .otherwise(cleaned)
    )


def _map_unique(s: pl.Series, func: Callable[[str], str | None]) -> pl.Series:
    """Apply ``func`` once per distinct non-null value of ``s``."""
    uniq = s.drop_nulls().unique()
    if uniq.len() == 0:
        return pl.Series(s.name, [None] * s.len(), dtype=pl.Utf8)
    mapped = [func(v) for v in uniq.to_list()]
    return s.replace_strict(uniq, pl.Series(mapped, dtype=pl.Utf8), default=None, return_dtype=pl.Utf8)


def phonetic(value: str) -> str | None:
    """Metaphone key of every token of a cleaned name, joined by spaces (None when empty)."""
    key = " ".join(k for k in (jellyfish.metaphone(t) for t in value.split()) if k)
    return key or None


def canonical_name(value: str) -> str:
    """Canonical form of a cleaned name's first token (nickname/transliteration list), else the token."""
    first = value.split(" ", 1)[0]
    return name_variants().get(first, first)


def parse_date(expr: pl.Expr) -> pl.Expr:
    """Parse a date column given as DATE, datetime or text in any of the common formats."""
    text = expr.cast(pl.Utf8).str.strip_chars().str.slice(0, 10)
    return pl.coalesce([text.str.to_date(fmt, strict=False) for fmt in _DATE_FORMATS])


def date_text(expr: pl.Expr) -> pl.Expr:
    """ISO-shaped text of a date even when it is not a real date (``1915-02-31``), so that a date
    with a slipped digit still agrees on year, month and most characters; null when unreadable."""
    t = expr.cast(pl.Utf8).str.strip_chars().str.slice(0, 10)
    ymd = t.str.extract(r"^(\d{4})-?(\d{2})-?(\d{2})$", 0)
    compact = t.str.replace_all("-", "")
    dmy = t.str.extract_groups(r"^(\d{2})[/.-](\d{2})[/.-](\d{4})$")
    return pl.coalesce(
        pl.when(ymd.is_not_null())
        .then(pl.format("{}-{}-{}", compact.str.slice(0, 4), compact.str.slice(4, 2), compact.str.slice(6, 2))),
        pl.when(dmy.struct.field("1").is_not_null())
        .then(pl.format("{}-{}-{}", dmy.struct.field("3"), dmy.struct.field("2"), dmy.struct.field("1"))),
    )


def clean_sex(expr: pl.Expr) -> pl.Expr:
    """``m`` / ``f`` or null (not known, not stated, indeterminate: no evidence either way).

    Derived from the warehouse's one sex mapping (:func:`warehouse.vocabulary.normalise_sex_expr`);
    linkage keeps lower case so that a comparison never mistakes the code ``U`` for agreement.
    """
    code = normalise_sex_expr(expr)
    return pl.when(code == "M").then(pl.lit("m")).when(code == "F").then(pl.lit("f")).otherwise(None)


def clean_postcode(expr: pl.Expr) -> pl.Expr:
    """Upper case, spaces and punctuation removed; empty -> null."""
    s = expr.cast(pl.Utf8).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    return pl.when(s.str.len_chars() == 0).then(None).otherwise(s)


def clean_nhs(expr: pl.Expr) -> pl.Expr:
    """Digits only; anything but ten digits (or all one digit, a common filler) -> null."""
    s = expr.cast(pl.Utf8).str.replace_all(r"[^0-9]", "")
    filler = s.is_in([str(d) * 10 for d in range(10)])
    return pl.when((s.str.len_chars() == 10) & ~filler).then(s).otherwise(None)


def _on_unique(df: pl.DataFrame, column: str, fn: Callable[[pl.Expr], pl.Expr], name: str) -> pl.Series:
    """``fn`` applied once per distinct value of ``df[column]`` (names and dates repeat a lot)."""
    s = df[column]
    uniq = pl.DataFrame({"v": s.unique()})
    uniq = uniq.with_columns(fn(pl.col("v")).alias("o"))
    out = pl.DataFrame({"v": s}).join(uniq, on="v", how="left", nulls_equal=True, maintain_order="left")["o"]
    return out.alias(name)


def _derive_on_unique(df: pl.DataFrame, keys: list[str], exprs: list[pl.Expr]) -> pl.DataFrame:
    """Add ``exprs`` (functions of ``keys`` only) computed once per distinct key combination."""
    uniq = df.select(keys).unique().with_columns(exprs)
    return df.join(uniq, on=keys, how="left", nulls_equal=True, maintain_order="left")


def standardise(df: pl.DataFrame, extras: tuple[str, ...] = ()) -> pl.DataFrame:
    """Standardise a frame holding ``rid`` and any of :data:`ROLES` (plus ``extras``, and an optional
    boolean ``dob_expected`` marking dates that are expected dates of birth).

    Returns the columns the comparisons and blocking rules use: ``forename``, ``forename_canon``,
    ``forename_mp``, ``forename_init`` (same for surname), ``dob`` (ISO text), ``dob_date``,
    ``dob_year``, ``dob_month``, ``dob_swap``, ``sex``, ``postcode``, ``pc_sector``,
    ``pc_district``, ``pc_area``, ``nhs_number`` and ``x_<extra>`` for each extra column.
    Roles absent from ``df`` are absent from the result.

    Example:
        >>> out = standardise(pl.DataFrame({"rid": ["1"], "forename": ["  Zoë-Ann "]}))
        >>> out["forename"][0]
        'zoe ann'
    """
    out = _cleaned(df, extras)
    out = _name_keys(out)
    if "dob_date" in out.columns:
        out = _date_parts(out)
    if "postcode" in out.columns:
        out = _postcode_parts(out)
    return out.drop("_dob_text", strict=False)


def _cleaned(df: pl.DataFrame, extras: tuple[str, ...]) -> pl.DataFrame:
    """Stage 1: each role cleaned (names, dates, sex, postcode, NHS number, extra text columns)."""
    cols: list[pl.Expr | pl.Series] = [pl.col("rid").cast(pl.Utf8)]
    present = set(df.columns)
    for role in ("forename", "surname"):
        if role in present:
            cols.append(_on_unique(df, role, clean_name, role))
    if "dob" in present:
        if df.schema["dob"] in (pl.Date, pl.Datetime):
            cols.append(pl.col("dob").cast(pl.Date).alias("dob_date"))
            cols.append(pl.lit(None, dtype=pl.Utf8).alias("_dob_text"))
        else:
            cols.append(_on_unique(df, "dob", parse_date, "dob_date"))
            cols.append(_on_unique(df, "dob", date_text, "_dob_text"))
    if "dob" in present and "dob_expected" in present:
        # the date is an expected date of birth (an unborn child): true births land within weeks of it
        cols.append(pl.col("dob_expected").cast(pl.Boolean).fill_null(False).alias("dob_expected"))
    if "sex" in present:
        cols.append(clean_sex(pl.col("sex")).alias("sex"))
    if "postcode" in present:
        cols.append(clean_postcode(pl.col("postcode")).alias("postcode"))
    if "nhs_number" in present:
        cols.append(clean_nhs(pl.col("nhs_number")).alias("nhs_number"))
    for extra in extras:
        cleaned = clean_text(pl.col(extra))
        cols.append(pl.when(cleaned.str.len_chars() == 0).then(None).otherwise(cleaned).alias(f"x_{extra}"))
    return df.select(cols)


def _name_keys(out: pl.DataFrame) -> pl.DataFrame:
    """Stage 2: canonical form, metaphone key and initial of each name (once per distinct value)."""
    derived: list[pl.Expr | pl.Series] = []
    for role in ("forename", "surname"):
        if role in out.columns:
            derived.append(_map_unique(out[role], canonical_name).alias(f"{role}_canon"))
            derived.append(_map_unique(out[role], phonetic).alias(f"{role}_mp"))
            derived.append(pl.col(role).str.slice(0, 1).alias(f"{role}_init"))
    return out.with_columns(derived) if derived else out


def _date_parts(out: pl.DataFrame) -> pl.DataFrame:
    """Stage 3: ISO text, year, month, day and the day/month-swapped form of the date of birth."""
    d = pl.col("dob_date")
    text = pl.coalesce(d.dt.strftime("%Y-%m-%d"), pl.col("_dob_text"))
    return _derive_on_unique(out, ["dob_date", "_dob_text"], [
        text.alias("dob"),
        text.str.slice(0, 4).cast(pl.Int32, strict=False).alias("dob_year"),
        text.str.slice(5, 2).cast(pl.Int8, strict=False).alias("dob_month"),
        text.str.slice(8, 2).cast(pl.Int8, strict=False).alias("dob_day"),
        pl.when((d.dt.day() <= 12) & (d.dt.day() != d.dt.month()))
        .then(pl.format("{}-{}-{}", d.dt.year(), d.dt.day().cast(pl.Utf8).str.zfill(2),
                        d.dt.month().cast(pl.Utf8).str.zfill(2)))
        .otherwise(None)
        .alias("dob_swap"),
    ])


def _postcode_parts(out: pl.DataFrame) -> pl.DataFrame:
    """Stage 4: postcode sector, district and area."""
    pc = pl.col("postcode")
    outward = pc.str.extract(_UK_POSTCODE, 1)
    inward = pc.str.extract(_UK_POSTCODE, 2)
    n = pc.str.len_chars()
    return _derive_on_unique(out, ["postcode"], [
        pl.when(outward.is_not_null())
        .then(outward + inward.str.slice(0, 1))
        .otherwise(pc.str.slice(0, n - 1))
        .alias("pc_sector"),
        pl.when(outward.is_not_null()).then(outward).otherwise(pc.str.slice(0, n - 2)).alias("pc_district"),
        pl.when(outward.is_not_null())
        .then(outward.str.extract(r"^([A-Z]+)", 1))
        .otherwise(pc.str.slice(0, 1))
        .alias("pc_area"),
    ])


def _keyed(h: Callable[[str], str], role: str) -> Callable[[str], str | None]:
    """The token function of one role: the role's name is hashed in, so equal values of different
    roles never share a token."""
    return lambda v: h(f"{role}\x1f{v}")


def tokenise(std: pl.DataFrame, secret: bytes) -> pl.DataFrame:
    """Replace every identifier of a standardised frame by a keyed hash (pseudonymised tokens).

    Only exact agreement survives: derived forms (phonetic keys, sectors, swaps) are dropped,
    and the year of birth is tokenised on its own so that blocking can still use it.
    """
    import hashlib
    import hmac

    def h(v: str) -> str:
        return hmac.new(secret, v.encode("utf-8"), hashlib.sha256).hexdigest()[:24]

    keep = [c for c in ("forename", "surname", "dob", "sex", "postcode", "nhs_number") if c in std.columns]
    cols: list[pl.Series] = [std["rid"]]
    for c in keep:
        cols.append(_map_unique(std[c].cast(pl.Utf8), _keyed(h, c)).alias(c))
    if "dob_year" in std.columns:
        cols.append(_map_unique(std["dob_year"].cast(pl.Utf8), lambda v: h(f"year\x1f{v}")).alias("dob_year"))
    return pl.DataFrame(cols)
