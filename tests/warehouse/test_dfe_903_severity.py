"""SSDA903 severities: DfE does not publish them, so a named default applies, overridable per rule or as a whole.

Rule 101 (sex invalid) has no declared severity (the default, an error); 232 (sex unknown, "check it") is
declared a query; CIN rules keep DfE's severity and cannot be overridden.
"""

from __future__ import annotations

import polars as pl
import pytest

from warehouse.errors import ConfigError
from warehouse.validation.dfe import DFE_RULES, SSDA903_DEFAULT_SEVERITY, rules_for, run_rules, severities

# row 1 breaks 101 (X is no sex code), row 2 breaks 232 (U), row 3 breaks neither
HEADER = pl.DataFrame({"CHILD": ["A1", "A2", "A3"], "SEX": ["X", "U", "F"]})


def _found(**kw: object) -> list[tuple[object, ...]]:
    out = run_rules("903", {"header": HEADER}, 2025, only={"101", "232"}, **kw)  # type: ignore[arg-type]
    return sorted(out.select("dfe_rule", "row", "child_id", "severity").rows())


def test_default_and_declared_severities() -> None:
    assert SSDA903_DEFAULT_SEVERITY == "error"
    assert (DFE_RULES.get("ssda903_sex_invalid").severity_basis, DFE_RULES.get("ssda903_sex_unknown").severity_basis,
            DFE_RULES.get("cin_referral_after_death").severity_basis) == ("default", "linkready", "dfe")
    assert _found() == [("101", 1, "A1", "error"), ("232", 2, "A2", "query")]


def test_override_per_rule_by_code_or_name() -> None:
    assert _found(severity_overrides={"101": "query"}) == [("101", 1, "A1", "query"), ("232", 2, "A2", "query")]
    assert _found(severity_overrides={"ssda903_sex_unknown": "error"}) == [
        ("101", 1, "A1", "error"), ("232", 2, "A2", "error")]


def test_changing_the_default_leaves_judged_rules_alone() -> None:
    assert _found(default_severity="query") == [("101", 1, "A1", "query"), ("232", 2, "A2", "query")]
    assert _found(default_severity="query", severity_overrides={"232": "error"}) == [
        ("101", 1, "A1", "query"), ("232", 2, "A2", "error")]


def test_every_bad_override_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        severities(rules_for("903", 2025) + rules_for("cin", 2025), "warning",  # type: ignore[arg-type]
                   {"101": "fatal", "9999": "query", "8555Q": "error"})  # type: ignore[dict-item]
    text = str(err.value)
    for part in ("101='fatal'", "default_severity='warning'", "9999 (no such rule", "8555Q (8555Q: its severity is DfE's)"):
        assert part in text
