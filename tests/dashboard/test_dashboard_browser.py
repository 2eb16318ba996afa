"""Browser tests: Playwright driving Debian's chromium against one live server per session."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.tables import REGISTRY
from warehouse.disclosure import is_revealing_count
from warehouse.scenarios import scenario_label
from warehouse.sites import SITE_IDS, SITES

pytestmark = pytest.mark.browser
# The shared 2-core machine runs other suites beside this one: a first plotly load or a page's first callback
# took more than 20 s under that load. Waits are for specific content, with a generous ceiling.
expect.set_options(timeout=60_000)
NAMES = {s: SITES[s].name for s in SITE_IDS}
PAGES = ("/", "/availability", "/linkage", "/outcomes", "/synthesis", "/site/fbs")


def open_as(browser: Browser, base_url: str, name: str, password: str) -> Page:
    """A fresh context logged in through the real login form."""
    context = browser.new_context(base_url=base_url, accept_downloads=True)
    context.set_default_timeout(60_000)  # clicks, downloads and navigation under the same load
    context.set_default_navigation_timeout(90_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.console_errors = errors  # type: ignore[attr-defined]
    page.goto("/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#page-title")).to_be_visible()
    return page


def show_tab(page: Page, label: str) -> None:
    """Open the tab with this visible label, as a person would (a page's panels are tabs: issue 17)."""
    tab = page.get_by_role("tab", name=label, exact=True)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def each_tab(page: Page) -> Iterator[str]:
    """Show every tab of the page in turn, the tabs inside an area's tab too; yields what is shown."""
    lists = page.locator("[role=tablist]")
    if lists.count() == 0:
        yield ""
        return
    for outer in lists.first.get_by_role("tab").all_inner_texts():
        show_tab(page, outer)
        inner = page.locator("[role=tabpanel]:not([hidden]) [role=tablist]:visible")
        if inner.count() == 0:
            yield outer
            continue
        for label in inner.first.get_by_role("tab").all_inner_texts():
            show_tab(page, label)
            yield f"{outer} / {label}"


def choose(page: Page, dropdown: str, option: str) -> None:
    """Pick an option in a Dash 4 dropdown (a button with a listbox)."""
    page.locator(f"#{dropdown}").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_overview_shows_all_four_sites(browser: Browser, base_url: str, pipeline_passwords, artifacts: Path) -> None:
    page = open_as(browser, base_url, "researcher", pipeline_passwords["researcher"])
    expect(page.locator(".site-card")).to_have_count(4)
    for site in SITE_IDS:
        expect(page.locator(f"#card-link-{site}")).to_have_text(NAMES[site])
    # main control: the identifier scenario changes the figures and the permalink
    choose(page, "ov-scenario", scenario_label("names_dob"))
    expect(page.locator("#ov-body-permalink")).to_have_attribute("href", re.compile(r"scenario=names_dob"))
    expect(page.locator("#ov-figure .gtitle")).to_contain_text(scenario_label("names_dob"))
    page.screenshot(path=str(artifacts / "overview_researcher.png"), full_page=True)
    # each card opens its site's panel
    page.locator("#card-link-leap").click()
    expect(page).to_have_url(re.compile(r"/site/leap$"))
    expect(page.locator("#page-title")).to_have_text(f"{NAMES['leap']}: site panel")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_each_page_main_control(browser: Browser, base_url: str, pipeline_passwords, artifacts: Path) -> None:
    page = open_as(browser, base_url, "researcher", pipeline_passwords["researcher"])
    page.goto("/availability")
    show_tab(page, "Data availability by site and data item")
    expect(page.locator("#av-heatmap")).to_be_visible()
    expect(page.locator("#av-heatmap .gtitle")).to_contain_text("Held")
    choose(page, "av-dimension", "Accuracy")
    expect(page.locator("#av-heatmap .gtitle")).to_contain_text("Accuracy")
    page.screenshot(path=str(artifacts / "availability.png"), full_page=True)

    page.goto("/linkage")
    show_tab(page, "Match rate by subgroup, with 95% intervals")
    expect(page.locator("#lk-subgroup-figure")).to_be_visible()
    expect(page.locator("#lk-subgroup-figure .gtitle")).to_contain_text("ethnic group")
    choose(page, "lk-scenario", scenario_label("dob_postcode_sex"))
    expect(page.locator("#lk-body-permalink")).to_have_attribute("href", re.compile("scenario=dob_postcode_sex"))
    show_tab(page, "Why this pair scored as it did")
    expect(page.locator("#explain-table")).to_contain_text(re.compile("postcode", re.IGNORECASE))
    page.screenshot(path=str(artifacts / "linkage.png"), full_page=True)

    page.goto("/outcomes")
    show_tab(page, "Outcome completeness by site, measure and timepoint")
    expect(page.locator("#oc-completeness-figure .gtitle")).to_contain_text("(All measures)")
    page.locator("#oc-measure").click()
    second = page.get_by_role("option").nth(1)
    measure = second.inner_text().strip()
    second.click()
    expect(page.locator("#oc-completeness-figure .gtitle")).to_contain_text(f"({measure})")
    page.screenshot(path=str(artifacts / "outcomes.png"), full_page=True)
    # the other panels are one click away, and the figures in a tab opened later fill its width
    show_tab(page, "Sample accrued over time")
    expect(page.locator("#oc-timeline-figure")).to_be_visible()
    expect(page.locator("#oc-completeness-figure")).to_be_hidden()
    graph, main = page.locator("#oc-timeline-figure").bounding_box(), page.locator("#main").bounding_box()
    assert graph and main and graph["width"] > 0.8 * (main["width"] - 48), (graph, main)

    page.goto("/synthesis")
    show_tab(page, "Framework matrix: themes by site")
    expect(page.locator("#tbl-framework_matrix")).to_contain_text(NAMES["sat"])
    page.locator("#sy-sites").click()
    page.get_by_role("option", name=NAMES["sat"], exact=True).click()  # deselect one site
    page.keyboard.press("Escape")
    expect(page.locator("#sy-body-permalink")).to_have_attribute("href", re.compile(r"sites=fbs%2Cleap%2Ccoda"))
    expect(page.locator("#tbl-framework_matrix")).not_to_contain_text(NAMES["sat"])
    expect(page.locator("#tbl-framework_matrix")).to_be_visible()
    page.screenshot(path=str(artifacts / "synthesis.png"), full_page=True)

    page.goto("/site/sat?scenario=no_nhs_number")
    expect(page.locator("#sp-body-permalink")).to_have_attribute("href", re.compile("scenario=no_nhs_number"))
    show_tab(page, "Linkage")
    show_tab(page, "Match rate by subgroup, with 95% intervals")
    choose(page, "sp-subgroup", "Sex")
    expect(page.locator("#lk-subgroup-figure .gtitle")).to_contain_text("Match rate by sex")
    # the redraw after the control changed keeps the tabs that were open
    expect(page.locator("#lk-subgroup-figure")).to_be_visible()
    expect(page.get_by_role("tab", name="Linkage", exact=True)).to_have_attribute("aria-selected", "true")
    page.screenshot(path=str(artifacts / "site_panel_researcher.png"), full_page=True)
    assert page.console_errors == []  # type: ignore[attr-defined]


def _download_rows(page: Page, href: str) -> list[dict[str, str]]:
    resp = page.request.get(href)
    assert resp.status == 200, href
    lines = [line for line in resp.text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def test_site_user_sees_only_own_site_everywhere(browser: Browser, base_url: str, pipeline_passwords, artifacts: Path) -> None:
    site = "sat"
    page = open_as(browser, base_url, f"{site}_user", pipeline_passwords[f"{site}_user"])
    expect(page).to_have_url(re.compile(rf"/site/{site}$"))  # a site user lands on their own panel
    expect(page.locator(".tagline")).to_contain_text(NAMES[site])
    others = [NAMES[s] for s in SITE_IDS if s != site]
    # every cross-site page points a site user to their own panel
    for path in PAGES[:-1]:
        page.goto(path)
        expect(page.locator("#own-panel-link")).to_be_visible()
        assert not any(o in page.content() for o in others), path
    page.goto(f"/site/{site}")
    expect(page.locator("#page-title")).to_have_text(f"{NAMES[site]}: site panel")
    expect(page.locator(f"#card-{site}")).to_be_visible()  # "At a glance" is the first tab
    expect(page.get_by_role("tab", name="At a glance")).to_have_attribute("aria-selected", "true")
    show_tab(page, "Linkage")
    show_tab(page, "Linkage quality by identifier scenario")
    expect(page.locator("#h-linkage_scenarios")).to_be_visible()
    assert not any(o in page.content() for o in others)
    page.screenshot(path=str(artifacts / f"site_panel_{site}_user.png"), full_page=True)
    # a download from the page holds this site only
    with page.expect_download() as dl:
        page.locator("a.dl[href*='/download/linkage_scenarios.csv']").first.click()
    assert dl.value.suggested_filename == f"linkage_scenarios_{site}.csv"
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO("\n".join(x for x in text.splitlines() if not x.startswith("#")))))
    assert rows and {r["Site id"] for r in rows} == {site}
    assert text.startswith("Site id,")
    meta = page.request.get(f"/download/linkage_scenarios.metadata.csv?sites={site}")
    assert meta.status == 200 and "Symbol [c]" in meta.text()
    # another site's panel is refused, also when reached by a permalink; so is a crafted download
    for other in SITE_IDS:
        if other != site:
            page.goto(f"/site/{other}?scenario=names_dob")
            expect(page.locator("#page-title")).to_have_text("Not available")
            assert NAMES[other] not in page.content()
            assert page.request.get(f"/download/overview.csv?sites={other}").status == 403


