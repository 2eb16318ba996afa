"""Validation of extract drops: read -> type -> check -> collect, rules declared as data.

Public API: :func:`validate_drop` (check a drop without loading it) and :func:`open_drop`, the
report types (:class:`ValidationReport`, :class:`Problem`, :class:`Outcome`), the rule catalogue
(:data:`RULES`), the declarations (:data:`SPECS`), and the registries a new rule, field type or file
kind is added to (:data:`FIELD_KINDS`, :data:`ROW_RULES`, :data:`FILE_KINDS`). The DfE rules of the
returns live in :mod:`warehouse.validation.dfe` and are run per file when installed.
"""

from __future__ import annotations

from warehouse.validation.checks import FIELD_KINDS, ROW_RULES, FieldCheck, FieldKind
from warehouse.validation.declarations import SPECS, TableSpec, get_spec, register_spec
from warehouse.validation.files import FILE_KINDS, CheckedFile, FileKind, check_file
from warehouse.validation.problems import RULES, Outcome, Problem, Rule, ValidationReport, outcome
from warehouse.validation.report import open_drop, validate_drop

__all__ = [
    "FIELD_KINDS",
    "FILE_KINDS",
    "ROW_RULES",
    "RULES",
    "SPECS",
    "CheckedFile",
    "FieldCheck",
    "FieldKind",
    "FileKind",
    "Outcome",
    "Problem",
    "Rule",
    "TableSpec",
    "ValidationReport",
    "check_file",
    "get_spec",
    "open_drop",
    "outcome",
    "register_spec",
    "validate_drop",
]
