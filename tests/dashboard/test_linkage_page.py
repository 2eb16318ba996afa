"""The linkage page: suppressed points marked on charts, categories in the shared order, and the pair explainer
(records named as a data officer knows them; links, below-threshold non-links and one-to-one non-links explained).

Unit tests build small polars frames and a tiny in-memory warehouse; the browser test serves its own copy of the
seeded warehouse with a one-to-one case added (so it never changes the session's shared warehouse).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from playwright.sync_api import Browser

from dashboard import DashboardSettings
from dashboard import figures as fig
from dashboard import queries as q
from dashboard.access import Scope
from dashboard.pages.linkage import (
    PairView,
    evidence_sentence,
    pair_choices,
    pair_reason,
    pair_title,
    percent,
    record_label,
    weight_sentence,
)
from dashboard.tables import TableResult, get_table
from warehouse.disclosure import DEFAULT_POLICY, DisclosurePolicy
from warehouse.vocabulary import AGE_BANDS, SEX_LABELS

C = DEFAULT_POLICY.symbol
SUBGROUP_SPEC = get_table("linkage_subgroups")


def subgroups(rows: list[tuple[str, str, object]], kind: str = "ethnic_group") -> TableResult:
    """A published subgroup table: (site, subgroup, match rate or the symbol)."""
    frame = pl.DataFrame({
        "site_id": [r[0] for r in rows], "site": [r[0].upper() for r in rows], "subgroup": [r[1] for r in rows],
        "match_rate": [str(r[2]) for r in rows],
        "ci_low": [C if r[2] == C else str(float(str(r[2])) - 0.1) for r in rows],
        "ci_high": [C if r[2] == C else str(float(str(r[2])) + 0.1) for r in rows],
    })
    return TableResult(SUBGROUP_SPEC, Scope("t", tuple(dict.fromkeys(r[0] for r in rows))),
                       {"scenario": "all_identifiers", "subgroup_type": kind}, frame, ("n_records", "links"))


def marks(figure: fig.Figure) -> list[dict[str, Any]]:
    """The [c] text markers of a figure."""
    return [t for t in figure["data"] if t.get("mode") == "text" and C in t.get("text", [])]


# ---------------------------------------------------------------- suppressed points and order
def test_a_suppressed_subgroup_is_marked_at_its_category_with_the_policys_note() -> None:
    figure = fig.subgroup_figure(subgroups([("fbs", "White", "0.8"), ("fbs", "Black", C), ("sat", "White", "0.7"),
                                            ("sat", "Black", "0.5")]))
    [mark] = marks(figure)  # one marker: fbs's Black subgroup, not sat's
    assert mark["x"] == ["Black"] and mark["y"] == [0] and mark["offsetgroup"] == "FBS"  # in fbs's slot
    points = next(t for t in figure["data"] if t["name"] == "FBS" and t["mode"] == "markers")
    assert points["y"][points["x"].index("Black")] is None  # the hidden rate itself is never plotted
    note = figure["layout"]["title"]["subtitle"]["text"]
    assert note.startswith(f"{C} = suppressed: fewer than {DEFAULT_POLICY.suppress_max + 1}")
    # the threshold is the policy's, never a copy of it
    other = fig.subgroup_figure(subgroups([("fbs", "White", "0.8"), ("fbs", "Black", C)]), DisclosurePolicy(9))
    assert "fewer than 10" in other["layout"]["title"]["subtitle"]["text"]


def test_no_suppressed_cell_no_marker_and_no_note() -> None:
    figure = fig.subgroup_figure(subgroups([("fbs", "White", "0.8"), ("fbs", "Black", "0.6")]))
    assert marks(figure) == [] and "subtitle" not in figure["layout"]["title"]


def test_age_bands_follow_the_shared_vocabulary_and_sex_codes_read_as_words() -> None:
    scrambled = ["10-15", "Not known", "unborn", "1-4", "under 1", "5-9"]
    figure = fig.subgroup_figure(subgroups([("fbs", band, "0.5") for band in scrambled], kind="age_band"))
    expected = [b for b in AGE_BANDS if b in scrambled]  # unborn, under 1, 1-4, 5-9, 10-15, Not known
    assert figure["layout"]["xaxis"]["categoryarray"] == expected
    assert figure["data"][0]["x"] == expected
    sex = fig.subgroup_figure(subgroups([("fbs", code, "0.5") for code in ("U", "F", "M")], kind="sex"))
    assert sex["layout"]["xaxis"]["categoryarray"] == list(SEX_LABELS.values())  # Male, Female, Not known


def test_bar_charts_mark_a_suppressed_bar_in_its_series_slot() -> None:
    spec = get_table("linkage_scenarios")
    frame = pl.DataFrame({"site_id": ["fbs", "fbs", "coda"], "site": ["F", "F", "C"],
                          "scenario": ["all_identifiers", "names_dob", "all_identifiers"],
                          "recall": ["0.9", "0.8", C]})
    figure = fig.scenario_figure(TableResult(spec, Scope("t", ("fbs", "coda")), {}, frame, ()))
    [mark] = marks(figure)
    assert mark["offsetgroup"] == "C" and len(mark["x"]) == 1
    assert figure["layout"]["title"]["subtitle"]["text"].startswith(f"{C} = suppressed")


def test_a_withheld_month_gets_one_marker_naming_its_sites() -> None:
    spec = get_table("sample_timeline")
    frame = pl.DataFrame({"site_id": ["fbs", "fbs", "sat", "sat"], "site": ["F", "F", "S", "S"],
                          "month": ["2024-01-01", "2024-02-01", "2024-01-01", "2024-02-01"],
                          "evaluable": [C, "12", C, "20"]})
    figure = fig.timeline_figure(TableResult(spec, Scope("t", ("fbs", "sat")), {}, frame, ()))
    [mark] = marks(figure)
    assert mark["x"] == ["2024-01-01"] and mark["customdata"] == ["F, S"]
    assert "subtitle" in figure["layout"]["title"]


def test_explanation_chart_labels_comparisons_in_words_and_grows_its_margins() -> None:
    frame = q.explanation_frame(json.dumps({"prior_weight": -7.5, "comparisons": {
        "dob": {"level": "exact", "weight": 6.2}, "forename": {"level": "different", "weight": -5.4}}}))
    figure = fig.explanation_figure(frame, "Weights")
    labels = figure["data"][0]["y"]
    assert labels[0].startswith("Prior") and all("_" not in label for label in labels)
    assert figure["layout"]["yaxis"]["automargin"] and figure["layout"]["xaxis"]["automargin"]
    assert figure["data"][0]["cliponaxis"] is False  # value labels outside the bars are not cut


# ---------------------------------------------------------------- pairs in words
def pair(left: str, right: str, p: float, link: bool, **ids: str) -> dict[str, object]:
    return {"site_id": "fbs", "left_key": left, "right_key": right, "probability": p, "match_weight": 3.0,
            "is_link": link, **ids}


NO_RIVALS = pl.DataFrame()


def test_records_are_named_by_their_record_ids_when_the_warehouse_holds_them() -> None:
    view = PairView.from_row(pair("a" * 32, "b" * 32, 0.981, True, left_record_id="R123",
                                  right_record_id="919|C456"))
    assert pair_title(view) == "Site record R123 and LA child C456 (local authority 919): linked, probability 98.1%"
    keys_only = PairView.from_row(pair("0123456789abcdef", "fedcba9876543210", 0.5, False))
    assert pair_title(keys_only).startswith("Site record with key 01234567 and LA child with key fedcba98")
    assert record_label("la", "C9", "x") == "LA child C9"
    assert (percent(0.99996), percent(1.0)) == ("over 99.9%", "100.0%")  # never "100.0%" for a near-certainty


def test_a_link_is_explained_by_the_threshold() -> None:
    text = pair_reason(PairView.from_row(pair("l1", "r1", 0.981, True)), NO_RIVALS, 0.5)
    assert text.startswith("Linked: its probability 98.1% is at or above the threshold of 50.0%")


def test_a_non_link_below_the_threshold_says_so() -> None:
    text = pair_reason(PairView.from_row(pair("l1", "r1", 0.471, False)), NO_RIVALS, 0.5)
    assert text == "Not linked: its probability 47.1% is below the threshold of 50.0% for a link."


def test_a_one_to_one_non_link_names_the_better_partner_and_its_probability() -> None:
    # l1-r1 scored 98.3% but l1 went to r2 (99.8%) and r1 went to l9 (98.3%, a tie)
    rivals = pl.DataFrame({"side": ["left", "right"], "left_key": ["l1", "l9"], "right_key": ["r2", "r1"],
                           "left_record_id": [None, "R9"], "right_record_id": ["919|C2", None],
                           "match_weight": [9.0, 5.0], "probability": [0.998, 0.983]})
    text = pair_reason(PairView.from_row(pair("l1", "r1", 0.983, False, left_record_id="R1")), rivals, 0.5)
    assert text.startswith("Not linked although its probability 98.3% is above the threshold of 50.0%: each "
                           "record is linked to at most one other (one-to-one assignment)")
    assert ("(one-to-one assignment). Site record R1 was linked to a better-scoring partner, LA child C2 (local "
            "authority 919), at probability 99.8%. ") in text
    assert text.endswith("LA child with key r1 was linked to an equally scoring partner, site record R9, at probability "
                         "98.3%.")


def test_dropdown_groups_pairs_and_opens_on_the_case_most_needing_explanation() -> None:
    frame = pl.DataFrame([pair("l1", "r1", 0.999, True), pair("l2", "r2", 0.62, True),
                          pair("l3", "r3", 0.97, False), pair("l4", "r4", 0.2, False)])
    options, default = pair_choices(frame, 0.5)
    headings = [o["label"] for o in options if o.get("disabled")]
    assert headings == ["Not linked although above the threshold (a record was linked elsewhere)", "Linked pairs",
                        "Not linked: below the threshold"]
    assert default == "l3:r3"
    assert [o["value"] for o in options if not o.get("disabled")] == ["l3:r3", "l1:r1", "l2:r2", "l4:r4"]
    assert all(":" not in o["value"] for o in options if o.get("disabled"))  # a heading never names a pair


def test_evidence_sentence_names_the_heaviest_comparisons_in_words() -> None:
    frame = q.explanation_frame(json.dumps({"prior_weight": -7.5, "comparisons": {
        "dob": {"level": "exact", "weight": 6.2}, "postcode": {"level": "unit", "weight": 6.9},
        "sex": {"level": "exact", "weight": 0.9}, "forename": {"level": "different", "weight": -5.4}}}))
    text = evidence_sentence(frame)
    assert text.startswith("Strongest evidence for a match: postcode (Same postcode unit, +6.90); "
                           "date of birth (Exact, +6.20). Strongest evidence against: first name (Different, -5.40).")
    assert "prior" not in text.lower()
    assert weight_sentence(frame, -7.5 + 6.2 + 6.9 + 0.9 - 5.4).startswith("Total match weight +1.10 (the weights "
                                                                           "shown, added up)")
    assert "added up" not in weight_sentence(frame, 3.0)  # never claims a sum that does not hold


# ---------------------------------------------------------------- the queries behind the explainer
KEYS_ONLY = "INSERT INTO linkage_pairs VALUES (1, ?, 'all_identifiers', ?, ?, ?, ?, ?, '{}')"
WITH_IDS = "INSERT INTO linkage_pairs VALUES (1, ?, 'all_identifiers', ?, ?, ?, ?, ?, '{}', ?, ?)"


def tiny_warehouse(record_ids: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE linkage_runs (run_id BIGINT, settings JSON)")
    con.execute("""INSERT INTO linkage_runs VALUES (1, '{"settings": {"threshold": 0.5}}')""")
    extra = ", left_record_id VARCHAR, right_record_id VARCHAR" if record_ids else ""
    con.execute("CREATE TABLE linkage_pairs (run_id BIGINT, site_id VARCHAR, scenario VARCHAR, left_key VARCHAR, "
                f"right_key VARCHAR, match_weight DOUBLE, probability DOUBLE, is_link BOOLEAN, explanation JSON{extra})")
    rows = [("fbs", "l1", "r2", 9.0, 0.999, True), ("fbs", "l9", "r1", 6.0, 0.99, True),
            ("fbs", "l1", "r1", 5.0, 0.98, False), ("fbs", "l5", "r5", -1.0, 0.3, False),
            ("sat", "l1", "r1", 9.0, 0.999, True)]  # another site's link on the same keys: never a rival
    for site, left, right, w, p, link in rows:
        ids = [f"R-{left}", f"919|C-{right}"] if record_ids else []
        insert = WITH_IDS if record_ids else KEYS_ONLY
        con.execute(insert, [site, left, right, w, p, link, *ids])
    return con


@pytest.mark.parametrize("record_ids", [False, True])
def test_rivals_are_the_links_that_took_either_record_at_the_same_site(record_ids: bool) -> None:
    con = tiny_warehouse(record_ids)
    scope = Scope("t", ("fbs",))
    assert q.linkage_threshold(con) == 0.5
    rivals = q.linkage_pair_rivals(con, scope, "all_identifiers", "fbs", "l1", "r1")
    assert rivals.select("side", "left_key", "right_key").rows() == [("left", "l1", "r2"), ("right", "l9", "r1")]
    choices = q.linkage_pair_choices(con, scope, "all_identifiers")
    assert set(choices["site_id"]) == {"fbs"} and choices.height == 4
    row, _ = q.linkage_pair_explanation(con, scope, "all_identifiers", "l1", "r1")
    assert row is not None
    text = pair_reason(PairView.from_row(row), rivals, q.linkage_threshold(con))
    if record_ids:
        assert "Site record R-l1 was linked to a better-scoring partner, LA child C-r2 (local authority 919), at" in text
    else:
        assert "Site record with key l1 was linked to a better-scoring partner, LA child with key r2" in text
    assert q.linkage_pair_rivals(con, Scope("t", ("sat",)), "all_identifiers", "fbs", "l1", "r1").is_empty()


# ---------------------------------------------------------------- in the browser
@pytest.fixture(scope="module")
def linkage_server(tmp_path_factory: pytest.TempPathFactory,
                   settings: DashboardSettings) -> Iterator[tuple[str, dict[str, str]]]:
    """The seeded warehouse (its Black subgroup of 3 is suppressed at every site) plus a one-to-one case at fbs:
    site record k-lost scored 98% with LA record l-taken, which was linked to k-winner at over 99.9%."""
    from werkzeug.serving import make_server

    from dashboard import create_app, create_demo_accounts
    from tests.dashboard.seeded import build
    from warehouse.store import Store

    db = build(tmp_path_factory.mktemp("lkpage") / "linkage.duckdb", focus_groups=False)
    expl = json.dumps({"prior_weight": -7.5, "comparisons": {"dob": {"level": "exact", "weight": 6.2},
                                                            "postcode": {"level": "unit", "weight": 6.9}}})
    with Store(db).transaction() as con:
        con.execute("""UPDATE linkage_runs SET settings = '{"settings": {"threshold": 0.5}}'""")
        for left, right, weight, link in (("kwinner0", "ltaken00", 14.0, True), ("klost000", "ltaken00", 5.6, False)):
            con.execute("INSERT INTO linkage_pairs (run_id, site_id, scenario, left_key, right_key, match_weight, "
                        "probability, is_link, explanation) VALUES (1, 'fbs', 'all_identifiers', ?, ?, ?, ?, ?, ?)",
                        [left, right, weight, 1 / (1 + 2 ** -weight), link, expl])
    passwords = {a.name: a.password or "" for a in create_demo_accounts(db)}
    app = create_app(Store(db, read_only=True), settings)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", passwords
    server.shutdown()
    thread.join(timeout=5)


@pytest.mark.browser
def test_researcher_sees_marked_suppression_and_explained_pairs(browser: Browser, linkage_server: tuple[str, dict[str, str]],
                                                               artifacts: Path) -> None:
    from playwright.sync_api import expect

    from tests.dashboard.test_dashboard_browser import open_as

    url, passwords = linkage_server
    page = open_as(browser, url, "researcher", passwords["researcher"])
    page.goto("/linkage")
    tab = page.get_by_role("tab", name="Match rate by subgroup, with 95% intervals")
    tab.click()
    chart = page.locator("#lk-subgroup-figure")
    expect(chart.locator(".gtitle")).to_contain_text("ethnic group", timeout=60_000)
    expect(chart.locator("g.textpoint text").first).to_have_text(C)  # the [c] marker is drawn
    expect(chart).to_contain_text(f"{C} = suppressed: fewer than {DEFAULT_POLICY.suppress_max + 1}")
    page.screenshot(path=str(artifacts / "linkage_subgroups_marked.png"), full_page=True)

    page.get_by_role("tab", name="Why this pair scored as it did").click()
    reason = page.locator("#lk-explain-reason")
    # the dropdown opens on the pair that most needs explaining: above the threshold, yet not linked
    expect(reason).to_contain_text("one-to-one assignment", timeout=60_000)
    expect(reason).to_contain_text("LA child with key ltaken00 was linked to a better-scoring partner, "
                                   "site record with key kwinner0, at probability over 99.9%")
    expect(page.locator("#lk-explain-title")).to_contain_text("Site record with key klost000 and LA child with key "
                                                              "ltaken00: not linked, probability 98.0%")
    page.screenshot(path=str(artifacts / "linkage_pair_one_to_one.png"), full_page=True)
    page.locator("#lk-pair").click()
    expect(page.get_by_role("option", name="Linked pairs", exact=True)).to_be_disabled()  # a heading, not a choice
    page.screenshot(path=str(artifacts / "linkage_pair_choices.png"))
    page.get_by_role("option", name="Site record with key kfbs0005 and LA child with key lfbs0000: not linked, "
                                    "probability 11.1% (", exact=False).click()
    expect(reason).to_have_text("Not linked: its probability 11.1% is below the threshold of 50.0% for a link.",
                                timeout=60_000)
    # every label of the weights chart lies inside the chart (automatic margins)
    graph = page.locator("#lk-explain-figure .js-plotly-plot")
    expect(graph.locator(".ytick text").first).to_be_visible()
    box = graph.bounding_box()
    assert box
    for tick in graph.locator(".ytick text, .xtick text").all():
        t = tick.bounding_box()
        if t is None:  # a tick Plotly hides (no room) is not drawn, so it cannot be cut
            continue
        assert box["x"] - 1 <= t["x"] and t["x"] + t["width"] <= box["x"] + box["width"] + 1, tick.text_content()
    page.screenshot(path=str(artifacts / "linkage_pair_below.png"), full_page=True)
    # the permalink restores the chosen pair (not the default one)
    link = page.locator("#lk-body-permalink").get_attribute("href")
    assert link and "pair=kfbs0005" in link
    page.goto(link)
    page.get_by_role("tab", name="Why this pair scored as it did").click()
    expect(page.locator("#lk-explain-reason")).to_have_text(
        "Not linked: its probability 11.1% is below the threshold of 50.0% for a link.", timeout=60_000)
    assert page.console_errors == []  # type: ignore[attr-defined]
