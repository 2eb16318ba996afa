"""Availability ratings measured from the administrative data already in the warehouse.

Some cells of the availability matrix can be measured rather than asked about: the share of a
site's children whose service record carries an NHS number, or an ethnicity. :func:`rate_from_admin`
stores those as ratings with source ``admin_extract`` so that the triangulation matrix compares
what focus groups said with what the extract shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from synthesis.bulk import insert_rows
from synthesis.catalogue import seed_catalogue
from warehouse.registry import Registry
from warehouse.store import Store

RATER = "linkready"


@dataclass(frozen=True)
class AdminMeasure:
    """A data item whose 'held' rating is measured as a completeness share in an analytic table."""

    data_item: str
    dimension: str
    sql: str          # returns site_id, n, n_present

    @property
    def name(self) -> str:
        """Registry name: ``<data item>.<dimension>``."""
        return f"{self.data_item}.{self.dimension}"


ADMIN_MEASURES: Registry[AdminMeasure] = Registry("admin-data availability measure")
"""Availability cells measured from the loaded service records; a new one registers as these do."""
ADMIN_MEASURES.register(AdminMeasure(
    "nhs_number", "held",
    "SELECT site_id, count(*), count(*) FILTER (WHERE has_nhs_number) FROM service_episodes "
    "WHERE role = 'child' AND has_nhs_number IS NOT NULL GROUP BY site_id"))
ADMIN_MEASURES.register(AdminMeasure(
    "ethnicity", "held",
    "SELECT site_id, count(*), count(*) FILTER (WHERE ethnicity IS NOT NULL AND ethnicity NOT IN "
    "('NOBT', 'REFU', '')) FROM service_episodes WHERE role = 'child' GROUP BY site_id"))

# share of records holding the item -> 0-4 'held' rating
BINS: tuple[tuple[float, int], ...] = ((0.85, 4), (0.5, 3), (0.3, 2), (0.0, 1))


def share_to_rating(share: float) -> int:
    """Completeness share to the 0-4 scale: >=85% 4, >=50% 3, >=30% 2, >0 1, none 0."""
    if share <= 0:
        return 0
    return next(r for cut, r in BINS if share >= cut)


def rate_from_admin(store: Store, min_records: int = 10) -> pl.DataFrame:
    """Measure the admin-data ratings, store them (source ``admin_extract``) and return them.

    Sites with fewer than ``min_records`` records for a measure are skipped (too few to rate).
    """
    rows: list[list[object]] = []
    today = date.today()
    with store.transaction() as con:
        seed_catalogue(con)
        for m in ADMIN_MEASURES.values():
            for site_id, n, present in con.execute(m.sql).fetchall():
                if n < min_records:
                    continue
                share = present / n
                rows.append([site_id, m.data_item, m.dimension, share_to_rating(share), "admin_extract", RATER, today,
                             f"measured: {share:.0%} of {n} child records"])
        cols = ["site_id", "data_item", "dimension", "rating", "source", "rater", "rated_at", "note"]
        insert_rows(con, "syn_availability_rating", cols, rows, key=["site_id", "data_item", "dimension", "source",
                                                                      "rater"])
    return pl.DataFrame(rows, schema=[*cols[:4], *cols[4:]], orient="row")
