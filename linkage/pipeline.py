"""The linkage engine: standardised records -> block -> compare -> train -> score -> decide.

Works on two standardised polars frames (a link task) or one (a dedupe task). DuckDB does the
joins, comparisons and scoring in an in-memory database; numpy fits the model on the distinct
comparison patterns; polars makes the one-to-one assignment or the clusters.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sqlglot import exp

from linkage.blocking import BlockingRule, candidates_sql, default_rules
from linkage.comparisons import Comparison, default_comparisons
from linkage.model import FellegiSunter, estimate_u, fit
from linkage.settings import LinkageSettings
from linkage.sqlbuild import SqlBuilder, internal_table, quote_ident

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkResult:
    """What one linkage produced.

    Attributes:
        pairs: scored candidate pairs at or above ``settings.store_pairs_min_probability`` (or all
            pairs when ``keep_all``): ``l_rid``, ``r_rid``, ``match_weight``, ``probability``,
            ``is_link`` and the level (``g_*``) and term-frequency (``tf_*``) columns.
        links: accepted links ``l_rid``, ``r_rid``, ``match_weight``, ``probability`` (one-to-one for
            link tasks; every within-cluster pair for dedupe).
        best: per left record, its best candidate's probability (``l_rid``, ``probability``).
        model: the fitted Fellegi-Sunter model.
        comparisons: the comparisons used.
        rules: the blocking rules used.
        candidate_pairs: number of pairs blocking produced.
        n_left, n_right: record counts.
        seconds: wall time.
        clusters: for dedupe, ``rid`` -> ``cluster`` (None for link tasks).
        tf_floor: smallest term frequency used in adjustments.
    """

    pairs: pl.DataFrame
    links: pl.DataFrame
    best: pl.DataFrame
    model: FellegiSunter
    comparisons: tuple[Comparison, ...]
    rules: tuple[BlockingRule, ...]
    candidate_pairs: int
    n_left: int
    n_right: int
    seconds: float
    clusters: pl.DataFrame | None
    tf_floor: float


def _with_tf(frames: list[pl.DataFrame], comparisons: list[Comparison]) -> tuple[list[pl.DataFrame], float]:
    total = sum(f.height for f in frames)
    floor = 1.0 / max(total, 1)
    out = list(frames)
    for c in comparisons:
        if not c.tf:
            continue
        values = pl.concat([f.select(pl.col(c.field)) for f in frames]).drop_nulls()
        n = max(values.height, 1)
        freq = values.group_by(c.field).agg((pl.len() / n).alias(f"tf_{c.name}"))
        out = [f.join(freq, on=c.field, how="left") for f in out]
    return out, floor


def _identifier_rules(frame: pl.DataFrame, shared: set[str]) -> list[BlockingRule]:
    """Extra text columns with small blocks (at most ~5 pairs per record within one file) become
    single-column blocking rules (identifier-like columns such as a social security number)."""
    out = []
    for c in sorted(shared):
        if not c.startswith("x_") or frame.height == 0:
            continue
        counts = frame[c].drop_nulls().value_counts()["count"].cast(pl.Float64)
        if float((counts * (counts - 1) / 2).sum()) <= 5 * frame.height:
            out.append(BlockingRule(f"exact_{c}", (c,)))
    return out


#: Columns added, in order, to a blocking rule whose blocks are too large.
TIGHTENERS: tuple[str, ...] = ("sex", "pc_area", "dob_year", "surname_init", "forename_init")


def _within_budget(con: duckdb.DuckDBPyConnection, rules: list[BlockingRule], dedupe: bool, budget: float,
                   columns: set[str]) -> list[BlockingRule]:
    """Keep each rule's pair count under ``budget`` by adding equality columns (sex, postcode area,
    ...) to rules with large blocks; a rule that cannot be brought under budget is dropped, unless
    it is the only one (then it runs tightened as far as possible)."""
    out: list[BlockingRule] = []
    for rule in rules:
        current = rule
        extra = [c for c in TIGHTENERS if c in columns and c not in rule.columns]
        while True:
            b = SqlBuilder()
            sql, params = b.render(current.pair_count_sql(b, dedupe))
            n = float(con.execute(sql, params).fetchall()[0][0] or 0.0)
            if n <= budget or not extra:
                break
            current = current.tightened(extra.pop(0))
        if n <= budget or len(rules) == 1:
            out.append(current)
        else:
            log.info("blocking rule %s dropped: %.0f pairs over the budget of %.0f", rule.name, n, budget)
    return out or rules[:1]


def _exact_u(frames: list[pl.DataFrame], field: str, dedupe: bool) -> float | None:
    """P(two random records agree exactly on ``field`` | both present), from value frequencies."""
    left = frames[0][field].drop_nulls()
    right = left if dedupe else frames[1][field].drop_nulls()
    if left.len() < 2 or right.len() < 2:
        return None
    cl = left.value_counts(name="a")
    cr = right.value_counts(name="b")
    joined = cl.join(cr, on=field)
    agree = float((joined["a"].cast(pl.Float64) * joined["b"].cast(pl.Float64)).sum())
    if dedupe:
        n = float(left.len())
        return max((agree - n) / (n * (n - 1)), 0.0)
    return agree / (float(left.len()) * float(right.len()))


def comparisons_sql(b: SqlBuilder, comparisons: list[Comparison], source: str, dedupe: bool) -> exp.Expression:
    """``SELECT`` the level (``g_*``) and exact-agreement term frequency (``tf_*``) of each comparison
    for every pair in ``_lk_<source>``."""
    cols: list[exp.Expression] = [exp.column("l_id", "c"), exp.column("r_id", "c"), exp.column("rules", "c")]
    for comp in comparisons:
        cols.append(exp.alias_(comp.level_sql(b), quote_ident(f"g_{comp.name}")))
        if comp.tf:
            cols.append(
                exp.alias_(
                    b.case([(comp.exact_sql(b), b.l(f"tf_{comp.name}"))], exp.Null()), quote_ident(f"tf_{comp.name}")
                )
            )
    right = internal_table("left" if dedupe else "right")
    return (
        exp.select(*cols)
        .from_(exp.alias_(internal_table(source), "c", table=True))
        .join(exp.alias_(internal_table("left"), "l", table=True), on=b.eq(b.l("uid"), exp.column("l_id", "c")))
        .join(exp.alias_(right, "r", table=True), on=b.eq(b.r("uid"), exp.column("r_id", "c")))
    )


def scores_sql(b: SqlBuilder, comparisons: list[Comparison], model: FellegiSunter, tf_floor: float) -> exp.Expression:
    """``CREATE TABLE _lk_scores``: pattern weight (joined from ``_lk_pattern_weights``) plus the
    term-frequency adjustment of each exact agreement, and the match probability."""
    weight: exp.Expression = exp.column("w", "pw")
    for k, comp in enumerate(comparisons):
        if not comp.tf:
            continue
        u_exact = float(model.u[k][-1])
        tf = exp.column(f"tf_{comp.name}", "c")
        # GREATEST ignores NULLs in DuckDB, so the null case (no exact agreement) is explicit
        adj = b.case(
            [(b.not_null(tf), b.log2(exp.Div(this=b.param(u_exact), expression=b.greatest(tf, b.param(tf_floor)))))],
            b.lit(0.0),
        )
        weight = exp.Add(this=weight, expression=adj)
    keys = [quote_ident(f"g_{c.name}") for c in comparisons]
    inner = (
        exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("c")), exp.alias_(weight, "match_weight"))
        .from_(exp.alias_(internal_table("comparisons"), "c", table=True))
        .join(exp.alias_(internal_table("pattern_weights"), "pw", table=True), using=keys)
    )
    prob = exp.Div(
        this=b.lit(1.0),
        expression=exp.Paren(this=exp.Add(
            this=b.lit(1.0), expression=b.fn("pow", b.lit(2.0), exp.Neg(this=exp.column("match_weight")))
        )),
    )
    outer = exp.select(exp.Star(), exp.alias_(prob, "probability")).from_(exp.alias_(exp.Subquery(this=inner), "s", table=True))
    return exp.Create(this=internal_table("scores"), kind="TABLE", expression=outer, replace=True)


def _run(con: duckdb.DuckDBPyConnection, b: SqlBuilder, statement: exp.Expression) -> None:
    sql, params = b.render(statement)
    con.execute(sql, params).fetchall()


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or None).pl()


def one_to_one(pairs: pl.DataFrame) -> pl.DataFrame:
    """Accept mutual best pairs by weight, remove their records, repeat (greedy one-to-one)."""
    rem = pairs.sort("match_weight", descending=True)
    accepted = []
    while rem.height:
        best_l = rem.unique("l_id", keep="first", maintain_order=True)
        best = best_l.unique("r_id", keep="first", maintain_order=True)
        best_r = rem.unique("r_id", keep="first", maintain_order=True).select("r_id", pl.col("l_id").alias("_l"))
        mutual = best.join(best_r, on="r_id").filter(pl.col("l_id") == pl.col("_l")).drop("_l")
        if mutual.height == 0:  # cannot happen (the top pair is mutual), but never loop forever
            mutual = rem.head(1)
        accepted.append(mutual)
        rem = rem.filter(~pl.col("l_id").is_in(mutual["l_id"].implode()) & ~pl.col("r_id").is_in(mutual["r_id"].implode()))
    return pl.concat(accepted) if accepted else pairs.head(0)


def clusters_from_links(ids: int, pairs: pl.DataFrame) -> np.ndarray:
    """Connected components over linked pairs (dedupe): cluster number per uid."""
    if pairs.height == 0:
        return np.arange(ids)
    a = pairs["l_id"].to_numpy()
    c = pairs["r_id"].to_numpy()
    graph = coo_matrix((np.ones(len(a)), (a, c)), shape=(ids, ids))
    _, labels = connected_components(graph, directed=False)
    return labels


def link(
    left: pl.DataFrame,
    right: pl.DataFrame | None = None,
    settings: LinkageSettings | None = None,
    comparisons: list[Comparison] | None = None,
    rules: list[BlockingRule] | None = None,
    tokens: bool = False,
    keep_all: bool = False,
    threads: int | None = None,
) -> LinkResult:
    """Link two standardised frames (or deduplicate one when ``right`` is None).

    Args:
        left, right: outputs of :func:`linkage.standardise.standardise` (``rid`` = record id).
        settings: thresholds, EM and sampling settings.
        comparisons: override the default comparisons for the shared columns.
        rules: override the default blocking rules for the shared columns.
        tokens: the columns hold pseudonymised tokens (exact comparisons only).
        keep_all: return every scored pair, not only the likely ones.
        threads: DuckDB threads (default: DuckDB's choice).

    Returns:
        a :class:`LinkResult`.

    Example:
        >>> from linkage.standardise import standardise            # doctest: +SKIP
        >>> res = link(standardise(a), standardise(b))               # doctest: +SKIP
    """
    settings = settings or LinkageSettings()
    t0 = time.perf_counter()
    dedupe = right is None
    shared = set(left.columns) if dedupe else set(left.columns) & set(right.columns)  # type: ignore[union-attr]
    comps = comparisons if comparisons is not None else default_comparisons(shared, tokens=tokens)
    comps = [c for c in comps if c.field in shared]
    blocking = rules if rules is not None else default_rules(shared) + _identifier_rules(left, shared)
    frames = [left] if dedupe else [left, right]
    frames, tf_floor = _with_tf(frames, comps)  # type: ignore[arg-type]
    frames = [f.with_row_index("uid").with_columns(pl.col("uid").cast(pl.Int64)) for f in frames]
    n_left = frames[0].height
    n_right = n_left if dedupe else frames[1].height

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        # materialise once: every later join reads DuckDB's own columns, not Arrow scans
        con.register("_lk_left_in", frames[0])
        con.execute("CREATE TABLE _lk_left AS SELECT * FROM _lk_left_in")
        con.unregister("_lk_left_in")
        if not dedupe:
            con.register("_lk_right_in", frames[1])
            con.execute("CREATE TABLE _lk_right AS SELECT * FROM _lk_right_in")
            con.unregister("_lk_right_in")
        blocking = _within_budget(con, blocking, dedupe, settings.max_pairs_per_record * (n_left + n_right), shared)
        b = SqlBuilder()
        _run(con, b, candidates_sql(b, blocking, dedupe))
        n_cand = int(con.execute("SELECT count(*) FROM _lk_candidates").fetchall()[0][0])
        log.info("blocking: %d rules, %d candidate pairs", len(blocking), n_cand)

        b = SqlBuilder()
        _run(con, b, exp.Create(this=internal_table("comparisons"), kind="TABLE", replace=True,
                                expression=comparisons_sql(b, comps, "candidates", dedupe)))
        g_cols = [f"g_{c.name}" for c in comps]

        # u from random pairs
        rng = np.random.default_rng(settings.seed)
        n_u = int(min(settings.u_sample_pairs, max(n_left * n_right, 1)))
        lu = rng.integers(0, n_left, n_u)
        ru = rng.integers(0, n_right, n_u)
        if dedupe:
            keep = lu != ru
            lu, ru = lu[keep], ru[keep]
        con.register("_lk_upairs", pl.DataFrame({"l_id": lu, "r_id": ru, "rules": np.zeros(len(lu), dtype=np.int64)}))
        b = SqlBuilder()
        sql, params = b.render(comparisons_sql(b, comps, "upairs", dedupe))
        u_levels = _frame(con, sql, params).select(g_cols).to_numpy().astype(np.int64)
        n_levels = [c.n_levels for c in comps]
        u = estimate_u(u_levels.reshape(-1, len(comps)), n_levels, [_exact_u(frames, c.field, dedupe) for c in comps])

        # EM on distinct patterns
        gsel = ", ".join(quote_ident(g).sql("duckdb") for g in g_cols)
        patt = _frame(con, f"SELECT rules, {gsel}, count(*) AS n FROM _lk_comparisons GROUP BY ALL")  # noqa: S608
        levels = patt.select(g_cols).to_numpy().astype(np.int64).reshape(-1, len(comps))
        counts = patt["n"].to_numpy().astype(float)
        masks = patt["rules"].to_numpy().astype(np.int64)
        total_pairs = float(n_left * (n_left - 1) / 2 if dedupe else n_left * n_right)
        model = fit(
            [c.name for c in comps], [c.level_labels() for c in comps], [c.base_field for c in comps],
            levels, counts, masks, [r.base_fields for r in blocking], [r.trains for r in blocking], u, max(total_pairs, 1.0),
            settings.em_iterations,
        )

        distinct = patt.select(g_cols).unique()
        dl = distinct.to_numpy().astype(np.int64).reshape(-1, len(comps))
        con.register("_lk_pattern_weights", distinct.with_columns(pl.Series("w", model.pattern_weights(dl))))
        b = SqlBuilder()
        _run(con, b, scores_sql(b, comps, model, tf_floor))

        floor = 0.0 if keep_all else min(settings.store_pairs_min_probability, settings.review_low)
        scored = _frame(con, "SELECT * FROM _lk_scores WHERE probability >= $floor", {"floor": floor})
        best = _frame(con, "SELECT l_id, max(probability) AS probability FROM _lk_scores GROUP BY l_id")
    finally:
        con.close()

    lrid = frames[0]["rid"]
    rrid = frames[0]["rid"] if dedupe else frames[1]["rid"]
    above = scored.filter(pl.col("probability") >= settings.threshold).select("l_id", "r_id", "match_weight", "probability")
    clusters = None
    if dedupe:
        labels = clusters_from_links(n_left, above)
        clusters = pl.DataFrame({"rid": lrid, "cluster": labels})
        members = pl.DataFrame({"uid": np.arange(n_left), "cluster": labels})
        links = (
            members.join(members, on="cluster", suffix="_r")
            .filter(pl.col("uid") < pl.col("uid_r"))
            .select(pl.col("uid").alias("l_id"), pl.col("uid_r").alias("r_id"))
            .join(above, on=["l_id", "r_id"], how="left")
        )
    else:
        links = one_to_one(above)
    link_keys = links.select("l_id", "r_id").with_columns(pl.lit(True).alias("is_link"))
    scored = scored.join(link_keys, on=["l_id", "r_id"], how="left").with_columns(pl.col("is_link").fill_null(False))

    def with_rids(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(
            lrid.gather(df["l_id"]).alias("l_rid"), rrid.gather(df["r_id"]).alias("r_rid")
        )

    seconds = time.perf_counter() - t0
    log.info("linkage: %d candidate pairs, %d links, %.2f s", n_cand, links.height, seconds)
    return LinkResult(
        pairs=with_rids(scored),
        links=with_rids(links),
        best=best.with_columns(lrid.gather(best["l_id"]).alias("l_rid")).select("l_rid", "probability"),
        model=model,
        comparisons=tuple(comps),
        rules=tuple(blocking),
        candidate_pairs=n_cand,
        n_left=n_left,
        n_right=n_right,
        seconds=seconds,
        clusters=clusters,
        tf_floor=tf_floor,
    )
