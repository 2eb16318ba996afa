"""Evaluation: precision, recall, F1, match rate, Wilson intervals, subgroup tables and
model-estimated figures when there is no truth.

Measured figures come from truth (or clerical labels); estimated figures from the model's
match probabilities (linkage-quality-reporting.md §4.2). Every row says which it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import polars as pl

from linkage.estimates import MIN_GOLD, gold_recall, known_share_recall, model_recall, precision_estimate
from linkage.intervals import Estimate, f1_interval, gap_interval, wilson
from warehouse.disclosure import DEFAULT_POLICY, Disclosure, DisclosurePolicy, Rate


@dataclass(frozen=True)
class Metrics:
    """One row of the metrics table (a scenario x subgroup, for one site or file pair)."""

    scenario: str
    subgroup_type: str
    subgroup: str
    n_records: int
    candidate_pairs: int | None
    links: int
    true_matches: int | None
    true_positives: int | None
    precision: float | None
    recall: float | None
    f1: float | None
    match_rate: float | None
    clerical_review: int | None
    expected_known_share: float | None
    basis: str
    precision_low: float | None = None
    precision_high: float | None = None
    recall_low: float | None = None
    recall_high: float | None = None
    match_rate_low: float | None = None
    match_rate_high: float | None = None
    missed_match_rate: float | None = None
    largest_gap: float | None = None
    must_link_n: int | None = None
    must_link_rate: float | None = None
    f1_low: float | None = None
    f1_high: float | None = None
    largest_gap_low: float | None = None
    largest_gap_high: float | None = None
    method: str | None = None
    blocking_missed: float | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain dict (for JSON and for inserting)."""
        return asdict(self)


MEASURED = "truth: Wilson (F1 from the precision and recall intervals)"


def measured(
    scenario: str, subgroup_type: str, subgroup: str, n_records: int, links: int, linked_records: int,
    true_matches: int, true_positives: int, candidate_pairs: int | None = None,
    clerical_review: int | None = None, expected_known_share: float | None = None,
) -> Metrics:
    """Metrics against truth: precision = TP/links, recall = TP/true matches, match rate = linked
    records / records, each with a Wilson interval."""
    precision = true_positives / links if links else None
    recall = true_positives / true_matches if true_matches else None
    match_rate = linked_records / n_records if n_records else None
    p_lo, p_hi = wilson(true_positives, links)
    r_lo, r_hi = wilson(true_positives, true_matches)
    m_lo, m_hi = wilson(linked_records, n_records)
    f = f1_interval(Estimate(precision, p_lo, p_hi, ""), Estimate(recall, r_lo, r_hi, ""))
    return Metrics(
        scenario, subgroup_type, subgroup, n_records, candidate_pairs, links, true_matches, true_positives,
        precision, recall, f.value, match_rate, clerical_review, expected_known_share, "measured",
        p_lo, p_hi, r_lo, r_hi, m_lo, m_hi, (1 - recall) if recall is not None else None,
        f1_low=f.low, f1_high=f.high, method=MEASURED,
    )


def link_table(links: pl.DataFrame, truth: pl.DataFrame, left: pl.DataFrame, group_col: str | None) -> pl.DataFrame:
    """Per left record: its group, whether it was linked, whether the link is true, whether it has a true match.

    ``links`` and ``truth`` have ``l_rid``, ``r_rid``; ``left`` has ``rid`` and ``group_col``.
    """
    t = truth.select("l_rid", "r_rid").unique().with_columns(pl.lit(True).alias("_true"))
    lk = links.select("l_rid", "r_rid").unique().join(t, on=["l_rid", "r_rid"], how="left")
    per_left = lk.group_by("l_rid").agg(
        pl.len().alias("links"), pl.col("_true").fill_null(False).sum().alias("tp")
    )
    true_per_left = t.group_by("l_rid").agg(pl.len().alias("true_matches"))
    cols = ["rid"] + ([group_col] if group_col else [])
    out = (
        left.select(cols)
        .join(per_left, left_on="rid", right_on="l_rid", how="left")
        .join(true_per_left, left_on="rid", right_on="l_rid", how="left")
        .with_columns(pl.col("links", "tp", "true_matches").fill_null(0))
    )
    return out


def measured_by_group(
    scenario: str, links: pl.DataFrame, truth: pl.DataFrame, left: pl.DataFrame, group_col: str,
    subgroup_type: str, expected_known_share: float | None = None,
) -> list[Metrics]:
    """Measured metrics per value of ``left[group_col]`` (a record's group decides its links' group),
    with the largest recall gap between groups with at least 6 true matches on every row."""
    t = link_table(links, truth, left, group_col)
    agg = t.group_by(group_col).agg(
        pl.len().alias("n"), pl.col("links").sum(), pl.col("tp").sum(), pl.col("true_matches").sum(),
        (pl.col("links") > 0).sum().alias("linked"),
    ).sort(group_col)
    rows = [
        measured(scenario, subgroup_type, str(r[group_col]), r["n"], r["links"], r["linked"], r["true_matches"],
                 r["tp"], expected_known_share=(r["true_matches"] / r["n"]) if expected_known_share is not None and r["n"] else None)
        for r in agg.iter_rows(named=True)
    ]
    return with_gap(rows)


