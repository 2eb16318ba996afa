"""Outcome-measure catalogue: one class per measure, registered in :data:`MEASURES`.

Facts come from ``shared/reference/csc-data-standards.md`` §6 (items, item scale, reverse-scored
items, subscales, total range, direction, bands, cut-offs, respondent, ages, missing-item rules).
Values the reference marks *unverified* or that sit in a licensed manual (ASQ:SE-2 cut-offs, ASQ-3
interval cut-offs, the CORE-10 prorating rule, the MORS-SF item 13/14 split, the SCORE-15 anchor
direction) are named, overridable settings in :class:`MeasureSettings`; :meth:`Measure.configured`
returns a copy of a measure with those settings applied. Item wording is never stored.

The generator and loader rely on ``code``, ``name``, ``n_items``, ``item_values``, ``total_range``
and ``score(items)``. Scoring follows the measure's own missing-item rule: prorate where the
measure allows it, otherwise ``None`` — never a silent zero.

Example:
    >>> get_measure("PHQ-9").score([1, 1, 2, 0, 1, 3, 0, 1, 0])
    9.0
    >>> get_measure("phq9").band(9.0)
    'mild'
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from warehouse.errors import ConfigError, did_you_mean
from warehouse.registry import Registry

Respondent = Literal["parent", "child"]
Subject = Literal["child", "adult"]
Score15Recoding = Literal["official_form", "reversed_anchors"]

__all__ = [
    "MEASURES", "Asq3", "AsqSe2", "Band", "CodaChild", "CodaMother", "Core10", "Cries13", "Dash", "Gad7",
    "Iesr", "Measure", "MeasureSettings", "Mors", "Phq9", "Score", "Score15", "Subscale", "get_measure",
    "register",
]


@dataclass(frozen=True)
class Band:
    """A severity band on the total score: ``low <= total <= high`` (inclusive)."""

    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Subscale:
    """A named group of items (1-based numbers) scored as a sum of recoded items."""

    name: str
    items: tuple[int, ...]
    verified: bool = True


@dataclass(frozen=True)
class Score:
    """The result of scoring one completed questionnaire.

    ``total`` is ``None`` when the missing-item rule allows no score. ``flags`` holds item-level
    alerts the measure defines (e.g. PHQ-9 item 9 > 0), which apply whatever the total.
    """

    total: float | None
    n_missing: int
    prorated: bool
    subscales: dict[str, float | None]
    band: str | None
    clinical: bool | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeasureSettings:
    """Overridable settings for licensed or unverified measure facts (all defaults unverified).

    Attributes:
        asqse2_interval_months: the ASQ:SE-2 questionnaire interval the sites use.
        asqse2_cutoffs: ASQ:SE-2 cut-off per interval (figures often quoted; confirm against the
            licensed guide, csc-data-standards §6.2).
        asq3_interval_months: the ASQ-3 interval whose area cut-offs are applied.
        asq3_cutoffs: ASQ-3 area cut-offs per interval (Communication, Gross Motor, Fine Motor,
            Problem Solving, Personal-Social); only the 36-month example is public.
        core10_max_missing: CORE-10 items that may be prorated (reference: ≤1, unverified).
        mors_item13: which MORS-SF subscale item 13 belongs to (item 14 takes the other).
        score15_recoding: per site, how its SCORE-15 form's anchors run.
        score15_default_recoding: for sites not listed.
        reliability: per measure code, an override of the published reliability used for the RCI.
    """

    asqse2_interval_months: int = 30
    asqse2_cutoffs: Mapping[int, float] = field(default_factory=lambda: {
        2: 35, 6: 45, 12: 48, 18: 50, 24: 50, 30: 57, 36: 59, 48: 70, 60: 70,
    })
    asq3_interval_months: int = 36
    asq3_cutoffs: Mapping[int, tuple[float, float, float, float, float]] = field(default_factory=lambda: {
        36: (30.99, 36.99, 18.07, 30.29, 35.33),
    })
    core10_max_missing: int = 1
    mors_item13: Literal["warmth", "invasion"] = "warmth"
    score15_recoding: Mapping[str, Score15Recoding] = field(default_factory=dict)
    score15_default_recoding: Score15Recoding = "official_form"
    reliability: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.asqse2_interval_months not in self.asqse2_cutoffs:
            problems.append(
                f"asqse2_interval_months={self.asqse2_interval_months} has no cut-off; "
                f"intervals with cut-offs: {sorted(self.asqse2_cutoffs)}"
            )
        if self.core10_max_missing not in (0, 1, 2):
            problems.append(f"core10_max_missing={self.core10_max_missing}; allowed 0, 1 or 2")
        if self.mors_item13 not in ("warmth", "invasion"):
            problems.append(f"mors_item13={self.mors_item13!r}; allowed 'warmth' or 'invasion'")
        for site, recoding in {**self.score15_recoding, "(default)": self.score15_default_recoding}.items():
            if recoding not in ("official_form", "reversed_anchors"):
                problems.append(
                    f"score15 recoding {recoding!r} for site {site}; allowed 'official_form' or 'reversed_anchors'"
                )
        for code, r in self.reliability.items():
            if not 0 < r < 1:
                problems.append(f"reliability for {code!r} is {r}; give a value strictly between 0 and 1")
        if problems:
            raise ConfigError("invalid measure settings: " + "; ".join(problems))


@dataclass(frozen=True)
class Measure:
    """An outcome measure: items, item scale, direction, bands, cut-offs and its scoring rules.

    The first seven fields are the original contract (positional); the rest have defaults.

    Attributes:
        code, name: registry key and display name.
        n_items: number of scored items.
        item_values: allowed raw item values.
        total_range: (min, max) of the total.
        higher_is_worse: direction of the total (after recoding).
        respondent: who completes it (``parent`` or ``child``).
        subject: who it is about (``child`` or ``adult``).
        subject_roles: service-record roles the measure is about (eligibility).
        ages_months: (min, max) age in months it applies to; ``None`` = adults.
        reverse_items: 1-based items recoded as ``min + max - value``.
        subscales: named item groups.
        bands: severity bands on the total.
        cutoff: clinical cut-off on the total (clinical when ``>= cutoff`` for higher-is-worse,
            ``< cutoff`` for higher-is-better); ``None`` when none is published.
        cutoff_source: where the cut-off comes from (``[unverified]`` when not checked).
        max_missing: items that may be missing and prorated (0 = any missing item gives no score).
        reliability: internal consistency used for the Jacobson-Truax reliable change index.
        reliability_source: citation, ``[unverified]`` when not checked in the reference.
        reliable_change_points: a published fixed reliable-change threshold, preferred over the
            reliability-based one when present.
        risk_items: 1-based items flagged when > 0 whatever the total.
        notes: caveats shown in reports.
        outcome_candidate: whether it can serve as a trial outcome (a risk checklist cannot).
    """

    code: str
    name: str
    n_items: int
    item_values: tuple[int, ...]
    total_range: tuple[int, int]
    higher_is_worse: bool
    respondent: str  # "child" | "parent"
    subject: Subject = "adult"
    subject_roles: tuple[str, ...] = ("victim_parent",)
    ages_months: tuple[int, int] | None = None
    reverse_items: tuple[int, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    bands: tuple[Band, ...] = ()
    cutoff: float | None = None
    cutoff_source: str | None = None
    max_missing: int = 0
    reliability: float | None = None
    reliability_source: str | None = None
    reliable_change_points: float | None = None
    risk_items: tuple[int, ...] = ()
    notes: str = ""
    outcome_candidate: bool = True

    # ------------------------------------------------------------------ scoring
    def item_problems(self, items: Sequence[int | None]) -> list[str]:
        """Describe why these items cannot be scored as given (wrong count, value off the scale)."""
        problems = []
        if len(items) != self.n_items:
            problems.append(f"{self.name} has {self.n_items} items, got {len(items)}")
        allowed = _scale(self.item_values)[0]
        if not allowed.issuperset(items):
            for i, v in enumerate(items, start=1):
                if v is not None and v not in allowed:
                    problems.append(f"{self.name} item {i} is {v}; allowed {list(self.item_values)}")
        return problems

    def recode(self, items: Sequence[int | None]) -> list[int | None]:
        """Apply reverse scoring (``min + max - value``) to :attr:`reverse_items`."""
        if not self.reverse_items:
            return list(items)
        pivot = _scale(self.item_values)[1]
        reverse = _positions(self.reverse_items, self.n_items)
        return [(pivot - v) if (v is not None and flip) else v for v, flip in zip(items, reverse, strict=False)]

    def _sum_prorated(self, values: Sequence[int | None], max_missing: int) -> tuple[float | None, bool]:
        answered = [v for v in values if v is not None]
        missing = len(values) - len(answered)
        if not answered or missing > max_missing:
            return None, False
        total = float(sum(answered))
        if missing:
            return total * len(values) / len(answered), True
        return total, False

    def score_detail(self, items: Sequence[int | None]) -> Score:
        """Score items with this measure's rules: recoding, prorating, subscales, band, flags.

        Items that cannot be scored (wrong count or a value off the scale) give ``total=None``.
        """
        n_missing = sum(1 for v in items if v is None)
        if self.item_problems(items):
            return Score(None, n_missing, False, {}, None, None)
        recoded = self.recode(items)
        total, prorated = self._sum_prorated(recoded, self.max_missing)
        subs = {s.name: self._subscale(recoded, s) for s in self.subscales}
        flags = tuple(f"item {i} > 0" for i in self.risk_items if (items[i - 1] or 0) > 0)
        return Score(total, n_missing, prorated, subs, self.band(total), self.is_clinical(total), flags)

    def _subscale(self, recoded: Sequence[int | None], sub: Subscale) -> float | None:
        values = [recoded[i - 1] for i in sub.items]
        allowed = math.floor(self.max_missing * len(sub.items) / self.n_items)
        return self._sum_prorated(values, allowed)[0]

    def score(self, items: list[int | None]) -> float | None:
        """Total score from item values; ``None`` (never a silent zero) when the measure's
        missing-item rule allows no score or the items are invalid."""
        return self.score_detail(items).total

    # ------------------------------------------------------------------ interpretation
    def band(self, total: float | None) -> str | None:
        """The severity band label for a total (``None`` when unscored or no bands)."""
        if total is None:
            return None
        for b in self.bands:
            if b.low <= total <= b.high:
                return b.label
        # prorated totals can fall between integer band edges: use the band below
        below = [b for b in self.bands if b.low <= total]
        return below[-1].label if below else None

    def is_clinical(self, total: float | None) -> bool | None:
        """Whether a total is on the clinical side of :attr:`cutoff` (``None`` if either is missing)."""
        if total is None or self.cutoff is None:
            return None
        return total >= self.cutoff if self.higher_is_worse else total < self.cutoff

    def applies_to_age(self, age_months: float | None) -> bool:
        """Whether the measure applies at this age (``None`` age: unknown, so assume it does)."""
        if age_months is None:
            return True
        if self.ages_months is None:
            return age_months >= 16 * 12
        lo, hi = self.ages_months
        return lo <= age_months <= hi

    def configured(self, settings: MeasureSettings | None = None, site: str | None = None) -> Measure:
        """A copy with licensed/unverified settings applied (base measures only take reliability)."""
        settings = settings or MeasureSettings()
        if self.code in settings.reliability:
            return dataclasses.replace(self, reliability=settings.reliability[self.code],
                                       reliability_source="setting override")
        return self


@functools.lru_cache(maxsize=256)
def _scale(values: tuple[int, ...]) -> tuple[frozenset[int | None], int]:
    """Allowed item values (None = missing) and ``min + max`` for reverse scoring."""
    return frozenset((*values, None)), min(values) + max(values)


@functools.lru_cache(maxsize=256)
def _positions(items: tuple[int, ...], n_items: int) -> tuple[bool, ...]:
    """A flag per item position (0-based) for a tuple of 1-based item numbers."""
    chosen = set(items)
    return tuple(i in chosen for i in range(1, n_items + 1))


#: Every outcome measure by code; the built-ins register themselves below exactly as a new one would.
MEASURES: Registry[Measure] = Registry("outcome measure", name_attr="code")


def _normalise(code: str) -> str:
    return re.sub(r"[\s\-:_]", "", str(code).lower())


def register(measure: Measure) -> Measure:
    """Register a measure (built-ins use this too); checks its declaration is coherent."""
    problems = []
    lo, hi = min(measure.item_values), max(measure.item_values)
    for i in (*measure.reverse_items, *measure.risk_items, *(j for s in measure.subscales for j in s.items)):
        if not 1 <= i <= measure.n_items:
            problems.append(f"item {i} outside 1..{measure.n_items}")
    if measure.total_range[0] > measure.total_range[1]:
        problems.append(f"total_range {measure.total_range} is reversed")
    if type(measure).score_detail is Measure.score_detail and (
        measure.total_range != (lo * measure.n_items, hi * measure.n_items)
    ):
        problems.append(f"total_range {measure.total_range} != items x scale {(lo * measure.n_items, hi * measure.n_items)}")
    if problems:
        raise ConfigError(f"measure {measure.code!r} is inconsistent: " + "; ".join(problems))
    return MEASURES.register(measure, replace=True)


def get_measure(code: str) -> Measure:
    """Return a registered measure by code or display name (``'PHQ-9'`` works) or raise ConfigError."""
    key = _normalise(code)
    if key == "score10":
        raise ConfigError(
            f"{code!r}: SCORE-10 does not exist (known SCORE versions are SCORE-40, SCORE-28, SCORE-15 and "
            "Child SCORE); did you mean 'core10' (CORE-10) or 'score15' (SCORE-15)?"
        )
    if code in MEASURES:
        return MEASURES[code]
    for m in MEASURES.values():
        if key in (_normalise(m.code), _normalise(m.name)):
            return m
    raise ConfigError(
        f"unknown outcome measure {code!r}; registered: {', '.join(sorted(MEASURES))}"
        f"{did_you_mean(key, MEASURES)}"
    )


# ====================================================================== built-in measures
_UNVERIFIED = " [unverified]"


@dataclass(frozen=True)
class Asq3(Measure):
    """ASQ-3: 5 areas x 6 items, Yes=10/Sometimes=5/Not yet=0, each area 0-60, higher = better.

    Areas are not summed officially. ``total`` here is the **mean of the five area scores**
    (0-60), a linkready summary used for completeness and change; screening uses each area
    against the interval's licensed cut-off (:meth:`area_flags`). Up to 2 omitted items per area
    are ratio-scored (area x 6 / answered).
    """

    code: str = "asq3"
    name: str = "ASQ-3"
    n_items: int = 30
    item_values: tuple[int, ...] = (0, 5, 10)
    total_range: tuple[int, int] = (0, 60)
    higher_is_worse: bool = False
    respondent: str = "parent"
    subject: Subject = "child"
    subject_roles: tuple[str, ...] = ("child",)
    ages_months: tuple[int, int] | None = (1, 66)
    subscales: tuple[Subscale, ...] = (
        Subscale("communication", (1, 2, 3, 4, 5, 6)),
        Subscale("gross_motor", (7, 8, 9, 10, 11, 12)),
        Subscale("fine_motor", (13, 14, 15, 16, 17, 18)),
        Subscale("problem_solving", (19, 20, 21, 22, 23, 24)),
        Subscale("personal_social", (25, 26, 27, 28, 29, 30)),
    )
    max_missing: int = 2  # per area
    cutoffs: tuple[float, float, float, float, float] | None = (30.99, 36.99, 18.07, 30.29, 35.33)
    cutoff_source: str | None = "ASQ-3 User's Guide Table 18, 36-month example (licensed)"
    notes: str = "total = mean of the five area scores (areas are not summed officially)"

    def score_detail(self, items: Sequence[int | None]) -> Score:
        n_missing = sum(1 for v in items if v is None)
        if self.item_problems(items):
            return Score(None, n_missing, False, {}, None, None)
        subs: dict[str, float | None] = {}
        prorated = False
        for s in self.subscales:
            area, was_prorated = self._sum_prorated([items[i - 1] for i in s.items], self.max_missing)
            subs[s.name] = area
            prorated = prorated or was_prorated
        areas = [a for a in subs.values() if a is not None]
        total = sum(areas) / len(areas) if len(areas) == len(subs) else None
        flags = self.area_flags(subs)
        clinical = None if total is None or self.cutoffs is None else bool(flags)
        return Score(total, n_missing, prorated, subs, None, clinical, flags)

    def area_flags(self, areas: Mapping[str, float | None]) -> tuple[str, ...]:
        """Areas at or below the interval's cut-off (refer for assessment)."""
        if self.cutoffs is None:
            return ()
        return tuple(
            f"{name} below cut-off" for (name, value), cut in zip(areas.items(), self.cutoffs, strict=True)
            if value is not None and value <= cut
        )

    def is_clinical(self, total: float | None) -> bool | None:
        return None  # per area, not on the summary total

    def configured(self, settings: MeasureSettings | None = None, site: str | None = None) -> Measure:
        settings = settings or MeasureSettings()
        return dataclasses.replace(
            self, cutoffs=settings.asq3_cutoffs.get(settings.asq3_interval_months),
            cutoff_source=f"{settings.asq3_interval_months}-month interval setting{_UNVERIFIED}",
        )


