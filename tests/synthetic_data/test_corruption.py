"""The corruption model: with every rate at zero a linked service record equals its LA record; each rate
then shows up at about its configured size."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from synthetic_data.settings import WorldSettings
from synthetic_data.world import generate
from tests.synthetic_data.readers import read_dicts, read_site_people
from warehouse.adapters import get_adapter
from warehouse.sites import LOCAL_AUTHORITIES, SITES

ZERO = dict(p_refuge_move=0.0, p_surname_change=0.0, p_other_parent_surname=0.0, p_nickname=0.0,
            p_name_variant=0.0, p_typo=0.0, p_name_order_swap=0.0, p_double_surname=0.0,
            p_dob_day_month_swap=0.0, p_dob_off_by_one=0.0, p_unborn_record_not_updated=0.0)


def _pairs(root) -> list[tuple[dict[str, str], dict[str, str]]]:
    """(canonical service child, LA identifier row) for every truth link."""
    la_rows = {r["LAchildID"]: r for la in LOCAL_AUTHORITIES for r in read_dicts(root / "la" / la / "identifiers.csv")}
    out = []
    for site_id in SITES:
        lay = get_adapter(site_id).people
        c = lay.columns
        people = {r[c["record_id"]]: r for r in read_site_people(root, site_id)}
        for link in read_dicts(root / "truth" / "links.csv"):
            if link["site_id"] != site_id:
                continue
            r = people[link["site_record_id"]]

            dob = r[c["dob"]]
            iso = datetime.strptime(dob, lay.date_format).date().isoformat() if dob else ""
            canon = {"forename": r[c["forename"]], "surname": r[c["surname"]], "dob": iso,
                     "postcode": r[c["postcode"]], "nhs": r[c["nhs_number"]]}
            out.append((canon, la_rows[link["la_child_id"]]))
    return out


@pytest.fixture(scope="module")
def zero_drop(tmp_path_factory):
    out = tmp_path_factory.mktemp("zero")
    generate(out, dataclasses.replace(WorldSettings(seed=21, children=4000), **ZERO))
    return out


def test_zero_corruption_means_exact_agreement(zero_drop) -> None:
    pairs = _pairs(zero_drop)
    assert len(pairs) > 150
    for site, la in pairs:
        if site["forename"] == "Baby":  # still unborn: the LA has no name or DOB either
            assert la["ExpectedPersonBirthDate"] and not la["PersonBirthDate"]
            continue
        assert (site["forename"], site["surname"], site["dob"], site["postcode"]) == (
            la["Forename"], la["Surname"], la["PersonBirthDate"], la["Postcode"])
        assert site["nhs"] in ("", la["NHSNumber"]) or not la["NHSNumber"]


def test_default_rates_show_up(clean_drop) -> None:
    root, _ = clean_drop
    pairs = [(s, la) for s, la in _pairs(root) if s["forename"] != "Baby"]
    n = len(pairs)
    postcode = sum(s["postcode"] != la["Postcode"] for s, la in pairs) / n
    surname = sum(s["surname"] != la["Surname"] for s, la in pairs) / n
    dob = sum(s["dob"] != la["PersonBirthDate"] for s, la in pairs) / n
    s0 = WorldSettings()
    assert abs(postcode - s0.p_refuge_move) < 0.07, postcode
    # surname: change after separation, other parent's name, typos, double-barrelled, swapped order
    assert 0.05 < surname < 0.30, surname
    assert 0.005 < dob < 0.08, dob