def with_gap(rows: list[Metrics], min_count: int = 6) -> list[Metrics]:
    """Put the largest gap in recall between groups, with its interval, on each row.

    Groups compared: measured rows with at least ``min_count`` true matches; estimated rows with
    at least ``min_count`` records and a recall interval.
    """
    groups = []
    for r in rows:
        if r.recall is None or r.recall_low is None or r.recall_high is None:
            continue
        enough = (r.true_matches or 0) if r.basis == "measured" else r.n_records
        if enough >= min_count:
            groups.append((r.recall, r.recall_low, r.recall_high))
    gap = gap_interval(groups)
    return [replace(r, largest_gap=gap.value, largest_gap_low=gap.low, largest_gap_high=gap.high) for r in rows]


def estimated(
    scenario: str, subgroup_type: str, subgroup: str, n_records: int, links: pl.DataFrame, best: pl.DataFrame,
    candidate_pairs: int | None = None, clerical_review: int | None = None,
    expected_known_share: float | None = None, must: pl.Series | None = None, missed_outside: float = 0.0,
    known_share: float | None = None, lost_share: float = 0.0,
) -> Metrics:
    """Estimated metrics (no truth), each with a 95% interval and the method in ``method``.

    Precision: expected true links (sum of link probabilities) / links. Recall: on the records that
    must link (``must``, ids of CSC-referred records) when there are at least
    :data:`linkage.estimates.MIN_GOLD` of them (``lost_share``: the share of LA identifier rows the
    load rejected, see :func:`linkage.estimates.gold_recall`); otherwise against the site's expected share of
    children known to CSC (``known_share``) when given; otherwise from the model, its denominator
    including ``missed_outside`` (true pairs blocking never generated), with an interval down to the
    hard lower bound. Match rate: observed, with a Wilson interval.
    """
    n_links = links.height
    prec = precision_estimate(links)
    if must is not None and must.len() >= MIN_GOLD:
        rec, _ = gold_recall(links, must, n_records, lost_share)
    elif known_share is not None:
        rec = known_share_recall(links, n_records, known_share)
    else:
        rec = model_recall(links, best, n_records, missed_outside)
    linked_records = links["l_rid"].n_unique() if n_links else 0
    match_rate = linked_records / n_records if n_records else None
    m_lo, m_hi = wilson(linked_records, n_records)
    f = f1_interval(prec, rec)
    return Metrics(
        scenario, subgroup_type, subgroup, n_records, candidate_pairs, n_links, None, None, prec.value, rec.value,
        f.value, match_rate, clerical_review, expected_known_share, "estimated",
        prec.low, prec.high, rec.low, rec.high, m_lo, m_hi, (1 - rec.value) if rec.value is not None else None,
        f1_low=f.low, f1_high=f.high, method=f"precision: {prec.method}; recall: {rec.method}",
        blocking_missed=missed_outside if subgroup_type == "all" else None,
        must_link_n=must.len() if must is not None else None,
        must_link_rate=(float(links["l_rid"].is_in(must.implode()).sum()) / must.len())
        if must is not None and must.len() else None,
    )


#: Count columns of a metrics row, and the rates derived from each (what site-facing output hides).
COUNT_COLUMNS: tuple[str, ...] = (
    "n_records", "links", "true_matches", "true_positives", "clerical_review", "must_link_n",
)
RATE_SOURCES: dict[str, Rate | tuple[str, ...]] = {
    # each rate on its two counts, so whole - part (missed matches, false links, unlinked records) is a count
    # the engine protects too; its interval is hidden with any count it rests on
    "precision": Rate("true_positives", "links"),
    "recall": Rate("true_positives", "true_matches"),
    "match_rate": Rate("links", "n_records"),
    **dict.fromkeys(("precision_low", "precision_high"), ("links", "true_positives")),
    **dict.fromkeys(("recall_low", "recall_high", "missed_match_rate"),
                    ("true_matches", "true_positives", "must_link_n")),
    **dict.fromkeys(("f1", "f1_low", "f1_high"), ("links", "true_matches", "true_positives", "must_link_n")),
    **dict.fromkeys(("match_rate_low", "match_rate_high"), ("n_records", "links")),
    "expected_known_share": ("n_records", "true_matches"),
    "must_link_rate": ("must_link_n",),
}


def site_facing(rows: list[dict[str, object]], policy: DisclosurePolicy = DEFAULT_POLICY) -> list[dict[str, object]]:
    """Site-facing copy of metrics rows through the one disclosure engine
    (:class:`warehouse.disclosure.Disclosure`): counts of 1 to ``policy.suppress_max`` and every rate
    built on them become the policy's symbol; within each site x scenario x subgroup type (whose
    subgroups add up to the overall row) a second count is hidden where only one is, so no small
    count can be recovered by subtraction. The warehouse keeps the true counts for researchers.
    """
    if not rows:
        return []
    frame = pl.DataFrame(rows, infer_schema_length=None)
    groups = tuple(c for c in ("site_id", "scenario", "subgroup_type") if c in frame.columns)
    engine = Disclosure(counts=COUNT_COLUMNS, rates=RATE_SOURCES, groups=groups, suppress_max=policy.suppress_max)
    return engine.apply(frame).to_dicts()
