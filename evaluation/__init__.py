"""evaluation: outcome scoring, completeness, power and sample-size timelines, readiness per site.

Depends only on ``warehouse``. ``compute_and_store`` writes the ``readiness_*`` tables the
dashboard reads; the power, projection, verdict and disclosure-view functions are pure and may be
called by the dashboard directly (:func:`site_tables` for a site user's view of a report,
:func:`safe_outcome_matrix` for a site user's view of the theory-of-change outcome matrix beside it,
:func:`safe_cumulative_timeline` for cumulative charts and downloads).
"""

from evaluation.completeness import CHANGE_LABEL, change_table, completeness_table, score_measurements
from evaluation.cumulative import safe_cumulative_timeline
from evaluation.plans import CSC_OUTCOME, ReadinessInputs, best_linkage, load_inputs
from evaluation.power import SampleSizeTarget, design_effect, n_per_arm, required_sample, ttest_ind_power
from evaluation.readiness import FUNNEL_LABEL, POOLED, ReadinessReport, compute
from evaluation.render import to_json, to_markdown, write_xlsx
from evaluation.settings import DESIGNS, AsqSettings, DesignSettings, ReadinessSettings, VerdictSettings
from evaluation.site_view import safe_outcome_matrix, site_tables
from evaluation.storage import compute_and_store, load_report
from evaluation.summary import PRIMARY_RULE, safe_completeness
from evaluation.timeline import Projection, Step, funnel_rows, monthly_referrals, project, years
from evaluation.verdicts import (
    VERDICT_LABELS,
    Verdict,
    judge,
    linkage_verdict,
    recall_figure,
    review_sample_size,
)

__all__ = [
    "CHANGE_LABEL", "CSC_OUTCOME", "DESIGNS", "FUNNEL_LABEL", "POOLED", "PRIMARY_RULE", "VERDICT_LABELS",
    "AsqSettings", "DesignSettings", "Projection", "ReadinessInputs", "ReadinessReport", "ReadinessSettings",
    "SampleSizeTarget", "Step", "Verdict", "VerdictSettings", "best_linkage", "change_table", "completeness_table",
    "compute", "compute_and_store", "design_effect", "funnel_rows", "judge", "linkage_verdict", "load_inputs",
    "load_report", "monthly_referrals", "n_per_arm", "project", "recall_figure", "required_sample",
    "review_sample_size", "safe_completeness", "safe_outcome_matrix", "safe_cumulative_timeline", "score_measurements", "site_tables",
    "to_json", "to_markdown", "ttest_ind_power", "write_xlsx", "years",
]
