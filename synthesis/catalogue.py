"""Catalogue of data items, availability dimensions, the 0-4 rating scale and research questions.

Each entry is a small frozen dataclass in a :class:`warehouse.registry.Registry` (``DATA_ITEMS``,
``DIMENSIONS``, ``RESEARCH_QUESTIONS``; look-ups give a did-you-mean error); ``DATA_ITEMS.register``
(or :func:`register_data_item`) adds a new one exactly as the built-ins are added. ``RATING_SCALE``
is the ordinal 0-4 scale keyed by its integer points. :func:`seed_catalogue` writes them into the
warehouse so that the SQL views can label ratings.

The availability dimensions are shared with ``synthetic_data`` (its focus groups talk about them), so
their one home is :mod:`warehouse.dimensions`; this module re-exports ``DIMENSIONS``, ``Dimension`` and
``register_dimension`` from there and adds what only the synthesis needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from warehouse.dimensions import DIMENSIONS, Dimension, register_dimension
from warehouse.registry import Registry

__all__ = [
    "DATA_ITEMS", "DIMENSIONS", "RATING_SCALE", "RESEARCH_QUESTIONS", "DataItem", "Dimension", "RatingLevel",
    "ResearchQuestion", "register_data_item", "register_dimension", "seed_catalogue",
]


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

DATA_ITEMS: Registry[DataItem] = Registry("data item", "data_item")


def register_data_item(item: DataItem) -> DataItem:
    """Add a data item to the catalogue (raises ConfigError for a duplicate id)."""
    return DATA_ITEMS.register(item)


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
