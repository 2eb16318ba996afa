"""Generate ``docs/validation-rules.md`` from the declarations (``python -m warehouse.validation.docs``).

``--check`` exits 1 when the committed document differs from what the declarations give.
"""

from __future__ import annotations

import sys
from pathlib import Path

from warehouse.codelists import CODELISTS
from warehouse.validation.declarations import SPECS, DateOrder, OneOf, Paired, Unique
from warehouse.validation.problems import RULES

__all__ = ["DOC_PATH", "render", "main"]

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "validation-rules.md"


def _rule_text(r: object) -> str:
    if isinstance(r, DateOrder):
        tol = f" (tolerance {r.tolerance_days} days)" if r.tolerance_days else ""
        role = f", role {r.only_role} only" if r.only_role else ""
        return f"`{r.rule}`: {r.later} not before {r.earlier}{tol}{role}"
    if isinstance(r, Paired):
        return f"`{r.rule}`: {r.a} and {r.b} both present or both empty"
    if isinstance(r, OneOf):
        role = f" (role {r.only_role} only)" if r.only_role else ""
        return f"`{r.rule}`: exactly one of {r.a} and {r.b}{role}"
    if isinstance(r, Unique):
        return f"`{r.rule}`: ({', '.join(r.fields)}) unique within the file"
    return str(r)


def render() -> str:
    """The whole document as Markdown."""
    out = [
        "# Validation rules",
        "",
        "Generated from `warehouse/validation/declarations.py`, `warehouse/validation/problems.py` and",
        "`warehouse/codelists.py` by `python -m warehouse.validation.docs`. Do not edit by hand.",
        "",
        "Every problem names the file (relative to the drop), the 1-based data row (header excluded; for",
        "CIN XML the index of the `Child` element), the field and the rule. Identifier values are never",
        "printed. Every CSV also gets `duplicate_row` (an exact repeat of an earlier row) and `field_count`",
        "(a row whose field count differs from the header). Site files are read through the site adapter",
        "(`warehouse/adapters.py`): its encoding, delimiter and date format are verified, and its value",
        "labels are mapped to canonical codes before the code-list checks.",
        "",
        "CSV values may be quoted (`\"Smith, Jo\"`, with `\"\"` for a quote inside one), and a quoted value",
        "may hold line breaks (notes and addresses exported from Excel or a case system): rows are then",
        "numbered by record, as a spreadsheet shows them, with a blank line counted as a row and skipped.",
        "A quote that does not close within 50 lines is `unterminated_quote`: that line is rejected and",
        "reading resumes on the next one, so one stray quote never swallows the rest of the file.",
        "",
        "`linkready validate DIR [--json OUT]` reports problems without loading (exit 0 clean, 1 with",
        "errors; warnings do not fail). `linkready load DIR --db FILE [--json OUT]` loads the whole drop in",
        "one transaction: rows with an error go to `restricted.rejects` (file, row, field, rule, message",
        "and the original row), every other row loads. A file that cannot be read at all (file-scope",
        "error) is recorded as a `failed` batch and loads nothing. Re-loading a file with the same",
        "SHA-256 is a no-op; a changed file at the same path supersedes the earlier batch",
        "(`load_batches.status = 'superseded'`, the new batch's `supersedes` names it). Identifiers stay",
        "in schema `restricted`; analytic tables get HMAC-SHA256 person keys (secret outside the",
        "warehouse), birth years and age bands. `linkready purge --before DATE --db FILE` deletes",
        "restricted rows whose `retain_until` (extract date + retention) is before DATE and logs it in",
        "`restricted.purge_log`.",
        "",
        "## Rules",
        "",
        "| Rule | Scope | Severity | Defect kind | What it checks | How to fix |",
        "|---|---|---|---|---|---|",
    ]
    for r in RULES.values():
        out.append(f"| `{r.rule_id}` | {r.scope} | {r.severity} | {r.kind} | {r.description} | {r.hint} |")
    out += ["", "## Files and fields", ""]
    for name in sorted(SPECS):
        for spec in SPECS[name]:
            since = f" (from collection year {spec.first_year})" if spec.first_year else ""
            out += [f"### `{name}`{since}", "", spec.description, "",
                    f"Date format: `{spec.date_format}` unless the site adapter declares another.", "",
                    "| Field | Type | Required | Code list | Identifier | Future date allowed |",
                    "|---|---|---|---|---|---|"]
            for f in spec.fields:
                out.append(
                    f"| `{f.name}` | {f.type} | {'yes' if f.required else ''} | {f.codelist or ''} | "
                    f"{'yes' if f.identifier else ''} | {'yes' if f.future_ok else ''} |"
                )
            if spec.rules:
                out += ["", "Row rules:", ""]
                out += [f"- {_rule_text(r)}" for r in spec.rules]
            out.append("")
    out += ["## Code lists", "",
            "Year-versioned: a version applies from its first collection year (ending year; 2025 = 2024-25)",
            "until a later version replaces it. `la_code` for site files is the site's own LAs.", ""]
    for name in sorted(CODELISTS):
        for cl in CODELISTS[name]:
            since = f"from {cl.first_year}" if cl.first_year else "all years"
            out.append(f"- `{name}` ({since}; {cl.source}): {cl.description}. "
                       f"Codes: {', '.join(f'`{c}`' for c in sorted(cl.codes))}")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is stale; run: python -m warehouse.validation.docs", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
