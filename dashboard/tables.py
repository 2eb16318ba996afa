"""The catalogue of dashboard tables: each one a query, its parameters, notes and disclosure rules.

Pages, figures and downloads all go through :func:`produce`, which (1) turns the request into a
:class:`~dashboard.access.Scope` (refusing other sites), (2) validates parameters against the
values present in the warehouse, (3) runs the query, (4) applies disclosure control, and
(5) writes an audit line. Nothing reaches a browser or a file any other way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import polars as pl

from dashboard import queries as q
from dashboard.access import Scope, Viewer
from dashboard.context import DashboardContext
from evaluation.summary import COMPLETENESS_DISCLOSURE
from linkage import wilson
from warehouse.disclosure import (
    DEFAULT_POLICY,
    NOT_AVAILABLE,
    Cumulative,
    Disclosure,
    Nested,
    Rate,
    Series,
    Sum,
    mask_numbers,
)
from warehouse.registry import Registry
from warehouse.scenarios import SCENARIOS
from warehouse.sites import SITES

Cursor = duckdb.DuckDBPyConnection
Published = Callable[[str, Mapping[str, object]], pl.DataFrame]  # another table as already published
SYNTHETIC_NOTE = "All figures come from a seeded synthetic world, not from real people."
_HIDDEN = DEFAULT_POLICY.symbol


@dataclass(frozen=True)
class Param:
    """A table parameter: its name, label and where its allowed values come from."""

    name: str
    label: str
    choices: Callable[[Cursor, Scope], list[str]]
    default: str | None = None
    always: tuple[str, ...] = ()  # values allowed whatever the warehouse holds (e.g. "all"): no look-up needed


@dataclass(frozen=True)
class TableSpec:
    """One table the dashboard can show and download, with its disclosure declaration.

    ``disclosure`` names the count columns and, for every rate, its numerator and denominator
    (nothing is guessed from column names); ``keys`` are the columns (and parameters) that say what
    a row is about, so the differencing audit can line up cells of two tables that are the same figure.
    """

    table_id: str
    title: str
    notes: tuple[str, ...]
    build: Callable[[Cursor, Scope, dict[str, str]], pl.DataFrame]
    disclosure: Disclosure = field(default_factory=Disclosure)
    params: tuple[Param, ...] = ()
    percent: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    keys: tuple[str, ...] = ("site_id",)
    after: Callable[[pl.DataFrame, Published], pl.DataFrame] | None = None  # reconcile with published tables

    def disclosure_for(self, suppress_max: int) -> Disclosure:
        """This table's declaration under the dashboard's threshold."""
        return self.disclosure.with_threshold(suppress_max)

    def label(self, column: str) -> str:
        """Human-readable column heading."""
        text = self.labels.get(column, column.replace("_", " "))
        return text[:1].upper() + text[1:]


#: In a table's notes, the range of hidden counts ("1-5" under the default policy): filled in from the
#: threshold the table was suppressed with, so a note never states a threshold of its own.
SMALL = "{small}"


@dataclass(frozen=True)
class TableResult:
    """A finished table: suppressed frame, the scope it was computed for, resolved parameters."""

    spec: TableSpec
    scope: Scope
    params: dict[str, str]
    frame: pl.DataFrame
    count_columns: tuple[str, ...]
    suppress_max: int = DEFAULT_POLICY.suppress_max

    @property
    def notes(self) -> tuple[str, ...]:
        """The table's notes, with ``{small}`` read as the hidden counts under this table's threshold."""
        return tuple(n.replace(SMALL, f"1-{self.suppress_max}") for n in self.spec.notes)

    @property
    def empty(self) -> bool:
        """True when there is no data yet for this table."""
        return self.frame.is_empty()


#: Every dashboard table; the built-ins register themselves below exactly as a new one would.
TABLES: Registry[TableSpec] = Registry("dashboard table", name_attr="table_id")
REGISTRY = TABLES  # the name pages, downloads and tests have always used


def register(spec: TableSpec) -> TableSpec:
    """Add a table to the catalogue (built-ins register themselves the same way)."""
    return TABLES.register(spec)


def get_table(table_id: str) -> TableSpec:
    """The table with this id, or ConfigError naming the known ones (with a did-you-mean)."""
    return TABLES.get(table_id)


def resolve_params(ctx: DashboardContext, spec: TableSpec, scope: Scope, given: Mapping[str, object]) -> dict[str, str]:
    """Keep only allowed parameter values (from the warehouse); fall back to the default or first choice."""
    out: dict[str, str] = {}
    for p in spec.params:
        value = given.get(p.name)
        if value is None and p.default in p.always:
            value = p.default
        if isinstance(value, str) and value in p.always:
            out[p.name] = value
            continue
        choices = param_choices(ctx, spec, p, scope)
        if not isinstance(value, str) or value not in choices:
            value = p.default if p.default in choices else (choices[0] if choices else "")
        out[p.name] = value
    return out


def param_choices(ctx: DashboardContext, spec: TableSpec, param: Param, scope: Scope) -> list[str]:
    """Allowed values of one parameter for this scope (cached per parameter, not per table: the tables
    that share a parameter share its look-up)."""
    return ctx.cached(("choices", param.name, param.choices, scope.sites), lambda: param.choices(ctx.cursor(), scope))


def produce(ctx: DashboardContext, viewer: Viewer, table_id: str, sites: object = None,
            params: Mapping[str, object] | None = None, action: str = "view") -> TableResult:
    """Build one table for ``viewer``: authorise, validate, query, suppress, audit.

    Raises AccessDenied when no requested site is permitted (nothing is read then).
    """
    spec = get_table(table_id)
    scope = viewer.scope(sites)  # type: ignore[arg-type]
    resolved = resolve_params(ctx, spec, scope, params or {})
    frame, counts = _computed(ctx, spec, scope, resolved)
    ctx.audit(viewer.username, action, table_id, scope.sites, resolved)
    return TableResult(spec, scope, resolved, frame, counts, ctx.settings.suppress_max)


def _computed(ctx: DashboardContext, spec: TableSpec, scope: Scope,
              resolved: dict[str, str]) -> tuple[pl.DataFrame, tuple[str, ...]]:
    key = ("table", spec.table_id, scope.sites, tuple(sorted(resolved.items())))

    def make() -> tuple[pl.DataFrame, tuple[str, ...]]:
        raw = spec.build(ctx.cursor(), scope, resolved)
        if "site_id" in raw.columns:  # defence in depth: never more than the scope
            raw = raw.filter(pl.col("site_id").is_in(list(scope.sites)) | pl.col("site_id").is_null())
        rule = spec.disclosure_for(ctx.settings.suppress_max)
        frame = rule.apply(raw)
        if spec.after is not None and not frame.is_empty():
            def published(table_id: str, params: Mapping[str, object]) -> pl.DataFrame:
                other = get_table(table_id)
                return _computed(ctx, other, scope, resolve_params(ctx, other, scope, params))[0]

            frame = spec.after(frame, published)
        return frame, tuple(c for c in rule.counts if c in raw.columns)

    return ctx.cached(key, make)


def prefetch(ctx: DashboardContext, viewer: Viewer, sites: object,
             wanted: list[tuple[str, Mapping[str, object]]], workers: int = 4) -> None:
    """Compute several tables concurrently (DuckDB runs queries outside the GIL) so a page that shows
    many of them is not the sum of their query times. Authorises first; audits nothing (the
    :func:`produce` calls that render the tables do)."""
    scope = viewer.scope(sites)  # type: ignore[arg-type]
    jobs = []
    for table_id, params in wanted:
        spec = get_table(table_id)
        jobs.append((spec, resolve_params(ctx, spec, scope, params)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dashboard-prefetch") as pool:
        for future in [pool.submit(_computed, ctx, spec, scope, resolved) for spec, resolved in jobs]:
            future.result()


def prewarm(ctx: DashboardContext, site_sets: list[tuple[str, ...]]) -> int:
    """Pre-aggregate every table's default view for each site set (the warehouse is read-only while
    served, so results stay valid). Not a view by anyone, so nothing is audited. Returns tables built."""
    built = 0
    for sites in site_sets:
        scope = Scope("prewarm", sites)
        for spec in REGISTRY.values():
            _computed(ctx, spec, scope, resolve_params(ctx, spec, scope, {}))
            built += 1
    return built


# ---------------------------------------------------------------- choices
def _scenarios(cur: Cursor, scope: Scope) -> list[str]:
    found = q.linkage_scenarios(cur)
    preferred = SCENARIOS.names()  # the catalogue's order (warehouse.scenarios)
    return [s for s in preferred if s in found] + [s for s in found if s not in preferred]


def _subgroup_types(cur: Cursor, scope: Scope) -> list[str]:
    return q.linkage_subgroup_types(cur)


def _measures(cur: Cursor, scope: Scope) -> list[str]:
    return ["all", *q.outcome_measures(cur, scope)]


def _dimensions(cur: Cursor, scope: Scope) -> list[str]:
    return q.availability_dimensions(cur)


def _data_items(cur: Cursor, scope: Scope) -> list[str]:
    return ["all", *q.distinct_values(cur, "v_availability_evidence", "data_item")]


def _pairs(cur: Cursor, scope: Scope) -> list[str]:
    out = []
    for scenario in _scenarios(cur, scope)[:1] or []:
        frame = q.linkage_pair_choices(cur, scope, scenario)
        out += [f"{r['left_key']}:{r['right_key']}" for r in frame.iter_rows(named=True)]
    return out


SCENARIO = Param("scenario", "Identifier scenario", _scenarios, "all_identifiers")
SUBGROUP_TYPE = Param("subgroup_type", "Subgroup", _subgroup_types, "ethnic_group")
MEASURE = Param("measure", "Outcome measure", _measures, "all", always=("all",))
DIMENSION = Param("dimension", "Dimension", _dimensions, "held")
DATA_ITEM = Param("data_item", "Data item", _data_items, "all", always=("all",))


# ---------------------------------------------------------------- builders
def _with_names(cur: Cursor, scope: Scope, frame: pl.DataFrame) -> pl.DataFrame:
    if frame.is_empty() or "site_id" not in frame.columns:
        return frame
    names = pl.DataFrame({"site_id": list(scope.sites), "site": [SITES[s].name for s in scope.sites]})
    order = {s: i for i, s in enumerate(scope.sites)}
    joined = frame.join(names, on="site_id", how="left", maintain_order="left")
    joined = joined.with_columns(pl.col("site_id").replace_strict(order, default=len(order)).alias("_o"))
    joined = joined.sort("_o", maintain_order=True).drop("_o")
    return joined.select("site_id", "site", *[c for c in frame.columns if c != "site_id"])


def _overview(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
    held = q.records_held(cur, scope)
    if held.is_empty() or int(held["programme_children"].sum()) + int(held["csc_children"].sum()) == 0:
        return pl.DataFrame()  # nothing loaded yet
    link = q.linkage_overall(cur, scope, params.get("scenario") or None).select(
        "site_id", "n_records", "links", "match_rate", "expected_known_share"
    )
    frame = held.join(link, on="site_id", how="left")
    frame = frame.with_columns(
        (pl.col("outcome_scored") / pl.when(pl.col("outcome_rows") > 0).then(pl.col("outcome_rows"))).alias(
            "outcome_completeness"
        )
    )
    cols = q.relation_columns(cur, "v_availability_matrix")
    held_only = {"dimension": "held"} if "dimension" in cols else {}  # only 'held' is summarised below
    avail = q.relation_rows(cur, scope, "v_availability_matrix", held_only, cols)
    if not avail.is_empty() and {"site_id", "data_item", "dimension", "rating"} <= set(avail.columns):
        held = avail.filter((pl.col("dimension") == "held") & pl.col("rating").is_not_null())
        summary = held.group_by("site_id").agg(
            (pl.col("rating") >= 3).sum().cast(pl.Int64).alias("data_items_routine"),
            pl.col("data_item").n_unique().cast(pl.Int64).alias("data_items_rated"),
        )
        frame = frame.join(summary, on="site_id", how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias("data_items_routine"),
                                   pl.lit(None, pl.Int64).alias("data_items_rated"))
    return _with_names(cur, scope, frame).select(
        "site_id", "site", "programme_children", "csc_children", "n_records", "links", "match_rate",
        "expected_known_share", "outcome_rows", "outcome_scored", "outcome_completeness", "data_items_routine", "data_items_rated",
    )


def _scenario_table(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
    frame = q.linkage_overall(cur, scope, intervals=True)
    if frame.is_empty():
        return frame
    return _with_names(cur, scope, frame).drop("expected_known_share")


def _subgroup_table(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
    scenario, kind = params.get("scenario", ""), params.get("subgroup_type", "")
    frame = q.linkage_subgroups(cur, scope, scenario, kind)
    if frame.is_empty():
        return frame
    overall = q.linkage_overall(cur, scope, scenario).select("site_id", pl.col("match_rate").alias("_site_rate"))
    frame = frame.with_columns(
        pl.coalesce(pl.col("links"), (pl.col("match_rate") * pl.col("n_records")).round(0).cast(pl.Int64)).alias("links")
    )
    lows, highs = [], []
    for links, n, lo0, hi0 in frame.select("links", "n_records", "match_rate_low", "match_rate_high").iter_rows():
        lo, hi = (lo0, hi0) if lo0 is not None and hi0 is not None else wilson(links or 0, n or 0)
        lows.append(lo)
        highs.append(hi)
    frame = frame.with_columns(pl.Series("ci_low", lows, pl.Float64), pl.Series("ci_high", highs, pl.Float64))
    frame = frame.join(overall, on="site_id", how="left").with_columns(
        (pl.col("match_rate") - pl.col("_site_rate")).alias("gap_vs_site")
    ).drop("_site_rate", "match_rate_low", "match_rate_high")
    return _with_names(cur, scope, frame)


def _pair_table(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
    frame = q.linkage_pair_choices(cur, scope, params.get("scenario", ""))
    return _with_names(cur, scope, frame)


def _completeness(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
    measure = params.get("measure")
    chosen = None if measure in (None, "", "all") else measure
    frame = q.readiness_completeness(cur, scope, chosen)
    if frame.is_empty():  # evaluation stage not run yet: the plain count from the core tables
        frame = q.outcome_completeness(cur, scope, chosen)
    return _with_names(cur, scope, frame)


def _timeline(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
    return _with_names(cur, scope, q.recruitment_timeline(cur, scope))


def _funnel_post(frame: pl.DataFrame, cur: Cursor, scope: Scope) -> pl.DataFrame:
    """The people each step starts from (``n + lost``): the denominator of its share kept, never shown."""
    frame = frame.with_columns((pl.col("n") + pl.col("lost")).alias("n_before"))
    return _with_names(cur, scope, frame)


def _summary_from_published(frame: pl.DataFrame, published: Published) -> pl.DataFrame:
    """Summary rates and times to target shown only where their home tables (completeness, linkage,
    readiness timeline) show them (so no table reveals what another hides);
    the data-gap sentences, written by the readiness stage from raw counts, lose their numbers."""
    comp = published("outcome_completeness", {"measure": "all"})
    scen = published("linkage_scenarios", {})
    timeline = published("readiness_timeline", {})
    looked: dict[str, list[object]] = {"primary_completeness": [], "primary_retention": [], "linkage_recall": []}
    for row in frame.iter_rows(named=True):
        site, measure = row.get("site_id"), row.get("primary_outcome")
        looked["primary_completeness"].append(_lookup(comp, "completeness", site_id=site, measure=measure,
                                                      timepoint="baseline"))
        looked["primary_retention"].append(_lookup(comp, "retention", site_id=site, measure=measure,
                                                   timepoint="followup"))
        looked["linkage_recall"].append(_lookup(scen, "recall", site_id=site, scenario=row.get("best_linkage_scenario")))
        for col in ("months_to_target", "time_to_target", "reachable_in_study"):
            looked.setdefault(col, []).append(_lookup(timeline, col, site_id=site, outcome=measure))
    out = frame
    for col, values in looked.items():
        if col in out.columns:
            out = out.with_columns(pl.Series(col, [_as_text(v) for v in values], pl.Utf8))
    if "linkage_recall" in out.columns:  # the interval goes with the figure it bounds
        shown = pl.col("linkage_recall").is_not_null() & (pl.col("linkage_recall") != _HIDDEN)
        out = out.with_columns([pl.when(shown).then(pl.col(c).cast(pl.Utf8)).otherwise(pl.col("linkage_recall"))
                                .alias(c) for c in ("linkage_recall_low", "linkage_recall_high") if c in out.columns])
    if "data_gaps" in out.columns:
        out = out.with_columns(pl.col("data_gaps").map_elements(mask_numbers, return_dtype=pl.Utf8))
    return out


def _lookup(frame: pl.DataFrame, column: str, **where: object) -> object:
    if frame.is_empty() or column not in frame.columns or any(k not in frame.columns for k in where):
        return None
    hit = frame.filter(*[pl.col(k) == v for k, v in where.items() if v is not None])
    if any(v is None for v in where.values()) or hit.is_empty():
        return None
    return hit[column][0]


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else f"{float(value):.4f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]


def _relation(name: str, filters: tuple[str, ...] = (), columns: tuple[str, ...] | None = None,
              post: Callable[[pl.DataFrame, Cursor, Scope], pl.DataFrame] | None = None,
              ) -> Callable[[Cursor, Scope, dict[str, str]], pl.DataFrame]:
    def build(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
        cols = q.relation_columns(cur, name)
        where = {f: params[f] for f in filters if params.get(f) not in (None, "", "all") and f in cols}
        frame = q.relation_rows(cur, scope, name, where, cols)
        if frame.is_empty():
            return frame
        if columns is not None:
            frame = frame.select([c for c in columns if c in frame.columns])
        if post is not None:
            return post(frame, cur, scope)
        return _with_names(cur, scope, frame)

    return build


def _pivot_sites(frame: pl.DataFrame, cur: Cursor, scope: Scope, keys: list[str], value: str) -> pl.DataFrame:
    """Long rows -> one row per key, one column per site (named), cells joined text."""
    names = {s: SITES[s].name for s in scope.sites}
    frame = frame.with_columns(pl.col(value).cast(pl.Utf8).fill_null(""))
    grouped = frame.group_by([*keys, "site_id"], maintain_order=True).agg(
        pl.col(value).unique(maintain_order=True).str.join("; ")
    )
    wide = grouped.pivot(on="site_id", index=keys, values=value)
    sites = [s for s in scope.sites if s in wide.columns]
    wide = wide.select(*keys, *sites).sort(keys)
    return wide.rename({s: names.get(s, s) for s in sites}).with_columns(
        [pl.col(names.get(s, s)).fill_null(NOT_AVAILABLE) for s in sites]
    )


def _framework_post(frame: pl.DataFrame, cur: Cursor, scope: Scope) -> pl.DataFrame:
    has = frame.columns
    cell = pl.col("summary") if "summary" in has else pl.lit(None, pl.Utf8)
    seg = pl.col("n_segments") if "n_segments" in has else pl.lit(0)
    frame = frame.with_columns(
        pl.when(cell.is_not_null()).then(cell)
        .when(seg > 0).then(pl.lit("coded material, not yet charted"))
        .otherwise(pl.lit("silent on this theme")).alias("cell"),
        pl.col("theme_name").fill_null(pl.col("theme_id")).alias("theme"),
    )
    keys = ["rq_id", "theme"] if "rq_id" in has else ["theme"]
    return _pivot_sites(frame.with_columns(pl.col(k).cast(pl.Utf8).fill_null("") for k in keys), cur, scope, keys,
                        "cell")


def _triangulation_post(frame: pl.DataFrame, cur: Cursor, scope: Scope) -> pl.DataFrame:
    has = frame.columns
    parts = [pl.col(c).cast(pl.Utf8) for c in ("data_item", "dimension") if c in has]
    frame = frame.with_columns(
        pl.coalesce(pl.col("theme_id").cast(pl.Utf8) if "theme_id" in has else pl.lit(None, pl.Utf8),
                    pl.concat_str(parts, separator=" / ") if parts else pl.lit("")).alias("about"),
        pl.col("rq_id").cast(pl.Utf8).fill_null("") if "rq_id" in has else pl.lit("").alias("rq_id"),
    )
    return _pivot_sites(frame.with_columns(pl.col("about").fill_null("")), cur, scope, ["rq_id", "about"],
                        "convergence")


_LINK_NOTES = (
    "Linkage of each site's child records to its local authorities' children's social care records; "
    "latest linkage run. Basis says how each row's precision and recall were obtained: measured against "
    "the synthetic ground truth, or estimated without it (the method column names how: records that must "
    "link, a clerical review sample, the model). Every figure has its 95% interval beside it.",
    "Match rate = linked programme children / programme children. Clerical review = pairs near the threshold.",
)

register(TableSpec(
    "overview", "Sites side by side",
    ("Records held, linkage match rate (with the share of programme children expected to be known to "
     "children's social care beside it), outcome completeness and data items rated per site.", SYNTHETIC_NOTE),
    _overview,
    Disclosure(
        counts=("programme_children", "csc_children", "n_records", "links", "outcome_rows", "outcome_scored"),
        rates={"match_rate": Rate("links", "n_records"), "outcome_completeness": Rate("outcome_scored", "outcome_rows")},
    ),
    params=(SCENARIO,),
    percent=("match_rate", "expected_known_share", "outcome_completeness"),
    labels={"site_id": "Site id", "programme_children": "Programme children", "csc_children": "CSC children (LA)",
            "n_records": "Records linked against", "expected_known_share": "Expected known to CSC",
            "outcome_rows": "Outcome records", "outcome_scored": "Outcome records scored",
            "data_items_routine": "Data items routinely extractable", "data_items_rated": "Data items rated"},
))
register(TableSpec(
    "linkage_scenarios", "Linkage quality by identifier scenario", (*_LINK_NOTES, SYNTHETIC_NOTE), _scenario_table,
    Disclosure(
        counts=("n_records", "candidate_pairs", "links", "true_matches", "true_positives", "clerical_review"),
        rates={"precision": Rate("true_positives", "links"), "recall": Rate("true_positives", "true_matches"),
               "f1": ("true_positives", "links", "true_matches"), "match_rate": Rate("links", "n_records"),
               # an interval is hidden with any count it could reveal (as linkage.evaluate.COUNT_COLUMNS)
               **dict.fromkeys(("precision_low", "precision_high"), ("links", "true_positives")),
               **dict.fromkeys(("recall_low", "recall_high"), ("true_matches", "true_positives")),
               **dict.fromkeys(("f1_low", "f1_high"), ("links", "true_matches", "true_positives"))},
    ),
    percent=("precision", "precision_low", "precision_high", "recall", "recall_low", "recall_high", "f1", "f1_low",
             "f1_high", "match_rate"),
    keys=("site_id", "scenario"),
    labels={"site_id": "Site id", "f1": "F1", "n_records": "Records",
            "precision_low": "Precision 95% CI low", "precision_high": "Precision 95% CI high",
            "recall_low": "Recall 95% CI low", "recall_high": "Recall 95% CI high",
            "f1_low": "F1 95% CI low", "f1_high": "F1 95% CI high"},
))
register(TableSpec(
    "linkage_subgroups", "Match rate by subgroup, with 95% intervals",
    ("Subgroup match rates with Wilson 95% intervals and the gap from the site's overall rate; a large gap "
     "means linked data would under-represent that group.", "Subgroups with {small} records are suppressed, "
     "with their rate, interval and gap; one more subgroup is hidden where needed so the total cannot reveal them.",
     SYNTHETIC_NOTE),
    _subgroup_table,
    Disclosure(
        counts=("n_records", "links"),
        rates={"match_rate": Rate("links", "n_records"),
               **{r: ("n_records", "links") for r in ("ci_low", "ci_high", "gap_vs_site", "recall")}},
        groups=("site_id",),
    ),
    params=(SCENARIO, SUBGROUP_TYPE),
    keys=("site_id", "subgroup_type", "subgroup"),
    percent=("match_rate", "ci_low", "ci_high", "gap_vs_site", "recall"),
    labels={"site_id": "Site id", "n_records": "Records", "ci_low": "95% CI low", "ci_high": "95% CI high",
            "gap_vs_site": "Gap vs site rate"},
))
register(TableSpec(
    "linkage_pairs", "Candidate pairs to explain",
    ("Pairs are shown by pseudonymous key only: the strongest links and the closest calls.", SYNTHETIC_NOTE),
    _pair_table, Disclosure(), params=(SCENARIO,),
    labels={"site_id": "Site id", "left_key": "Programme record key", "right_key": "CSC record key"},
))
register(TableSpec(
    "outcome_completeness", "Outcome completeness by site, measure and timepoint",
    ("Eligible = people due the measure at that timepoint (evaluation-readiness stage); scored = with a total "
     "under the measure's missing-item rule; completeness = scored / eligible; retention = of those scored at "
     "baseline and due follow-up, the share scored at follow-up.",
     "Where one count in a row is {small}, every count in the row is hidden, since they add up to each other.",
     SYNTHETIC_NOTE),
    _completeness,
    # the readiness stage's declaration (one home), for overall rows only: no subgroup breakdown here
    dataclasses.replace(COMPLETENESS_DISCLOSURE, groups=None),
    params=(MEASURE,), percent=("completeness", "retention"),
    keys=("site_id", "measure", "timepoint"),
    labels={"site_id": "Site id", "baseline_scored": "Scored at baseline (due follow-up)"},
))
register(TableSpec(
    "sample_timeline", "Sample accrued over time",
    ("Cumulative people referred, with a scored baseline, and evaluable (baseline and follow-up scored on the "
     "same measure), by month of referral.", SYNTHETIC_NOTE),
    _timeline,
    Disclosure(counts=("referred", "with_baseline", "evaluable"),
               nested=(Nested("with_baseline", "referred"), Nested("evaluable", "with_baseline")),
               cumulative=Cumulative(("referred", "with_baseline", "evaluable"), ("month",), ("site_id",))),
    labels={"site_id": "Site id", "with_baseline": "With baseline", "evaluable": "Evaluable"},
    keys=("site_id", "month"),
))
_TIMELINE_DERIVED = ("monthly_referrals", "analysable_per_month", "months_to_target", "time_to_target",
                     "reachable_in_study")


def years_and_months(months: object) -> str | None:
    """Months as years and months in words, rounded up to a whole month (``26.2`` -> ``2 years 3 months``)."""
    if not isinstance(months, int | float) or months != months:  # None or NaN
        return None
    whole = int(-(-float(months) // 1))
    years, rest = divmod(whole, 12)
    parts = [f"{years} year{'s' if years != 1 else ''}"] if years else []
    if rest or not years:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts)


def _yes_no(column: str) -> pl.Expr:
    return pl.when(pl.col(column)).then(pl.lit("yes")).when(pl.col(column).is_not_null()).then(pl.lit("no")).alias(
        column)


def _timeline_post(frame: pl.DataFrame, cur: Cursor, scope: Scope) -> pl.DataFrame:
    """Time to target in years and months, reachability in words; the referral count stays a support column
    (every flow figure rests on it: monthly referrals x months would give it back)."""
    if "months_to_target" in frame.columns:
        words = pl.col("months_to_target").map_elements(years_and_months, return_dtype=pl.Utf8)
        at = frame.columns.index("months_to_target") + 1
        frame = frame.insert_column(at, frame.select(words.alias("time_to_target")).to_series())
    if "reachable_in_study" in frame.columns:
        frame = frame.with_columns(_yes_no("reachable_in_study"))
    if "monthly_referrals" in frame.columns and "referrals_counted" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias("referrals_counted"))
    return _with_names(cur, scope, frame)


register(TableSpec(
    "readiness_timeline", "Time to reach the target sample",
    ("From the evaluation-readiness stage: people needed for the chosen design, analysable people accruing "
     "per month (estimated from the referrals so far), and the time until the target is reached, in years and "
     "months, with whether that falls within the study period (blank when nothing analysable accrues).",
     "Where the referrals the flow is counted from are {small}, the flow and everything computed from it is hidden.",
     SYNTHETIC_NOTE),
    _relation("readiness_timeline", columns=("site_id", "outcome", "design", "target_n", "monthly_referrals",
                                             "analysable_per_month", "months_to_target", "reachable_in_study",
                                             "linkage_scenario", "linkage_recall_low", "linkage_recall_high",
                                             "linkage_basis", "basis_detail", "referrals_counted"),
              post=_timeline_post),
    Disclosure(rates={c: ("referrals_counted",) for c in _TIMELINE_DERIVED}, support=("referrals_counted",)),
    percent=("linkage_recall_low", "linkage_recall_high"),
    keys=("site_id", "outcome"),
    labels={"site_id": "Site id", "target_n": "Target people", "months_to_target": "Months to target",
            "time_to_target": "Time to target", "reachable_in_study": "Within the study period",
            "linkage_recall_low": "Linkage recall 95% CI low", "linkage_recall_high": "Linkage recall 95% CI high",
            "linkage_basis": "Recall basis", "basis_detail": "Basis"},
))
register(TableSpec(
    "readiness_funnel", "From referral to analysable sample",
    ("Expected people left after each step over the projected recruitment period (evaluation-readiness stage).",
     "Where a step has {small} people its row is hidden.", SYNTHETIC_NOTE),
    _relation("readiness_funnel", columns=("site_id", "outcome", "horizon_months", "step_no", "step", "n", "lost",
                                           "rate", "source"), post=_funnel_post),
    Disclosure(counts=("n", "lost"), rates={"rate": Rate("n", "n_before")}, support=("n_before",),
               sums=(Sum("n_before", ("n", "lost")),),
               series=(Series("n", "n_before", ("step_no",), ("site_id", "outcome")),)),
    percent=("rate",),
    keys=("site_id", "outcome", "step_no"),
    labels={"site_id": "Site id", "n": "People", "lost": "Lost at step", "rate": "Share kept"},
))
register(TableSpec(
    "readiness_summary", "Evaluation readiness summary",
    ("From the evaluation-readiness stage. The linkage verdict is given in words with the rule that produced it; "
     "recall is the best scenario's, with its 95% interval and whether it was measured against the synthetic "
     "truth, estimated or taken from a clerical review sample.", SYNTHETIC_NOTE),
    _relation("readiness_summary", columns=("site_id", "primary_outcome", "primary_rule", "primary_completeness",
                                            "primary_retention", "months_to_target", "reachable_in_study",
                                            "target_n", "best_linkage_scenario", "linkage_recall",
                                            "linkage_recall_low", "linkage_recall_high", "linkage_basis",
                                            "verdict_label", "verdict_rule", "data_gaps"), post=_timeline_post),
    Disclosure(), after=_summary_from_published,
    percent=("primary_completeness", "primary_retention", "linkage_recall", "linkage_recall_low",
             "linkage_recall_high"),
    labels={"site_id": "Site id", "target_n": "Target people", "primary_rule": "Why this measure",
            "time_to_target": "Time to target", "months_to_target": "Months to target",
            "reachable_in_study": "Within the study period", "linkage_recall_low": "Recall 95% CI low",
            "linkage_recall_high": "Recall 95% CI high", "linkage_basis": "Recall basis",
            "verdict_label": "Linkage verdict", "verdict_rule": "Verdict rule"},
))
register(TableSpec(
    "availability_matrix", "Data availability by site and data item",
    ("Ratings 0-4 from focus groups, interviews and document review (synthesis stage): 0 not held, 1 held but "
     "not extractable, 2 extractable with manual effort, 3 routinely extractable, 4 routinely used or linked.",
     "Blank = not discussed.", SYNTHETIC_NOTE),
    _relation("v_availability_matrix", ("dimension",),
              ("site_id", "data_item", "data_item_label", "dimension", "rating", "rating_label",
               "time_to_access_days", "system_name", "source")),
    Disclosure(), params=(DIMENSION,),
    labels={"site_id": "Site id", "data_item_label": "Data item name", "time_to_access_days": "Days to access"},
))
register(TableSpec(
    "availability_evidence", "Evidence behind the availability ratings",
    ("Pseudonymised quotes from synthetic focus-group material.", SYNTHETIC_NOTE),
    _relation("v_availability_evidence", ("dimension", "data_item"),
              ("site_id", "data_item", "dimension", "rating", "source", "activity_kind", "participant", "role",
               "agency", "quote")),
    Disclosure(), params=(DIMENSION, DATA_ITEM),
    labels={"site_id": "Site id", "activity_kind": "Activity"},
))
register(TableSpec(
    "framework_matrix", "Framework matrix: themes by site",
    ("The analyst's charted summary per theme and site; 'silent' where the site's material did not touch the "
     "theme.", SYNTHETIC_NOTE),
    _relation("v_framework_matrix", post=_framework_post), Disclosure(),
    labels={"rq_id": "Research question", "theme": "Theme"},
))
register(TableSpec(
    "triangulation_matrix", "Triangulation matrix",
    ("Convergence between sources per research question and site: agreement, partial agreement, silence or "
     "dissonance.", SYNTHETIC_NOTE),
    _relation("v_triangulation_matrix", post=_triangulation_post), Disclosure(),
    labels={"rq_id": "Research question", "about": "Theme or data item"},
))
register(TableSpec(
    "code_frequency", "Code frequency by site",
    ("How often each code was applied (prevalence, not importance).", SYNTHETIC_NOTE),
    _relation("v_code_frequency_by_site", columns=("site_id", "code_name", "origin", "n_segments", "n_documents",
                                                   "n_participants")),
    Disclosure(counts=("n_segments", "n_documents", "n_participants")),
    keys=("site_id", "code_name", "origin"),
    labels={"site_id": "Site id", "n_segments": "Segments", "n_documents": "Documents",
            "n_participants": "Participants"},
))


# ---------------------------------------------------------------- theory of change (issue 19)
#: readiness level -> plain words (synthesis.outcome_readiness.LEVELS, repeated here as display text only)
_READINESS_COLUMNS = ("site_id", "outcome_id", "outcome_name", "outcome_kind", "source", "reference_label",
                      "readiness", "rule", "n_eligible", "n_scored", "baseline_completeness", "n_baseline_scored",
                      "n_retained", "followup_retention", "held_rating", "linkage_scenario", "linkage_recall",
                      "linkage_recall_low", "linkage_recall_high", "linkage_basis", "months_to_target",
                      "months_basis", "outcome_level", "outcome_readiness", "source_kind", "reference")


def _outcome_readiness(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
    frame = q.outcome_readiness_rows(cur, scope)
    if frame.is_empty():
        return frame
    frame = frame.rename({"outcome": "outcome_name"})
    frame = frame.with_columns(pl.col(c).cast(pl.Float64) for c in ("linkage_recall", "linkage_recall_low",
                                                                     "linkage_recall_high", "months_to_target")
                               if c in frame.columns)
    return _with_names(cur, scope, frame.select([c for c in _READINESS_COLUMNS if c in frame.columns]))


def _readiness_from_published(frame: pl.DataFrame, published: Published) -> pl.DataFrame:
    """Withhold what rests on a hidden figure: a level that compares a hidden rate with a threshold (with
    its rule), the outcome's level when one of its sources is withheld, and the linkage recall (with its
    interval) wherever the linkage table hides it."""
    scen = published("linkage_scenarios", {})
    rows = list(frame.iter_rows(named=True))
    for r in rows:
        if _HIDDEN in (r.get("baseline_completeness"), r.get("followup_retention")):
            r.update(readiness=_HIDDEN, rule="withheld: it compares a hidden figure with a threshold")
        if r.get("linkage_scenario") is not None:
            shown = _lookup(scen, "recall", site_id=r["site_id"], scenario=r["linkage_scenario"])
            if shown is None or shown == _HIDDEN:
                r.update(linkage_recall=None if shown is None else _HIDDEN, linkage_recall_low=None,
                         linkage_recall_high=None)
    withheld = {(r["site_id"], r["outcome_id"]) for r in rows if r["readiness"] == _HIDDEN}
    for r in rows:
        if (r["site_id"], r["outcome_id"]) in withheld:
            r.update(outcome_level=None, outcome_readiness=_HIDDEN)
    text = ("linkage_recall", "linkage_recall_low", "linkage_recall_high")
    return pl.DataFrame([{k: (_as_text(v) if k in text else v) for k, v in r.items()} for r in rows],
                        schema_overrides={k: pl.Utf8 for k in text}, infer_schema_length=None)


def _toc_nodes(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
    from synthesis import diagram_elements

    rows: list[dict[str, object]] = []
    for toc in q.toc_models(cur, scope):
        elements = diagram_elements(toc)
        nodes = {e["data"]["id"]: e["data"] for e in elements if "source" not in e["data"]}
        targets: dict[str, list[str]] = {}
        for e in elements:
            if "source" in e["data"]:
                targets.setdefault(e["data"]["source"], []).append(e["data"]["target"])
        for node_id, d in nodes.items():
            rows.append({"site_id": toc.site_id, "version": toc.version, "column": d["column"], "node_id": node_id,
                         "stage": d["kind_label"], "box": d["label"], "is_outcome": bool(d["is_outcome"]),
                         "leads_to": "; ".join(nodes[t]["label"] for t in targets.get(node_id, []) if t in nodes),
                         "targets": ",".join(targets.get(node_id, []))})
    if not rows:
        return pl.DataFrame()
    return _with_names(cur, scope, pl.DataFrame(rows))


def _toc_with_readiness(frame: pl.DataFrame, published: Published) -> pl.DataFrame:
    """Each outcome's readiness as the outcome readiness table publishes it (blank for other boxes)."""
    ready = published("outcome_readiness", {})
    if ready.is_empty():
        return frame.with_columns(pl.when(pl.col("is_outcome")).then(None).otherwise(pl.lit("not an outcome"))
                                  .alias("readiness"))
    levels = ready.select("site_id", pl.col("outcome_id").alias("node_id"),
                          pl.col("outcome_readiness").cast(pl.Utf8).alias("readiness")).unique(
                              ["site_id", "node_id"], maintain_order=True)
    joined = frame.join(levels, on=["site_id", "node_id"], how="left", maintain_order="left")
    return joined.with_columns(pl.when(pl.col("is_outcome")).then(pl.col("readiness"))
                               .otherwise(pl.lit("not an outcome")).alias("readiness"))


