"""Calibration study: how far linkage estimates made WITHOUT truth fall from the values measured
WITH truth, and how often their 95% intervals cover the measured values.

For each seeded world (``linkready synth`` then ``linkready load``, real processes) every site is
linked to its local authorities under every identifier scenario. Truth is never used to link (only
to evaluate), so one linkage serves both evaluations: the rows a study without a truth file would
get (``linkage.feasibility.estimated_rows``) and the rows measured against truth
(``measured_rows``). Reported per scenario and overall:

- recall: mean absolute error, share of site x scenario rows within 0.05, interval coverage; and
  the same error for the earlier estimator (model probabilities only) for comparison;
- precision: mean absolute error and coverage;
- subgroup gaps (ethnic group, age band, sex): share whose estimated interval covers the measured
  largest gap.

With ``--dirty RATE`` every world is synthesised with known data-quality defects (``linkready
synth --dirty``): rejected rows, bad check digits, missing fields. With ``--review N`` each site x
scenario also gets a clerical review sample of N scored pairs, stratified by probability band
(equal allocation, seeded), labelled from the truth as a perfect reviewer would, and the
review-based row (``linkage.feasibility.from_labels``, basis "review") is scored the same way.

Targets (issue 14): recall within 0.05 in >= 90% of rows, coverage >= 90%, gap coverage >= 90%.

    python bench/estimates.py [--worlds 10] [--children 5000] [--first-seed 101] [--dirty 0.1]
                              [--review 100] [--json OUT] [--markdown OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE.parent))

import numpy as np  # noqa: E402

from linkage.estimates import REVIEW_BANDS, model_recall  # noqa: E402
from linkage.evaluate import Metrics  # noqa: E402
from linkage.feasibility import (  # noqa: E402
    _read,
    _scenario_result,
    _site_data,
    estimated_rows,
    from_labels,
    measured_rows,
)
from linkage.settings import LinkageSettings  # noqa: E402
from warehouse.sites import SITES  # noqa: E402
from warehouse.store import Store  # noqa: E402

BIN = Path(sys.executable).parent / "linkready"


def build_world(root: Path, seed: int, children: int, dirty: float = 0.0) -> Path | None:
    """Synthesise and load one world with the real CLI; return the warehouse path (None, with the
    error printed, when a step fails)."""
    drop, db = root / f"drop{seed}", root / f"w{seed}.duckdb"
    env = {**os.environ, "LINKREADY_SECRET": "bench-estimates"}
    for args in (["synth", "--out", str(drop), "--seed", str(seed), "--children", str(children), "--quiet",
                  "--dirty", str(dirty)],
                 ["load", str(drop), "--db", str(db)]):
        proc = subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env)
        # load exits 1 when it loaded the files but flagged validation problems ("needs action")
        if proc.returncode != 0 and not (args[0] == "load" and proc.returncode == 1 and db.exists()):
            print(f"world {seed}: linkready {args[0]} failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-500:]}",
                  file=sys.stderr)
            return None
    return db


def _overall(rows: list[Metrics]) -> Metrics:
    return next(r for r in rows if r.subgroup_type == "all")


def review_labels(pairs: pl.DataFrame, truth: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    """``n`` scored pairs drawn at random, an equal share from each probability band (fewer where a
    band is small), labelled 1 when the truth holds the pair: a perfect reviewer."""
    rng = np.random.default_rng(seed)
    bands = pairs.with_columns(pl.col("probability").cut(list(REVIEW_BANDS[1:-1]), left_closed=True).alias("_band"))
    groups = bands.partition_by("_band")
    per = max(1, n // max(1, len(groups)))
    drawn = []
    for g in groups:
        k = min(per, g.height)
        drawn.append(g[sorted(rng.choice(g.height, size=k, replace=False).tolist())])
    sample = pl.concat(drawn).select("l_rid", "r_rid")
    t = truth.select("l_rid", "r_rid", pl.lit(1.0).alias("label"))
    return sample.join(t, on=["l_rid", "r_rid"], how="left").with_columns(pl.col("label").fill_null(0.0))


def compare_world(db: Path, settings: LinkageSettings, review: int = 0, seed: int = 0) -> list[dict[str, object]]:
    """One row per site x scenario (and per subgroup type for gaps): estimate, measured value, interval;
    with ``review`` > 0 also the review-based estimate from a sample of that many pairs."""
    tables = _read(Store(db))
    out: list[dict[str, object]] = []
    for site_id, site in SITES.items():
        data = _site_data(site_id, tuple(site.la_codes), tables)
        if data.left.height == 0 or data.right.height == 0 or data.truth is None or data.truth.height == 0:
            continue
        for scen in settings.scenarios:
            res = _scenario_result(data.left, data.right, scen, settings, b"bench-key")
            meas = measured_rows(scen, res, data.left, data.truth, 0)
            est = estimated_rows(scen, res, data.left, 0, lost_share=data.lost_share)
            m, e = _overall(meas), _overall(est)
            old = model_recall(res.links, res.best, data.left.height)
            row: dict[str, object] = {
                "site": site_id, "scenario": scen, "kind": "overall", "true_matches": m.true_matches,
                "recall": m.recall, "recall_est": e.recall, "recall_low": e.recall_low, "recall_high": e.recall_high,
                "recall_old": old.value, "precision": m.precision, "precision_est": e.precision,
                "precision_low": e.precision_low, "precision_high": e.precision_high, "method": e.method,
                "lost_share": data.lost_share,
            }
            out.append(row)
            if review > 0:
                labels = review_labels(res.pairs, data.truth, review, seed)
                must = data.left.filter(pl.col("must_link"))["rid"]
                r = from_labels(e, res, labels, must, data.lost_share)
                out.append({**row, "kind": "review", "recall_est": r.recall, "recall_low": r.recall_low,
                            "recall_high": r.recall_high, "precision_est": r.precision,
                            "precision_low": r.precision_low, "precision_high": r.precision_high,
                            "method": r.method, "reviewed": labels.height})
            for gtype in ("ethnic_group", "age_band", "sex"):
                mg = next((r for r in meas if r.subgroup_type == gtype), None)
                eg = next((r for r in est if r.subgroup_type == gtype), None)
                if mg is None or eg is None or mg.largest_gap is None:
                    continue
                out.append({"site": site_id, "scenario": scen, "kind": gtype, "gap": mg.largest_gap,
                            "gap_est": eg.largest_gap, "gap_low": eg.largest_gap_low, "gap_high": eg.largest_gap_high})
    return out


def _covered(value: object, low: object, high: object) -> bool:
    if value is None or low is None or high is None:
        return False
    return float(low) - 1e-9 <= float(value) <= float(high) + 1e-9  # type: ignore[arg-type]


def summarise(rows: list[dict[str, object]], kind: str = "overall") -> pl.DataFrame:
    """Per scenario and overall: errors, share within 0.05, coverage (``kind`` "review" scores the
    review-based rows instead of the estimates without review)."""
    overall = pl.DataFrame([r for r in rows if r["kind"] == kind], infer_schema_length=None).filter(
        pl.col("recall").is_not_null() & pl.col("recall_est").is_not_null())
    overall = overall.with_columns(
        (pl.col("recall_est") - pl.col("recall")).abs().alias("err"),
        (pl.col("recall_old") - pl.col("recall")).abs().alias("err_old"),
        (pl.col("precision_est") - pl.col("precision")).abs().alias("p_err"),
        pl.Series("cov", [_covered(r["recall"], r["recall_low"], r["recall_high"]) for r in overall.iter_rows(named=True)]),
        pl.Series("p_cov", [_covered(r["precision"], r["precision_low"], r["precision_high"])
                            for r in overall.iter_rows(named=True)]),
        (pl.col("recall_high") - pl.col("recall_low")).alias("width"),
    )
    gaps = [r for r in rows if r["kind"] not in ("overall", "review")]
    gap_cov = pl.DataFrame({"scenario": [r["scenario"] for r in gaps],
                            "g_cov": [_covered(r["gap"], r["gap_low"], r["gap_high"]) for r in gaps]})
    aggs = [
        pl.len().alias("rows"), pl.col("err").mean().alias("recall_mean_err"),
        (pl.col("err") <= 0.05).mean().alias("within_0.05"), pl.col("cov").mean().alias("coverage"),
        pl.col("width").median().alias("median_width"), pl.col("err_old").mean().alias("old_mean_err"),
        (pl.col("err_old") <= 0.05).mean().alias("old_within_0.05"), pl.col("p_err").mean().alias("precision_mean_err"),
        pl.col("p_cov").mean().alias("precision_coverage"),
    ]
    by = overall.group_by("scenario").agg(aggs).join(
        gap_cov.group_by("scenario").agg(pl.col("g_cov").mean().alias("gap_coverage"), pl.len().alias("gap_rows")),
        on="scenario", how="left").sort("scenario")
    total = overall.select(aggs).with_columns(pl.lit("all scenarios").alias("scenario"),
                                              pl.lit(gap_cov["g_cov"].mean()).alias("gap_coverage"),
                                              pl.lit(gap_cov.height).cast(pl.UInt32).alias("gap_rows"))
    return pl.concat([by, total.select(by.columns)])


def markdown(tables: dict[str, pl.DataFrame], args: argparse.Namespace) -> str:
    """The summary tables as markdown, headed by the run's settings."""
    head = (f"{args.worlds} worlds (seeds {args.first_seed}-{args.first_seed + args.worlds - 1}), "
            f"{args.children:,} children, dirty {args.dirty}")
    out = [f"### {head}", ""]
    for name, t in tables.items():
        out += [f"**{name}**", "", "| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
        for r in t.iter_rows():
            out.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + " |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worlds", type=int, default=10)
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--first-seed", type=int, default=101)
    parser.add_argument("--dirty", type=float, default=0.0, help="defect rate of every world (linkready synth --dirty)")
    parser.add_argument("--review", type=int, default=0, help="pairs per site x scenario in a simulated clerical review")
    parser.add_argument("--json", type=Path, help="write every compared row as JSON")
    parser.add_argument("--markdown", type=Path, help="write the summary table(s) as markdown")
    args = parser.parse_args()
    settings = LinkageSettings()
    rows: list[dict[str, object]] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.worlds):
            seed = args.first_seed + k
            db = build_world(Path(tmp), seed, args.children, args.dirty)
            if db is None:
                continue
            world_rows = compare_world(db, settings, args.review, seed)
            rows += [{"seed": seed, **r} for r in world_rows]
            print(f"world {seed}: {sum(r['kind'] == 'overall' for r in world_rows)} site x scenario rows "
                  f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    table = summarise(rows)
    tables = {"estimated without truth": table}
    if args.review > 0:
        tables[f"after a clerical review of {args.review} pairs per site x scenario"] = summarise(rows, "review")
    with pl.Config(tbl_rows=20, tbl_cols=20, float_precision=3, tbl_width_chars=200):
        for name, t in tables.items():
            print(name)
            print(t)
    if args.markdown:
        args.markdown.write_text(markdown(tables, args), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
