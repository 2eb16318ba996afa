"""The words for linkage feasibility verdict codes: one home for every package that shows a verdict.

``evaluation`` decides a verdict (``evaluation.verdicts.judge``); ``synthesis`` (the outcome readiness
matrix) and the dashboard read a verdict's code from the warehouse and say it in words. Those packages
may not import each other, so the words live here, beside the other shared catalogues.
"""

from __future__ import annotations

__all__ = ["VERDICT_LABELS"]

#: Verdict code -> the verdict in words, as a sentence reads it ("unknown: review a sample"); a table
#: heading or cell only capitalises the first letter.
VERDICT_LABELS: dict[str, str] = {
    "feasible": "feasible",
    "feasible_with_conditions": "feasible with conditions",
    "not_feasible": "not feasible",
    "review_sample": "unknown: review a sample",
    "unknown": "unknown",
}
