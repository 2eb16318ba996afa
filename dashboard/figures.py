"""Plotly figures (as plain figure dicts) built from already-suppressed tables.

A suppressed cell (``[c]``) is never plotted as a value: the chart shows the symbol itself at the
axis baseline of its category (a text marker, in the series' own slot) and a note under the title
says what the symbol means, in the words of the disclosure policy (:func:`suppression_note`), so a
reader sees that a point was withheld rather than missing.

Figures are dicts rather than ``go.Figure`` objects: plotly's object validation costs tens of
milliseconds per chart, more than the queries behind it. Analysis Function palettes; colour is
never the only cue (patterns, marker shapes, direct labels).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboard.labels import in_sentence, ordered, plain
from dashboard.tables import TableResult, years_and_months
from warehouse.disclosure import DisclosurePolicy

CATEGORICAL = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
DUO = ("#12436D", "#F46A25")
SEQUENTIAL = ("#DCEBF7", "#6BACE6", "#2073BC", "#12436D")
PATTERNS = ("", "/", "x", ".", "\\", "+")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")
FONT = "system-ui, -apple-system, 'Segoe UI', Arial, sans-serif"
Figure = dict[str, Any]


def numbers(frame: pl.DataFrame, column: str) -> list[float | None]:
    """A column as floats, with suppressed or missing cells as None."""
    if column not in frame.columns:
        return [None] * frame.height
    out: list[float | None] = []
    for v in frame[column].to_list():
        try:
            out.append(None if v is None else float(v))
        except (TypeError, ValueError):
            out.append(None)
    return out


def policy_of(result: TableResult, policy: DisclosurePolicy | None = None) -> DisclosurePolicy:
    """The disclosure policy a table was suppressed under: ``policy`` when the caller knows it (the dashboard's
    settings), else the table's own declaration (the study's policy)."""
    return policy or result.spec.disclosure.policy


def suppressed(frame: pl.DataFrame, column: str, symbol: str) -> list[bool]:
    """Per row: True where ``column`` holds the suppression symbol (a hidden cell, not a missing one)."""
    if column not in frame.columns:
        return [False] * frame.height
    return [isinstance(v, str) and v == symbol for v in frame[column].to_list()]


def suppression_note(policy: DisclosurePolicy) -> str:
    """What the chart's ``[c]`` marker means, in the policy's own terms (its symbol and threshold).

    Example:
        >>> suppression_note(DisclosurePolicy(9))
        '[c] = suppressed: fewer than 10 (a count of 1 to 9), or hidden so that such a count cannot be worked out'
    """
    top = policy.suppress_max
    return (f"{policy.symbol} = suppressed: fewer than {top + 1} (a count of 1 to {top}), or hidden so that such a "
            "count cannot be worked out")


def hidden_marks(xs: list[Any], flags: list[bool], series: str, colour: str, symbol: str) -> dict[str, Any] | None:
    """A text-only trace printing ``symbol`` at the axis baseline of each category whose value is suppressed,
    in the slot of its series (``offsetgroup``), so a withheld point is visible rather than silently absent."""
    cats = [x for x, hidden in zip(xs, flags, strict=True) if hidden]
    if not cats:
        return None
    return {"type": "scatter", "mode": "text", "x": cats, "y": [0] * len(cats), "text": [symbol] * len(cats),
            "textposition": "top center", "textfont": {"color": colour, "size": 13}, "cliponaxis": False,
            "name": f"{series}: suppressed", "legendgroup": series, "offsetgroup": series, "showlegend": False,
            "hovertemplate": f"{series} · %{{x}}: suppressed ({symbol})<extra></extra>"}


def _figure(data: list[dict[str, Any]], title: str, y_title: str = "", percent: bool = False,
            note: str | None = None, **layout: Any) -> Figure:
    base: dict[str, Any] = {
        "title": {"text": title, "x": 0, "font": {"size": 16}},
        "font": {"family": FONT, "color": "#0b0c0c"},
        "paper_bgcolor": "white", "plot_bgcolor": "white",
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        # beside the plot, not under it: below, it collided with rotated category labels ("All identifi...")
        "legend": {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"}, "height": 380,
        "xaxis": {"automargin": True},  # margins grow to fit long labels: nothing is cut
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e0e0e0", "rangemode": "tozero", "automargin": True,
                  **({"tickformat": ".0%"} if percent else {})},
        "scattermode": "group",  # each series' points (and its [c] markers) in their own slot of a category
    }
    if note:  # the symbol's meaning stays with the chart (screenshots, exported images)
        base["title"]["subtitle"] = {"text": note, "font": {"size": 12, "color": "#505a5f"}}
        base["margin"] = {**base["margin"], "t": 76}
    for key, value in layout.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return {"data": data, "layout": base}


def _with_marks(data: list[dict[str, Any]], marks: list[dict[str, Any] | None]) -> tuple[list[dict[str, Any]], bool]:
    found = [m for m in marks if m is not None]
    return data + found, bool(found)


def _labels(values: list[float | None], percent: bool = True) -> list[str]:
    return ["" if v is None else (f"{v:.0%}" if percent else f"{v:,.0f}") for v in values]


def _site_label(part: pl.DataFrame, site: object) -> str:
    return str(part["site"][0] if "site" in part.columns else site)


def overview_figure(result: TableResult, policy: DisclosurePolicy | None = None) -> Figure:
    """Match rate beside the expected share known to CSC, per site (duo palette + hatching); a suppressed
    rate is marked ``[c]`` at the baseline."""
    pol = policy_of(result, policy)
    f = result.frame
    sites = f["site"].to_list() if "site" in f.columns else f["site_id"].to_list()
    data, marks = [], []
    for i, (col, name) in enumerate((("match_rate", "Match rate"), ("expected_known_share", "Expected known to CSC"))):
        ys = numbers(f, col)
        data.append({"type": "bar", "x": sites, "y": ys, "name": name, "text": _labels(ys), "textposition": "outside",
                     "offsetgroup": name, "cliponaxis": False,
                     "marker": {"color": DUO[i], "pattern": {"shape": PATTERNS[i * 2]}}})
        marks.append(hidden_marks(sites, suppressed(f, col, pol.symbol), name, DUO[i], pol.symbol))
    data, hidden = _with_marks(data, marks)
    scenario = plain("scenario", result.params.get("scenario", ""))
    return _figure(data, f"Match rate and expected CSC contact by site ({scenario})", "Share of programme children",
                   percent=True, note=suppression_note(pol) if hidden else None, barmode="group")


def scenario_figure(result: TableResult, policy: DisclosurePolicy | None = None) -> Figure:
    """Recall by identifier scenario for each site (one series per site; a suppressed recall marked ``[c]``)."""
    pol = policy_of(result, policy)
    f = result.frame
    data, marks = [], []
    for i, site in enumerate(f["site_id"].unique(maintain_order=True).to_list()):
        part = f.filter(pl.col("site_id") == site)
        name = _site_label(part, site)
        xs = [plain("scenario", s) for s in part["scenario"].to_list()]
        bar: dict[str, object] = {"type": "bar", "x": xs, "y": numbers(part, "recall"), "name": name,
                                  "offsetgroup": name,
                                  "marker": {"color": CATEGORICAL[i % 6], "pattern": {"shape": PATTERNS[i % 6]}}}
        if {"recall_low", "recall_high"} <= set(part.columns):
            bar["error_y"] = _interval_bars(numbers(part, "recall"), numbers(part, "recall_low"),
                                            numbers(part, "recall_high"))
        data.append(bar)
        marks.append(hidden_marks(xs, suppressed(part, "recall", pol.symbol), name, CATEGORICAL[i % 6], pol.symbol))
    data, hidden = _with_marks(data, marks)
    notes = [suppression_note(pol)] if hidden else []
    if "recall_low" in f.columns:
        notes.append(_basis_note(f))
    return _figure(data, "Recall falls as identifiers are withheld", "Recall", percent=True,
                   note=" ".join(notes) or None, barmode="group")


def _interval_bars(values: list[float | None], lows: list[float | None], highs: list[float | None]) -> dict[str, object]:
    """Plotly asymmetric error bars for a 95% interval (none where a bound or the value is hidden)."""
    up = [None if v is None or h is None else max(0.0, h - v) for v, h in zip(values, highs, strict=True)]
    down = [None if v is None or lo is None else max(0.0, v - lo) for v, lo in zip(values, lows, strict=True)]
    return {"type": "data", "symmetric": False, "array": up, "arrayminus": down, "visible": True, "thickness": 1.5}


def _basis_note(f: pl.DataFrame) -> str:
    """Whether the recall bars are measured against truth or estimated without it (the bars show 95% intervals)."""
    bases = set(f["basis"].drop_nulls().to_list()) if "basis" in f.columns else set()
    if bases == {"measured"}:
        return "Bars: recall measured against the synthetic ground truth, with 95% intervals."
    if "measured" in bases:
        return "Bars: recall measured against the ground truth for some rows and estimated without it for others, with 95% intervals."
    return "Bars: recall estimated without a truth file (see the method column), with 95% intervals."


def subgroup_order_labels(kind: str, codes: list[str]) -> list[str]:
    """Subgroup codes in the shared vocabulary's order (age bands youngest first, "Not known" last), ranked by
    their display label so codes (``M``) and labels (``Male``) order alike."""
    rank = {label: i for i, label in enumerate(ordered(kind, [plain("subgroup", c) for c in codes]))}
    return sorted(codes, key=lambda c: (rank[plain("subgroup", c)], c))


def subgroup_figure(result: TableResult, policy: DisclosurePolicy | None = None) -> Figure:
    """Subgroup match rates with 95% intervals, one marker shape per site; categories in the shared
    vocabulary's order, and a suppressed subgroup marked ``[c]`` at the baseline with a note."""
    pol = policy_of(result, policy)
    f = result.frame
    kind_code = result.params.get("subgroup_type", "")
    order: list[str] = []
    if "subgroup" in f.columns and f.height:
        order = subgroup_order_labels(kind_code, [str(x) for x in f["subgroup"].unique().to_list()])
        rank = {v: i for i, v in enumerate(order)}
        f = f.with_columns(pl.col("subgroup").cast(pl.Utf8).replace_strict(rank, default=len(rank)).alias("_o")).sort(
            "_o", maintain_order=True).drop("_o")
    data, marks = [], []
    for i, site in enumerate(f["site_id"].unique(maintain_order=True).to_list()):
        part = f.filter(pl.col("site_id") == site)
        name = _site_label(part, site)
        xs = [plain("subgroup", v) for v in part["subgroup"].to_list()]
        y = numbers(part, "match_rate")
        lo, hi = numbers(part, "ci_low"), numbers(part, "ci_high")
        plus = [None if (a is None or b is None) else b - a for a, b in zip(y, hi, strict=True)]
        minus = [None if (a is None or b is None) else a - b for a, b in zip(y, lo, strict=True)]
        data.append({"type": "scatter", "mode": "markers", "x": xs, "y": y, "name": name, "legendgroup": name,
                     "offsetgroup": name,
                     "marker": {"color": CATEGORICAL[i % 6], "symbol": SYMBOLS[i % 6], "size": 10},
                     "error_y": {"type": "data", "array": plus, "arrayminus": minus, "visible": True}})
        marks.append(hidden_marks(xs, suppressed(part, "match_rate", pol.symbol), name, CATEGORICAL[i % 6],
                                  pol.symbol))
    data, hidden = _with_marks(data, marks)
    kind = plain("subgroup_type", kind_code).lower()
    categories = [plain("subgroup", v) for v in order]
    return _figure(data, f"Match rate by {kind}, with 95% intervals", "Match rate", percent=True,
                   note=suppression_note(pol) if hidden else None,
                   xaxis={"type": "category", "categoryorder": "array", "categoryarray": categories})


