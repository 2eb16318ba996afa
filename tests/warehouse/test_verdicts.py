"""The verdict words' one home (issue 12): every package that says a verdict reads the same words."""

from __future__ import annotations

from warehouse.verdicts import VERDICT_LABELS


def test_every_verdict_code_has_words() -> None:
    assert list(VERDICT_LABELS) == ["feasible", "feasible_with_conditions", "not_feasible", "review_sample", "unknown"]
    assert VERDICT_LABELS["review_sample"] == "unknown: review a sample"


def test_evaluation_says_verdicts_in_the_homes_words() -> None:
    # evaluation decides verdicts; its words must be the home's, code for code and in order, so that
    # importing them from the home instead changes nothing
    from evaluation.verdicts import VERDICT_LABELS as EVALUATION_WORDS

    assert list(EVALUATION_WORDS.items()) == list(VERDICT_LABELS.items())


def test_the_dashboard_and_the_readiness_matrix_read_the_home() -> None:
    from dashboard.labels import plain
    from synthesis.outcome_readiness import _linked_verdict

    assert plain("verdict", "review_sample") == "Unknown: review a sample"
    assert plain("verdict", "feasible_with_conditions") == "Feasible with conditions"
    figures = type("F", (), {"linkage": {"fbs": {"verdict": "feasible_with_conditions", "scenario": "names_dob",
                                                 "recall": 0.9, "recall_low": 0.85, "recall_high": 0.95,
                                                 "recall_basis": "measured"}}})()
    rule = _linked_verdict("fbs", "csc_involvement", figures, None).rule  # type: ignore[arg-type]
    assert rule.startswith("linkage feasible with conditions with scenario names_dob")
