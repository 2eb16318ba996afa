"""Benchmark the synthetic-world generator against a one-Faker-call-per-field baseline.

Usage: ``.venv/bin/python bench/synth.py [--children 1000000] [--baseline-children 20000] [--out DIR]``

Prints the seconds ``synthetic_data.generate`` takes for ``--children`` children (the complete drop:
CIN XML, SSDA903, identifier extracts, site files, outcomes, truth), then runs a naive baseline in
the same process on ``--baseline-children`` children: the same kinds of record (LA identifier row,
CIN ``<Child>`` element, SSDA903 episode for 1 in 5, service people row and two outcome rows for
12%) with one Faker call per field per record, about the field count per child the generator
writes. The baseline's seconds per child are extrapolated linearly to ``--children`` and the ratio
baseline / generator is printed, for wall time and for CPU time (all threads): on a busy shared
machine only the CPU ratio is meaningful.
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


def baseline(n: int, out_dir: Path, seed: int = 1) -> float:
    """The same kinds of record, one Faker call per field per record; returns seconds.

    Per child: the LA identifier row (11 fields), a CIN ``<Child>`` element (14-16 values), for 1 in 5
    an SSDA903 header row (7) and episode row (13), and for 1 in 5 a service people row (16) with a
    baseline outcome row and, for 3 in 5 of those, a follow-up row (18 values each). That is about 40
    values per child, the number the generator writes (measured on a 300,000-child drop: CIN 16.1,
    identifiers 10.5, outcomes 5.7, SSDA903 4.8, people 3.3).
    """
    fk = Faker("en_GB")
    fk.seed_instance(seed)
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "identifiers.csv").open("w", newline="", encoding="utf-8") as f_id, \
            (out_dir / "cin.xml").open("w", encoding="utf-8") as f_xml, \
            (out_dir / "episodes.csv").open("w", newline="", encoding="utf-8") as f_ep, \
            (out_dir / "header.csv").open("w", newline="", encoding="utf-8") as f_hd, \
            (out_dir / "people.csv").open("w", newline="", encoding="utf-8") as f_pp, \
            (out_dir / "outcomes.csv").open("w", newline="", encoding="utf-8") as f_oc:
        w_id, w_ep, w_hd = csv.writer(f_id), csv.writer(f_ep), csv.writer(f_hd)
        w_pp, w_oc = csv.writer(f_pp), csv.writer(f_oc)
        f_xml.write("<Message><Children>\n")
        for i in range(n):
            child_id = f"380{i:07d}"
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
            upn = upn_check_letter(upn_body) + upn_body
            ethnicity = fk.random_element(ETHNICITY)
            w_id.writerow([child_id, forename, surname, dob.isoformat(), "", sex, postcode, f"{body}{check}", upn, "",
                           ethnicity])
            referral = fk.date_between(start_date=dob, end_date="today")
            source = fk.random_element(["6", "2A", "3A", "1A", "5D", "8"])
            need = fk.random_element(["N1", "N2", "N3", "N4", "N5"])
            a_start = fk.date_between(start_date=referral, end_date="today")
            a_auth = fk.date_between(start_date=a_start, end_date="today")
            factors = fk.random_elements(["3A", "3B", "3C", "4B", "1B", "2B", "16A", "17A"], length=2, unique=True)
            disability = fk.random_element(["NONE", "MOB", "LD", "AUT", "BEH"])
            nfa = fk.boolean(chance_of_getting_true=6)
            closed = fk.boolean(chance_of_getting_true=50)
            closure = (f"<CINclosureDate>{fk.date_between(start_date=a_auth, end_date='today')}</CINclosureDate>"
                       f"<ReasonForClosure>{fk.random_element(['RC7', 'RC8', 'RC9'])}</ReasonForClosure>"
                       if closed else "")
            f_xml.write(
                f"<Child><ChildIdentifiers><LAchildID>{child_id}</LAchildID><UPN>{upn}</UPN>"
                f"<PersonBirthDate>{dob}</PersonBirthDate><GenderCurrent>{1 if sex == 'M' else 2}</GenderCurrent>"
                f"</ChildIdentifiers><ChildCharacteristics><Ethnicity>{ethnicity}</Ethnicity><Disabilities>"
                f"<Disability>{disability}</Disability></Disabilities></ChildCharacteristics><CINdetails>"
                f"<CINreferralDate>{referral}</CINreferralDate><ReferralSource>{source}</ReferralSource>"
                f"<PrimaryNeedCode>{need}</PrimaryNeedCode>{closure}<Assessments><AssessmentActualStartDate>{a_start}"
                f"</AssessmentActualStartDate><AssessmentAuthorisationDate>{a_auth}</AssessmentAuthorisationDate>"
                "<FactorsIdentifiedAtAssessment>"
                + "".join(f"<AssessmentFactors>{x}</AssessmentFactors>" for x in factors)
                + f"</FactorsIdentifiedAtAssessment></Assessments><ReferralNFA>{str(nfa).lower()}</ReferralNFA>"
                "</CINdetails></Child>\n")
            if i % 5 == 0:
                decom = fk.date_between(start_date=dob, end_date="today")
                w_ep.writerow([child_id, decom.strftime("%d/%m/%Y"), "S", fk.random_element(["C1", "C2", "V2"]),
                               need, fk.random_element(["U4", "U6", "K2"]), fk.random_element(["PR1", "PR4"]),
                               fk.date_between(start_date=decom, end_date="today").strftime("%d/%m/%Y"),
                               fk.random_element(["E4A", "E13", "E8"]), fk.random_element(["", "CARPL"]),
                               fk.bothify("BD# #"), fk.random_element(["", "BD7 1"]), fk.bothify("SC######")])
                w_hd.writerow([child_id, fk.random_element(["M", "F"]), dob.strftime("%d/%m/%Y"), ethnicity,
                               fk.random_element([upn, "UN2"]), fk.random_element(["", "0"]), ""])
            if i % 5 == 1:  # seen by a service
                rid = fk.bothify("FBS#####")
                w_pp.writerow([rid, fk.bothify("FAM####"), fk.random_element(["Baby", "Parent (harm)"]), forename,
                               surname, dob.isoformat(), "", fk.random_element(["Male", "Female"]), fk.postcode(),
                               f"{body}{check}", ethnicity, fk.date_between(start_date=dob, end_date="today").isoformat(),
                               fk.random_element(["Children's Social Care", "Self", "Health"]),
                               fk.random_element(["919", "890"]), fk.random_element(["", "2024-10-01"]),
                               fk.random_element(["", "Completed"])])
                for tp in ("Baseline", "Follow-up")[: 1 + (i % 25 < 15)]:
                    w_oc.writerow([rid, tp, fk.date_between(start_date="-2y", end_date="today").isoformat()]
                                  + [fk.random_element([0, 1, 2, 3]) for _ in range(15)])
        f_xml.write("</Children></Message>\n")
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
    base_s = baseline(args.baseline_children, tmp / "baseline")
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
