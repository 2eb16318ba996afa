"""Catalogues outside the pipeline are registries too: sites, local authorities, code lists, table declarations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from warehouse.codelists import CODELISTS, get_codelist
from warehouse.errors import ConfigError
from warehouse.registry import Registry, VersionedRegistry
from warehouse.sites import LOCAL_AUTHORITIES, SITES, get_site
from warehouse.validation.declarations import SPECS, get_spec


@pytest.mark.parametrize(("lookup", "typo", "suggestion"), [
    (lambda n: get_spec(n, 2024), "site_peopel", "site_people"),
    (lambda n: get_codelist(n, 2025), "ethnicty", "ethnicity"),
    (get_site, "fsb", "fbs"),
    (lambda n: LOCAL_AUTHORITIES[n], "2O8", "208"),
])
def test_a_typo_gets_a_did_you_mean(lookup: Callable[[str], object], typo: str, suggestion: str) -> None:
    with pytest.raises(ConfigError, match=f"did you mean '{suggestion}'"):
        lookup(typo)


def test_catalogues_are_registries() -> None:
    assert all(isinstance(r, Registry) for r in (SITES, LOCAL_AUTHORITIES, CODELISTS, SPECS))
    assert SITES["sat"].la_codes == ("380",) and "208" in LOCAL_AUTHORITIES


def test_versions_follow_the_collection_year() -> None:
    # CIN and SSDA903 sex: 1/2 up to 2023-24, M/F/U from 2024-25 (collection years named by their end)
    assert get_codelist("sex", 2024).codes == frozenset({"1", "2"})
    assert get_codelist("sex", 2025).codes == frozenset({"M", "F", "U"})
    assert [v.first_year for v in CODELISTS.get("sex")] == [0, 2025]
    # a year before a table's first declaration reads its oldest one
    assert get_spec("site_people", 1990) is SPECS.get("site_people")[0]


def test_a_version_of_the_same_year_replaces_the_old_one() -> None:
    @dataclass(frozen=True)
    class Toy:
        name: str
        first_year: int
        text: str = ""

    toys: VersionedRegistry[Toy] = VersionedRegistry("toy")
    toys.add(Toy("a", 0, "first"))
    toys.add(Toy("a", 2025, "new"))
    toys.add(Toy("a", 0, "fixed"))
    assert [t.text for t in toys.get("a")] == ["fixed", "new"]
    assert toys.get("a").at(2024) == Toy("a", 0, "fixed") and toys.get("a").at(2030) == Toy("a", 2025, "new")
