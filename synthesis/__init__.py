"""Focus-group synthesis: codebooks, coded segments, themes, REFI-QDA exchange, matrices, acceptability, theory
of change exchange and outcome readiness (depends on warehouse)."""

from synthesis.acceptability import acceptability_codebook, acceptability_matrix, write_acceptability_qdc
from synthesis.admin import rate_from_admin
from synthesis.agreement import cohen_kappa, krippendorff_alpha, percent_agreement
from synthesis.catalogue import DATA_ITEMS, DIMENSIONS, RATING_SCALE, RESEARCH_QUESTIONS
from synthesis.exchange import export_qdpx, import_file
from synthesis.inert import write_csv_frame, write_csv_rows, write_xlsx_sheet
from synthesis.outcome_readiness import ReadinessRules, outcome_readiness
from synthesis.outputs import (
    availability_evidence,
    availability_matrix,
    code_by_case,
    code_frequency_by_site,
    cooccurrence,
    framework_matrix,
    intercoder_agreement,
    maturity_profile,
    quotes,
    triangulation_matrix,
)
from synthesis.projects import ImportReport
from synthesis.pseudonymise import Identifier, Pseudonymiser, check, scan
from synthesis.pseudonymise import describe as describe_identifiers
from synthesis.report import write_report, write_table
from synthesis.toc import diagram_elements, export_toc, import_toc, read_toc, render_toc, write_toc

__all__ = [
    "DATA_ITEMS", "DIMENSIONS", "RATING_SCALE", "RESEARCH_QUESTIONS", "Identifier", "ImportReport", "Pseudonymiser",
    "availability_evidence", "availability_matrix", "check", "code_by_case", "code_frequency_by_site", "cohen_kappa",
    "cooccurrence", "export_qdpx", "framework_matrix", "import_file", "intercoder_agreement", "krippendorff_alpha",
    "maturity_profile", "percent_agreement", "quotes", "rate_from_admin", "scan", "triangulation_matrix", "write_report",
    "describe_identifiers", "write_csv_frame", "write_csv_rows", "write_xlsx_sheet",
    "diagram_elements", "export_toc", "import_toc", "read_toc", "render_toc", "write_toc",
    "ReadinessRules", "acceptability_codebook", "acceptability_matrix", "outcome_readiness", "write_acceptability_qdc",
    "write_table",
]
