"""Clerical review: draw a stratified sample of scored pairs for people to judge, and read the
judged file back as labels (to measure precision and recall on real extracts without truth).

The sample file carries identifiers (reviewers need them) but never the model's score: scores
are hidden so they do not sway the reviewer (linkage-quality-reporting.md §10). It is a
restricted output: keep it inside the secure environment. The file is created readable by its owner
only (0600), and identifier text that a spreadsheet would run as a formula (a name such as
``=HYPERLINK(...)``) is written inert (``warehouse.disclosure.inert_frame``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from linkage.intervals import sample_size
from linkage.settings import LinkageSettings
from warehouse.disclosure import inert_frame
from warehouse.errors import ConfigError, DataError
from warehouse.store import Store, open_private

#: Probability bands the sample is stratified on, with relative sampling weights (the bands
#: either side of the usual threshold are over-sampled).
BANDS: tuple[tuple[float, float, float], ...] = (
    (0.99, 1.01, 1.0), (0.9, 0.99, 1.5), (0.5, 0.9, 2.0), (0.1, 0.5, 2.0), (0.0, 0.1, 1.0),
)
IDENTIFIERS = ("forename", "surname", "dob", "sex", "postcode", "nhs_number")


def draw_review_sample(store: Store, n: int, out: Path, scenario: str = "all_identifiers",
                       settings: LinkageSettings | None = None) -> int:
    """Write ``n`` pairs of the latest run (one scenario), stratified by site and probability band,
    to ``out`` as CSV with both records' identifiers and empty ``label``/``reviewer`` columns. The
    file is 0600 and formula-looking text is neutralised (it holds names and NHS numbers and is opened
    in spreadsheets).

    Returns the number of pairs written. Raises DataError when there is no linkage run.
    """
    if n < 1:
        raise ConfigError(f"--review-sample {n} must be at least 1")
    settings = settings or LinkageSettings()
    ident = ", ".join(f"s.{c} AS left_{c}" for c in IDENTIFIERS) + ", " + ", ".join(
        f"l.{c} AS right_{c}" for c in IDENTIFIERS)
    with store.reader() as con:
        pairs = con.sql(
            "SELECT p.site_id, p.left_key, p.right_key, p.probability, "  # noqa: S608 - fixed column list
            + ident +
            " FROM linkage_pairs p"
            " JOIN restricted.service_people s ON s.person_key = p.left_key"
            " JOIN restricted.la_identifiers l ON l.person_key = p.right_key"
            " WHERE p.scenario = $scenario AND p.run_id = (SELECT max(run_id) FROM linkage_runs)",
            params={"scenario": scenario},
        ).pl()
    if pairs.height == 0:
        raise DataError(f"no scored pairs for scenario {scenario!r}; run `linkready link --db {store.path}` first")
    rng = np.random.default_rng(settings.seed)
    band = pl.lit(None, dtype=pl.Int32)
    for i, (lo, hi, _) in enumerate(BANDS):
        band = pl.when((pl.col("probability") >= lo) & (pl.col("probability") < hi)).then(pl.lit(i)).otherwise(band)
    pairs = pairs.with_columns(band.alias("_band"), pl.Series("_r", rng.random(pairs.height)))
    strata = pairs.group_by("site_id", "_band").len().sort("site_id", "_band")
    weights = np.array([BANDS[b][2] for b in strata["_band"].to_list()])
    sizes = strata["len"].to_numpy()
    quota = np.zeros(len(sizes), dtype=int)
    # weighted allocation, capped at each stratum's size; what a small stratum cannot take goes to the rest
    while quota.sum() < min(n, sizes.sum()):
        open_ = quota < sizes
        share = np.where(open_, weights, 0.0)
        want = (min(n, sizes.sum()) - quota.sum()) * share / share.sum()
        add = np.maximum(np.floor(want).astype(int), 0)
        if add.sum() == 0:
            add[np.argmax(np.where(open_, weights - quota / np.maximum(sizes, 1), -np.inf))] = 1
        quota = np.minimum(quota + add, sizes)
    picks = []
    for (site, b, size), q in zip(strata.iter_rows(), quota, strict=True):
        if q <= 0:
            continue
        picks.append(pairs.filter((pl.col("site_id") == site) & (pl.col("_band") == b)).sort("_r").head(min(q, size)))
    sample = pl.concat(picks).sort("_r").drop("_band", "_r", "probability")
    sample = sample.with_columns(pl.lit("").alias("label"), pl.lit("").alias("reviewer"))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open_private(out) as fh:
        inert_frame(sample).write_csv(fh)
    return int(sample.height)


def review_sample_size(store: Store, width: float, scenario: str = "all_identifiers") -> int:
    """Pairs to review so that each site's review-based precision has a 95% interval about ``width``
    wide: per site, the binomial sample size at the run's estimated precision (0.5 when unknown) for
    its number of links (finite-population corrected), doubled because the sample also covers the
    unlinked bands (where missed matches are found).

    Raises:
        ConfigError: ``width`` is not in (0, 1).
        DataError: there is no linkage run for ``scenario``.
    """
    if not 0.0 < width < 1.0:
        raise ConfigError(f"--review-width {width} must be between 0 and 1 (e.g. 0.1 for +-0.05)")
    with store.reader() as con:
        rows = con.execute(
            "SELECT p.site_id, count(*) FILTER (WHERE p.is_link) AS links, any_value(m.precision) AS precision "
            "FROM linkage_pairs p LEFT JOIN linkage_metrics m ON m.run_id = p.run_id AND m.site_id = p.site_id "
            "AND m.scenario = p.scenario AND m.subgroup_type = 'all' "
            "WHERE p.scenario = $scenario AND p.run_id = (SELECT max(run_id) FROM linkage_runs) GROUP BY p.site_id",
            {"scenario": scenario},
        ).fetchall()
    if not rows:
        raise DataError(f"no scored pairs for scenario {scenario!r}; run `linkready link --db {store.path}` first")
    return sum(2 * sample_size(float(p) if p is not None else 0.5, width / 2, int(n) or None) for _, n, p in rows)


def load_labels(store: Store, path: Path) -> int:
    """Read a reviewed sample (``site_id,left_key,right_key,label[,reviewer]``; label 1/0, yes/no,
    match/non-match or a share in [0, 1]) into ``linkage_labels``; rows with an empty label are
    skipped. Returns the number stored. Raises DataError naming the bad rows."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"labels file {path} does not exist; give the reviewed CSV from --review-sample")
    df = pl.read_csv(path, infer_schema=False)
    need = {"site_id", "left_key", "right_key", "label"}
    if not need <= set(df.columns):
        raise DataError(f"labels file {path} needs columns {', '.join(sorted(need))}; it has {', '.join(df.columns)}")
    text = df["label"].fill_null("").str.strip_chars().str.to_lowercase()
    mapping = {"1": 1.0, "yes": 1.0, "y": 1.0, "match": 1.0, "true": 1.0, "0": 0.0, "no": 0.0, "n": 0.0,
               "non-match": 0.0, "nonmatch": 0.0, "false": 0.0}
    value = text.replace_strict(mapping, default=None, return_dtype=pl.Float64)
    value = pl.Series(
        [v if v is not None else (float(t) if _is_share(t) else None) for v, t in zip(value, text, strict=True)],
        dtype=pl.Float64,
    )
    bad = [i + 2 for i, (v, t) in enumerate(zip(value, text, strict=True)) if v is None and t != ""]
    if bad:
        raise DataError(f"labels file {path}: unreadable label on line(s) {', '.join(map(str, bad[:10]))}; "
                        "use 1/0, yes/no, match/non-match or a share between 0 and 1")
    reviewer = df["reviewer"] if "reviewer" in df.columns else pl.Series([None] * df.height, dtype=pl.Utf8)
    labels = pl.DataFrame({"site_id": df["site_id"], "left_key": df["left_key"], "right_key": df["right_key"],
                           "label": value, "reviewer": reviewer}).filter(pl.col("label").is_not_null())
    labels = labels.unique(["site_id", "left_key", "right_key"], keep="last").with_columns(
        pl.lit(datetime.now()).alias("loaded_at"))
    with store.transaction() as con:
        con.register("_lk_labels_in", labels)
        con.execute("INSERT OR REPLACE INTO linkage_labels (site_id, left_key, right_key, label, reviewer, loaded_at) "
                    "SELECT site_id, left_key, right_key, label, reviewer, loaded_at FROM _lk_labels_in")
        con.unregister("_lk_labels_in")
    return labels.height


def _is_share(t: str) -> bool:
    try:
        return 0.0 <= float(t) <= 1.0
    except ValueError:
        return False
