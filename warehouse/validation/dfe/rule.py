"""One DfE rule = one declaration plus its vectorised check, registered in :data:`DFE_RULES`.

A declaration names the rule as DfE names it (``code``: ``"8555Q"``, ``"501"``), gives it a linkready
name, a severity, the return and collection years it applies to, the table and fields it reads and a
plain-words message (never a record value). Its check takes a :class:`~warehouse.validation.dfe.frames.RuleInput`
and returns the offending rows as a frame with ``_row`` and ``child_id`` (polars expressions or joins,
no per-row Python).

Example (a toy rule, as a new one would be added)::

    @cin_rule("9999", "cin_toy_rule", reads=("child.LAchildID",), message="...")
    def _toy(t: RuleInput) -> pl.DataFrame:
        return t.rows("child", pl.col("LAchildID").is_null())
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import polars as pl

from warehouse.registry import Registry

if TYPE_CHECKING:
    from warehouse.validation.dfe.frames import RuleInput

__all__ = [
    "DFE_RULES", "SSDA903_DEFAULT_SEVERITY", "Check", "DfeRule", "ReturnName", "Severity", "SeverityBasis", "cin_rule",
    "ssda903_rule",
]

Severity = Literal["error", "query"]
ReturnName = Literal["cin", "903"]
Level = Literal["child", "la"]
Check = Callable[["RuleInput"], pl.DataFrame]
SeverityBasis = Literal["dfe", "linkready", "default"]

SSDA903_DEFAULT_SEVERITY: Severity = "error"
"""The severity of an SSDA903 rule whose declaration gives none.

DfE's own 903 validation tells errors from queries, but neither public source records the split (the
reference, sections 1.5 and 5.4), so a 903 rule is an error unless its declaration says otherwise
(``severity_basis="default"``). A caller with DfE's classification overrides it per rule, or changes
this default for every such rule, through :func:`~warehouse.validation.dfe.run_rules`
(``severity_overrides``, ``default_severity``).
"""


@dataclass(frozen=True)
class DfeRule:
    """A DfE validation rule of the CIN census or the SSDA903 return.

    Attributes:
        code: DfE's code, exactly as DfE writes it (``"8555Q"``, ``"501"``, ``"INT32"``).
        name: linkready's name for the rule (unique across both returns).
        return_name: ``"cin"`` or ``"903"``.
        severity: ``"error"`` (must be fixed) or ``"query"`` (fix or explain).
        severity_basis: where the severity comes from: ``"dfe"`` (DfE's classification: every CIN rule),
            ``"linkready"`` (not published; the declaration judges it, e.g. a 903 "check it" rule is a
            query) or ``"default"`` (not published; :data:`SSDA903_DEFAULT_SEVERITY`).
        table: the table whose rows are reported.
        reads: every ``table.column`` the check needs; the rule is skipped when one is absent.
        field: the field reported against (None for a whole-row or return-level problem).
        message: what is wrong, in plain words, without record values.
        check: the vectorised check.
        first_year / last_year: collection years (ending year: 2025 = 2024-25) the rule applies to,
            inclusive; None = open-ended.
        level: ``"child"`` (one problem per offending row) or ``"la"`` (once for the whole return).
    """

    code: str
    name: str
    return_name: ReturnName
    severity: Severity
    table: str
    reads: tuple[str, ...]
    field: str | None
    message: str
    check: Check
    first_year: int | None = None
    last_year: int | None = None
    level: Level = "child"
    severity_basis: SeverityBasis = "dfe"

    def applies_to(self, collection_year: int) -> bool:
        """Whether the rule is in force in ``collection_year`` (ending year)."""
        if self.first_year is not None and collection_year < self.first_year:
            return False
        return self.last_year is None or collection_year <= self.last_year

    def years_label(self) -> str:
        """The years in force in words, e.g. ``"2024-25 on"`` or ``"up to 2023-24"``."""
        def name(y: int) -> str:
            return f"{y - 1}-{y % 100:02d}"

        if self.first_year is None and self.last_year is None:
            return "all years"
        if self.last_year is None:
            return f"{name(self.first_year or 0)} on"
        if self.first_year is None:
            return f"up to {name(self.last_year)}"
        if self.first_year == self.last_year:
            return f"{name(self.first_year)} only"
        return f"{name(self.first_year)} to {name(self.last_year)}"


DFE_RULES: Registry[DfeRule] = Registry("DfE validation rule")
"""Every DfE rule, keyed by linkready name, in registration order."""


def _declare(return_name: ReturnName, code: str, name: str, reads: tuple[str, ...], message: str, *,
             severity: Severity, basis: SeverityBasis, options: dict[str, object]
             ) -> Callable[[Check], Check]:
    table = str(options.pop("table", reads[0].split(".", 1)[0]))
    field = options.pop("field", reads[0].split(".", 1)[1])

    def decorator(check: Check) -> Check:
        DFE_RULES.register(DfeRule(
            code=code, name=name, return_name=return_name, severity=severity, table=table, reads=reads,
            field=None if field is None else str(field), message=message, check=check,
            severity_basis=basis, **options,  # type: ignore[arg-type]
        ))
        return check

    return decorator


def cin_rule(code: str, name: str, reads: tuple[str, ...], message: str, *,
             severity: Severity | None = None, **options: object) -> Callable[[Check], Check]:
    """Declare a CIN census rule (decorates its check). The severity follows DfE's code: ``Q`` = query.

    ``options``: ``table``, ``field`` (default: the first of ``reads``), ``first_year``, ``last_year``,
    ``level``.
    """
    sev: Severity = severity or ("query" if code.endswith("Q") else "error")
    return _declare("cin", code, name, reads, message, severity=sev, basis="dfe", options=dict(options))


def ssda903_rule(code: str, name: str, reads: tuple[str, ...], message: str, *,
                 severity: Severity | None = None, **options: object) -> Callable[[Check], Check]:
    """Declare an SSDA903 rule. DfE does not publish the 903 error/query split: without ``severity`` the rule
    takes :data:`SSDA903_DEFAULT_SEVERITY` (``severity_basis="default"``); a declared one is linkready's
    judgement (``"linkready"``)."""
    if severity is None:
        return _declare("903", code, name, reads, message, severity=SSDA903_DEFAULT_SEVERITY, basis="default",
                        options=dict(options))
    return _declare("903", code, name, reads, message, severity=severity, basis="linkready", options=dict(options))
