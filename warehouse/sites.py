"""The four intervention sites and their local authorities (reference data).

DfE LA codes from ``shared/reference/csc-data-standards.md`` §1.1 and calibration §1.
Westminster (213) and Kensington and Chelsea (207) are marked unverified there; they are kept as
named defaults here.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.errors import ConfigError
from warehouse.registry import Registry


@dataclass(frozen=True)
class LocalAuthority:
    """A local authority with its DfE 3-digit code and postcode districts."""

    code: str
    name: str
    core_districts: tuple[str, ...]
    shared_districts: tuple[str, ...] = ()
    code_status: str = "verified"


@dataclass(frozen=True)
class Site:
    """An intervention site (programme) and the local authorities it works in."""

    site_id: str
    name: str
    provider: str
    la_codes: tuple[str, ...]
    population: str


#: Local authorities by DfE code (a :class:`~warehouse.registry.Registry`: an unknown code gets a did-you-mean).
LOCAL_AUTHORITIES: Registry[LocalAuthority] = Registry("local authority code", "code")
for _la in (
    LocalAuthority("213", "Westminster", ("W1", "W2", "W9", "NW8", "SW1"), ("WC2", "NW1", "W10"), "unverified"),
    LocalAuthority(
        "207", "Kensington and Chelsea", ("W8", "W10", "W11", "SW3", "SW5", "SW7", "SW10"), ("W14",), "unverified"
    ),
    LocalAuthority(
        "919",
        "Hertfordshire",
        ("AL1", "AL2", "AL3", "AL4", "AL5", "AL7", "AL10", "SG1", "SG2", "SG4", "SG5", "SG6", "SG12", "SG13",
         "WD3", "WD6", "WD17", "WD18", "WD19", "WD23", "WD24", "WD25", "HP1", "HP2", "HP3", "HP23", "EN6",
         "EN7", "EN8", "EN11"),
        ("SG8", "CM23", "EN9"),
    ),
    LocalAuthority("890", "Blackpool", ("FY1", "FY2", "FY3", "FY4"), ("FY5", "FY6")),
    LocalAuthority(
        "380", "Bradford", ("BD1", "BD2", "BD3", "BD4", "BD5", "BD6", "BD7", "BD8", "BD9"),
        ("BD10", "BD11", "BD12", "BD13", "BD14", "BD15", "BD16", "BD17", "BD18", "BD20", "BD21", "BD22"),
    ),
    LocalAuthority("208", "Lambeth", ("SE11", "SE27", "SW2", "SW4", "SW8", "SW9"), ("SE1", "SE5", "SE24", "SW16")),
    LocalAuthority("209", "Lewisham", ("SE4", "SE6", "SE13", "SE14", "SE23"), ("SE8", "SE3", "SE12", "SE26")),
):
    LOCAL_AUTHORITIES.register(_la)

#: The study's sites by id (a :class:`~warehouse.registry.Registry`, as every catalogue).
SITES: Registry[Site] = Registry("site", "site_id")
for _site in (
    Site("fbs", "For Baby's Sake", "For Baby's Sake Trust", ("919", "213", "207", "890"),
         "parents of babies from pregnancy to age 1 (support lasts until age 2); works with both parents"),
    Site("sat", "Survive and Thrive", "Family Action", ("380",), "children 5-18 and their parents"),
    Site("leap", "LEAP Enhanced Casework", "LEAP and Refuge", ("208",),
         "families from pregnancy to a child's 4th birthday"),
    Site("coda", "CODA", "Early Years Alliance", ("209",), "mothers and children aged 7-11"),
):
    SITES.register(_site)

SITE_IDS: tuple[str, ...] = tuple(SITES)


def get_site(site_id: str) -> Site:
    """Return the site with this id or raise :class:`ConfigError` naming the allowed ids (with a did-you-mean)."""
    return SITES.get(site_id)


def site_for_la(code: str) -> str:
    """Return the site id whose area includes this LA code."""
    for site in SITES.values():
        if code in site.la_codes:
            return site.site_id
    raise ConfigError(f"local authority {code!r} belongs to no site; known: {', '.join(LOCAL_AUTHORITIES)}")
