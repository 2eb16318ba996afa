"""Multi-level comparisons: a catalogue of classes in a registry.

A comparison turns a (left, right) record pair into a level: ``-1`` when either side is
missing (no evidence), ``0`` for disagreement and higher numbers for closer agreement, the
highest being exact agreement. Built-ins register themselves with :func:`register_comparison`
exactly as a new comparison would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from sqlglot import exp

from linkage.sqlbuild import SqlBuilder
from warehouse.registry import Registry

Level = tuple[str, Callable[[SqlBuilder, str], exp.Expression]]

#: The label of level 0 (the two values disagree) in every comparison: a word a person reads, used as is
#: by the pairs and review files and looked up by the dashboard's labels.
DIFFERENT = "different"

#: Every comparison kind; the built-ins register themselves below exactly as a new one would.
COMPARISONS: Registry[type[Comparison]] = Registry("comparison", name_attr="kind")


def register_comparison(cls: type[Comparison]) -> type[Comparison]:
    """Class decorator adding a comparison to :data:`COMPARISONS` under ``cls.kind``."""
    return COMPARISONS.register(cls)


def get_comparison(kind: str, field: str) -> Comparison:
    """Instantiate the registered comparison ``kind`` on ``field``; ConfigError (did you mean) for unknown kinds."""
    return COMPARISONS.get(kind)(field)


@dataclass(frozen=True)
class Comparison:
    """Base class. Subclasses set ``kind``, ``levels`` (highest first) and ``tf`` (term-frequency
    adjustment of the exact level).

    Args:
        field: the standardised column compared (``forename``, ``dob``, ``x_suburb`` ...).
    """

    field: str
    kind: ClassVar[str] = ""
    levels: ClassVar[tuple[Level, ...]] = ()
    tf: ClassVar[bool] = False

    @property
    def name(self) -> str:
        """Output column stem: the level lands in ``g_<name>``."""
        return self.field

    @property
    def base_field(self) -> str:
        """The identifier this comparison draws on (for excluding it when a blocking rule uses it)."""
        return self.field

    @property
    def n_levels(self) -> int:
        """Number of agreement levels including disagreement (level 0)."""
        return len(self.levels) + 1

    def level_labels(self) -> list[str]:
        """Labels indexed by level number."""
        return [DIFFERENT] + [label for label, _ in reversed(self.levels)]

    def level_sql(self, b: SqlBuilder) -> exp.Expression:
        """The CASE expression giving this pair's level."""
        f = self.field
        whens: list[tuple[exp.Expression, exp.Expression]] = [
            (b.or_(b.is_null(b.l(f)), b.is_null(b.r(f))), b.lit(-1))
        ]
        top = len(self.levels)
        for i, (_, cond) in enumerate(self.levels):
            whens.append((cond(b, f), b.lit(top - i)))
        return b.case(whens, b.lit(0))

    def exact_sql(self, b: SqlBuilder) -> exp.Expression:
        """Exact agreement (the top level's condition)."""
        return b.eq(b.l(self.field), b.r(self.field))


def _exact(b: SqlBuilder, f: str) -> exp.Expression:
    return b.eq(b.l(f), b.r(f))


def _jw(threshold: float) -> Callable[[SqlBuilder, str], exp.Expression]:
    def cond(b: SqlBuilder, f: str) -> exp.Expression:
        return b.gte(b.jaro_winkler(b.l(f), b.r(f)), b.param(threshold))

    return cond


def _edits(n: int) -> Callable[[SqlBuilder, str], exp.Expression]:
    def cond(b: SqlBuilder, f: str) -> exp.Expression:
        return b.lte(b.levenshtein(b.l(f), b.r(f)), b.param(n))

    return cond


def _two_date_parts(b: SqlBuilder, f: str) -> exp.Expression:
    y, m, d = (b.eq(b.l(f"{f}_{p}"), b.r(f"{f}_{p}")) for p in ("year", "month", "day"))
    return b.or_(b.and_(y, m), b.and_(y, d), b.and_(m, d))


def _same(column: str) -> Callable[[SqlBuilder, str], exp.Expression]:
    def cond(b: SqlBuilder, f: str) -> exp.Expression:
        return b.eq(b.l(column.format(f=f)), b.r(column.format(f=f)))

    return cond


@register_comparison
@dataclass(frozen=True)
class NameComparison(Comparison):
    """Forename or surname: exact (term-frequency adjusted), same canonical form (nickname or
    transliteration), Jaro-Winkler >= 0.92, same metaphone key, a shared token (double-barrelled
    or multiple names), Jaro-Winkler >= 0.80, else."""

    kind: ClassVar[str] = "name"
    tf: ClassVar[bool] = True
    levels: ClassVar[tuple[Level, ...]] = (
        ("exact", _exact),
        ("canonical", _same("{f}_canon")),
        ("jaro_winkler_0.92", _jw(0.92)),
        ("phonetic", _same("{f}_mp")),
        ("shared_token", lambda b, f: b.token_overlap(b.l(f), b.r(f))),
        ("jaro_winkler_0.80", _jw(0.80)),
    )


