"""SSDA903 rules on the child (header): identifiers, date of birth and ages, codes, mothers
(reference §3.1, 3.2, 3.10, 3.11)."""

from __future__ import annotations

from datetime import date

import polars as pl

from warehouse.codelists import get_codelist
from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.patterns import NO_ROWS, held_by_several, repeated
from warehouse.validation.dfe.rule import ssda903_rule
from warehouse.validation.dfe.ssda903_view import ADOPTED, birthday, episodes, header, short_break

_UPN, _DOB, _SEX, _MOTHER, _MC_DOB = (pl.col(c) for c in ("UPN", "DOB", "SEX", "MOTHER", "MC_DOB"))
_DECOM, _DEC, _REC, _LS, _PLACE = (pl.col(c) for c in ("DECOM", "DEC", "REC", "LS", "PLACE"))
_UN_CODES = ("UN1", "UN2", "UN3", "UN4", "UN5")


def _is(column: pl.Expr, codes: tuple[str, ...]) -> pl.Expr:
    return column.is_in(list(codes)).fill_null(False)


def _ep(t: RuleInput, condition: pl.Expr) -> pl.DataFrame:
    return episodes(t).filter(condition.fill_null(False)).select("_row", "child_id")


def _header_with(t: RuleInput, name: str, condition: pl.Expr) -> pl.DataFrame:
    """``header`` with ``name``: the child has an episode matching ``condition``."""
    hits = episodes(t).filter(condition.fill_null(False)).select("_child").unique()
    return t.table("header").join(hits.with_columns(pl.lit(True).alias(name)), on="_child", how="left") \
        .with_columns(pl.col(name).fill_null(False))


def _female(t: RuleInput) -> pl.Expr:
    return _SEX == ("2" if t.year <= 2024 else "F")


def _male(t: RuleInput) -> pl.Expr:
    return _SEX == ("1" if t.year <= 2024 else "M")


# --------------------------------------------------------------------------- 3.1 identifiers


@ssda903_rule("168", "ssda903_upn_shape", ("header.UPN",),
              "The UPN is neither an unknown-reason code (UN1 to UN5) nor a letter (not I, O or S) followed by 12 "
              "digits, or by 11 digits and a letter.")
def _168(t: RuleInput) -> pl.DataFrame:
    shaped = _UPN.str.contains(r"^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-Z]$")
    return t.rows("header", _UPN.is_not_null() & ~_is(_UPN, _UN_CODES) & ~shaped)


@ssda903_rule("442", "ssda903_upn_blank", ("header.UPN", "episodes.LS"),
              "The UPN is blank for a child looked after other than on short breaks: give a UPN or an unknown code.")
def _442(t: RuleInput) -> pl.DataFrame:
    h = _header_with(t, "__cared", ~short_break())
    return h.filter(_UPN.is_null() & pl.col("__cared")).select("_row", "child_id")


@ssda903_rule("444", "ssda903_upn_shared_by_children", ("header.UPN",),
              "The same UPN is held by more than one child.", first_year=2026)
def _444(t: RuleInput) -> pl.DataFrame:
    real = _UPN.is_not_null() & ~_is(_UPN, _UN_CODES)
    return held_by_several(t.table("header"), pl.when(real).then(_UPN))


@ssda903_rule("209", "ssda903_un1_at_school_age", ("header.UPN", "header.DOB"),
              "The UPN is recorded as UN1 (not yet of school age) although the child was of school age.")
