"""Linkage feasibility verdicts that never overclaim (linkage-quality-reporting §8.3, issue 14).

A verdict rests on the **lower end** of recall's interval, never on the point estimate, and names
its basis (measured against truth, estimated by the model, or from a clerical review) and the
figure it rests on. Where the interval is wider than ``VerdictSettings.max_interval_width`` the
verdict is "unknown: review a sample", with the number of records to review that would narrow
it, unless both ends of the interval give the same verdict (a review could not change it).
Scenarios are ranked on the same conservative end.

Where recall's interval comes from:

0. after a clerical review (the row's ``method`` names "clerical review of N pairs"), the linkage
   stage's review-based interval alone, and the basis is "review": the verdict says it "rests on a
   clerical review of N pairs";
1. the linkage stage's own ``recall_low`` / ``recall_high`` when it wrote them;
2. otherwise a Wilson interval from the row's counts: recall over its true matches when
   measured; for a model estimate, the expected true positives (precision x links) out of the
   expected true matches (that / recall);
3. for an estimate, the share of children who must link (referred by children's social care)
   that did link is a check that needs no truth: its Wilson interval, widened by
   ``must_link_margin`` for the distance between that share and recall, widens the envelope
   downwards when it is lower.

A model estimate with neither a stage interval nor a must-link check counts only the true pairs
blocking generated, so it is an upper bound: it supports no verdict better than "unknown:
review a sample".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from evaluation.settings import VerdictSettings
from warehouse.scenarios import SCENARIOS, scenario_label
from warehouse.verdicts import VERDICT_LABELS

__all__ = [
    "VERDICT_LABELS", "RecallFigure", "ScenarioEvidence", "Verdict", "judge", "linkage_verdict",
    "rank_scenarios", "recall_figure", "review_sample_size", "scenario_evidence", "wilson",
]

_BASIS_WORDS = {"measured": "measured against the truth file", "estimated": "estimated without truth",
                "review": "from a clerical review sample"}


def wilson(k: float, n: float, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval for ``k`` successes out of ``n`` (None when ``n`` is 0).

    Example:
        >>> lo, hi = wilson(8, 10)
        >>> round(lo, 3), round(hi, 3)
        (0.49, 0.943)
    """
    if n <= 0:
        return None
    p = min(max(k / n, 0.0), 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def review_sample_size(expected: float | None, width: float, population: int | None = None,
                       z: float = 1.96) -> int:
    """Records to review (simple random sample) for a 95% interval of total ``width`` on a proportion.

    n0 = z²·p(1 - p) / (width / 2)², with p the current estimate (0.5 when none), then the
    finite-population correction n = n0 / (1 + (n0 - 1) / N) (linkage-quality-reporting §8.1).

    Example:
        >>> review_sample_size(0.9, 0.1), review_sample_size(0.9, 0.1, population=300)
        (139, 95)
    """
    p = 0.5 if expected is None else min(max(expected, 0.0), 1.0)
    p = min(max(p, 0.05), 0.95)  # p near 0 or 1 would promise an interval the Wilson form does not give
    n0 = z * z * p * (1 - p) / (width / 2) ** 2
    if population is not None and population > 0:
        n0 = n0 / (1 + (n0 - 1) / population)
    return max(1, math.ceil(n0 - 1e-9))


@dataclass(frozen=True)
class RecallFigure:
    """Recall as a verdict uses it: a point, an interval, its basis and how the interval was made."""

    value: float | None
    low: float | None
    high: float | None
    basis: str
    method: str
    upper_bound_only: bool = False

    @property
    def width(self) -> float | None:
        """High minus low (None without an interval)."""
        return None if self.low is None or self.high is None else self.high - self.low


@dataclass(frozen=True)
class ScenarioEvidence:
    """What a verdict reads for one site and identifier scenario (the overall linkage row)."""

    site: str
    scenario: str
    n_records: int | None
    precision: float | None
    precision_low: float | None
    recall: RecallFigure
    worst_gap: float | None
    clerical_share: float | None


@dataclass(frozen=True)
class Verdict:
    """A feasibility verdict with the rule that produced it, in words.

    ``code`` is one of :data:`VERDICT_LABELS`; ``figure`` names the recall figure it rests on;
    ``review_sample`` is the number of records to review when the verdict is ``review_sample``.
    """

    code: str
    rule: str
    basis: str
    figure: str
    review_sample: int | None = None

    @property
    def label(self) -> str:
        """The verdict in words ("unknown: review a sample")."""
        return VERDICT_LABELS[self.code]


def _num(row: Mapping[str, object], key: str) -> float | None:
    value = row.get(key)
    return float(value) if isinstance(value, int | float) and not math.isnan(value) else None


def _must_link_interval(row: Mapping[str, object], z: float, margin: float) -> tuple[float, float] | None:
    n, rate = _num(row, "must_link_n"), _num(row, "must_link_rate")
    if n is None or rate is None or n <= 0:
        return None
    interval = wilson(rate * n, n, z)
    return None if interval is None else (max(0.0, interval[0] - margin), min(1.0, interval[1] + margin))


def _stage_or_count_interval(row: Mapping[str, object], basis: str, z: float) -> tuple[tuple[float, float] | None, str]:
    low, high = _num(row, "recall_low"), _num(row, "recall_high")
    if low is not None and high is not None:
        return (low, high), "interval from the linkage stage"
    recall, tm = _num(row, "recall"), _num(row, "true_matches")
    if basis != "estimated" and recall is not None and tm:
        return wilson(recall * tm, tm, z), "Wilson interval of recall over the true matches"
    precision, links = _num(row, "precision"), _num(row, "links")
    if recall and precision is not None and links:
        expected_tp = precision * links
        return wilson(expected_tp, expected_tp / recall, z), "Wilson interval from the row's expected counts"
    return None, "no interval"


_REVIEWED = re.compile(r"clerical review of ([0-9,]+) pairs")


def _reviewed_pairs(row: Mapping[str, object]) -> int | None:
    """The number of clerically reviewed pairs a row's figures rest on (None without a review)."""
    found = _REVIEWED.search(str(row.get("method") or ""))
    return int(found.group(1).replace(",", "")) if found else None


def recall_figure(row: Mapping[str, object], z: float = 1.96, must_link_margin: float = 0.035) -> RecallFigure:
    """The recall figure of one ``linkage_metrics`` row (see the module docstring for the order).

    Example:
        >>> f = recall_figure({"recall": 0.93, "true_positives": 53, "true_matches": 57, "basis": "measured"})
        >>> f.basis, round(f.low, 3), f.upper_bound_only
        ('measured', 0.833, False)
    """
    basis = str(row.get("basis") or "estimated")
    value = _num(row, "recall")
    if value is None:
        return RecallFigure(None, None, None, basis, "no recall in the linkage run")
    reviewed = _reviewed_pairs(row)
    if reviewed is not None and basis == "estimated" and _num(row, "recall_low") is not None \
            and _num(row, "recall_high") is not None:
        # the linkage stage already counted the must-link share at the reviewed precision: widening
        # it again by the unreviewed share would make the review unable to change the verdict
        return RecallFigure(value, _num(row, "recall_low"), _num(row, "recall_high"), "review",
                            f"rests on a clerical review of {reviewed:,} pairs (interval from the linkage stage)")
    interval, method = _stage_or_count_interval(row, basis, z)
    had_stage = method == "interval from the linkage stage"
    must = _must_link_interval(row, z, must_link_margin) if basis == "estimated" else None
    if must is not None and (interval is None or must[0] < interval[0]):
        lower = must[0] if interval is None else min(must[0], interval[0])
        upper = must[1] if interval is None else max(must[1], interval[1])
        method = f"{method}, widened by the share of children who must link that did link"
        interval = (lower, upper)
    upper_only = basis == "estimated" and not had_stage and must is None
    if upper_only:
        method += " (the model counts only pairs blocking generated: an upper bound)"
    if interval is None:
        return RecallFigure(value, None, None, basis, method, upper_only)
    return RecallFigure(value, interval[0], interval[1], basis, method, upper_only)


def _worst_gap(subgroups: pl.DataFrame, overall: float | None, min_records: int) -> float | None:
    rows = subgroups.filter(pl.col("recall").is_not_null() & (pl.col("n_records") >= min_records))
    if overall is None or rows.height == 0:
        return None
    return max(0.0, float(overall - rows["recall"].min()))  # type: ignore[operator]


def scenario_evidence(linkage: pl.DataFrame, site: str, scenario: str,
                      settings: VerdictSettings | None = None) -> ScenarioEvidence | None:
    """The evidence for one site and scenario from the latest linkage metrics (None when absent)."""
    settings = settings or VerdictSettings()
    mine = linkage.filter((pl.col("site_id") == site) & (pl.col("scenario") == scenario))
    overall = mine.filter(pl.col("subgroup_type") == "all")
    if overall.height == 0:
        return None
    row = overall.row(0, named=True)
    figure = recall_figure(row, settings.z, settings.must_link_margin)
    gap = _num(row, "largest_gap")
    if gap is None:
        gap = _worst_gap(mine.filter(pl.col("subgroup_type") != "all"), figure.value, settings.min_subgroup_records)
    n_records = _num(row, "n_records")
    clerical = _num(row, "clerical_review")
    precision = _num(row, "precision")
    precision_low: float | None = _num(row, "precision_low")
    if precision_low is None and precision is not None and row.get("basis") != "estimated":
        links, tp = _num(row, "links"), _num(row, "true_positives")
        interval = wilson(tp, links, settings.z) if tp is not None and links else None
        precision_low = interval[0] if interval else None
    return ScenarioEvidence(
        site, scenario, int(n_records) if n_records is not None else None, precision, precision_low, figure,
        gap, clerical / n_records if clerical is not None and n_records else None,
    )


def _pct(value: float | None) -> str:
    """A share as a person reads it: a percentage to one decimal."""
    return "not known" if value is None else f"{value:.1%}"


def _points(value: float | None) -> str:
    """A difference between two shares, in percentage points."""
    return "not known" if value is None else f"{100 * value:.1f} percentage points"


def _figure_words(e: ScenarioEvidence) -> str:
    r = e.recall
    if r.value is None:
        return "no recall figure"
    interval = "" if r.low is None else f" (95% interval {_pct(r.low)} to {_pct(r.high)}; {r.method})"
    return (f"recall {_BASIS_WORDS.get(r.basis, r.basis)} {_pct(r.value)}{interval}, "
            f"under {scenario_label(e.scenario)}")


def _shortfalls(e: ScenarioEvidence, recall_low: float, precision: float, limits: tuple[float, ...],
                precision_low_limit: float | None) -> list[str]:
    """The limits this evidence misses (empty when it meets them all)."""
    need_p, need_r, max_gap, max_clerical = limits
    out = []
    if precision < need_p:
        out.append(f"precision {_pct(precision)} is below {_pct(need_p)}")
    if precision_low_limit is not None and e.precision_low is not None and e.precision_low < precision_low_limit:
        out.append(f"precision's lower bound {_pct(e.precision_low)} is below {_pct(precision_low_limit)}")
    if recall_low < need_r:
        out.append(f"recall's lower bound {_pct(recall_low)} is below {_pct(need_r)}")
    if e.worst_gap is not None and e.worst_gap > max_gap:
        out.append(f"the worst subgroup recall gap {_points(e.worst_gap)} is above {_points(max_gap)}")
    if e.clerical_share is not None and e.clerical_share > max_clerical:
        out.append(f"the clerical band {_pct(e.clerical_share)} is above {_pct(max_clerical)}")
    return out


def _review(e: ScenarioEvidence, s: VerdictSettings, why: str, basis: str, figure: str) -> Verdict:
    n = review_sample_size(e.recall.value, s.max_interval_width, e.n_records, s.z)
    return Verdict("review_sample", f"{why}; reviewing about {n:,} records drawn at random would narrow recall's "
                   f"interval to {_points(s.max_interval_width)}", basis, figure, n)


def judge(e: ScenarioEvidence | None, settings: VerdictSettings | None = None) -> Verdict:
    """The verdict for one site's scenario, with its rule in words.

    Example:
        >>> f = RecallFigure(0.93, 0.91, 0.95, "measured", "Wilson")
        >>> judge(ScenarioEvidence("fbs", "names_dob", 500, 0.97, 0.95, f, 0.05, 0.02)).code
        'feasible'
    """
    s = settings or VerdictSettings()
    if e is None or e.recall.value is None or e.precision is None:
        return Verdict("unknown", "no precision and recall for this site in the latest linkage run",
                       "none", "no recall figure")
    basis, figure = e.recall.basis, _figure_words(e)
    if e.recall.low is None or e.recall.high is None:
        return _review(e, s, "recall has no interval", basis, figure)
    if e.recall.upper_bound_only:
        return _review(e, s, "a model estimate with no check on children who must link is an upper bound on "
                       "recall", basis, figure)
    width = e.recall.high - e.recall.low
    if width > s.max_interval_width and _band(e, e.recall.low, s) != _band(e, e.recall.high, s):
        return _review(e, s, f"recall's interval is {_points(width)} wide, more than {_points(s.max_interval_width)}, and "
                       "its two ends give different verdicts", basis, figure)
    return _thresholds(e, s, basis, figure)


def _band(e: ScenarioEvidence, recall: float, s: VerdictSettings) -> int:
    """0 feasible, 1 with conditions, 2 not feasible, judging recall at ``recall``."""
    assert e.precision is not None
    feasible = (s.feasible_precision, s.feasible_recall_low, s.feasible_gap, s.feasible_clerical)
    conditional = (s.conditional_precision, s.conditional_recall_low, s.conditional_gap, s.conditional_clerical)
    if not _shortfalls(e, recall, e.precision, feasible, s.feasible_precision_low):
        return 0
    return 1 if not _shortfalls(e, recall, e.precision, conditional, None) else 2


def _thresholds(e: ScenarioEvidence, s: VerdictSettings, basis: str, figure: str) -> Verdict:
    assert e.recall.low is not None and e.precision is not None
    feasible = (s.feasible_precision, s.feasible_recall_low, s.feasible_gap, s.feasible_clerical)
    conditional = (s.conditional_precision, s.conditional_recall_low, s.conditional_gap, s.conditional_clerical)
    miss_f = _shortfalls(e, e.recall.low, e.precision, feasible, s.feasible_precision_low)
    if not miss_f:
        return Verdict("feasible", f"feasible: recall's lower bound {_pct(e.recall.low)} ≥ {_pct(s.feasible_recall_low)}, "
                       f"precision {_pct(e.precision)} ≥ {_pct(s.feasible_precision)}, worst subgroup gap "
                       f"{_points(e.worst_gap)} ≤ {_points(s.feasible_gap)}, clerical band {_pct(e.clerical_share)} ≤ "
                       f"{_pct(s.feasible_clerical)}", basis, figure)
    miss_c = _shortfalls(e, e.recall.low, e.precision, conditional, None)
    if not miss_c:
        return Verdict("feasible_with_conditions", "feasible with conditions: not feasible outright because "
                       + "; ".join(miss_f) + ", but every with-conditions limit is met", basis, figure)
    return Verdict("not_feasible", "not feasible: " + "; ".join(miss_c), basis, figure)


def linkage_verdict(precision: float | None, recall_low: float | None, worst_gap: float | None = None,
                    clerical_share: float | None = None, settings: VerdictSettings | None = None) -> str:
    """The verdict code from figures alone (no interval check): pass recall's **lower bound**.

    Example:
        >>> linkage_verdict(0.97, 0.85)
        'feasible_with_conditions'
    """
    if precision is None or recall_low is None:
        return "unknown"
    figure = RecallFigure(recall_low, recall_low, recall_low, "measured", "figure given")
    return judge(ScenarioEvidence("", "", None, precision, None, figure, worst_gap, clerical_share), settings).code


def _identifier_rank(scenario: str) -> tuple[int, int, str]:
    if scenario not in SCENARIOS:
        return (2, 99, scenario)
    sc = SCENARIOS.get(scenario)
    return (0 if sc.encoding != "clear" else 1, len(sc.roles), scenario)


def rank_scenarios(evidence: list[ScenarioEvidence]) -> list[ScenarioEvidence]:
    """Best first, on the conservative end: recall's lower bound, then precision's (or precision),
    then the scenario sharing the fewest identifiers in the clear (data minimisation)."""
    def key(e: ScenarioEvidence) -> tuple[float, float, tuple[int, int, str]]:
        low = e.recall.low if e.recall.low is not None else -1.0
        if e.recall.upper_bound_only:
            low = -0.5  # an unchecked upper bound ranks below any interval
        p = e.precision_low if e.precision_low is not None else (e.precision if e.precision is not None else -1.0)
        return (-low, -p, _identifier_rank(e.scenario))
    return sorted(evidence, key=key)
