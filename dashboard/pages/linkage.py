"""Linkage feasibility: scenario table per site, subgroup bias chart, and one pair's score explained.

The pair explainer names the two records as a data officer would look them up (the site's record id and the
local authority's child id, when the linkage stage stores them; otherwise the start of each pseudonymous key)
and says in words why the pair was or was not linked: above or below the run's threshold, or, for a pair above
it, that one-to-one assignment gave one of its records to a better-scoring partner (named, with its probability).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from dash import Dash, Input, Output, dcc, html

from dashboard import components as c
from dashboard import figures as fig
from dashboard import queries as q
from dashboard.auth import current_viewer
from dashboard.context import current
from dashboard.labels import in_sentence, plain
from dashboard.pages.common import (
    PAGES,
    Page,
    choices,
    guarded,
    param_control,
    pick,
    requested_sites,
    shell,
    site_control,
    site_names,
    site_user_notice,
    table,
)
from warehouse.disclosure import DisclosurePolicy

PATH = "/linkage"
NAME = "Linkage feasibility"
TITLE = "Linkage feasibility"
EXPLAIN_HEADING = "Why this pair scored as it did"
#: Dropdown groups, in the order shown: what a data officer checks first comes first.
GROUPS: tuple[tuple[str, str], ...] = (
    ("lost", "Not linked although above the threshold (a record was linked elsewhere)"),
    ("link", "Linked pairs"),
    ("below", "Not linked: below the threshold"),
)


def layout(sites: str | None = None, scenario: str | None = None, subgroup_type: str | None = None,
           pair: str | None = None, **_: Any) -> html.Main:
    """The linkage page (``?sites=&scenario=&subgroup_type=&pair=`` restores a view)."""
    viewer = current_viewer()
    if viewer.is_site_user:
        return site_user_notice(viewer)
    selected, notice = requested_sites(viewer, sites)
    scenarios = choices(viewer, "linkage_subgroups", "scenario")
    kinds = choices(viewer, "linkage_subgroups", "subgroup_type")
    chosen = pick(scenario, scenarios, "all_identifiers")
    # the pairs are listed here (not by a first callback), so a permalink's pair is kept rather than replaced
    pairs, default = pair_options(viewer, selected, chosen) if selected else ([], None)
    listed = {o["value"] for o in pairs if not o.get("disabled")}
    return shell(
        TITLE,
        "How well each site's child records link to its local authorities' children's social care records as "
        "identifiers are withheld, for whom linkage works less well, and why a pair scored as it did.",
        [site_control("lk-sites", viewer, selected),
         param_control("lk-scenario", "Identifier scenario", scenarios, chosen),
         param_control("lk-subgroup", "Subgroup", kinds, pick(subgroup_type, kinds, "ethnic_group")),
         c.labelled_dropdown("lk-pair", "Pair to explain", pairs, pair if pair in listed else default,
                             wide=True)],
        "lk-body", notice,
    )


# ---------------------------------------------------------------- pairs in words (pure)
@dataclass(frozen=True)
class PairView:
    """One scored pair as the explainer needs it: its site, both records and how it scored."""

    site_id: str
    left_key: str
    right_key: str
    probability: float
    match_weight: float
    is_link: bool
    left_record_id: str | None = None
    right_record_id: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PairView:
        """From a row of ``linkage_pairs`` (record ids optional)."""
        return cls(str(row["site_id"]), str(row["left_key"]), str(row["right_key"]), float(row["probability"]),
                   float(row["match_weight"]), bool(row["is_link"]),
                   _text(row.get("left_record_id")), _text(row.get("right_record_id")))

    @property
    def value(self) -> str:
        """The dropdown value (both keys; what a permalink carries)."""
        return f"{self.left_key}:{self.right_key}"

    @property
    def left(self) -> str:
        """The site's record, in words."""
        return record_label("site", self.left_record_id, self.left_key)

    @property
    def right(self) -> str:
        """The local authority's record, in words."""
        return record_label("la", self.right_record_id, self.right_key)


def _text(value: object) -> str | None:
    return None if value is None or str(value) == "" else str(value)