def test_crawl_as_site_user_finds_no_count_from_1_to_5(browser: Browser, base_url: str, pipeline_passwords,
                                                      artifacts: Path) -> None:
    site = "coda"  # the smallest site
    page = open_as(browser, base_url, f"{site}_user", pipeline_passwords[f"{site}_user"])
    page.goto(f"/site/{site}")
    expect(page.locator(f"#card-{site}")).to_be_visible()
    shown = []
    for where in each_tab(page):  # every tab of every area, each chart's table opened
        shown.append(where)
        for details in page.locator("details.table-alt:visible").all():
            details.locator("summary").click()
        counts = page.locator("td.count:visible, th.count:visible").all_inner_texts()
        assert not [c for c in counts if is_revealing_count(c)], (where, counts)
    assert len(shown) >= 12 and "Linkage / Linkage quality by identifier scenario" in shown, shown
    page.screenshot(path=str(artifacts / f"site_panel_{site}_user_tables.png"), full_page=True)
    counts = page.locator("td.count, th.count").all_inner_texts()
    assert counts
    assert not [c for c in counts if is_revealing_count(c)], counts
    card = page.locator(f"#card-{site} dd").all_inner_texts()
    assert not is_revealing_count(card[0])  # programme children
    hrefs = page.locator("a.dl").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert len(hrefs) >= 20
    for href in (h for h in hrefs if ".csv" in h):
        table_id = href.split("/download/")[1].split(".")[0]
        spec = REGISTRY[table_id]
        count_labels = [spec.label(c) for c in (spec.disclosure.counts if spec.disclosure else ())]
        for row in _download_rows(page, href):
            assert row.get("Site id", site) == site, (href, row)
            assert not [row[c] for c in count_labels if c in row and is_revealing_count(row[c])], (href, row)


