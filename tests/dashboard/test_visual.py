"""Visual browser checks for every role and every page it can open (issue 17, "Done when", first bullet).

For researcher, admin and a site user, every registered page (``dashboard.pages.common.PAGES``) is opened
in Debian's chromium, every dropdown opened and every tab clicked, and a full-page screenshot saved to
``tests/artifacts/screenshots/<role>-<page>.png`` (gitignored; the data is the fixtures' synthetic world).
Then, per role and page:

- no raw code (from the registries: scenarios, measures, comparisons, data items, dimensions, verdicts,
  table ids, ...) appears as a whole word in the visible text, dropdown options or any tab;
- no chart text (ticks, titles, legend, annotations, bar labels) lies outside its chart, and no table
  cell, tab or label has its text cut;
- where a chart's table alternative shows ``[c]``, the chart shows ``[c]`` too.

Besides: each site user lands on their own panel and is refused the others; the admin's audit log
filters (user, site, action, day) narrow the rows and its export loads with ``pandas.read_csv``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

import dashboard.app  # noqa: F401 - registers the pages
from dashboard.pages.common import PAGES
from tests.dashboard.visual import Crawl, context_of, crawl, raw_codes_in, registry_codes
from warehouse.sites import SITE_IDS, SITES

pytestmark = pytest.mark.browser
expect.set_options(timeout=60_000)

SITE = "coda"  # the smallest site: most cells are suppressed, so [c] markers are exercised
ROLES = {"researcher": "researcher", "admin": "admin", "site user": f"{SITE}_user"}
CODES = registry_codes()


def _pages_for(role: str) -> list[tuple[str, str]]:
    """(page name, URL) for the pages a role can open, in navigation order; ``<site_id>`` filled in."""
    out = []
    for p in sorted(PAGES.values(), key=lambda p: p.order):
        if role == "site user" and not (p.site_users or "<site_id>" in p.path):
            continue  # cross-site pages only point a site user to their panel (checked below)
        if p.admin_only and role != "admin":
            continue
        out.append((p.name, re.sub(r"<[^>]+>", SITE, p.path)))
    return out


CASES = [(role, name, url) for role in ROLES for name, url in _pages_for(role)]
IDS = [f"{role.replace(' ', '_')}-{name}" for role, name, _ in CASES]


@pytest.fixture(scope="module")
def shots(artifacts: Path) -> Path:
    """Screenshot folder (tests/artifacts is gitignored)."""
    folder = artifacts / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def signed_in(browser: Browser, base_url: str, pipeline_passwords: dict[str, str]) -> Iterator[dict[str, Page]]:
    """One logged-in page per account, opened on first use, closed with the module."""
    pages: dict[str, Page] = {}

    class Pages(dict):  # type: ignore[type-arg]
        def __missing__(self, account: str) -> Page:
            pages[account] = self[account] = sign_in(browser, base_url, account, pipeline_passwords[account])
            return pages[account]

    yield Pages()
    for page in pages.values():
        page.context.close()


def sign_in(browser: Browser, base_url: str, account: str, password: str, page_only: bool = False) -> Page:
    """A fresh browser context signed in through the login form.

    ``page_only``: answer only Dash's page-routing callback (the layout: title, header, refusals) and drop the
    others, so a test about where a user lands does not wait for the server to compute a whole panel.
    """
    context = browser.new_context(base_url=base_url, accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    context.set_default_navigation_timeout(90_000)
    if page_only:
        context.route("**/_dash-update-component*",
                      lambda route: route.continue_() if "_pages_" in (route.request.post_data or "") else route.abort())
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill(account)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#page-title")).to_be_visible()
    return page


@pytest.fixture(scope="module")
def crawled(signed_in: dict[str, Page], shots: Path) -> dict[tuple[str, str], Crawl]:
    """Each (role, page) crawled once and shared by the three checks."""

    class Crawls(dict):  # type: ignore[type-arg]
        def __missing__(self, key: tuple[str, str]) -> Crawl:
            role, name = key
            url = next(u for r, n, u in CASES if (r, n) == key)
            # An admin sees every site, as a researcher does: on a page both can open, the admin's visit checks the
            # page as it opens (header, first tab) and the researcher's visit opens every dropdown and tab; the
            # admin-only pages get the full crawl (this keeps the module's run time down).
            full = not (role == "admin" and (name, url) in _pages_for("researcher"))
            self[key] = crawl(signed_in[ROLES[role]], role.replace(" ", "_"), name, url, shots, full, full)
            return self[key]

    return Crawls()


def _once(findings: list[str]) -> list[str]:
    """Findings without repeats: something outside the tabs is seen again on every tab; name its first tab."""
    seen: dict[str, str] = {}
    for f in findings:
        where, _, what = f.partition(": ")
        seen.setdefault(what, f if what else where)
    return list(seen.values())


@pytest.mark.parametrize(("role", "name", "url"), CASES, ids=IDS)
def test_no_raw_code_visible(role: str, name: str, url: str, crawled, pipeline_passwords) -> None:
    seen = crawled[role, name]
    accounts = frozenset(pipeline_passwords)  # user names are names, not codes
    found = []
    for view in seen.views:
        for code in raw_codes_in(view.text, CODES, accounts, view.id_cells):
            found.append(f"{view.label}: {code!r} ({CODES.get(code, 'snake_case word')}) in "
                         f"{context_of(view.text, code)!r}")
    for dropdown, options in seen.dropdown_text:
        for code in raw_codes_in(options, CODES, accounts):
            found.append(f"dropdown #{dropdown} option: {code!r} ({CODES.get(code, 'snake_case word')}) in "
                         f"{context_of(options, code)!r}")
    assert not found, f"{role} on {url}: raw codes shown:\n" + "\n".join(_once(found))


@pytest.mark.parametrize(("role", "name", "url"), CASES, ids=IDS)
def test_no_label_clipped(role: str, name: str, url: str, crawled) -> None:
    seen = crawled[role, name]
    found = []
    for view in seen.views:
        for t in view.clipped_chart_text:
            left, right, top, bottom = t["overflow"]  # type: ignore[misc]
            found.append(f"{view.label}: chart #{t['chart']} {t['kind']} {t['text']!r} outside the chart by "
                         f"left {left}, right {right}, top {top}, bottom {bottom} px")
        for c in view.cut_cells:
            found.append(f"{view.label}: {c['element']} in #{c['within']} {c['text']!r} cut "
                         f"(text {c['scroll']} px wide in a {c['client']} px box)")
    assert not found, f"{role} on {url}: text cut or outside its chart:\n" + "\n".join(_once(found))


@pytest.mark.parametrize(("role", "name", "url"), CASES, ids=IDS)
def test_suppressed_points_marked(role: str, name: str, url: str, crawled) -> None:
    seen = crawled[role, name]
    found = []
    for view in seen.views:
        for p in view.panels:
            # a [c] in a column the chart does not plot leaves no gap in it; a gap with no [c] is the defect
            if p["table_has_c"] and p["missing_points"] and not p["chart_has_c"]:
                found.append(f"{view.label}: panel {p['heading']!r}, chart {', '.join(p['charts'])}: "
                             f"{p['missing_points']} points left out, the table shows [c] (rows "
                             f"{p['table_c_cells']}) but the chart shows no [c]")
    assert not found, f"{role} on {url}: suppressed points not marked:\n" + "\n".join(found)


# ---------------------------------------------------------------- site users
def test_site_users_land_on_their_own_panel(browser: Browser, base_url: str, pipeline_passwords) -> None:
    problems = []
    for site in SITE_IDS:
        account = f"{site}_user"
        page = sign_in(browser, base_url, account, pipeline_passwords[account], page_only=True)  # the first landing
        name = SITES[site].name
        if not re.search(rf"/site/{site}$", page.url):
            problems.append(f"{account}: landed on {page.url}, not /site/{site}")
        header = page.locator("header").inner_text()
        if name not in header:
            problems.append(f"{account}: the header does not name {name!r}: {' '.join(header.split())!r}")
        expect(page.locator("#page-title")).to_contain_text(name)
        for other in SITE_IDS:
            if other == site:
                continue
            page.goto(f"/site/{other}")
            expect(page.locator("#page-title")).to_be_visible()  # drawn with the page: its text is final
            title = page.locator("#page-title").inner_text()
            text = page.locator("#main").inner_text()
            if title != "Not available" or SITES[other].name in text:
                problems.append(f"{account}: /site/{other} shows {title!r}")
        page.context.close()
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- audit log
def _audit(page: Page, **filters: str) -> tuple[int, list[dict[str, str]]]:
    """Apply filters through the form; the total it reports and the rows of the first page."""
    if not re.search(r"/audit(\?|$)", page.url):
        page.goto("/audit")
    expect(page.locator("#audit-table")).to_be_visible()
    for field in ("user", "day"):
        page.locator(f"#audit-{field}").fill(filters.get(field, ""))
    for field in ("site", "action"):
        page.locator(f"#audit-{field}").select_option(filters.get(field, ""))
    with page.expect_navigation():  # a plain GET form: the page is drawn again from the query string
        page.locator("#audit-filter").click()
    expect(page.locator("#audit-summary")).to_be_visible()
    for key, value in filters.items():
        assert re.search(rf"[?&]{key}={re.escape(value)}", page.url), (key, page.url)
    total = int(re.search(r"([\d,]+) entries", page.locator("#audit-summary").inner_text()).group(1).replace(",", ""))
    heads = page.locator("#audit-table thead th").all_inner_texts()
    rows = [dict(zip(heads, r, strict=False)) for r in page.locator("#audit-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText))")]
    return total, rows


def test_audit_log_filters_narrow_and_export_loads(signed_in, shots: Path, tmp_path: Path) -> None:
    import pandas as pd

    # make sure there is something to filter: a download by another user and a refusal of a site user
    assert signed_in["researcher"].request.get(f"/download/overview.csv?sites={SITE}").status == 200
    assert signed_in[f"{SITE}_user"].request.get("/download/overview.csv?sites=fbs").status == 403
    page = signed_in["admin"]
    everything, _ = _audit(page)
    page.screenshot(path=str(shots / "admin-audit-unfiltered.png"), full_page=True)
    assert everything > 0

    total, rows = _audit(page, user="researcher")
    assert 0 < total < everything and rows and {r["User"] for r in rows} == {"researcher"}, (total, everything)

    total, rows = _audit(page, site="fbs")
    assert 0 < total < everything and rows, (total, everything)
    assert all("fbs" in r["Sites"] or SITES["fbs"].name in r["Sites"] for r in rows), [r["Sites"] for r in rows]

    total, rows = _audit(page, action="refused")
    assert 0 < total < everything and {r["Action"] for r in rows} == {"Refused"}, (total, [r["Action"] for r in rows])

    today = datetime.now(timezone.utc)  # noqa: UP017 - the audit log's day is a UTC day
    total, rows = _audit(page, day=today.strftime("%Y-%m-%d"))
    assert total > 0 and all(f"{today.day} {today:%b %Y}" in r["When"] for r in rows), [r["When"] for r in rows]
    none, rows = _audit(page, day=(today - timedelta(days=400)).strftime("%Y-%m-%d"))
    assert none == 0 and rows == []

    total, rows = _audit(page, user=f"{SITE}_user", action="refused")
    assert 0 < total < everything and {(r["User"], r["Action"]) for r in rows} == {(f"{SITE}_user", "Refused")}
    page.screenshot(path=str(shots / "admin-audit-filtered.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#audit-export").click()
    path = tmp_path / "audit.csv"
    download.value.save_as(path)
    frame = pd.read_csv(path)  # no options: the CSV is the table alone
    assert len(frame) >= total and len(frame.columns) >= 5, (len(frame), frame.columns.tolist())
    users = next(c for c in frame.columns if c.lower() in ("user", "username"))
    assert set(frame[users]) == {f"{SITE}_user"}, set(frame[users])