def record_label(side: str, record_id: str | None, key: str) -> str:
    """A record as a data officer knows it: ``site record R123`` / ``LA child C456 (local authority 919)``; the
    start of its pseudonymous key when the warehouse holds no record id.

    Example:
        >>> record_label("site", "R123", "ab"), record_label("la", "919|C456", "cd"), record_label("la", None, "0f1e2d3c4b")
        ('site record R123', 'LA child C456 (local authority 919)', 'LA child with key 0f1e2d3c')
    """
    noun = "site record" if side == "site" else "LA child"
    if record_id:
        if side != "site" and "|" in record_id:
            la, child = record_id.split("|", 1)
            return f"{noun} {child} (local authority {la})"
        return f"{noun} {record_id}"
    return f"{noun} with key {key[:8]}"


def percent(p: float) -> str:
    """A probability in words to one decimal place, without rounding a near-certainty up to 100%.

    Example:
        >>> percent(0.9812), percent(0.99996), percent(1.0), percent(0.00001)
        ('98.1%', 'over 99.9%', '100.0%', 'under 0.1%')
    """
    if 0.999 < p < 1.0:
        return "over 99.9%"
    if 0.0 < p < 0.001:
        return "under 0.1%"
    return f"{p:.1%}"


def pair_group(pair: PairView, threshold: float | None) -> str:
    """``link``, ``lost`` (not linked although at or above the threshold) or ``below``."""
    if pair.is_link:
        return "link"
    return "lost" if threshold is not None and pair.probability >= threshold else "below"


def pair_title(pair: PairView) -> str:
    """``Site record R123 and LA child C456: linked, probability 98.1%``."""
    verdict = "linked" if pair.is_link else "not linked"
    text = f"{pair.left} and {pair.right}: {verdict}, probability {percent(pair.probability)}"
    return text[:1].upper() + text[1:]


def pair_reason(pair: PairView, rivals: pl.DataFrame, threshold: float | None) -> str:
    """Why the pair was (not) linked, in words.

    ``rivals``: the links that took either of its records (``side`` = ``left`` for the site record, ``right``
    for the LA record, with the other record's key/id and the link's probability), as
    :func:`dashboard.queries.linkage_pair_rivals` returns them. ``threshold``: the run's link threshold
    (None when the run did not record it).
    """
    p = percent(pair.probability)
    t = None if threshold is None else percent(threshold)
    if pair.is_link:
        above = f"its probability {p} is at or above the threshold of {t}" if t else f"its probability {p} was high enough"
        return (f"Linked: {above}, and neither record had a better-scoring partner (each record is linked to at most "
                "one other).")
    taken = [_rival_phrase(pair, r) for r in rivals.iter_rows(named=True)] if not rivals.is_empty() else []
    if taken and (threshold is None or pair.probability >= threshold):
        lead = f"Not linked although its probability {p} is {_above(pair, threshold)} the threshold of {t}" if t \
            else f"Not linked at {p}"
        return f"{lead}: each record is linked to at most one other (one-to-one assignment). {'. '.join(taken)}."
    if threshold is not None and pair.probability < threshold:
        return f"Not linked: its probability {p} is below the threshold of {t} for a link."
    if threshold is not None:
        return (f"Not linked although its probability {p} is {_above(pair, threshold)} the threshold of {t}; the "
                "stored links do not show which partner took either record.")
    return f"Not linked: its probability {p} was below the run's threshold for a link (the run did not record it)."


def _above(pair: PairView, threshold: float | None) -> str:
    return "at" if threshold is not None and pair.probability == threshold else "above"


def _rival_phrase(pair: PairView, rival: Mapping[str, Any]) -> str:
    """``Site record R1 was linked to a better-scoring partner, LA child C2, at probability 99.8%``."""
    other = PairView.from_row({**rival, "site_id": pair.site_id, "is_link": True})
    better = "a better-scoring" if other.probability > pair.probability else "an equally scoring"
    if rival.get("side") == "left":
        text = f"{pair.left} was linked to {better} partner, {other.right}, at probability {percent(other.probability)}"
    else:
        text = f"{pair.right} was linked to {better} partner, {other.left}, at probability {percent(other.probability)}"
    return text[:1].upper() + text[1:]


