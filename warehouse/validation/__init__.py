"""Validation of extract drops: rules declared as data, per-format validators, parsers.

Public API: :func:`validate_drop` (check a drop without loading it), the report types
(:class:`ValidationReport`, :class:`Problem`), the rule catalogue (:data:`RULES`) and the
declarations (:data:`SPECS`).
"""

from __future__ import annotations

from warehouse.validation.declarations import SPECS, TableSpec, get_spec, register_spec
from warehouse.validation.problems import RULES, Problem, Rule, ValidationReport
from warehouse.validation.report import open_drop, validate_drop

__all__ = [
    "RULES",
    "SPECS",
    "Problem",
    "Rule",
    "TableSpec",
    "ValidationReport",
    "get_spec",
    "open_drop",
    "register_spec",
    "validate_drop",
]
