"""Linkage of Bloom-filter encodings in the same Fellegi-Sunter model as clear-text linkage.

The stages are the clear-text pipeline's own functions (:mod:`linkage.pipeline`: ``block``,
``compare``, ``count_agreement_patterns``, ``train``, ``score``, ``assign``), fed with what this
module plans: blocking rules that join on the keyed blocking tokens, and comparison classes
registered in the same comparison registry (Dice bands on the name filters, token agreement for
the other identifiers). Two stages differ: the load casts filters to DuckDB ``BIT`` once with
their popcounts, and u takes the exact agreement of tokens from token frequencies (a filter's
exact repeats mean nothing under BLIP). Dice is computed in DuckDB (``bit_count(l & r)``), never
per pair in Python.

The linkage unit runs this on two encoded files; it never needs the key.
:func:`link_encoded_frames` is the entry for the feasibility runner, which holds both sides'
standardised frames and a run key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar

import duckdb
import numpy as np
import polars as pl
from sqlglot import exp

from linkage.blocking import BASE_FIELD, BlockingRule
from linkage.bloom import BLOCKING_KEYS, BloomSettings, EncodingKey, blocking_variants, encode
from linkage.comparisons import Comparison, Level, register_comparison
from linkage.model import FellegiSunter, estimate_u
from linkage.pipeline import (
    LinkInputs,
    LinkResult,
    assign,
    block,
    compare,
    comparisons_sql,
    count_agreement_patterns,
    exact_u,
    score,
    train,
)
from linkage.settings import LinkageSettings
from linkage.sqlbuild import SqlBuilder, internal_table, quote_ident
from warehouse.errors import ConfigError, DataError

__all__ = [
    "DiceComparison", "EncodedDateComparison", "EncodedPostcodeComparison", "EncodedRule",
    "TokenComparison", "encoded_comparisons", "encoded_rules", "is_encoded_frame", "link_encoded",
    "link_encoded_frames", "rule_variants",
]

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- comparisons
@dataclass(frozen=True)
class EncodedComparison(Comparison):
    """Base for comparisons on encoded columns: ``field`` is the identifier (``forename``), the
    column compared is ``field + suffix`` (``forename_bf``)."""

    suffix: ClassVar[str] = "_tk"

    @property
    def column(self) -> str:
        """The encoded column this comparison reads."""
        return self.field + self.suffix

    def level_sql(self, b: SqlBuilder) -> exp.Expression:
        """CASE giving the level: -1 when either side is missing, then the levels, highest first."""
        c = self.column
        whens: list[tuple[exp.Expression, exp.Expression]] = [(b.or_(b.is_null(b.l(c)), b.is_null(b.r(c))), b.lit(-1))]
        top = len(self.levels)
        for i, (_, cond) in enumerate(self.levels):
            whens.append((cond(b, self.field), b.lit(top - i)))
        return b.case(whens, b.lit(0))

    def exact_sql(self, b: SqlBuilder) -> exp.Expression:
        """Agreement at the top level."""
        return self.levels[0][1](b, self.field)


def _same(suffix: str) -> Callable[[SqlBuilder, str], exp.Expression]:
    def cond(b: SqlBuilder, f: str) -> exp.Expression:
        return b.eq(b.l(f + suffix), b.r(f + suffix))

    return cond


def _same_column(column: str) -> Callable[[SqlBuilder, str], exp.Expression]:
    def cond(b: SqlBuilder, f: str) -> exp.Expression:
        return b.eq(b.l(column), b.r(column))

    return cond


def dice_sql(b: SqlBuilder, column: str) -> exp.Expression:
    """Dice similarity of the two sides' ``column`` filters: 2 |L and R| / (|L| + |R|) (popcounts
    precomputed in ``<column>_n``)."""
    both = b.fn("bit_count", exp.BitwiseAnd(this=b.l(column), expression=b.r(column)))
    total = exp.Add(this=b.l(f"{column}_n"), expression=b.r(f"{column}_n"))
    return exp.Div(this=exp.Mul(this=b.lit(2.0), expression=both),
                   expression=b.fn("greatest", exp.Paren(this=total), b.lit(1)))


def _dice_at_least(threshold: float, column: str | None = None) -> Callable[[SqlBuilder, str], exp.Expression]:
    def cond(b: SqlBuilder, f: str) -> exp.Expression:
        return b.gte(dice_sql(b, column or f"{f}_bf"), b.param(threshold))

    return cond


#: Dice cut points of the name levels, measured on encoded data (BLIP at 0.01 brings identical
#: names to about 0.92, so the top band starts below it); never reuse plaintext thresholds.
DICE_CUTS: tuple[float, ...] = (0.85, 0.7, 0.55, 0.4)


@register_comparison
@dataclass(frozen=True)
class DiceComparison(EncodedComparison):
    """A name's Bloom filters: Dice >= 0.85 (same name, allowing for BLIP), >= 0.70, >= 0.55,
    >= 0.40 (typing slips), else."""

    kind: ClassVar[str] = "dice"
    suffix: ClassVar[str] = "_bf"
    levels: ClassVar[tuple[Level, ...]] = tuple((f"dice_{t:.2f}", _dice_at_least(t)) for t in DICE_CUTS)

    def level_sql(self, b: SqlBuilder) -> exp.Expression:
        """The level as a sum of "Dice >= cut" flags (the cuts fall, so the sum is the band), -1 when
        either filter is missing. No CASE: DuckDB then computes the Dice once per pair, not once per
        band (4x faster on 200,000 pairs)."""
        d = dice_sql(b, self.column)
        flags: exp.Expression = exp.cast(b.gte(d, b.param(DICE_CUTS[0])), "INTEGER")
        for t in DICE_CUTS[1:]:
            flags = exp.Add(this=flags, expression=exp.cast(b.gte(d.copy(), b.param(t)), "INTEGER"))
        return b.fn("coalesce", flags, b.lit(-1))


@register_comparison
@dataclass(frozen=True)
class EncodedDateComparison(EncodedComparison):
    """Date-of-birth tokens: exact, day and month swapped, two of year/month/day agree (pair
    tokens), within a month (a shared 64-day window: always when 32 days apart or less, never
    beyond 63; the clear-text level is exactly 31 days), same year, else."""

    kind: ClassVar[str] = "encoded_date"
    levels: ClassVar[tuple[Level, ...]] = (
        ("exact", _same("_tk")),
        ("day_month_swap", lambda b, f: b.eq(b.l(f"{f}_tk"), b.r(f"{f}_swap_tk"))),
        ("two_parts", lambda b, f: b.or_(*(b.eq(b.l(f"{f}_{p}_tk"), b.r(f"{f}_{p}_tk")) for p in ("ym", "yd", "md")))),
        ("within_a_month", lambda b, f: b.or_(*(b.eq(b.l(f"{f}_{p}_tk"), b.r(f"{f}_{p}_tk")) for p in ("w1", "w2")))),
        ("same_year", _same("_year_tk")),
    )


@register_comparison
@dataclass(frozen=True)
class EncodedPostcodeComparison(EncodedComparison):
    """Postcode tokens: unit, sector, district, area, else."""

    kind: ClassVar[str] = "encoded_postcode"
    levels: ClassVar[tuple[Level, ...]] = (
        ("unit", _same("_tk")),
        ("sector", _same_column("pc_sector_tk")),
        ("district", _same_column("pc_district_tk")),
        ("area", _same_column("pc_area_tk")),
    )


@register_comparison
@dataclass(frozen=True)
class TokenComparison(EncodedComparison):
    """Keyed tokens agree or not (sex, NHS number)."""

    kind: ClassVar[str] = "token"
    levels: ClassVar[tuple[Level, ...]] = (("exact", _same("_tk")),)


#: Standardised columns the tightened blocking keys may add (what :func:`linkage.bloom.blocking_variants` sees).
_STANDARD_COLUMNS = {"sex", "pc_area", "dob_year", "surname_init", "forename_init"}

_DATE_COLUMNS = ("dob_tk", "dob_swap_tk", "dob_year_tk", "dob_ym_tk", "dob_yd_tk", "dob_md_tk", "dob_w1_tk", "dob_w2_tk")
_POSTCODE_COLUMNS = ("postcode_tk", "pc_sector_tk", "pc_district_tk", "pc_area_tk")


def encoded_comparisons(columns: set[str]) -> list[Comparison]:
    """The comparisons the shared encoded ``columns`` allow, in the clear-text order."""
    out: list[Comparison] = []
    for f in ("forename", "surname"):
        if f"{f}_bf" in columns:
            out.append(DiceComparison(f))
    if set(_DATE_COLUMNS) <= columns:
        out.append(EncodedDateComparison("dob"))
    if "sex_tk" in columns:
        out.append(TokenComparison("sex"))
    if set(_POSTCODE_COLUMNS) <= columns:
        out.append(EncodedPostcodeComparison("postcode"))
    if "nhs_number_tk" in columns:
        out.append(TokenComparison("nhs_number"))
    for c in sorted(columns):
        if c.startswith("x_") and c.endswith("_bf"):
            out.append(DiceComparison(c.removesuffix("_bf")))
    # a record-level filter (layout "both") is carried for other tools, not compared here: it holds the
    # same evidence as the field comparisons, and counting it twice would break the model's independence
    return out


# ----------------------------------------------------------------------------- blocking
@dataclass(frozen=True)
class EncodedRule(BlockingRule):
    """A blocking rule joining on one keyed blocking token; ``bases`` are the identifiers the token
    was made of (EM sessions on its pairs leave those comparisons out, as in clear text)."""

    bases: frozenset[str] = field(default_factory=frozenset)

    @property
    def base_fields(self) -> frozenset[str]:
        """Identifiers this rule draws on."""
        return self.bases


#: The postcode district a full-name key is split by (no bare name key is sent: see
#: :data:`linkage.bloom.BLOCKING_KEYS`) still leaves the postcode comparison to that key's EM sessions.
#: Clear text learns m for the date of birth from sessions on the bare name rules, where the postcode
#: tells matches from non-matches; on name + year keys the date is the key, and on name + district
#: keys without the postcode no comparison but the date would remain, so matches with a wholly wrong
#: date would go unlearnt (FEBRL4, identifiers only: F1 0.958, against 0.971 with the postcode
#: trained here and 0.971 in clear text). Within a district, unit and sector agreement still separate
#: matches from neighbours.
_TRAINED_COARSE = frozenset({"pc_district"})


def _bases(key_parts: tuple[str, ...], parts: tuple[str, ...]) -> frozenset[str]:
    """The identifiers a variant's EM sessions leave out (a names key's district does not count)."""
    names = {"forename", "surname"} <= {BASE_FIELD.get(p, p) for p in key_parts}
    return frozenset(BASE_FIELD.get(p, p) for p in parts if not (names and p in _TRAINED_COARSE and p in key_parts))


def rule_variants(columns: set[str]) -> list[list[BlockingRule]]:
    """Per blocking key both files carry (names-free ones only without name filters), its rule and
    the tightened variants both carry, loosest first."""
    has_names = bool({"forename_bf", "surname_bf"} & columns)
    out: list[list[BlockingRule]] = []
    for bk in BLOCKING_KEYS:
        if bk.column not in columns or (bk.names_free and has_names):
            continue
        family: list[BlockingRule] = []
        for column, parts in blocking_variants(bk, _STANDARD_COLUMNS):
            if column in columns:
                name = "+".join((bk.name, *parts[len(bk.parts):]))
                family.append(EncodedRule(name, (column,), bk.names_free, _bases(bk.parts, parts)))
        out.append(family)
    return out


def encoded_rules(columns: set[str]) -> list[BlockingRule]:
    """One rule per blocking token both files carry (the loosest variant of each)."""
    return [family[0] for family in rule_variants(columns)]


def _within_budget(con: duckdb.DuckDBPyConnection, families: list[list[BlockingRule]], dedupe: bool,
                   budget: float) -> list[BlockingRule]:
    """Per key, the loosest variant whose blocks stay under ``budget`` pairs (as clear-text rules are
    tightened); a key none of whose variants fits is dropped, unless no key fits at all."""
    out: list[BlockingRule] = []
    tightest: list[tuple[float, BlockingRule]] = []
    for family in families:
        for i, rule in enumerate(family):
            b = SqlBuilder()
            sql, params = b.render(rule.pair_count_sql(b, dedupe))
            n = float(con.execute(sql, params).fetchall()[0][0] or 0.0)
            if n <= budget:
                out.append(rule)
                out += _carriers(con, family[i:], dedupe, budget)
                break
        else:
            tightest.append((n, family[-1]))
            log.info("blocking key %s dropped: %.0f pairs over the budget of %.0f", family[0].name, n, budget)
    return out or [min(tightest, key=lambda x: x[0])[1]]


def _missing(con: duckdb.DuckDBPyConnection, rule: BlockingRule, dedupe: bool) -> int:
    """Records of both files without this rule's token (a missing part, or a capped common value)."""
    column = exp.column(rule.columns[0], quoted=True)
    total = 0
    for side in ("left",) if dedupe else ("left", "right"):
        query = exp.select(exp.Sub(this=exp.Count(this=exp.Star()), expression=exp.Count(this=column))).from_(
            internal_table(side))
        total += int(con.execute(query.sql("duckdb")).fetchall()[0][0] or 0)
    return total


