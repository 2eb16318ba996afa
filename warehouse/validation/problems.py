"""Problems found in a drop, the rule catalogue they refer to, and the validation report.

Every rule a validator can raise is declared once in :data:`RULES` with the defect *kind* it
detects (the vocabulary of ``truth/defects.csv``), a description and a fix hint. Messages never
carry record values: they name the file, row, field and rule only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

__all__ = ["RULES", "Problem", "Rule", "Severity", "ValidationReport", "rule"]


@dataclass(frozen=True)
class Rule:
    """A validation rule: its id, the defect kind it detects, what it checks and how to fix it."""

    rule_id: str
    kind: str
    description: str
    hint: str
    severity: Severity = "error"
    scope: Literal["row", "file"] = "row"


RULES: dict[str, Rule] = {}


def _register(*rules: Rule) -> None:
    for r in rules:
        RULES[r.rule_id] = r


def rule(rule_id: str) -> Rule:
    """Return the declared rule with this id (KeyError for an undeclared id: a programming error)."""
    return RULES[rule_id]


_register(
    # --- row rules
    Rule("required", "missing_required", "A required field is empty.",
         "Fill in the field in the source system and re-export the file."),
    Rule("code_list", "invalid_code", "The value is not in the field's code list for the collection year.",
         "Use a code from the list in docs/validation-rules.md (codes are matched after trimming spaces)."),
    Rule("bad_date", "bad_format", "The value is not a date in the file's declared date format.",
         "Export dates in the declared format (see docs/extract-drop.md for each file)."),
    Rule("bad_integer", "bad_format", "The value is not a whole number.", "Export the field as a whole number."),
    Rule("nhs_number_check", "bad_check_digit",
         "The NHS number is not 10 digits with a valid modulus-11 check digit.",
         "Re-key the NHS number from the source record, or leave it empty if unknown."),
    Rule("upn_check", "bad_check_digit",
         "The UPN is not 13 characters with a valid mod-23 check letter.",
         "Re-key the UPN from the school record, or leave it empty and give a UPNunknown reason."),
    Rule("upn_la_code", "invalid_code", "UPN characters 2-4 are not a valid DfE LA code (CIN rule 1530).",
         "Check the UPN; characters 2-4 must be the issuing LA's DfE code."),
    Rule("future_date", "future_date", "The date is after the extract date (only expected birth dates may be).",
         "Correct the date; nothing but an expected date of birth can lie after the extract date."),
    Rule("date_order", "impossible_date", "Two dates are in an impossible order (e.g. an end before its start).",
         "Correct whichever of the two dates is wrong."),
    Rule("birth_before_referral", "impossible_date",
         "The referral is more than 40 weeks before the date of birth (CIN rule 8606).",
         "Correct the date of birth or the referral date."),
    Rule("birth_or_expected", "impossible_date",
         "A child needs exactly one of date of birth or expected date of birth (only unborn children have "
         "an expected date).",
         "Give the date of birth for a born child, or only the expected date for an unborn child."),
    Rule("paired_fields", "missing_required",
         "Two fields must both be present or both be empty (e.g. closure date and closure reason).",
         "Fill in the missing partner field or clear both."),
    Rule("duplicate_row", "duplicate_row", "The row repeats an earlier row of the same file exactly.",
         "Remove the repeated row; the first copy is kept."),
    Rule("duplicate_key", "duplicate_row", "The row's key repeats an earlier row's key in the same file.",
         "Give each record its own id, or merge the two records."),
    Rule("field_count", "shifted_columns",
         "The row has a different number of fields from the header (shifted or missing columns).",
         "Re-export the file; check for unquoted delimiters inside values."),
    Rule("item_value", "out_of_range", "An outcome item is not one of the measure's allowed item values.",
         "Re-enter the item from the questionnaire, or leave it empty if unanswered."),
    Rule("unknown_person", "orphan", "The record refers to a person id not found in the site's people file.",
         "Check the id, or include the person in the people file."),
    Rule("encoding", "bad_format", "The row's bytes are not valid in the file's declared encoding.",
         "Re-export the file in the encoding declared for it (see docs/extract-drop.md)."),
    Rule("unterminated_quote", "bad_format",
         "A quoted value opens but does not close within 50 lines; the row was not read.",
         "Close or remove the stray quote in the source system and export again."),
    Rule("line_too_long", "bad_format", "The row is longer than the maximum line length and was not read.",
         "Check the row in the source system; a line this long is almost always a corrupt export."),
    Rule("formula_text", "bad_format",
         "The value starts like a spreadsheet formula (=, +, -, @); it could run when the file is opened.",
         "Remove the leading character in the source system; names and postcodes never start with it."),
    Rule("mixed_script", "suspicious",
         "The value mixes Latin with Cyrillic or Greek letters (often look-alike characters).",
         "Check the value was typed in one alphabet; look-alike letters defeat linkage.", "warning"),
    Rule("xml_structure", "missing_required", "An XML element is missing, repeated or not well-formed.",
         "Check the element against the census year's XSD."),
    # --- file rules
    Rule("empty_file", "bad_file", "The file is empty (not even a header).", "Re-export the file.",
         scope="file"),
    Rule("header_only", "bad_file", "The file has a header but no data rows.",
         "Check that the export selected the right records.", "warning", "file"),
    Rule("not_text", "bad_file", "The file is binary, not delimited text or XML.",
         "Export the file as text (CSV or XML), not a spreadsheet or archive.", scope="file"),
    Rule("encoding_mismatch", "bad_file", "The file's encoding is not the one declared for it.",
         "Re-export in the declared encoding or correct the site adapter declaration.", scope="file"),
    Rule("delimiter_mismatch", "bad_file", "The file's delimiter is not the one declared for it.",
         "Re-export with the declared delimiter or correct the site adapter declaration.", scope="file"),
    Rule("date_format_mismatch", "bad_file", "The file's dates are in another format than the one declared.",
         "Re-export dates in the declared format or correct the site adapter declaration.", scope="file"),
    Rule("missing_columns", "bad_file", "Required columns are missing from the header.",
         "Re-export the file with every column listed in docs/extract-drop.md.", scope="file"),
    Rule("item_count", "bad_file", "The outcome file has more item columns than the measure has items.",
         "Check the file holds the measure (and version) it is named for.", scope="file"),
    Rule("xml_malformed", "bad_file", "The XML is not well-formed.",
         "Re-export the census file; it must be complete, well-formed XML.", scope="file"),
    Rule("missing_file", "bad_file", "A file listed in the manifest is not in the drop.",
         "Copy the file into the drop or regenerate the manifest.", scope="file"),
    Rule("manifest_hash", "bad_file", "The file's SHA-256 differs from the manifest's.",
         "If the file was corrected on purpose, update the manifest; otherwise re-copy it.", "warning", "file"),
    Rule("unknown_la", "bad_file", "The LA directory is not a known local authority code.",
         "Name LA directories by their DfE code (see docs/extract-drop.md).", scope="file"),
)


@dataclass(frozen=True)
class Problem:
    """One problem: where (file relative to the drop, 1-based data row, field) and which rule.

    ``row`` is ``None`` for a problem with the whole file; ``field`` is ``None`` for a row-level one.
    """

    file: str
    row: int | None
    field: str | None
    rule: str
    message: str
    hint: str
    severity: Severity = "error"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class ValidationReport:
    """Every problem found in a drop, with counts. ``errors`` counts error-severity problems."""

    root: str
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rows_checked: int = 0

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def counts(self) -> dict[tuple[str, str], int]:
        """Problem counts by (file, rule)."""
        return dict(Counter((p.file, p.rule) for p in self.problems))

    def to_dict(self) -> dict[str, object]:
        return {
            "root": self.root,
            "files": self.files,
            "rows_checked": self.rows_checked,
            "errors": self.errors,
            "warnings": self.warnings,
            "counts": [
                {"file": f, "rule": r, "count": n} for (f, r), n in sorted(self.counts().items())
            ],
            "problems": [
                {"file": p.file, "row": p.row, "field": p.field, "rule": p.rule, "message": p.message,
                 "hint": p.hint, "severity": p.severity}
                for p in self.problems
            ],
        }
