"""A small seeded warehouse for dashboard tests (no personal-looking values: keys are opaque).

Sizes are chosen so disclosure control is exercised: coda has only 4 programme children (every
count of it is 1-5), and each site has a subgroup of 1-5 records beside larger ones.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from warehouse.measures import get_measure
from warehouse.store import Store

PROGRAMME = {"fbs": 60, "sat": 45, "leap": 30, "coda": 4}
LA_CHILDREN = {"fbs": 300, "sat": 200, "leap": 150, "coda": 120}
SCENARIOS = ("all_identifiers", "no_nhs_number", "names_dob", "dob_postcode_sex", "pseudonymised_tokens")
RECALL = {"all_identifiers": 0.95, "no_nhs_number": 0.85, "names_dob": 0.8, "dob_postcode_sex": 0.6,
          "pseudonymised_tokens": 0.9}
ETHNIC = ("WBRI", "ASIA", "BLAC", "MIXD", "OOTH")
MEASURES = ("phq9", "gad7")


def build(path: Path, seed: int = 7, focus_groups: bool = True) -> Path:
    """Create the warehouse at ``path`` (plus synthesis and readiness results) and return it."""
    rng = np.random.default_rng(seed)
    store = Store(path)
    with store.transaction() as con:
        con.execute("INSERT INTO load_batches (batch_id, drop_id, file, kind, sha256, rows_read, rows_loaded, "
                    "rows_rejected, loaded_at) VALUES (1, 'test', 'x', 'site_people', 'h', 1, 1, 0, ?)",
                    [datetime(2026, 3, 31, 12, 0)])
        la_of = {"fbs": "919", "sat": "380", "leap": "208", "coda": "209"}
        for site, n in PROGRAMME.items():
            for i in range(n):
                key = f"k{site}{i:04d}"
                # subgroup sizes: most WBRI, a few ASIA, exactly 3 BLAC (a small cell) at the larger sites
                eth = "BLAC" if i < 3 else ("ASIA" if i % 4 == 0 else "WBRI")
                con.execute("INSERT INTO children (person_key, source, site_id, la_code, sex, ethnicity, birth_year, "
                            "unborn, age_band, batch_id) VALUES (?, 'site', ?, ?, ?, ?, 2020, FALSE, '0-4', 1)",
                            [key, site, la_of[site], "F" if i % 2 else "M", eth])
                referral = date(2025, 1, 1) + timedelta(days=int(rng.integers(0, 420)))
                con.execute("INSERT INTO service_episodes (person_key, site_id, role, la_code, referral_date, "
                            "referral_source, sex, ethnicity, age_band, has_nhs_number, batch_id) "
                            "VALUES (?, ?, 'child', ?, ?, 'police', ?, ?, '0-4', TRUE, 1)", [key, site, la_of[site], referral,
                                                      "F" if i % 2 else "M", eth])
                for measure in MEASURES:
                    m = get_measure(measure)
                    for tp, p_missing in (("baseline", 0.1), ("followup", 0.35)):
                        if rng.random() < p_missing:
                            continue
                        items = [int(rng.choice(m.item_values)) for _ in range(m.n_items)]
                        if rng.random() < 0.15:
                            items[0] = None
                            items[1] = None
                        n_missing = sum(v is None for v in items)
                        total = m.score(items)
                        con.execute("INSERT INTO outcome_measurements (person_key, site_id, measure, timepoint, "
                                    "assessed_date, items, n_missing, total, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
                                    [key, site, measure, tp, referral + timedelta(days=30 if tp == "baseline"
                                                                                  else 200),
                                     items, n_missing, total])
            for i in range(LA_CHILDREN[site]):
                con.execute("INSERT INTO children (person_key, source, site_id, la_code, sex, ethnicity, birth_year, "
                            "unborn, age_band, batch_id) VALUES (?, 'la', ?, ?, 'F', 'WBRI', 2019, FALSE, '5-9', 1)",
                            [f"l{site}{i:05d}", site, la_of[site]])
        con.execute("INSERT INTO linkage_runs (run_id, started_at, seconds, settings, versions, seed, status) "
                    "VALUES (1, ?, 1.5, '{}', '{}', 7, 'complete')", [datetime(2026, 4, 1)])
        for site, n in PROGRAMME.items():
            for scen in SCENARIOS:
                links = round(n * RECALL[scen] * 0.7)
                tm = round(n * 0.7)
                tp_ = min(links, round(tm * RECALL[scen]))
                con.execute(
                    "INSERT INTO linkage_metrics (run_id, site_id, scenario, subgroup_type, subgroup, n_records, "
                    "candidate_pairs, links, true_matches, true_positives, precision, recall, f1, match_rate, "
                    "clerical_review, expected_known_share, basis) "
                    "VALUES (1, ?, ?, 'all', 'all', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0.7, 'measured')",
                    [site, scen, n, n * 12, links, tm, tp_, tp_ / links if links else None, tp_ / tm if tm else None,
                     None, links / n, max(0, n // 10)],
                )
                counts = {"BLAC": min(3, n), "ASIA": len([i for i in range(3, n) if i % 4 == 0])}
                counts["WBRI"] = n - counts["BLAC"] - counts["ASIA"]
                for eth, k in counts.items():
                    if k <= 0:
                        continue
                    lk = round(k * RECALL[scen] * 0.7)
                    con.execute(
                        "INSERT INTO linkage_metrics (run_id, site_id, scenario, subgroup_type, subgroup, n_records, "
                        "links, match_rate, basis) VALUES (1, ?, ?, 'ethnic_group', ?, ?, ?, ?, 'measured')",
                        [site, scen, eth, k, lk, lk / k])
                for j in range(6):
                    weight = float(12 - 3 * j)
                    expl = {"nhs_number": {"level": "exact" if j < 3 else "missing", "weight": 8.0 - 2 * j},
                            "dob": {"level": "exact", "weight": 4.0}, "surname": {"level": "jaro>0.9", "weight": 2.0 - j}}
                    con.execute("INSERT INTO linkage_pairs (run_id, site_id, scenario, left_key, right_key, "
                                "match_weight, probability, is_link, explanation) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [site, scen, f"k{site}{j:04d}", f"l{site}{j:05d}", weight,
                                 1 / (1 + 2 ** -weight), weight > 0, json.dumps(expl)])
    if focus_groups:
        _synthesis(store, path.parent / "findings")
    _readiness(store)
    return path


def _synthesis(store: Store, out: Path) -> None:
    from synthesis import import_file
    from synthetic_data.focus_groups import write_focus_groups

    out.mkdir(parents=True, exist_ok=True)
    for f in write_focus_groups(out, seed=7):
        import_file(f, store)


def _readiness(store: Store) -> None:
    from evaluation import compute_and_store

    compute_and_store(store)