def _carriers(con: duckdb.DuckDBPyConnection, family: list[BlockingRule], dedupe: bool,
              budget: float) -> list[BlockingRule]:
    """Tighter variants that carry records the chosen one leaves out. A frequency-capped key
    (``block_cap``) drops the commonest values (a common forename in a year-month ...), and its
    tightened variants, with smaller groups, keep more of them: each tighter variant within budget
    that has fewer missing tokens than the last one run also runs."""
    out: list[BlockingRule] = []
    missing = _missing(con, family[0], dedupe)
    for rule in family[1:]:
        fewer = _missing(con, rule, dedupe)
        if fewer >= missing:
            continue
        b = SqlBuilder()
        sql, params = b.render(rule.pair_count_sql(b, dedupe))
        if float(con.execute(sql, params).fetchall()[0][0] or 0.0) <= budget:
            out.append(rule)
            missing = fewer
    return out


def _identifier_rules(frame: pl.DataFrame, shared: set[str]) -> list[BlockingRule]:
    """Blocking keys of other text columns with small blocks (at most ~5 pairs per record within one
    file: identifier-like columns such as a reference number), as in clear text."""
    out: list[BlockingRule] = []
    for c in sorted(shared):
        if not c.startswith("bk_x_") or frame.height == 0:
            continue
        counts = frame[c].drop_nulls().value_counts()["count"].cast(pl.Float64)
        if float((counts * (counts - 1) / 2).sum()) <= 5 * frame.height:
            out.append(EncodedRule(f"exact_{c.removeprefix('bk_')}", (c,), False, frozenset({c.removeprefix("bk_")})))
    return out


