"""ASQ-3 and ASQ:SE-2 by age interval: each questionnaire is scored with the cut-offs of the
interval that fits the child's age at assessment (issue 16).

The intervals' age windows and the ASQ-3 per-interval cut-offs are unverified placeholders
(:class:`evaluation.settings.AsqSettings`); a cut-off set in the measure catalogue's own settings
(``MeasureSettings.asq3_cutoffs``) wins over the placeholder. A child whose age is not known, or
outside every window, is scored without a cut-off: no flag rather than the wrong interval's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from evaluation.settings import ReadinessSettings
from warehouse.measures import Asq3, Measure, get_measure

__all__ = ["AGE_INTERVAL_MEASURES", "interval_for_age", "measure_at_age"]

#: Measures whose cut-offs depend on the child's age interval.
AGE_INTERVAL_MEASURES: tuple[str, ...] = ("asq3", "asqse2")


def interval_for_age(age_months: int | None, windows: Mapping[int, tuple[int, int]]) -> int | None:
    """The interval whose window holds ``age_months`` (the older one where windows overlap).

    Example:
        >>> interval_for_age(11, {12: (11, 12), 14: (13, 14)}), interval_for_age(40, {12: (11, 12)})
        (12, None)
    """
    if age_months is None:
        return None
    fits = [interval for interval, (first, last) in windows.items() if first <= age_months <= last]
    return max(fits) if fits else None


def measure_at_age(code: str, site: str, age_months: int | None, settings: ReadinessSettings) -> tuple[Measure, int | None]:
    """The measure configured for a site and, for ASQ measures, the child's age interval.

    Returns the measure and the interval used (None when the measure has no intervals or the age
    fits none, in which case an ASQ measure carries no cut-off).
    """
    measure = get_measure(code)
    if measure.code not in AGE_INTERVAL_MEASURES:
        return measure.configured(settings.measures, site), None
    asq = settings.asq
    if measure.code == "asq3":
        interval = interval_for_age(age_months, asq.asq3_windows)
        cutoffs = {**asq.asq3_cutoffs, **settings.measures.asq3_cutoffs}
        if interval is None or interval not in cutoffs:
            base = measure.configured(settings.measures, site)
            assert isinstance(base, Asq3)
            return dataclasses.replace(base, cutoffs=None, cutoff_source="no interval for this age"), interval
        ms = dataclasses.replace(settings.measures, asq3_cutoffs=cutoffs, asq3_interval_months=interval)
        return measure.configured(ms, site), interval
    interval = interval_for_age(age_months, asq.asqse2_windows)
    if interval is None or interval not in settings.measures.asqse2_cutoffs:
        base = measure.configured(settings.measures, site)
        return dataclasses.replace(base, cutoff=None, cutoff_source="no interval for this age"), interval
    ms = dataclasses.replace(settings.measures, asqse2_interval_months=interval)
    return measure.configured(ms, site), interval