@dataclass(frozen=True)
class AsqSe2(Measure):
    """ASQ:SE-2: Z=0/V=5/X=10, +5 per "concern" (item 0-15), single total, higher = more concern.

    Intervals have 16-36 items; linkready stores a fixed 30-item form. Missing items are
    estimated from the average item score: ≤2 blanks at 2-18 months, ≤3 at 24-60 months. The
    cut-off depends on the interval and is licensed and **unverified** (a setting).
    """

    code: str = "asqse2"
    name: str = "ASQ:SE-2"
    n_items: int = 30
    item_values: tuple[int, ...] = (0, 5, 10, 15)
    total_range: tuple[int, int] = (0, 450)
    higher_is_worse: bool = True
    respondent: str = "parent"
    subject: Subject = "child"
    subject_roles: tuple[str, ...] = ("child",)
    ages_months: tuple[int, int] | None = (1, 72)
    cutoff: float | None = 57
    cutoff_source: str | None = "30-month interval, figure often quoted" + _UNVERIFIED
    max_missing: int = 3
    notes: str = "fixed 30-item representation; interval-specific item counts not modelled"

    def configured(self, settings: MeasureSettings | None = None, site: str | None = None) -> Measure:
        settings = settings or MeasureSettings()
        interval = settings.asqse2_interval_months
        base = super().configured(settings, site)
        return dataclasses.replace(
            base, cutoff=float(settings.asqse2_cutoffs[interval]),
            cutoff_source=f"{interval}-month interval setting{_UNVERIFIED}",
            max_missing=2 if interval <= 18 else 3,
        )


