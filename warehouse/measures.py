"""Outcome-measure catalogue (minimal contract; the evaluation-readiness work deepens it).

Each measure is a class registered in :data:`MEASURES`. The generator and the validators rely on
``code``, ``n_items``, ``item_values`` and ``total_range``; scoring rules live with the measure.
Facts from ``shared/reference/csc-data-standards.md`` §6. Item wording is never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.errors import ConfigError, did_you_mean


@dataclass(frozen=True)
class Measure:
    """An outcome measure: items, allowed item values, total range and direction."""

    code: str
    name: str
    n_items: int
    item_values: tuple[int, ...]
    total_range: tuple[int, int]
    higher_is_worse: bool
    respondent: str  # "child" | "parent"

    def score(self, items: list[int | None]) -> float | None:
        """Total score from item values; ``None`` (never a silent zero) when any item is missing."""
        if len(items) != self.n_items or any(v is None for v in items):
            return None
        return float(sum(v for v in items if v is not None))


MEASURES: dict[str, Measure] = {}


def register(measure: Measure) -> Measure:
    """Register a measure (built-ins use this too)."""
    MEASURES[measure.code] = measure
    return measure


def get_measure(code: str) -> Measure:
    """Return a registered measure or raise :class:`ConfigError`."""
    if code.lower().replace("-", "") == "score10":
        raise ConfigError("SCORE-10 does not exist; did you mean 'core10' (CORE-10) or 'score15' (SCORE-15)?")
    try:
        return MEASURES[code]
    except KeyError:
        raise ConfigError(
            f"unknown outcome measure {code!r}; registered: {', '.join(sorted(MEASURES))}"
            f"{did_you_mean(code, MEASURES)}"
        ) from None


for _m in (
    Measure("asq3", "ASQ-3", 30, (0, 5, 10), (0, 60), False, "parent"),
    Measure("asqse2", "ASQ:SE-2", 30, (0, 5, 10, 15), (0, 450), True, "parent"),
    Measure("phq9", "PHQ-9", 9, (0, 1, 2, 3), (0, 27), True, "parent"),
    Measure("gad7", "GAD-7", 7, (0, 1, 2, 3), (0, 21), True, "parent"),
    Measure("cries13", "CRIES-13", 13, (0, 1, 3, 5), (0, 65), True, "child"),
    Measure("iesr", "IES-R", 22, (0, 1, 2, 3, 4), (0, 88), True, "parent"),
    Measure("score15", "SCORE-15", 15, (1, 2, 3, 4, 5), (15, 75), True, "parent"),
    Measure("mors", "MORS-SF", 14, (0, 1, 2, 3, 4, 5), (0, 70), False, "parent"),
    Measure("dash", "DASH risk checklist", 24, (0, 1), (0, 24), True, "parent"),
    Measure("core10", "CORE-10", 10, (0, 1, 2, 3, 4), (0, 40), True, "parent"),
    Measure("coda_child", "CODA child questionnaire", 12, (0, 1, 2), (0, 24), True, "child"),
    Measure("coda_mother", "CODA mother questionnaire", 10, (0, 1, 2, 3), (0, 30), True, "parent"),
):
    register(_m)
