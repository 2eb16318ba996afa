"""The availability dimensions a data item is rated on (held, accuracy, time to access, ...).

One home for the dimension catalogue: its ids, labels, the research question each answers and the
words of its 0-4 rating points. ``synthesis`` rates data items along these dimensions and
``synthetic_data`` writes focus-group material about them; neither may import the other, so the
catalogue lives here, beside the other shared catalogues (scenarios, measures, sites), in a
:class:`warehouse.registry.Registry` (look-ups give a did-you-mean error).

Example:
    >>> DIMENSIONS.get("time_to_access").label, DIMENSIONS.get("time_to_access").rq_id
    ('Time to access', 'RQ3')
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.registry import Registry

__all__ = ["DIMENSIONS", "Dimension", "register_dimension"]


@dataclass(frozen=True)
class Dimension:
    """A dimension along which a data item is rated (held, accuracy, time to access, ...).

    ``rq_id`` names the research question the dimension answers (``RQ1``-``RQ4``); ``anchors`` are
    the words of the ratings 0-4 on this dimension.
    """

    dimension: str
    label: str
    rq_id: str
    anchors: tuple[str, str, str, str, str]


DIMENSIONS: Registry[Dimension] = Registry("availability dimension", "dimension")


def register_dimension(dim: Dimension) -> Dimension:
    """Add a dimension to the catalogue (raises ConfigError for a duplicate id)."""
    return DIMENSIONS.register(dim)


_GENERIC = ("not at all", "hardly", "partly", "mostly", "fully")

for _dim in (
    Dimension("held", "Held", "RQ1", ("not recorded", "in case notes only", "recorded for some records",
                                      "recorded for most records", "recorded for nearly all and used")),
    Dimension("collection", "Collection", "RQ1", ("not collected", "ad hoc", "collected by some staff",
                                                  "collected by a set process", "collected, checked and audited")),
    Dimension("use", "Use", "RQ2", ("not used", "rarely looked at", "used case by case",
                                    "used in routine reports", "used to plan and evaluate")),
    Dimension("accuracy", "Accuracy", "RQ2", ("unknown", "known to be poor", "mixed", "mostly right", "verified")),
    Dimension("reliability", "Reliability", "RQ2", _GENERIC),
    Dimension("time_to_access", "Time to access", "RQ3", ("cannot be obtained", "months", "weeks",
                                                          "within a week", "same day")),
    Dimension("linkage_appetite", "Appetite for linkage", "RQ4", ("opposed", "wary", "open", "keen", "already linking")),
    Dimension("linkage_capacity", "Capacity for linkage", "RQ4", ("none", "would need outside help", "some analyst time",
                                                                  "analyst and agreements in place", "routine linkage")),
):
    register_dimension(_dim)
