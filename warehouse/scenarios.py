"""The identifier-scenario catalogue: what a site could agree to share for linkage.

One home (linkage runs them, evaluation ranks them, the dashboard labels them). Each scenario is
registered in :data:`SCENARIOS`; a new one registers exactly as the built-ins do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warehouse.registry import Registry

__all__ = ["IDENTIFIER_ROLES", "SCENARIOS", "Scenario", "get_scenario", "register_scenario", "scenario_label"]

#: Identifier roles a scenario may share (linkage standardises each of them).
IDENTIFIER_ROLES: tuple[str, ...] = ("forename", "surname", "dob", "sex", "postcode", "nhs_number")

Encoding = Literal["clear", "keyed_hash", "bloom_filter"]


@dataclass(frozen=True)
class Scenario:
    """A set of identifiers both sides share for linkage.

    Args:
        name: stored in ``linkage_metrics.scenario``.
        roles: identifier roles kept (see :data:`IDENTIFIER_ROLES`).
        label: the words a person reads ("Names and date of birth").
        description: one line for reports.
        encoding: how identifiers travel: in clear, as keyed hashes (exact agreement only) or as
            Bloom-filter encodings (similarity kept).
    """

    name: str
    roles: tuple[str, ...]
    label: str
    description: str = ""
    encoding: Encoding = "clear"

    @property
    def tokens(self) -> bool:
        """True when identifiers are replaced by keyed hashes (exact agreement only)."""
        return self.encoding == "keyed_hash"


SCENARIOS: Registry[Scenario] = Registry("identifier scenario")


def register_scenario(scenario: Scenario) -> Scenario:
    """Add a scenario to :data:`SCENARIOS` (the built-ins below use this too)."""
    return SCENARIOS.register(scenario)


def get_scenario(name: str) -> Scenario:
    """The registered scenario ``name``; ConfigError naming the allowed ones otherwise."""
    return SCENARIOS.get(name)


def scenario_label(name: str) -> str:
    """The words for a scenario name (the name itself when it is not registered)."""
    return SCENARIOS.get(name).label if name in SCENARIOS else name


_ALL = ("forename", "surname", "dob", "sex", "postcode", "nhs_number")
for _s in (
    Scenario("all_identifiers", _ALL, "All identifiers",
             "NHS number, names, date of birth, sex and postcode"),
    Scenario("no_nhs_number", ("forename", "surname", "dob", "sex", "postcode"), "All but the NHS number",
             "everything but the NHS number"),
    Scenario("names_dob", ("forename", "surname", "dob"), "Names and date of birth",
             "names and date of birth only"),
    Scenario("dob_postcode_sex", ("dob", "postcode", "sex"), "Date of birth, postcode and sex",
             "no names: date of birth, postcode, sex"),
    Scenario("pseudonymised_tokens", _ALL, "Keyed hashes of all identifiers",
             "every identifier replaced by a keyed hash; exact agreement only", encoding="keyed_hash"),
    Scenario("bloom_filter_encodings", _ALL, "Bloom-filter encodings of all identifiers",
             "names as Bloom filters, other identifiers as keyed tokens; similarity kept, nothing in clear",
             encoding="bloom_filter"),
):
    register_scenario(_s)
