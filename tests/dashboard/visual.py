"""What the visual browser tests look for on a page: raw codes in the visible text, text cut off in charts
and tables, suppressed points missing from charts (issue 17).

The code list is built from the registries (scenarios, measures, comparisons, data items, dimensions,
verdicts, designs, table ids, ...), so a code registered tomorrow is checked without editing this file.
A page is crawled once (every tab, every dropdown opened) and the findings are kept for the checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page

# Registry codes that are also ordinary English words: shown as they are, they read as words, not codes.
PLAIN_WORDS = frozenset({
    "name", "date", "postcode", "exact", "text", "dice", "token", "dash", "held", "collection", "use", "accuracy",
    "reliability", "feasible", "unknown", "baseline", "researcher", "site", "admin", "forename", "surname", "sex",
    "attendance", "ethnicity", "all", "overview", "sat", "leap", "coda", "referred", "consented", "linked",
    "step", "scenario", "measure", "outcome", "subgroup", "dimension", "design", "timepoint", "linkage",
    "outcomes", "synthesis", "availability", "audit", "acceptability", "toc", "marac", "source",
})
# Parts of codes that are abbreviations no sentence writes in lower case ("names dob", "nhs number").
ABBREVIATIONS = frozenset({"dob", "nhs", "csc", "rct", "fbs"})


def registry_codes() -> dict[str, str]:
    """Every code a registry or label table declares -> where it comes from."""
    from dashboard import labels
    from dashboard.accounts import ROLES
    from dashboard.pages.common import PAGES
    from dashboard.tables import TABLES
    from evaluation.verdicts import VERDICT_LABELS
    from linkage.comparisons import COMPARISONS
    from synthesis.catalogue import DATA_ITEMS
    from synthesis.catalogue import DIMENSIONS as SYN_DIMENSIONS
    from warehouse.measures import MEASURES
    from warehouse.scenarios import IDENTIFIER_ROLES, SCENARIOS
    from warehouse.sites import SITE_IDS
    from warehouse.vocabulary import SUBGROUP_LABELS

    sources: dict[str, object] = {
        "scenario (warehouse.scenarios)": list(SCENARIOS), "identifier (warehouse.scenarios)": IDENTIFIER_ROLES,
        "measure (warehouse.measures)": list(MEASURES), "comparison (linkage.comparisons)": list(COMPARISONS),
        "data item (synthesis.catalogue)": list(DATA_ITEMS),
        "dimension (synthesis.catalogue)": list(SYN_DIMENSIONS), "dimension (dashboard.labels)": labels.DIMENSIONS,
        "verdict (dashboard.labels)": labels.VERDICTS, "verdict (evaluation.verdicts)": VERDICT_LABELS,
        "timepoint (dashboard.labels)": labels.TIMEPOINTS, "design (dashboard.labels)": labels.DESIGNS,
        "step (dashboard.labels)": labels.STEPS, "outcome (dashboard.labels)": labels.OUTCOMES,
        "column (dashboard.labels)": labels.CODE_COLUMNS, "subgroup type (warehouse.vocabulary)": SUBGROUP_LABELS,
        "role (dashboard.accounts)": ROLES, "site id (warehouse.sites)": SITE_IDS,
        "table id (dashboard.tables)": list(TABLES), "page name (dashboard.pages)": list(PAGES),
    }
    out: dict[str, str] = {}
    for where, codes in sources.items():
        for code in codes:  # type: ignore[attr-defined]
            code = str(code)
            if is_code_like(code):
                out.setdefault(code, where)
            for part in code.split("_"):
                if part in ABBREVIATIONS:
                    out.setdefault(part, f"part of {code!r}, {where}")
                    # "Dob", "Nhs number": the code with underscores turned into spaces, not a label
                    out.setdefault(part.capitalize(), f"part of {code!r} capitalised, {where}")
    return out


def is_code_like(code: str) -> bool:
    """True for a code no plain sentence would contain: ``snake_case``, digits, or a lower-case non-word."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
        return False
    return "_" in code or any(ch.isdigit() for ch in code) or code not in PLAIN_WORDS


