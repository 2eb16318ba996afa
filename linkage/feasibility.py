"""Linkage feasibility over the warehouse: every site's child records against its local
authorities' CSC records, under every identifier-sharing scenario, with subgroup (bias) tables.

Reads the restricted zone (identifiers, truth), writes ``linkage_runs``, ``linkage_metrics`` and
``linkage_pairs`` (pseudonymous keys only) in one transaction, replacing earlier runs so that a
re-run never duplicates rows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import metadata

import polars as pl

from linkage.encoded import link_encoded_frames
from linkage.estimates import (
    MIN_GOLD,
    blocking_missed,
    blocking_missed_by_fields,
    gold_recall,
    model_field_agreement,
    review_precision,
)
from linkage.evaluate import Metrics, estimated, measured, measured_by_group, with_gap
from linkage.explain import explanation_columns
from linkage.intervals import Estimate, f1_interval, product_interval
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


def _read(store: Store) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
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
        # LA identifier rows the load rejected outright (not kept; an exact duplicate loses nothing):
        # a CSC-referred child's only LA record may be among them (estimates.gold_recall)
        # (the current identifier batches of each LA, whatever the files are called)
        lost = con.sql(
            "SELECT b.la_code, count(DISTINCT r.row_number) AS lost FROM restricted.rejects r "
            "JOIN v_current_batches b USING (batch_id) "
            "WHERE b.kind = 'la_identifiers' AND NOT r.row_kept AND r.rule <> 'duplicate_row' GROUP BY 1"
        ).pl()
    return people, la, truth, labels, lost


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
    if scenario.encoding == "bloom_filter":
        # Both sides encoded with one run key derived from the run's secret (never stored), then linked
        # on the encodings only; the derivation keeps encoding keys apart from pseudonymisation keys.
        run_key = hmac.new(secret, b"linkready bloom_filter_encodings scenario", hashlib.sha256).digest()
        return link_encoded_frames(sl, sr, settings, run_key)
    if scenario.tokens:
        sl, sr = tokenise(sl, secret), tokenise(sr, secret)
    return link(sl, sr, settings, tokens=scenario.tokens)


def _retrained(res: LinkResult, labels: pl.DataFrame | None, settings: LinkageSettings, where: str) -> LinkResult:
    if not (settings.train_on_labels and labels is not None and labels.height):
        return res
    from linkage.supervised import retrain  # the recordlinkage (pandas) edge, only when asked

    try:
        return retrain(res, labels, settings.threshold)
    except DataError as exc:
        log.warning("%s: supervised mode skipped: %s", where, exc)
        return res


def measured_rows(scenario: str, res: LinkResult, left: pl.DataFrame, truth: pl.DataFrame,
                  clerical: int) -> list[Metrics]:
    """Overall and subgroup rows measured against ``truth`` (``l_rid``, ``r_rid``)."""
    n = left.height
    links = res.links.select("l_rid", "r_rid", "probability")
    tl = truth.select("l_rid", "r_rid")
    known = tl["l_rid"].n_unique() / n if n else None
    t = links.join(tl.with_columns(pl.lit(True).alias("_t")), on=["l_rid", "r_rid"], how="left")
    tp = int(t["_t"].fill_null(False).sum())
    rows = [measured(scenario, "all", "all", n, links.height, links["l_rid"].n_unique(), tl.height, tp,
                     res.candidate_pairs, clerical, known)]
    for gtype in SUBGROUP_TYPES:
        col = "sex_group" if gtype == "sex" else gtype
        rows += measured_by_group(scenario, links, tl, left, col, gtype, expected_known_share=known)
    return rows


def estimated_rows(scenario: str, res: LinkResult, left: pl.DataFrame, clerical: int,
                   labels: pl.DataFrame | None = None, known_share: float | None = None,
                   lost_share: float = 0.0) -> list[Metrics]:
    """Overall and subgroup rows estimated without truth: recall on the records that must link
    (``left.must_link``; ``lost_share`` of the LA identifier rows were rejected by the load, so some
    may have no partner), true pairs outside blocking, review labels when given, and the site's
    expected share of children known to CSC (``known_share``) when given."""
    n = left.height
    links = res.links.select("l_rid", "r_rid", "probability")
    must = left.filter(pl.col("must_link"))["rid"]
    # without the site's figure, the share referred by CSC is a lower bound on the share known to CSC
    known = known_share if known_share is not None else (must.len() / n if n else None)
    # true pairs outside blocking: the larger of capture-recapture (fails when rules share identifiers
    # or capture the same kind of child) and the fields' agreement among true pairs
    by_fields = blocking_missed_by_fields(res.pairs, res.best, res.rules,
                                          model_field_agreement(res.model.names, res.model.m))
    missed = max(blocking_missed(res.pairs, res.rules), by_fields)
    overall = estimated(scenario, "all", "all", n, links, res.best, res.candidate_pairs, clerical, known,
                        must=must, missed_outside=missed, known_share=known_share, lost_share=lost_share)
    if labels is not None and labels.height:
        overall = from_labels(overall, res, labels, must, lost_share)
    rows = [overall]
    for gtype in SUBGROUP_TYPES:
        col = "sex_group" if gtype == "sex" else gtype
        grows = []
        for value in sorted(left[col].unique().to_list()):
            group = left.filter(pl.col(col) == value)
            ids = group["rid"].implode()
            share = missed * group.height / n if n else 0.0  # blocking misses shared out by records
            grows.append(estimated(
                scenario, gtype, str(value), group.height, links.filter(pl.col("l_rid").is_in(ids)),
                res.best.filter(pl.col("l_rid").is_in(ids)), must=group.filter(pl.col("must_link"))["rid"],
                missed_outside=share, lost_share=lost_share,  # the known share says nothing about one subgroup
            ))
        rows += with_gap(grows)
    return rows


def scenario_rows(scenario: str, res: LinkResult, left: pl.DataFrame, truth: pl.DataFrame | None,
                  settings: LinkageSettings, labels: pl.DataFrame | None = None,
                  known_share: float | None = None, lost_share: float = 0.0) -> list[Metrics]:
    """The metrics rows of one site x scenario: measured when there is truth, else estimated; every
    row carries the must-link count and rate (a recall check that needs no truth)."""
    clerical = _clerical(res, settings)
    if truth is not None:
        rows = measured_rows(scenario, res, left, truth, clerical)
    else:
        rows = estimated_rows(scenario, res, left, clerical, labels, known_share, lost_share)
    must = left.filter(pl.col("must_link"))["rid"]
    rate = float(res.links["l_rid"].is_in(must.implode()).sum()) / must.len() if must.len() else None
    rows[0] = replace(rows[0], must_link_n=must.len(), must_link_rate=rate)
    return rows


@dataclass(frozen=True)
class SiteData:
    """One site's children (with subgroup columns), its LAs' records, its truth or labels, and the
    share of its LAs' identifier rows the load rejected (``lost_share``)."""

    left: pl.DataFrame
    right: pl.DataFrame
    truth: pl.DataFrame | None
    labels: pl.DataFrame | None
    lost_share: float = 0.0


