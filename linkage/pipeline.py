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
from linkage.model import FellegiSunter, TrainingInput, estimate_u, fit
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
    """Add each term-frequency comparison's value frequency (``tf_<name>``) to every frame."""
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


def exact_u(frames: list[pl.DataFrame], field: str, dedupe: bool) -> float | None:
    """P(two random records agree exactly on ``field`` | both present), from value frequencies."""
    left = frames[0][field].drop_nulls()
    right = left if dedupe else frames[-1][field].drop_nulls()
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


def comparisons_sql(b: SqlBuilder, comparisons: list[Comparison], source: str, dedupe: bool,
                    tf: bool = True) -> exp.Expression:
    """``SELECT`` the level (``g_*``) and, when ``tf``, the exact-agreement term frequency (``tf_*``) of
    each comparison for every pair in ``_lk_<source>``."""
    cols: list[exp.Expression] = [exp.column("l_id", "c"), exp.column("r_id", "c"), exp.column("rules", "c")]
    for comp in comparisons:
        cols.append(exp.alias_(comp.level_sql(b), quote_ident(f"g_{comp.name}")))  # type: ignore[arg-type]
        if comp.tf and tf:
            cols.append(
                exp.alias_(  # type: ignore[arg-type]
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


def patterns_sql(comparisons: list[Comparison]) -> exp.Expression:
    """``SELECT rules, g_*, count(*) AS n FROM _lk_comparisons GROUP BY ALL``: the distinct agreement
    patterns (with the rules that produced them) and how many pairs show each."""
    keys = [exp.column("rules"), *(exp.column(f"g_{c.name}", quoted=True) for c in comparisons)]
    return (
        exp.select(*keys, exp.alias_(exp.func("count", exp.Star()), "n"))
        .from_(internal_table("comparisons"))
        .group_by(*keys)
    )


def _level_weight(b: SqlBuilder, comp: Comparison, weights: np.ndarray) -> exp.Expression:
    g = exp.column(f"g_{comp.name}", "c", quoted=True)
    return b.case([(b.eq(g, b.lit(level)), b.param(float(w))) for level, w in enumerate(weights)], b.lit(0.0))


def _tf_adjustment(b: SqlBuilder, comp: Comparison, u_exact: float, tf_floor: float) -> exp.Expression:
    """The one home of the term-frequency formula: ``log2(u_exact / max(tf, floor))`` on exact agreement."""
    tf = exp.column(f"tf_{comp.name}", "c", quoted=True)
    # GREATEST ignores NULLs in DuckDB, so the null case (no exact agreement) is explicit
    return b.case(
        [(b.not_null(tf), b.log2(exp.Div(this=b.param(u_exact), expression=b.greatest(tf, b.param(tf_floor)))))],
        b.lit(0.0),
    )


def scores_sql(b: SqlBuilder, comparisons: list[Comparison], model: FellegiSunter, tf_floor: float,
               tf: bool = True) -> exp.Expression:
    """``CREATE TABLE _lk_scores``: every comparison's level weight (``w_*``) and term-frequency
    adjustment (``tfa_*``, when ``tf``), their sum with the prior (``match_weight``) and the match
    probability. The per-comparison columns are what explanations read."""
    weights = model.level_weights()
    cols: list[exp.Expression] = [exp.Column(this=exp.Star(), table=exp.to_identifier("c"))]
    total: exp.Expression = b.param(model.prior_weight())
    for k, comp in enumerate(comparisons):
        w = _level_weight(b, comp, weights[k])
        cols.append(exp.alias_(w, quote_ident(f"w_{comp.name}")))  # type: ignore[arg-type]
        total = exp.Add(this=total, expression=w)
        if comp.tf and tf:
            adj = _tf_adjustment(b, comp, float(model.u[k][-1]), tf_floor)
            cols.append(exp.alias_(adj, quote_ident(f"tfa_{comp.name}")))  # type: ignore[arg-type]
            total = exp.Add(this=total, expression=adj)
    cols.append(exp.alias_(total, "match_weight"))  # type: ignore[arg-type]
    inner = exp.select(*cols).from_(exp.alias_(internal_table("comparisons"), "c", table=True))
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


def _frame(con: duckdb.DuckDBPyConnection, b: SqlBuilder, statement: exp.Expression) -> pl.DataFrame:
    sql, params = b.render(statement)
    frame: pl.DataFrame = con.sql(sql, params=params or None).pl()
    return frame


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
    return np.asarray(labels)


@dataclass(frozen=True)
class LinkInputs:
    """The prepared input of one linkage: frames with ``uid`` (and ``tf_*``) columns and the plan.

    Attributes:
        frames: the left frame, and the right one for a link task.
        comparisons: the comparisons run.
        rules: the blocking rules requested (before tightening).
        shared: columns both sides hold.
        tf_floor: smallest term frequency used in adjustments.
        tf: whether term-frequency adjustment is on (``LinkageSettings.tf_adjust``).
    """

    frames: tuple[pl.DataFrame, ...]
    comparisons: tuple[Comparison, ...]
    rules: tuple[BlockingRule, ...]
    shared: frozenset[str]
    tf_floor: float
    tf: bool

    @property
    def dedupe(self) -> bool:
        """One frame: find its duplicates."""
        return len(self.frames) == 1

    @property
    def n_left(self) -> int:
        return self.frames[0].height

    @property
    def n_right(self) -> int:
        return self.frames[-1].height

    @property
    def total_pairs(self) -> float:
        """All record pairs (the prior's denominator)."""
        n, m = float(self.n_left), float(self.n_right)
        return max(n * (n - 1) / 2 if self.dedupe else n * m, 1.0)


def prepare(left: pl.DataFrame, right: pl.DataFrame | None, settings: LinkageSettings,
            plan: tuple[list[Comparison] | None, list[BlockingRule] | None, bool]) -> LinkInputs:
    """Choose comparisons and rules for the shared columns (``plan`` = overrides and ``tokens``), add
    term frequencies and ``uid`` row numbers."""
    comparisons, rules, tokens = plan
    shared = set(left.columns) if right is None else set(left.columns) & set(right.columns)
    comps = comparisons if comparisons is not None else default_comparisons(shared, tokens=tokens)
    comps = [c for c in comps if c.field in shared]
    blocking = rules if rules is not None else default_rules(shared) + _identifier_rules(left, shared)
    frames = [left] if right is None else [left, right]
    tf_floor = 1.0 / max(sum(f.height for f in frames), 1)
    if settings.tf_adjust:
        frames, tf_floor = _with_tf(frames, comps)
    frames = [f.with_row_index("uid").with_columns(pl.col("uid").cast(pl.Int64)) for f in frames]
    return LinkInputs(tuple(frames), tuple(comps), tuple(blocking), frozenset(shared), tf_floor, settings.tf_adjust)


def _load(con: duckdb.DuckDBPyConnection, inputs: LinkInputs) -> None:
    """Materialise the frames once: every later join reads DuckDB's own columns, not Arrow scans."""
    for name, frame in zip(("left", "right"), inputs.frames, strict=False):
        con.register(f"_lk_{name}_in", frame)
        con.execute(f"CREATE TABLE _lk_{name} AS SELECT * FROM _lk_{name}_in")  # noqa: S608 - fixed names
        con.unregister(f"_lk_{name}_in")


def block(con: duckdb.DuckDBPyConnection, inputs: LinkInputs, settings: LinkageSettings) -> tuple[list[BlockingRule], int]:
    """Blocking: tighten or drop rules over budget, build ``_lk_candidates``; return the rules run and
    the number of candidate pairs."""
    budget = settings.max_pairs_per_record * (inputs.n_left + inputs.n_right)
    rules = _within_budget(con, list(inputs.rules), inputs.dedupe, budget, set(inputs.shared))
    b = SqlBuilder()
    _run(con, b, candidates_sql(b, rules, inputs.dedupe))
    n_cand = int(con.execute("SELECT count(*) FROM _lk_candidates").fetchall()[0][0])
    log.info("blocking: %d rules, %d candidate pairs", len(rules), n_cand)
    return rules, n_cand


def compare(con: duckdb.DuckDBPyConnection, inputs: LinkInputs) -> None:
    """Comparison levels of every candidate pair into ``_lk_comparisons``."""
    b = SqlBuilder()
    select = comparisons_sql(b, list(inputs.comparisons), "candidates", inputs.dedupe, inputs.tf)
    _run(con, b, exp.Create(this=internal_table("comparisons"), kind="TABLE", replace=True, expression=select))


def estimate_u_stage(con: duckdb.DuckDBPyConnection, inputs: LinkInputs, settings: LinkageSettings) -> list[np.ndarray]:
    """u probabilities from ``settings.u_sample_pairs`` random record pairs (exact agreement from value
    frequencies)."""
    comps = list(inputs.comparisons)
    rng = np.random.default_rng(settings.seed)
    n_u = int(min(settings.u_sample_pairs, max(inputs.n_left * inputs.n_right, 1)))
    lu = rng.integers(0, inputs.n_left, n_u)
    ru = rng.integers(0, inputs.n_right, n_u)
    if inputs.dedupe:
        keep = lu != ru
        lu, ru = lu[keep], ru[keep]
    con.register("_lk_upairs", pl.DataFrame({"l_id": lu, "r_id": ru, "rules": np.zeros(len(lu), dtype=np.int64)}))
    b = SqlBuilder()
    g_cols = [f"g_{c.name}" for c in comps]
    levels = _frame(con, b, comparisons_sql(b, comps, "upairs", inputs.dedupe, tf=False)).select(g_cols)
    con.unregister("_lk_upairs")
    exact = [exact_u(list(inputs.frames), c.field, inputs.dedupe) for c in comps]
    return estimate_u(levels.to_numpy().astype(np.int64).reshape(-1, len(comps)), [c.n_levels for c in comps], exact)


@dataclass(frozen=True)
class PatternCounts:
    """Distinct agreement patterns of the candidate pairs: levels, pair counts and rule masks."""

    levels: np.ndarray
    counts: np.ndarray
    masks: np.ndarray


def count_agreement_patterns(con: duckdb.DuckDBPyConnection, inputs: LinkInputs) -> PatternCounts:
    """The table EM runs on: a few thousand rows however many pairs there are."""
    comps = list(inputs.comparisons)
    patt = _frame(con, SqlBuilder(), patterns_sql(comps))
    g_cols = [f"g_{c.name}" for c in comps]
    return PatternCounts(
        levels=patt.select(g_cols).to_numpy().astype(np.int64).reshape(-1, len(comps)),
        counts=patt["n"].to_numpy().astype(float),
        masks=patt["rules"].to_numpy().astype(np.int64),
    )


def train(inputs: LinkInputs, rules: list[BlockingRule], patterns: PatternCounts, u: list[np.ndarray],
          settings: LinkageSettings) -> FellegiSunter:
    """Fit m (EM per blocking-rule session) and the prior on the pattern table."""
    comps = inputs.comparisons
    return fit(TrainingInput(
        names=tuple(c.name for c in comps), labels=tuple(tuple(c.level_labels()) for c in comps),
        base_fields=tuple(c.base_field for c in comps), levels=patterns.levels, counts=patterns.counts,
        masks=patterns.masks, rule_fields=tuple(r.base_fields for r in rules),
        rule_trusted=tuple(r.trains for r in rules), u=tuple(u), total_pairs=inputs.total_pairs,
        iterations=settings.em_iterations,
    ))


def score(con: duckdb.DuckDBPyConnection, inputs: LinkInputs, model: FellegiSunter,
          floor: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Score every candidate pair into ``_lk_scores``; return the pairs at or above ``floor`` and, per
    left record, its best candidate's probability."""
    b = SqlBuilder()
    _run(con, b, scores_sql(b, list(inputs.comparisons), model, inputs.tf_floor, inputs.tf))
    scored = con.sql("SELECT * FROM _lk_scores WHERE probability >= $floor", params={"floor": floor}).pl()
    best = con.sql("SELECT l_id, max(probability) AS probability FROM _lk_scores GROUP BY l_id").pl()
    return scored, best


def assign(scored: pl.DataFrame, threshold: float, dedupe: bool, n_left: int) -> tuple[pl.DataFrame, np.ndarray | None]:
    """Links from the scored pairs at or above ``threshold``: one-to-one for a link task; every
    within-cluster pair for dedupe (with the cluster label per uid)."""
    above = scored.filter(pl.col("probability") >= threshold).select("l_id", "r_id", "match_weight", "probability")
    if not dedupe:
        return one_to_one(above), None
    labels = clusters_from_links(n_left, above)
    members = pl.DataFrame({"uid": np.arange(n_left), "cluster": labels})
    links = (
        members.join(members, on="cluster", suffix="_r")
        .filter(pl.col("uid") < pl.col("uid_r"))
        .select(pl.col("uid").alias("l_id"), pl.col("uid_r").alias("r_id"))
        .join(above, on=["l_id", "r_id"], how="left")
    )
    return links, labels


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

    The stages: :func:`prepare`, :func:`block`, :func:`compare`, :func:`estimate_u_stage`,
    :func:`count_agreement_patterns`, :func:`train`, :func:`score`, :func:`assign`.

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
    inputs = prepare(left, right, settings, (comparisons, rules, tokens))
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        _load(con, inputs)
        blocking, n_cand = block(con, inputs, settings)
        compare(con, inputs)
        u = estimate_u_stage(con, inputs, settings)
        model = train(inputs, blocking, count_agreement_patterns(con, inputs), u, settings)
        floor = 0.0 if keep_all else min(settings.store_pairs_min_probability, settings.review_low)
        scored, best = score(con, inputs, model, floor)
    finally:
        con.close()
    links, labels = assign(scored, settings.threshold, inputs.dedupe, inputs.n_left)
    seconds = time.perf_counter() - t0
    log.info("linkage: %d candidate pairs, %d links, %.2f s", n_cand, links.height, seconds)
    return _result(inputs, (scored, links, best), model, blocking, (n_cand, seconds), labels)


def _result(inputs: LinkInputs, frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], model: FellegiSunter,
            rules: list[BlockingRule], counts: tuple[int, float], labels: np.ndarray | None) -> LinkResult:
    """Record ids back on the pairs, links and best candidates; the :class:`LinkResult`."""
    scored, links, best = frames
    lrid = inputs.frames[0]["rid"]
    rrid = inputs.frames[-1]["rid"]
    link_keys = links.select("l_id", "r_id").with_columns(pl.lit(True).alias("is_link"))
    scored = scored.join(link_keys, on=["l_id", "r_id"], how="left").with_columns(pl.col("is_link").fill_null(False))

    def with_rids(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(lrid.gather(df["l_id"]).alias("l_rid"), rrid.gather(df["r_id"]).alias("r_rid"))

    return LinkResult(
        pairs=with_rids(scored),
        links=with_rids(links),
        best=best.with_columns(lrid.gather(best["l_id"]).alias("l_rid")).select("l_rid", "probability"),
        model=model,
        comparisons=inputs.comparisons,
        rules=tuple(rules),
        candidate_pairs=counts[0],
        n_left=inputs.n_left,
        n_right=inputs.n_right,
        seconds=counts[1],
        clusters=None if labels is None else pl.DataFrame({"rid": lrid, "cluster": labels}),
        tf_floor=inputs.tf_floor,
    )
