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

Targets (issue 14): recall within 0.05 in >= 90% of rows, coverage >= 90%, gap coverage >= 90%.

    python bench/estimates.py [--worlds 10] [--children 5000] [--first-seed 101] [--json OUT]
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

from linkage.estimates import model_recall  # noqa: E402
from linkage.evaluate import Metrics  # noqa: E402
from linkage.feasibility import (  # noqa: E402
    _read,
    _scenario_result,
    _site_data,
    estimated_rows,
    measured_rows,
)
from linkage.settings import LinkageSettings  # noqa: E402
from warehouse.sites import SITES  # noqa: E402
from warehouse.store import Store  # noqa: E402

BIN = Path(sys.executable).parent / "linkready"


def build_world(root: Path, seed: int, children: int) -> Path | None:
    """Synthesise and load one world with the real CLI; return the warehouse path (None, with the
    error printed, when a step fails)."""
    drop, db = root / f"drop{seed}", root / f"w{seed}.duckdb"
    env = {**os.environ, "LINKREADY_SECRET": "bench-estimates"}
    for args in (["synth", "--out", str(drop), "--seed", str(seed), "--children", str(children), "--quiet"],
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


def compare_world(db: Path, settings: LinkageSettings) -> list[dict[str, object]]:
    """One row per site x scenario (and per subgroup type for gaps): estimate, measured value, interval."""
    tables = _read(Store(db))
    people, la, truth, labels = tables
    out: list[dict[str, object]] = []
    for site_id, site in SITES.items():
        data = _site_data(site_id, tuple(site.la_codes), tables)
        if data.left.height == 0 or data.right.height == 0 or data.truth is None or data.truth.height == 0:
            continue
        for scen in settings.scenarios:
            res = _scenario_result(data.left, data.right, scen, settings, b"bench-key")
            meas = measured_rows(scen, res, data.left, data.truth, 0)
            est = estimated_rows(scen, res, data.left, 0)
            m, e = _overall(meas), _overall(est)
            old = model_recall(res.links, res.best, data.left.height)
            row: dict[str, object] = {
                "site": site_id, "scenario": scen, "kind": "overall", "true_matches": m.true_matches,
                "recall": m.recall, "recall_est": e.recall, "recall_low": e.recall_low, "recall_high": e.recall_high,
                "recall_old": old.value, "precision": m.precision, "precision_est": e.precision,
                "precision_low": e.precision_low, "precision_high": e.precision_high, "method": e.method,
            }
            out.append(row)
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


def summarise(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Per scenario and overall: errors, share within 0.05, coverage."""
    overall = pl.DataFrame([r for r in rows if r["kind"] == "overall"], infer_schema_length=None).filter(
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
    gaps = [r for r in rows if r["kind"] != "overall"]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worlds", type=int, default=10)
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--first-seed", type=int, default=101)
    parser.add_argument("--json", type=Path, help="write every compared row as JSON")
    args = parser.parse_args()
    settings = LinkageSettings()
    rows: list[dict[str, object]] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.worlds):
            seed = args.first_seed + k
            db = build_world(Path(tmp), seed, args.children)
            if db is None:
                continue
            world_rows = compare_world(db, settings)
            rows += [{"seed": seed, **r} for r in world_rows]
            print(f"world {seed}: {sum(r['kind'] == 'overall' for r in world_rows)} site x scenario rows "
                  f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    table = summarise(rows)
    with pl.Config(tbl_rows=20, tbl_cols=20, float_precision=3, tbl_width_chars=200):
        print(table)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