def explanation_figure(frame: pl.DataFrame, title: str) -> Figure:
    """Per-comparison weights of one pair: positive weights push towards a match. Bars are labelled by the
    comparison and what it found, in plain words; margins grow to fit every label."""
    xs = numbers(frame, "weight")
    levels = frame["level"].to_list() if "level" in frame.columns else [None] * frame.height
    ys = [comparison_text(str(c), lv) for c, lv in zip(frame["comparison"].to_list(), levels, strict=True)]
    data = [{"type": "bar", "orientation": "h", "x": xs, "y": ys,
             "marker": {"color": [DUO[0] if (x or 0) >= 0 else DUO[1] for x in xs],
                        "pattern": {"shape": ["" if (x or 0) >= 0 else "/" for x in xs]}},
             "text": [f"{x:+.2f}" if x is not None else "" for x in xs], "textposition": "outside",
             "cliponaxis": False, "hovertemplate": "%{y}: %{x:+.2f}<extra></extra>"}]
    span = max([abs(x) for x in xs if x is not None] or [1.0])
    return _figure(data, title, "", height=max(300, 46 * len(ys) + 140),
                   margin={"l": 20, "r": 40},
                   xaxis={"title": {"text": "Weight (log2 Bayes factor): above 0 for a match, below 0 against"},
                          "zeroline": True, "zerolinecolor": "#0b0c0c", "range": [-span * 1.3, span * 1.3]},
                   yaxis={"autorange": "reversed", "rangemode": "normal", "title": {"text": ""}})


