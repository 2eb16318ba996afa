"""The differencing audit over every dashboard table and download, as every site user and a researcher.

It fails on a table that leaks by subtraction (a toy table registered with primary suppression only).
"""

from __future__ import annotations

import polars as pl
import pytest

from dashboard.access import Viewer
from dashboard.tables import TABLES, TableSpec
from tests.dashboard.audit import audit, downloads
from warehouse.disclosure import Disclosure
from warehouse.sites import SITE_IDS


def _viewer(name: str) -> Viewer:
    if name == "researcher":
        return Viewer(name, "researcher", SITE_IDS)
    return Viewer(name, "site", (name.removesuffix("_user"),))


@pytest.mark.parametrize("user", [*(f"{s}_user" for s in SITE_IDS), "researcher"])
def test_no_download_reveals_a_small_count_by_subtraction(app, login, user: str) -> None:
    ctx = app.server.extensions["linkready_dashboard"]
    client = login(user)
    tables = downloads(client, ctx, _viewer(user))
    assert len(tables) >= len(TABLES)  # every table, every parameter choice
    from warehouse.disclosure import find_leaks

    leaks = find_leaks(tables)
    assert leaks == [], "\n".join(f"{x.table}: {x.what} = {x.value:g} ({x.how})" for x in leaks[:20])


def test_small_cells_were_there_to_protect(app, login) -> None:
    """The seeded world has small subgroups and a tiny site: the audit is not passing on an empty table."""
    client = login("coda_user")
    text = client.get("/download/linkage_subgroups.csv", query_string={"subgroup_type": "ethnic_group"}).get_data(
        as_text=True)
    assert "[c]" in text
    timeline = client.get("/download/sample_timeline.csv").get_data(as_text=True)
    assert "[c]" in timeline


class _PrimaryOnly(Disclosure):
    """A table that hides counts of 1-5 and nothing else: a total minus its other parts reveals them."""

    def apply(self, df: pl.DataFrame) -> pl.DataFrame:
        return Disclosure(counts=self.counts, suppress_max=self.suppress_max).apply(df)


def _leaky(home_id: str, leaky_id: str) -> TableSpec:
    home = TABLES[home_id]
    d = home.disclosure
    rule = _PrimaryOnly(counts=d.counts, rates=d.rates, groups=d.groups, nested=d.nested, cumulative=d.cumulative)
    return TableSpec(leaky_id, f"{home.title} (leaky test copy)", (), home.build, rule, params=home.params,
                     labels=home.labels, keys=home.keys)


@pytest.mark.parametrize(("home", "user"), [("linkage_subgroups", "fbs_user"), ("sample_timeline", "sat_user")])
def test_audit_fails_on_a_table_that_leaks_by_subtraction(app, login, home: str, user: str) -> None:
    """Subgroups minus the site total (from the scenario table); consecutive running totals."""
    TABLES.register(_leaky(home, "leaky"))
    try:
        ctx = app.server.extensions["linkready_dashboard"]
        leaks = audit(login(user), ctx, _viewer(user), ["linkage_scenarios", "leaky"])
    finally:
        TABLES.unregister("leaky")
    assert leaks and all(x.table.startswith("leaky") for x in leaks)
    assert all(1 <= x.value <= 5 for x in leaks)


ISSUE_19_TABLES = ["outcome_readiness", "toc_nodes", "acceptability", "readiness_timeline", "readiness_summary",
                   "outcome_completeness", "linkage_scenarios"]


@pytest.mark.parametrize("user", ["coda_user", "researcher"])
def test_theory_of_change_tables_leak_nothing_by_subtraction(pipeline_db, pipeline_passwords, settings,
                                                             user: str) -> None:
    """The outcome readiness, ToC and acceptability tables (and the readiness tables they repeat figures of), on
    a warehouse built by the real pipeline with theories of change and coded interviews."""
    from dashboard import create_app
    from tests.dashboard.conftest import csrf_from
    from warehouse.disclosure import find_leaks
    from warehouse.store import Store

    app = create_app(Store(pipeline_db, read_only=True), settings)
    client = app.server.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": user, "password": pipeline_passwords[user],
                                       "csrf_token": token}).status_code == 302
    tables = downloads(client, app.server.extensions["linkready_dashboard"], _viewer(user), ISSUE_19_TABLES)
    filled = {t.name.split(" ")[0] for t in tables if t.frame.height}
    assert {"outcome_readiness", "toc_nodes", "acceptability", "readiness_timeline"} <= filled, filled
    leaks = find_leaks(tables)
    assert leaks == [], "\n".join(f"{x.table}: {x.what} = {x.value:g} ({x.how})" for x in leaks[:20])
    if user == "coda_user":  # the smallest site: something had to be hidden
        text = client.get("/download/acceptability.csv").get_data(as_text=True)
        assert "[c]" in text and "Participants" in text
