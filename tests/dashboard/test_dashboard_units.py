"""Unit tests of the dashboard's pure parts: disclosure control, scopes, accounts, settings, tables."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dashboard.access import Viewer
from dashboard.accounts import AccountStore, hash_password, verify_password
from dashboard.settings import DashboardSettings
from warehouse.errors import AccessDenied, ConfigError


# ---------------------------------------------------------------- tables
def test_every_table_declares_its_counts_and_rates() -> None:
    """No guessing from column names: each rate names a numerator and a denominator that are counts."""
    from dashboard.tables import TABLES
    from warehouse.disclosure import Rate

    for spec in TABLES.values():
        decl = spec.disclosure
        for rate, source in decl.rates.items():
            if isinstance(source, Rate):
                assert {source.numerator, source.denominator} <= set(decl.counts) | set(decl.support), (spec.table_id, rate)
            else:
                assert set(source) <= set(decl.counts) | set(decl.support), (spec.table_id, rate)


def test_time_to_target_in_years_and_months() -> None:
    from dashboard.tables import years_and_months

    assert years_and_months(26.2) == "2 years 3 months"  # rounded up to a whole month
    assert years_and_months(12) == "1 year"
    assert years_and_months(0.4) == "1 month"
    assert years_and_months(None) is None and years_and_months(float("nan")) is None


def test_readiness_timeline_hides_the_flow_when_its_referrals_are_few() -> None:
    """monthly referrals x months would give back the referral count: the flow and all built on it go
    with a count of 1-5, and the count itself is never published."""
    from dashboard.tables import TABLES

    decl = TABLES["readiness_timeline"].disclosure_for(5)
    frame = pl.DataFrame({"site_id": ["a", "b"], "monthly_referrals": [0.25, 2.0], "analysable_per_month": [0.1, 1.0],
                          "months_to_target": [300.0, 30.0], "time_to_target": ["25 years", "2 years 6 months"],
                          "reachable_in_study": ["no", "yes"], "referrals_counted": [3, 48]})
    out = decl.apply(frame)
    assert "referrals_counted" not in out.columns
    assert out.row(0) == ("a", "[c]", "[c]", "[c]", "[c]", "[c]")
    assert out.row(1)[1:3] == ("2.0", "1.0")


def test_unknown_table_gets_a_did_you_mean() -> None:
    from dashboard.tables import get_table

    with pytest.raises(ConfigError, match="did you mean 'overview'"):
        get_table("overveiw")


def test_scope_intersects_requests_with_permissions() -> None:
    site_user = Viewer("u", "site", ("fbs",))
    assert site_user.scope(None).sites == ("fbs",)
    assert site_user.scope(["fbs", "sat"]).sites == ("fbs",)
    assert site_user.scope("fbs,coda").sites == ("fbs",)
    for bad in (["sat"], "leap", ["nonsense"], 42, [{"x": 1}]):
        with pytest.raises(AccessDenied):
            site_user.scope(bad)  # type: ignore[arg-type]
    researcher = Viewer("r", "researcher", ("fbs", "sat", "leap", "coda"))
    assert researcher.scope(["coda", "sat"]).sites == ("sat", "coda")
    with pytest.raises(AccessDenied):
        Viewer("anonymous", "none", ()).scope(None)


# ---------------------------------------------------------------- accounts
def test_password_hash_is_salted_scrypt_and_verifies() -> None:
    a, b = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("correct horse battery", a)
    assert not verify_password("correct horse batterz", a)
    assert not verify_password("x", "md5$abc")


def test_account_validation_reports_every_problem(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.sqlite")
    with pytest.raises(ConfigError) as err:
        store.add("Bad Name", "sight", "fbsx", "short")
    msg = str(err.value)
    assert "name" in msg and "did you mean 'site'" in msg and "password has 5 characters" in msg
    with pytest.raises(ConfigError, match="needs --site"):
        store.add("ana", "site", None, "a long enough passphrase")
    with pytest.raises(ConfigError, match="only for role site"):
        store.add("rita", "researcher", "fbs", "a long enough passphrase")


def test_add_list_remove_and_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    store = AccountStore(path)
    store.add("ana", "site", "fbs", "a long enough passphrase")
    store.add("rita", "researcher", None, "another long passphrase")
    assert [(a.name, a.role, a.site) for a in store.list()] == [("ana", "site", "fbs"), ("rita", "researcher", None)]
    assert store.get("ana").sites == ("fbs",)  # type: ignore[union-attr]
    assert len(store.get("rita").sites) == 4  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="already exists"):
        store.add("ana", "site", "fbs", "a long enough passphrase")
    store.remove("ana")
    with pytest.raises(ConfigError, match="no account 'ana'"):
        store.remove("ana")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert "passphrase" not in path.read_bytes().decode("latin-1")


def test_lockout_after_repeated_failures(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.sqlite", max_failures=3, lockout_minutes=15)
    store.add("ana", "site", "fbs", "a long enough passphrase")
    assert store.authenticate("ana", "a long enough passphrase").account is not None
    for _ in range(2):
        assert store.authenticate("ana", "wrong").locked_minutes == 0
    third = store.authenticate("ana", "wrong")
    assert third.account is None and third.locked_minutes == 15
    # now even the right password is refused until the lock expires
    locked = store.authenticate("ana", "a long enough passphrase")
    assert locked.account is None and locked.locked_minutes > 0
    assert store.authenticate("nobody", "x").account is None
    actions = [(e["username"], e["what"]) for e in store.audit_entries()]
    assert ("ana", "refused: locked") in actions and ("ana", "failed: locked") in actions


# ---------------------------------------------------------------- settings
def test_secret_key_from_env_or_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.duckdb"
    monkeypatch.delenv("LINKREADY_DASHBOARD_SECRET", raising=False)
    first = DashboardSettings().resolve_secret(db)
    key_file = Path(str(db) + ".dashboard.key")
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert DashboardSettings().resolve_secret(db) == first and len(first) >= 32
    monkeypatch.setenv("LINKREADY_DASHBOARD_SECRET", "from-the-environment")
    assert DashboardSettings().resolve_secret(db) == "from-the-environment"


def test_settings_validation_and_secure_cookie_rule() -> None:
    with pytest.raises(ConfigError) as err:
        DashboardSettings(suppress_max=0, max_failures=0)
    assert "suppress_max" in str(err.value) and "max_failures" in str(err.value)
    assert DashboardSettings(host="0.0.0.0").cookies_secure() is True  # noqa: S104
    assert DashboardSettings(host="127.0.0.1").cookies_secure() is False
    assert DashboardSettings(host="127.0.0.1", secure_cookies=True).cookies_secure() is True


# ---------------------------------------------------------------- next=
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"/\\:%.@?#=&ab09 \t\r\n\x00\x7f", "%2F", "%5C", "%09", "http", "//"]),
                max_size=15).map("".join))
@example("/%2F/")  # decodes to "///", found by this test in CI
@example("/%252F%252Fevil.example")  # double-encoded "//evil.example"
def test_safe_next_only_returns_same_origin_paths(target: str) -> None:
    from urllib.parse import unquote, urlsplit

    from dashboard.auth import safe_next

    out = safe_next(target)
    once, twice = unquote(out), unquote(unquote(out))
    for text in (out, once, twice):
        parts = urlsplit(text)
        assert text.startswith("/") and not text.startswith("//") and not parts.scheme and not parts.netloc
        assert "\\" not in text and not any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


# ---------------------------------------------------------------- number formats and tabs on pages (issue 17)
def test_each_kind_of_number_has_one_format() -> None:
    from dashboard.components import fmt

    # counts: thousands separators, whole numbers, the same whether the cell holds an int, a float or text
    assert [fmt(1064, kind="count"), fmt("1064", kind="count"), fmt(1064.62, kind="count")] == ["1,064"] * 2 + ["1,065"]
    assert fmt(863.27, kind="count") == "863" and fmt("0", kind="count") == "0"
    # percentages: one decimal and a % sign, never the raw share
    assert fmt("0.5952", kind="percent") == "59.5%"
    assert fmt(0.8333333333333334, kind="percent") == fmt(0.8333333333333334, True) == "83.3%"
    assert fmt("1.0", kind="percent") == "100.0%" and fmt(-0.088, kind="percent") == "-8.8%"
    # months in years and months; flows per month to one decimal, a tiny flow in words
    assert fmt(26.2, kind="months") == "2 years 3 months" and fmt("12", kind="months") == "1 year"
    assert [fmt(0.5, kind="per_month"), fmt(0.04, kind="per_month"), fmt(0, kind="per_month")] == ["0.5", "under 0.1", "0.0"]
    # signed indices and weights, two decimals
    assert [fmt("0.3333", kind="balance"), fmt(-0.5, kind="balance"), fmt(28.2532, kind="weight")] == ["+0.33", "-0.50", "+28.25"]
    # symbols, blanks and missing values pass through whatever the kind
    for kind in ("count", "percent", "months", "per_month", "balance", None):
        assert fmt("[c]", kind=kind) == "[c]" and fmt(None, kind=kind) == "[x]" and fmt("", kind=kind) == ""
    assert fmt(float("nan"), kind="percent") == "[x]" and fmt(float("nan")) == "[x]"
    # text is never taken for a number without a kind
    assert fmt("Ready now") == "Ready now" and fmt("0.5952") == "0.5952" and fmt(1234) == "1,234"


def test_column_kinds_come_from_the_table_spec_then_the_names() -> None:
    from dashboard.access import Scope
    from dashboard.components import column_kind
    from dashboard.tables import TABLES, TableResult

    def kinds(table_id: str, *cols: str) -> list[str | None]:
        result = TableResult(TABLES[table_id], Scope("u", ("fbs",)), {}, pl.DataFrame(), ())
        return [column_kind(result, c) for c in cols]

    assert kinds("readiness_funnel", "n", "lost", "rate", "step", "horizon_months") == [
        "count", "count", "percent", None, "whole"]
    assert kinds("readiness_timeline", "months_to_target", "monthly_referrals", "target_n", "time_to_target") == [
        "months", "per_month", "count", None]
    assert kinds("acceptability", "balance", "n_segments", "construct") == ["balance", "count", None]


def _rendered(table_id: str, frame: pl.DataFrame, counts: tuple[str, ...] = ()) -> str:
    from dashboard.access import Scope
    from dashboard.components import data_table
    from dashboard.tables import TABLES, TableResult

    out = data_table(TableResult(TABLES[table_id], Scope("u", ("fbs", "sat")), {}, frame, counts))
    return str(out.children)


def test_page_tables_show_counts_and_rates_the_same_way_in_every_row() -> None:
    # a suppressed frame holds its figures as text ('1064', '0.5952'), an unsuppressed one as numbers
    html = _rendered("readiness_funnel", pl.DataFrame({
        "site_id": ["fbs", "sat"], "site": ["A", "B"], "step": ["referred", "consented"],
        "n": ["1064.62", "863.27"], "lost": ["[c]", "12"], "rate": ["0.5952", "0.8333333333333334"]}), ("n", "lost"))
    assert ">1,065<" in html and ">863<" in html and ">[c]<" in html
    assert ">59.5%<" in html and ">83.3%<" in html
    assert "0.5952" not in html and "863.27" not in html and "0.8333" not in html
    assert '<td class="num count">12</td>' in html  # counts keep the class the disclosure crawl reads


def test_months_to_target_are_shown_in_years_and_months_once() -> None:
    html = _rendered("readiness_timeline", pl.DataFrame({
        "site_id": ["fbs"], "site": ["A"], "months_to_target": [26.2], "time_to_target": ["2 years 3 months"],
        "monthly_referrals": [0.5952]}))
    assert "Months to target" not in html and "26.2" not in html  # the words beside it say the same
    assert html.count("2 years 3 months") == 1 and ">0.6<" in html
    # where the table has only the months, they are shown in words under a heading that says so
    html = _rendered("outcome_readiness", pl.DataFrame({"site_id": ["fbs"], "months_to_target": ["26.2"]}))
    assert "Time to target" in html and "2 years 3 months" in html and "26.2" not in html


def test_tabs_are_an_aria_tab_list_labelled_by_the_panel_headings() -> None:
    from dash import html

    from dashboard.components import TAB, TAB_PANEL, dash_dom_id, tabbed

    sections = [html.Section([html.H2(t), html.P(t.lower())]) for t in ("Linkage quality", "Match rate", "Pairs")]
    tabs = tabbed("lk-tabs", sections, selected=1)
    tablist, *panels = tabs.children
    assert tablist.role == "tablist" and tablist.id == "lk-tabs" and getattr(tablist, "aria-label")
    buttons = tablist.children
    assert [b.children.children for b in buttons] == ["Linkage quality", "Match rate", "Pairs"]
    assert [b.children.id for b in buttons] == ["lk-tabs-tab-0", "lk-tabs-tab-1", "lk-tabs-tab-2"]
    assert [getattr(b, "aria-selected") for b in buttons] == ["false", "true", "false"]
    assert [p.hidden for p in panels] == [True, False, True]  # every panel is in the page, one shown
    for i, (b, p) in enumerate(zip(buttons, panels, strict=True)):
        assert b.role == "tab" and b.type == "button" and p.role == "tabpanel"
        assert b.id == {"type": TAB, "set": "lk-tabs", "index": i} and p.children is sections[i]
        # each tab names the panel it controls, each panel the tab that labels it, by the ids Dash writes
        assert getattr(b, "aria-controls") == dash_dom_id(p.id) == f'{{"index":{i},"set":"lk-tabs","type":"{TAB_PANEL}"}}'
        assert getattr(p, "aria-labelledby") == dash_dom_id(b.id)
    assert tabbed("x", sections[:1]) is sections[0]  # one panel needs no tabs
    assert [getattr(b, "aria-selected") for b in tabbed("x", sections, selected=9).children[0].children][-1] == "true"
    labelled = tabbed("x", [html.Div("a"), html.Div("b")], labels=["At a glance", "Linkage"])
    assert [b.children.children for b in labelled.children[0].children] == ["At a glance", "Linkage"]


def test_a_wide_summary_can_be_shown_a_column_per_site() -> None:
    from dashboard.access import Scope
    from dashboard.components import data_table
    from dashboard.tables import TABLES, TableResult

    frame = pl.DataFrame({"site_id": ["fbs", "sat"], "site": ["Site A", "Site B"],
                          "primary_completeness": ["0.6176", "[c]"], "target_n": [1352, 352],
                          "data_gaps": ["", "Follow-up not yet due"]})
    result = TableResult(TABLES["readiness_summary"], Scope("u", ("fbs", "sat")), {}, frame, ())
    html = str(data_table(result, transpose=True).children)
    head = html.split("<tbody>")[0]
    assert '<th scope="col">Site A</th><th scope="col">Site B</th>' in head  # a column per site
    assert "Site id" not in html  # the site's code is not a figure
    body = html.split("<tbody>")[1]
    assert body.count("<tr>") == 3 and '<th scope="row">Primary completeness</th><td class="num">61.8%</td>' in body
    assert '<td class="num">1,352</td><td class="num">352</td>' in body
    assert "<td></td><td>Follow-up not yet due</td>" in body  # a blank cell stays blank
    # the same table the usual way round: a row per site
    plain_way = str(data_table(result).children).split("<tbody>")[1]
    assert plain_way.count("<tr>") == 2 and '<th scope="row">Site A</th>' in plain_way
    assert ">fbs<" not in plain_way  # the site's name heads the row; its code stays in the downloads


def test_a_long_table_splits_into_a_tab_per_value_with_one_download() -> None:
    from dashboard.access import Scope
    from dashboard.components import panel_by
    from dashboard.tables import TABLES, TableResult

    frame = pl.DataFrame({"site_id": ["fbs", "sat", "fbs"], "site": ["Site A", "Site B", "Site A"],
                          "data_item": ["NHS number", "NHS number", "Postcode"], "quote": ["q1", "q2", "q3"]})
    result = TableResult(TABLES["availability_evidence"], Scope("u", ("fbs", "sat")), {}, frame, ())
    section = panel_by(result, "site", "av-evidence-tabs", "Evidence by site")
    heading, tabs, _notes, downloads = section.children
    assert section.id == "tbl-availability_evidence" and heading.children == TABLES["availability_evidence"].title
    tablist, *panels = tabs.children
    assert [b.children.children for b in tablist.children] == ["Site A", "Site B"]
    tables = [p.children.children for p in panels]
    assert "q1" in tables[0] and "q3" in tables[0] and "q2" not in tables[0] and "q2" in tables[1]
    assert ": Site B</caption>" in tables[1] and 'id="tbl-availability_evidence-1"' in tables[1]
    assert str(downloads).count("/download/availability_evidence.csv") == 1  # the whole table, once
    one_site = dataclasses.replace(result, frame=frame.filter(pl.col("site_id") == "fbs"))
    assert "tabs" not in str(panel_by(one_site, "site", "x", "y"))  # one value: the table as it is


def test_codes_beside_their_words_are_left_to_the_downloads() -> None:
    # availability: the data item's catalogue name, the activity and source in words; no site or item code
    html = _rendered("availability_evidence", pl.DataFrame({
        "site_id": ["fbs"], "site": ["Site A"], "data_item": ["nhs_number"], "source": ["focus_group"],
        "activity_kind": ["data_focus_group"], "rating": [3]}))
    assert ">NHS number<" in html and ">Focus group<" in html and ">Data focus group<" in html
    assert not [code for code in ("nhs_number", "focus_group", ">fbs<", "Site id") if code in html]
    html = _rendered("availability_matrix", pl.DataFrame({
        "site_id": ["fbs"], "site": ["Site A"], "data_item": ["nhs_number"], "data_item_label": ["NHS number"]}))
    assert html.count("NHS number") == 1 and "Data item name" in html  # the label column, once


def test_audit_lines_and_triangulation_cells_read_as_words() -> None:
    from dashboard.access import Scope
    from dashboard.pages.audit import readable_detail, readable_sites, readable_what
    from dashboard.pages.synthesis import in_words
    from dashboard.tables import TABLES, TableResult

    assert readable_what("linkage_scenarios") == TABLES["linkage_scenarios"].title
    assert readable_what("refused: locked") == "Refused: locked" and readable_what("site_panel") == "Site panel"
    assert readable_sites("fbs,coda") == "For Baby's Sake, CODA"
    detail = readable_detail('{"scenario": "all_identifiers", "subgroup_type": "ethnic_group", "site": "coda"}')
    assert detail == "scenario: All identifiers; subgroup type: Ethnic group; site: CODA"
    frame = pl.DataFrame({"rq_id": ["RQ1", "RQ2"], "about": ["nhs_number / held", "T03"],
                          "Site A": ["partial_agreement", "[x]"], "Site B": ["silence", "agreement"]})
    shown = in_words(TableResult(TABLES["triangulation_matrix"], Scope("u", ("fbs",)), {}, frame, ())).frame
    assert shown.rows() == [("RQ1", "NHS number / Held", "Partial agreement", "Silence"),
                            ("RQ2", "T03", "[x]", "Agreement")]


def test_table_notes_state_the_threshold_the_table_was_suppressed_with():
    from dashboard.access import Scope
    from dashboard.tables import SMALL, TABLES, TableResult

    spec = TABLES["linkage_subgroups"]
    assert any(SMALL in n for n in spec.notes)               # the note names no threshold of its own
    default = TableResult(spec, Scope("u", ("fbs",)), {}, pl.DataFrame(), ())
    stricter = TableResult(spec, Scope("u", ("fbs",)), {}, pl.DataFrame(), (), suppress_max=9)
    assert any("1-5 records" in n for n in default.notes) and not any("1-5" in n for n in stricter.notes)
    assert any("1-9 records" in n for n in stricter.notes)