@dataclass(frozen=True)
class Phq9(Measure):
    """PHQ-9: 9 items 0-3, total 0-27; caseness ≥10; item 9 > 0 is a risk flag; reliable change ≥6."""

    code: str = "phq9"
    name: str = "PHQ-9"
    n_items: int = 9
    item_values: tuple[int, ...] = (0, 1, 2, 3)
    total_range: tuple[int, int] = (0, 27)
    higher_is_worse: bool = True
    respondent: str = "parent"
    subject_roles: tuple[str, ...] = ("victim_parent", "harm_parent")
    bands: tuple[Band, ...] = (
        Band(0, 4, "minimal"), Band(5, 9, "mild"), Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"), Band(20, 27, "severe"),
    )
    cutoff: float | None = 10
    cutoff_source: str | None = "NHS Talking Therapies caseness"
    reliability: float | None = 0.89
    reliability_source: str | None = "Kroenke et al. 2001, Cronbach's alpha" + _UNVERIFIED
    reliable_change_points: float | None = 6
    risk_items: tuple[int, ...] = (9,)


@dataclass(frozen=True)
class Gad7(Measure):
    """GAD-7: 7 items 0-3, total 0-21; Talking Therapies caseness ≥8; reliable change ≥4."""

    code: str = "gad7"
    name: str = "GAD-7"
    n_items: int = 7
    item_values: tuple[int, ...] = (0, 1, 2, 3)
    total_range: tuple[int, int] = (0, 21)
    higher_is_worse: bool = True
    respondent: str = "parent"
    subject_roles: tuple[str, ...] = ("victim_parent", "harm_parent")
    bands: tuple[Band, ...] = (Band(0, 4, "minimal"), Band(5, 9, "mild"), Band(10, 14, "moderate"),
                               Band(15, 21, "severe"))
    cutoff: float | None = 8
    cutoff_source: str | None = "NHS Talking Therapies caseness"
    reliability: float | None = 0.92
    reliability_source: str | None = "Spitzer et al. 2006, Cronbach's alpha" + _UNVERIFIED
    reliable_change_points: float | None = 4


