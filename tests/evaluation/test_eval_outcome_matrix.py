"""The outcome readiness matrix in a site view shows only what the site's own tables show; basis words."""

from __future__ import annotations

import polars as pl

from evaluation.plans import basis_detail, basis_word
from evaluation.site_view import safe_outcome_matrix

C = "[c]"


def _matrix() -> pl.DataFrame:
    base = {"toc_version": 1, "n_baseline_scored": None, "n_retained": None, "followup_retention": None,
            "gap": None, "outcome_level": None, "outcome_readiness": None}
    rows = [
        # O1 has two sources: PHQ-9 (its retention hidden in the site's tables) and a data item rated 2
        {"site_id": "fbs", "outcome_id": "O1", "source_kind": "measure", "reference": "phq9", "n_eligible": 40,
         "n_scored": 30, "baseline_completeness": 0.75, "months_to_target": 100.0, "level": 2,
         "readiness": "Needs work", "rule": "follow-up retention 40% < 50% (default)"},
        {"site_id": "fbs", "outcome_id": "O1", "source_kind": "site_data_item", "reference": "police",
         "n_eligible": None, "n_scored": None, "baseline_completeness": None, "months_to_target": None,
         "level": 2, "readiness": "Needs work", "rule": "held rating 2 of 4 < 3"},
        # O2: CSC involvement, months from the timeline
        {"site_id": "fbs", "outcome_id": "O2", "source_kind": "csc_outcome", "reference": "cp_plan",
         "n_eligible": None, "n_scored": None, "baseline_completeness": None, "months_to_target": 50.0,
         "level": 3, "readiness": "Ready now", "rule": "linkage feasible"},
    ]
    return pl.DataFrame([{**base, **r} for r in rows], infer_schema_length=None)


def _tables() -> dict[str, pl.DataFrame]:
    completeness = pl.DataFrame({
        "site_id": ["fbs", "fbs"], "measure": ["phq9", "phq9"], "timepoint": ["baseline", "followup"],
        "subgroup_type": ["all", "all"], "eligible": ["40", "20"], "scored": ["30", C],
        "completeness": ["0.75", C], "baseline_scored": [None, "12"], "retained": [None, C], "retention": [None, C],
    })
    timeline = pl.DataFrame({"site_id": ["fbs", "fbs"], "outcome": ["phq9", "csc_involvement"],
                             "months_to_target": [C, "48.5"]})
    return {"completeness": completeness, "timeline": timeline}


def test_figures_come_from_the_site_tables_and_a_level_on_a_hidden_rate_is_withheld():
    out = {(r["outcome_id"], r["reference"]): r for r in safe_outcome_matrix(_matrix(), _tables()).iter_rows(named=True)}
    phq9 = out[("O1", "phq9")]
    # counts and rates are the site's own completeness figures, months the site's timeline figure
    assert (phq9["n_eligible"], phq9["n_scored"], phq9["baseline_completeness"]) == ("40", "30", "0.75")
    assert (phq9["n_baseline_scored"], phq9["n_retained"], phq9["followup_retention"]) == ("12", C, C)
    assert phq9["months_to_target"] == C
    # "40% < 50%" would compare the hidden retention with a threshold: level, rule and gap go
    assert phq9["level"] is None and "%" not in phq9["rule"] and "withheld" in phq9["readiness"]
    # the data item's level 2 stays, but O1's level could be PHQ-9's: withheld for the outcome
    assert out[("O1", "police")]["level"] == 2 and out[("O1", "police")]["outcome_readiness"] == C
    csc = out[("O2", "cp_plan")]
    assert csc["months_to_target"] == "48.5" and csc["outcome_level"] == 3 and csc["outcome_readiness"] == "Ready now"


def test_basis_is_the_weakest_source_in_one_word():
    assert basis_word(["observed", "default", "observed"]) == "default"
    assert basis_word(["observed", "setting", "linkage_metrics", "estimated"]) == "setting"
    assert basis_word(["observed", "linkage_metrics", "estimated"]) == "estimated"
    assert basis_word(["observed", "linkage_metrics", None]) == "measured"
    detail = basis_detail({"referrals": "observed", "consent": "default", "family": "one respondent per family",
                           "family_size": "2.00 eligible people per family observed"})
    assert detail == "referrals observed; consent default (unverified placeholder); one respondent per family"
