"""Catalogue of data items, availability dimensions, the 0-4 rating scale and research questions.

Each entry is a small frozen dataclass in a :class:`warehouse.registry.Registry` (``DATA_ITEMS``,
``DIMENSIONS``, ``RESEARCH_QUESTIONS``; look-ups give a did-you-mean error); ``DATA_ITEMS.register``
(or :func:`register_data_item`) adds a new one exactly as the built-ins are added. ``RATING_SCALE``
is the ordinal 0-4 scale keyed by its integer points. :func:`seed_catalogue` writes them into the
warehouse so that the SQL views can label ratings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from warehouse.registry import Registry


@dataclass(frozen=True)
class RatingLevel:
    """One point of the ordinal 0-4 availability scale."""

    rating: int
    label: str
    anchor: str


@dataclass(frozen=True)
class ResearchQuestion:
    """A research question of the feasibility study."""

    rq_id: str
    text: str


@dataclass(frozen=True)
class Dimension:
    """A dimension along which a data item is rated (held, accuracy, time to access, ...)."""

    dimension: str
    label: str
    rq_id: str
    anchors: tuple[str, str, str, str, str]


@dataclass(frozen=True)
class DataItem:
    """A data item a site or agency may hold (NHS number, CSC status, MARAC referral, ...)."""

    data_item: str
    label: str
    domain: str
    owning_agency: str
    statutory_return: str = "none"
    description: str = ""


RATING_SCALE: dict[int, RatingLevel] = {
    lv.rating: lv
    for lv in (
        RatingLevel(0, "not held", "The site does not record this item."),
        RatingLevel(1, "held, not extractable", "Recorded somewhere (case notes, paper) but cannot be extracted."),
        RatingLevel(2, "extractable with manual effort", "Can be extracted by reading or re-keying records by hand."),
        RatingLevel(3, "routinely extractable", "A report or query extracts it for most records."),
        RatingLevel(4, "routinely used / linked", "Extracted, used and linked with other agencies' data as routine."),
    )
}

RESEARCH_QUESTIONS: Registry[ResearchQuestion] = Registry("research question of the data focus groups", "rq_id")
for _rq in (
    ResearchQuestion("RQ1", "What data do sites hold about children and families affected by domestic abuse?"),
    ResearchQuestion("RQ2", "How accurate, reliable and usable are those data?"),
    ResearchQuestion("RQ3", "How long does it take to access the data for research?"),
    ResearchQuestion("RQ4", "What appetite and capacity is there to link data across agencies?"),
):
    RESEARCH_QUESTIONS.register(_rq)

_GENERIC = ("not at all", "hardly", "partly", "mostly", "fully")

DIMENSIONS: Registry[Dimension] = Registry("availability dimension", "dimension")
DATA_ITEMS: Registry[DataItem] = Registry("data item", "data_item")


def register_dimension(dim: Dimension) -> Dimension:
    """Add a dimension to the catalogue (raises ConfigError for a duplicate id)."""
    return DIMENSIONS.register(dim)


def register_data_item(item: DataItem) -> DataItem:
    """Add a data item to the catalogue (raises ConfigError for a duplicate id)."""
    return DATA_ITEMS.register(item)


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

for _item in (
    DataItem("nhs_number", "NHS number", "identifiers", "health"),
    DataItem("csc_status", "CSC status (CIN / CP / CLA)", "children's social care", "local authority", "CIN census"),
    DataItem("da_flag", "Domestic abuse flag at assessment", "children's social care", "local authority", "CIN census"),
    DataItem("police_notification", "Police DA notification", "police", "police"),
    DataItem("marac", "MARAC referral", "multi-agency", "MARAC coordinator"),
    DataItem("cp_plan", "Child protection plan", "children's social care", "local authority", "CIN census"),
    DataItem("attendance", "Intervention attendance", "service", "site"),
    DataItem("outcome_measures", "Outcome measures", "service", "site"),
    DataItem("ethnicity", "Ethnicity", "demographics", "site"),
):
    register_data_item(_item)


def seed_catalogue(con: duckdb.DuckDBPyConnection) -> None:
    """Write the registries into the warehouse (idempotent)."""
    for lv in RATING_SCALE.values():
        con.execute("INSERT OR REPLACE INTO syn_rating_scale (rating, label, anchor) VALUES (?, ?, ?)",
                    [lv.rating, lv.label, lv.anchor])
    for rq in RESEARCH_QUESTIONS.values():
        con.execute(
            "INSERT INTO syn_research_question (rq_id, text) VALUES (?, ?) ON CONFLICT (rq_id) DO NOTHING",
            [rq.rq_id, rq.text],
        )
    for order, dim in enumerate(DIMENSIONS.values()):
        anchors = json.dumps({str(i): a for i, a in enumerate(dim.anchors)})
        con.execute(
            "INSERT OR REPLACE INTO syn_availability_dimension (dimension, label, rq_id, sort_order, level_anchors) "
            "VALUES (?, ?, ?, ?, ?)",
            [dim.dimension, dim.label, dim.rq_id, order, anchors],
        )
    for item in DATA_ITEMS.values():
        con.execute(
            "INSERT OR REPLACE INTO syn_data_item (data_item, label, domain, owning_agency, statutory_return, "
            "description) VALUES (?, ?, ?, ?, ?, ?)",
            [item.data_item, item.label, item.domain, item.owning_agency, item.statutory_return, item.description],
        )
