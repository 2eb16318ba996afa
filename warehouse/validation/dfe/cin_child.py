"""CIN census rules on the child: identifiers, dates of birth and death, characteristics, disabilities
and the header (reference §2.1, 2.2, 2.6, 2.8, 2.10, 2.14)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from warehouse.codelists import get_codelist
from warehouse.identifiers import UPN_ALPHABET, upn_la_codes, upn_valid_mask
from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.patterns import (
    NO_ROWS,
    exists_in,
    held_by_several,
    in_codes,
    mixed,
    outside,
    repeated,
)
from warehouse.validation.dfe.rule import cin_rule
from warehouse.vocabulary import SEX_CODES

_UPN = pl.col("UPN")
_LETTERS = UPN_ALPHABET


def _nfa_false_children(t: RuleInput) -> pl.DataFrame:
    """``child`` with ``__any_active``: the child has an episode whose ReferralNFA is false."""
    return exists_in(t.table("child"), t.table("details"), ["_child"], "__any_active",
                     where=pl.col("ReferralNFA") == pl.lit(False))


# --------------------------------------------------------------------------- 2.1 identifiers


@cin_rule("1510", "cin_upn_check_letter", ("child.UPN",),
          "The UPN's first character is not the check letter its other twelve characters give.")
def _1510(t: RuleInput) -> pl.DataFrame:
    child = t.table("child")
    shaped = _UPN.str.contains(rf"^.[0-9]{{11}}[0-9{_LETTERS}]$").fill_null(False)
    valid = upn_valid_mask(child.get_column("UPN"))
    return child.filter(shaped & ~pl.lit(valid)).select("_row", "child_id")


@cin_rule("1520", "cin_upn_shared_by_children", ("child.UPN",), "The same UPN is held by more than one child.")
def _1520(t: RuleInput) -> pl.DataFrame:
    return held_by_several(t.table("child"), _UPN)


@cin_rule("1530", "cin_upn_la_code", ("child.UPN",),
          "Characters 2 to 4 of the UPN are not a local authority code DfE accepts in a UPN.")
def _1530(t: RuleInput) -> pl.DataFrame:
    la = _UPN.str.slice(1, 3)
    return t.rows("child", (_UPN.str.len_chars() == 13) & ~la.is_in(sorted(upn_la_codes(t.year))))


@cin_rule("1540", "cin_upn_digits", ("child.UPN",), "Characters 5 to 12 of the UPN are not all digits.")
def _1540(t: RuleInput) -> pl.DataFrame:
    return t.rows("child", _UPN.is_not_null() & ~_UPN.str.slice(4, 8).str.contains(r"^[0-9]{8}$"))


@cin_rule("1550", "cin_upn_last_character", ("child.UPN",),
          "Character 13 of the UPN is neither a digit nor a letter other than I, O and S.")
def _1550(t: RuleInput) -> pl.DataFrame:
    return t.rows("child", (_UPN.str.len_chars() == 13) & ~_UPN.str.slice(12, 1).str.contains(r"^[0-9A-HJ-NP-RT-Z]$"))


@cin_rule("1560Q", "cin_former_upn_shape", ("child.FormerUPN",),
          "The former UPN is not a letter followed by eleven digits and a digit or letter.")
def _1560q(t: RuleInput) -> pl.DataFrame:
    c = pl.col("FormerUPN")
    return t.rows("child", c.is_not_null() & ~c.str.contains(r"^[A-Z][0-9]{11}[0-9A-Z]$"))


@cin_rule("1570", "cin_la_child_id_too_long", ("child.LAchildID",),
          "The LA child ID is longer than 20 characters.", first_year=2025)
def _1570(t: RuleInput) -> pl.DataFrame:
    return t.rows("child", pl.col("LAchildID").str.len_chars() > 20)


@cin_rule("1580", "cin_la_child_id_characters", ("child.LAchildID",),
          "The LA child ID holds something other than letters and digits (spaces, hyphens, slashes ...).",
          first_year=2025)
def _1580(t: RuleInput) -> pl.DataFrame:
    c = pl.col("LAchildID")
    return t.rows("child", (c.str.len_chars() > 0) & ~c.str.contains(r"^[A-Za-z0-9]+$"))


@cin_rule("8500", "cin_la_child_id_missing", ("child.LAchildID",), "The LA child ID is missing.")
def _8500(t: RuleInput) -> pl.DataFrame:
    return t.rows("child", pl.col("LAchildID").str.strip_chars().replace("", None).is_null())


@cin_rule("8510", "cin_la_child_id_repeated", ("child.LAchildID",),
          "The same LA child ID appears on more than one child.")
def _8510(t: RuleInput) -> pl.DataFrame:
    c = pl.col("LAchildID")
    return repeated(t.table("child"), ["LAchildID"], c.is_not_null())


def _school_age_cutoff(t: RuleInput) -> date:
    if t.year <= 2024:
        return date(t.end.year - 6, t.end.month, t.end.day)
    return date(t.year - 6, 8, 31)


@cin_rule("8770Q", "cin_upn_missing_at_school_age",
          ("child.UPN", "child.UPNunknown", "child.PersonBirthDate", "details.ReferralNFA"),
          "A child of school age with a referral that led to further action has no UPN and no accepted reason "
          "for it (UN1, not of school age, does not apply).")
def _8770q(t: RuleInput) -> pl.DataFrame:
    child = _nfa_false_children(t)
    excused = in_codes("UPNunknown", {"UN2", "UN3", "UN4", "UN5", "UN6", "UN7"})
    old_enough = (pl.col("PersonBirthDate") <= pl.lit(_school_age_cutoff(t))).fill_null(False)
    return child.filter(pl.col("__any_active") & old_enough & _UPN.is_null() & ~excused).select("_row", "child_id")


@cin_rule("8772", "cin_upn_unknown_un7_with_action", ("child.UPNunknown", "details.ReferralNFA"),
          "The UPN-unknown reason is UN7 (referral with no further action) but an episode did lead to action.")
def _8772(t: RuleInput) -> pl.DataFrame:
    child = exists_in(t.table("child"), t.table("details"), ["_child"], "__not_nfa",
                      where=pl.col("ReferralNFA").ne_missing(True))
    return child.filter((pl.col("UPNunknown") == "UN7") & pl.col("__not_nfa")).select("_row", "child_id")


# --------------------------------------------------------------------------- 2.2 dates of birth


@cin_rule("8520", "cin_birth_after_reference_date", ("child.PersonBirthDate",),
          "The date of birth is after the census reference date.")
def _8520(t: RuleInput) -> pl.DataFrame:
    return t.rows("child", pl.col("PersonBirthDate") > pl.lit(t.end))


@cin_rule("8525Q", "cin_birth_and_expected_birth", ("child.PersonBirthDate", "child.ExpectedPersonBirthDate"),
          "Exactly one of date of birth and expected date of birth is expected: both or neither are given.")
def _8525q(t: RuleInput) -> pl.DataFrame:
    dob, edob = pl.col("PersonBirthDate").is_null(), pl.col("ExpectedPersonBirthDate").is_null()
    return t.rows("child", dob == edob)


@cin_rule("8530Q", "cin_expected_birth_implausible", ("child.ExpectedPersonBirthDate",),
          "The expected date of birth is not between 30 days before and 9 months after the reference date.")
def _8530q(t: RuleInput) -> pl.DataFrame:
    e = pl.col("ExpectedPersonBirthDate")
    low = t.end - timedelta(days=30)
    high = pl.lit(t.end).dt.offset_by("9mo")
    return t.rows("child", e.is_not_null() & ~((e > pl.lit(low)) & (e < high)))


@cin_rule("8535Q", "cin_death_before_birth", ("child.PersonDeathDate", "child.PersonBirthDate"),
          "A date of death is recorded but the date of birth is missing or later than it.")
def _8535q(t: RuleInput) -> pl.DataFrame:
    death, dob = pl.col("PersonDeathDate"), pl.col("PersonBirthDate")
    return t.rows("child", death.is_not_null() & (dob.is_null() | (dob > death)))


@cin_rule("8750", "cin_unborn_gender", ("child.GenderCurrent", "child.PersonBirthDate", "child.ExpectedPersonBirthDate"),
          "An unborn child (expected date of birth only) must have gender 0 (not recorded).", last_year=2024)
def _8750_gender(t: RuleInput) -> pl.DataFrame:
    unborn = pl.col("ExpectedPersonBirthDate").is_not_null() & pl.col("PersonBirthDate").is_null()
    return t.rows("child", unborn & pl.col("GenderCurrent").ne_missing("0"))


@cin_rule("8750", "cin_unborn_sex", ("child.Sex", "child.PersonBirthDate", "child.ExpectedPersonBirthDate"),
          "An unborn child (expected date of birth only) must have sex U (unknown).", first_year=2025)
def _8750_sex(t: RuleInput) -> pl.DataFrame:
    unborn = pl.col("ExpectedPersonBirthDate").is_not_null() & pl.col("PersonBirthDate").is_null()
    return t.rows("child", unborn & pl.col("Sex").ne_missing("U"))


@cin_rule("8775Q", "cin_older_than_25", ("child.PersonBirthDate", "details.CINclosureDate"),
          "The child is over 25 and has an episode still open or closed after their 25th birthday.")
def _8775q(t: RuleInput) -> pl.DataFrame:
    details = t.with_child("details", ("PersonBirthDate",))
    birthday = pl.col("PersonBirthDate").dt.offset_by("25y")
    late = (pl.col("CINclosureDate").is_null() | (pl.col("CINclosureDate") > birthday)) & (birthday < pl.lit(t.end))
    child = exists_in(t.table("child"), details, ["_child"], "__late", where=late)
    return child.filter(pl.col("__late")).select("_row", "child_id")


# --------------------------------------------------------------------------- 2.6 death (child level)


@cin_rule("8545Q", "cin_death_outside_period", ("child.PersonDeathDate",),
          "The date of death is outside the census year.")
def _8545q(t: RuleInput) -> pl.DataFrame:
    return t.rows("child", outside("PersonDeathDate", t.start, t.end))


# --------------------------------------------------------------------------- 2.8 disabilities


def _codes_per_child(t: RuleInput) -> pl.DataFrame:
    return t.table("disabilities").filter(pl.col("Disability").is_not_null())


@cin_rule("8540", "cin_disability_missing", ("disabilities.Disability", "child.PersonBirthDate", "details.ReferralNFA"),
          "A child with a referral that led to further action has no disability code, or one that is not valid "
          "(NONE counts as a code).", table="child", field="Disability")
def _8540(t: RuleInput) -> pl.DataFrame:
    codes = get_codelist("disability", t.year).codes
    child = _nfa_false_children(t)
    child = exists_in(child, _codes_per_child(t), ["_child"], "__has_code")
    child = exists_in(child, _codes_per_child(t), ["_child"], "__bad_code", where=~in_codes("Disability", codes))
    bad = pl.col("PersonBirthDate").is_not_null() & pl.col("__any_active") & (~pl.col("__has_code") | pl.col("__bad_code"))
    return child.filter(bad).select("_row", "child_id")


@cin_rule("8790", "cin_disability_none_with_other", ("disabilities.Disability",),
          "NONE is recorded together with another disability code.")
def _8790(t: RuleInput) -> pl.DataFrame:
    none = pl.col("Disability") == "NONE"
    return mixed(t.table("disabilities"), ["_child"], none, ~none)


@cin_rule("8794", "cin_disability_repeated", ("disabilities.Disability",),
          "The same disability code is recorded twice for the child.")
def _8794(t: RuleInput) -> pl.DataFrame:
    return repeated(t.table("disabilities"), ["_child", "Disability"], pl.col("Disability").is_not_null())


@cin_rule("2887Q", "cin_disability_few_codes", ("disabilities.Disability",),
          "Across the return fewer than 8 different disability codes (other than NONE) are used.", level="la",
          field=None)
def _2887q(t: RuleInput) -> pl.DataFrame:
    d = t.table("disabilities")
    used = d.filter(pl.col("Disability").is_not_null() & (pl.col("Disability") != "NONE"))
    return d.head(1).select("_row", "child_id") if used.get_column("Disability").n_unique() < 8 else NO_ROWS


@cin_rule("2888Q", "cin_disability_never_multiple", ("disabilities.Disability",),
          "No child has more than one disability code: multiple disabilities may not be recorded.", level="la",
          field=None)
def _2888q(t: RuleInput) -> pl.DataFrame:
    d = t.table("disabilities")
    real = d.filter(pl.col("Disability").is_not_null() & (pl.col("Disability") != "NONE"))
    most = real.group_by("_child").agg(pl.col("Disability").n_unique().alias("n")).get_column("n").max()
    return d.head(1).select("_row", "child_id") if (most is None or int(str(most)) <= 1) and d.height else NO_ROWS


# --------------------------------------------------------------------------- 2.10 header


@cin_rule("100", "cin_reference_date_not_31_march", ("header.ReferenceDate", "header.Year"),
          "The header's reference date is missing or is not 31 March of the header's year.", field="ReferenceDate")
def _100(t: RuleInput) -> pl.DataFrame:
    year = pl.col("Year").cast(pl.String).str.strip_chars().cast(pl.Int32, strict=False)
    expected = pl.date(year, 3, 31)
    return t.rows("header", pl.col("ReferenceDate").is_null() | pl.col("ReferenceDate").ne_missing(expected))


@cin_rule("100", "cin_reference_date_not_collection_year", ("header.ReferenceDate",),
          "The header's reference date is not 31 March of the collection year being loaded.")
def _100_year(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", pl.col("ReferenceDate").is_not_null() & (pl.col("ReferenceDate") != pl.lit(t.end)))


@cin_rule("100", "cin_lea_not_submitting_la", ("header.LEA",),
          "The header's LEA code is not the local authority the file was delivered for.")
def _100_lea(t: RuleInput) -> pl.DataFrame:
    if t.la_code is None:
        return NO_ROWS
    lea = pl.col("LEA").cast(pl.String).str.strip_chars()
    return t.rows("header", lea.is_null() | (lea != pl.lit(t.la_code.strip())))


# --------------------------------------------------------------------------- 2.14 characteristics


@cin_rule("4180", "cin_gender_invalid", ("child.GenderCurrent",),
          "Gender is missing or not one of 0, 1, 2 and 9.", last_year=2024)
def _4180_gender(t: RuleInput) -> pl.DataFrame:
    return t.rows("child", ~in_codes("GenderCurrent", get_codelist("gender_current", t.year).codes))


@cin_rule("4180", "cin_sex_invalid", ("child.Sex",), "Sex is missing or not one of M, F and U.", first_year=2025)
def _4180_sex(t: RuleInput) -> pl.DataFrame:
    return t.rows("child", ~in_codes("Sex", SEX_CODES))


def _unknown_share(t: RuleInput, column: str, unknown: str) -> pl.DataFrame:
    child = t.table("child")
    unrecorded = pl.col("ExpectedPersonBirthDate").is_null() & (pl.col(column).is_null() | (pl.col(column) == unknown))
    share = child.select(unrecorded.fill_null(False).mean()).item()
    return child.head(1).select("_row", "child_id") if child.height and float(share) > 0.02 else NO_ROWS


@cin_rule("2886Q", "cin_gender_unrecorded_share", ("child.GenderCurrent", "child.ExpectedPersonBirthDate"),
          "More than 2% of born children have no gender recorded (missing or 0).", level="la", last_year=2024,
          field="GenderCurrent")
def _2886q_gender(t: RuleInput) -> pl.DataFrame:
    return _unknown_share(t, "GenderCurrent", "0")


@cin_rule("2886Q", "cin_sex_unrecorded_share", ("child.Sex", "child.ExpectedPersonBirthDate"),
          "More than 2% of born children have no sex recorded (missing or U).", level="la", first_year=2025)
def _2886q_sex(t: RuleInput) -> pl.DataFrame:
    return _unknown_share(t, "Sex", "U")


@cin_rule("4220", "cin_ethnicity_invalid", ("child.Ethnicity",),
          "Ethnicity is missing or not one of the 20 DfE ethnicity codes.")
def _4220(t: RuleInput) -> pl.DataFrame:
    return t.rows("child", ~in_codes("Ethnicity", get_codelist("ethnicity", t.year).codes))