def site_metrics(site: str, data: SiteData, settings: LinkageSettings, secret: bytes,
                 progress: Callable[[str], None] | None = None) -> tuple[list[Metrics], dict[str, LinkResult]]:
    """Link one site's children to its LAs' records under every scenario; return the metrics rows
    and the results by scenario."""
    left, right, truth, labels = data.left, data.right, data.truth, data.labels
    rows: list[Metrics] = []
    results: dict[str, LinkResult] = {}
    for scen in settings.scenarios:
        t0 = time.perf_counter()
        res = _retrained(_scenario_result(left, right, scen, settings, secret), labels, settings, f"{site} {scen}")
        results[scen] = res
        rows += scenario_rows(scen, res, left, truth, settings, labels, settings.known_share(site), data.lost_share)
        if progress:
            progress(f"{site} {scen}: {res.candidate_pairs} candidate pairs, {res.links.height} links "
                     f"({time.perf_counter() - t0:.1f} s)")
    return rows, results


def from_labels(row: Metrics, res: LinkResult, labels: pl.DataFrame, must: pl.Series,
                lost_share: float = 0.0) -> Metrics:
    """Replace a row's estimates with review-based ones: precision from the
    clerically reviewed pairs (label >= 0.5 = same person) weighted back to every scored pair by
    probability band (Horvitz-Thompson); recall on the records that must link, each link counted
    at the reviewed precision instead of the model's probability (the must-link share's interval as
    in :func:`linkage.estimates.gold_recall`, times the reviewed precision by the delta method).

    The row stays ``basis`` "estimated" (a review is a sample, not truth); its ``method`` ends with
    "clerical review of N pairs", which is how a verdict knows it rests on the review
    (``evaluation.verdicts.recall_figure``)."""
    prec = review_precision(res.pairs, labels)
    if prec.value is None or prec.low is None or prec.high is None:
        return row
    rec = Estimate(row.recall, row.recall_low, row.recall_high, "model (too few records that must link)")
    if must.len() >= MIN_GOLD:
        sure = res.links.select("l_rid", pl.lit(1.0).alias("probability"))  # the review, not the model, says how many are right
        share, _ = gold_recall(sure, must, row.n_records, lost_share)
        rec = product_interval(share, prec, "records that must link, links counted at the reviewed precision (delta method)")
    f = f1_interval(prec, rec)
    return replace(row, precision=prec.value, precision_low=prec.low, precision_high=prec.high, recall=rec.value,
                   recall_low=rec.low, recall_high=rec.high, f1=f.value, f1_low=f.low, f1_high=f.high,
                   missed_match_rate=(1 - rec.value) if rec.value is not None else None,
                   method=f"precision: {prec.method}; recall: {rec.method}; clerical review of {labels.height} pairs")


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("linkready", "duckdb", "polars", "numpy", "sqlglot", "recordlinkage"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def _site_data(site_id: str, la_codes: tuple[str, ...],
               tables: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> SiteData:
    """One site's children (with subgroup columns), its LAs' records, its truth or its labels, and
    the share of its LAs' identifier rows the load rejected."""
    people, la, truth, labels, rejected = tables
    left = _groups(people.filter(pl.col("site_id") == site_id))
    right = la.filter(pl.col("la_code").is_in(list(la_codes)))
    lost_share = 0.0
    if right.height:
        lost = float(rejected.filter(pl.col("la_code").is_in(list(la_codes)))["lost"].sum())
        lost_share = lost / (lost + right.height)
    if truth.height > 0:
        site_truth = truth.filter(
            (pl.col("site_id") == site_id) & pl.col("l_rid").is_in(left["rid"].implode())
            & pl.col("r_rid").is_in(right["rid"].implode())
        )
        return SiteData(left, right, site_truth, None, lost_share)
    site_labels = (
        labels.filter(pl.col("site_id") == site_id)
        .join(left.select(pl.col("person_key").alias("left_key"), pl.col("rid").alias("l_rid")), on="left_key")
        .join(right.select(pl.col("person_key").alias("right_key"), pl.col("rid").alias("r_rid")), on="right_key")
        .select("l_rid", "r_rid", "label")
    )
    return SiteData(left, right, None, site_labels, lost_share)


def _pair_rows(site_id: str, data: SiteData, results: dict[str, LinkResult],
               settings: LinkageSettings) -> list[pl.DataFrame]:
    """Stored pairs (pseudonymous keys, explanations) of every scenario of one site."""
    lkeys = data.left.select(pl.col("rid").alias("l_rid"), pl.col("person_key").alias("left_key"))
    rkeys = data.right.select(pl.col("rid").alias("r_rid"), pl.col("person_key").alias("right_key"))
    frames = []
    for scen, res in results.items():
        keep = res.pairs.filter((pl.col("probability") >= settings.store_pairs_min_probability) | pl.col("is_link"))
        frames.append(
            explanation_columns(res, keep).join(lkeys, on="l_rid").join(rkeys, on="r_rid").select(
                pl.lit(site_id).alias("site_id"), pl.lit(scen).alias("scenario"), "left_key", "right_key",
                "match_weight", "probability", "is_link", "explanation",
            )
        )
    return frames


def _model_summary(res: LinkResult) -> dict[str, object]:
    return {"model": res.model.as_dict(), "blocking_rules": [r.name for r in res.rules],
            "comparisons": [f"{c.kind}:{c.field}" for c in res.comparisons], "seconds": round(res.seconds, 3)}


@dataclass
class _RunOutput:
    rows: list[dict[str, object]] = field(default_factory=list)
    pairs: list[pl.DataFrame] = field(default_factory=list)
    models: dict[str, object] = field(default_factory=dict)
    sites: list[str] = field(default_factory=list)


def _store_run(store: Store, out: _RunOutput, settings: LinkageSettings, meta: tuple[datetime, float, bool]) -> tuple[int, int]:
    """Write the run, its metrics and pairs in one transaction (replacing earlier runs); return the
    run id and the number of pairs stored."""
    started, seconds, has_truth = meta
    metrics = pl.DataFrame(out.rows, infer_schema_length=None) if out.rows else None
    pairs = pl.concat(out.pairs) if out.pairs else None
    with store.transaction() as con:
        # A run replaces earlier runs: derived results are rebuilt, never duplicated.
        con.execute("DELETE FROM linkage_pairs")
        con.execute("DELETE FROM linkage_metrics")
        con.execute("DELETE FROM linkage_runs")
        run_id = con.execute(
            "INSERT INTO linkage_runs (started_at, seconds, settings, versions, seed, status) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING run_id",
            [started, seconds, json.dumps({"settings": settings.as_dict(), "truth": has_truth, "models": out.models}),
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
    return int(run_id), pairs.height if pairs is not None else 0


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

    Raises:
        DataError: the warehouse holds no site child records or no local-authority records.

    Example:
        >>> report = run_feasibility(Store("demo.duckdb"))     # doctest: +SKIP
    """
    settings = settings or LinkageSettings()
    started = datetime.now()
    t0 = time.perf_counter()
    tables = _read(store)
    people, la, truth = tables[:3]
    if people.height == 0 or la.height == 0:
        raise DataError(
            f"warehouse {store.path} holds {people.height} site child records and {la.height} local-authority "
            f"records; both are needed: load a drop first with `linkready load DIR --db {store.path}`"
        )
    secret = os.urandom(32)  # token key for the pseudonymised scenario: never stored
    out = _RunOutput()
    for site_id, site in SITES.items():
        data = _site_data(site_id, tuple(site.la_codes), tables)
        if data.left.height == 0 or data.right.height == 0:
            if progress:
                progress(f"{site_id}: nothing to link ({data.left.height} children, {data.right.height} LA records)")
            continue
        rows, results = site_metrics(site_id, data, settings, secret, progress)
        out.rows += [{"site_id": site_id, **r.as_dict()} for r in rows]
        out.models.update({f"{site_id}/{scen}": _model_summary(res) for scen, res in results.items()})
        out.pairs += _pair_rows(site_id, data, results, settings)
        out.sites.append(site_id)
    seconds = time.perf_counter() - t0
    run_id, n_pairs = _store_run(store, out, settings, (started, seconds, truth.height > 0))
    log.info("linkage run %s: %d sites, %d metric rows, %.1f s", run_id, len(out.sites), len(out.rows), seconds)
    return FeasibilityReport(run_id=run_id, seconds=seconds, metrics=out.rows, pairs=n_pairs, sites=out.sites)