# ----------------------------------------------------------------------------- stages
def is_encoded_frame(frame: pl.DataFrame) -> bool:
    """True when ``frame`` carries encoded columns (filters or tokens)."""
    return any(c.endswith(("_bf", "_tk")) or c.startswith("bk_") for c in frame.columns)


def _filter_columns(frames: list[pl.DataFrame]) -> list[str]:
    """Filter columns, checked to have one length across both files."""
    cols = [c for c in frames[0].columns if c.endswith("_bf") and all(c in f.columns for f in frames)]
    for c in cols:
        sizes = pl.concat([f.select(pl.col(c).cast(pl.Binary).bin.size(unit="b").alias("n")) for f in frames])
        distinct = sizes["n"].drop_nulls().unique().to_list()
        if len(distinct) > 1:
            raise DataError(f"column {c} holds filters of {sorted(distinct)} bytes; both files must be encoded "
                            "with the same settings (filter length, balancing, folding)")
    return cols


def _load(con: duckdb.DuckDBPyConnection, frames: list[pl.DataFrame], filters: list[str]) -> None:
    """``_lk_left`` (and ``_lk_right``): filters cast once to BIT, popcounts precomputed."""
    for side, frame in zip(("left", "right"), frames, strict=False):
        con.register("_lk_in", frame)
        cols: list[exp.Expression] = [exp.column(c, quoted=True) for c in frame.columns if c not in filters]
        for c in filters:
            bits = exp.cast(exp.column(c, quoted=True), "BIT")
            cols.append(exp.Alias(this=bits, alias=quote_ident(c)))
            cols.append(exp.Alias(this=exp.func("bit_count", bits), alias=quote_ident(f"{c}_n")))
        query = exp.select(*cols).from_("_lk_in")
        con.execute(exp.Create(this=internal_table(side), kind="TABLE", expression=query, replace=True).sql("duckdb"))
        con.unregister("_lk_in")


