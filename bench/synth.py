"""Benchmark the synthetic-world generator against a one-Faker-call-per-field baseline.

Usage: ``.venv/bin/python bench/synth.py [--children 1000000] [--baseline-children 20000] [--out DIR]``

Prints the seconds ``synthetic_data.generate`` takes for ``--children`` children (the complete drop:
CIN XML, SSDA903, identifier extracts, site files, outcomes, truth), then runs a naive baseline in
the same process on ``--baseline-children`` children: one Faker call per field per record (forename,
surname, date of birth, sex, postcode, NHS number, ethnicity, UPN, referral date) written as one
CSV row per child. The baseline's seconds per child are extrapolated linearly to ``--children``
and the ratio baseline / generator is printed. The baseline writes far less than the generator
(one small CSV versus the whole drop), so the ratio understates the real speed-up.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faker import Faker  # noqa: E402

from synthetic_data.settings import WorldSettings  # noqa: E402
from synthetic_data.world import generate  # noqa: E402
from warehouse.identifiers import nhs_check_digit, upn_check_letter  # noqa: E402

ETHNICITY = ["WBRI", "WOTH", "APKN", "AIND", "BAFR", "BCRB", "MWBC", "CHNE", "OOTH", "NOBT"]


def baseline(n: int, out: Path, seed: int = 1) -> float:
    """One Faker call per field per record; returns seconds."""
    fk = Faker("en_GB")
    fk.seed_instance(seed)
    t0 = time.perf_counter()
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["LAchildID", "Forename", "Surname", "PersonBirthDate", "Sex", "Postcode", "NHSNumber",
                    "UPN", "Ethnicity", "ReferralDate"])
        for i in range(n):
            sex = fk.random_element(["M", "F"])
            forename = fk.first_name_male() if sex == "M" else fk.first_name_female()
            surname = fk.last_name()
            dob = fk.date_of_birth(minimum_age=0, maximum_age=17)
            postcode = fk.postcode()
            while True:
                body = "999" + fk.numerify("######")
                check = nhs_check_digit(body)
                if check is not None:
                    break
            upn_body = "380" + fk.numerify("#########")
            ethnicity = fk.random_element(ETHNICITY)
            referral = fk.date_between(start_date="-3y", end_date="today")
            w.writerow([f"380{i:07d}", forename, surname, dob.isoformat(), sex, postcode, f"{body}{check}",
                        upn_check_letter(upn_body) + upn_body, ethnicity, referral.isoformat()])
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", type=int, default=1_000_000)
    ap.add_argument("--baseline-children", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=None, help="keep the drop here (default: a temporary directory)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    out = args.out or tmp / "drop"
    t0, c0 = time.perf_counter(), time.process_time()
    manifest = generate(out, WorldSettings(seed=args.seed, children=args.children),
                        lambda m: print(f"  [{time.perf_counter() - t0:6.1f}s] {m}", flush=True))
    gen_s = time.perf_counter() - t0
    gen_cpu = time.process_time() - c0
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"generator: {args.children:,} children in {gen_s:.1f} s wall, {gen_cpu:.1f} s CPU (all threads) "
          f"({manifest['counts']['la_children']:,} LA children, {manifest['counts']['site_people']:,} site records, "
          f"{len(manifest['files'])} files, {size / 1e6:.0f} MB)")

    c1 = time.process_time()
    base_s = baseline(args.baseline_children, tmp / "baseline.csv")
    base_cpu = time.process_time() - c1
    per_child = base_s / args.baseline_children
    extrapolated = per_child * args.children
    print(f"baseline (one Faker call per field): {args.baseline_children:,} children in {base_s:.1f} s "
          f"= {per_child * 1e6:.1f} us/child; extrapolated linearly to {args.children:,} children: "
          f"{extrapolated:.1f} s")
    print(f"ratio baseline/generator: {extrapolated / gen_s:.1f}x wall, "
          f"{base_cpu / args.baseline_children * args.children / gen_cpu:.1f}x CPU "
          f"(target >= 20x; generator target < 60 s for 1M on 2 cores)")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(wall times are only meaningful on an idle machine; CPU times are robust to contention)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
