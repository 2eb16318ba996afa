"""Blocking: candidate pairs as the union of several equality joins, computed in DuckDB.

Each rule is an equality join on one or more standardised columns; the candidate set is the
union of the rules' pairs, with a bit mask recording which rules produced each pair (training
uses it). Never an OR-joined join: that defeats DuckDB's hash joins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlglot import exp

from linkage.sqlbuild import SqlBuilder, internal_table, quote_ident
from warehouse.errors import ConfigError
from warehouse.registry import Registry

#: Every blocking rule by name; the built-ins register themselves below exactly as a new one would.
BLOCKING_RULES: Registry[BlockingRule] = Registry("blocking rule")

#: Which identifier a derived column comes from (a rule on it says nothing new about that identifier).
BASE_FIELD = {
    "forename_init": "forename", "forename_mp": "forename", "forename_canon": "forename",
    "surname_init": "surname", "surname_mp": "surname", "surname_canon": "surname",
    "dob_year": "dob", "dob_month": "dob", "dob_swap": "dob",
    "pc_sector": "postcode", "pc_district": "postcode", "pc_area": "postcode",
}


@dataclass(frozen=True)
class BlockingRule:
    """Pairs agreeing exactly on every column in ``columns`` (none of them null).

    Args:
        name: registry name.
        columns: standardised columns joined with equality.
        names_free: used only when neither name is available (it would be too loose otherwise).
    """

    name: str
    columns: tuple[str, ...]
    names_free: bool = False

    @property
    def trains(self) -> bool:
        """Whether EM sessions on this rule's pairs are trusted first for m: rules on locations or
        generic columns gather non-matches that share correlated fields (same street, same area),
        which EM would mistake for matches."""
        return not any(f == "postcode" or f.startswith("x_") for f in self.base_fields)

    @property
    def base_fields(self) -> frozenset[str]:
        """Identifiers this rule draws on."""
        return frozenset(BASE_FIELD.get(c, c) for c in self.columns)

    def pairs_sql(self, b: SqlBuilder, index: int, dedupe: bool) -> exp.Select:
        """``SELECT l.uid, r.uid, <bit>`` for this rule: one equality join."""
        cond = b.and_(*(b.eq(b.l(c), b.r(c)) for c in self.columns))
        q = (
            exp.select(
                b.l("uid").as_("l_id"), b.r("uid").as_("r_id"), exp.cast(b.param(1 << index), "BIGINT").as_("bit")
            )
            .from_(exp.alias_(internal_table("left"), "l", table=True))
            .join(exp.alias_(internal_table("left" if dedupe else "right"), "r", table=True), on=cond)
        )
        if dedupe:
            q = q.where(b.lt(b.l("uid"), b.r("uid")))
        return q


    def tightened(self, column: str) -> BlockingRule:
        """This rule with one more equality column (used when its blocks are too large)."""
        return BlockingRule(f"{self.name}+{column}", (*self.columns, column), self.names_free)

    def pair_count_sql(self, b: SqlBuilder, dedupe: bool) -> exp.Expression:
        """How many pairs this rule would produce, from per-key counts (no pairs are built)."""
        keys = [exp.column(c, quoted=True) for c in self.columns]
        not_null = b.and_(*(b.not_null(exp.column(c, quoted=True)) for c in self.columns))

        def counts(side: str, alias: str) -> exp.Expression:
            q = (exp.select(*keys, exp.func("count", exp.Star()).as_("n"))
                 .from_(internal_table(side)).where(not_null).group_by(*keys))
            return cast(exp.Expression, exp.alias_(exp.Subquery(this=q), alias, table=True))

        a_n, b_n = exp.column("n", "a"), exp.column("n", "b")
        if dedupe:
            total = exp.func("sum", exp.Div(this=exp.Paren(this=exp.Mul(this=a_n, expression=exp.Sub(
                this=a_n, expression=b.lit(1)))), expression=b.lit(2)))
            return exp.select(total).from_(counts("left", "a"))
        using = [cast(exp.Expression, quote_ident(c)) for c in self.columns]
        total = exp.func("sum", exp.Mul(this=exp.cast(a_n, "DOUBLE"), expression=b_n))
        return exp.select(total).from_(counts("left", "a")).join(counts("right", "b"), using=using)  # type: ignore[arg-type]


def register_blocking_rule(rule: BlockingRule) -> BlockingRule:
    """Add a rule to :data:`BLOCKING_RULES` (ConfigError if its name is taken)."""
    return BLOCKING_RULES.register(rule)


for _rule in (
    BlockingRule("nhs_number", ("nhs_number",)),
    BlockingRule("dob_forename_initial", ("dob", "forename_init")),
    BlockingRule("dob_surname_initial", ("dob", "surname_init")),
    BlockingRule("names_phonetic", ("forename_mp", "surname_mp")),
    BlockingRule("names_exact", ("forename", "surname")),
    BlockingRule("surname_year_month", ("surname_mp", "dob_year", "dob_month")),
    BlockingRule("forename_year_month", ("forename_canon", "dob_year", "dob_month")),
    BlockingRule("surname_dob", ("surname", "dob")),
    BlockingRule("forename_dob", ("forename", "dob")),
    BlockingRule("postcode_year", ("postcode", "dob_year")),
    BlockingRule("dob_district", ("dob", "pc_district")),
    BlockingRule("dob_postcode", ("dob", "postcode")),
    BlockingRule("dob_sex", ("dob", "sex"), names_free=True),
    BlockingRule("postcode_sex", ("postcode", "sex"), names_free=True),
):
    register_blocking_rule(_rule)


def get_blocking_rule(name: str) -> BlockingRule:
    """The registered rule called ``name``; ConfigError naming the allowed rules (with a did-you-mean) otherwise."""
    return BLOCKING_RULES.get(name)


def default_rules(columns: set[str]) -> list[BlockingRule]:
    """Every registered rule whose columns are all available (names-free rules only without names)."""
    has_names = bool({"forename", "surname"} & columns)
    return [
        r for r in BLOCKING_RULES.values()
        if set(r.columns) <= columns and (not r.names_free or not has_names)
    ]


def candidates_sql(b: SqlBuilder, rules: list[BlockingRule], dedupe: bool) -> exp.Expression:
    """``CREATE TABLE _lk_candidates`` as the union of the rules' equality joins, one row per pair
    with ``rules`` = the OR of the bits of every rule that produced it."""
    if not rules:
        raise ConfigError("no blocking rule can run on the shared columns; share at least a date of birth or a name")
    union: exp.Expression = rules[0].pairs_sql(b, 0, dedupe)
    for i, rule in enumerate(rules[1:], start=1):
        union = exp.union(union, rule.pairs_sql(b, i, dedupe), distinct=False)
    grouped = (
        exp.select(
            exp.column("l_id"), exp.column("r_id"), exp.func("bit_or", exp.column("bit")).as_("rules")
        )
        .from_(exp.alias_(exp.Subquery(this=union), "u", table=True))
        .group_by(exp.column("l_id"), exp.column("r_id"))
    )
    return exp.Create(
        this=internal_table("candidates"), kind="TABLE", expression=grouped, replace=True
    )