def _u_probabilities(con: duckdb.DuckDBPyConnection, inputs: LinkInputs, settings: LinkageSettings) -> list[np.ndarray]:
    """u from random record pairs, as in clear text; the top level of token comparisons exactly from
    token frequencies (a filter's exact repeats mean nothing under BLIP, so Dice levels are sampled)."""
    comps = list(inputs.comparisons)
    n_left, n_right = inputs.n_left, inputs.n_right
    rng = np.random.default_rng(settings.seed)
    n_u = int(min(settings.u_sample_pairs, max(n_left * n_right, 1)))
    lu, ru = rng.integers(0, n_left, n_u), rng.integers(0, n_right, n_u)
    if inputs.dedupe:
        lu, ru = lu[lu != ru], ru[lu != ru]
    con.register("_lk_upairs", pl.DataFrame({"l_id": lu, "r_id": ru, "rules": np.zeros(len(lu), dtype=np.int64)}))
    b = SqlBuilder()
    sql, params = b.render(comparisons_sql(b, comps, "upairs", inputs.dedupe, tf=False))
    g = con.sql(sql, params=params or None).pl().select([f"g_{c.name}" for c in comps]).to_numpy().astype(np.int64)
    con.unregister("_lk_upairs")
    exact = [exact_u(list(inputs.frames), c.column, inputs.dedupe)
             if isinstance(c, EncodedComparison) and c.suffix == "_tk" else None for c in comps]
    return estimate_u(g.reshape(-1, len(comps)), [c.n_levels for c in comps], exact)


