"""Each SSDA903 DfE rule on the header and episodes (and last year's return): a record that breaks it is
reported and the valid baseline, and where given a near miss, are not. The baseline (collection year
2024-25) is two children, one carried over from last year, that break no rule."""

from __future__ import annotations

import polars as pl
import pytest

from tests.warehouse.dfe_world import Case, World, upn
from warehouse.validation.dfe import DFE_RULES, run_rules

_EPISODE = dict.fromkeys(("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                          "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN", "PL_LA", "PL_LOCATION",
                          "PL_DISTANCE"))


def episode(**values: str | int | None) -> dict[str, str | int | None]:
    return {**_EPISODE, **values}


def baseline() -> World:
    w = World()
    w.add("header", _row=1, CHILD="A1", SEX="F", DOB="01/06/2010", ETHNIC="WBRI", UPN=upn("380123456789"),
          MOTHER="0", MC_DOB=None, UASC="0")
    w.add("header", _row=2, CHILD="B2", SEX="M", DOB="15/01/2008", ETHNIC="AIND", UPN="UN2", MOTHER=None,
          MC_DOB=None, UASC="0")
    w.tables["episodes"] = [
        episode(_row=1, CHILD="A1", DECOM="01/02/2024", RNE="S", LS="C2", CIN="N1", PLACE="U4", PLACE_PROVIDER="PR1",
                DEC="01/09/2024", REC="X1", REASON_PLACE_CHANGE="CARPL", HOME_POST="AB1 2CD", PL_POST="AB3 4EF",
                URN="SC123456", PL_LA="E08000001", PL_LOCATION="IN", PL_DISTANCE="2.5"),
        episode(_row=2, CHILD="A1", DECOM="01/09/2024", RNE="P", LS="C2", CIN="N1", PLACE="U6", PLACE_PROVIDER="PR4",
                HOME_POST="AB1 2CD", PL_POST="AB5 6GH", URN="SC654321", PL_LA="E08000002", PL_LOCATION="OUT",
                PL_DISTANCE="12.0"),
        episode(_row=3, CHILD="B2", DECOM="10/04/2024", RNE="S", LS="V2", CIN="N2", PLACE="K2", PLACE_PROVIDER="PR4",
                DEC="20/12/2024", REC="E4A", HOME_POST="CD1 1AA", PL_POST="CD2 2BB", URN="SC111111",
                PL_LA="E08000003", PL_LOCATION="OUT", PL_DISTANCE="30.1"),
    ]
    for urn, places, providers, postcode, la in (("SC123456", "U4 U5", "PR1", "AB3 4EF", "E08000001"),
                                                 ("SC654321", "u6", "PR4;PR5", "AB5 6GH", "E08000002"),
                                                 ("SC111111", "K2", "PR4", "CD2 2BB", "E08000003")):
        w.add("providers", URN=urn, PLACE_CODES=places, PROVIDER_CODES=providers, DEREG_DATE=None, POSTCODE=postcode,
              LA=la)
    for postcode in ("AB1 2CD", "AB3 4EF", "AB5 6GH", "CD1 1AA", "CD2 2BB"):
        w.add("postcodes", POSTCODE=postcode)
    w.add("header_last", _row=1, CHILD="A1", SEX="2", DOB="01/06/2010", ETHNIC="WBRI", UPN=upn("380123456789"),
          MOTHER="0", MC_DOB=None, UASC="0")
    w.tables["episodes_last"] = [
        episode(_row=1, CHILD="A1", DECOM="01/02/2024", RNE="S", LS="C2", CIN="N1", PLACE="U4", PLACE_PROVIDER="PR1",
                HOME_POST="AB1 2CD", PL_POST="AB3 4EF", URN="SC123456", PL_LA="E08000001", PL_LOCATION="IN",
                PL_DISTANCE="2.5"),
    ]
    return w


def _problems(world: World, year: int = 2025, la_code: str | None = None, only: str | None = None) -> pl.DataFrame:
    return run_rules("903", world.frames(), year, la_code, only=None if only is None else {only})


def test_baseline_breaks_no_rule() -> None:
    assert _problems(baseline()).height == 0
    assert _problems(baseline(), la_code="E08000001").height == 0




E1, E2, E3 = 0, 1, 2  # episode indexes: child A1's two episodes, child B2's one