SNAKE = re.compile(r"(?<![\w/.=-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")


def raw_codes_in(text: str, codes: dict[str, str], allowed: frozenset[str] = frozenset(),
                 id_cells: list[str] | None = None) -> list[str]:
    """The codes found as whole words in ``text`` (plus any other ``snake_case`` word not in ``allowed``).

    ``id_cells`` are the cells of table columns headed "... id" or "... code": a code there is labelled as
    one (tables keep the site id beside the site's name), so only occurrences beyond those count.
    """
    cells = "\n".join(id_cells or [])
    found: list[str] = []
    for code in codes:
        flags = re.IGNORECASE if "_" in code else 0
        pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])", flags)
        if len(pattern.findall(text)) > len(pattern.findall(cells)):
            found.append(code)
    cell_words = set(SNAKE.findall(cells))
    found += sorted({m for m in SNAKE.findall(text) if m not in codes and m not in allowed and m not in cell_words})
    return found


def context_of(text: str, word: str, width: int = 40) -> str:
    """``word`` with some text around it, on one line (for failure messages)."""
    at = text.find(word)
    if at < 0:
        at = text.lower().find(word.lower())
    snippet = text[max(0, at - width):at + len(word) + width] if at >= 0 else word
    return " ".join(snippet.split())


# ---------------------------------------------------------------- in the browser
_CHART_TEXT_JS = """(tol) => {
  const out = [];
  document.querySelectorAll('#main .js-plotly-plot').forEach((plot) => {
    const box = plot.getBoundingClientRect();
    if (!box.width) return;
    const graph = plot.closest('.dash-graph');
    const owner = (graph && graph.id) || plot.id || '(chart without id)';
    plot.querySelectorAll('svg text').forEach((t) => {
      const label = (t.textContent || '').trim();
      if (!label) return;
      const r = t.getBoundingClientRect();
      if (!r.width && !r.height) return;
      const g = t.closest('g[class]');
      const kind = g ? g.getAttribute('class') : 'text';
      if (r.left < box.left - tol || r.right > box.right + tol || r.top < box.top - tol || r.bottom > box.bottom + tol) {
        out.push({chart: owner, kind: kind, text: label,
                  overflow: [Math.round(box.left - r.left), Math.round(r.right - box.right),
                             Math.round(box.top - r.top), Math.round(r.bottom - box.bottom)]});
      }
    });
  });
  return out;
}"""

_CUT_TEXT_JS = """(tol) => {
  // Text cut where it does not fit: an element that hides its overflow (or ends it with an ellipsis) and whose
  // text is wider than its box; a tab's label wider than the tab. Scrollable boxes (overflow auto) do not cut.
  const out = [];
  document.querySelectorAll('#main *').forEach((el) => {
    if (el instanceof SVGElement || !el.offsetParent) return;
    const text = (el.innerText || '').trim();
    if (!text) return;
    const s = getComputedStyle(el);
    const hides = ['hidden', 'clip'].includes(s.overflowX) || s.textOverflow === 'ellipsis';
    const isTab = el.matches('.tab, [role=tab]');
    if (!(hides || isTab) || el.scrollWidth <= el.clientWidth + tol) return;
    if (s.overflowX === 'visible' && !isTab && s.textOverflow !== 'ellipsis') return;
    // Dash's multi-select shows as many choices as fit and then "N selected": the count says what is chosen
    if (el.matches('.dash-dropdown-value') && el.parentElement.querySelector('.dash-dropdown-value-count')) return;
    const host = el.closest('[id]');
    out.push({element: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''),
              within: host ? host.id : '', text: text.replace(/\\s+/g, ' ').slice(0, 100),
              scroll: el.scrollWidth, client: el.clientWidth});
  });
  return out;
}"""

