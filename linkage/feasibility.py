"""Linkage feasibility over the warehouse: every site's child records against its local
authorities' CSC records, under every identifier-sharing scenario, with subgroup (bias) tables.

Reads the restricted zone (identifiers, truth), writes ``linkage_runs``, ``linkage_metrics`` and
``linkage_pairs`` (pseudonymous keys only) in one transaction, replacing earlier runs so that a
re-run never duplicates rows.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import metadata

import polars as pl

from linkage.evaluate import (
    Metrics,
    estimated,
    measured,
    measured_by_group,
    wilson,
    with_gap,
)
from linkage.explain import explanation_columns
from linkage.pipeline import LinkResult, link
from linkage.scenarios import get_scenario
from linkage.settings import LinkageSettings
from linkage.standardise import standardise, tokenise
from warehouse.errors import DataError
from warehouse.sites import SITES
from warehouse.store import Store
from warehouse.vocabulary import age_band_expr, ethnic_group_expr, normalise_sex_expr

log = logging.getLogger(__name__)

SUBGROUP_TYPES: tuple[str, ...] = ("ethnic_group", "age_band", "sex")
CSC_REFERRAL = ("csc", "children's social care", "childrens social care", "social care", "la")


@dataclass
class FeasibilityReport:
    """What :func:`run_feasibility` wrote.

    Attributes:
        run_id: the ``linkage_runs`` row.
        seconds: wall time.
        metrics: one dict per ``linkage_metrics`` row (with ``site_id``).
        pairs: rows written to ``linkage_pairs``.
        sites: sites linked.
    """

    run_id: int
    seconds: float
    metrics: list[dict[str, object]] = field(default_factory=list)
    pairs: int = 0
    sites: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (what ``linkready link --json`` writes)."""
        return {"run_id": self.run_id, "seconds": round(self.seconds, 3), "sites": self.sites,
                "pairs": self.pairs, "metrics": self.metrics}


def _read(store: Store) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with store.reader() as con:
        people = con.sql(
            "SELECT site_id, record_id AS rid, person_key, forename, surname, coalesce(dob, expected_dob) AS dob, "
            "dob IS NULL AND expected_dob IS NOT NULL AS dob_expected, "
            "dob AS birth_date, sex, postcode, nhs_number, ethnicity, referral_date, referral_source "
            "FROM restricted.service_people WHERE role = 'child' ORDER BY site_id, record_id"
        ).pl()
        la = con.sql(
            "SELECT la_code, la_code || '|' || la_child_id AS rid, person_key, forename, surname, "
            "coalesce(dob, expected_dob) AS dob, dob IS NULL AND expected_dob IS NOT NULL AS dob_expected, "
            "sex, postcode, nhs_number "
            "FROM restricted.la_identifiers ORDER BY la_code, la_child_id"
        ).pl()
        truth = con.sql(
            "SELECT site_id, site_record_id AS l_rid, la_code || '|' || la_child_id AS r_rid FROM restricted.truth_links"
        ).pl()
        labels = con.sql("SELECT site_id, left_key, right_key, label FROM linkage_labels").pl()
    return people, la, truth, labels


def _groups(left: pl.DataFrame) -> pl.DataFrame:
    return left.with_columns(
        ethnic_group_expr(pl.col("ethnicity")).alias("ethnic_group"),
        age_band_expr(pl.col("birth_date"), pl.col("referral_date").fill_null(pl.col("birth_date")),
                      unborn=pl.col("dob_expected")).alias("age_band"),
        normalise_sex_expr(pl.col("sex")).fill_null("U").alias("sex_group"),
        pl.col("referral_source").cast(pl.Utf8).str.to_lowercase().str.strip_chars()
        .is_in(list(CSC_REFERRAL)).fill_null(False).alias("must_link"),
    )


def _clerical(result: LinkResult, settings: LinkageSettings) -> int:
    b = result.best
    return int(b.filter((pl.col("probability") >= settings.review_low) & (pl.col("probability") < settings.review_high)).height)


def _scenario_result(left: pl.DataFrame, right: pl.DataFrame, scenario_name: str, settings: LinkageSettings,
                     secret: bytes) -> LinkResult:
    scenario = get_scenario(scenario_name)
    cols = ["rid", *scenario.roles] + (["dob_expected"] if "dob" in scenario.roles and not scenario.tokens else [])
    sl = standardise(left.select(cols))
    sr = standardise(right.select(cols))
    if scenario.tokens:
        sl, sr = tokenise(sl, secret), tokenise(sr, secret)
    return link(sl, sr, settings, tokens=scenario.tokens)