def _acceptability(cur: Cursor, scope: Scope, params: dict[str, str]) -> pl.DataFrame:
    frame = q.acceptability_rows(cur, scope)
    if frame.is_empty():
        return frame
    return _with_names(cur, scope, frame.drop("construct").rename({"construct_label": "construct"}))


def _quotes_with_counts(frame: pl.DataFrame, published: Published) -> pl.DataFrame:
    """A quote (and its speaker) is withheld where the number of participants is hidden."""
    hidden = pl.col("n_participants").cast(pl.Utf8) == _HIDDEN
    return frame.with_columns([pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c)
                               for c in ("exemplar_quote", "exemplar_participant", "exemplar_role")
                               if c in frame.columns])


register(TableSpec(
    "outcome_readiness", "Outcome readiness: each outcome's evidence sources",
    ("One row per outcome of the site's theory of change and candidate evidence source (research question "
     "RQ3a): a standardised measure (completeness and retention, measured), a children's social care or "
     "looked-after outcome reached through linkage (best scenario's recall with its 95% interval), or a site "
     "data item (availability rating 0-4 from the synthesis).",
     "Readiness: ready now, needs work, not yet measurable, or no evidence source; the rule says which figure "
     "set it. Months to target are estimated from the accrual so far. Thresholds are the study team's defaults.",
     SYNTHETIC_NOTE),
    _outcome_readiness,
    Disclosure(counts=("n_eligible", "n_scored", "n_baseline_scored", "n_retained"),
               rates={"baseline_completeness": Rate("n_scored", "n_eligible"),
                      "followup_retention": Rate("n_retained", "n_baseline_scored")},
               nested=(Nested("n_scored", "n_eligible"), Nested("n_retained", "n_baseline_scored"))),
    after=_readiness_from_published,
    percent=("baseline_completeness", "followup_retention", "linkage_recall", "linkage_recall_low",
             "linkage_recall_high"),
    keys=("site_id", "outcome_id", "source_kind", "reference"),
    labels={"site_id": "Site id", "outcome_id": "Outcome id", "outcome_name": "Outcome", "outcome_kind": "Stage",
            "source": "Evidence source", "reference_label": "Source", "rule": "Rule that set it",
            "n_eligible": "Eligible at baseline", "n_scored": "Scored at baseline",
            "baseline_completeness": "Baseline completeness", "n_baseline_scored": "Scored at baseline (due follow-up)",
            "n_retained": "Scored at follow-up", "followup_retention": "Follow-up retention",
            "held_rating": "Availability rating (0-4)", "linkage_recall": "Linkage recall",
            "linkage_recall_low": "Recall 95% CI low", "linkage_recall_high": "Recall 95% CI high",
            "linkage_basis": "Recall basis", "months_basis": "Months basis",
            "outcome_level": "Outcome level (0-3)", "outcome_readiness": "Outcome readiness",
            "source_kind": "Source kind", "reference": "Source code"},
))
register(TableSpec(
    "toc_nodes", "Theory of change as a table",
    ("Each box of the site's theory of change (latest version): its stage, what it leads to and, for "
     "outcomes, the readiness of its best evidence source.", SYNTHETIC_NOTE),
    _toc_nodes, Disclosure(), after=_toc_with_readiness,
    keys=("site_id", "node_id"),
    labels={"site_id": "Site id", "node_id": "Box id", "box": "Box", "leads_to": "Leads to",
            "is_outcome": "Outcome", "targets": "Leads to (box ids)", "column": "Column"},
))
register(TableSpec(
    "acceptability", "Acceptability by construct and stakeholder group",
    ("Coded interview segments per site, acceptability construct (Sekhon et al. 2017) and stakeholder group; "
     "balance = (positive - negative) / (positive + negative) where the direction was coded (measured from "
     "coded segments, not a survey).",
     "Counts of {small} are hidden with their balance; a quote is withheld where its participants are hidden.",
     SYNTHETIC_NOTE),
    _acceptability,
    Disclosure(counts=("n_participants", "n_segments", "n_positive", "n_negative"),
               rates={"balance": ("n_positive", "n_negative")},
               nested=(Nested("n_positive", "n_segments"), Nested("n_negative", "n_segments"))),
    after=_quotes_with_counts,
    keys=("site_id", "construct", "stakeholder_group"),
    labels={"site_id": "Site id", "stakeholder_group": "Stakeholder group", "n_participants": "Participants",
            "n_segments": "Coded segments", "n_positive": "Positive", "n_negative": "Negative",
            "exemplar_quote": "Example quote", "exemplar_participant": "Speaker (pseudonym)",
            "exemplar_role": "Speaker's role"},
))
