"""Year-versioned code lists for the CIN census, SSDA903 and site records.

A code list is declared as data: a name, the first collection year it applies to and its codes.
A new census year that changes a list is a new :class:`CodeList` entry with a later
``first_year``; :func:`get_codelist` picks the newest version not later than the year asked for.
Years are collection years named by the year they end (``2025`` = 2024-25, ending 31 March 2025).

Facts from ``shared/reference/csc-data-standards.md`` §2.4 (CIN) and §4.2 (SSDA903). Codes are
matched after stripping whitespace (liia-tools stores ``"PCCHAN "`` with a trailing space).

Example:
    >>> "RC9" in get_codelist("reason_for_closure", 2025).codes
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.adapters import END_REASONS, REFERRAL_SOURCES, ROLES, TIMEPOINTS
from warehouse.errors import ConfigError
from warehouse.registry import VersionedRegistry

__all__ = ["CODELISTS", "CodeList", "codelist_names", "get_codelist", "register_codelist", "year_of"]


@dataclass(frozen=True)
class CodeList:
    """One version of a code list.

    Attributes:
        name: the list's name (``ethnicity``, ``referral_source`` ...).
        first_year: first collection year (ending year) this version applies to; 0 = always.
        codes: the allowed codes (already stripped).
        description: what the list is, for the generated rules document.
        source: where the list comes from.
    """

    name: str
    first_year: int
    codes: frozenset[str]
    description: str
    source: str

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip() in self.codes


#: Every code list by name; each value holds the list's versions by first year (a registry as any other:
#: unknown names get a did-you-mean error, iteration lists the names for the rules document).
CODELISTS: VersionedRegistry[CodeList] = VersionedRegistry("code list")


def register_codelist(codelist: CodeList) -> CodeList:
    """Register a code-list version (built-ins use this too); a version of the same first year replaces it."""
    return CODELISTS.add(codelist)


def codelist_names() -> tuple[str, ...]:
    """Names of every registered code list."""
    return tuple(sorted(CODELISTS))


def get_codelist(name: str, year: int) -> CodeList:
    """Return the version of code list ``name`` in force in collection year ``year``.

    Raises:
        ConfigError: the list is unknown (with a did-you-mean) or has no version as early as ``year``.
    """
    versions = CODELISTS.get(name)
    version = versions.at(year)
    if version is None:
        raise ConfigError(
            f"code list {name!r} has no version for collection year {year}; earliest is {versions[0].first_year}"
        )
    return version


def year_of(census_year: object, default: int = 2025) -> int:
    """Normalise a manifest ``census_year`` (``2025``, ``"2025"``, ``"2024-25"``) to the ending year."""
    if census_year is None:
        return default
    text = str(census_year).strip()
    if "-" in text:
        head, tail = text.split("-", 1)
        if head.isdigit() and tail.isdigit():
            return int(head) + 1
    if text.isdigit() and len(text) == 4:
        return int(text)
    raise ConfigError(f"census_year {census_year!r} is not a year; give e.g. 2025 or '2024-25'")


def _codes(text: str) -> frozenset[str]:
    return frozenset(c.strip() for c in text.split() if c.strip())


_CIN = "csc-data-standards §2.4"
_903 = "csc-data-standards §4.2"

_ETHNICITY = "WBRI WIRI WIRT WOTH WROM MWBC MWBA MWAS MOTH AIND APKN ABAN AOTH BCRB BAFR BOTH CHNE OOTH REFU NOBT"
_FACTORS_BASE = (
    "1A 1B 1C 2A 2B 2C 3A 3B 3C 4A 4B 4C 5A 5B 5C 6A 6B 6C 7A 8B 8C 8D 8E 8F 9A 10A 11A 12A 13A 14A 15A "
    "16A 17A 18B 18C 19B 19C 20 21 22A 23A 24A"
)
_PLACE_2024 = (
    "A3 A4 A5 A6 H5 K1 K2 P1 P2 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z1"
)

for _cl in (
    # --- shared by CIN and SSDA903
    CodeList("ethnicity", 0, _codes(_ETHNICITY), "Ethnicity (20 codes, CIN and SSDA903)", _CIN + ".2"),
    CodeList("sex", 2025, _codes("M F U"), "Sex (CIN N00783 / SSDA903 SEX from 2024-25)", _CIN + ".1"),
    CodeList("sex", 0, _codes("1 2"), "SSDA903 SEX up to 2023-24 (1 male, 2 female)", "csc-data-standards §4.1"),
    CodeList("gender_current", 0, _codes("0 1 2 9"), "CIN GenderCurrent up to 2023-24", _CIN + ".1"),
    # --- CIN census
    CodeList("upn_unknown", 0, _codes("UN1 UN2 UN3 UN4 UN5 UN6 UN7"), "CIN UPNunknown reasons", _CIN + ".4"),
    CodeList("disability", 0, _codes("NONE MOB HAND PC INC COMM LD HEAR VIS BEH CON AUT DDA"),
             "CIN disability codes", _CIN + ".3"),
    CodeList("referral_source", 0,
             _codes("1A 1B 1C 1D 2A 2B 3A 3B 3C 3D 3E 3F 4 5A 5B 5C 5D 6 7 8 9 10"),
             "CIN ReferralSource (3A-3C here are health referrers, not domestic abuse)", _CIN + ".5"),
    CodeList("primary_need", 0, _codes("N0 N1 N2 N3 N4 N5 N6 N7 N8 N9"), "CIN PrimaryNeedCode", _CIN + ".6"),
    CodeList("reason_for_closure", 0, _codes("RC1 RC2 RC3 RC4 RC5 RC6 RC7 RC8 RC9"),
             "CIN ReasonForClosure (RC1-RC9)", _CIN + ".7"),
    CodeList("category_of_abuse", 0, _codes("NEG PHY SAB EMO MUL"), "CIN Initial/LatestCategoryOfAbuse",
             _CIN + ".8"),
    CodeList("assessment_factors", 0, _codes(_FACTORS_BASE + " 18A 19A"),
             "CIN AssessmentFactors up to 2023-24 (18A/19A still accepted)", _CIN + ".9"),
    CodeList("assessment_factors", 2025, _codes(_FACTORS_BASE),
             "CIN AssessmentFactors from 2024-25 (18A/19A retired)", _CIN + ".9"),
    CodeList("yes_no", 0, _codes("true false TRUE FALSE 0 1"), "CIN yes/no type (ReferralNFA, ICPCnotRequired)",
             "csc-data-standards §2.2"),
    # --- SSDA903
    CodeList("ssda903_upn_unknown", 0, _codes("UN1 UN2 UN3 UN4 UN5"), "SSDA903 UPN column unknown reasons",
             _CIN + ".4"),
    CodeList("rne", 0, _codes("S L P T B U"), "SSDA903 RNE reason for new episode", _903),
    CodeList("legal_status", 0, _codes("C1 C2 D1 E1 V2 V3 V4 L1 L2 L3 J1 J2 J3"), "SSDA903 LS legal status", _903),
    CodeList("category_of_need", 0, _codes("N1 N2 N3 N4 N5 N6 N7 N8"), "SSDA903 CIN category of need", _903),
    CodeList("placement", 0, _codes(_PLACE_2024), "SSDA903 PLACE placement type up to 2023-24", _903),
    CodeList("placement", 2025, _codes(_PLACE_2024 + " K3"), "SSDA903 PLACE 2024-25 (adds K3)", _903),
    CodeList("placement", 2026, _codes(_PLACE_2024.replace(" Z1", "").replace(" H5", "").replace(" P2", "")
                                       + " K3 Z11 Z12 Z13 Z14"),
             "SSDA903 PLACE from 2025-26 (Z1 split into Z11-Z14; P2, H5 dropped)", _903),
    CodeList("place_provider", 0, _codes("PR0 PR1 PR2 PR3 PR4 PR5"), "SSDA903 PLACE_PROVIDER", _903),
    CodeList("reason_episode_ceased", 0,
             _codes("X1 E11 E12 E2 E3 E4A E4B E13 E41 E45 E46 E47 E48 E5 E6 E7 E9 E14 E15 E16 E17 E8"),
             "SSDA903 REC reason episode ceased", _903),
    CodeList("mother", 0, _codes("0 1"), "SSDA903 MOTHER flag", "csc-data-standards §4.1"),
    CodeList("flag01", 0, _codes("0 1"), "SSDA903 yes/no items (OC2 health, conviction, substance misuse)",
             "dfe-validation-rules §4.2.10"),
    CodeList("sdq_reason", 0, _codes("SDQ1 SDQ2 SDQ3 SDQ4 SDQ5"), "SSDA903 OC2 SDQ_REASON",
             "dfe-validation-rules §4.2.10"),
    CodeList("missing_type", 0, _codes("M A"), "SSDA903 Missing MISSING (M missing, A away without authorisation)",
             "dfe-validation-rules §4.2.10"),
    # --- site records (canonical values after the site adapter's label mapping)
    CodeList("site_role", 0, frozenset(ROLES), "Service person role", "warehouse/adapters.py"),
    CodeList("site_referral_source", 0, frozenset(REFERRAL_SOURCES), "Service referral source",
             "warehouse/adapters.py"),
    CodeList("site_end_reason", 0, frozenset(END_REASONS), "Service case closure reason", "warehouse/adapters.py"),
    CodeList("timepoint", 0, frozenset(TIMEPOINTS), "Outcome timepoint", "warehouse/adapters.py"),
):
    register_codelist(_cl)
