"""Identifier-sharing scenarios: what a site could agree to share (a catalogue in a registry)."""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.errors import ConfigError, did_you_mean

SCENARIOS: dict[str, Scenario] = {}


@dataclass(frozen=True)
class Scenario:
    """A set of identifiers both sides share for linkage.

    Args:
        name: stored in ``linkage_metrics.scenario``.
        roles: identifier roles kept (see :data:`linkage.standardise.ROLES`).
        tokens: identifiers are replaced by keyed hashes before linkage (exact agreement only).
        description: one line for reports.
    """

    name: str
    roles: tuple[str, ...]
    tokens: bool = False
    description: str = ""


def register_scenario(scenario: Scenario) -> Scenario:
    """Add a scenario to :data:`SCENARIOS`."""
    SCENARIOS[scenario.name] = scenario
    return scenario


for _s in (
    Scenario("all_identifiers", ("forename", "surname", "dob", "sex", "postcode", "nhs_number"),
             description="NHS number, names, date of birth, sex and postcode"),
    Scenario("no_nhs_number", ("forename", "surname", "dob", "sex", "postcode"),
             description="everything but the NHS number"),
    Scenario("names_dob", ("forename", "surname", "dob"), description="names and date of birth only"),
    Scenario("dob_postcode_sex", ("dob", "postcode", "sex"), description="no names: date of birth, postcode, sex"),
    Scenario("pseudonymised_tokens", ("forename", "surname", "dob", "sex", "postcode", "nhs_number"), tokens=True,
             description="every identifier replaced by a keyed hash; exact agreement only"),
):
    register_scenario(_s)


def get_scenario(name: str) -> Scenario:
    """The registered scenario ``name``; ConfigError naming the allowed ones otherwise."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ConfigError(
            f"unknown scenario {name!r}; allowed: {', '.join(SCENARIOS)}{did_you_mean(name, SCENARIOS)}"
        ) from None
