"""evaluation: outcome scoring, completeness, power and sample-size timelines, readiness per site.

Depends only on ``warehouse``. ``compute_and_store`` writes the ``readiness_*`` tables the
dashboard reads; the power, projection and suppression functions are pure and may be called by
the dashboard directly.
"""

from evaluation.completeness import CHANGE_LABEL, change_table, completeness_table, score_measurements
from evaluation.disclosure import SUPPRESSED, suppress_small_counts
from evaluation.power import SampleSizeTarget, design_effect, n_per_arm, required_sample, ttest_ind_power
from evaluation.readiness import (
    CSC_OUTCOME,
    POOLED,
    ReadinessInputs,
    ReadinessReport,
    compute,
    compute_and_store,
    linkage_verdict,
    load_inputs,
    load_report,
)
from evaluation.settings import DESIGNS, DesignSettings, ReadinessSettings
from evaluation.timeline import Projection, Step, funnel_rows, monthly_referrals, project

__all__ = [
    "CHANGE_LABEL", "CSC_OUTCOME", "DESIGNS", "POOLED", "SUPPRESSED", "DesignSettings", "Projection",
    "ReadinessInputs", "ReadinessReport", "ReadinessSettings", "SampleSizeTarget", "Step", "change_table",
    "completeness_table", "compute", "compute_and_store", "design_effect", "funnel_rows", "linkage_verdict",
    "load_inputs", "load_report", "monthly_referrals", "n_per_arm", "project", "required_sample",
    "score_measurements", "suppress_small_counts", "ttest_ind_power",
]