def site_metrics(
    site: str, left: pl.DataFrame, right: pl.DataFrame, truth: pl.DataFrame | None, settings: LinkageSettings,
    secret: bytes, progress: Callable[[str], None] | None = None, labels: pl.DataFrame | None = None,
) -> tuple[list[Metrics], dict[str, LinkResult]]:
    """Link one site's children (``left``, with group columns) to its LAs' records under every
    scenario; return the metrics rows and the results by scenario."""
    rows: list[Metrics] = []
    results: dict[str, LinkResult] = {}
    n = left.height
    must = left.filter(pl.col("must_link"))["rid"]
    for scen in settings.scenarios:
        t0 = time.perf_counter()
        res = _scenario_result(left, right, scen, settings, secret)
        if settings.train_on_labels and labels is not None and labels.height:
            from linkage.supervised import retrain  # the recordlinkage (pandas) edge, only when asked

            try:
                res = retrain(res, labels, settings.threshold)
            except DataError as exc:
                log.warning("%s %s: supervised mode skipped: %s", site, scen, exc)
        results[scen] = res
        links = res.links.select("l_rid", "r_rid", "probability")
        linked = set(links["l_rid"].to_list())
        must_n = must.len()
        must_rate = (sum(1 for r in must.to_list() if r in linked) / must_n) if must_n else None
        clerical = _clerical(res, settings)
        if truth is not None:
            tl = truth.select("l_rid", "r_rid")
            known = tl["l_rid"].n_unique() / n if n else None
            t = links.join(tl.with_columns(pl.lit(True).alias("_t")), on=["l_rid", "r_rid"], how="left")
            tp = int(t["_t"].fill_null(False).sum())
            overall = measured(scen, "all", "all", n, links.height, len(linked), tl.height, tp,
                               res.candidate_pairs, clerical, known)
            rows.append(_with_must(overall, must_n, must_rate))
            for gtype in SUBGROUP_TYPES:
                col = "sex_group" if gtype == "sex" else gtype
                rows += measured_by_group(scen, links, tl, left, col, gtype, expected_known_share=known)
        else:
            known = must_n / n if n else None  # lower bound: referred by CSC, so known to CSC
            overall = estimated(scen, "all", "all", n, links, res.best, res.candidate_pairs, clerical, known)
            if labels is not None and labels.height:
                overall = from_labels(overall, links, labels)
            rows.append(_with_must(overall, must_n, must_rate))
            for gtype in SUBGROUP_TYPES:
                col = "sex_group" if gtype == "sex" else gtype
                grows = []
                for value in sorted(left[col].unique().to_list()):
                    ids = left.filter(pl.col(col) == value)["rid"]
                    grows.append(estimated(
                        scen, gtype, str(value), ids.len(), links.filter(pl.col("l_rid").is_in(ids.implode())),
                        res.best.filter(pl.col("l_rid").is_in(ids.implode())),
                    ))
                rows += with_gap(grows)
        if progress:
            progress(f"{site} {scen}: {res.candidate_pairs} candidate pairs, {links.height} links "
                     f"({time.perf_counter() - t0:.1f} s)")
    return rows, results


def from_labels(row: Metrics, links: pl.DataFrame, labels: pl.DataFrame) -> Metrics:
    """Measure precision and recall on clerically labelled pairs (label >= 0.5 = same person):
    precision among labelled links, recall among labelled true pairs."""
    lab = labels.with_columns((pl.col("label") >= 0.5).alias("_true"))
    linked = lab.join(links.select("l_rid", "r_rid"), on=["l_rid", "r_rid"], how="semi")
    n_links_lab = linked.height
    tp = int(linked["_true"].sum())
    n_true = int(lab["_true"].sum())
    precision = tp / n_links_lab if n_links_lab else None
    recall = tp / n_true if n_true else None
    p_lo, p_hi = wilson(tp, n_links_lab)
    r_lo, r_hi = wilson(tp, n_true)
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
    return replace(row, basis="measured", true_matches=n_true, true_positives=tp, precision=precision, recall=recall,
                   f1=f1, precision_low=p_lo, precision_high=p_hi, recall_low=r_lo, recall_high=r_hi,
                   missed_match_rate=(1 - recall) if recall is not None else None)


