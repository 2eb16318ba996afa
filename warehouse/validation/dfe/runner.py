"""Check -> collect: run the DfE rules of one return and collection year over its tables."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping
from typing import Literal

import polars as pl

from warehouse.errors import ConfigError
from warehouse.validation.dfe.frames import RuleInput, prepare
from warehouse.validation.dfe.rule import DFE_RULES, DfeRule, Severity

__all__ = ["PROBLEM_SCHEMA", "rule_tables", "rules_for", "rules_touching", "run_rules", "severities"]

log = logging.getLogger(__name__)

PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    "dfe_rule": pl.String(), "rule": pl.String(), "severity": pl.String(), "table": pl.String(),
    "row": pl.Int64(), "child_id": pl.String(), "field": pl.String(), "message": pl.String(),
}
_RETURNS = ("cin", "903")


def rules_for(return_name: str, collection_year: int) -> list[DfeRule]:
    """The rules in force for ``return_name`` (``"cin"`` / ``"903"``) in ``collection_year`` (ending year)."""
    if return_name not in _RETURNS:
        raise ConfigError(f"unknown return {return_name!r}; allowed: cin, 903 (the SSDA903 return)")
    return [r for r in DFE_RULES.values() if r.return_name == return_name and r.applies_to(collection_year)]


# tables a check joins on when they are present without declaring them in ``reads`` (an episode's
# child's header fields; the OC2 cohort from the episodes)
_USES_WHEN_PRESENT: dict[tuple[str, str], frozenset[str]] = {
    ("903", "episodes"): frozenset({"header"}), ("903", "oc2"): frozenset({"episodes"}),
}


def rules_touching(return_name: str, collection_year: int, tables: Collection[str]) -> list[DfeRule]:
    """The rules in force whose result can change when one of ``tables`` arrives.

    A rule reads ``tables`` when its declaration names one of them, or when its own table's check uses
    one when present (an SSDA903 episode rule uses the child's header, an OC2 rule the episodes). Used
    to run a return's rules table by table as the files of one drop arrive, each rule once per table it
    depends on, and never a rule whose inputs did not change.
    """
    wanted = set(tables)
    return [rule for rule in rules_for(return_name, collection_year) if rule_tables(rule) & wanted]


def rule_tables(rule: DfeRule) -> frozenset[str]:
    """The tables ``rule``'s result depends on: those it declares, its own, and those it uses when present."""
    read = {item.partition(".")[0] for item in rule.reads} | {rule.table}
    return frozenset(read | _USES_WHEN_PRESENT.get((rule.return_name, rule.table), frozenset()))


def severities(rules: list[DfeRule], default_severity: Severity | None = None,
               severity_overrides: Mapping[str, Severity] | None = None) -> dict[str, Severity]:
    """The severity each rule reports with, by linkready name.

    DfE's classification (every CIN rule) stands. A rule whose severity DfE does not publish (SSDA903)
    takes ``severity_overrides[code or name]`` when given, else ``default_severity`` when given and the
    declaration gives none (``severity_basis="default"``), else its declared severity.

    Raises:
        ConfigError: every override naming no rule of ``rules``, a rule whose severity is DfE's, or a
            severity other than error / query (all at once).
    """
    overrides = dict(severity_overrides or {})
    problems = [f"{k}={v!r} (allowed: error, query)" for k, v in overrides.items() if v not in ("error", "query")]
    if default_severity is not None and default_severity not in ("error", "query"):
        problems.append(f"default_severity={default_severity!r} (allowed: error, query)")
    named = {key for r in rules for key in (r.code, r.name)}
    problems += [f"{k} (no such rule in force)" for k in overrides if k not in named]
    problems += [f"{k} ({r.code}: its severity is DfE's)" for r in rules if r.severity_basis == "dfe"
                 for k in (r.code, r.name) if k in overrides]
    if problems:
        raise ConfigError("invalid DfE rule severities: " + "; ".join(problems))
    out: dict[str, Severity] = {}
    for r in rules:
        given = overrides.get(r.name, overrides.get(r.code))
        if given is None and r.severity_basis == "default" and default_severity is not None:
            given = default_severity
        out[r.name] = given or r.severity
    return out


def _problems(rule: DfeRule, hits: pl.DataFrame, severity: Severity) -> pl.DataFrame:
    if rule.level == "la":
        hits = hits.head(1).select(pl.lit(None, dtype=pl.Int64).alias("_row"),
                                   pl.lit(None, dtype=pl.String).alias("child_id"))
    return hits.select(
        pl.lit(rule.code).alias("dfe_rule"), pl.lit(rule.name).alias("rule"), pl.lit(severity).alias("severity"),
        pl.lit(rule.table).alias("table"), pl.col("_row").cast(pl.Int64).alias("row"),
        pl.col("child_id").cast(pl.String).alias("child_id"),
        pl.lit(rule.field, dtype=pl.String).alias("field"), pl.lit(rule.message).alias("message"),
    ).unique(maintain_order=True)


def _could_not_run(rule: DfeRule, exc: Exception) -> pl.DataFrame:
    message = (f"This DfE rule could not run on this file ({type(exc).__name__}: a column has a type the rule "
               "cannot read); the other rules ran. Check the column types, or report it.")
    return pl.DataFrame([{"dfe_rule": rule.code, "rule": rule.name, "severity": "query", "table": rule.table,
                          "row": None, "child_id": None, "field": rule.field, "message": message}],
                        schema=PROBLEM_SCHEMA)


def _run_one(rule: DfeRule, prepared: RuleInput, severity: Severity) -> pl.DataFrame | None:
    """One rule's problems (empty when none; a "could not run" row on unexpected input); None when skipped."""
    if not prepared.has(rule.reads):
        return None
    try:
        hits = rule.check(prepared)
    except pl.exceptions.ColumnNotFoundError:
        # a key column the declaration does not name (e.g. cin_details_id) is absent: skip, as declared
        log.warning("dfe rule %s (%s) skipped: a column it needs is absent", rule.name, rule.code)
        return None
    except pl.exceptions.PolarsError as exc:
        # input of a shape no rule expected: report that this rule could not run, run the others
        log.warning("dfe rule %s (%s) could not run: %s", rule.name, rule.code, type(exc).__name__)
        return _could_not_run(rule, exc)
    return _problems(rule, hits, severity) if hits.height else pl.DataFrame(schema=PROBLEM_SCHEMA)


def run_rules(return_name: Literal["cin", "903"], tables: Mapping[str, pl.DataFrame], collection_year: int,
              la_code: str | None = None, *, only: Collection[str] | None = None,
              default_severity: Severity | None = None,
              severity_overrides: Mapping[str, Severity] | None = None) -> pl.DataFrame:
    """Run every DfE rule of ``return_name`` in force in ``collection_year`` and collect the problems.

    Args:
        return_name: ``"cin"`` (tables as ``flatten_cin`` makes them: ``header``, ``child``, ``details``,
            ``assessments``, ``factors``, ``plans``, ``section47``, ``cpp``, plus ``reviews``,
            ``disabilities`` and (2026-27 drafts) ``preproceedings`` when available) or ``"903"``
            (``header``, ``episodes``, ``oc2``, ``missing``, optionally ``oc3``, last year's ``header_last`` / ``episodes_last`` / ``missing_last``, Ofsted's
            ``providers`` and the national ``postcodes``; DfE upper-case column names).
        tables: the frames; dates typed or as text in the return's DfE format, ``_row`` when known.
        collection_year: the ending year (2025 = 2024-25); picks the year's rules and the census period.
        la_code: the submitting LA, when known. CIN rule 100 compares it with the header's LEA (give the
            3-digit DfE code); SSDA903 rules 411, 1015 and 229 compare it with PL_LA and the Ofsted provider's
            LA (give it in the same coding as those columns, usually the ONS code). None skips those checks.
        only: run just these rules (linkready names or DfE codes); None runs them all.
        default_severity: the severity of the rules whose severity DfE does not publish and whose
            declaration gives none (SSDA903; otherwise :data:`SSDA903_DEFAULT_SEVERITY`, an error).
        severity_overrides: severity by DfE code or linkready name, for rules whose severity DfE does not
            publish (e.g. ``{"442": "query"}`` from the DfE's own 903 classification).

    Returns:
        One row per problem: dfe_rule, rule, severity, table, row (the offending row's ``_row``),
        child_id, field, message. A rule whose tables or columns are absent is skipped.

    Raises:
        ConfigError: ``return_name`` is not ``"cin"`` or ``"903"``; a severity override is invalid
            (see :func:`severities`).

    Example:
        >>> run_rules("903", {"header": pl.DataFrame({"CHILD": ["1"], "SEX": ["X"]})}, 2025)["dfe_rule"].to_list()
        ['101']
    """
    rules = rules_for(return_name, collection_year)
    severity = severities(rules, default_severity, severity_overrides)
    if only is not None:
        rules = [r for r in rules if r.name in only or r.code in only]
    prepared = prepare(return_name, tables, collection_year, la_code)
    frames = [pl.DataFrame(schema=PROBLEM_SCHEMA)]
    skipped = 0
    started = time.perf_counter()
    for rule in rules:
        found = _run_one(rule, prepared, severity[rule.name])
        if found is None:
            skipped += 1
        elif found.height:
            frames.append(found)
    out = pl.concat(frames, how="vertical")
    log.info("dfe rules: return=%s year=%d rules=%d skipped=%d problems=%d seconds=%.2f", return_name,
             collection_year, len(rules) - skipped, skipped, out.height, time.perf_counter() - started)
    return out