def test_permalink_restores_state(browser: Browser, base_url: str, pipeline_passwords) -> None:
    page = open_as(browser, base_url, "researcher", pipeline_passwords["researcher"])
    page.goto("/linkage?sites=fbs,leap&scenario=names_dob&subgroup_type=ethnic_group")
    expect(page.locator("#lk-body-permalink")).to_have_attribute(
        "href", re.compile(r"sites=fbs%2Cleap&scenario=names_dob&subgroup_type=ethnic_group"))
    expect(page.locator("#tbl-linkage_scenarios")).not_to_contain_text(NAMES["sat"])
    page.goto("/linkage?scenario=<script>")  # a bad value falls back to the default
    expect(page.locator("#lk-body-permalink")).to_have_attribute("href", re.compile("scenario=all_identifiers"))


def test_keyboard_skip_link_and_sign_out(browser: Browser, base_url: str, pipeline_passwords) -> None:
    page = open_as(browser, base_url, "researcher", pipeline_passwords["researcher"])
    expect(page.locator("#ov-figure")).to_be_visible()  # let the page settle before moving focus
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Tab")  # next stop: the sign-out button in the masthead
    expect(page.locator("#sign-out")).to_be_focused()
    # tabs are buttons: reached with Tab, switched with Enter or Space
    page.goto("/outcomes")
    first = page.get_by_role("tab", name="Outcome completeness by site, measure and timepoint")
    expect(first).to_have_attribute("aria-selected", "true")
    first.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("tab", name="Sample accrued over time")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab", name="Sample accrued over time")).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    expect(page.locator("#oc-timeline-figure")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press(" ")
    expect(page.get_by_role("tab", name="Time to reach the target sample")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#oc-months-figure")).to_be_visible()
    page.locator("#sign-out").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/outcomes")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_axe_finds_no_serious_or_critical_violations(browser: Browser, base_url: str, pipeline_passwords,
                                                      artifacts: Path) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}

    def scan(page: Page, label: str) -> None:
        # Known Dash 4.4.1 issue: dcc.Dropdown's hidden focus target (aria-hidden-focus); only that node is excluded.
        result = axe.run(page, context={"exclude": [[".dash-dropdown-focus-target"]]},
                         options={"resultTypes": ["violations"]})
        bad = [v["id"] for v in result.response["violations"] if v.get("impact") in ("serious", "critical")]
        (artifacts / f"axe_{label}.txt").write_text(result.generate_report())
        if bad:
            found[label] = bad

    context = browser.new_context(base_url=base_url)
    login_page = context.new_page()
    login_page.goto("/login")
    scan(login_page, "login")
    page = open_as(browser, base_url, "researcher", pipeline_passwords["researcher"])
    for path in PAGES:
        page.goto(path)
        expect(page.locator("#main .panel").first).to_be_visible()
        scan(page, path.strip("/").replace("/", "_") or "overview")
    site_page = open_as(browser, base_url, "sat_user", pipeline_passwords["sat_user"])
    site_page.goto("/site/sat")
    expect(site_page.locator("#main .panel").first).to_be_visible()
    scan(site_page, "site_user_panel")
    for area in ("Linkage", "Outcomes and readiness", "Data availability", "Focus-group synthesis"):
        show_tab(site_page, area)
        scan(site_page, "site_user_panel_" + area.split()[0].lower())
    assert found == {}
