"""Validator declarations: each file format's fields and cross-field rules, as data.

A format is a :class:`TableSpec`: its fields (:class:`Field`: type, required, code list,
identifier or not) and its row rules (:class:`DateOrder`, :class:`Paired`, :class:`OneOf`,
:class:`Unique`). A new census year that changes a code list is a new entry in
:mod:`warehouse.codelists`; one that changes the fields is a new spec registered for that year
with :func:`register_spec`, not new code. ``docs/validation-rules.md`` is generated from here
(``python -m warehouse.validation.docs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warehouse.adapters import CANONICAL_PERSON_FIELDS
from warehouse.registry import VersionedRegistry

__all__ = [
    "SPECS",
    "DateOrder",
    "Field",
    "FieldType",
    "OneOf",
    "Paired",
    "RowRule",
    "TableSpec",
    "Unique",
    "get_spec",
    "register_spec",
]

FieldType = Literal["str", "date", "int", "code", "nhs_number", "upn", "upn_or_code"]


@dataclass(frozen=True)
class Field:
    """One field of a table.

    Attributes:
        name: the column (CSV) or element (XML) name; site people use canonical names and the
            adapter supplies the site's own column header.
        type: how the value is parsed and checked.
        required: an empty value is a ``required`` problem.
        codelist: for ``code`` / ``upn_or_code``: the code list name in :mod:`warehouse.codelists`.
        identifier: the value identifies a person; it is never printed and stays in the restricted zone.
        future_ok: a date that may lie after the extract date (expected dates of birth).
        free_text: typed by hand (names, postcodes): checked for spreadsheet-formula text and
            mixed writing systems.
    """

    name: str
    type: FieldType = "str"
    required: bool = False
    codelist: str | None = None
    identifier: bool = False
    future_ok: bool = False
    free_text: bool = False
    description: str = ""


@dataclass(frozen=True)
class DateOrder:
    """``later`` must not be before ``earlier`` (minus ``tolerance_days``); rule ``rule``."""

    earlier: str
    later: str
    tolerance_days: int = 0
    rule: str = "date_order"
    strict: bool = False  # True: the two may not be equal either
    only_role: str | None = None


@dataclass(frozen=True)
class Paired:
    """Both fields present or both empty."""

    a: str
    b: str
    rule: str = "paired_fields"


@dataclass(frozen=True)
class OneOf:
    """Exactly one of two fields is present (e.g. date of birth or expected date of birth)."""

    a: str
    b: str
    rule: str = "birth_or_expected"
    only_role: str | None = None


@dataclass(frozen=True)
class Unique:
    """These fields identify a row: a later row with the same key is a ``duplicate_key``."""

    fields: tuple[str, ...]
    rule: str = "duplicate_key"


RowRule = DateOrder | Paired | OneOf | Unique


@dataclass(frozen=True)
class TableSpec:
    """A table's declaration: fields, row rules, the date format of its date fields and its storage key."""

    name: str
    description: str
    fields: tuple[Field, ...]
    rules: tuple[RowRule, ...] = ()
    date_format: str = "%Y-%m-%d"
    first_year: int = 0
    key: tuple[str, ...] = ()
    """Fields a row cannot be stored without: when one is missing or its value is withheld (e.g. an
    impossible start date), the row is refused; any other field's bad value is withheld and the row kept."""

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields]


#: Every table declaration by name; each value holds its versions by first year.
SPECS: VersionedRegistry[TableSpec] = VersionedRegistry("table declaration")


def register_spec(spec: TableSpec) -> TableSpec:
    """Register a table declaration; a later ``first_year`` overrides from that year on."""
    return SPECS.add(spec)


def get_spec(name: str, year: int) -> TableSpec:
    """The declaration of table ``name`` in force in collection year ``year`` (the oldest before its first year).

    Raises:
        ConfigError: no table is declared as ``name`` (the message suggests the nearest name).
    """
    versions = SPECS.get(name)
    return versions.at(year) or versions[0]


_ISO = "%Y-%m-%d"
_UK = "%d/%m/%Y"

# ----------------------------------------------------------------- LA identifier extract
register_spec(TableSpec(
    "la_identifiers", "LA identifier extract (la/<la_code>/identifiers.csv)",
    (
        Field("LAchildID", required=True, identifier=True, description="LA child id (key shared with CIN, 903)"),
        Field("Forename", identifier=True, free_text=True),
        Field("Surname", identifier=True, free_text=True),
        Field("PersonBirthDate", "date", identifier=True),
        Field("ExpectedPersonBirthDate", "date", identifier=True, future_ok=True),
        Field("Sex", "code", required=True, codelist="sex"),
        Field("Postcode", identifier=True, free_text=True),
        Field("NHSNumber", "nhs_number", identifier=True),
        Field("UPN", "upn", identifier=True),
        Field("FormerUPN", "upn", identifier=True),
        Field("Ethnicity", "code", required=True, codelist="ethnicity"),
    ),
    (OneOf("PersonBirthDate", "ExpectedPersonBirthDate"), Unique(("LAchildID",))),
    date_format=_ISO, key=("LAchildID",),
))

