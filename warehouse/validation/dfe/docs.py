"""The generated rule table for ``docs/validation-rules.md``: every DfE rule with its DfE code."""

from __future__ import annotations

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


def rules_markdown() -> str:
    """A markdown table of every DfE rule: DfE code, return, severity, years, fields, message, linkready name.

    SSDA903 severities are marked "(assumed)": DfE does not publish which 903 rules are queries.
    """
    lines = [
        "| DfE code | Return | Severity | Years | Fields | Message | linkready rule |",
        "|---|---|---|---|---|---|---|",
    ]
    for return_name in ("cin", "903"):
        lines += [_row(r) for r in DFE_RULES.values() if r.return_name == return_name]
    counts = {k: sum(1 for r in DFE_RULES.values() if r.return_name == k) for k in ("cin", "903")}
    lines += ["", f"{counts['cin']} CIN census rules and {counts['903']} SSDA903 rules. Years are collection years; "
              "SSDA903 severities are linkready's (DfE does not publish the 903 error/query split)."]
    return "\n".join(lines) + "\n"
