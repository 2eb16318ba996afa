"""Benchmark: load 1,000,000 LA identifier rows with validation vs DuckDB's bare ``read_csv``.

Both runs read the same generated file in the same process. The loader does everything it does
for a real drop: verify encoding and layout, run every declared rule (check digits included),
pseudonymise, write the restricted and analytic tables and the batch record in one transaction.
The baseline is ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` into a fresh DuckDB file.

    python bench/load.py [--rows N] [--repeat R] [--keep DIR]

Prints rows/s for each and the ratio (target: at most 3x). Each side runs ``--repeat`` times,
interleaved; the ratio of the best times is the headline (a busy machine should not decide it)
and the ratio of the median times is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from warehouse.drop import sha256_file
from warehouse.identifiers import nhs_check_digits_vec, upn_check_letters_vec
from warehouse.loading import load_drop
from warehouse.store import Store

LA = "380"


def make_identifiers(path: Path, n: int, seed: int = 1) -> None:
    """Write ``n`` valid identifier rows (synthetic tokens, 999-range NHS numbers, valid UPNs)."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.arange(1, n + 1).astype(str))
    body = 999_000_000 + rng.integers(0, 999_999, n)
    check = nhs_check_digits_vec(body)
    body = np.where(check == 10, body - 1, body)
    check = nhs_check_digits_vec(body)
    nhs = np.where(check == 10, "", np.char.add(body.astype(str), check.astype(str)))
    nhs = pl.Series(nhs).replace("", None)
    nhs = pl.select(pl.when(pl.Series(rng.random(n) >= 0.05)).then(nhs)).to_series()
    est, yr, ser = rng.integers(1000, 9999, n), rng.integers(10, 24, n), rng.integers(0, 999, n)
    letters = upn_check_letters_vec(np.full(n, int(LA)), est, yr, ser)
    upn = pl.select(
        pl.lit(pl.Series(letters)) + LA + pl.lit(pl.Series(est)).cast(pl.String).str.zfill(4)
        + pl.lit(pl.Series(yr)).cast(pl.String).str.zfill(2) + pl.lit(pl.Series(ser)).cast(pl.String).str.zfill(3)
    ).to_series()
    has_upn = rng.random(n) < 0.6
    days = rng.integers(0, 18 * 365, n)
    dob = pl.Series(np.datetime64("2007-01-01") + days.astype("timedelta64[D]")).dt.date()
    frame = pl.DataFrame({
        "LAchildID": ids,
        "Forename": np.char.add("FN", rng.integers(0, 5000, n).astype(str)),
        "Surname": np.char.add("SN", rng.integers(0, 20000, n).astype(str)),
        "PersonBirthDate": dob.cast(pl.String),
        "ExpectedPersonBirthDate": pl.Series([None] * n, dtype=pl.String),
        "Sex": np.array(["M", "F"])[rng.integers(0, 2, n)],
        "Postcode": np.char.add("BD", rng.integers(1, 22, n).astype(str)),
        "NHSNumber": nhs,
        "UPN": pl.select(pl.when(pl.Series(has_upn)).then(upn)).to_series(),
        "FormerUPN": pl.Series([None] * n, dtype=pl.String),
        "Ethnicity": np.array(["WBRI", "APKN", "BCRB", "MWBC", "AIND"])[rng.integers(0, 5, n)],
    })
    frame.write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Keep the generated drop and warehouses here.")
    parser.add_argument("--repeat", type=int, default=2, help="Runs of each (best is reported; machines are noisy).")
    args = parser.parse_args()
    os.environ.setdefault("LINKREADY_SECRET", "bench-secret")
    work = args.keep or Path(tempfile.mkdtemp(prefix="lr-bench-load-"))
    drop = work / "drop"
    csv_path = drop / "la" / LA / "identifiers.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    make_identifiers(csv_path, args.rows)
    (drop / "manifest.json").write_text(json.dumps({
        "extract_date": "2025-03-31", "census_year": 2025,
        "files": [{"path": f"la/{LA}/identifiers.csv", "sha256": sha256_file(csv_path), "kind": "la_identifiers",
                   "rows": args.rows}],
    }), encoding="utf-8")
    print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")

    bare_times, load_times, bare_cpu, load_cpu = [], [], [], []
    for rep in range(args.repeat):
        bare_db = work / f"bare{rep}.duckdb"
        bare_db.unlink(missing_ok=True)
        con = duckdb.connect(str(bare_db))
        t, c = time.perf_counter(), time.process_time()
        con.execute("CREATE TABLE bare AS SELECT * FROM read_csv(?)", [str(csv_path)])
        con.execute("CHECKPOINT")
        bare_times.append(time.perf_counter() - t)
        bare_cpu.append(time.process_time() - c)
        n_bare = con.execute("SELECT count(*) FROM bare").fetchone()[0]
        con.close()

        db = work / f"load{rep}.duckdb"
        for p in (db, Path(str(db) + ".wal")):
            p.unlink(missing_ok=True)
        store = Store(db)  # schema creation is not part of the timed load
        t, c = time.perf_counter(), time.process_time()
        report = load_drop(drop, store)
        load_times.append(time.perf_counter() - t)
        load_cpu.append(time.process_time() - c)
        f = report.files[0]
        assert f.rows_loaded == args.rows == n_bare, (f, n_bare)

    bare_s, load_s = min(bare_times), min(load_times)
    print(f"(best of {args.repeat} runs each, interleaved; all runs: bare "
          f"{', '.join(f'{x:.2f}' for x in bare_times)} s, load {', '.join(f'{x:.2f}' for x in load_times)} s)")
    print(f"DuckDB read_csv into a table : {n_bare / bare_s:>12,.0f} rows/s ({bare_s:.2f} s)")
    print(f"linkready validate + load    : {f.rows_loaded / load_s:>12,.0f} rows/s ({load_s:.2f} s, "
          f"{f.rows_rejected} rejected)")
    print(f"ratio load / bare read       : {load_s / bare_s:.2f}x best, "
          f"{statistics.median(load_times) / statistics.median(bare_times):.2f}x median (target <= 3x)")
    print(f"CPU seconds (all threads)    : bare {min(bare_cpu):.2f}, load {min(load_cpu):.2f}, ratio "
          f"{min(load_cpu) / min(bare_cpu):.2f}x (on a shared machine the CPU ratio is the steadier figure)")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