@dataclass(frozen=True)
class Cries13(Measure):
    """CRIES-13: 13 items scored 0/1/3/5, total 0-65; ≥30 likely PTSD (screen); self-report 8-18."""

    code: str = "cries13"
    name: str = "CRIES-13"
    n_items: int = 13
    item_values: tuple[int, ...] = (0, 1, 3, 5)
    total_range: tuple[int, int] = (0, 65)
    higher_is_worse: bool = True
    respondent: str = "child"
    subject: Subject = "child"
    subject_roles: tuple[str, ...] = ("child",)
    ages_months: tuple[int, int] | None = (96, 18 * 12 + 11)
    bands: tuple[Band, ...] = (Band(0, 29, "below screening cut-off"), Band(30, 65, "likely PTSD"))
    cutoff: float | None = 30
    cutoff_source: str | None = "Children and War Foundation"
    notes: str = "subscales intrusion 4, avoidance 4, arousal 5 (item mapping not in the reference)"


@dataclass(frozen=True)
class Iesr(Measure):
    """IES-R: 22 items 0-4, sum 0-88; ≥33 probable PTSD (Creamer et al. 2003); adults only."""

    code: str = "iesr"
    name: str = "IES-R"
    n_items: int = 22
    item_values: tuple[int, ...] = (0, 1, 2, 3, 4)
    total_range: tuple[int, int] = (0, 88)
    higher_is_worse: bool = True
    respondent: str = "parent"
    bands: tuple[Band, ...] = (Band(0, 32, "below cut-off"), Band(33, 88, "probable PTSD"))
    cutoff: float | None = 33
    cutoff_source: str | None = "Creamer et al. 2003"
    reliability: float | None = 0.96
    reliability_source: str | None = "Creamer et al. 2003, Cronbach's alpha" + _UNVERIFIED
    notes: str = "authors prefer subscale means; the intrusion/avoidance/hyperarousal item split is unverified"