CASES = [
    # 3.1 identifiers
    Case("ssda903_upn_shape", lambda w: w.set("header", 1, UPN="UN6"), row=2,
         keep=lambda w: w.set("header", 1, UPN="un5")),
    Case("ssda903_upn_blank", lambda w: w.set("header", 1, UPN=None), row=2,
         keep=lambda w: w.set("header", 1, UPN=None).set("episodes", E3, LS="V3", PL_POST=None, HOME_POST=None,
                                                         URN=None, PL_LA=None, PL_LOCATION=None, PL_DISTANCE=None)),
    Case("ssda903_upn_shared_by_children", lambda w: w.set("header", 1, UPN=upn("380123456789")), year=2026),
    Case("ssda903_un1_at_school_age", lambda w: w.set("header", 1, UPN="UN1"), row=2,
         keep=lambda w: w.set("header", 1, UPN="UN1", DOB="01/09/2019")),
    Case("ssda903_un4_not_newly_looked_after", lambda w: w.set("header", 1, UPN="UN4"), row=2,
         keep=lambda w: w.set("header", 1, UPN="UN4").set("episodes", E3, DECOM="24/03/2025", DEC=None, REC=None)),
    Case("ssda903_child_repeated_in_header", lambda w: w.add("header", _row=3, CHILD="A1", SEX="F", DOB="01/06/2010",
                                                             ETHNIC="WBRI", UPN="UN2", MOTHER="0", UASC="0")),
    Case("ssda903_episode_without_header", lambda w: w.set("episodes", E3, CHILD="C3"), row=3),
    Case("ssda903_child_without_episode", lambda w: w.drop("episodes", E3), row=2),
    # 3.2 dates of birth and ages
    Case("ssda903_dob_not_a_date", lambda w: w.set("header", 1, DOB="2008-01-15"), row=2,
         keep=lambda w: w.set("header", 1, DOB=" 15/01/2008 ")),
    Case("ssda903_dob_not_a_date", lambda w: w.set("header", 1, DOB="15/01/08"), row=2),
    Case("ssda903_dob_after_year", lambda w: w.set("header", 1, DOB="01/04/2025"), row=2),
    Case("ssda903_care_before_birth", lambda w: w.set("header", 1, DOB="11/04/2024"), row=3,
         keep=lambda w: w.set("header", 1, DOB="10/04/2024")),
    Case("ssda903_older_than_25", lambda w: w.set("header", 1, DOB="31/03/1999"), row=2,
         keep=lambda w: w.set("header", 1, DOB="01/04/1999")),
    Case("ssda903_new_period_at_18", lambda w: w.set("header", 1, DOB="10/04/2006"), row=3,
         keep=lambda w: w.set("header", 1, DOB="11/04/2006")),
    Case("ssda903_youth_justice_under_10", lambda w: w.set("episodes", E3, LS="J1").set("header", 1, DOB="10/04/2014"),
         row=3, keep=lambda w: w.set("episodes", E3, LS="J1").set("header", 1, DOB="09/04/2014")),
    Case("ssda903_young_offender_institution_under_10",
         lambda w: w.set("episodes", E3, PLACE="R5", PLACE_PROVIDER="PR4", URN=None).set("header", 1, DOB="11/04/2014"),
         row=3),
    Case("ssda903_residential_school_under_4",
         lambda w: w.set("episodes", E3, PLACE="S1").set("header", 1, DOB="01/01/2021"), row=3),
    Case("ssda903_residential_employment_under_14",
         lambda w: w.set("episodes", E3, PLACE="P3", URN=None).set("header", 1, DOB="01/01/2011"), row=3),
    Case("ssda903_adopted_at_18",
         lambda w: w.set("episodes", E3, REC="E11", PLACE="A4").set("header", 1, DOB="20/12/2006"), row=3),
    Case("ssda903_independent_living_under_14",
         lambda w: w.set("episodes", E3, REC="E5").set("header", 1, DOB="01/01/2011"), row=3),
    Case("ssda903_adult_care_under_16", lambda w: w.set("episodes", E3, REC="E7").set("header", 1, DOB="01/01/2009"),
         row=3, keep=lambda w: w.set("episodes", E3, REC="E7").set("header", 1, DOB="20/12/2008")),
    Case("ssda903_special_guardianship_after_18",
         lambda w: w.set("episodes", E3, REC="E47").set("header", 1, DOB="19/12/2006"), row=3,
         keep=lambda w: w.set("episodes", E3, REC="E47").set("header", 1, DOB="20/12/2006")),
    Case("ssda903_stayed_with_carers_under_18", lambda w: w.set("episodes", E3, REC="E17"), row=3),
    Case("ssda903_independent_living_too_young",
         lambda w: w.set("episodes", E3, PLACE="P2", URN=None).set("header", 1, DOB="01/01/2010"), row=3, year=2023),
    Case("ssda903_independent_living_under_16",
         lambda w: w.set("episodes", E3, PLACE="P2", URN=None).set("header", 1, DOB="01/01/2009"), row=3, year=2024),
    Case("ssda903_semi_independent_under_14",
         lambda w: w.set("episodes", E3, PLACE="H5", URN=None).set("header", 1, DOB="01/01/2011"), row=3, year=2023),
    Case("ssda903_semi_independent_under_16",
         lambda w: w.set("episodes", E3, PLACE="H5", URN=None).set("header", 1, DOB="01/01/2009"), row=3, year=2024),
    Case("ssda903_supported_accommodation_under_16",
         lambda w: w.set("episodes", E3, PLACE="K3").set("header", 1, DOB="11/04/2008"), row=3,
         keep=lambda w: w.set("episodes", E3, PLACE="K3").set("header", 1, DOB="10/04/2008")),
    Case("ssda903_over_18_still_in_care",
         lambda w: w.set("episodes", E3, DEC=None, REC=None, PLACE="U4").set("header", 1, DOB="31/03/2007"), row=3,
         keep=lambda w: w.set("episodes", E3, DEC=None, REC=None).set("header", 1, DOB="31/03/2007")),
    Case("ssda903_uasc_under_11", lambda w: w.set("header", 1, UASC="1", DOB="01/04/2014"), row=2,
         keep=lambda w: w.set("header", 1, UASC="1", DOB="31/03/2014")),
    Case("ssda903_custody_under_10",
         lambda w: w.set("header", 0, DOB="02/09/2014").set("episodes", E1, REASON_PLACE_CHANGE="CUSTOD"), row=2,
         year=2026),
    # 3.3 episode dates and continuity
    Case("ssda903_decom_not_a_date", lambda w: w.set("episodes", E3, DECOM="31/02/2024"), row=3),
    Case("ssda903_dec_not_a_date", lambda w: w.set("episodes", E3, DEC="2024-12-20"), row=3),
    Case("ssda903_dec_and_rec_together", lambda w: w.set("episodes", E3, REC=None), row=3),
    Case("ssda903_earlier_episode_not_ended", lambda w: w.set("episodes", E1, DEC=None, REC=None)),
    Case("ssda903_episode_before_1991",
         lambda w: w.set("episodes", E3, DECOM="13/10/1991").set("header", 1, DOB="01/01/1990"), row=3),
    Case("ssda903_episode_starts_after_year", lambda w: w.set("episodes", E3, DECOM="01/04/2025", DEC=None, REC=None),
         row=3, keep=lambda w: w.set("episodes", E3, DECOM="31/03/2025", DEC=None, REC=None)),
    Case("ssda903_episode_ends_after_year", lambda w: w.set("episodes", E3, DEC="01/04/2025"), row=3),
    Case("ssda903_episode_same_day", lambda w: w.set("episodes", E3, DEC="10/04/2024"), row=3),
    Case("ssda903_episode_ends_before_start", lambda w: w.set("episodes", E3, DEC="09/04/2024"), row=3),
    Case("ssda903_episodes_overlap", lambda w: w.set("episodes", E2, DECOM="31/08/2024"), row=2,
         keep=lambda w: w.set("episodes", E1, DEC="31/08/2024", REC="E4A").set("episodes", E2, RNE="S",
                                                                               DECOM="01/09/2024")),
    Case("ssda903_first_episode_not_new_period", lambda w: w.set("episodes", E3, RNE="P"), row=3),
    Case("ssda903_x1_continuity", lambda w: w.set("episodes", E3, REC="X1"), row=3),
    Case("ssda903_x1_continuity", lambda w: w.set("episodes", E1, REC="E4A")),
    Case("ssda903_new_period_overlaps", lambda w: w.set("episodes", E2, RNE="S"), row=2),
    Case("ssda903_after_leaving_care_not_new_period",
         lambda w: w.set("episodes", E1, DEC="01/08/2024", REC="E4A").set("episodes", E2, RNE="P"), row=2),
    Case("ssda903_continuation_not_same_day", lambda w: w.set("episodes", E2, DECOM="02/09/2024"), row=2),
    Case("ssda903_legal_status_change_only", lambda w: w.set("episodes", E2, RNE="L"), row=2),
    Case("ssda903_placement_change_only", lambda w: w.set("episodes", E2, LS="C1"), row=2),
    Case("ssda903_status_and_placement_change", lambda w: w.set("episodes", E2, RNE="B"), row=2,
         keep=lambda w: w.set("episodes", E2, RNE="B", LS="E1")),
    Case("ssda903_need_changed_within_period", lambda w: w.set("episodes", E2, CIN="N3"), row=2),
    # 3.4 end of care
    Case("ssda903_episode_after_death_or_adult", lambda w: w.set("episodes", E1, REC="E2")),
    Case("ssda903_episode_after_adoption",
         lambda w: w.set("episodes", E1, REC="E11", PLACE="A4").set("episodes", E2, RNE="S"), row=2),
    Case("ssda903_adoption_not_adoptive_placement", lambda w: w.set("episodes", E3, REC="E12"), row=3,
         keep=lambda w: w.set("episodes", E3, REC="E12", PLACE="A6", PLACE_PROVIDER="PR1")),
    Case("ssda903_sgo_to_foster_carer_not_fostered", lambda w: w.set("episodes", E3, REC="E45"), row=3),
    # 3.5 legal status
    Case("ssda903_legal_status_invalid", lambda w: w.set("episodes", E3, LS="V1"), row=3,
         keep=lambda w: w.set("episodes", E3, LS="v2")),
    Case("ssda903_freeing_order_after_2005", lambda w: w.set("episodes", E3, LS="D1"), row=3, year=2024),
    Case("ssda903_placement_order_before_2005",
         lambda w: w.set("episodes", E3, LS="E1", DECOM="30/11/2005").set("header", 1, DOB="01/01/2004"), row=3),
    Case("ssda903_freeing_order_open", lambda w: w.set("episodes", E3, LS="D1", DEC=None, REC=None), row=3, year=2024),
    Case("ssda903_police_protection_too_long", lambda w: w.set("episodes", E3, LS="L1", DEC="14/04/2024"), row=3,
         keep=lambda w: w.set("episodes", E3, LS="L1", DEC="13/04/2024")),
    Case("ssda903_police_protection_too_long",
         lambda w: w.set("episodes", E1, LS="L1", DECOM="29/08/2024").set("episodes", E2, LS="L1", DEC="02/09/2024",
                                                                          REC="E4A", RNE="P")),
    Case("ssda903_emergency_protection_too_long", lambda w: w.set("episodes", E3, LS="L2"), row=3),
    Case("ssda903_assessment_order_too_long", lambda w: w.set("episodes", E3, LS="L3"), row=3),
    Case("ssda903_pace_too_long", lambda w: w.set("episodes", E3, LS="J2"), row=3),
    Case("ssda903_short_break_too_long",
         lambda w: w.set("episodes", E3, LS="V3", DEC="28/04/2024", HOME_POST=None, PL_POST=None, URN=None,
                         PL_LA=None, PL_LOCATION=None, PL_DISTANCE=None), row=3,
         keep=lambda w: w.set("episodes", E3, LS="V3", DEC="27/04/2024")),
    Case("ssda903_short_break_not_new_period", lambda w: w.set("episodes", E2, LS="V3"), row=2),
    Case("ssda903_short_breaks_over_75_days",
         lambda w: w.set("episodes", E3, LS="V3", DEC="20/04/2024").add(
             "episodes", **episode(_row=4, CHILD="B2", DECOM="01/05/2024", DEC="17/07/2024", REC="E4A", RNE="S",
                                   LS="V3", CIN="N2", PLACE="K2", PLACE_PROVIDER="PR4")), row=3,
         keep=lambda w: w.set("episodes", E3, LS="V3", DEC="20/04/2024").add(
             "episodes", **episode(_row=4, CHILD="B2", DECOM="01/05/2024", DEC="05/07/2024", REC="E4A", RNE="S",
                                   LS="V3", CIN="N2", PLACE="K2", PLACE_PROVIDER="PR4"))),
    Case("ssda903_both_short_break_kinds",
         lambda w: w.set("episodes", E3, LS="V3", DEC="20/04/2024").add(
             "episodes", **episode(_row=4, CHILD="B2", DECOM="01/05/2024", DEC="10/05/2024", REC="E4A", RNE="S",
                                   LS="V4", CIN="N2", PLACE="K2", PLACE_PROVIDER="PR4")), row=3),
    Case("ssda903_with_parents_under_section_20", lambda w: w.set("episodes", E3, PLACE="P1"), row=3),
    Case("ssda903_short_break_temporary_placement", lambda w: w.set("episodes", E3, LS="V4", PLACE="T2"), row=3),
    Case("ssda903_short_break_long_term_foster", lambda w: w.set("episodes", E3, LS="V4", PLACE="U4"), row=3),
    Case("ssda903_adoption_placement_without_order", lambda w: w.set("episodes", E3, PLACE="A5"), row=3),
    # 3.6 placement type
    Case("ssda903_placement_invalid", lambda w: w.set("episodes", E3, PLACE="Z1"), row=3, year=2026,
         keep=lambda w: w.set("episodes", E3, PLACE="k3")),
    Case("ssda903_adoption_with_carer_reason",
         lambda w: w.set("episodes", E2, PLACE="A3", PLACE_PROVIDER="PR1", RNE="P"), row=2,
         keep=lambda w: w.set("episodes", E2, PLACE="A3", PLACE_PROVIDER="PR1", RNE="T")),
    Case("ssda903_independent_living_withdrawn",
         lambda w: w.set("episodes", E3, PLACE="P2", DEC="29/10/2023", DECOM="10/04/2023"), row=3, year=2024,
         keep=lambda w: w.set("episodes", E3, PLACE="P2", DEC="28/10/2023", DECOM="10/04/2023")),
    Case("ssda903_adoption_with_carer_not_after_foster",
         lambda w: w.set("episodes", E1, PLACE="K2").set("episodes", E2, PLACE="A5", LS="E1", RNE="U"), row=2),
    Case("ssda903_hospital_stay_too_long", lambda w: w.set("episodes", E3, PLACE="T1"), row=3),
    Case("ssda903_carer_holiday_too_long", lambda w: w.set("episodes", E3, PLACE="T3"), row=3),
    Case("ssda903_too_many_carer_holidays",
         lambda w: w.set("episodes", E3, PLACE="T3").add("episodes", **episode(_row=4, CHILD="B2", PLACE="T3"))
         .add("episodes", **episode(_row=5, CHILD="B2", PLACE="T3")), row=3),
    Case("ssda903_other_temporary_too_long", lambda w: w.set("episodes", E3, PLACE="T4", DEC="18/04/2024"), row=3,
         keep=lambda w: w.set("episodes", E3, PLACE="T4", DEC="17/04/2024")),
    Case("ssda903_temporary_opens_period", lambda w: w.set("episodes", E3, PLACE="T0"), row=3),
    Case("ssda903_care_ends_in_temporary", lambda w: w.set("episodes", E3, PLACE="T2"), row=3),
    Case("ssda903_no_return_after_temporary",
         lambda w: w.set("episodes", E2, PLACE="T1", DEC="05/09/2024", REC="X1").add(
             "episodes", **episode(_row=4, CHILD="A1", DECOM="05/09/2024", RNE="P", LS="C2", CIN="N1", PLACE="K2",
                                   PLACE_PROVIDER="PR4")), row=4,
         keep=lambda w: w.set("episodes", E2, PLACE="T1", DEC="05/09/2024", REC="X1").add(
             "episodes", **episode(_row=4, CHILD="A1", DECOM="05/09/2024", RNE="P", LS="C2", CIN="N1", PLACE="U4",
                                   PLACE_PROVIDER="PR4"))),
    Case("ssda903_placement_change_reason_invalid", lambda w: w.set("episodes", E1, REASON_PLACE_CHANGE="MOVED")),
    Case("ssda903_placement_change_without_reason", lambda w: w.set("episodes", E1, REASON_PLACE_CHANGE=None)),
    Case("ssda903_temporary_with_change_reason", lambda w: w.set("episodes", E2, PLACE="T1"), row=2),
    Case("ssda903_change_reason_on_open_episode", lambda w: w.set("episodes", E2, REASON_PLACE_CHANGE="CARPL"), row=2,
         year=2026),
    # 3.7 placement provider
    Case("ssda903_provider_invalid", lambda w: w.set("episodes", E3, PLACE_PROVIDER="PR6"), row=3),
    Case("ssda903_provider_for_temporary", lambda w: w.set("episodes", E3, PLACE="T4", DEC="12/04/2024"), row=3),
    Case("ssda903_provider_missing", lambda w: w.set("episodes", E3, PLACE_PROVIDER=None), row=3),
    Case("ssda903_pr1_placement_mismatch", lambda w: w.set("episodes", E3, PLACE="R2", PLACE_PROVIDER="PR1"), row=3),
    Case("ssda903_pr2_placement_mismatch", lambda w: w.set("episodes", E3, PLACE="R5", PLACE_PROVIDER="PR2"), row=3),
    Case("ssda903_pr3_placement_mismatch", lambda w: w.set("episodes", E3, PLACE_PROVIDER="PR3"), row=3,
         keep=lambda w: w.set("episodes", E3, PLACE="R3", PLACE_PROVIDER="PR3")),
    Case("ssda903_pr4_placement_mismatch", lambda w: w.set("episodes", E3, PLACE="P1", LS="C2"), row=3),
    Case("ssda903_pr5_placement_mismatch",
         lambda w: w.set("episodes", E3, PLACE="P1", LS="C2", PLACE_PROVIDER="PR5"), row=3),
    Case("ssda903_parents_provider_not_with_parents", lambda w: w.set("episodes", E3, PLACE_PROVIDER="PR0"), row=3),
    Case("ssda903_own_provision_outside_la", lambda w: w.set("episodes", E3, PLACE_PROVIDER="PR1"), row=3,
         la_code="E08000001", keep=lambda w: w.set("episodes", E3, PLACE_PROVIDER="PR1", PL_LA="E08000001")),
    # 3.8 URN and Ofsted's provider list
    Case("ssda903_urn_not_in_ofsted_list", lambda w: w.set("episodes", E3, URN="SC000000"), row=3,
         keep=lambda w: w.set("episodes", E3, URN="XXXXXXX")),
    Case("ssda903_placement_not_offered_by_provider", lambda w: w.set("episodes", E3, PLACE="K1"), row=3),
    Case("ssda903_provider_code_not_ofsted", lambda w: w.set("episodes", E2, PLACE_PROVIDER="PR2"), row=2,
         keep=lambda w: w.set("episodes", E2, PLACE_PROVIDER="PR5")),
    Case("ssda903_placement_postcode_not_provider", lambda w: w.set("episodes", E3, PL_POST="CD2 2BC"), row=3,
         keep=lambda w: w.set("episodes", E3, PL_POST="cd22bb")),
    Case("ssda903_episode_after_deregistration", lambda w: w.set("providers", 2, DEREG_DATE="10/04/2024"), row=3,
         keep=lambda w: w.set("providers", 2, DEREG_DATE="11/04/2024")),
    Case("ssda903_episode_ends_after_deregistration", lambda w: w.set("providers", 2, DEREG_DATE="19/12/2024"), row=3,
         keep=lambda w: w.set("providers", 2, DEREG_DATE="20/12/2024")),
    Case("ssda903_provider_la_mismatch", lambda w: w.set("providers", 0, LA="E08000009"), la_code="E08000001",
         keep=lambda w: w.set("providers", 1, LA="E08000001")),
    Case("ssda903_postcode_unknown", lambda w: w.set("episodes", E3, HOME_POST="ZZ9 9ZZ"), row=3,
         keep=lambda w: w.set("episodes", E3, HOME_POST="cd11aa")),
    Case("ssda903_urn_missing", lambda w: w.set("episodes", E3, URN=None), row=3,
         keep=lambda w: w.set("episodes", E3, URN=None, PL_LA="W06000015")),
    Case("ssda903_urn_not_expected", lambda w: w.set("episodes", E3, PLACE="R1"), row=3,
         keep=lambda w: w.set("episodes", E3, PLACE="R1", URN="XXXXXXX")),
    Case("ssda903_semi_independent_without_urn",
         lambda w: w.set("episodes", E3, PLACE="H5", URN="XXXXXXX", DECOM="10/04/2023", DEC="29/10/2023"), row=3,
         year=2024),
    Case("ssda903_short_break_with_placement_details",
         lambda w: w.set("episodes", E3, LS="V3", DEC="20/04/2024", HOME_POST=None), row=3),
    # 3.9 postcodes and location
    Case("ssda903_postcode_missing", lambda w: w.set("episodes", E3, HOME_POST=None), row=3,
         keep=lambda w: w.set("episodes", E3, HOME_POST=None).set("header", 1, UASC="1")),
    Case("ssda903_placed_at_home_postcode", lambda w: w.set("episodes", E3, PL_POST="cd11aa"), row=3),
    Case("ssda903_short_break_with_postcodes",
         lambda w: w.set("episodes", E3, LS="V4", PL_POST=None, URN=None, PL_LA=None, PL_LOCATION=None), row=3),
    Case("ssda903_placement_la_unknown", lambda w: w.set("episodes", E3, PL_LA=None), row=3),
    Case("ssda903_placement_location_unknown", lambda w: w.set("episodes", E3, PL_LOCATION=None), row=3),
    Case("ssda903_inside_la_but_other_la", lambda w: w.set("episodes", E3, PL_LOCATION="IN"), row=3,
         la_code="E08000001"),
    Case("ssda903_short_break_with_placement_la",
         lambda w: w.set("episodes", E3, LS="V3", DEC="20/04/2024", PL_POST=None, HOME_POST=None, URN=None,
                         PL_LOCATION=None, PL_DISTANCE=None), row=3),
    Case("ssda903_distance_missing", lambda w: w.set("episodes", E3, PL_DISTANCE=None), row=3),
    Case("ssda903_distance_out_of_range", lambda w: w.set("episodes", E3, PL_DISTANCE="1000.0"), row=3,
         keep=lambda w: w.set("episodes", E3, PL_DISTANCE="999.9")),
    Case("ssda903_distance_for_uasc", lambda w: w.set("header", 1, UASC="1"), row=3),
    Case("ssda903_distance_for_uasc", lambda w: w.set("header_last", 0, UASC="1")),
    Case("ssda903_distance_over_350", lambda w: w.set("episodes", E3, PL_DISTANCE="350.5"), row=3, year=2026,
         keep=lambda w: w.set("episodes", E3, PL_DISTANCE="999.9")),
    # 3.10 codes
    Case("ssda903_sex_invalid", lambda w: w.set("header", 1, SEX="1"), row=2, keep=lambda w: w.set("header", 1, SEX="m")),
    Case("ssda903_sex_unknown", lambda w: w.set("header", 1, SEX="U"), row=2),
    Case("ssda903_ethnicity_invalid", lambda w: w.set("header", 1, ETHNIC=None), row=2),
    Case("ssda903_uasc_flag_invalid", lambda w: w.set("header", 1, UASC="Y"), row=2),
    Case("ssda903_rne_invalid", lambda w: w.set("episodes", E3, RNE="X"), row=3),
    Case("ssda903_category_of_need_invalid", lambda w: w.set("episodes", E3, CIN="N9"), row=3),
    Case("ssda903_reason_ceased_invalid", lambda w: w.set("episodes", E3, REC="E4"), row=3),
    # 3.11 mothers
    Case("ssda903_mother_child_dob_not_a_date", lambda w: w.set("header", 0, MC_DOB="yesterday")),
    Case("ssda903_male_with_child_dob", lambda w: w.set("header", 1, MC_DOB="01/01/2024"), row=2),
    Case("ssda903_mother_blank", lambda w: w.set("header", 0, MOTHER=None)),
    Case("ssda903_mother_blank_on_leaving",
         lambda w: w.set("header", 1, SEX="F", MOTHER=None).set("episodes", E3, LS="V3", DEC="20/04/2024",
                                                                 HOME_POST=None, PL_POST=None, URN=None,
                                                                 PL_LA=None, PL_LOCATION=None, PL_DISTANCE=None)
         .add("episodes", **episode(_row=4, CHILD="B2", DECOM="01/05/2024", DEC="10/05/2024", REC="E4A", RNE="S",
                                    LS="V2", CIN="N2", PLACE="K2", PLACE_PROVIDER="PR4")), row=2),
    Case("ssda903_mother_without_child_dob", lambda w: w.set("header", 0, MOTHER="1")),
    Case("ssda903_child_dob_without_mother", lambda w: w.set("header", 0, MC_DOB="01/01/2024")),
    Case("ssda903_mother_under_11", lambda w: w.set("header", 0, MOTHER="1", MC_DOB="01/01/2024", DOB="02/04/2013")),
    Case("ssda903_child_born_before_mother", lambda w: w.set("header", 0, MOTHER="1", MC_DOB="01/06/2010")),
    Case("ssda903_child_born_after_care", lambda w: w.set("header", 1, SEX="F", MOTHER="1", MC_DOB="21/12/2024"),
         row=2, keep=lambda w: w.set("header", 1, SEX="F", MOTHER="1", MC_DOB="20/12/2024")),
    Case("ssda903_outcomes_without_episode", lambda w: w.add("oc2", _row=1, CHILD="Z9"), row=1),
    Case("ssda903_missing_without_episode", lambda w: w.add("missing", _row=4, CHILD="Z9"), row=4),
    # last year's return
    Case("ssda903_sex_changed", lambda w: w.set("header_last", 0, SEX="1"),
         keep=lambda w: w.set("header_last", 0, SEX="F")),
    Case("ssda903_dob_changed", lambda w: w.set("header_last", 0, DOB="02/06/2010")),
    Case("ssda903_ethnicity_changed", lambda w: w.set("header_last", 0, ETHNIC="WOTH")),
    Case("ssda903_upn_changed", lambda w: w.set("header_last", 0, UPN=upn("380123456788")),
         keep=lambda w: w.set("header_last", 0, UPN="UN3")),
    Case("ssda903_mother_changed", lambda w: w.set("header_last", 0, MOTHER="1", MC_DOB=None)),
    Case("ssda903_child_dob_changed",
         lambda w: w.set("header_last", 0, MC_DOB="01/01/2024").set("header", 0, MC_DOB="02/01/2024", MOTHER="1")),
    Case("ssda903_new_mother_child_born_earlier", lambda w: w.set("header", 0, MOTHER="1", MC_DOB="01/03/2024")),
    Case("ssda903_carried_episode_decom_changed", lambda w: w.set("episodes_last", 0, DECOM="02/02/2024")),
    Case("ssda903_carried_episode_rne_changed", lambda w: w.set("episodes_last", 0, RNE="P")),
    Case("ssda903_carried_episode_ls_changed", lambda w: w.set("episodes_last", 0, LS="C1")),
    Case("ssda903_carried_episode_cin_changed", lambda w: w.set("episodes_last", 0, CIN="N2")),
    Case("ssda903_carried_episode_place_changed", lambda w: w.set("episodes_last", 0, PLACE="U5")),
    Case("ssda903_carried_episode_place_provider_changed", lambda w: w.set("episodes_last", 0, PLACE_PROVIDER="PR2")),
    Case("ssda903_carried_episode_urn_changed", lambda w: w.set("episodes_last", 0, URN="SC999999")),
    Case("ssda903_carried_episode_distance_changed", lambda w: w.set("episodes_last", 0, PL_DISTANCE="2.7"),
         keep=lambda w: w.set("episodes_last", 0, PL_DISTANCE="2.6")),
    Case("ssda903_carried_episode_pl_la_changed", lambda w: w.set("episodes_last", 0, PL_LA="E08000009")),
    Case("ssda903_carried_episode_pl_location_changed", lambda w: w.set("episodes_last", 0, PL_LOCATION="OUT")),
    Case("ssda903_carried_episode_la_moved", lambda w: w.set("episodes_last", 0, PL_LA="E08000009")),
    Case("ssda903_carried_episode_distance_moved", lambda w: w.set("episodes_last", 0, PL_DISTANCE="3.5")),
    Case("ssda903_continuing_episode_missing_last_year",
         lambda w: w.set("episodes_last", 0, DECOM="01/01/2024"),
         keep=lambda w: w.set("episodes_last", 0, DECOM="01/01/2024").set("episodes", E1, DECOM="01/01/2024")),
    Case("ssda903_no_episodes_last_year", lambda w: w.set("episodes", E3, DECOM="10/03/2024"), row=3),
]


