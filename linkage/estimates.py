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

import itertools

import polars as pl

from linkage.blocking import BASE_FIELD, BlockingRule
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
#: The loss the point estimate assumes, in the same units: the middle of "the reject share" (1x)
#: and the upper end's allowance (2x). On five synthetic worlds (seeds 913, 5077, 2718, 6121,
#: 4242; three dirty) 1x left the gold-subset recall 0.006 low on average and 1.5x 0.002 low.
POINT_LOST_FACTOR = 1.5

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
      partner (``n x (1 - 1.5 lost_share)``, :data:`POINT_LOST_FACTOR`); the upper end allows
      :data:`LOST_FACTOR` times the reject share;
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
    partnered = n_gold * (1.0 - min(POINT_LOST_FACTOR * lost, 0.5))
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


#: The most a true pair's chance of missing every blocking rule is taken to be (beyond it the
#: estimate says more about the model's fit than about blocking).
MAX_MISS_SHARE = 0.9


def _field_states(pairs: pl.DataFrame, rules: tuple[BlockingRule, ...], field: str,
                  fallback: tuple[float, float]) -> tuple[float, float]:
    """P(exact), P(partial or better) on ``field`` for a true pair, read from the scored pairs that
    rules **not** drawing on ``field`` generated (weighted by probability), so blocking on the
    field did not select them; the model's m-probabilities when there are none."""
    col = f"g_{field}"
    free = sum(1 << i for i, r in enumerate(rules) if field not in r.base_fields)
    if col not in pairs.columns or free == 0:
        return fallback
    seen = pairs.filter((pl.col("rules").cast(pl.Int64) & free) != 0)
    weight = float(seen["probability"].sum()) if seen.height else 0.0
    if weight < 1.0:
        return fallback
    top = pairs.select(pl.col(col).max().fill_null(0).cast(pl.Int64)).item()
    exact = float(seen.filter(pl.col(col) == top)["probability"].sum()) / weight
    partial = float(seen.filter(pl.col(col) >= 1)["probability"].sum()) / weight
    return exact, max(exact, partial)


def blocking_miss_share(rules: tuple[BlockingRule, ...], fields: dict[str, tuple[float, float]]) -> float:
    """The chance a true pair agrees on no blocking rule, under conditional independence of the
    fields given a match.

    Each field is in one of three states for a true pair: exact agreement, partial agreement
    (initial, phonetic code, year, district: what a rule on a derived column needs), or
    disagreement/missing. ``fields`` gives P(exact), P(at least partial) per field, estimated by
    :func:`_field_states` (from pairs that rules not on the field generated) or the model's
    m-probabilities. A rule captures the pair when every column it joins on agrees at the level it
    needs (the full field: exact; a derived column: partial, a slight overstatement of the capture).
    The share is summed over the 3^F joint states exactly.

    Example:
        >>> from linkage.blocking import BASE_FIELD, BlockingRule
        >>> rules = (BlockingRule("d", ("dob",)), BlockingRule("p", ("postcode",)))
        >>> round(blocking_miss_share(rules, {"dob": (0.8, 0.8), "postcode": (0.7, 0.7)}), 3)
        0.06
    """
    names = sorted(fields)
    needs = []
    for r in rules:
        need: dict[str, int] = {}
        for c in r.columns:
            base = BASE_FIELD.get(c, c)
            if base not in fields:
                need = {}
                break
            need[base] = max(need.get(base, 0), 2 if c == base else 1)
        if need:
            needs.append(need)
    if not needs:
        return 0.0
    miss = 0.0
    for states in itertools.product((0, 1, 2), repeat=len(names)):
        prob = 1.0
        for f, st in zip(names, states, strict=True):
            exact, partial = fields[f]
            prob *= (exact, partial - exact, 1.0 - partial)[2 - st]
        state = dict(zip(names, states, strict=True))
        if prob > 0 and not any(all(state[f] >= lvl for f, lvl in need.items()) for need in needs):
            miss += prob
    return min(miss, MAX_MISS_SHARE)


def model_field_agreement(names: tuple[str, ...], m: tuple[object, ...]) -> dict[str, tuple[float, float]]:
    """Per compared field, the fitted model's P(exact), P(at least partial agreement) given a match
    (``names`` and ``m`` as in :class:`linkage.model.FellegiSunter`; level 0 = disagree, the last =
    exact)."""
    out = {}
    for name, probs in zip(names, m, strict=True):
        levels = [float(x) for x in probs]  # type: ignore[attr-defined]
        total = sum(levels)
        if total > 0 and len(levels) > 1:
            out[name] = (levels[-1] / total, sum(levels[1:]) / total)
    return out


def blocking_missed_by_fields(res_pairs: pl.DataFrame, best: pl.DataFrame, rules: tuple[BlockingRule, ...],
                              m_by_field: dict[str, tuple[float, float]]) -> float:
    """Expected true pairs no blocking rule generated, from the fields' agreement among true pairs
    (:func:`blocking_miss_share`): the true pairs blocking found (the sum of the left records'
    best candidates' probabilities) times ``miss / (1 - miss)``.

    Args:
        res_pairs: scored pairs with ``rules`` (bit mask) and ``g_<field>`` levels.
        best: per left record, its best candidate's probability.
        rules: the blocking rules, in bit order.
        m_by_field: per compared field, the model's P(exact), P(at least partial) given a match.
    """
    if res_pairs.height == 0 or "rules" not in res_pairs.columns or not rules:
        return 0.0
    fields = {f: _field_states(res_pairs, rules, f, m) for f, m in m_by_field.items()}
    miss = blocking_miss_share(rules, fields)
    found = float(best["probability"].sum()) if best.height else 0.0
    return found * miss / (1.0 - miss)


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
