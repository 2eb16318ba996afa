"""Linkage feasibility: standardise -> block -> compare -> classify -> assign/cluster -> evaluate.

Public API: :func:`run_feasibility` (the warehouse: every site against its local authorities,
under every identifier-sharing scenario), :func:`link_files` (any two CSV files), :func:`link`
(two standardised frames), :func:`standardise`, :func:`explain_pair` and the settings.
"""

from linkage.evaluate import site_facing
from linkage.explain import explain_pair
from linkage.feasibility import FeasibilityReport, run_feasibility
from linkage.files import FileLinkReport, link_files
from linkage.intervals import wilson
from linkage.pipeline import LinkResult, link
from linkage.review import draw_review_sample, load_labels, review_sample_size
from linkage.settings import LinkageSettings, load_settings
from linkage.standardise import standardise

__all__ = [
    "FeasibilityReport", "FileLinkReport", "LinkResult", "LinkageSettings", "draw_review_sample", "explain_pair",
    "link", "link_files", "load_labels", "load_settings", "review_sample_size", "run_feasibility", "site_facing",
    "standardise", "wilson",
]