# ----------------------------------------------------------------- SSDA903
register_spec(TableSpec(
    "ssda903_header", "SSDA903 header table (la/<la_code>/ssda903/header.csv)",
    (
        Field("CHILD", required=True, identifier=True),
        Field("SEX", "code", required=True, codelist="sex"),
        Field("DOB", "date", required=True, identifier=True),
        Field("ETHNIC", "code", required=True, codelist="ethnicity"),
        Field("UPN", "upn_or_code", codelist="ssda903_upn_unknown", identifier=True),
        Field("MOTHER", "code", codelist="mother"),
        Field("MC_DOB", "date", identifier=True),
    ),
    (Unique(("CHILD",)),),
    date_format=_UK, key=("CHILD",),
))
register_spec(TableSpec(
    "ssda903_episodes", "SSDA903 episodes table (la/<la_code>/ssda903/episodes.csv)",
    (
        Field("CHILD", required=True, identifier=True),
        Field("DECOM", "date", required=True),
        Field("RNE", "code", required=True, codelist="rne"),
        Field("LS", "code", required=True, codelist="legal_status"),
        Field("CIN", "code", required=True, codelist="category_of_need"),
        Field("PLACE", "code", required=True, codelist="placement"),
        Field("PLACE_PROVIDER", "code", codelist="place_provider"),
        Field("DEC", "date"),
        Field("REC", "code", codelist="reason_episode_ceased"),
    ),
    (DateOrder("DECOM", "DEC"), Paired("DEC", "REC"), Unique(("CHILD", "DECOM"))),
    date_format=_UK, key=("CHILD", "DECOM"),
))

_OC2_FLAGS = ("CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
              "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")
register_spec(TableSpec(
    "ssda903_oc2", "SSDA903 OC2: children looked after continuously for 12 months at 31 March (outcomes)",
    (
        Field("CHILD", required=True, identifier=True),
        Field("DOB", "date", identifier=True),
        Field("SDQ_SCORE", "int", description="0-40"),
        Field("SDQ_REASON", "code", codelist="sdq_reason"),
        *(Field(f, "code", codelist="flag01") for f in _OC2_FLAGS),
    ),
    (Unique(("CHILD",)),),
    date_format=_UK, key=("CHILD",),
))
register_spec(TableSpec(
    "ssda903_missing", "SSDA903 Missing: periods missing or away from placement without authorisation",
    (
        Field("CHILD", required=True, identifier=True),
        Field("DOB", "date", identifier=True),
        Field("MISSING", "code", required=True, codelist="missing_type"),
        Field("MIS_START", "date", required=True),
        Field("MIS_END", "date"),
    ),
    (DateOrder("MIS_START", "MIS_END"), Unique(("CHILD", "MIS_START"))),
    date_format=_UK, key=("CHILD", "MIS_START"),
))

