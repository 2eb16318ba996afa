"""Evaluation: precision, recall, F1, match rate, Wilson intervals, subgroup tables and
model-estimated figures when there is no truth.

Measured figures come from truth (or clerical labels); estimated figures from the model's
match probabilities (linkage-quality-reporting.md §4.2). Every row says which it is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import polars as pl

from warehouse.disclosure import DEFAULT_POLICY, Disclosure, DisclosurePolicy


def wilson(k: float, n: float, z: float = 1.96) -> tuple[float | None, float | None]:
    """Wilson score 95% interval for ``k`` successes out of ``n`` (None, None when n is 0).

    Example:
        >>> lo, hi = wilson(8, 10)
        >>> round(lo, 3), round(hi, 3)
        (0.49, 0.943)
    """
    if n <= 0:
        return None, None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


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

    def as_dict(self) -> dict[str, object]:
        """Plain dict (for JSON and for inserting)."""
        return asdict(self)


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None or p + r == 0:
        return None if p is None or r is None else 0.0
    return 2 * p * r / (p + r)


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
    return Metrics(
        scenario, subgroup_type, subgroup, n_records, candidate_pairs, links, true_matches, true_positives,
        precision, recall, _f1(precision, recall), match_rate, clerical_review, expected_known_share, "measured",
        p_lo, p_hi, r_lo, r_hi, m_lo, m_hi, (1 - recall) if recall is not None else None,
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
    """Put the largest gap in recall (measured) or match rate (estimated) between groups on each row."""
    vals = []
    for r in rows:
        if r.basis == "measured" and r.recall is not None and (r.true_matches or 0) >= min_count:
            vals.append(r.recall)
        elif r.basis == "estimated" and r.recall is not None and r.n_records >= min_count:
            vals.append(r.recall)
    gap = (max(vals) - min(vals)) if len(vals) >= 2 else None
    return [replace(r, largest_gap=gap) for r in rows]


def estimated(
    scenario: str, subgroup_type: str, subgroup: str, n_records: int, links: pl.DataFrame, best: pl.DataFrame,
    candidate_pairs: int | None = None, clerical_review: int | None = None,
    expected_known_share: float | None = None,
) -> Metrics:
    """Model-estimated metrics (no truth): E[TP] = sum of link probabilities; expected missed =
    sum over unlinked records of their best candidate's probability."""
    e_tp = float(links["probability"].sum()) if links.height else 0.0
    linked = set(links["l_rid"].to_list())
    unlinked_best = best.filter(~pl.col("l_rid").is_in(list(linked)))
    missed = float(unlinked_best["probability"].sum()) if unlinked_best.height else 0.0
    n_links = links.height
    precision = e_tp / n_links if n_links else None
    recall = e_tp / (e_tp + missed) if (e_tp + missed) > 0 else None
    linked_records = links["l_rid"].n_unique() if n_links else 0
    match_rate = linked_records / n_records if n_records else None
    m_lo, m_hi = wilson(linked_records, n_records)
    return Metrics(
        scenario, subgroup_type, subgroup, n_records, candidate_pairs, n_links, None, None, precision, recall,
        _f1(precision, recall), match_rate, clerical_review, expected_known_share, "estimated",
        None, None, None, None, m_lo, m_hi, (1 - recall) if recall is not None else None,
    )


#: Count columns of a metrics row, and the rates derived from each (what site-facing output hides).
COUNT_COLUMNS: tuple[str, ...] = (
    "n_records", "links", "true_matches", "true_positives", "clerical_review", "must_link_n",
)
RATE_SOURCES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("precision", "precision_low", "precision_high"), ("links", "true_positives")),
    **dict.fromkeys(("recall", "recall_low", "recall_high", "missed_match_rate"), ("true_matches", "true_positives")),
    **dict.fromkeys(("f1", "f1_low", "f1_high"), ("links", "true_matches", "true_positives")),
    **dict.fromkeys(("match_rate", "match_rate_low", "match_rate_high"), ("n_records", "links")),
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