def _209(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", (_UPN == "UN1") & (birthday(4) <= pl.lit(date(t.year - 2, 8, 31))))


@ssda903_rule("210", "ssda903_un4_not_newly_looked_after", ("header.UPN", "episodes.DECOM", "episodes.RNE"),
              "The UPN is recorded as UN4 (newly looked after) but care began more than a week before the year end.")
def _210(t: RuleInput) -> pl.DataFrame:
    ep = episodes(t)
    start = ep.group_by("_child").agg(
        pl.col("DECOM").filter(pl.col("RNE") == "S").max().alias("__s"), pl.col("DECOM").min().alias("__first"))
    h = t.table("header").join(start, on="_child", how="left")
    began = pl.coalesce(pl.col("__s"), pl.col("__first"))
    return h.filter((_UPN == "UN4") & (began < pl.lit(date(t.year, 3, 24))).fill_null(False)).select("_row", "child_id")


@ssda903_rule("INT32", "ssda903_child_repeated_in_header", ("header.CHILD",),
              "The same child appears on more than one header row.")
def _int32(t: RuleInput) -> pl.DataFrame:
    return repeated(t.table("header"), ["_child"], pl.col("_child").is_not_null())


@ssda903_rule("INT03", "ssda903_episode_without_header", ("episodes.CHILD", "header.CHILD"),
              "An episode belongs to a child who has no header row.")
def _int03(t: RuleInput) -> pl.DataFrame:
    return t.table("episodes").join(header(t).select("_child"), on="_child", how="anti").select("_row", "child_id")


@ssda903_rule("EPI", "ssda903_child_without_episode", ("header.CHILD", "episodes.CHILD"),
              "The child has no episode (and no care leaver record): load the episodes before validating the child.",
              field=None)
def _epi(t: RuleInput) -> pl.DataFrame:
    h = t.table("header").join(t.table("episodes").select("_child").unique(), on="_child", how="anti")
    if "oc3" in t.tables and "CHILD" in t.table("oc3").columns:
        h = h.join(t.table("oc3").select("_child").unique(), on="_child", how="anti")
    return h.select("_row", "child_id")


# --------------------------------------------------------------------------- 3.2 date of birth and ages


@ssda903_rule("102", "ssda903_dob_not_a_date", ("header.DOB",), "The date of birth is missing or not a valid date.")
def _102(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", _DOB.is_null())


@ssda903_rule("301", "ssda903_dob_after_year", ("header.DOB",), "The date of birth is after the end of the year.")
def _301(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", _DOB > pl.lit(t.end))


@ssda903_rule("302", "ssda903_care_before_birth", ("header.DOB", "episodes.DECOM"),
              "The child's first episode starts before their date of birth.", table="episodes", field="DECOM")
def _302(t: RuleInput) -> pl.DataFrame:
    return _ep(t, pl.col("__first") & (_DECOM < _DOB))


@ssda903_rule("351", "ssda903_older_than_25", ("header.DOB",),
              "The child was over 25 when the collection year began.")
def _351(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", birthday(25) < pl.lit(t.start))


def _age_rule(code: str, name: str, reads: tuple[str, ...], message: str, condition: pl.Expr,
              first_year: int | None = None, last_year: int | None = None) -> None:
    @ssda903_rule(code, name, ("header.DOB", *reads), message, table="episodes", field=reads[0].split(".")[1],
                  first_year=first_year, last_year=last_year)
    def _check(t: RuleInput) -> pl.DataFrame:
        return _ep(t, condition)


_age_rule("352", "ssda903_new_period_at_18", ("episodes.RNE", "episodes.DECOM"),
          "A period of care (reason S) starts on or after the child's 18th birthday.",
          (pl.col("RNE") == "S") & (_DECOM >= birthday(18)))
_age_rule("358", "ssda903_youth_justice_under_10", ("episodes.LS", "episodes.DECOM"),
          "A youth justice legal status (J1, J2 or J3) starts on or before the child's 10th birthday.",
          _is(_LS, ("J1", "J2", "J3")) & (_DECOM <= birthday(10)))
_age_rule("372", "ssda903_young_offender_institution_under_10", ("episodes.PLACE", "episodes.DECOM"),
          "A young offender institution placement (R5) starts before the child's 10th birthday.",
          (_PLACE == "R5") & (_DECOM < birthday(10)))
_age_rule("373", "ssda903_residential_school_under_4", ("episodes.PLACE", "episodes.DECOM"),
          "A residential school placement (S1) starts before the child's 4th birthday.",
          (_PLACE == "S1") & (_DECOM < birthday(4)))
_age_rule("374", "ssda903_residential_employment_under_14", ("episodes.PLACE", "episodes.DECOM"),
          "A residential employment placement (P3) starts before the child's 14th birthday.",
          (_PLACE == "P3") & (_DECOM < birthday(14)))
_age_rule("386", "ssda903_adopted_at_18", ("episodes.REC", "episodes.DEC"),
          "Care ends in adoption (E11 or E12) on or after the child's 18th birthday.",
          _is(_REC, ADOPTED) & (_DEC >= birthday(18)))
_age_rule("387", "ssda903_independent_living_under_14", ("episodes.REC", "episodes.DEC"),
          "Care ends with a move to independent living (E5 or E6) before the child's 14th birthday.",
          _is(_REC, ("E5", "E6")) & (_DEC < birthday(14)))
_age_rule("389", "ssda903_adult_care_under_16", ("episodes.REC", "episodes.DEC"),
          "Care ends with a transfer to adult social care (E7) before the child's 16th birthday.",
          (_REC == "E7") & (_DEC < birthday(16)))
_age_rule("407", "ssda903_special_guardianship_after_18", ("episodes.REC", "episodes.DEC"),
          "Care ends with a special guardianship order (E45 to E48) after the child's 18th birthday.",
          _is(_REC, ("E45", "E46", "E47", "E48")) & (_DEC > birthday(18)))
_age_rule("460", "ssda903_stayed_with_carers_under_18", ("episodes.REC", "episodes.DEC"),
          "Care ends with the young person staying with their carers at 18 or over (E17) before their 18th "
          "birthday.", (_REC == "E17") & (_DEC < birthday(18)))
_age_rule("370", "ssda903_independent_living_too_young", ("episodes.PLACE", "episodes.DECOM"),
          "An independent living placement (P2) starts before the minimum age.",
          (_PLACE == "P2") & (_DECOM < birthday(15)), last_year=2023)
_age_rule("370", "ssda903_independent_living_under_16", ("episodes.PLACE", "episodes.DECOM"),
          "An independent living placement (P2) starts before the child's 16th birthday.",
          (_PLACE == "P2") & (_DECOM < birthday(16)), first_year=2024, last_year=2024)
_age_rule("371", "ssda903_semi_independent_under_14", ("episodes.PLACE", "episodes.DECOM"),
          "A semi-independent living placement (H5) starts before the child's 14th birthday.",
          (_PLACE == "H5") & (_DECOM < birthday(14)), last_year=2023)
_age_rule("371", "ssda903_semi_independent_under_16", ("episodes.PLACE", "episodes.DECOM"),
          "A semi-independent living placement (H5) starts before the child's 16th birthday.",
          (_PLACE == "H5") & (_DECOM < birthday(16)), first_year=2024, last_year=2024)
_age_rule("371", "ssda903_supported_accommodation_under_16", ("episodes.PLACE", "episodes.DECOM"),
          "A supported accommodation placement (K3) starts before the child's 16th birthday.",
          (_PLACE == "K3") & (_DECOM < birthday(16)), first_year=2025)


@ssda903_rule("359", "ssda903_over_18_still_in_care", ("header.DOB", "episodes.DEC", "episodes.LS", "episodes.PLACE"),
              "A young person who turned 18 before the year end has an open episode other than section 20 (V2) "
              "in a children's home (K2).", table="episodes", field="LS")
def _359(t: RuleInput) -> pl.DataFrame:
    allowed = (_LS == "V2") & (_PLACE == "K2")
    return _ep(t, _DEC.is_null() & (birthday(18) <= pl.lit(t.end)) & ~allowed.fill_null(False))


@ssda903_rule("231", "ssda903_uasc_under_11", ("header.UASC", "header.DOB"),
              "An unaccompanied asylum-seeking child is younger than 11 at the year end: check the record.",
              first_year=2025, field="DOB", severity="query")
def _231(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", (pl.col("UASC") == "1") & (birthday(11) > pl.lit(t.end)))


@ssda903_rule("234", "ssda903_custody_under_10", ("header.DOB", "episodes.REASON_PLACE_CHANGE", "episodes.DECOM"),
              "A placement changed because of custody (CUSTOD) for a child under 10.", table="episodes",
              field="REASON_PLACE_CHANGE", first_year=2026)
def _234(t: RuleInput) -> pl.DataFrame:
    return _ep(t, (pl.col("__prev1_REASON_PLACE_CHANGE") == "CUSTOD") & (_DECOM < birthday(10)))


# --------------------------------------------------------------------------- 3.10 codes


@ssda903_rule("101", "ssda903_sex_invalid", ("header.SEX",), "Sex is missing or not a DfE code for the year "
              "(1 or 2 up to 2023-24; M, F or U from 2024-25).")
def _101(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", ~_is(_SEX, tuple(sorted(get_codelist("sex", t.year).codes))))


@ssda903_rule("232", "ssda903_sex_unknown", ("header.SEX",), "Sex is recorded as unknown (U): expected to be "
              "rare, check it.", first_year=2025, severity="query")
def _232(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", _SEX == "U")


@ssda903_rule("103", "ssda903_ethnicity_invalid", ("header.ETHNIC",),
              "Ethnicity is missing or not one of the 20 DfE ethnicity codes.")
def _103(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", ~_is(pl.col("ETHNIC"), tuple(sorted(get_codelist("ethnicity", t.year).codes))))


@ssda903_rule("105", "ssda903_uasc_flag_invalid", ("header.UASC",),
              "The unaccompanied asylum-seeking child flag is not 0 or 1.")
def _105(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", ~_is(pl.col("UASC"), ("0", "1")))


@ssda903_rule("143", "ssda903_rne_invalid", ("episodes.RNE",),
              "The reason for the new episode is not one of S, P, L, T, U and B.")
def _143(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", pl.col("RNE").is_not_null() & ~_is(pl.col("RNE"), ("S", "P", "L", "T", "U", "B")))


@ssda903_rule("145", "ssda903_category_of_need_invalid", ("episodes.CIN",),
              "The category of need is not one of N1 to N8.")
def _145(t: RuleInput) -> pl.DataFrame:
    codes = tuple(sorted(get_codelist("category_of_need", t.year).codes))
    return t.rows("episodes", pl.col("CIN").is_not_null() & ~_is(pl.col("CIN"), codes))


@ssda903_rule("149", "ssda903_reason_ceased_invalid", ("episodes.REC",),
              "The reason the episode ceased is not one of the 22 DfE codes.")
def _149(t: RuleInput) -> pl.DataFrame:
    codes = tuple(sorted(get_codelist("reason_episode_ceased", t.year).codes))
    return t.rows("episodes", _REC.is_not_null() & ~_is(_REC, codes))


# --------------------------------------------------------------------------- 3.11 mothers


@ssda903_rule("171", "ssda903_mother_child_dob_not_a_date", ("header.MC_DOB",),
              "The date of birth of the young woman's first child is not a valid date.")
def _171(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", pl.col("__bad_MC_DOB"))


@ssda903_rule("174", "ssda903_male_with_child_dob", ("header.SEX", "header.MC_DOB"),
              "A first child's date of birth is given for a male child.", field="MC_DOB")
def _174(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", _male(t) & _MC_DOB.is_not_null())


@ssda903_rule("393", "ssda903_mother_blank", ("header.SEX", "header.MOTHER", "episodes.LS"),
              "Whether the young woman is a mother is blank although she was looked after other than on short "
              "breaks.", field="MOTHER")
def _393(t: RuleInput) -> pl.DataFrame:
    h = _header_with(t, "__cared", ~short_break())
    return h.filter(_female(t) & _MOTHER.is_null() & pl.col("__cared")).select("_row", "child_id")


@ssda903_rule("607", "ssda903_mother_blank_on_leaving", ("header.SEX", "header.MOTHER", "episodes.DEC",
                                                         "episodes.REC", "episodes.LS"),
              "Whether the young woman is a mother is blank although she left care in the year.", field="MOTHER")
def _607(t: RuleInput) -> pl.DataFrame:
    left = _DEC.is_between(pl.lit(t.start), pl.lit(t.end)) & _REC.ne_missing("X1") & ~short_break()
    h = _header_with(t, "__left", left)
    return h.filter(_female(t) & _MOTHER.is_null() & pl.col("__left")).select("_row", "child_id")


@ssda903_rule("611", "ssda903_mother_without_child_dob", ("header.MOTHER", "header.MC_DOB"),
              "The young woman is recorded as a mother but her first child's date of birth is blank.",
              field="MC_DOB")
def _611(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", (_MOTHER == "1") & _MC_DOB.is_null())


@ssda903_rule("612", "ssda903_child_dob_without_mother", ("header.SEX", "header.MOTHER", "header.MC_DOB"),
              "A first child's date of birth is given but the young woman is not recorded as a mother.",
              field="MOTHER")
def _612(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", _female(t) & _MOTHER.ne_missing("1") & _MC_DOB.is_not_null())


@ssda903_rule("620", "ssda903_mother_under_11", ("header.MOTHER", "header.DOB"),
              "The young woman is recorded as a mother but was under 11 at the start of the year.")
def _620(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", (_MOTHER == "1") & (birthday(11) > pl.lit(t.start)))


@ssda903_rule("621", "ssda903_child_born_before_mother", ("header.MC_DOB", "header.DOB"),
              "The first child's date of birth is on or before the young woman's own.")
def _621(t: RuleInput) -> pl.DataFrame:
    return t.rows("header", _MC_DOB <= _DOB)


@ssda903_rule("625", "ssda903_child_born_after_care", ("header.MC_DOB", "episodes.DEC"),
              "The first child's date of birth is after the year end or after the young woman's latest episode "
              "ended.")
def _625(t: RuleInput) -> pl.DataFrame:
    mothers = t.table("header").filter(_MC_DOB.is_not_null())
    # episodes do not overlap (501 reports those that do), so the latest ended episode ends last
    ended = t.table("episodes").join(mothers.select("_child"), on="_child", how="semi").group_by("_child").agg(
        _DEC.max().alias("__ended"))
    h = mothers.join(ended, on="_child", how="left")
    bad = (_MC_DOB > pl.lit(t.end)) | (_MC_DOB > pl.col("__ended"))
    return h.filter(bad.fill_null(False)).select("_row", "child_id")


# --------------------------------------------------------------------------- 3.1 other tables without episodes


def _orphan_rows(t: RuleInput, table: str) -> pl.DataFrame:
    if "CHILD" not in t.table(table).columns:
        return NO_ROWS
    return t.table(table).join(t.table("episodes").select("_child").unique(), on="_child", how="anti").select(
        "_row", "child_id")


@ssda903_rule("1012", "ssda903_outcomes_without_episode", ("oc2.CHILD", "episodes.CHILD"),
              "The child has a 12-month outcomes row but no episode this year.", field="CHILD")
def _1012_oc2(t: RuleInput) -> pl.DataFrame:
    return _orphan_rows(t, "oc2")


@ssda903_rule("1012", "ssda903_missing_without_episode", ("missing.CHILD", "episodes.CHILD"),
              "The child has a missing-from-placement row but no episode this year.", field="CHILD")
def _1012_missing(t: RuleInput) -> pl.DataFrame:
    return _orphan_rows(t, "missing")