def comparison_text(comparison: str, level: object) -> str:
    """A comparison and the level it found, in plain words (``Date of birth: exact``)."""
    name = plain("comparison", comparison)
    if level is None or level == "":
        return name
    return f"{name}: {in_sentence(plain('comparison_level', level))}"


def completeness_figure(result: TableResult, policy: DisclosurePolicy | None = None) -> Figure:
    """Outcome completeness by site and timepoint (one hatched series per timepoint; ``[c]`` where hidden)."""
    pol = policy_of(result, policy)
    f = result.frame
    data, marks = [], []
    for i, tp in enumerate(f["timepoint"].unique(maintain_order=True).to_list()):
        part = f.filter(pl.col("timepoint") == tp)
        sites = part["site"].to_list() if "site" in part.columns else part["site_id"].to_list()
        xs = [f"{s} · {plain('measure', m)}" for s, m in zip(sites, part["measure"].to_list(), strict=True)]
        ys = numbers(part, "completeness")
        name = plain("timepoint", tp)
        data.append({"type": "bar", "x": xs, "y": ys, "name": name, "text": _labels(ys), "offsetgroup": name,
                     "textposition": "outside", "cliponaxis": False,
                     "marker": {"color": DUO[i % 2], "pattern": {"shape": PATTERNS[(i * 2) % 6]}}})
        marks.append(hidden_marks(xs, suppressed(part, "completeness", pol.symbol), name, DUO[i % 2], pol.symbol))
    data, hidden = _with_marks(data, marks)
    measure = plain("measure", result.params.get("measure", "all"))
    return _figure(data, f"Outcome completeness by site and timepoint ({measure})", "Scored / eligible",
                   percent=True, note=suppression_note(pol) if hidden else None, barmode="group")