_SCORE15_STRENGTHS = (1, 3, 6, 10, 15)
_SCORE15_DIFFICULTIES = (2, 4, 5, 7, 8, 9, 11, 12, 13, 14)


@dataclass(frozen=True)
class Score15(Measure):
    """SCORE-15: 15 items 1-5, sum 15-75, recoded so that higher = more difficulties.

    On the official form 1 = "describes us very well": reverse the 10 difficulty/communication
    items (6 - x), keep strengths raw (``official_form``). Forms printed the other way round
    (``reversed_anchors``) reverse the 5 strengths items instead. Which form a site used is a
    per-site setting (:attr:`MeasureSettings.score15_recoding`). No universal cut-off.
    """

    code: str = "score15"
    name: str = "SCORE-15"
    n_items: int = 15
    item_values: tuple[int, ...] = (1, 2, 3, 4, 5)
    total_range: tuple[int, int] = (15, 75)
    higher_is_worse: bool = True
    respondent: str = "parent"
    ages_months: tuple[int, int] | None = (12 * 12, 100 * 12)
    recoding: Score15Recoding = "official_form"
    reverse_items: tuple[int, ...] = _SCORE15_DIFFICULTIES
    subscales: tuple[Subscale, ...] = (
        Subscale("strengths_adaptability", _SCORE15_STRENGTHS),
        Subscale("overwhelmed_by_difficulties", (5, 7, 9, 11, 14)),
        Subscale("disrupted_communication", (2, 4, 8, 12, 13)),
    )
    reliability: float | None = 0.89
    reliability_source: str | None = "Stratton et al. 2010, Cronbach's alpha" + _UNVERIFIED
    notes: str = "anchor direction of each site's form unverified (setting score15_recoding)"

    def configured(self, settings: MeasureSettings | None = None, site: str | None = None) -> Measure:
        settings = settings or MeasureSettings()
        recoding = settings.score15_recoding.get(site or "", settings.score15_default_recoding)
        reverse = _SCORE15_DIFFICULTIES if recoding == "official_form" else _SCORE15_STRENGTHS
        base = super().configured(settings, site)
        assert isinstance(base, Score15)  # configured() keeps the subclass (dataclasses.replace)
        return dataclasses.replace(base, recoding=recoding, reverse_items=reverse)


