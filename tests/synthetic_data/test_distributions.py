"""Distribution tests: the seeded world matches its configured targets within stated tolerances.

Tolerances are about three standard errors at the test's N (6,000 children; families cluster
children, so the effective sample is about half the row count).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest

from synthetic_data.ethnicity import cin_ethnicity_distribution
from synthetic_data.settings import WorldSettings
from tests.synthetic_data.readers import cin_children, read_dicts, read_site_people
from warehouse.adapters import get_adapter
from warehouse.sites import LOCAL_AUTHORITIES, SITES

SETTINGS = WorldSettings(seed=11, children=6000)


def _ethnicity_shares(root, la: str) -> tuple[Counter, int]:
    rows = read_dicts(root / "la" / la / "identifiers.csv")
    return Counter(r["Ethnicity"] for r in rows), len(rows)


@pytest.mark.parametrize(("la", "groups", "tol"), [
    ("380", ("WBRI",), 0.07), ("380", ("APKN",), 0.06), ("208", ("BAFR", "BCRB", "BOTH"), 0.08),
    ("209", ("BAFR", "BCRB", "BOTH"), 0.08), ("919", ("WBRI",), 0.06), ("890", ("WBRI",), 0.07),
])
def test_ethnicity_mix_per_la(clean_drop, la: str, groups: tuple[str, ...], tol: float) -> None:
    root, _ = clean_drop
    counts, n = _ethnicity_shares(root, la)
    target = sum(cin_ethnicity_distribution(la, SETTINGS)[g] for g in groups)
    observed = sum(counts[g] for g in groups) / n
    assert abs(observed - target) < tol, (la, groups, observed, target)


def test_bradford_pakistani_heritage_names(clean_drop) -> None:
    root, _ = clean_drop
    rows = read_dicts(root / "la" / "380" / "identifiers.csv")
    pk = [r for r in rows if r["Ethnicity"] == "APKN"]
    surnames = Counter(r["Surname"] for r in pk)
    assert {"Khan", "Hussain", "Ahmed", "Ali"} & set(surnames.most_common(8)[0])  # common-name clusters
    boys = [r["Forename"] for r in pk if r["Sex"] == "M"]
    mu = sum(f in {"Muhammad", "Mohammed", "Mohammad"} for f in boys) / len(boys)
    assert 0.15 < mu < 0.6
    assert all((r["Forename"] + r["Surname"]).isascii() for r in rows)


@pytest.mark.parametrize("site_id", sorted(SITES))
def test_share_of_site_children_known_to_csc(clean_drop, site_id: str) -> None:
    root, _ = clean_drop
    lay = get_adapter(site_id).people
    c = lay.columns
    kids = [r for r in read_site_people(root, site_id)
            if lay.value_maps.get("role", {}).get(r[c["role"]], r[c["role"]]) == "child"]
    linked = {x["site_record_id"] for x in read_dicts(root / "truth" / "links.csv") if x["site_id"] == site_id}
    share = sum(r[c["record_id"]] in linked for r in kids) / len(kids)
    target = SETTINGS.site(site_id).p_known_to_csc
    assert abs(share - target) < 0.14, (site_id, share, target)


def test_fbs_mostly_referred_by_csc_and_works_with_both_parents(clean_drop) -> None:
    root, _ = clean_drop
    lay = get_adapter("fbs").people
    c = lay.columns
    rows = read_site_people(root, "fbs")
    victims = [r for r in rows if r[c["role"]] == "Parent (victim-survivor)"]
    harm = [r for r in rows if r[c["role"]] == "Parent (harm)"]
    csc = sum(r[c["referral_source"]] == "Children's Social Care" for r in victims) / len(victims)
    assert abs(csc - 0.79) < 0.12
    # about 1.5 parents a family (calibration §11.4): the other parent joins with p_harm_parent
    assert abs(len(harm) / len(victims) - SETTINGS.site("fbs").p_harm_parent) < 0.2


@pytest.mark.parametrize("site_id", sorted(SITES))
def test_site_age_bands(clean_drop, site_id: str) -> None:
    root, _ = clean_drop
    lay = get_adapter(site_id).people
    c = lay.columns
    p = SETTINGS.site(site_id)
    ages, unborn = [], 0
    for r in read_site_people(root, site_id):
        if lay.value_maps.get("role", {}).get(r[c["role"]], r[c["role"]]) != "child":
            continue
        ref = datetime.strptime(r[c["referral_date"]], lay.date_format).date()
        if not r[c["dob"]]:
            unborn += 1
            continue
        dob = datetime.strptime(r[c["dob"]], lay.date_format).date()
        ages.append((ref - dob).days / 365.25)
    in_range = [a for a in ages if max(p.min_age_years, 0) - 0.01 <= a <= p.max_age_years + 0.01 or a < 0]
    assert len(in_range) / len(ages) > 0.97  # corrupted DOBs may move a child a day out of range
    before_birth = unborn + sum(a < 0 for a in ages)
    share = before_birth / (len(ages) + unborn)
    if p.p_unborn_at_referral == 0:
        assert before_birth == 0
    else:
        assert abs(share - p.p_unborn_at_referral) < 0.15, (site_id, share)


def test_domestic_abuse_factor_in_about_half_of_assessments(clean_drop) -> None:
    """Over every assessment with factors recorded, site families (always DA) included (calibration §3.4)."""
    root, _ = clean_drop
    with_factors = da = 0
    for la in LOCAL_AUTHORITIES:
        for child in cin_children(root / "la" / la / "cin_census.xml"):
            for a in child.iter("Assessments"):
                codes = {f.text for f in a.iter("AssessmentFactors")}
                if codes:
                    with_factors += 1
                    da += bool(codes & {"3A", "3B", "3C"})
    share = da / with_factors
    assert abs(share - SETTINGS.p_factor_domestic_abuse) < 0.04, share


def test_twins_siblings_and_unborn_records_occur(clean_drop) -> None:
    root, manifest = clean_drop
    rows = [r for la in LOCAL_AUTHORITIES for r in read_dicts(root / "la" / la / "identifiers.csv")]
    same = Counter((r["Surname"], r["PersonBirthDate"], r["Postcode"]) for r in rows if r["PersonBirthDate"])
    twins = sum(1 for v in same.values() if v >= 2)
    assert 10 <= twins <= 200
    households = Counter((r["Surname"], r["Postcode"]) for r in rows)
    assert sum(1 for v in households.values() if v >= 2) > len(rows) * 0.1  # siblings share surname + address
    unborn = sum(1 for r in rows if r["ExpectedPersonBirthDate"])
    assert 0.005 < unborn / len(rows) < 0.05
    assert manifest["counts"]["site_baby_records"] > 0
    assert all(date.fromisoformat(r["ExpectedPersonBirthDate"]) > date(2025, 3, 31) for r in rows
               if r["ExpectedPersonBirthDate"])
