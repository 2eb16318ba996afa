"""The one SQL builder for blocking, comparison and scoring statements.

Every generated statement is a sqlglot expression rendered here; values are bound parameters
(``$p1``, ``$p2`` ...), identifiers go through :func:`quote_ident`. Functions that only DuckDB
has (``jaro_winkler_similarity``, ``damerau_levenshtein``, ``list_has_any``) are reached only
through :class:`SqlBuilder`, so another engine (e.g. Spark) needs a new builder, not new stages.
Internal tables are prefixed ``_lk_``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlglot import exp

DIALECT = "duckdb"
TABLE_PREFIX = "_lk_"


def quote_ident(name: str) -> exp.Identifier:
    """The single quoting helper: an always-quoted identifier."""
    return exp.to_identifier(str(name), quoted=True)


def internal_table(name: str) -> exp.Table:
    """A stage table named ``_lk_<name>``."""
    return exp.Table(this=quote_ident(TABLE_PREFIX + name))


@dataclass
class SqlBuilder:
    """Collects bound parameters while stages compose expressions.

    Example:
        >>> b = SqlBuilder()
        >>> sql, params = b.render(exp.select(b.gte(b.l("x"), b.param(0.9))))
        >>> params
        {'p1': 0.9}
    """

    params: dict[str, Any] = field(default_factory=dict)

    # -- values and columns
    def param(self, value: Any) -> exp.Expression:
        """A bound parameter holding ``value``."""
        name = f"p{len(self.params) + 1}"
        self.params[name] = value
        return exp.Placeholder(this=name)

    def col(self, table: str, name: str) -> exp.Column:
        """``table.name`` with both parts quoted."""
        return exp.Column(this=quote_ident(name), table=quote_ident(table))

    def l(self, name: str) -> exp.Column:  # noqa: E743 - l/r mirror SQL aliases
        """A column of the left record."""
        return self.col("l", name)

    def r(self, name: str) -> exp.Column:
        """A column of the right record."""
        return self.col("r", name)

    def lit(self, value: int | float | str) -> exp.Expression:
        """A literal for structural constants (level numbers), never for data values."""
        if isinstance(value, str):
            return exp.Literal.string(value)
        return exp.Literal.number(value)

    # -- predicates and functions
    def eq(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        return exp.EQ(this=a, expression=b)

    def gte(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        return exp.GTE(this=a, expression=b)

    def lte(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        return exp.LTE(this=a, expression=b)

    def lt(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        return exp.LT(this=a, expression=b)

    def and_(self, *parts: exp.Expression) -> exp.Expression:
        return cast(exp.Expression, exp.and_(*parts))

    def or_(self, *parts: exp.Expression) -> exp.Expression:
        return cast(exp.Expression, exp.or_(*parts))

    def is_null(self, a: exp.Expression) -> exp.Expression:
        return exp.Is(this=a, expression=exp.Null())

    def not_null(self, a: exp.Expression) -> exp.Expression:
        return exp.Not(this=self.is_null(a))

    def fn(self, name: str, *args: exp.Expression) -> exp.Expression:
        return exp.Anonymous(this=name, expressions=list(args))

    def jaro_winkler(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        """Jaro-Winkler similarity in [0, 1] (DuckDB built-in)."""
        return self.fn("jaro_winkler_similarity", a, b)

    def levenshtein(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        """Levenshtein edit distance (DuckDB's Damerau variant is several times slower)."""
        return self.fn("levenshtein", a, b)

    def hamming(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        """Number of differing positions of two strings of equal length (null when lengths differ)."""
        same_length = exp.EQ(this=self.fn("length", a), expression=self.fn("length", b))
        return self.case([(same_length, self.fn("hamming", a, b))], exp.Null())

    def token_overlap(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        """True when the space-separated tokens of ``a`` and ``b`` share at least one token (the
        cheap space test first, so single-token pairs never split strings)."""
        spaced = self.or_(self.fn("contains", a, self.lit(" ")), self.fn("contains", b, self.lit(" ")))
        overlap = self.fn(
            "list_has_any", self.fn("string_split", a, self.lit(" ")), self.fn("string_split", b, self.lit(" "))
        )
        return self.and_(spaced, overlap)

    def abs_days(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        """Absolute difference in days between two DATE values."""
        return self.fn("abs", self.fn("date_diff", self.lit("day"), a, b))

    def log2(self, a: exp.Expression) -> exp.Expression:
        return self.fn("log2", a)

    def greatest(self, *args: exp.Expression) -> exp.Expression:
        return self.fn("greatest", *args)

    def case(self, whens: list[tuple[exp.Expression, exp.Expression]], default: exp.Expression) -> exp.Expression:
        c = exp.Case()
        for cond, value in whens:
            c = c.when(cond, value)
        return c.else_(default)

    # -- rendering
    def render(self, expression: exp.Expression) -> tuple[str, dict[str, Any]]:
        """Return ``(sql, params)`` with only the parameters this statement uses."""
        sql = expression.sql(dialect=DIALECT)
        used = {k: v for k, v in self.params.items() if f"${k}" in sql}
        return sql, used