_PANELS_JS = """() => [...document.querySelectorAll('#main .panel, #main section')].filter(
    (p) => p.offsetParent && p.querySelector('.js-plotly-plot')).map((p) => {
  const h = p.querySelector('h2, h3');
  const tables = [...p.querySelectorAll('details table, .table-alt table')];
  const svg = [...p.querySelectorAll('.js-plotly-plot svg text')].map((t) => t.textContent || '');
  const charts = [...p.querySelectorAll('.dash-graph')].map((g) => g.id || '(no id)');
  // points the chart leaves out: a null value where a bar, marker or heatmap cell would be
  const gap = (v) => v === null || v === undefined || (typeof v === 'number' && isNaN(v));
  const missing = [...p.querySelectorAll('.js-plotly-plot')].reduce((n, gd) => n + (gd.data || []).reduce((m, tr) => {
    const values = tr.type === 'heatmap' ? (tr.z || []).flat() : ((tr.orientation === 'h' ? tr.x : tr.y) || []);
    return m + [...values].filter(gap).length;
  }, 0), 0);
  return {heading: h ? h.innerText.trim() : '(no heading)', charts: charts,
          table_has_c: tables.some((t) => t.innerText.includes('[c]')),
          table_c_cells: tables.flatMap((t) => [...t.querySelectorAll('tr')].filter((r) => r.innerText.includes('[c]'))
                                                   .map((r) => r.innerText.replace(/\\s+/g, ' ').trim().slice(0, 120))).slice(0, 5),
          chart_has_c: svg.some((s) => s.includes('[c]')), missing_points: missing};
})"""

_ID_CELLS_JS = """() => [...document.querySelectorAll('#main table')].flatMap((t) => {
  const heads = [...t.querySelectorAll('thead th')].map((h) => h.innerText.trim());
  const cols = heads.map((h, i) => (/(^|\\s)(id|code)$/i.test(h) ? i : -1)).filter((i) => i >= 0);
  return [...t.querySelectorAll('tbody tr')].flatMap((r) => cols.map((i) => r.cells[i] ? r.cells[i].innerText : ''));
})"""

_READY_JS = """() => {
  if (document.querySelector('[data-dash-is-loading="true"]')) return false;
  const graphs = [...document.querySelectorAll('#main .dash-graph')].filter((g) => g.offsetParent);  // shown ones
  return graphs.every((g) => g.querySelector('.main-svg'));
}"""


# Tab sets as ARIA describes them (role=tablist / role=tab), or dcc.Tabs' own classes
TAB_LISTS = "#main [role=tablist], #main .tab-container"
TAB = "[role=tab], .tab"
_TAB_LISTS_JS = """([lists, tab]) => [...document.querySelectorAll(lists)].map((l, i) => ({
  index: i, visible: !!l.offsetParent,
  tabs: [...l.querySelectorAll(tab)].filter((t) => t.closest(lists) === l).map((t) => (t.innerText || '').trim()),
}))"""


@dataclass
class View:
    """What one state of a page (one tab) showed."""

    label: str
    text: str
    clipped_chart_text: list[dict[str, object]]
    cut_cells: list[dict[str, object]]
    panels: list[dict[str, object]]
    id_cells: list[str]


@dataclass
class Crawl:
    """Everything the checks need about one page as one role saw it."""

    role: str
    page: str
    url: str
    views: list[View] = field(default_factory=list)
    dropdown_text: list[tuple[str, str]] = field(default_factory=list)  # (dropdown id, its options' text)
    screenshots: list[Path] = field(default_factory=list)


def settle(page: Page, timeout: float = 60_000, network: bool = True) -> None:
    """Wait until callbacks have answered and every shown chart is drawn. ``network=False`` after a change made
    in the browser (a tab switched): Dash marks a callback it sends as loading at once, so a short pause and
    the ready check are enough, without waiting for the network to be idle for half a second."""
    if not network:
        page.wait_for_timeout(150)
    page.wait_for_function(_READY_JS, timeout=timeout)
    if network:
        page.wait_for_load_state("networkidle", timeout=timeout)
        page.wait_for_function(_READY_JS, timeout=timeout)