def timeline_figure(result: TableResult, policy: DisclosurePolicy | None = None) -> Figure:
    """Cumulative evaluable sample by month, one line (and marker shape) per site; a month where any site's
    running total is withheld gets one ``[c]`` at the baseline (its hover names the sites), since per-site
    markers on a shared time axis would print on top of each other."""
    pol = policy_of(result, policy)
    f = result.frame
    data: list[dict[str, Any]] = []
    withheld: dict[str, list[str]] = {}
    for i, site in enumerate(f["site_id"].unique(maintain_order=True).to_list()):
        part = f.filter(pl.col("site_id") == site)
        name = _site_label(part, site)
        xs = [str(m) for m in part["month"].to_list()]
        data.append({"type": "scatter", "mode": "lines+markers", "x": xs, "y": numbers(part, "evaluable"),
                     "name": name, "line": {"color": CATEGORICAL[i % 6]}, "marker": {"symbol": SYMBOLS[i % 6]}})
        for x, hidden in zip(xs, suppressed(part, "evaluable", pol.symbol), strict=True):
            if hidden:
                withheld.setdefault(x, []).append(name)
    if withheld:
        months = sorted(withheld)
        data.append({"type": "scatter", "mode": "text", "x": months, "y": [0] * len(months),
                     "text": [pol.symbol] * len(months), "textposition": "top center", "cliponaxis": False,
                     "textfont": {"color": "#505a5f", "size": 10}, "name": "Withheld", "showlegend": False,
                     "customdata": [", ".join(withheld[m]) for m in months],
                     "hovertemplate": f"%{{x}}: withheld ({pol.symbol}) for %{{customdata}}<extra></extra>"})
    return _figure(data, "Evaluable sample accrues month by month", "Evaluable people (cumulative)",
                   note=suppression_note(pol) if withheld else None, scattermode="overlay")


