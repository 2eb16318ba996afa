"""Site adapters: each site's own file layout, declared as data, mapped to the canonical schema.

One declaration serves both directions: ``synthetic_data`` writes a site's files with it and the
loader reads them back with it. A new site or a changed export is a new declaration, not new code.
Adapters register themselves in :data:`ADAPTERS` exactly as a new one would (``register``).

Canonical *service person* fields (one row per person the service works with):

=================  =====================================================================
record_id          the site's own id for the person (unique within the site)
family_id          the site's family/case id (shared by a child and their parents)
role               ``child`` | ``victim_parent`` | ``harm_parent``
forename, surname  names as the site recorded them (an unborn child may be ``Baby``)
dob                date of birth (None for an unborn child)
expected_dob       expected date of birth (unborn children only)
sex                ``M`` | ``F`` | ``U``
postcode           full postcode as recorded
nhs_number         10 digits or None
ethnicity          CIN/SSDA903 ethnicity code (``WBRI`` ...), mapped from the site's labels
referral_date      date referred to the service
referral_source    ``csc`` | ``self`` | ``health`` | ``police`` | ``school`` | ``voluntary`` | ``other``
la_code            DfE code of the family's local authority
end_date           date the case closed (None while open)
end_reason         ``completed`` | ``disengaged`` | ``moved`` | ``other`` | None
=================  =====================================================================

Outcome files (one per measure, ``outcomes_<measure>.csv``) have the site's id column, a
timepoint column (mapped to ``baseline`` / ``followup``), a date column and item columns
``<item_prefix>1..n`` (empty cell = item missing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from warehouse.errors import ConfigError, did_you_mean

Encoding = Literal["utf-8", "utf-8-sig", "cp1252"]

CANONICAL_PERSON_FIELDS: tuple[str, ...] = (
    "record_id", "family_id", "role", "forename", "surname", "dob", "expected_dob", "sex", "postcode",
    "nhs_number", "ethnicity", "referral_date", "referral_source", "la_code", "end_date", "end_reason",
)
ROLES: tuple[str, ...] = ("child", "victim_parent", "harm_parent")
REFERRAL_SOURCES: tuple[str, ...] = ("csc", "self", "health", "police", "school", "voluntary", "other")
END_REASONS: tuple[str, ...] = ("completed", "disengaged", "moved", "other")
TIMEPOINTS: tuple[str, ...] = ("baseline", "followup")


@dataclass(frozen=True)
class PeopleLayout:
    """How a site's service-records file is laid out."""

    filename: str
    encoding: Encoding
    delimiter: str
    date_format: str  # strftime/strptime format of every date column
    columns: dict[str, str]  # canonical field -> the site's column header
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical -> {site value: canonical}
    extra_columns: tuple[str, ...] = ()  # site columns kept as-is (e.g. birth weight)

    def source_column(self, canonical: str) -> str:
        return self.columns[canonical]

    def to_site_value(self, canonical_field: str, value: str) -> str:
        """Map a canonical value to the site's own label (used by the generator)."""
        for site_value, canon in self.value_maps.get(canonical_field, {}).items():
            if canon == value:
                return site_value
        return value


@dataclass(frozen=True)
class OutcomeLayout:
    """How a site's outcome files (one per measure) are laid out."""

    id_column: str
    timepoint_column: str
    date_column: str
    item_prefix: str
    timepoint_labels: dict[str, str]  # site label -> baseline|followup
    measures: tuple[str, ...]

    def filename(self, measure: str) -> str:
        return f"outcomes_{measure}.csv"


@dataclass(frozen=True)
class SiteAdapter:
    """A site's whole export: its people file and its outcome files."""

    site_id: str
    people: PeopleLayout
    outcomes: OutcomeLayout


ADAPTERS: dict[str, SiteAdapter] = {}


def register(adapter: SiteAdapter) -> SiteAdapter:
    """Register a site adapter (built-ins use this too)."""
    ADAPTERS[adapter.site_id] = adapter
    return adapter


def get_adapter(site_id: str) -> SiteAdapter:
    """Return the registered adapter for a site or raise :class:`ConfigError`."""
    try:
        return ADAPTERS[site_id]
    except KeyError:
        raise ConfigError(
            f"no site adapter for {site_id!r}; registered: {', '.join(ADAPTERS)}{did_you_mean(site_id, ADAPTERS)}"
        ) from None


_ETHNICITY_LABELS = {
    "White British": "WBRI", "White Irish": "WIRI", "Traveller of Irish heritage": "WIRT",
    "Any other White background": "WOTH", "Gypsy/Roma": "WROM",
    "White and Black Caribbean": "MWBC", "White and Black African": "MWBA", "White and Asian": "MWAS",
    "Any other mixed background": "MOTH", "Indian": "AIND", "Pakistani": "APKN", "Bangladeshi": "ABAN",
    "Any other Asian background": "AOTH", "Caribbean": "BCRB", "African": "BAFR",
    "Any other Black background": "BOTH", "Chinese": "CHNE", "Any other ethnic group": "OOTH",
    "Refused": "REFU", "Not yet obtained": "NOBT",
}

