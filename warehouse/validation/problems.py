"""Problems found in a drop, the rule catalogue they refer to, and the validation report.

Every rule a validator can raise is declared once in :data:`RULES` with the defect *kind* it
detects (the vocabulary of ``truth/defects.csv``), a description and a fix hint. Messages never
carry record values: they name the file, row, field and rule only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Literal

#: ``error``: something must be fixed (a load with one exits 1); ``query``: worth a look, never fails a run
#: (DfE's word for a rule that asks the LA to confirm a value).
Severity = Literal["error", "query"]

#: What happens to the row a problem is found on (:attr:`Rule.effect`):
#: ``refuse`` the row cannot be stored (no or malformed key, unreadable structure);
#: ``withhold`` the value is withheld from the analytic zone and linkage, the row is kept;
#: ``report`` the problem is recorded, values and row are kept (cross-field consistency, queries).
Effect = Literal["refuse", "withhold", "report"]

__all__ = ["RULES", "Effect", "Outcome", "Problem", "Rule", "Severity", "ValidationReport", "outcome", "rule"]


@dataclass(frozen=True)
class Rule:
    """A validation rule: its id, the defect kind it detects, what it checks and how to fix it."""

    rule_id: str
    kind: str
    description: str
    hint: str
    severity: Severity = "error"
    scope: Literal["row", "file"] = "row"
    effect: Effect = "report"


RULES: dict[str, Rule] = {}


def _register(*rules: Rule) -> None:
    for r in rules:
        RULES[r.rule_id] = r


def rule(rule_id: str) -> Rule:
    """Return the declared rule with this id (KeyError for an undeclared id: a programming error)."""
    return RULES[rule_id]


_W: Effect = "withhold"
_R: Effect = "refuse"

_register(
    # --- field rules: the value is withheld (analytic zone, linkage), the row is kept; on a key field the
    # row cannot be stored and is refused (TableSpec.key)
    Rule("required", "missing_required", "A required field is empty.",
         "Fill in the field in the source system and re-export the file.", effect=_W),
    Rule("code_list", "invalid_code", "The value is not in the field's code list for the collection year.",
         "Use a code from the list in docs/validation-rules.md (codes are matched after trimming spaces, "
         "in any case).", effect=_W),
    Rule("bad_date", "bad_format", "The value is not a date in the file's date format.",
         "Export dates in the return's format (see docs/extract-drop.md for each file).", effect=_W),
    Rule("date_year", "bad_format",
         "The date's year is before 1900 or was given with two digits (ambiguous: 05 may be 1905 or 2005).",
         "Export the date with a four-digit year; a placeholder date (e.g. 1066-01-01) should be left empty.",
         effect=_W),
    Rule("bad_integer", "bad_format", "The value is not a whole number.", "Export the field as a whole number.",
         effect=_W),
    Rule("nhs_number_check", "bad_check_digit",
         "The NHS number is not 10 digits with a valid modulus-11 check digit.",
         "Re-key the NHS number from the source record, or leave it empty if unknown.", effect=_W),
    Rule("upn_check", "bad_check_digit",
         "The UPN is not 13 characters with a valid mod-23 check letter.",
         "Re-key the UPN from the school record, or leave it empty and give a UPNunknown reason.", effect=_W),
    Rule("upn_la_code", "invalid_code", "UPN characters 2-4 are not a valid DfE LA code (CIN rule 1530).",
         "Check the UPN; characters 2-4 must be the issuing LA's DfE code.", effect=_W),
    Rule("future_date", "future_date", "The date is after the extract date (only expected birth dates may be).",
         "Correct the date; nothing but an expected date of birth can lie after the extract date.", effect=_W),
    Rule("formula_text", "bad_format",
         "The value starts like a spreadsheet formula (=, +, -, @); it could run when the file is opened.",
         "Remove the leading character in the source system; names and postcodes never start with it.",
         effect=_W),
    Rule("item_value", "out_of_range", "An outcome item is not one of the measure's allowed item values.",
         "Re-enter the item from the questionnaire, or leave it empty if unanswered.", effect=_W),
    # --- consistency rules: recorded, values kept (each value is valid on its own)
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
    Rule("unknown_person", "orphan", "The record refers to a person id not found in the site's people file.",
         "Check the id, or include the person in the people file."),
    Rule("mixed_script", "suspicious",
         "The value mixes Latin with Cyrillic or Greek letters (often look-alike characters).",
         "Check the value was typed in one alphabet; look-alike letters defeat linkage.", "query"),
    Rule("dfe_rule", "dfe_rule", "A DfE validation rule of the return (see dfe_rule for its code).",
         "See the DfE rule's wording in docs/validation-rules.md and correct the record in the case system."),
    # --- record rules: the row cannot be stored
    Rule("duplicate_row", "duplicate_row", "The row repeats an earlier row of the same file exactly.",
         "Remove the repeated row; the first copy is kept.", effect=_R),
    Rule("duplicate_key", "duplicate_row", "The row's key repeats an earlier row's key in the same file.",
         "Give each record its own id, or merge the two records.", effect=_R),
    Rule("field_count", "shifted_columns",
         "The row has a different number of fields from the header (shifted or missing columns).",
         "Re-export the file; check for unquoted delimiters inside values.", effect=_R),
    Rule("encoding", "bad_format", "The row's bytes are not valid in the file's encoding.",
         "Re-export the file in the encoding declared for it (see docs/extract-drop.md).", effect=_R),
    Rule("unterminated_quote", "bad_format",
         "A quoted value opens but does not close within 50 lines; the row was not read.",
         "Close or remove the stray quote in the source system and export again.", effect=_R),
    Rule("line_too_long", "bad_format", "The row is longer than the maximum line length and was not read.",
         "Check the row in the source system; a line this long is almost always a corrupt export.", effect=_R),
    Rule("xml_structure", "missing_required", "An XML element is missing, repeated or not well-formed.",
         "Check the element against the census year's XSD."),
    # --- file rules
    Rule("empty_file", "bad_file", "The file is empty (not even a header).", "Re-export the file.",
         scope="file"),
    Rule("header_only", "bad_file", "The file has a header but no data rows.",
         "Check that the export selected the right records.", "query", "file"),
    Rule("not_text", "bad_file", "The file is binary, not delimited text or XML.",
         "Export the file as text (CSV or XML), not a spreadsheet or archive.", scope="file"),
    Rule("encoding_mismatch", "bad_file", "The file's encoding is not the one declared for it.",
         "Re-export in the declared encoding or correct the layout's declaration.", scope="file"),
    Rule("delimiter_mismatch", "bad_file", "The file's delimiter is not the one declared for it.",
         "Re-export with the declared delimiter or correct the layout's declaration.", scope="file"),
    Rule("date_format_mismatch", "bad_file", "The file's dates are in another format than the one declared.",
         "Re-export dates in the declared format or correct the layout's declaration.", scope="file"),
    Rule("date_format_detected", "bad_format",
         "The file's dates are in another format than the return's; they were read in the format they are in.",
         "Nothing is lost; ask for the return's date format next time (see docs/extract-drop.md).", "query",
         "file"),
    Rule("code_case", "bad_format",
         "Codes were given in lower case or with padding; they were matched case-insensitively and normalised.",
         "Nothing is lost; the next export can use the DfE's upper-case codes.", "query", "file"),
    Rule("missing_columns", "bad_file", "Required columns are missing from the header.",
         "Re-export the file with every column listed in docs/extract-drop.md.", scope="file"),
    Rule("item_count", "bad_file", "The outcome file has more item columns than the measure has items.",
         "Check the file holds the measure (and version) it is named for.", scope="file"),
    Rule("xml_malformed", "bad_file", "The XML is not well-formed (e.g. a truncated file).",
         "Re-export the census file; it must be complete, well-formed XML.", scope="file"),
    Rule("missing_file", "bad_file", "A file listed in the manifest is not in the drop.",
         "Copy the file into the drop or regenerate the manifest.", scope="file"),
    Rule("manifest_hash", "bad_file", "The file's SHA-256 differs from the manifest's.",
         "If the file was corrected on purpose, update the manifest; otherwise re-copy it.", "query", "file"),
    Rule("unknown_la", "bad_file", "The LA code is not an English local authority code in the DfE list.",
         "Name LA folders by their 3-digit DfE code (see docs/extract-drop.md), or check the header's LEA.",
         "query", "file"),
    Rule("la_disagrees", "bad_file", "The LA code of the folder and the file's own LEA disagree.",
         "Check which LA the file belongs to; it was loaded under the folder's code.", "query", "file"),
    Rule("no_la", "bad_file", "The file's local authority is not known (no LA folder, no LEA in the file).",
         "Put the file in a folder named by the LA's 3-digit DfE code, or pass --la.", scope="file"),
    Rule("no_year", "bad_file", "The file's collection year is not known (no manifest, no CIN header).",
         "Pass --year (e.g. --year 2025 for 2024-25), or deliver the CIN census with it.", scope="file"),
    Rule("year_disagrees", "bad_file", "The file's collection year disagrees with the drop's.",
         "Check the file is the return of the year it is delivered for.", "query", "file"),
    Rule("unrecognised_file", "bad_file",
         "The file is not one linkready reads (no CIN census, SSDA903 or identifier columns); it was not loaded.",
         "Check the file's header; SSDA903 tables need their DfE column names (CHILD, DECOM, ...).", "query",
         "file"),
    Rule("quarantined", "bad_file",
         "The re-delivered file was not allowed to replace the current batch (see the reason); it is kept in "
         "quarantine and the current batch stays.",
         "Check the file; if it is right, make it current with `linkready restore BATCH --db FILE`.",
         scope="file"),
)


@dataclass(frozen=True)
class Problem:
    """One problem: where (file relative to the drop, 1-based data row, field) and which rule.

    ``row`` is ``None`` for a problem with the whole file; ``field`` is ``None`` for a row-level one.
    ``rule`` is linkready's rule id (:data:`RULES`); ``dfe_rule`` the DfE's code for it (``"8555Q"``,
    ``"501"``) or ``None`` when the DfE has none. ``child_id`` is the record's own key (CIN LAchildID,
    SSDA903 CHILD, a site's record id): a case-system id, shown so the record can be found, never a
    name, date of birth or national number. ``severity`` is ``error`` (needs action) or ``query``.
    """

    file: str
    row: int | None
    field: str | None
    rule: str
    message: str
    hint: str
    severity: Severity = "error"
    dfe_rule: str | None = None
    child_id: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Outcome:
    """What a validate or load run means for a script: exit code 0 (nothing needs action) or 1, and why.

    DfE queries alone are reported but never fail a run; any error, and any file refused or quarantined,
    does. (Exit code 2, a usage error, is the command line's.)
    """

    exit_code: int
    reasons: tuple[str, ...]

    @property
    def needs_action(self) -> bool:
        return self.exit_code != 0

    def to_dict(self) -> dict[str, object]:
        return {"exit_code": self.exit_code, "needs_action": self.needs_action, "reasons": list(self.reasons)}


def outcome(problems: list[Problem], refused: int = 0, quarantined: int = 0) -> Outcome:
    """The :class:`Outcome` of a run with these problems and file counts."""
    errors = sum(1 for p in problems if p.severity == "error")
    reasons = []
    if errors:
        reasons.append(f"{errors} error(s) flagged")
    if refused:
        reasons.append(f"{refused} file(s) refused (nothing loaded from them)")
    if quarantined:
        reasons.append(f"{quarantined} file(s) quarantined (the current batch was kept)")
    return Outcome(1 if reasons else 0, tuple(reasons))


@dataclass
class ValidationReport:
    """Every problem found in a drop, with counts. ``errors`` counts error-severity problems."""

    root: str
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rows_checked: int = 0
    refused_files: int = 0

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def queries(self) -> int:
        return sum(1 for p in self.problems if p.severity == "query")

    @property
    def ok(self) -> bool:
        return self.errors == 0

    @property
    def outcome(self) -> Outcome:
        return outcome(self.problems, refused=self.refused_files)

    def counts(self) -> dict[tuple[str, str], int]:
        """Problem counts by (file, rule)."""
        return dict(Counter((p.file, p.rule) for p in self.problems))

    def to_dict(self) -> dict[str, object]:
        return {
            "root": self.root,
            "files": self.files,
            "rows_checked": self.rows_checked,
            "errors": self.errors,
            "queries": self.queries,
            **self.outcome.to_dict(),
            "counts": [
                {"file": f, "rule": r, "count": n} for (f, r), n in sorted(self.counts().items())
            ],
            "problems": [p.to_dict() for p in self.problems],
        }