def months_figure(result: TableResult, policy: DisclosurePolicy | None = None) -> Figure:
    """Months to the target sample per site and outcome (first design listed), hatched per site; a hidden
    figure is marked ``[c]`` at the baseline."""
    pol = policy_of(result, policy)
    f = result.frame
    if "design" in f.columns and f.height:
        f = f.filter(pl.col("design") == f["design"][0])
    data, marks = [], []
    for i, site in enumerate(f["site_id"].unique(maintain_order=True).to_list()):
        part = f.filter(pl.col("site_id") == site)
        name = _site_label(part, site)
        xs = [plain("outcome", o) for o in part["outcome"].to_list()]
        ys = numbers(part, "months_to_target")
        raw = part["months_to_target"].to_list()
        flags = suppressed(part, "months_to_target", pol.symbol)
        data.append({"type": "bar", "x": xs, "y": ys, "name": name, "textposition": "outside", "offsetgroup": name,
                     "cliponaxis": False,
                     "text": ["" if hidden else v if isinstance(v, str) and v.startswith("[") else
                              "never" if y is None else years_and_months(y)
                              for v, y, hidden in zip(raw, ys, flags, strict=True)],
                     "marker": {"color": CATEGORICAL[i % 6], "pattern": {"shape": PATTERNS[i % 6]}}})
        marks.append(hidden_marks(xs, flags, name, CATEGORICAL[i % 6], pol.symbol))
    data, hidden = _with_marks(data, marks)
    design = plain("design", f["design"][0]) if "design" in f.columns and f.height else ""
    return _figure(data, f"Months to reach the target sample ({design}; estimated from accrual so far)", "Months",
                   note=suppression_note(pol) if hidden else None, barmode="group")


def heatmap_figure(result: TableResult, value: str = "rating") -> Figure:
    """Site x data item heatmap of one availability dimension (sequential palette, values printed).

    Ratings are not counts (the table declares none), so nothing in it is suppressed."""
    f = result.frame
    label_col = "data_item_label" if "data_item_label" in f.columns else "data_item"
    items = sorted({str(x) for x in f[label_col].to_list()}) if label_col in f.columns else []
    sites = f["site_id"].unique(maintain_order=True).to_list() if "site_id" in f.columns else []
    raw = f[value].to_list() if value in f.columns else [None] * f.height
    numeric = all(isinstance(v, int | float) or v is None for v in raw)
    order: dict[str, int] = {}
    if not numeric:
        order = {v: i for i, v in enumerate(sorted({str(v) for v in raw if v is not None}))}
    cell: dict[tuple[str, str], object] = {}
    for r, v in zip(f.iter_rows(named=True), raw, strict=True):
        cell[(str(r["site_id"]), str(r[label_col]))] = v
    z, text = [], []
    for s in sites:
        z.append([(cell.get((s, it)) if numeric else order.get(str(cell.get((s, it))))) for it in items])
        text.append([("" if cell.get((s, it)) is None else str(cell.get((s, it)))) for it in items])
    site_label = dict(zip(f["site_id"].to_list(), f["site"].to_list(), strict=True)) if "site" in f.columns else {}
    data = [{"type": "heatmap", "z": z, "x": items, "y": [site_label.get(s, s) for s in sites], "text": text,
             "texttemplate": "%{text}", "hoverongaps": False, "showscale": numeric,
             "colorscale": [[i / 3, c] for i, c in enumerate(SEQUENTIAL)],
             **({"zmin": 0, "zmax": 4} if numeric else {})}]
    dim = plain("dimension", result.params.get("dimension", ""))
    return _figure(data, f"Data availability: {dim}", "", height=max(300, 80 * len(sites) + 160),
                   yaxis={"autorange": "reversed", "rangemode": "normal"})


