"""The generated rule table for ``docs/validation-rules.md``: every DfE rule with its DfE code."""

from __future__ import annotations

from warehouse.validation.dfe.catalogue import coverage, not_implemented
from warehouse.validation.dfe.rule import DFE_RULES, DfeRule

__all__ = ["rules_markdown"]

_RETURN_LABEL = {"cin": "CIN census", "903": "SSDA903"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(rule: DfeRule) -> str:
    severity = rule.severity if rule.severity_basis == "dfe" else f"{rule.severity} (assumed)"
    fields = ", ".join(rule.reads)
    scope = " (whole return)" if rule.level == "la" else ""
    return (f"| {rule.code} | {_RETURN_LABEL[rule.return_name]} | {severity}{scope} | {rule.years_label()} | "
            f"{_cell(fields)} | {_cell(rule.message)} | `{rule.name}` |")


_COVERED = (("cin", "census", "CIN census"), ("cin", "draft-2026-27", "CIN census draft 2026-27 additions"), ("903", "Header/Episodes", "SSDA903 header and episodes"),
            ("903", "OC2", "SSDA903 OC2 (12-month outcomes)"), ("903", "Missing", "SSDA903 missing periods"))


def coverage_markdown(collection_years: tuple[int, ...] = (2023, 2024, 2025, 2026, 2027)) -> str:
    """A markdown table: how many of DfE's rule codes each year's rules implement, and which are missing."""
    lines = ["| Rules | Year | Implemented | Not implemented |", "|---|---|---|---|"]
    for return_name, group, label in _COVERED:
        for year in collection_years:
            c = coverage(return_name, group, year)
            if c.total == 0:
                continue
            missing = ", ".join(e.code for e in not_implemented(return_name, group, year)) or "none"
            lines.append(f"| {label} | {year - 1}-{year % 100:02d} | {c.implemented} of {c.total} "
                         f"({c.share:.0%}) | {missing} |")
    return "\n".join(lines) + "\n"


def rules_markdown() -> str:
    """A markdown table of every DfE rule: DfE code, return, severity, years, fields, message, linkready name,
    followed by the coverage of DfE's rule lists by collection year.

    SSDA903 severities are marked "(assumed)": DfE does not publish which 903 rules are queries.
    """
    lines = [
        "| DfE code | Return | Severity | Years | Fields | Message | linkready rule |",
        "|---|---|---|---|---|---|---|",
    ]
    for return_name in ("cin", "903"):
        # sorted by DfE code (then name), so the page never depends on the order modules registered in
        rules = sorted((r for r in DFE_RULES.values() if r.return_name == return_name), key=lambda r: (r.code, r.name))
        lines += [_row(r) for r in rules]
    counts = {k: sum(1 for r in DFE_RULES.values() if r.return_name == k) for k in ("cin", "903")}
    lines += ["", f"{counts['cin']} CIN census rules and {counts['903']} SSDA903 rules. Years are collection years; "
              "SSDA903 severities are linkready's (DfE does not publish the 903 error/query split).", "",
              "Coverage of DfE's rule lists (measured against the codes in the DfE validation-rules reference):",
              "", coverage_markdown()]
    return "\n".join(lines)