_MORS_WARMTH = (1, 3, 4, 6, 8, 11)
_MORS_INVASION = (2, 5, 7, 9, 10, 12)


@dataclass(frozen=True)
class Mors(Measure):
    """MORS-SF: 14 items (Warmth 7, Invasion 7) on a 0-5 scale [scale unverified].

    ``total`` = Warmth + reversed Invasion (5 - x), 0-70, higher = better relationship, so one
    number carries both subscales' direction. Items 13/14 split one Warmth, one Invasion; which
    is which is unverified (setting ``mors_item13``). No published clinical cut-off.
    """

    code: str = "mors"
    name: str = "MORS-SF"
    n_items: int = 14
    item_values: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    total_range: tuple[int, int] = (0, 70)
    higher_is_worse: bool = False
    respondent: str = "parent"
    subject_roles: tuple[str, ...] = ("victim_parent",)
    reverse_items: tuple[int, ...] = (*_MORS_INVASION, 14)
    subscales: tuple[Subscale, ...] = (
        Subscale("warmth", (*_MORS_WARMTH, 13), verified=False),
        Subscale("invasion", (*_MORS_INVASION, 14), verified=False),
    )
    notes: str = "0-5 scale and item 13/14 subscale unverified; invasion subscale reported reversed"

    def configured(self, settings: MeasureSettings | None = None, site: str | None = None) -> Measure:
        settings = settings or MeasureSettings()
        warmth_extra, invasion_extra = (13, 14) if settings.mors_item13 == "warmth" else (14, 13)
        return dataclasses.replace(
            super().configured(settings, site),
            reverse_items=(*_MORS_INVASION, invasion_extra),
            subscales=(Subscale("warmth", (*_MORS_WARMTH, warmth_extra), verified=False),
                       Subscale("invasion", (*_MORS_INVASION, invasion_extra), verified=False)),
        )


