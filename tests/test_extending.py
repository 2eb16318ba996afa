"""The recipes of docs/extending.md, each exercised by adding a toy instance through its registry.

Every catalogue registers its built-ins exactly as a new entry would, so a toy entry added here must
work end to end through the same public functions (and is removed again afterwards).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from linkage.comparisons import COMPARISONS, Comparison, get_comparison, register_comparison
from linkage.pipeline import link
from linkage.settings import LinkageSettings
from linkage.sqlbuild import SqlBuilder
from linkage.standardise import standardise
from tests.linkage.world import make_world
from warehouse.errors import ConfigError
from warehouse.measures import MEASURES, get_measure, register
from warehouse.scenarios import SCENARIOS, Scenario, get_scenario, register_scenario, scenario_label
from warehouse.validation.dfe import DFE_RULES, run_rules
from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.rule import cin_rule

ROOT = Path(__file__).resolve().parents[1]


def test_every_recipe_is_in_the_guide() -> None:
    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    for heading in ("A new comparison", "A new validation rule", "A new dashboard page", "A new outcome measure",
                    "A new identifier scenario", "A new site layout", "A new code-list version"):
        assert f"## {heading}" in text, heading


# --- a comparison ----------------------------------------------------------------------------------

@pytest.fixture
def toy_comparison() -> Iterator[type[Comparison]]:
    @register_comparison
    @dataclasses.dataclass(frozen=True)
    class InitialComparison(Comparison):
        """Exact name, else the same first letter."""

        kind = "toy_initial"
        levels = (
            ("exact", lambda b, f: b.eq(b.l(f), b.r(f))),
            ("same initial", lambda b, f: b.eq(b.fn("left", b.l(f), b.lit(1)), b.fn("left", b.r(f), b.lit(1)))),
        )

    yield InitialComparison
    COMPARISONS.unregister("toy_initial")


def test_a_new_comparison_links_through_the_registry(toy_comparison: type[Comparison]) -> None:
    left, right, truth = make_world(n=200, seed=3, error=0.2)
    a = standardise(left.select("rid", "forename", "surname", "dob"))
    b = standardise(right.select("rid", "forename", "surname", "dob"))
    comps = [get_comparison("toy_initial", "forename"), get_comparison("name", "surname"),
             get_comparison("date", "dob")]
    result = link(a, b, LinkageSettings(u_sample_pairs=20_000), comparisons=comps)
    assert isinstance(comps[0], toy_comparison)
    # Both of the toy's agreement levels (same initial, exact) were scored and the links are good.
    assert set(result.pairs["g_forename"].unique().to_list()) >= {1, 2}
    tp = result.links.join(truth, on=["l_rid", "r_rid"]).height
    assert tp / truth.height > 0.8
    with pytest.raises(ConfigError, match="did you mean 'toy_initial'"):
        get_comparison("toy_intial", "forename")


# --- a validation rule -----------------------------------------------------------------------------

def test_a_new_validation_rule_fires_through_the_runner() -> None:
    @cin_rule("T001", "cin_toy_postcode_missing", ("child.PostCode",), "The child has no postcode.")
    def _toy(t: RuleInput) -> pl.DataFrame:
        return t.rows("child", pl.col("PostCode").is_null())

    try:
        child = pl.DataFrame({"LAchildID": ["A1", "A2"], "PostCode": ["LS1 1AA", None], "_row": [1, 2]})
        hits = run_rules("cin", {"child": child}, 2025, only=["cin_toy_postcode_missing"])
        assert hits.select("dfe_rule", "child_id", "row", "severity").rows() == [("T001", "A2", 2, "error")]
        assert "cin_toy_postcode_missing" in DFE_RULES
    finally:
        DFE_RULES.unregister("cin_toy_postcode_missing")


# --- an outcome measure ----------------------------------------------------------------------------

def test_a_new_outcome_measure_scores_through_the_catalogue() -> None:
    toy = dataclasses.replace(get_measure("gad7"), code="toy7", name="Toy-7")
    register(toy)
    try:
        measure = get_measure("Toy-7")
        assert measure.score([1, 1, 1, 1, 1, 1, 1]) == get_measure("gad7").score([1, 1, 1, 1, 1, 1, 1])
        assert "toy7" in MEASURES
    finally:
        MEASURES.unregister("toy7")


# --- an identifier scenario ------------------------------------------------------------------------

def test_a_new_identifier_scenario_links_like_the_built_ins() -> None:
    register_scenario(Scenario("toy_names_postcode", ("forename", "surname", "postcode"), "Names and postcode"))
    try:
        s = get_scenario("toy_names_postcode")
        assert scenario_label(s.name) == "Names and postcode"
        left, right, truth = make_world(n=200, seed=4, error=0.1)
        result = link(standardise(left.select(["rid", *s.roles])), standardise(right.select(["rid", *s.roles])),
                      LinkageSettings(u_sample_pairs=20_000), tokens=s.tokens)
        assert result.links.join(truth, on=["l_rid", "r_rid"]).height > 0
    finally:
        SCENARIOS.unregister("toy_names_postcode")


def test_sql_builder_offers_what_the_recipes_use() -> None:
    # The comparison recipe relies on these SqlBuilder helpers; a rename must update the guide.
    for name in ("eq", "l", "r", "fn", "lit"):
        assert hasattr(SqlBuilder, name), name


# --- a dashboard page ------------------------------------------------------------------------------

def test_a_new_dashboard_page_is_served(tmp_path: Path) -> None:
    import re

    from dash import html

    from dashboard import DashboardSettings, create_app, create_demo_accounts
    from dashboard.pages.common import PAGES, Page
    from tests.dashboard.seeded import build
    from warehouse.store import Store

    def layout(**_: object) -> html.Main:
        return html.Main([html.H1("Toy page for the extending guide")])

    PAGES.register(Page(name="toy", label="Toy", path="/toy", title="Toy page", layout=layout,
                        register_callbacks=lambda app: None, order=99))
    try:
        db = build(tmp_path / "toy.duckdb", focus_groups=False)
        password = {a.name: a.password for a in create_demo_accounts(db)}["researcher"]
        app = create_app(Store(db, read_only=True), DashboardSettings(secret_key="t" * 48, secure_cookies=False))
        client = app.server.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
        assert token
        login = client.post("/login", data={"username": "researcher", "password": password,
                                            "csrf_token": token.group(1)})
        assert login.status_code == 302
        assert client.get("/toy").status_code == 200
        # Dash draws pages in the browser: the app's page registry routes /toy to the toy's layout.
        import dash

        routed = [p for p in dash.page_registry.values() if p["path"] == "/toy"]
        assert len(routed) == 1 and routed[0]["name"] == "Toy"
        assert "Toy page for the extending guide" in str(routed[0]["layout"]().to_plotly_json())
        assert "toy" in PAGES and PAGES.get("toy").label == "Toy"
    finally:
        import dash

        PAGES.unregister("toy")
        dash.page_registry.pop("dashboard.pages.toy", None)


# --- a code-list version ---------------------------------------------------------------------------
def test_a_new_code_list_version_applies_from_its_year() -> None:
    from warehouse.codelists import CODELISTS, CodeList, get_codelist, register_codelist

    register_codelist(CodeList("toy_outcome", 0, frozenset({"A", "B"}), "toy list", "test"))
    register_codelist(CodeList("toy_outcome", 2027, frozenset({"A", "B", "C"}), "toy list, 2026-27 on", "test"))
    try:
        assert "C" not in get_codelist("toy_outcome", 2026) and "C" in get_codelist("toy_outcome", 2027)
        with pytest.raises(ConfigError, match="did you mean 'toy_outcome'"):
            get_codelist("toy_outcom", 2027)
    finally:
        CODELISTS.unregister("toy_outcome")
