"""A small seeded warehouse built directly in tables (pseudonymous keys only, no identifiers).

Used by the evaluation unit tests (via conftest) and the readiness CLI e2e tests.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from warehouse.adapters import ADAPTERS
from warehouse.measures import get_measure
from warehouse.sites import SITES
from warehouse.store import Store

AS_OF = date(2025, 3, 31)
SCENARIOS = {"all_identifiers": (0.97, 0.93), "no_nhs_number": (0.93, 0.84), "names_dob": (0.90, 0.78)}


def build_world(path: Path, seed: int = 7, people_per_site: int = 120, followup_rate: float = 0.7,
                missing_item_rate: float = 0.02, with_linkage: bool = True) -> Store:
    """Fill a fresh warehouse: service episodes, outcome measurements and linkage metrics."""
    rng = np.random.default_rng(seed)
    store = Store(path)
    people, outcomes = [], []
    for site in SITES:
        la = SITES[site].la_codes[0]
        for i in range(people_per_site):
            role = "child" if i % 2 == 0 else "victim_parent"
            key = f"{site}-p{i:04d}"
            referral = AS_OF - timedelta(days=int(rng.integers(0, 730)))
            people.append((key, site, f"{site}-f{i // 2:04d}", role, la, referral, None, None, None,
                           str(rng.choice(["M", "F"])), str(rng.choice(["WBRI", "AIND", "BAFR", "MWBC", "NOBT"])),
                           str(rng.choice(["0-4", "5-9", "10-15"])) if role == "child" else "25-34", True, 1))
            for code in ADAPTERS[site].outcomes.measures:
                m = get_measure(code)
                if role not in m.subject_roles or rng.random() > 0.8:
                    continue
                for tp, when in (("baseline", referral + timedelta(days=14)), ("followup", referral + timedelta(days=200))):
                    if tp == "followup" and (when > AS_OF or rng.random() > followup_rate):
                        continue
                    items = [int(rng.choice(m.item_values)) if rng.random() > missing_item_rate else None
                             for _ in range(m.n_items)]
                    outcomes.append((key, site, code, tp, when, items, sum(v is None for v in items), m.score(items), 1))
    with store.transaction() as con:
        cols = ["person_key", "site_id", "family_key", "role", "la_code", "referral_date", "end_date", "end_reason",
                "sex", "ethnicity", "age_band", "has_nhs_number", "batch_id"]
        con.register("_w_people", pl.DataFrame([p[:6] + p[7:] for p in people], schema=cols, orient="row",
                                               infer_schema_length=None).to_arrow())
        con.execute(f"INSERT INTO service_episodes ({', '.join(cols)}) SELECT * FROM _w_people")  # noqa: S608
        ocols = ["person_key", "site_id", "measure", "timepoint", "assessed_date", "items", "n_missing", "total",
                 "batch_id"]
        con.register("_w_outcomes", pl.DataFrame(outcomes, schema=ocols, orient="row",
                                                 infer_schema_length=None).to_arrow())
        con.execute(f"INSERT INTO outcome_measurements ({', '.join(ocols)}) SELECT * FROM _w_outcomes")  # noqa: S608
        if with_linkage:
            con.execute("INSERT INTO linkage_runs (run_id, started_at, status) VALUES (1, now(), 'done')")
            rows = []
            for site in SITES:
                for scenario, (prec, rec) in SCENARIOS.items():
                    rows.append((1, site, scenario, "all", "all", 60, 500, 55, 58, 53, prec, rec, 0.9, 0.8, 3, 0.5,
                                 "measured"))
                    rows.append((1, site, scenario, "sex", "F", 30, 250, 27, 29, 26, prec, rec - 0.05, 0.9, 0.8, 1,
                                 0.5, "measured"))
            con.executemany(
                "INSERT INTO linkage_metrics (run_id, site_id, scenario, subgroup_type, subgroup, n_records, "
                "candidate_pairs, links, true_matches, true_positives, precision, recall, f1, match_rate, "
                "clerical_review, expected_known_share, basis) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return store
