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
class ReadinessSettings:
    """Everything :func:`evaluation.compute_and_store` needs besides the data.

    Attributes:
        design: the design and power inputs.
        measures: licensed/unverified measure settings (cut-offs, SCORE-15 recoding per site...).
        consent_rate: share of referred people who would consent to the evaluation [unverified
            placeholder]; ``consent_rate_by_site`` overrides it per site.
        default_retention: baseline -> follow-up retention used when a site has no follow-up
            due yet [unverified placeholder: calibration §9.2, 60% engaged at 12 months].
        default_linkage_recall: used when the warehouse has no linkage run [unverified].
        retention_by_site, linkage_recall_by_site: explicit overrides of the observed values
            (sensitivity analysis: e.g. halve one and see the timeline lengthen).
        followup_due_months: people referred fewer months than this before ``as_of`` are not
            yet due a follow-up and are left out of follow-up denominators.
        flow_window_months: trailing months of referrals used for the monthly flow.
        small_count: counts from 1 to ``small_count - 1`` are suppressed in site views.
        include_csc_outcome: also project an outcome taken from linked CSC records.
        gap_rating_max: synthesis availability ratings (0-4) at or below this are data gaps.
        max_gaps_listed: at most this many synthesis-rated gaps per site in the summary.
    """

    design: DesignSettings = field(default_factory=DesignSettings)
    measures: MeasureSettings = field(default_factory=MeasureSettings)
    consent_rate: float = 0.7
    consent_rate_by_site: Mapping[str, float] = field(default_factory=dict)
    default_retention: float = 0.6
    default_linkage_recall: float = 0.8
    retention_by_site: Mapping[str, float] = field(default_factory=dict)
    linkage_recall_by_site: Mapping[str, float] = field(default_factory=dict)
    followup_due_months: int = 6
    flow_window_months: int = 12
    small_count: int = 6
    include_csc_outcome: bool = True
    gap_rating_max: int = 1
    max_gaps_listed: int = 6

    def __post_init__(self) -> None:
        problems = self.design.problems()
        rates = {"consent_rate": self.consent_rate, "default_retention": self.default_retention,
                 "default_linkage_recall": self.default_linkage_recall}
        for name, mapping in (("consent_rate_by_site", self.consent_rate_by_site),
                              ("retention_by_site", self.retention_by_site),
                              ("linkage_recall_by_site", self.linkage_recall_by_site)):
            rates.update({f"{name}[{k}]": v for k, v in mapping.items()})
        for name, value in rates.items():
            if not 0 <= value <= 1:
                problems.append(f"{name} {value}; give a proportion in [0, 1]")
        if self.followup_due_months < 0:
            problems.append(f"followup_due_months {self.followup_due_months}; give 0 or more")
        if self.flow_window_months < 1:
            problems.append(f"flow_window_months {self.flow_window_months}; give at least 1")
        if self.small_count < 1:
            problems.append(f"small_count {self.small_count}; give at least 1 (6 suppresses 1-5)")
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
        """Parse settings from a mapping (e.g. a TOML table); unknown keys are all reported at once."""
        known = {f.name for f in dataclasses.fields(cls)}
        design_known = {f.name for f in dataclasses.fields(DesignSettings)}
        measure_known = {f.name for f in dataclasses.fields(MeasureSettings)}
        problems = [f"unknown setting {k!r}{did_you_mean(k, known)}" for k in data if k not in known]
        design = dict(data.get("design", {}))
        problems += [f"unknown design setting {k!r}{did_you_mean(k, design_known)}" for k in design
                     if k not in design_known]
        measures = dict(data.get("measures", {}))
        problems += [f"unknown measure setting {k!r}{did_you_mean(k, measure_known)}" for k in measures
                     if k not in measure_known]
        if problems:
            raise ConfigError("invalid readiness settings: " + "; ".join(problems))
        rest = {k: v for k, v in data.items() if k not in ("design", "measures")}
        if "asqse2_cutoffs" in measures:
            measures["asqse2_cutoffs"] = {int(k): float(v) for k, v in measures["asqse2_cutoffs"].items()}
        if "asq3_cutoffs" in measures:
            measures["asq3_cutoffs"] = {int(k): tuple(float(x) for x in v) for k, v in measures["asq3_cutoffs"].items()}
        return cls(design=DesignSettings(**design), measures=MeasureSettings(**measures), **rest)


def _jsonable(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return str(value)