def _with_must(m: Metrics, must_n: int, must_rate: float | None) -> Metrics:
    return replace(m, must_link_n=must_n, must_link_rate=must_rate)


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("linkready", "duckdb", "polars", "numpy", "sqlglot", "recordlinkage"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def run_feasibility(
    store: Store, settings: LinkageSettings | None = None, progress: Callable[[str], None] | None = None
) -> FeasibilityReport:
    """Link each site's child records to its local authorities' records under every scenario,
    evaluate against ``restricted.truth_links`` when present (else estimate), and store the run.

    Args:
        store: a read-write warehouse.
        settings: linkage settings (defaults when None).
        progress: called with one line per site and scenario (counts and timings only).

    Returns:
        a :class:`FeasibilityReport`.

    Example:
        >>> report = run_feasibility(Store("demo.duckdb"))     # doctest: +SKIP
    """
    settings = settings or LinkageSettings()
    started = datetime.now()
    t0 = time.perf_counter()
    people, la, truth, labels = _read(store)
    if people.height == 0 or la.height == 0:
        raise DataError(
            f"warehouse {store.path} holds {people.height} site child records and {la.height} local-authority "
            f"records; both are needed: load a drop first with `linkready load DIR --db {store.path}`"
        )
    has_truth = truth.height > 0
    secret = os.urandom(32)  # token key for the pseudonymised scenario: never stored
    all_rows: list[dict[str, object]] = []
    pair_frames: list[pl.DataFrame] = []
    models: dict[str, object] = {}
    sites_done: list[str] = []
    for site_id, site in SITES.items():
        left = _groups(people.filter(pl.col("site_id") == site_id))
        right = la.filter(pl.col("la_code").is_in(list(site.la_codes)))
        if left.height == 0 or right.height == 0:
            if progress:
                progress(f"{site_id}: nothing to link ({left.height} children, {right.height} LA records)")
            continue
        site_truth = None
        if has_truth:
            site_truth = truth.filter(
                (pl.col("site_id") == site_id)
                & pl.col("l_rid").is_in(left["rid"].implode())
                & pl.col("r_rid").is_in(right["rid"].implode())
            )
        site_labels = None
        if not has_truth:
            site_labels = (
                labels.filter(pl.col("site_id") == site_id)
                .join(left.select(pl.col("person_key").alias("left_key"), pl.col("rid").alias("l_rid")), on="left_key")
                .join(right.select(pl.col("person_key").alias("right_key"), pl.col("rid").alias("r_rid")), on="right_key")
                .select("l_rid", "r_rid", "label")
            )
        rows, results = site_metrics(site_id, left, right, site_truth, settings, secret, progress, site_labels)
        all_rows += [{"site_id": site_id, **r.as_dict()} for r in rows]
        lkeys = left.select(pl.col("rid").alias("l_rid"), pl.col("person_key").alias("left_key"))
        rkeys = right.select(pl.col("rid").alias("r_rid"), pl.col("person_key").alias("right_key"))
        for scen, res in results.items():
            models[f"{site_id}/{scen}"] = {
                "model": res.model.as_dict(), "blocking_rules": [r.name for r in res.rules],
                "comparisons": [f"{c.kind}:{c.field}" for c in res.comparisons], "seconds": round(res.seconds, 3),
            }
            keep = res.pairs.filter(
                (pl.col("probability") >= settings.store_pairs_min_probability) | pl.col("is_link")
            )
            keep = explanation_columns(res, keep)
            pair_frames.append(
                keep.join(lkeys, on="l_rid").join(rkeys, on="r_rid").select(
                    pl.lit(site_id).alias("site_id"), pl.lit(scen).alias("scenario"), "left_key", "right_key",
                    "match_weight", "probability", "is_link", "explanation",
                )
            )
        sites_done.append(site_id)

    seconds = time.perf_counter() - t0
    metrics = pl.DataFrame(all_rows, infer_schema_length=None) if all_rows else None
    pairs = pl.concat(pair_frames) if pair_frames else None
    with store.transaction() as con:
        # A run replaces earlier runs: derived results are rebuilt, never duplicated.
        con.execute("DELETE FROM linkage_pairs")
        con.execute("DELETE FROM linkage_metrics")
        con.execute("DELETE FROM linkage_runs")
        run_id = con.execute(
            "INSERT INTO linkage_runs (started_at, seconds, settings, versions, seed, status) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING run_id",
            [started, seconds, json.dumps({"settings": settings.as_dict(), "truth": has_truth, "models": models}),
             json.dumps(_versions()), settings.seed, "ok"],
        ).fetchall()[0][0]
        if metrics is not None:
            con.register("_lk_metrics_in", metrics.with_columns(pl.lit(run_id).cast(pl.Int64).alias("run_id")))
            cols = ", ".join(metrics.columns + ["run_id"])
            con.execute(f"INSERT INTO linkage_metrics ({cols}) SELECT {cols} FROM _lk_metrics_in")  # noqa: S608 - our column names
            con.unregister("_lk_metrics_in")
        if pairs is not None:
            con.register("_lk_pairs_in", pairs.with_columns(pl.lit(run_id).cast(pl.Int64).alias("run_id")))
            con.execute(
                "INSERT INTO linkage_pairs (run_id, site_id, scenario, left_key, right_key, match_weight, probability, "
                "is_link, explanation) SELECT run_id, site_id, scenario, left_key, right_key, match_weight, "
                "probability, is_link, explanation FROM _lk_pairs_in"
            )
            con.unregister("_lk_pairs_in")
    log.info("linkage run %s: %d sites, %d metric rows, %.1f s", run_id, len(sites_done), len(all_rows), seconds)
    return FeasibilityReport(int(run_id), seconds, all_rows, 0 if pairs is None else pairs.height, sites_done)
