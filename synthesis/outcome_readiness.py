"""The outcome readiness matrix (RQ3a): which outcomes of each site's theory of change can be measured now.

One row per site, outcome and candidate evidence source (from the latest ``toc_outcome_source``
version), with the figures that decide it, all read from warehouse tables other stages wrote:

- a **measure**: baseline completeness and follow-up retention (``readiness_completeness``,
  subgroup "all": measured), months to the sample-size target (``readiness_timeline``: estimated);
- a **CSC** or **SSDA903 outcome** (reached through linkage): the site's linkage verdict and best
  scenario (``readiness_summary``), that scenario's recall with its interval (``linkage_metrics``,
  latest run), months to target for CSC involvement;
- a **site data item**: its availability rating on the "held" dimension (``v_availability_matrix``,
  from the synthesis).

Each row gets a readiness level (3 ready now, 2 needs work, 1 not yet measurable, 0 no evidence
source), the rule that set it in words, and a gap name where there is one (``no_source``,
``not_collected``, ``poor_completeness``, ``weak_linkage``, ``no_linkage``, ``low_availability``).
Thresholds are a :class:`ReadinessRules` value (defaults are the study team's placeholders, marked
as defaults in every rule text). An outcome's level is its best source's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from synthesis.catalogue import DATA_ITEMS
from warehouse.disclosure import Disclosure, Rate
from warehouse.errors import DataError
from warehouse.sites import get_site
from warehouse.store import Store
from warehouse.toc import NODE_KINDS, SOURCE_KINDS
from warehouse.verdicts import VERDICT_LABELS

__all__ = ["LEVELS", "OUTCOME_READINESS_DISCLOSURE", "ReadinessRules", "outcome_readiness"]

LEVELS: dict[int, str] = {3: "Ready now", 2: "Needs work", 1: "Not yet measurable", 0: "No evidence source"}


@dataclass(frozen=True)
class ReadinessRules:
    """Thresholds of the readiness levels (defaults are placeholders until the study team sets them)."""

    min_completeness: float = 0.5     # baseline scored / eligible
    min_retention: float = 0.5        # follow-up scored / baseline scored
    min_held_rating: int = 3          # 0-4 availability rating on "held": routinely extractable or better

    def __post_init__(self) -> None:
        problems = [f"{name} {value} is outside 0-1" for name, value in
                    (("min_completeness", self.min_completeness), ("min_retention", self.min_retention))
                    if not 0 <= value <= 1]
        if not 0 <= self.min_held_rating <= 4:
            problems.append(f"min_held_rating {self.min_held_rating} is outside 0-4")
        if problems:
            raise DataError("readiness rules: " + "; ".join(problems) + "; give shares as 0-1 and ratings as 0-4")


@dataclass(frozen=True)
class _Verdict:
    level: int
    rule: str
    gap: str | None


@dataclass
class _Figures:
    """The figures the rules read, per site (loaded once)."""

    completeness: dict[tuple[str, str], dict[str, Any]]
    months: dict[tuple[str, str], float | None]
    linkage: dict[str, dict[str, Any]]
    held: dict[tuple[str, str], int | None]


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """True when ``table`` (a fixed name from this module) exists and holds a row."""
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchone()
    if not row or not row[0]:
        return False
    return con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None  # noqa: S608 (fixed names)


def _load_figures(con: duckdb.DuckDBPyConnection) -> _Figures:
    if not _has_rows(con, "readiness_runs"):
        raise DataError("evaluation readiness has not been computed in this warehouse; run "
                        "`linkready readiness --db DB` first (after load and link)")
    completeness: dict[tuple[str, str], dict[str, Any]] = {}
    for site, measure, tp, eligible, scored, comp, retained, base, ret in con.execute(
        "SELECT site_id, measure, timepoint, eligible, scored, completeness, retained, baseline_scored, retention "
        "FROM readiness_completeness WHERE subgroup_type = 'all'"
    ).fetchall():
        cell = completeness.setdefault((site, measure), {})
        if tp == "baseline":
            cell.update(n_eligible=eligible, n_scored=scored, completeness=comp)
        else:
            cell.update(n_baseline_scored=base, n_retained=retained, retention=ret)
    months = {(s, o): m for s, o, m in con.execute(
        "SELECT site_id, outcome, min(months_to_target) FROM readiness_timeline GROUP BY ALL").fetchall()}
    linkage = {r[0]: dict(zip(("scenario", "verdict"), r[1:], strict=True)) for r in con.execute(
        "SELECT site_id, best_linkage_scenario, linkage_verdict FROM readiness_summary").fetchall()}
    for site, scenario, recall, low, high, basis in con.execute(
        "SELECT site_id, scenario, recall, recall_low, recall_high, basis FROM linkage_metrics "
        "WHERE subgroup_type = 'all' AND run_id = (SELECT max(run_id) FROM linkage_metrics)"
    ).fetchall():
        if site in linkage and linkage[site]["scenario"] == scenario:
            linkage[site].update(recall=recall, recall_low=low, recall_high=high, recall_basis=basis)
    held = {(s, i): r for s, i, r in con.execute(
        "SELECT site_id, data_item, rating FROM v_availability_matrix WHERE dimension = 'held'").fetchall()}
    return _Figures(completeness, months, linkage, held)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _measure_verdict(site: str, ref: str, f: _Figures, rules: ReadinessRules) -> _Verdict:
    cell = f.completeness.get((site, ref), {})
    if not cell.get("n_eligible"):
        return _Verdict(1, f"the site does not collect {ref} (no one due it in the loaded records): needs a new "
                           "instrument or data collection", "not_collected")
    comp, ret = cell.get("completeness"), cell.get("retention")
    short = []
    if comp is None or comp < rules.min_completeness:
        short.append(f"baseline completeness {_pct(comp)} < {rules.min_completeness:.0%} (default)")
    if ret is not None and ret < rules.min_retention:
        short.append(f"follow-up retention {_pct(ret)} < {rules.min_retention:.0%} (default)")
    if short:
        return _Verdict(2, "; ".join(short) + " (measured)", "poor_completeness")
    return _Verdict(3, f"baseline completeness {_pct(comp)} >= {rules.min_completeness:.0%} and follow-up "
                       f"retention {_pct(ret)} >= {rules.min_retention:.0%} (measured; thresholds default)", None)


def _linked_verdict(site: str, ref: str, f: _Figures, rules: ReadinessRules) -> _Verdict:
    link = f.linkage.get(site)
    if not link or link.get("verdict") in (None, "unknown"):
        return _Verdict(1, "no linkage result for this site: run `linkready link` to see whether its records "
                           "can be linked to the LA's", "no_linkage")
    verdict, scenario = link["verdict"], link.get("scenario")
    interval = (f"recall {_pct(link.get('recall'))} ({_pct(link.get('recall_low'))}-{_pct(link.get('recall_high'))}, "
                f"{link.get('recall_basis') or 'basis unknown'})")
    words = VERDICT_LABELS.get(verdict, verdict)  # the verdict's own words, from their one home
    if verdict == "feasible":
        return _Verdict(3, f"linkage {words} with scenario {scenario}: {interval}", None)
    level = 1 if verdict == "not_feasible" else 2
    why = " (a clerical review sample would narrow the interval)" if verdict == "review_sample" else ""
    return _Verdict(level, f"linkage {words} with scenario {scenario}{why}: {interval}", "weak_linkage")


def _data_item_verdict(site: str, ref: str, f: _Figures, rules: ReadinessRules) -> _Verdict:
    rating = f.held.get((site, ref))
    if rating is not None and rating >= rules.min_held_rating:
        return _Verdict(3, f"held rating {rating} of 4 >= {rules.min_held_rating} (synthesis rating)", None)
    if rating is None:
        return _Verdict(1, f"{ref} not rated for this site in the synthesis: ask in the data focus group",
                        "low_availability")
    return _Verdict(2 if rating == rules.min_held_rating - 1 else 1,
                    f"held rating {rating} of 4 < {rules.min_held_rating} (synthesis rating)", "low_availability")


_RULES: dict[str, Callable[[str, str, _Figures, ReadinessRules], _Verdict]] = {
    "measure": _measure_verdict, "csc_outcome": _linked_verdict, "ssda903_outcome": _linked_verdict,
    "site_data_item": _data_item_verdict,
}


def _toc_sources(con: duckdb.DuckDBPyConnection, sites: list[str] | None) -> list[tuple[Any, ...]]:
    return con.execute(
        "WITH latest AS (SELECT site_id, max(version) AS version FROM toc_model GROUP BY site_id) "
        "SELECT n.site_id, n.version, n.node_id, n.label, n.kind, s.source_kind, s.reference "
        "FROM toc_node n JOIN latest USING (site_id, version) "
        "LEFT JOIN toc_outcome_source s ON s.site_id = n.site_id AND s.version = n.version "
        "AND s.outcome_id = n.node_id "
        "WHERE n.kind IN (SELECT unnest($kinds)) AND ($sites IS NULL OR n.site_id IN (SELECT unnest($sites))) "
        "ORDER BY n.site_id, n.sort_order, s.sort_order",
        {"kinds": [k.name for k in NODE_KINDS.values() if k.is_outcome], "sites": sites},
    ).fetchall()


def _reference_label(source_kind: str | None, ref: str | None) -> str | None:
    """A source's words: a measure's name, a CSC/903 outcome's label, a data item's catalogue label."""
    if not source_kind or not ref:
        return None
    if source_kind == "site_data_item" and ref in DATA_ITEMS:
        return DATA_ITEMS.get(ref).label
    return SOURCE_KINDS.get(source_kind).reference_label(ref)


def _row(src: tuple[Any, ...], f: _Figures, rules: ReadinessRules) -> dict[str, Any]:
    site, version, node_id, label, kind, source_kind, ref = src
    if source_kind is None:
        v = _Verdict(0, "no measure, record or data item is mapped to this outcome: needs a new measure", "no_source")
    else:
        v = _RULES[source_kind](site, ref, f, rules)
    comp = f.completeness.get((site, ref), {}) if source_kind == "measure" else {}
    link = f.linkage.get(site, {}) if source_kind in ("csc_outcome", "ssda903_outcome") else {}
    months_key = ref if source_kind == "measure" else "csc_involvement" if source_kind == "csc_outcome" else None
    return {
        "site_id": site, "toc_version": version, "outcome_id": node_id, "outcome": label,
        "outcome_kind": NODE_KINDS.get(kind).label, "source_kind": source_kind,
        "source": SOURCE_KINDS.get(source_kind).label if source_kind else None,
        "reference": ref, "reference_label": _reference_label(source_kind, ref),
        "n_eligible": comp.get("n_eligible"), "n_scored": comp.get("n_scored"),
        "baseline_completeness": comp.get("completeness"), "n_baseline_scored": comp.get("n_baseline_scored"),
        "n_retained": comp.get("n_retained"), "followup_retention": comp.get("retention"),
        "held_rating": f.held.get((site, ref)) if source_kind == "site_data_item" else None,
        "linkage_scenario": link.get("scenario"), "linkage_verdict": link.get("verdict"),
        "linkage_recall": link.get("recall"), "linkage_recall_low": link.get("recall_low"),
        "linkage_recall_high": link.get("recall_high"), "linkage_basis": link.get("recall_basis"),
        "months_to_target": f.months.get((site, months_key)) if months_key else None,
        "months_basis": "estimated" if months_key and f.months.get((site, months_key)) is not None else None,
        "level": v.level, "readiness": LEVELS[v.level], "rule": v.rule, "gap": v.gap,
    }


OUTCOME_READINESS_DISCLOSURE = Disclosure(
    counts=("n_eligible", "n_scored", "n_baseline_scored", "n_retained"),
    rates={"baseline_completeness": Rate("n_scored", "n_eligible"),
           "followup_retention": Rate("n_retained", "n_baseline_scored")},
)
"""What the matrix holds, for the disclosure engine (site views)."""


def outcome_readiness(store: Store, sites: list[str] | None = None, rules: ReadinessRules | None = None,
                      site_view: bool = False) -> pl.DataFrame:
    """The outcome readiness matrix: one row per site, outcome and evidence source (see the module doc).

    Args:
        store: a warehouse with theories of change, readiness computed and (for CSC outcomes) linkage run.
        sites: restrict to these sites.
        rules: thresholds (defaults: :class:`ReadinessRules`).
        site_view: apply the disclosure policy to the counts and the rates built from them.
    Raises:
        DataError: readiness not computed, or no theory of change stored.
    """
    for s in sites or []:
        get_site(s)
    rules = rules or ReadinessRules()
    with store.reader() as con:
        if not _has_rows(con, "toc_model"):
            raise DataError("no theory of change stored; import one per site with `linkready toc import FILE "
                            "--db DB --site S`")
        figures = _load_figures(con)
        rows = [_row(src, figures, rules) for src in _toc_sources(con, sites)]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if frame.height:
        frame = frame.with_columns(pl.col("level").max().over(["site_id", "outcome_id"]).alias("outcome_level"))
        frame = frame.with_columns(pl.col("outcome_level").replace_strict(LEVELS, return_dtype=pl.Utf8)
                                   .alias("outcome_readiness"))
    return OUTCOME_READINESS_DISCLOSURE.apply(frame) if site_view else frame