def prepare_encoded(left: pl.DataFrame, right: pl.DataFrame | None) -> LinkInputs:
    """Choose the encoded comparisons and blocking rules for the shared columns and number the rows.

    Raises:
        ConfigError: the frames share no encoded identifier or no blocking key.
    """
    frames = [left] if right is None else [left, right]
    shared = set(left.columns) if right is None else set(left.columns) & set(right.columns)
    comps = encoded_comparisons(shared)
    rules = encoded_rules(shared) + _identifier_rules(left, shared)
    if not comps or not rules:
        raise ConfigError("the encoded files share no encoded identifier or no blocking key; encode both with the "
                          "same identifiers (at least a date of birth or a name) and the same settings")
    frames = [f.with_row_index("uid").with_columns(pl.col("uid").cast(pl.Int64)) for f in frames]
    return LinkInputs(tuple(frames), tuple(comps), tuple(rules), frozenset(shared),
                      1.0 / max(sum(f.height for f in frames), 1), False)


def link_encoded(left: pl.DataFrame, right: pl.DataFrame | None = None, settings: LinkageSettings | None = None,
                 threads: int | None = None) -> LinkResult:
    """Link two encoded frames (or deduplicate one when ``right`` is None) with the clear-text stages.

    Args:
        left, right: outputs of :func:`linkage.bloom.encode` (``rid`` = record id), possibly read
            back from encoded files.
        settings: thresholds, EM and sampling settings (the clear-text ones).
        threads: DuckDB threads (default: DuckDB's choice).

    Returns:
        a :class:`linkage.pipeline.LinkResult` (the same shape as clear-text linkage).

    Raises:
        ConfigError: the two frames share no encoded identifier or no blocking token.
        DataError: filters of different lengths.
    """
    settings = settings or LinkageSettings()
    t0 = time.perf_counter()
    inputs = prepare_encoded(left, right)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        _load(con, list(inputs.frames), _filter_columns(list(inputs.frames)))
        budget = settings.max_pairs_per_record * (inputs.n_left + inputs.n_right)
        chosen = _within_budget(con, rule_variants(set(inputs.shared)), inputs.dedupe, budget)
        inputs = replace(inputs, rules=tuple(chosen + [r for r in inputs.rules if r.name.startswith("exact_x_")]))
        blocking, n_cand = block(con, inputs, settings)
        compare(con, inputs)
        u = _u_probabilities(con, inputs, settings)
        model = train(inputs, blocking, count_agreement_patterns(con, inputs), u, settings)
        scored, best = score(con, inputs, model, min(settings.store_pairs_min_probability, settings.review_low))
    finally:
        con.close()
    links, labels = assign(scored, settings.threshold, inputs.dedupe, inputs.n_left)
    seconds = time.perf_counter() - t0
    log.info("encoded linkage: %d candidate pairs, %d links, %.2f s", n_cand, links.height, seconds)
    return _result(inputs, (scored, links, best), model, blocking, (n_cand, seconds), labels)