@register_comparison
@dataclass(frozen=True)
class DateComparison(Comparison):
    """Date of birth: exact, day and month swapped, two of year/month/day agree (a slip in one
    part), within 31 days (expected versus actual birth dates), same year, else."""

    kind: ClassVar[str] = "date"
    levels: ClassVar[tuple[Level, ...]] = (
        ("exact", _exact),
        ("day_month_swap", lambda b, f: b.eq(b.l(f), b.r(f"{f}_swap"))),
        ("two_parts", _two_date_parts),
        ("within_31_days", lambda b, f: b.lte(b.abs_days(b.l(f"{f}_date"), b.r(f"{f}_date")), b.param(31))),
        ("same_year", lambda b, f: b.eq(b.l(f"{f}_year"), b.r(f"{f}_year"))),
    )


@register_comparison
@dataclass(frozen=True)
class ExpectedDateComparison(DateComparison):
    """Date of birth where either side may be an expected date (an unborn child): as
    :class:`DateComparison`, with "expected, within 60 days" just below exact agreement (a birth
    weeks from its expected date is strong evidence; the same gap between two real dates is not)."""

    kind: ClassVar[str] = "date_expected"
    levels: ClassVar[tuple[Level, ...]] = (
        DateComparison.levels[0],
        ("expected_within_60_days", lambda b, f: b.and_(
            exp.Paren(this=b.or_(b.l(f"{f}_expected"), b.r(f"{f}_expected"))),
            b.lte(b.abs_days(b.l(f"{f}_date"), b.r(f"{f}_date")), b.param(60)),
        )),
        *DateComparison.levels[1:],
    )


@register_comparison
@dataclass(frozen=True)
class PostcodeComparison(Comparison):
    """Postcode: unit, sector, district, area, else."""

    kind: ClassVar[str] = "postcode"
    levels: ClassVar[tuple[Level, ...]] = (
        ("unit", _exact),
        ("sector", lambda b, f: b.eq(b.l("pc_sector"), b.r("pc_sector"))),
        ("district", lambda b, f: b.eq(b.l("pc_district"), b.r("pc_district"))),
        ("area", lambda b, f: b.eq(b.l("pc_area"), b.r("pc_area"))),
    )


@register_comparison
@dataclass(frozen=True)
class NhsNumberComparison(Comparison):
    """NHS number: exact, at most two digits differ (a slipped digit or a transposition), else."""

    kind: ClassVar[str] = "nhs_number"
    levels: ClassVar[tuple[Level, ...]] = (
        ("exact", _exact), ("near", lambda b, f: b.lte(b.hamming(b.l(f), b.r(f)), b.param(2))),
    )


@register_comparison
@dataclass(frozen=True)
class ExactComparison(Comparison):
    """Exact agreement or not (sex; pseudonymised tokens, where nothing else survives hashing)."""

    kind: ClassVar[str] = "exact"
    levels: ClassVar[tuple[Level, ...]] = (("exact", _exact),)


@register_comparison
@dataclass(frozen=True)
class ExactTfComparison(ExactComparison):
    """Exact agreement with term-frequency adjustment (tokenised names)."""

    kind: ClassVar[str] = "exact_tf"
    tf: ClassVar[bool] = True


@register_comparison
@dataclass(frozen=True)
class TextComparison(Comparison):
    """Any other shared text column: exact (term-frequency adjusted), one edit,
    Jaro-Winkler >= 0.88, else."""

    kind: ClassVar[str] = "text"
    tf: ClassVar[bool] = True
    levels: ClassVar[tuple[Level, ...]] = (("exact", _exact), ("one_edit", _edits(1)), ("jaro_winkler_0.88", _jw(0.88)))


def default_comparisons(columns: set[str], tokens: bool = False) -> list[Comparison]:
    """The comparisons that the standardised ``columns`` allow, in a fixed order."""
    out: list[Comparison] = []
    if tokens:
        for f, kind in (("forename", "exact_tf"), ("surname", "exact_tf"), ("dob", "exact"), ("sex", "exact"),
                        ("postcode", "exact"), ("nhs_number", "exact")):
            if f in columns:
                out.append(get_comparison(kind, f))
        return out
    date_kind = "date_expected" if "dob_expected" in columns else "date"
    for f, kind in (("forename", "name"), ("surname", "name"), ("dob", date_kind), ("sex", "exact"),
                    ("postcode", "postcode"), ("nhs_number", "nhs_number")):
        if f in columns:
            out.append(get_comparison(kind, f))
    for c in sorted(columns):
        if c.startswith("x_"):
            out.append(get_comparison("text", c))
    return out