def evidence_sentence(frame: pl.DataFrame, top: int = 2) -> str:
    """The comparisons that weighed most for and against a match, in words (the prior excluded)."""
    if frame.is_empty() or "weight" not in frame.columns:
        return ""
    rows = [r for r in frame.iter_rows(named=True) if r["weight"] is not None and r.get("level") is not None]
    pro = sorted((r for r in rows if r["weight"] > 0), key=lambda r: -r["weight"])[:top]
    con = sorted((r for r in rows if r["weight"] < 0), key=lambda r: r["weight"])[:top]

    def words(items: list[dict[str, Any]]) -> str:
        return "; ".join(f"{in_sentence(plain('comparison', r['comparison']))} ({plain('comparison_level', r['level'])}, "
                         f"{r['weight']:+.2f})" for r in items)

    parts = []
    if pro:
        parts.append(f"Strongest evidence for a match: {words(pro)}.")
    if con:
        parts.append(f"Strongest evidence against: {words(con)}.")
    return " ".join(parts)


def weight_sentence(frame: pl.DataFrame, match_weight: float) -> str:
    """The total match weight, saying it is the sum of the weights shown only when it is."""
    weights = [w for w in (frame["weight"].to_list() if "weight" in frame.columns else []) if w is not None]
    adds_up = bool(weights) and abs(sum(weights) - match_weight) < 0.01
    return (f"Total match weight {match_weight:+.2f}" + (" (the weights shown, added up)" if adds_up else "")
            + "; the probability follows from it.")