@dataclass(frozen=True)
class Dash(Measure):
    """DASH risk checklist (SafeLives/CAADA, 24 questions): each "yes" is a tick, 0-24.

    ≥14 ticks = high risk (refer to MARAC); local bands 10-13 medium, ≤9 standard. "Don't know"
    or blank items give no total (a lower count would understate risk).
    """

    code: str = "dash"
    name: str = "DASH risk checklist"
    n_items: int = 24
    item_values: tuple[int, ...] = (0, 1)
    total_range: tuple[int, int] = (0, 24)
    higher_is_worse: bool = True
    respondent: str = "parent"
    subject_roles: tuple[str, ...] = ("victim_parent",)
    ages_months: tuple[int, int] | None = (16 * 12, 120 * 12)
    bands: tuple[Band, ...] = (Band(0, 9, "standard"), Band(10, 13, "medium"), Band(14, 24, "high"))
    cutoff: float | None = 14
    cutoff_source: str | None = "SafeLives MARAC referral criterion (visible high risk)"
    notes: str = "a risk checklist, not an outcome scale: change on it is descriptive only"
    outcome_candidate: bool = False


@dataclass(frozen=True)
class Core10(Measure):
    """CORE-10: 10 items 0-4, items 2 and 3 reverse-scored, total 0-40; cut-off 11.

    Bands (Connell & Barkham): ≤10 non-clinical, 11-14 mild, 15-19 moderate, 20-24
    moderate-severe, ≥25 severe. Item 6 (risk) > 0 is flagged whatever the total. Reliable change
    ≥6 points. Prorate if ≤1 item missing [unverified; setting ``core10_max_missing``].
    """

    code: str = "core10"
    name: str = "CORE-10"
    n_items: int = 10
    item_values: tuple[int, ...] = (0, 1, 2, 3, 4)
    total_range: tuple[int, int] = (0, 40)
    higher_is_worse: bool = True
    respondent: str = "parent"
    subject_roles: tuple[str, ...] = ("victim_parent", "harm_parent")
    ages_months: tuple[int, int] | None = (16 * 12, 120 * 12)
    reverse_items: tuple[int, ...] = (2, 3)
    bands: tuple[Band, ...] = (
        Band(0, 10, "non-clinical"), Band(11, 14, "mild"), Band(15, 19, "moderate"),
        Band(20, 24, "moderate-severe"), Band(25, 40, "severe"),
    )
    cutoff: float | None = 11
    cutoff_source: str | None = "Connell & Barkham"
    max_missing: int = 1
    reliability: float | None = 0.90
    reliability_source: str | None = "Barkham et al. 2013, Cronbach's alpha" + _UNVERIFIED
    reliable_change_points: float | None = 6
    risk_items: tuple[int, ...] = (6,)

    def configured(self, settings: MeasureSettings | None = None, site: str | None = None) -> Measure:
        settings = settings or MeasureSettings()
        return dataclasses.replace(super().configured(settings, site), max_missing=settings.core10_max_missing)