def _hits(problems: pl.DataFrame, rule: str) -> pl.DataFrame:
    return problems.filter(pl.col("rule") == rule)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_fires_on_the_breaking_record_only(case: Case) -> None:
    base = baseline()
    declared = DFE_RULES.get(case.rule)
    broken_world = case.breaks(base.copy())
    broken = _hits(_problems(broken_world, case.year, case.la_code, case.rule), case.rule)
    assert broken.height >= 1, f"{case.rule} did not fire"
    assert set(broken.get_column("dfe_rule")) == {declared.code}
    assert case.row in broken.get_column("row").to_list()
    table = broken_world.tables[declared.table]
    expected_children = {r.get("CHILD") for r in table if r.get("_row") == case.row}
    assert set(broken.filter(pl.col("row") == case.row).get_column("child_id")) <= expected_children
    if (case.year, case.la_code) != (2025, None):  # the default baseline is checked whole, once
        assert _hits(_problems(base, case.year, case.la_code, case.rule), case.rule).height == 0
    if case.keep is not None:
        assert _hits(_problems(case.keep(base.copy()), case.year, case.la_code, case.rule), case.rule).height == 0


def test_every_header_and_episode_rule_has_a_case() -> None:
    tested = {c.rule for c in CASES}
    declared = {r.name for r in DFE_RULES.values() if r.return_name == "903" and r.table in
                ("header", "episodes", "header_last", "episodes_last", "providers", "postcodes")}
    assert declared - tested == set()