def open_details(page: Page) -> None:
    """Open every collapsed table alternative, so tables are laid out and readable."""
    page.evaluate("() => document.querySelectorAll('#main details:not([open])').forEach((d) => d.open = true)")


def _inside(within: str, selector: str) -> str:
    """``selector`` inside each part of a selector list (``a, b`` -> ``a sel, b sel``)."""
    return ", ".join(f"{part.strip()} {selector}" for part in within.split(","))


def dropdown_options(page: Page, done: set[str]) -> list[tuple[str, str]]:
    """Open each shown Dash dropdown not read yet (ids in ``done``), read its options' labels, close it
    without choosing; the options of shown native selects too."""
    out: list[tuple[str, str]] = []
    buttons = page.locator("#main button[aria-haspopup=listbox]")
    for i in range(buttons.count()):
        button = buttons.nth(i)
        name = button.get_attribute("id") or f"dropdown {i + 1}"
        if name in done or not button.is_visible():
            continue
        done.add(name)
        button.click()
        listbox = page.locator("[role=listbox]").first
        listbox.wait_for(state="visible", timeout=10_000)
        out.append((name, listbox.inner_text()))
        page.keyboard.press("Escape")
        listbox.wait_for(state="hidden", timeout=10_000)
    # native <select> options are not in innerText
    for sid, text in page.evaluate("""() => [...document.querySelectorAll('#main select')].filter((s) => s.offsetParent)
            .map((s) => [s.id || s.name, [...s.options].map((o) => o.text).join('\\n')])"""):
        if sid not in done:
            done.add(sid)
            out.append((sid, text))
    return out


def look(page: Page, label: str, tolerance: float = 2) -> View:
    """Record the visible text and the cut or clipped text of the page as it is now."""
    open_details(page)
    if page.evaluate("() => [...document.querySelectorAll('#main .js-plotly-plot')].some((g) => g.offsetParent)"):
        page.wait_for_timeout(250)  # plotly's automargin redraws once after the first draw
    return View(label, page.evaluate("() => document.body.innerText"),
                page.evaluate(_CHART_TEXT_JS, tolerance), page.evaluate(_CUT_TEXT_JS, tolerance),
                page.evaluate(_PANELS_JS), page.evaluate(_ID_CELLS_JS))


def crawl(page: Page, role: str, name: str, url: str, shots: Path, dropdowns: bool = True,
          tabs: bool = True) -> Crawl:
    """Visit ``url``; open every dropdown (unless ``dropdowns`` is False); click through every tab, and every
    tab inside a tab (unless ``tabs`` is False), recording each state shown, with a full-page screenshot of each."""
    result = Crawl(role, name, url)
    page.goto(url)
    page.locator("#page-title").wait_for(state="visible", timeout=60_000)
    settle(page)
    read: set[str] = set()

    def record(labels: list[str]) -> None:
        if dropdowns:
            result.dropdown_text.extend(dropdown_options(page, read))
        n = len(result.views)
        result.views.append(look(page, " > ".join(f"tab {x!r}" for x in labels) or "page"))
        shot = shots / (f"{role}-{name}.png" if n == 0 else f"{role}-{name}-{n + 1}.png")
        page.screenshot(path=str(shot), full_page=True)
        result.screenshots.append(shot)

    def walk(seen: frozenset[int], labels: list[str]) -> None:
        lists = page.evaluate(_TAB_LISTS_JS, [TAB_LISTS, TAB])
        new = [x for x in lists if x["visible"] and x["index"] not in seen and x["tabs"]] if tabs else []
        if not new:
            record(labels)
            return
        tab_list = new[0]
        for j, label in enumerate(tab_list["tabs"]):
            page.locator(TAB_LISTS).nth(tab_list["index"]).locator(TAB).nth(j).click()
            settle(page, network=False)
            if dropdowns:  # a tab can hold controls of its own
                result.dropdown_text.extend(dropdown_options(page, read))
            walk(seen | {tab_list["index"]}, [*labels, label])

    walk(frozenset(), [])
    return result