def code_frequency_figure(result: TableResult, count_col: str, code_col: str,
                          policy: DisclosurePolicy | None = None) -> Figure:
    """Coded segments per code, one hatched series per site; a hidden count is marked ``[c]``."""
    pol = policy_of(result, policy)
    f = result.frame
    data, marks = [], []
    for i, site in enumerate(f["site_id"].unique(maintain_order=True).to_list()):
        part = f.filter(pl.col("site_id") == site)
        name = _site_label(part, site)
        xs = [str(c) for c in part[code_col].to_list()]
        data.append({"type": "bar", "x": xs, "y": numbers(part, count_col), "name": name, "offsetgroup": name,
                     "marker": {"color": CATEGORICAL[i % 6], "pattern": {"shape": PATTERNS[i % 6]}}})
        marks.append(hidden_marks(xs, suppressed(part, count_col, pol.symbol), name, CATEGORICAL[i % 6], pol.symbol))
    data, hidden = _with_marks(data, marks)
    return _figure(data, "Code frequency by site", "Coded segments", note=suppression_note(pol) if hidden else None,
                   barmode="group")


# ---------------------------------------------------------------- theory of change (Cytoscape elements)
#: readiness (the outcome readiness table's words) -> fill colour, border style; colour is never the only cue:
#: each outcome's label carries its readiness in words and the border style differs.
READINESS_STYLE: dict[str, tuple[str, str]] = {
    "Ready now": ("#28A197", "solid"), "Needs work": ("#F46A25", "dashed"),
    "Not yet measurable": ("#801650", "dotted"), "No evidence source": ("#3D3D3D", "double"),
}
_OTHER_BOX = "#12436D"


def toc_elements(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Cytoscape nodes and edges from the published ``toc_nodes`` table of one site: boxes in columns by
    stage (left to right), outcomes coloured and labelled by readiness, an arrow for each link."""
    elements: list[dict[str, Any]] = []
    row_in_column: dict[int, int] = {}
    ids = set(frame["node_id"].to_list()) if not frame.is_empty() else set()
    for r in frame.iter_rows(named=True):
        col = int(r["column"])
        row = row_in_column[col] = row_in_column.get(col, -1) + 1
        readiness = r.get("readiness") if r.get("is_outcome") else None
        fill, border = READINESS_STYLE.get(str(readiness), (_OTHER_BOX, "solid"))
        label = f"{r['box']}\n({readiness or 'readiness not known'})" if r.get("is_outcome") else r["box"]
        elements.append({"data": {"id": r["node_id"], "label": label, "stage": r["stage"],
                                  "outcome": bool(r.get("is_outcome")), "fill": fill, "border": border},
                         "position": {"x": 40 + col * 190, "y": 40 + row * 110},
                         "classes": "outcome" if r.get("is_outcome") else "box"})
    for r in frame.iter_rows(named=True):
        for target in (t for t in str(r.get("targets") or "").split(",") if t in ids):
            elements.append({"data": {"id": f"{r['node_id']}->{target}", "source": r["node_id"], "target": target}})
    return elements


TOC_STYLESHEET: list[dict[str, Any]] = [
    {"selector": "node", "style": {"label": "data(label)", "text-wrap": "wrap", "text-max-width": "150px",
                                   "shape": "round-rectangle", "width": "160px", "height": "80px",
                                   "background-color": "data(fill)", "color": "#FFFFFF", "font-size": "12px",
                                   "text-valign": "center", "text-halign": "center", "font-family": FONT,
                                   "border-width": 3, "border-color": "#0B0C0C", "border-style": "data(border)"}},
    {"selector": "node.outcome", "style": {"border-width": 4}},
    {"selector": "edge", "style": {"curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.5,
                                   "line-color": "#505A5F", "target-arrow-color": "#505A5F"}},
    {"selector": ":selected", "style": {"border-color": "#FFDD00", "border-width": 6}},
]
