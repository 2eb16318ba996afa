"""Linkage feasibility: standardise -> block -> compare -> classify -> assign/cluster -> evaluate.

Public API: :func:`run_feasibility` (the warehouse: every site against its local authorities,
under every identifier-sharing scenario), :func:`link_files` (any two CSV files), :func:`link`
(two standardised frames), :func:`standardise`, :func:`explain_pair` and the settings.
"""

from linkage.bloom import BloomSettings, key_file_warning, new_key_file, read_key_file, settings_from_mapping
from linkage.comparisons import DIFFERENT
from linkage.encoded import link_encoded, link_encoded_frames
from linkage.evaluate import site_facing
from linkage.explain import explain_pair
from linkage.feasibility import FeasibilityReport, run_feasibility
from linkage.files import EncodeOptions, FileLinkReport, encode_file, link_files
from linkage.intervals import wilson
from linkage.pipeline import LinkResult, link
from linkage.review import draw_review_sample, load_labels, review_sample_size
from linkage.settings import LinkageSettings, load_settings
from linkage.standardise import standardise

__all__ = [
    "DIFFERENT", "BloomSettings", "EncodeOptions", "encode_file", "key_file_warning", "link_encoded", "link_encoded_frames",
    "new_key_file", "read_key_file", "settings_from_mapping",
    "FeasibilityReport", "FileLinkReport", "LinkResult", "LinkageSettings", "draw_review_sample", "explain_pair",
    "link", "link_files", "load_labels", "load_settings", "review_sample_size", "run_feasibility", "site_facing",
    "standardise", "wilson",
]
