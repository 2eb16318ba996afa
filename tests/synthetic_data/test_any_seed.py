"""Hypothesis over seeds and sizes: any small world is XSD-valid, has valid identifiers and obeys the dates."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from synthetic_data.settings import WorldSettings
from synthetic_data.world import generate
from tests.synthetic_data.readers import cin_schema
from warehouse.identifiers import nhs_number_is_valid, upn_is_valid
from warehouse.sites import LOCAL_AUTHORITIES

XSD = cin_schema(WorldSettings().census_year)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**31 - 1), children=st.integers(min_value=100, max_value=600))
def test_any_seed_gives_a_valid_world(tmp_path_factory, seed: int, children: int) -> None:
    out: Path = tmp_path_factory.mktemp("any")
    manifest = generate(out, WorldSettings(seed=seed, children=children))
    assert manifest["counts"]["children"] == children
    for la in LOCAL_AUTHORITIES:
        assert XSD.validate(etree.parse(str(out / "la" / la / "cin_census.xml")))
        rows = list(csv.DictReader(io.StringIO((out / "la" / la / "identifiers.csv").read_text())))
        assert rows
        for r in rows:
            assert not r["NHSNumber"] or nhs_number_is_valid(r["NHSNumber"])
            assert not r["UPN"] or upn_is_valid(r["UPN"], {la})
            assert not r["PersonBirthDate"] or date.fromisoformat(r["PersonBirthDate"]) <= date(2025, 3, 31)
