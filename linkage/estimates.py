"""Linkage quality without truth: estimates that count what blocking missed, anchored where a real
study has anchors.

Real extracts come with no truth file, so the figures a site acts on are estimated. The model's own
probabilities overstate recall: a true pair that blocking never generated, or that the model scores
as a non-match (a child who moved and changed surname), is invisible to them. Three anchors, in
order of strength:

1. **Records that must link** (a gold subset): children referred by children's social care must
   have a CSC record. The share of them linked (each link weighted by its probability of being
   right) estimates recall, counting every kind of miss, blocking's included. Its interval is a
   Wilson interval on the subset, deliberately not finite-population corrected (the subset is not
   assumed representative of all true matches), with an allowance for referred children whose LA
   record the load rejected (see :func:`gold_recall`).
2. **Clerical review labels** (stratified by probability band, Horvitz-Thompson weights): precision
   measured on a sample instead of the model's word.
3. **The model alone** (no subset, no labels): recall between a hard lower bound (expected true
   links / records, since no record has more than one true partner) and the model's estimate, whose
   denominator adds the true matches outside the candidate pairs estimated by capture-recapture
   across blocking rules. Wide on purpose: it says "review a sample".
"""

from __future__ import annotations

import polars as pl

from linkage.blocking import BlockingRule
from linkage.intervals import Estimate, stratified_ratio, wilson

#: Fewest must-link records for the gold-subset estimate (below it the model's bounds are used).
MIN_GOLD = 5
#: Probability bands of a clerical review sample (the strata for Horvitz-Thompson weights).
REVIEW_BANDS: tuple[float, ...] = (0.0, 0.1, 0.5, 0.9, 0.99, 1.01)

MODEL = "model probabilities and capture-recapture over blocking rules: from the lower bound (links/records)"


def expected_true_links(links: pl.DataFrame) -> float:
    """Sum of the links' probabilities: the expected number of true links."""
    return float(links["probability"].sum()) if links.height else 0.0


#: How far the model's count of false links may be off, each way (its probabilities are not
#: calibrated: on synthetic worlds they run from a third to three times the measured count).
FALSE_LINK_FACTOR = 2.0


def precision_estimate(links: pl.DataFrame) -> Estimate:
    """Expected true links / links. The interval allows the model's expected false links (the sum of
    ``1 - probability``) to be :data:`FALSE_LINK_FACTOR` times too few, and none at all: from the
    Wilson lower limit at that many false links to the upper limit at none."""
    n = links.height
    if n == 0:
        return Estimate(None, None, None, "no links")
    e_tp = expected_true_links(links)
    false = n - e_tp
    lo, _ = wilson(max(n - FALSE_LINK_FACTOR * false, 0.0), n)
    _, hi = wilson(n, n)
    return Estimate(e_tp / n, lo, hi, "model probabilities: Wilson, false links x0 to x2")


#: How many times the load's reject share a must-link record may have lost its partner (the
#: reject share is itself a sample figure, and a rejected row can take a referred child's only
#: record with it; on dirty synthetic worlds the loss among must-link children ran 1-2x the share).
LOST_FACTOR = 2.0

GOLD = ("records that must link (CSC-referred): Wilson on the subset, not finite-population corrected "
        "(the subset is not assumed representative)")


def gold_recall(links: pl.DataFrame, must: pl.Series, n_records: int, lost_share: float = 0.0) -> tuple[Estimate, float]:
    """Recall on the records that must link, and the implied number of true matches.

    A must-link record's link is right unless it is a false link; the point counts half the
    model's expected false links among them, the interval from none to
    :data:`FALSE_LINK_FACTOR` times that many.

    Two assumptions of the gold subset are not taken on trust:

    - **Representativeness.** CSC-referred children are not a random sample of the children known
      to CSC: their LA records are recent, while the others' may be old (moves, new surnames), and
      on dirty synthetic worlds the two groups' recall differed by up to 0.4 (a coda site: 0.97 on
      37 referred children, 0.57 on 14 others). A finite-population correction would borrow
      strength from exactly that assumption (the subset is 60-90% of all true matches, so it
      narrows the interval two- to three-fold), so the interval is a plain Wilson interval on the
      subset: the rest's recall is allowed to differ from the subset's by its sampling error.
    - **Every must-link record has a partner in the loaded LA data.** When the load rejected LA
      identifier rows (``lost_share`` of them: shifted columns, unreadable lines), a referred
      child's record may be among them. The point divides by the records expected to have a
      partner (``n x (1 - lost_share)``); the upper end allows :data:`LOST_FACTOR` times that loss;
      the lower end assumes none (it never rests on the allowance).

    Args:
        links: accepted links (``l_rid``, ``probability``) of the records considered.
        must: record ids that must have a true partner.
        n_records: records considered (bounds the number of true matches).
        lost_share: share of the LA extract's identifier rows the load rejected (0 when clean).

    Returns:
        the estimate and the expected number of true matches (``must`` with a partner plus the
        other links' expected true links scaled by the estimated recall, at most ``n_records``).

    Example:
        >>> links = pl.DataFrame({"l_rid": ["a", "b", "c"], "probability": [1.0, 1.0, 1.0]})
        >>> est, _ = gold_recall(links, pl.Series(["a", "b", "c", "d"]), 10)
        >>> round(est.value, 2), round(est.low, 2), round(est.high, 2)
        (0.75, 0.3, 0.95)
    """
    n_gold = must.len()
    if n_gold == 0:
        return Estimate(None, None, None, "no records that must link"), 0.0
    in_gold = links["l_rid"].is_in(must.implode())
    gold = links.filter(in_gold)
    linked = float(gold.height)
    false = linked - float(gold["probability"].sum())
    y_rest = float(links.filter(~in_gold)["probability"].sum())
    lost = min(max(lost_share, 0.0), 0.5)
    partnered = n_gold * (1.0 - lost)
    r = min(1.0, (linked - false / 2) / partnered)
    true = float(n_records) if r <= 0 else min(float(n_records), partnered + y_rest / r)
    lo, _ = wilson(max(linked - FALSE_LINK_FACTOR * false, 0.0), n_gold)
    at_most = n_gold * (1.0 - min(LOST_FACTOR * lost, 0.5))
    _, hi = wilson(min(linked, at_most), at_most)
    method = GOLD if lost <= 0 else f"{GOLD}; up to {LOST_FACTOR:g}x the LA rows the load rejected ({lost:.1%}) may hold their partners"
    return Estimate(r, min(lo or 0.0, r), max(hi or 0.0, r), method), true