register(SiteAdapter(
    site_id="fbs",
    people=PeopleLayout(
        filename="fbs_referrals.csv", encoding="utf-8", delimiter=",", date_format="%Y-%m-%d",
        columns={
            "record_id": "FBS_ID", "family_id": "Family_ID", "role": "Role", "forename": "First_Name",
            "surname": "Last_Name", "dob": "DOB", "expected_dob": "EDD", "sex": "Gender", "postcode": "Postcode",
            "nhs_number": "NHS_No", "ethnicity": "Ethnicity", "referral_date": "Referral_Date",
            "referral_source": "Referral_Source", "la_code": "LA_Code", "end_date": "Discharge_Date",
            "end_reason": "Discharge_Reason",
        },
        value_maps={
            "role": {"Baby": "child", "Parent (victim-survivor)": "victim_parent", "Parent (harm)": "harm_parent"},
            "sex": {"Male": "M", "Female": "F", "Unknown": "U"},
            "referral_source": {"Children's Social Care": "csc", "Self": "self", "Health": "health",
                                "Police": "police", "School": "school", "Voluntary sector": "voluntary",
                                "Other": "other"},
            "end_reason": {"Completed": "completed", "Disengaged": "disengaged", "Moved away": "moved",
                           "Other": "other"},
        },
        extra_columns=("Birth_Weight_g", "Gestation_Weeks"),
    ),
    outcomes=OutcomeLayout(
        id_column="FBS_ID", timepoint_column="Timepoint", date_column="Date_Completed", item_prefix="Item_",
        timepoint_labels={"Baseline": "baseline", "Follow-up": "followup"},
        measures=("asq3", "asqse2", "phq9", "gad7"),
    ),
))

register(SiteAdapter(
    site_id="sat",
    people=PeopleLayout(
        filename="client_list.csv", encoding="utf-8-sig", delimiter=",", date_format="%d/%m/%Y",
        columns={
            "record_id": "Client Ref", "family_id": "Family Ref", "role": "Client Type", "forename": "Forename",
            "surname": "Surname", "dob": "Date of Birth", "expected_dob": "Expected DOB", "sex": "Sex",
            "postcode": "Post Code", "nhs_number": "NHS Number", "ethnicity": "Ethnic Group",
            "referral_date": "Date Referred", "referral_source": "Referred By", "la_code": "LA",
            "end_date": "Date Closed", "end_reason": "Closure Reason",
        },
        value_maps={
            "role": {"Child": "child", "Parent": "victim_parent", "Other Parent": "harm_parent"},
            "ethnicity": _ETHNICITY_LABELS,
            "referral_source": {"CSC": "csc", "Self-referral": "self", "Health": "health", "Police": "police",
                                "School": "school", "Voluntary": "voluntary", "Other": "other"},
            "end_reason": {"Completed": "completed", "Disengaged": "disengaged", "Moved": "moved", "Other": "other"},
        },
    ),
    outcomes=OutcomeLayout(
        id_column="Client Ref", timepoint_column="Stage", date_column="Date", item_prefix="Q",
        timepoint_labels={"Start": "baseline", "End": "followup"},
        measures=("cries13", "iesr", "score15", "mors"),
    ),
))

register(SiteAdapter(
    site_id="leap",
    people=PeopleLayout(
        filename="leap_cases.csv", encoding="cp1252", delimiter=";", date_format="%d/%m/%Y",
        columns={
            "record_id": "case_person_id", "family_id": "case_id", "role": "role", "forename": "given_name",
            "surname": "family_name", "dob": "birth_date", "expected_dob": "due_date", "sex": "gender",
            "postcode": "postcode", "nhs_number": "nhs_no", "ethnicity": "ethnicity",
            "referral_date": "referral_date", "referral_source": "referral_route", "la_code": "la",
            "end_date": "closed_on", "end_reason": "closure_reason",
        },
        value_maps={
            "role": {"child": "child", "parent": "victim_parent", "other parent": "harm_parent"},
            "sex": {"male": "M", "female": "F", "unknown": "U"},
            "referral_source": {"social care": "csc", "self": "self", "health visitor/midwife": "health",
                                "police": "police", "school/nursery": "school", "outreach": "voluntary",
                                "other": "other"},
        },
    ),
    outcomes=OutcomeLayout(
        id_column="case_person_id", timepoint_column="wave", date_column="completed_on", item_prefix="item",
        timepoint_labels={"1": "baseline", "2": "followup"},
        measures=("dash", "core10"),
    ),
))

register(SiteAdapter(
    site_id="coda",
    people=PeopleLayout(
        filename="coda_participants.csv", encoding="utf-8", delimiter=",", date_format="%d/%m/%Y",
        columns={
            "record_id": "ParticipantID", "family_id": "FamilyID", "role": "Type", "forename": "FirstName",
            "surname": "LastName", "dob": "DateOfBirth", "expected_dob": "ExpectedDOB", "sex": "Sex",
            "postcode": "Postcode", "nhs_number": "NHSNumber", "ethnicity": "Ethnicity",
            "referral_date": "ReferralDate", "referral_source": "ReferralSource", "la_code": "LACode",
            "end_date": "EndDate", "end_reason": "EndReason",
        },
        value_maps={
            "role": {"Child": "child", "Mother": "victim_parent", "Father": "harm_parent"},
            "referral_source": {"Social care": "csc", "Self": "self", "Health": "health", "Police": "police",
                                "School": "school", "Voluntary": "voluntary", "Other": "other"},
        },
    ),
    outcomes=OutcomeLayout(
        id_column="ParticipantID", timepoint_column="Session", date_column="Date", item_prefix="Q",
        timepoint_labels={"Pre": "baseline", "Post": "followup"},
        measures=("coda_child", "coda_mother"),
    ),
))
