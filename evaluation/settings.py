"""Typed settings for the readiness analysis (frozen dataclasses, validated all at once).

Every default that is not a fact from the data is a named, overridable placeholder and is marked
unverified in ``docs/evaluation-readiness.md``: the consent rate, the fallback retention and
linkage recall, the matched-comparison design effect, the ICC and cluster size.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from warehouse.errors import ConfigError, did_you_mean
from warehouse.measures import MeasureSettings

Design = Literal["individual_rct", "cluster_rct", "matched_comparison"]
DESIGNS: tuple[str, ...] = ("individual_rct", "cluster_rct", "matched_comparison")
FamilyClustering = Literal["one_per_family", "design_effect"]
FAMILY_CLUSTERING: tuple[str, ...] = ("one_per_family", "design_effect")

# ASQ administration windows in completed months of age: interval -> (first, last month). The
# licensed guides give windows in months and days; these whole-month windows are unverified
# placeholders (settings), as are the ASQ-3 per-interval cut-offs below.
ASQ3_WINDOWS: dict[int, tuple[int, int]] = {
    2: (1, 2), 4: (3, 4), 6: (5, 6), 8: (7, 8), 10: (9, 10), 12: (11, 12), 14: (13, 14), 16: (15, 16),
    18: (17, 18), 20: (19, 20), 22: (21, 22), 24: (23, 25), 27: (26, 28), 30: (29, 31), 33: (32, 34),
    36: (35, 38), 42: (39, 44), 48: (45, 50), 54: (51, 56), 60: (57, 66),
}
ASQSE2_WINDOWS: dict[int, tuple[int, int]] = {
    2: (1, 2), 6: (3, 8), 12: (9, 14), 18: (15, 20), 24: (21, 26), 30: (27, 32), 36: (33, 41), 48: (42, 53),
    60: (54, 72),
}
# Area cut-offs (communication, gross motor, fine motor, problem solving, personal-social) per ASQ-3
# interval, as often quoted from the licensed User's Guide. Only the 36-month row is public in the
# reference; every row is an unverified placeholder until checked against the licensed table.
ASQ3_PLACEHOLDER_CUTOFFS: dict[int, tuple[float, float, float, float, float]] = {
    2: (22.77, 41.84, 30.16, 24.62, 33.71), 4: (34.60, 38.41, 29.62, 34.98, 33.16),
    6: (29.65, 22.25, 25.14, 27.72, 25.34), 8: (33.06, 30.61, 40.15, 36.17, 35.84),
    10: (22.87, 30.07, 37.97, 32.51, 27.25), 12: (15.64, 21.49, 34.50, 27.32, 21.73),
    14: (17.40, 25.80, 23.06, 22.56, 23.18), 16: (16.81, 37.91, 31.98, 30.51, 26.43),
    18: (13.06, 37.38, 34.32, 25.74, 27.19), 20: (20.50, 39.89, 36.05, 28.84, 33.36),
    22: (13.04, 27.75, 29.61, 29.30, 30.07), 24: (25.17, 38.07, 35.16, 29.78, 31.54),
    27: (24.02, 28.01, 18.42, 27.62, 25.31), 30: (33.30, 36.14, 19.25, 27.08, 32.01),
    33: (25.36, 34.80, 12.28, 26.92, 28.96), 36: (30.99, 36.99, 18.07, 30.29, 35.33),
    42: (27.06, 36.27, 19.82, 28.11, 31.12), 48: (30.72, 32.78, 15.81, 31.30, 26.60),
    54: (31.85, 35.18, 17.32, 28.12, 32.33), 60: (33.19, 31.28, 26.54, 29.99, 39.07),
}


@dataclass(frozen=True)
class DesignSettings:
    """The evaluation design whose sample size the timeline projects.

    Attributes:
        design: ``individual_rct`` (both arms recruited from the site's referrals),
            ``cluster_rct`` (design effect 1 + (m - 1) ICC; both arms from referrals) or
            ``matched_comparison`` (only the treated arm from referrals; comparators from LA
            records; design effect ``matched_design_effect``).
        mdes: minimum detectable effect size (standardised mean difference, Cohen's d).
        alpha: two-sided significance level.
        power: 1 - beta.
        allocation_ratio: control : intervention (n2 = ratio x n1).
        icc: intra-cluster correlation (cluster_rct).
        cluster_size: mean participants per cluster m (cluster_rct).
        matched_design_effect: variance inflation of a matched comparison [unverified placeholder].
    """

    design: Design = "individual_rct"
    mdes: float = 0.3
    alpha: float = 0.05
    power: float = 0.8
    allocation_ratio: float = 1.0
    icc: float = 0.05
    cluster_size: float = 10.0
    matched_design_effect: float = 1.5

    def problems(self) -> list[str]:
        """Every problem with these settings (empty when valid)."""
        out = []
        if self.design not in DESIGNS:
            out.append(f"design {self.design!r}; allowed {', '.join(DESIGNS)}{did_you_mean(self.design, DESIGNS)}")
        if not 0 < self.mdes <= 5:
            out.append(f"mdes {self.mdes}; give a standardised effect size in (0, 5], e.g. 0.3")
        if not 0 < self.alpha < 0.5:
            out.append(f"alpha {self.alpha}; give a value in (0, 0.5), e.g. 0.05")
        if not self.alpha < self.power < 1:
            out.append(f"power {self.power}; give a value between alpha and 1, e.g. 0.8")
        if not 0 < self.allocation_ratio <= 10:
            out.append(f"allocation_ratio {self.allocation_ratio}; give a value in (0, 10]")
        if not 0 <= self.icc < 1:
            out.append(f"icc {self.icc}; give a value in [0, 1)")
        if self.cluster_size < 1:
            out.append(f"cluster_size {self.cluster_size}; give at least 1")
        if self.matched_design_effect < 1:
            out.append(f"matched_design_effect {self.matched_design_effect}; give at least 1")
        return out


@dataclass(frozen=True)
class AsqSettings:
    """Age intervals for ASQ-3 and ASQ:SE-2 [unverified placeholders: the licensed guides hold them].

    Attributes:
        asq3_windows, asqse2_windows: interval (months) -> (first, last) completed month of age
            at which that interval's questionnaire is used.
        asq3_cutoffs: ASQ-3 area cut-offs per interval; an interval set in
            ``MeasureSettings.asq3_cutoffs`` (the measure catalogue's licensed setting) wins.
    """

    asq3_windows: Mapping[int, tuple[int, int]] = field(default_factory=lambda: dict(ASQ3_WINDOWS))
    asqse2_windows: Mapping[int, tuple[int, int]] = field(default_factory=lambda: dict(ASQSE2_WINDOWS))
    asq3_cutoffs: Mapping[int, tuple[float, float, float, float, float]] = field(
        default_factory=lambda: dict(ASQ3_PLACEHOLDER_CUTOFFS))

    def problems(self) -> list[str]:
        """Every problem with these settings (empty when valid)."""
        out = []
        for name, windows in (("asq3_windows", self.asq3_windows), ("asqse2_windows", self.asqse2_windows)):
            for interval, (first, last) in windows.items():
                if not 0 <= first <= last:
                    out.append(f"{name}[{interval}] = ({first}, {last}); give (first, last) months with first <= last")
        for interval, cuts in self.asq3_cutoffs.items():
            if len(cuts) != 5:
                out.append(f"asq3_cutoffs[{interval}] has {len(cuts)} values; give one per area (5)")
        return out


@dataclass(frozen=True)
class VerdictSettings:
    """Linkage feasibility rules (linkage-quality-reporting §8.3, configurable defaults, unverified policy).

    Recall is judged on the lower end of its interval, never on the point estimate.

    Attributes:
        feasible_precision, feasible_precision_low, feasible_recall_low, feasible_gap,
        feasible_clerical: "feasible" needs precision, its lower bound, recall's lower bound at or
            above these, the worst subgroup gap and the clerical share at or below them.
        conditional_precision, conditional_recall_low, conditional_gap, conditional_clerical: the
            same limits for "feasible with conditions".
        max_interval_width: a recall interval wider than this gives "unknown: review a sample".
        must_link_margin: how far the share of children who must link may sit from recall; its
            interval is widened by this much each way [measured once on a synthetic world, issue 14:
            within 0.033; a placeholder to confirm on more worlds].
        min_subgroup_records: subgroups smaller than this are left out of the worst gap.
        z: normal quantile of the intervals (1.96 = 95%).
    """

    feasible_precision: float = 0.95
    feasible_precision_low: float = 0.90
    feasible_recall_low: float = 0.90
    feasible_gap: float = 0.10
    feasible_clerical: float = 0.10
    conditional_precision: float = 0.90
    conditional_recall_low: float = 0.80
    conditional_gap: float = 0.20
    conditional_clerical: float = 0.25
    max_interval_width: float = 0.2
    must_link_margin: float = 0.035
    min_subgroup_records: int = 20
    z: float = 1.96

    def problems(self) -> list[str]:
        """Every problem with these settings (empty when valid)."""
        out = []
        for name in ("feasible_precision", "feasible_precision_low", "feasible_recall_low", "feasible_gap",
                     "feasible_clerical", "conditional_precision", "conditional_recall_low", "conditional_gap",
                     "conditional_clerical"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                out.append(f"verdict {name} {value}; give a proportion in [0, 1]")
        if not 0 < self.max_interval_width <= 1:
            out.append(f"verdict max_interval_width {self.max_interval_width}; give a width in (0, 1], e.g. 0.2")
        if not 0 <= self.must_link_margin < 0.5:
            out.append(f"verdict must_link_margin {self.must_link_margin}; give a value in [0, 0.5), e.g. 0.035")
        if self.min_subgroup_records < 1:
            out.append(f"verdict min_subgroup_records {self.min_subgroup_records}; give at least 1")
        if not 0 < self.z < 10:
            out.append(f"verdict z {self.z}; give a normal quantile such as 1.96")
        return out


@dataclass(frozen=True)
class ReadinessSettings:
    """Everything :func:`evaluation.compute_and_store` needs besides the data.

    Small-count suppression is not a setting here: its threshold and symbol come from the one
    policy, :data:`warehouse.disclosure.DEFAULT_POLICY`.

    Attributes:
        design: the design and power inputs.
        measures: licensed/unverified measure settings (cut-offs, SCORE-15 recoding per site...).
        asq: ASQ-3 and ASQ:SE-2 age intervals and per-interval cut-offs [unverified placeholders].
        verdict: the linkage feasibility rules.
        consent_rate: share of referred people who would consent to the evaluation [unverified
            placeholder]; ``consent_rate_by_site`` overrides it per site.
        default_retention: baseline -> follow-up retention used when a site has no follow-up
            due yet [unverified placeholder: calibration §9.2, 60% engaged at 12 months].
        default_linkage_recall: used when the warehouse has no linkage run [unverified].
        retention_by_site, linkage_recall_by_site: explicit overrides of the observed values
            (sensitivity analysis: e.g. halve one and see the timeline lengthen).
        primary_measure_by_site: a site's stated primary measure (code); otherwise the rule in
            ``docs/evaluation-readiness.md`` chooses one.
        family_clustering: ``one_per_family`` counts one eligible respondent per family;
            ``design_effect`` counts everyone and inflates the target by 1 + (m - 1)·ICC, with m
            the observed mean eligible people per family.
        family_icc: within-family correlation for ``design_effect`` [unverified placeholder].
        followup_interval_days_by_site: baseline-to-follow-up interval per site; otherwise the
            median observed interval of the site and measure, else ``followup_due_months``.
        followup_due_months: the fallback follow-up interval when none is observed or set.
        followup_window_days: days after the due date in which a follow-up still counts; people
            whose window has not closed by ``as_of`` are left out of follow-up denominators.
        flow_window_months: trailing months of referrals used for the monthly flow.
        study_period_months: recruitment months the study has; a target further away is flagged
            "not reachable within the study period" [unverified placeholder].
        include_csc_outcome: also project an outcome taken from linked CSC records.
        gap_rating_max: synthesis availability ratings (0-4) at or below this are data gaps.
        max_gaps_listed: at most this many synthesis-rated gaps per site in the summary.
    """

    design: DesignSettings = field(default_factory=DesignSettings)
    measures: MeasureSettings = field(default_factory=MeasureSettings)
    asq: AsqSettings = field(default_factory=AsqSettings)
    verdict: VerdictSettings = field(default_factory=VerdictSettings)
    consent_rate: float = 0.7
    consent_rate_by_site: Mapping[str, float] = field(default_factory=dict)
    default_retention: float = 0.6
    default_linkage_recall: float = 0.8
    retention_by_site: Mapping[str, float] = field(default_factory=dict)
    linkage_recall_by_site: Mapping[str, float] = field(default_factory=dict)
    primary_measure_by_site: Mapping[str, str] = field(default_factory=dict)
    family_clustering: FamilyClustering = "one_per_family"
    family_icc: float = 0.5
    followup_interval_days_by_site: Mapping[str, int] = field(default_factory=dict)
    followup_due_months: int = 6
    followup_window_days: int = 60
    flow_window_months: int = 12
    study_period_months: int = 36
    include_csc_outcome: bool = True
    gap_rating_max: int = 1
    max_gaps_listed: int = 6

    def __post_init__(self) -> None:
        problems = [*self.design.problems(), *self.asq.problems(), *self.verdict.problems()]
        rates = {"consent_rate": self.consent_rate, "default_retention": self.default_retention,
                 "default_linkage_recall": self.default_linkage_recall, "family_icc": self.family_icc}
        for name, mapping in (("consent_rate_by_site", self.consent_rate_by_site),
                              ("retention_by_site", self.retention_by_site),
                              ("linkage_recall_by_site", self.linkage_recall_by_site)):
            rates.update({f"{name}[{k}]": v for k, v in mapping.items()})
        for name, value in rates.items():
            if not 0 <= value <= 1:
                problems.append(f"{name} {value}; give a proportion in [0, 1]")
        if self.family_clustering not in FAMILY_CLUSTERING:
            problems.append(f"family_clustering {self.family_clustering!r}; allowed {', '.join(FAMILY_CLUSTERING)}"
                            f"{did_you_mean(self.family_clustering, FAMILY_CLUSTERING)}")
        for site, days in self.followup_interval_days_by_site.items():
            if days < 1:
                problems.append(f"followup_interval_days_by_site[{site}] {days}; give at least 1 day")
        for name, value, low in (("followup_due_months", self.followup_due_months, 0),
                                 ("followup_window_days", self.followup_window_days, 0),
                                 ("flow_window_months", self.flow_window_months, 1),
                                 ("study_period_months", self.study_period_months, 1)):
            if value < low:
                problems.append(f"{name} {value}; give {low} or more")
        if problems:
            raise ConfigError("invalid readiness settings: " + "; ".join(problems))

    def consent_for(self, site: str) -> float:
        """The consent rate assumed for a site."""
        return self.consent_rate_by_site.get(site, self.consent_rate)

    def to_json(self) -> str:
        """The settings as a JSON string (stored with the results)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True, default=_jsonable)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ReadinessSettings:
        """Parse settings from a mapping (e.g. a TOML table); unknown keys are all reported at once.

        Example:
            >>> ReadinessSettings.from_mapping({"consent_rate": 0.5, "verdict": {"max_interval_width": 0.1}}).verdict.max_interval_width
            0.1
        """
        nested: dict[str, type] = {"design": DesignSettings, "measures": MeasureSettings, "asq": AsqSettings,
                                   "verdict": VerdictSettings}
        known = {f.name for f in dataclasses.fields(cls)}
        problems = [f"unknown setting {k!r}{did_you_mean(k, known)}" for k in data if k not in known]
        parts: dict[str, dict[str, Any]] = {}
        for name, kind in nested.items():
            part = dict(data.get(name, {}))
            allowed = {f.name for f in dataclasses.fields(kind)}
            problems += [f"unknown {name} setting {k!r}{did_you_mean(k, allowed)}" for k in part if k not in allowed]
            parts[name] = part
        if problems:
            raise ConfigError("invalid readiness settings: " + "; ".join(problems))
        measures, asq = parts["measures"], parts["asq"]
        if "asqse2_cutoffs" in measures:
            measures["asqse2_cutoffs"] = {int(k): float(v) for k, v in measures["asqse2_cutoffs"].items()}
        if "asq3_cutoffs" in measures:
            measures["asq3_cutoffs"] = {int(k): tuple(float(x) for x in v) for k, v in measures["asq3_cutoffs"].items()}
        for key in ("asq3_windows", "asqse2_windows"):
            if key in asq:
                asq[key] = {int(k): (int(v[0]), int(v[1])) for k, v in asq[key].items()}
        if "asq3_cutoffs" in asq:
            asq["asq3_cutoffs"] = {int(k): tuple(float(x) for x in v) for k, v in asq["asq3_cutoffs"].items()}
        rest = {k: v for k, v in data.items() if k not in nested}
        return cls(design=DesignSettings(**parts["design"]), measures=MeasureSettings(**measures),
                   asq=AsqSettings(**asq), verdict=VerdictSettings(**parts["verdict"]), **rest)


def _jsonable(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return str(value)