@dataclass(frozen=True)
class CodaChild(Measure):
    """CODA child questionnaire (programme-specific; 12 items 0-2, 0-24, higher = more difficulty).

    Not a published instrument: no norms, cut-off or reliability; no prorating.
    """

    code: str = "coda_child"
    name: str = "CODA child questionnaire"
    n_items: int = 12
    item_values: tuple[int, ...] = (0, 1, 2)
    total_range: tuple[int, int] = (0, 24)
    higher_is_worse: bool = True
    respondent: str = "child"
    subject: Subject = "child"
    subject_roles: tuple[str, ...] = ("child",)
    ages_months: tuple[int, int] | None = (48, 11 * 12 + 11)
    notes: str = "programme questionnaire; content and psychometrics unverified"


@dataclass(frozen=True)
class CodaMother(Measure):
    """CODA mother questionnaire (programme-specific; 10 items 0-3, 0-30, higher = more difficulty)."""

    code: str = "coda_mother"
    name: str = "CODA mother questionnaire"
    n_items: int = 10
    item_values: tuple[int, ...] = (0, 1, 2, 3)
    total_range: tuple[int, int] = (0, 30)
    higher_is_worse: bool = True
    respondent: str = "parent"
    notes: str = "programme questionnaire; content and psychometrics unverified"


for _cls in (Asq3, AsqSe2, Phq9, Gad7, Cries13, Iesr, Score15, Mors, Dash, Core10, CodaChild, CodaMother):
    register(_cls())