# ----------------------------------------------------------------- CIN census (flattened)
register_spec(TableSpec(
    "cin_child", "CIN census: ChildIdentifiers and ChildCharacteristics (one row per Child)",
    (
        Field("LAchildID", required=True, identifier=True),
        Field("UPN", "upn", identifier=True),
        Field("FormerUPN", "upn", identifier=True),
        Field("UPNunknown", "code", codelist="upn_unknown"),
        Field("PersonBirthDate", "date", identifier=True),
        Field("ExpectedPersonBirthDate", "date", identifier=True, future_ok=True),
        Field("Sex", "code", codelist="sex", description="2024-25 on; GenderCurrent before"),
        Field("GenderCurrent", "code", codelist="gender_current", description="up to 2023-24"),
        Field("PersonDeathDate", "date"),
        Field("Ethnicity", "code", required=True, codelist="ethnicity"),
    ),
    (
        OneOf("PersonBirthDate", "ExpectedPersonBirthDate"),
        OneOf("Sex", "GenderCurrent", rule="xml_structure"),
        DateOrder("PersonBirthDate", "PersonDeathDate"),
        Unique(("LAchildID",)),
    ),
    key=("LAchildID",),
))
register_spec(TableSpec(
    "cin_details", "CIN census: CINdetails (one row per referral episode; CINdetailsID is a per-child sequence)",
    (
        Field("CINreferralDate", "date", required=True),
        Field("ReferralSource", "code", required=True, codelist="referral_source"),
        Field("PrimaryNeedCode", "code", codelist="primary_need"),
        Field("CINclosureDate", "date"),
        Field("ReasonForClosure", "code", codelist="reason_for_closure"),
        Field("DateOfInitialCPC", "date"),
        Field("ReferralNFA", "code", required=True, codelist="yes_no"),
    ),
    (
        DateOrder("CINreferralDate", "CINclosureDate"),
        Paired("CINclosureDate", "ReasonForClosure"),
        DateOrder("PersonBirthDate", "CINreferralDate", tolerance_days=280, rule="birth_before_referral"),
    ),
    key=("CINreferralDate",),
))
register_spec(TableSpec(
    "cin_assessments", "CIN census: Assessments",
    (
        Field("AssessmentActualStartDate", "date", required=True),
        Field("AssessmentInternalReviewDate", "date"),
        Field("AssessmentAuthorisationDate", "date"),
    ),
    (DateOrder("CINreferralDate", "AssessmentActualStartDate"),
     DateOrder("AssessmentActualStartDate", "AssessmentAuthorisationDate")),
))
register_spec(TableSpec(
    "cin_factors", "CIN census: AssessmentFactors (3A/3B/3C = domestic abuse)",
    (Field("AssessmentFactors", "code", required=True, codelist="assessment_factors"),),
    key=("AssessmentFactors",),
))
register_spec(TableSpec(
    "cin_plans", "CIN census: CINPlanDates",
    (Field("CINPlanStartDate", "date", required=True), Field("CINPlanEndDate", "date")),
    (DateOrder("CINPlanStartDate", "CINPlanEndDate"),),
))
register_spec(TableSpec(
    "cin_section47", "CIN census: Section47",
    (
        Field("S47ActualStartDate", "date", required=True),
        Field("InitialCPCtarget", "date", future_ok=True),
        Field("DateOfInitialCPC", "date"),
        Field("ICPCnotRequired", "code", required=True, codelist="yes_no"),
    ),
))
register_spec(TableSpec(
    "cin_cpp", "CIN census: ChildProtectionPlans",
    (
        Field("CPPstartDate", "date", required=True),
        Field("CPPendDate", "date"),
        Field("InitialCategoryOfAbuse", "code", required=True, codelist="category_of_abuse"),
        Field("LatestCategoryOfAbuse", "code", codelist="category_of_abuse"),
        Field("NumberOfPreviousCPP", "int"),
    ),
    (DateOrder("CPPstartDate", "CPPendDate"),),
    key=("CPPstartDate",),
))

# ----------------------------------------------------------------- site files (canonical names)
register_spec(TableSpec(
    "site_people", "Site service records (one row per person; columns per the site adapter)",
    (
        Field("record_id", required=True, identifier=True),
        Field("family_id", required=True),
        Field("role", "code", required=True, codelist="site_role"),
        Field("forename", identifier=True, free_text=True),
        Field("surname", identifier=True, free_text=True),
        Field("dob", "date", identifier=True),
        Field("expected_dob", "date", identifier=True, future_ok=True),
        Field("sex", "code", codelist="sex"),
        Field("postcode", identifier=True, free_text=True),
        Field("nhs_number", "nhs_number", identifier=True),
        Field("ethnicity", "code", codelist="ethnicity"),
        Field("referral_date", "date", required=True),
        Field("referral_source", "code", codelist="site_referral_source"),
        Field("la_code", "code", codelist="la_code"),
        Field("end_date", "date"),
        Field("end_reason", "code", codelist="site_end_reason"),
    ),
    (
        OneOf("dob", "expected_dob", only_role="child"),
        DateOrder("referral_date", "end_date"),
        DateOrder("dob", "referral_date", tolerance_days=280, rule="birth_before_referral"),
        Unique(("record_id",)),
    ),
    key=("record_id", "role"),
))
assert tuple(f.name for f in SPECS["site_people"][0].fields) == CANONICAL_PERSON_FIELDS

register_spec(TableSpec(
    "site_outcomes", "Site outcome measure (one file per measure; item columns <prefix>1..n)",
    (
        Field("record_id", required=True, identifier=True),
        Field("timepoint", "code", required=True, codelist="timepoint"),
        Field("assessed_date", "date", required=True),
    ),
    (Unique(("record_id", "timepoint")),),
    key=("record_id", "timepoint"),
))

register_spec(TableSpec(
    "truth_links", "Ground truth links (synthetic drops only; restricted zone)",
    (
        Field("site_id", required=True),
        Field("site_record_id", required=True, identifier=True),
        Field("la_code", required=True),
        Field("la_child_id", required=True, identifier=True),
    ),
    (Unique(("site_id", "site_record_id", "la_code", "la_child_id")),),
    key=("site_id", "site_record_id", "la_code", "la_child_id"),
))
