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


def _intro() -> list[str]:
    # One literal page of prose (the generated document's introduction): longer than a stage, not one.
    return [
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
        "`linkready validate DIR [--json OUT]` reports problems without loading. `linkready load DIR --db",
        "FILE [--json OUT]` loads the whole drop in one transaction. Both exit 0 when nothing needs action",
        "(queries, including DfE queries, are reported but never fail), 1 when an error was flagged or a",
        "file was refused or quarantined, 2 on a usage error; the JSON gives `exit_code`, `needs_action`",
        "and `reasons`, and every problem carries `rule`, `dfe_rule` (the DfE's code, or null), `severity`",
        "(`error` / `query`), `child_id` (the record's own key: LAchildID, CHILD or the site's id) and",
        "`field`.",
        "",
        "**Every row that can be stored is kept.** A rule's *effect* says what happens to the row it is",
        "found on: `withhold` (the value is withheld: null in the analytic zone and for linkage, the row",
        "is kept), `report` (recorded; values and row kept) or `refuse` (the row cannot be stored). A",
        "row is refused only when it cannot be stored at all: a field of its table's *key* (below) is",
        "missing or withheld, the key repeats an earlier row's, or the row could not be read. A CIN",
        "child refused takes its episodes with it; a CIN episode without a usable referral date takes",
        "its plans. Every row-level problem is recorded in `restricted.rejects` with the original row,",
        "`row_kept`, `severity`, `dfe_rule` and `child_id`.",
        "",
        "**Real files.** A manifest is optional: CIN census XML and SSDA903 or identifier CSVs are",
        "recognised by content (any encoding the XML's BOM or declaration gives, default or prefixed",
        "namespaces; CSV headers in any case). The LA comes from a folder named by its 3-digit DfE code,",
        "`--la` or the CIN header's `LEA` (a disagreement is a query), the collection year from the CIN",
        "header's `ReferenceDate` or `--year`. Any English LA code loads (LAs outside the study get site",
        "`none`). Codes match in any case and are normalised (`code_case`, one query per field); a file",
        "whose dates are in another format than the return's is read in that format (`date_format_detected`,",
        "one query per file); a year before 1900 or given with two digits is withheld per field",
        "(`date_year`).",
        "",
        "**Re-deliveries never lose data.** Batches are keyed by kind, LA or site and, for the CIN census",
        "and SSDA903, the collection year (years accumulate). A changed file replaces the current batch of",
        "its key only when it is well-formed and stores at least 90% of its rows and keeps at least 90% of",
        "the current batch's children (`--min-rows-kept`, `--min-children-kept`); otherwise it is",
        "`quarantined` and the current batch stays. Replaced and quarantined rows move to the `archive`",
        "schema: `linkready batches --db FILE` lists the history, `linkready restore BATCH --db FILE` makes",
        "a batch current again. A file that cannot be read at all is a `failed` batch and loads nothing;",
        "a file read only in part (truncated XML) is quarantined. Identifiers stay in schema `restricted`",
        "(and `archive`); analytic tables get HMAC-SHA256 person keys (secret outside the warehouse), birth",
        "years and age bands. `linkready purge --before DATE --db FILE` deletes restricted and archived",
        "identifier rows whose `retain_until` (extract date + retention) is before DATE and logs it in",
        "`restricted.purge_log`.",
        "",
    ]


def _rules() -> list[str]:
    out = [
        "## Rules",
        "",
        "| Rule | Scope | Severity | Effect | Defect kind | What it checks | How to fix |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in RULES.values():
        effect = r.effect if r.scope == "row" else "file"
        out.append(f"| `{r.rule_id}` | {r.scope} | {r.severity} | {effect} | {r.kind} | {r.description} | {r.hint} |")
    return out


def _files() -> list[str]:
    out: list[str] = []
    out += ["", "## Files and fields", ""]
    for name in sorted(SPECS):
        for spec in SPECS[name]:
            since = f" (from collection year {spec.first_year})" if spec.first_year else ""
            key = f"Key (a row without it cannot be stored): {', '.join(f'`{k}`' for k in spec.key)}." \
                if spec.key else "No key: a row is refused only with its parent."
            out += [f"### `{name}`{since}", "", spec.description, "",
                    f"Date format: `{spec.date_format}` unless the site adapter declares another. {key}", "",
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
    return out


def _codelists() -> list[str]:
    out: list[str] = []
    out += ["## Code lists", "",
            "Year-versioned: a version applies from its first collection year (ending year; 2025 = 2024-25)",
            "until a later version replaces it. `la_code` for site files is the site's own LAs.", ""]
    for name in sorted(CODELISTS):
        for cl in CODELISTS[name]:
            since = f"from {cl.first_year}" if cl.first_year else "all years"
            out.append(f"- `{name}` ({since}; {cl.source}): {cl.description}. "
                       f"Codes: {', '.join(f'`{c}`' for c in sorted(cl.codes))}")
    out.append("")
    return out


def render() -> str:
    """The whole document as Markdown."""
    return "\n".join([*_intro(), *_rules(), *_files(), *_codelists(), *_dfe_section()])


def _dfe_section() -> list[str]:
    """The DfE rules of the returns, each with its DfE code (from :mod:`warehouse.validation.dfe`)."""
    try:
        from warehouse.validation.dfe import rules_markdown  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return []
    text: str = rules_markdown()
    return ["## DfE rules of the CIN census and SSDA903", "", text.rstrip(), ""]


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
