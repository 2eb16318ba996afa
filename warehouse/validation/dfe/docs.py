"""The generated rule table for ``docs/validation-rules.md``: every DfE rule with its DfE code."""

from __future__ import annotations

from warehouse.validation.dfe.catalogue import coverage, not_implemented
from warehouse.validation.dfe.rule import DFE_RULES, SSDA903_DEFAULT_SEVERITY, DfeRule

__all__ = ["rules_markdown"]

_RETURN_LABEL = {"cin": "CIN census", "903": "SSDA903"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(rule: DfeRule) -> str:
    severity = {"dfe": rule.severity, "linkready": f"{rule.severity} (linkready)",
                "default": f"{rule.severity} (default)"}[rule.severity_basis]
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

    DfE does not publish which SSDA903 rules are queries: a 903 severity is marked "(linkready)" where the
    declaration judges it and "(default)" where it is :data:`SSDA903_DEFAULT_SEVERITY`.
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
    n_default = sum(1 for r in DFE_RULES.values() if r.severity_basis == "default")
    n_judged = sum(1 for r in DFE_RULES.values() if r.severity_basis == "linkready")
    lines += ["", f"{counts['cin']} CIN census rules and {counts['903']} SSDA903 rules. Years are collection years.",
              "", "Severities: a CIN census severity is DfE's (a code ending in Q is a query; 8863Q is one too). "
              "DfE does not publish which SSDA903 rules are errors and which are queries (neither public source "
              f"records it), so {n_judged} SSDA903 rules carry linkready's judgement, marked \"(linkready)\", and "
              f"the other {n_default} the named default `SSDA903_DEFAULT_SEVERITY` "
              f"(\"{SSDA903_DEFAULT_SEVERITY}\"), marked \"(default)\". Given DfE's classification, override both: "
              "`linkready validate|load --severity 442=query` per rule (repeatable) and "
              "`--ssda903-default-severity query` for every default one (Python: `run_rules(..., "
              "severity_overrides={\"442\": \"query\"}, default_severity=\"query\")`). "
              "An error fails `validate` and `load` (exit code 1); a query alone does not.", "",
              "Coverage of DfE's rule lists (measured against the codes in the DfE validation-rules reference):",
              "", coverage_markdown()]
    return "\n".join(lines)