def pair_choices(frame: pl.DataFrame, threshold: float | None,
                 names: Mapping[str, str] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Dropdown options, grouped under headings (:data:`GROUPS`), each pair labelled in words; the default is
    the first pair not linked although above the threshold (the case that most needs explaining), else the
    first listed."""
    pairs = [PairView.from_row(r) for r in frame.iter_rows(named=True)]
    several = len({p.site_id for p in pairs}) > 1
    opts: list[dict[str, Any]] = []
    first: str | None = None
    for group, heading in GROUPS:
        members = sorted((p for p in pairs if pair_group(p, threshold) == group),
                         key=lambda p: (-p.probability, p.site_id, p.left_key, p.right_key))
        if not members:
            continue
        opts.append({"label": heading, "value": f"heading-{group}", "disabled": True})
        for p in members:
            where = f" ({(names or {}).get(p.site_id, p.site_id)})" if several else ""
            opts.append({"label": pair_title(p) + where, "value": p.value})
            first = first or p.value
    return opts, first


# ---------------------------------------------------------------- the page's pieces
def pair_options(viewer: Any, sites: object, scenario: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Dropdown options for the pairs of the chosen sites and scenario."""
    pairs = table(viewer, "linkage_pairs", sites, scenario=scenario)
    if pairs.empty:
        return [], None
    return pair_choices(pairs.frame, q.linkage_threshold(current().cursor()), site_names())


def explanation_table(frame: pl.DataFrame, caption: str) -> html.Table:
    """The weights as an accessible table: comparison, what it found, weight."""
    rows = [html.Tr([html.Th(plain("comparison", r["comparison"]), scope="row"),
                     html.Td("" if r["level"] is None else plain("comparison_level", r["level"])),
                     html.Td("" if r["weight"] is None else f"{r['weight']:+.2f}", className="num")])
            for r in frame.iter_rows(named=True)]
    return html.Table([html.Caption(caption),
                       html.Thead(html.Tr([html.Th("Comparison", scope="col"), html.Th("What it found", scope="col"),
                                           html.Th("Weight", scope="col", className="num")])),
                       html.Tbody(rows)], className="data-table", id="explain-table")


def explanation_panel(viewer: Any, sites: object, scenario: str | None, pair: str | None) -> html.Section:
    """The weights behind one pair's score and why it was (not) linked (only a pair of a permitted site is found)."""
    heading = html.H2(EXPLAIN_HEADING, id="h-explain")
    if not pair or ":" not in str(pair):
        return html.Section([heading, c.no_data("Pair explanation", "explain-table")], className="panel")
    scope = viewer.scope(sites)
    left, right = str(pair).split(":", 1)
    chosen = scenario if isinstance(scenario, str) else ""
    cur = current().cursor()
    pair_row, frame = q.linkage_pair_explanation(cur, scope, chosen, left, right)
    if pair_row is None:
        return html.Section([heading, c.no_data("Pair explanation", "explain-table")], className="panel")
    current().audit(viewer.username, "view", "linkage_pair_explanation", (str(pair_row["site_id"]),),
                    {"scenario": chosen})
    view = PairView.from_row(pair_row)
    rivals = pl.DataFrame() if view.is_link else q.linkage_pair_rivals(cur, scope, chosen, view.site_id, left, right)
    title = pair_title(view)
    summary = [html.P(html.Strong(title), id="lk-explain-title"),
               html.P(pair_reason(view, rivals, q.linkage_threshold(cur)), id="lk-explain-reason"),
               html.P(f"{evidence_sentence(frame)} {weight_sentence(frame, view.match_weight)}".strip(),
                      id="lk-explain-evidence")]
    weighted = frame.filter(pl.col("weight").is_not_null()) if not frame.is_empty() else frame
    graph = [] if weighted.is_empty() else [dcc.Graph(figure=fig.explanation_figure(weighted, "Weight of each comparison"),
                                                      id="lk-explain-figure",
                                                      config={"displaylogo": False, "responsive": True})]
    return html.Section([heading, *summary, *graph,
                         html.Details([html.Summary("Show the chart as a table"), explanation_table(frame, title)],
                                      open=frame.is_empty(), className="table-alt")],
                        className="panel", **c.attrs(aria_labelledby="h-explain"))


def linkage_body(viewer: Any, sites: object, scenario: str | None, subgroup_type: str | None) -> tuple[list[Any], Any]:
    """Scenario and subgroup panels (shared with the site panel); suppressed points are marked ``[c]``."""
    policy = DisclosurePolicy(current().settings.suppress_max)
    scen = table(viewer, "linkage_scenarios", sites)
    sub = table(viewer, "linkage_subgroups", sites, scenario=scenario, subgroup_type=subgroup_type)
    scen_fig = fig.scenario_figure(scen, policy) if not scen.empty else None
    sub_fig = fig.subgroup_figure(sub, policy) if not sub.empty else None
    return [c.panel(scen, scen_fig, "lk-scenario-figure"), c.panel(sub, sub_fig, "lk-subgroup-figure")], sub


def linkage_tabs(panels: Sequence[Any]) -> Any:
    """The page's panels as tabs (scenarios, subgroups, the pair explained); ids inside stay as they were."""
    return c.tabbed("lk-tabs", panels)


def register_callbacks(app: Dash) -> None:
    """Attach this page's callbacks to ``app``."""

    @app.callback(Output("lk-pair", "options"), Output("lk-pair", "value"),
                  Input("lk-sites", "value"), Input("lk-scenario", "value"), prevent_initial_call=True)
    @guarded
    def linkage_pairs(sites: list[str] | None, scenario: str | None) -> tuple[Any, Any]:
        return pair_options(current_viewer(), sites, scenario)

    @app.callback(Output("lk-body", "children"), Output("lk-body-permalink", "href"),
                  Input("lk-sites", "value"), Input("lk-scenario", "value"), Input("lk-subgroup", "value"),
                  Input("lk-pair", "value"))
    @guarded
    def linkage_view(sites: list[str] | None, scenario: str | None, subgroup_type: str | None,
                     pair: str | None) -> tuple[Any, str]:
        viewer = current_viewer()
        body, sub = linkage_body(viewer, sites, scenario, subgroup_type)
        body.append(explanation_panel(viewer, sites, sub.params.get("scenario"), pair))
        state = {"sites": list(sub.scope.sites), **sub.params, "pair": pair}
        return linkage_tabs(body), c.permalink(PATH, state)


PAGE = PAGES.register(Page("linkage", NAME, PATH, TITLE, layout, register_callbacks, order=2, in_nav=True,
                           admin_only=False))