def blocking_missed(pairs: pl.DataFrame, rules: tuple[BlockingRule, ...]) -> float:
    """Expected true pairs that no blocking rule generated (capture-recapture, Chapman's estimator).

    The rules are split into two "lists": those on the identifier most rules use, and the rest.
    Each scored pair counts as its probability of being a match; the pairs both lists found, one
    found and the other found give the total ``(a+1)(b+1)/(ab+1) - 1``; what neither found is the
    total minus what either found. Assumes the lists capture a true pair independently; rules that
    share identifiers make the figure a lower bound. 0 when the rules cannot be split.
    """
    if pairs.height == 0 or "rules" not in pairs.columns or len(rules) < 2:
        return 0.0
    counts: dict[str, int] = {}
    for r in rules:
        for f in r.base_fields:
            counts[f] = counts.get(f, 0) + 1
    top = max(sorted(counts), key=lambda f: counts[f])
    bits_a = sum(1 << i for i, r in enumerate(rules) if top in r.base_fields)
    bits_b = sum(1 << i for i, r in enumerate(rules) if top not in r.base_fields)
    if bits_a == 0 or bits_b == 0:
        return 0.0
    mask = pl.col("rules").cast(pl.Int64)
    in_a = (mask & bits_a) != 0
    in_b = (mask & bits_b) != 0
    p = pl.col("probability")
    s = pairs.select(
        (p * in_a).sum().alias("a"), (p * in_b).sum().alias("b"), (p * (in_a & in_b)).sum().alias("ab"),
        (p * (in_a | in_b)).sum().alias("any"),
    ).row(0, named=True)
    total = (s["a"] + 1) * (s["b"] + 1) / (s["ab"] + 1) - 1
    return max(0.0, float(total - s["any"]))


def model_recall(links: pl.DataFrame, best: pl.DataFrame, n_records: int, missed_outside: float = 0.0) -> Estimate:
    """Recall from the model alone: the point is expected true links / (those + the unlinked
    records' best candidates' probabilities + ``missed_outside``); the interval runs from the
    Wilson lower limit of expected true links / records (no record has two true partners) to the
    Wilson upper limit of the point."""
    e_tp = expected_true_links(links)
    unlinked = best.filter(~pl.col("l_rid").is_in(links["l_rid"].implode()))
    missed = float(unlinked["probability"].sum()) + missed_outside
    if e_tp + missed <= 0:
        return Estimate(None, None, None, "no candidate pairs")
    point = e_tp / (e_tp + missed)
    low = wilson(e_tp, n_records)[0] if n_records else 0.0
    high = wilson(e_tp, e_tp + missed)[1]
    return Estimate(point, min(low or 0.0, point), high, MODEL)


def known_share_recall(links: pl.DataFrame, n_records: int, known_share: float) -> Estimate:
    """Recall against the site's expected share of children known to CSC: expected true links /
    (share x records), with a Wilson interval on that many children (the share is the site's
    figure, not a measurement: the method says so)."""
    expected = known_share * n_records
    if expected <= 0:
        return Estimate(None, None, None, "no children expected to be known to CSC")
    e_tp = expected_true_links(links)
    lo, hi = wilson(min(e_tp, expected), expected)
    return Estimate(min(1.0, e_tp / expected), lo, hi, "expected share known to CSC (the site's figure): Wilson")


def review_precision(pairs: pl.DataFrame, labels: pl.DataFrame) -> Estimate:
    """Precision from clerically reviewed pairs, weighted back to every scored pair (strata =
    probability bands of the sample; Horvitz-Thompson weights N/n per band).

    Args:
        pairs: scored pairs (``l_rid``, ``r_rid``, ``probability``, ``is_link``).
        labels: reviewed pairs (``l_rid``, ``r_rid``, ``label`` in [0, 1]; >= 0.5 = same person).
    """
    bands = pl.col("probability").cut(list(REVIEW_BANDS[1:-1]), left_closed=True).alias("_band")
    scored = pairs.select("l_rid", "r_rid", "is_link", bands)
    lab = labels.select("l_rid", "r_rid", (pl.col("label") >= 0.5).cast(pl.Float64).alias("_y"))
    sample = scored.join(lab, on=["l_rid", "r_rid"])
    strata = []
    sizes = scored.group_by("_band").len()
    for band, size in sizes.iter_rows():
        part = sample.filter(pl.col("_band") == band)
        if part.height == 0:
            continue
        link = part["is_link"].cast(pl.Float64).to_list()
        strata.append((int(size), [y * x for y, x in zip(part["_y"].to_list(), link, strict=True)], link))
    return stratified_ratio(strata)