def _result(inputs: LinkInputs, frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], model: FellegiSunter,
            rules: list[BlockingRule], counts: tuple[int, float], labels: np.ndarray | None) -> LinkResult:
    """Record ids back on the pairs, links and best candidates."""
    scored, links, best = frames
    lrid, rrid = inputs.frames[0]["rid"], inputs.frames[-1]["rid"]
    keys = links.select("l_id", "r_id").with_columns(pl.lit(True).alias("is_link"))
    scored = scored.join(keys, on=["l_id", "r_id"], how="left").with_columns(pl.col("is_link").fill_null(False))

    def with_rids(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(lrid.gather(df["l_id"]).alias("l_rid"), rrid.gather(df["r_id"]).alias("r_rid"))

    return LinkResult(
        pairs=with_rids(scored), links=with_rids(links),
        best=best.with_columns(lrid.gather(best["l_id"]).alias("l_rid")).select("l_rid", "probability"),
        model=model, comparisons=inputs.comparisons, rules=tuple(rules), candidate_pairs=counts[0],
        n_left=inputs.n_left, n_right=inputs.n_right, seconds=counts[1],
        clusters=None if labels is None else pl.DataFrame({"rid": lrid, "cluster": labels}), tf_floor=inputs.tf_floor,
    )


def link_encoded_frames(left: pl.DataFrame, right: pl.DataFrame, settings: LinkageSettings | None = None,
                        key: EncodingKey | bytes | None = None, encoding: BloomSettings | None = None) -> LinkResult:
    """Encode two standardised frames with one key and link the encodings (the feasibility
    runner's ``bloom_filter`` scenario: what a site loses by sharing encodings, not identifiers).

    Args:
        left, right: outputs of :func:`linkage.standardise.standardise`.
        settings: linkage settings.
        key: the run's secret (a random one when None; never stored).
        encoding: encoding settings (the recommended defaults when None).

    Example:
        >>> res = link_encoded_frames(standardise(a), standardise(b), settings, os.urandom(32))  # doctest: +SKIP
    """
    import secrets

    k = key if isinstance(key, EncodingKey) else EncodingKey(key if key is not None else secrets.token_bytes(32))
    enc = encoding or BloomSettings()
    return link_encoded(encode(left, k, enc), encode(right, k, enc), settings)
