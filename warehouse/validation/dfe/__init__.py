"""The DfE validation rules of the CIN census and the SSDA903 return, named as DfE names them.

Each rule is one declaration (DfE code, linkready name, severity, return, table, fields, years,
message) plus its vectorised check, registered in :data:`DFE_RULES`; :func:`run_rules` picks the
rules of a return and collection year and runs them over that return's tables;
:func:`rules_markdown` documents them. Facts from ``shared/reference/dfe-validation-rules.md``.

Example:
    >>> problems = run_rules("903", {"header": header, "episodes": episodes}, 2025)  # doctest: +SKIP
    >>> problems.filter(pl.col("dfe_rule") == "501")  # doctest: +SKIP
"""

from __future__ import annotations

from warehouse.validation.dfe import (  # noqa: F401  (registering imports: each module declares its rules)
    cin_assessments,
    cin_child,
    cin_episodes,
    cin_plans,
    cin_preproceedings,
    ssda903_episodes,
    ssda903_header,
    ssda903_last_year,
    ssda903_location,
    ssda903_ofsted,
    ssda903_outcomes,
)
from warehouse.validation.dfe.docs import rules_markdown
from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.rule import DFE_RULES, SSDA903_DEFAULT_SEVERITY, DfeRule, cin_rule, ssda903_rule
from warehouse.validation.dfe.runner import (
    PROBLEM_SCHEMA,
    rule_tables,
    rules_for,
    rules_touching,
    run_rules,
    severities,
)

__all__ = [
    "DFE_RULES", "PROBLEM_SCHEMA", "SSDA903_DEFAULT_SEVERITY", "DfeRule", "RuleInput", "cin_rule", "rule_tables",
    "rules_for", "rules_markdown", "rules_touching", "run_rules", "severities", "ssda903_rule",
]
