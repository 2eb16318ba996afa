"""Statistical disclosure control: the one policy and engine for every figure that leaves the server.

The dashboard, downloads, CLI reports for a site, linkage JSON for sites and readiness output all
use this module; no other package defines a threshold, a symbol or a legend.

A table *declares* what it holds (:class:`Disclosure`): its count columns, every rate with its
numerator and denominator (:class:`Rate`), counts that add up (:class:`Sum`, :class:`Nested`),
rows that add up to a total shown elsewhere (``groups``), running totals (:class:`Cumulative`)
and steps that follow each other (:class:`Series`). Nothing is guessed from column names.

The engine then:

1. hides counts from 1 to ``suppress_max`` (DfE rule: 1-5) as ``[c]``; true zeros stay 0;
2. publishes a running total only at points where every increment since the last published
   point is 0 or above the threshold, so no difference of two published values is a small count;
3. solves the declared relations as an attacker would (a total minus its parts, a whole minus a
   part, a rate times its denominator) and hides one more cell wherever a small count could be
   recovered, until nothing can (secondary suppression across rows, columns and totals);
4. hides a rate whenever its numerator or denominator is hidden.

:func:`find_leaks` is the same attacker used as an audit: given what several tables *published*
(cells sharing a key are the same quantity), it reports every count of 1-5 it can recover.

Example:
    >>> df = pl.DataFrame({"site": ["a", "a", "a"], "n": [3, 10, 40]})
    >>> Disclosure(counts=("n",), groups=("site",)).apply(df)["n"].to_list()
    ['[c]', '[c]', '40']
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

SUPPRESSED = "[c]"
NOT_APPLICABLE = "[z]"
NOT_AVAILABLE = "[x]"
LOW = "[low]"

__all__ = [
    "DEFAULT_POLICY", "Cumulative", "Disclosure", "DisclosurePolicy", "LEGEND", "LOW", "Leak", "NOT_APPLICABLE",
    "NOT_AVAILABLE", "Nested", "Published", "Rate", "SUPPRESSED", "Series", "Sum", "count_phrase", "find_leaks",
    "inert_frame", "is_revealing_count", "legend_rows", "mask_numbers", "neutralise_formula", "rate_phrase",
]

def _legend_for(suppress_max: int) -> tuple[tuple[str, str], ...]:
    """The symbols legend for a policy hiding counts of 1 to ``suppress_max``."""
    return (
        (SUPPRESSED, f"confidential: a count from 1 to {suppress_max}, a figure derived from one, or a cell hidden "
                     "so a total, a difference or a running total cannot reveal one (secondary suppression)"),
        (NOT_APPLICABLE, "not applicable: not collected at this site"),
        (NOT_AVAILABLE, "not available: no data yet for this figure"),
        (LOW, "rounds to 0 but is not 0"),
    )


@dataclass(frozen=True)
class DisclosurePolicy:
    """The one disclosure policy: which counts are hidden, with which symbol, explained how.

    Args:
        suppress_max: largest count that is hidden (DfE and the study: counts of 1-5).
        symbol: what a hidden cell shows.

    The (symbol, meaning) rows printed beside every table that leaves the server are :attr:`legend`.
    """

    suppress_max: int = 5
    symbol: str = SUPPRESSED

    @property
    def legend(self) -> tuple[tuple[str, str], ...]:
        """(symbol, meaning) rows, with this policy's threshold in the words."""
        return _legend_for(self.suppress_max)

    def hides(self, count: int | float | None) -> bool:
        """True when ``count`` must not be published (1 to ``suppress_max``; 0 is shown)."""
        return count is not None and 1 <= count <= self.suppress_max


#: The study's policy; settings that expose a threshold build a policy from it, never a copy of the rule.
DEFAULT_POLICY = DisclosurePolicy()

#: The legend of the study's policy.
LEGEND: tuple[tuple[str, str], ...] = DEFAULT_POLICY.legend


# ---------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Rate:
    """A rate column = ``numerator / denominator`` (both count columns of the same row).

    ``denominator - numerator`` is a count too (people not linked, not scored ...): when it is
    1-5 and both counts are shown, one of them is hidden. A rate is hidden with either count.
    """

    numerator: str
    denominator: str


@dataclass(frozen=True)
class Sum:
    """Counts in one row that add up exactly: ``total = sum(parts)`` (e.g. eligible = scored + missing)."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Nested:
    """A count that is part of another in the same row (``part <= whole``); ``whole - part`` is a count."""

    part: str
    whole: str


@dataclass(frozen=True)
class Cumulative:
    """Running totals: ``columns`` accumulate over ``order`` within each ``by`` group.

    A row is published only when, for every column (and every declared :class:`Nested` pair among
    them), the change since the last published row is 0 or above the threshold.
    """

    columns: tuple[str, ...]
    order: tuple[str, ...]
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Series:
    """Consecutive rows linked by a column: ``previous`` of a row equals ``column`` of the row before
    (within ``by``, ordered by ``order``), e.g. a funnel where each step starts from the last one's people."""

    column: str
    previous: str
    order: tuple[str, ...]
    by: tuple[str, ...] = ()


RateSpec = Rate | tuple[str, ...]


@dataclass(frozen=True)
class Disclosure:
    """What a table holds, for disclosure control; :meth:`apply` returns what may be published.

    Args:
        counts: columns holding counts of people or records (shown unless 1-5 or hidden to protect one).
        rates: rate column -> :class:`Rate` (numerator, denominator), or a tuple of source count
            columns for other figures derived from counts (an interval, a gap): hidden with any source.
        groups: columns whose values form groups of rows adding up to a total shown elsewhere
            (secondary suppression within each group, per count column).
        suppress_max: largest count that is suppressed.
        row_linked: when any count in a row is hidden, hide every count in that row.
        sums: exact additive relations between counts of a row.
        nested: part-of relations between counts of a row.
        cumulative: running-total columns (published only where increments are safe).
        series: relations between consecutive rows.
        support: columns used to decide (e.g. a denominator) but not published: dropped from the output.
    """

    counts: tuple[str, ...] = ()
    rates: Mapping[str, RateSpec] = field(default_factory=dict)
    groups: tuple[str, ...] | None = None
    suppress_max: int = DEFAULT_POLICY.suppress_max
    row_linked: bool = False
    sums: tuple[Sum, ...] = ()
    nested: tuple[Nested, ...] = ()
    cumulative: Cumulative | None = None
    series: tuple[Series, ...] = ()
    support: tuple[str, ...] = ()

    @property
    def policy(self) -> DisclosurePolicy:
        """The policy this declaration applies (the shared one, with this table's threshold)."""
        return DisclosurePolicy(self.suppress_max)

    def with_threshold(self, suppress_max: int) -> Disclosure:
        """The same declaration under another threshold (settings pass the policy's value)."""
        return dataclasses.replace(self, suppress_max=suppress_max)

    def all_nested(self) -> tuple[Nested, ...]:
        """Declared part-of relations plus those every :class:`Rate` implies."""
        out = list(self.nested)
        for spec in self.rates.values():
            if isinstance(spec, Rate):
                pair = Nested(spec.numerator, spec.denominator)
                if pair not in out:
                    out.append(pair)
        return tuple(out)

    def apply(self, df: pl.DataFrame) -> pl.DataFrame:
        """Return ``df`` with suppressed cells replaced by ``[c]`` (affected columns become text)
        and the support columns dropped."""
        if df.is_empty():
            return df.drop([c for c in self.support if c in df.columns])
        system = _System.from_frame(df, self, truth=True)
        hidden = system.suppress(self.policy)
        return _publish(df, self, system, hidden)


# ---------------------------------------------------------------- the linear system behind a table
Cell = tuple[object, ...]
Relation = tuple[tuple[Cell, int], ...]
Name = tuple[object, ...]


@dataclass
class _System:
    """Cells (published counts, support and implicit cells) and the linear relations between them.

    A relation is a list of (cell, coefficient) whose weighted sum is 0; a ratio is (rate, numerator,
    denominator). ``fixed`` cells are totals shown elsewhere (known to anyone).
    """

    values: dict[Cell, float | None] = field(default_factory=dict)
    published: set[Cell] = field(default_factory=set)
    fixed: set[Cell] = field(default_factory=set)
    relations: list[Relation] = field(default_factory=list)
    ratios: list[tuple[Cell, Cell, Cell]] = field(default_factory=list)
    rows: dict[Cell, int] = field(default_factory=dict)
    row_cells: dict[int, list[Cell]] = field(default_factory=dict)
    cumulative_rows: list[list[int]] = field(default_factory=list)
    cumulative_columns: tuple[str, ...] = ()
    cumulative_pairs: tuple[tuple[str, str], ...] = ()
    row_linked: bool = False

    @classmethod
    def from_frame(cls, df: pl.DataFrame, decl: Disclosure, truth: bool, names: Sequence[Name] | None = None,
                   params: frozenset[tuple[str, str]] = frozenset()) -> _System:
        """Build the system for one table. ``truth``: values are the real ones (the engine) rather than
        what was published (the audit). ``names``: per-row global keys, so tables sharing a key share cells."""
        system = cls(row_linked=decl.row_linked)
        rows: Sequence[Name] = names if names is not None else [("row", i) for i in range(df.height)]
        frame = _Frame(df, rows)
        for i in range(df.height):
            system.row_cells[i] = []
            for col in (*decl.counts, *decl.support):
                if col not in frame.cols:
                    continue
                c = frame.cell(i, col)
                system.values[c] = frame.value(i, col)
                system.rows[c] = i
                system.row_cells[i].append(c)
                if col in decl.counts and (system.values[c] is not None or not truth):
                    system.published.add(c)
        _add_row_relations(system, frame, decl)
        _add_group_relations(system, frame, decl, truth, params if names is not None else None)
        _add_series_relations(system, frame, decl)
        if decl.cumulative is not None:
            cum = decl.cumulative
            system.cumulative_rows = _ordered_groups(df, cum.by, cum.order)
            system.cumulative_columns = cum.columns
            system.cumulative_pairs = tuple((n.part, n.whole) for n in decl.all_nested()
                                            if n.part in cum.columns and n.whole in cum.columns)
        system.relations = [rel for rel in system.relations if all(c in system.values for c, _ in rel)]
        return system

    # ------------------------------------------------------------ the attacker
    def derive(self, known: dict[Cell, float], visible_rates: set[Cell]) -> dict[Cell, Relation]:
        """Extend ``known`` with every cell recoverable from the relations; returns cell -> how.

        A work list: each relation keeps its number of unknown cells, and a cell that becomes known
        wakes only the relations it is in, so the whole closure costs about one pass over them.
        """
        how: dict[Cell, Relation] = {}
        members: dict[Cell, list[int]] = {}
        missing: list[int] = []
        for i, rel in enumerate(self.relations):
            count = 0
            for c, _ in rel:
                members.setdefault(c, []).append(i)
                count += c not in known
            missing.append(count)
        ratios_of: dict[Cell, list[tuple[Cell, Cell, Cell]]] = {}
        for ratio in self.ratios:
            if ratio[0] in visible_rates and ratio[0] in known:
                for c in ratio[1:]:
                    ratios_of.setdefault(c, []).append(ratio)
        queue = [i for i, m in enumerate(missing) if m == 1]
        queue_ratios = [r for r in self.ratios if r[0] in visible_rates and r[0] in known]

        def learn(cell: Cell, value: float, rel: Relation) -> None:
            known[cell] = value
            how[cell] = rel
            for j in members.get(cell, ()):
                missing[j] -= 1
                if missing[j] == 1:
                    queue.append(j)
            queue_ratios.extend(ratios_of.get(cell, ()))

        while queue or queue_ratios:
            while queue:
                rel = self.relations[queue.pop()]
                unknown = [(c, k) for c, k in rel if c not in known]
                if len(unknown) != 1:
                    continue
                target, coef = unknown[0]
                learn(target, -sum(k * known[c] for c, k in rel if c != target) / coef, rel)
            while queue_ratios:
                rate, num, den = queue_ratios.pop()
                r = known[rate]
                via: Relation = ((rate, 0), (num, 1), (den, 1))
                if num not in known and den in known:
                    learn(num, round(r * known[den]), via)
                elif den not in known and num in known and r > 0:
                    learn(den, round(known[num] / r), via)
        return how

    # ------------------------------------------------------------ the engine
    def suppress(self, policy: DisclosurePolicy) -> set[Cell]:
        """Cells to hide: primary, running totals, then secondary until nothing small is recoverable;
        last, secondary cells that can be recovered anyway are shown again (:meth:`_restore`)."""
        hidden = {c for c in self.published if policy.hides(self.values[c])}
        running = self._cumulative_hidden(policy)
        hidden |= running
        for _ in range(100_000):
            hidden = self._row_link(hidden)
            how, leaks = self._leaks(hidden, policy)
            if not leaks:
                return self._restore(hidden, how, running, policy)
            before = len(hidden)
            for leak in leaks:
                hidden |= self._cut(how, leak, hidden)
            if len(hidden) == before:  # nothing visible left on any path: hide the rows involved
                hidden |= {c for leak in leaks for x, _ in how[leak] if x in self.rows
                           for c in self.row_cells[self.rows[x]] if c in self.published}
            if len(hidden) == before:  # cannot happen with consistent relations; never publish a leak
                return hidden | self.published
        return hidden | self.published  # pragma: no cover - each round hides at least one more cell

    def _leaks(self, hidden: set[Cell], policy: DisclosurePolicy) -> tuple[dict[Cell, Relation], list[Cell]]:
        """What an attacker recovers when ``hidden`` is hidden (cell -> how), and which of it is small."""
        known: dict[Cell, float] = {}
        for c in (self.published - hidden) | self.fixed:
            v = self.values[c]
            if v is not None and not (c in self.fixed and policy.hides(v)):  # a small total is hidden where shown
                known[c] = v
        visible_rates = self.shown_rates(hidden, policy)
        for r in visible_rates:
            v = self.values.get(r)
            if v is not None:
                known[r] = v
        how = self.derive(known, visible_rates)
        return how, [c for c in how if policy.hides(self.values.get(c)) and (c not in self.published or c in hidden)]

    def _restore(self, hidden: set[Cell], how: dict[Cell, Relation], running: set[Cell],
                 policy: DisclosurePolicy) -> set[Cell]:
        """Show again the secondary cells the published ones give back anyway (e.g. scored hidden beside
        eligible and missing): hiding them protects nothing, and one output would show what another hides.
        Kept hidden if showing them (and the rates they free) would let a small count out."""
        if self.row_linked:
            return hidden
        free = {c for c in hidden if c in how and c in self.published and c not in running
                and not policy.hides(self.values.get(c))}
        if not free:
            return hidden
        trial = hidden - free
        return hidden if self._leaks(trial, policy)[1] else trial

    def shown_rates(self, hidden: set[Cell], policy: DisclosurePolicy) -> set[Cell]:
        """Rate cells that stay visible: not hidden, and neither count behind them hidden or small."""
        out = set()
        for r, num, den in self.ratios:
            if r in hidden or self.values.get(r) is None:
                continue
            rest: Cell = ("remainder", den, num)  # a rate beside either count reveals the other and the rest
            if all(c not in hidden and not (c not in self.published and policy.hides(self.values.get(c)))
                   for c in (num, den, rest)):
                out.add(r)
        return out

    def _row_link(self, hidden: set[Cell]) -> set[Cell]:
        if not self.row_linked:
            return hidden
        out = set(hidden)
        for c in hidden:
            i = self.rows.get(c)
            if i is not None:
                out |= {x for x in self.row_cells[i] if x in self.published}
        return out

    def _cut(self, how: dict[Cell, Relation], leak: Cell, hidden: set[Cell]) -> set[Cell]:
        """Hide one visible cell on the path that recovered ``leak`` (the smallest non-zero one)."""
        frontier, seen = [leak], set()
        while frontier:
            target = frontier.pop(0)
            if target in seen or target not in how:
                continue
            seen.add(target)
            rel = how[target]
            shown = [c for c, _ in rel if c != target and c in self.published and c not in hidden]
            if shown:
                nonzero = [c for c in shown if (self.values[c] or 0) > 0]
                return {min(nonzero or shown, key=lambda c: (self.values[c] or 0, str(c)))}
            rates = [c for c, k in rel if k == 0 and c not in hidden]
            if rates:
                return set(rates)
            frontier += [c for c, _ in rel if c != target]
        return set()

    def _cumulative_hidden(self, policy: DisclosurePolicy) -> set[Cell]:
        """Running totals: a row is published only when every change since the last published row
        (of each column, and of each whole minus its part) is 0 or above the threshold."""
        hidden: set[Cell] = set()
        for rows in self.cumulative_rows:
            last: dict[object, float] = {}
            for i in rows:
                cells = {c[1]: c for c in self.row_cells[i] if c[1] in self.cumulative_columns}
                level = {col: self.values[c] for col, c in cells.items()}
                if any(v is None for v in level.values()):
                    hidden |= set(cells.values())
                    continue
                sizes: dict[object, float] = {k: v for k, v in level.items() if v is not None}
                for part, whole in self.cumulative_pairs:
                    if part in sizes and whole in sizes:
                        sizes[(part, whole)] = sizes[whole] - sizes[part]
                if all(not policy.hides(abs(v - last.get(k, 0.0))) for k, v in sizes.items()):
                    last = sizes
                else:
                    hidden |= set(cells.values())
        return hidden


class _Frame:
    """A table (its columns as Python lists: cell reads in a loop) and the global names of its rows."""

    def __init__(self, df: pl.DataFrame, names: Sequence[Name]) -> None:
        self.df = df
        self.names = names
        self.cols = set(df.columns)
        self._values: dict[str, list[float | None]] = {}

    def cell(self, i: int, col: str) -> Cell:
        return (self.names[i], col)

    def value(self, i: int, col: str) -> float | None:
        if col not in self.cols:
            return None
        if col not in self._values:
            self._values[col] = [_number(v) for v in self.df[col].to_list()]
        return self._values[col][i]


def _add_row_relations(system: _System, frame: _Frame, decl: Disclosure) -> None:
    cols = frame.cols
    nested = [n for n in decl.all_nested() if n.part in cols and n.whole in cols]
    sums = [s for s in decl.sums if s.total in cols and all(p in cols for p in s.parts)]
    rates = [(r, s) for r, s in decl.rates.items()
             if isinstance(s, Rate) and r in cols and s.numerator in cols and s.denominator in cols]
    for i in range(frame.df.height):
        for s in sums:
            system.relations.append(((frame.cell(i, s.total), 1), *[(frame.cell(i, p), -1) for p in s.parts]))
        for n in nested:
            whole, part = frame.cell(i, n.whole), frame.cell(i, n.part)
            rest: Cell = ("remainder", whole, part)
            w, p = frame.value(i, n.whole), frame.value(i, n.part)
            system.values[rest] = None if w is None or p is None else w - p
            system.relations.append(((whole, 1), (part, -1), (rest, -1)))
        for rate, spec in rates:
            r = frame.cell(i, rate)
            system.values[r] = frame.value(i, rate)
            system.ratios.append((r, frame.cell(i, spec.numerator), frame.cell(i, spec.denominator)))


def _add_group_relations(system: _System, frame: _Frame, decl: Disclosure, truth: bool,
                         params: frozenset[tuple[str, str]] | None) -> None:
    if decl.groups is None:
        return
    keys = [k for k in decl.groups if k in frame.cols]
    members: dict[tuple[object, ...], list[int]] = {}
    for i, row in enumerate(frame.df.select(keys).iter_rows() if keys else [()] * frame.df.height):
        members.setdefault(tuple(row), []).append(i)
    for group, rows in members.items():
        if len(rows) < 2:  # a group of one row: its total is the row itself, protected where it is shown
            continue
        for col in decl.counts:
            if col not in frame.cols:
                continue
            parts = [frame.cell(i, col) for i in rows]
            if params is None:  # one table alone: the total is shown elsewhere, hence known
                total: Cell = ("total", tuple(zip(keys, group, strict=True)), col)
            else:  # several tables: the total is the cell another table shows under the group's key
                total = (("key", frozenset((k, str(v)) for k, v in zip(keys, group, strict=True)) | params), col)
            vals = [system.values.get(p) for p in parts]
            if total not in system.values or system.values[total] is None:
                system.values[total] = None if any(v is None for v in vals) else sum(v or 0.0 for v in vals)
            if truth:
                system.fixed.add(total)
            system.relations.append(((total, 1), *[(p, -1) for p in parts]))


def _add_series_relations(system: _System, frame: _Frame, decl: Disclosure) -> None:
    for s in decl.series:
        if s.column not in frame.cols or s.previous not in frame.cols:
            continue
        for rows in _ordered_groups(frame.df, s.by, s.order):
            for before, after in zip(rows, rows[1:], strict=False):
                system.relations.append(((frame.cell(before, s.column), 1), (frame.cell(after, s.previous), -1)))


def _ordered_groups(df: pl.DataFrame, by: tuple[str, ...], order: tuple[str, ...]) -> list[list[int]]:
    keys = [k for k in by if k in df.columns]
    sort = [k for k in order if k in df.columns]
    frame = df.select([*keys, *sort]).with_row_index("_i")
    if sort:
        frame = frame.sort([*keys, *sort], maintain_order=True)
    groups: dict[tuple[object, ...], list[int]] = {}
    for row in frame.iter_rows():
        groups.setdefault(tuple(row[1:1 + len(keys)]), []).append(int(row[0]))
    return list(groups.values())


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


# ---------------------------------------------------------------- publishing
def _publish(df: pl.DataFrame, decl: Disclosure, system: _System, hidden: set[Cell]) -> pl.DataFrame:
    masks: dict[str, list[bool]] = {}
    for c in hidden:
        i = system.rows.get(c)
        if i is not None and isinstance(c[1], str):
            masks.setdefault(c[1], [False] * df.height)[i] = True
    shown_rates = system.shown_rates(hidden, decl.policy)
    for rate, spec in decl.rates.items():
        if rate not in df.columns:
            continue
        mask = [False] * df.height
        for i in range(df.height):
            r: Cell = (("row", i), rate)
            if isinstance(spec, Rate) and r in system.values:
                mask[i] = r not in shown_rates and system.values[r] is not None
                continue
            sources = (spec.numerator, spec.denominator) if isinstance(spec, Rate) else spec
            mask[i] = any(_unsafe((("row", i), src), system, hidden, decl.policy) for src in sources)
        masks[rate] = mask
    _spread_to_derived(decl, masks, df.height)
    out = df
    for col, mask in masks.items():
        if col in out.columns and col not in decl.support and any(mask):
            out = out.with_columns(_masked(out[col], pl.Series(mask), decl.policy.symbol).alias(col))
    return out.drop([c for c in decl.support if c in out.columns])


def _unsafe(c: Cell, system: _System, hidden: set[Cell], policy: DisclosurePolicy) -> bool:
    return c in hidden or (c not in system.published and policy.hides(system.values.get(c)))


def _spread_to_derived(decl: Disclosure, masks: dict[str, list[bool]], height: int) -> None:
    """A figure derived from counts (tuple-declared) is hidden with any of them, and with a hidden rate
    computed from the same counts (an interval beside a hidden rate must not reveal it)."""
    rate_sources = {r: set((s.numerator, s.denominator) if isinstance(s, Rate) else s) for r, s in decl.rates.items()}
    for rate, spec in decl.rates.items():
        if isinstance(spec, Rate):
            continue
        mask = masks.setdefault(rate, [False] * height)
        for other, sources in rate_sources.items():
            if other != rate and other in masks and sources & set(spec):
                masks[rate] = [a or b for a, b in zip(mask, masks[other], strict=True)]
                mask = masks[rate]


def _masked(values: pl.Series, mask: pl.Series, symbol: str = SUPPRESSED) -> pl.Series:
    text = values.cast(pl.Utf8) if values.dtype != pl.Utf8 else values
    if values.dtype in (pl.Float32, pl.Float64):
        text = values.round(4).cast(pl.Utf8)
    return pl.select(pl.when(mask).then(pl.lit(symbol)).otherwise(text)).to_series()


# ---------------------------------------------------------------- the audit
@dataclass(frozen=True)
class Published:
    """One table as it left the server, for :func:`find_leaks`.

    Args:
        name: the table's name (reported with a leak).
        frame: the published cells (symbols as text).
        disclosure: its declaration.
        keys: columns (and ``params``) that identify what a row is about; cells of two tables with the same
            key values and the same column name are the same quantity.
        params: choices the table was produced for that are not columns (e.g. the identifier scenario).
    """

    name: str
    frame: pl.DataFrame
    disclosure: Disclosure
    keys: tuple[str, ...]
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Leak:
    """A count of 1 to ``suppress_max`` an attacker recovered from published tables."""

    table: str
    what: str
    value: float
    how: str


def find_leaks(tables: Iterable[Published], policy: DisclosurePolicy = DEFAULT_POLICY) -> list[Leak]:
    """Every small count recoverable by subtraction from ``tables`` taken together (an empty list = safe).

    Tries, per table and across tables sharing a key: published counts of 1-5, totals minus parts,
    wholes minus parts, consecutive published running totals, and a rate times its denominator.

    Example:
        >>> leaky = pl.DataFrame({"site": ["a", "a"], "sub": ["x", "y"], "n": ["[c]", "40"]})
        >>> total = pl.DataFrame({"site": ["a"], "n": [43]})
        >>> [leak.value for leak in find_leaks([
        ...     Published("parts", leaky, Disclosure(counts=("n",), groups=("site",)), ("site", "sub")),
        ...     Published("total", total, Disclosure(counts=("n",)), ("site",))])]
        [3.0]
    """
    leaks: list[Leak] = []
    merged = _System()
    known: dict[Cell, float] = {}
    visible_rates: set[Cell] = set()
    owner: dict[Cell, str] = {}
    for table in tables:
        names, params = _global_names(table)
        system = _System.from_frame(table.frame, table.disclosure, truth=False, names=names, params=params)
        for c in system.values:
            owner.setdefault(c, table.name)
        for c in system.published:
            v = system.values[c]
            if v is None:
                continue
            known[c] = v
            if policy.hides(v):
                leaks.append(Leak(table.name, _describe(c), v, "published as it is"))
        for r, _, _ in system.ratios:
            v = system.values.get(r)
            if v is not None:
                known[r] = v
                visible_rates.add(r)
        leaks += _cumulative_leaks(table, system, policy)
        merged.relations += system.relations
        merged.ratios += system.ratios
    how = merged.derive(known, visible_rates)
    for c, rel in how.items():
        value = known[c]
        if policy.hides(value) and abs(value - round(value)) < 1e-6:
            used = ", ".join(_describe(x) for x, _ in rel if x != c)
            leaks.append(Leak(owner.get(c, "?"), _describe(c), value, f"recovered from {used}"))
    return leaks


def _global_names(table: Published) -> tuple[list[Name], frozenset[tuple[str, str]]]:
    cols = set(table.frame.columns)
    params = frozenset((k, str(v)) for k, v in table.params.items() if k not in cols)
    keys = [k for k in table.keys if k in cols]
    names: list[Name] = []
    for row in table.frame.select(keys).iter_rows() if keys else [()] * table.frame.height:
        names.append(("key", frozenset((k, str(v)) for k, v in zip(keys, row, strict=True)) | params))
    return names, params


def _cumulative_leaks(table: Published, system: _System, policy: DisclosurePolicy) -> list[Leak]:
    """Differences of consecutive published running totals (and of whole minus part) that are small."""
    if table.disclosure.cumulative is None:
        return []
    leaks: list[Leak] = []
    measures: list[tuple[str, Callable[[int], float | None]]] = [
        (col, functools.partial(_cell_value, system, col)) for col in system.cumulative_columns
    ]
    measures += [(f"{whole} minus {part}", functools.partial(_gap_value, system, part, whole))
                 for part, whole in system.cumulative_pairs]
    for what, get in measures:
        for rows in system.cumulative_rows:
            last = 0.0
            for i in rows:
                v = get(i)
                if v is None:
                    continue
                if policy.hides(abs(v - last)):
                    leaks.append(Leak(table.name, f"{what}, row {i + 1}", abs(v - last),
                                      "difference from the previous published running total"))
                last = v
    return leaks


def _cell_value(system: _System, col: str, i: int) -> float | None:
    for c in system.row_cells.get(i, []):
        if c[1] == col and c in system.published:
            return system.values[c]
    return None


def _gap_value(system: _System, part: str, whole: str, i: int) -> float | None:
    a, b = _cell_value(system, whole, i), _cell_value(system, part, i)
    return None if a is None or b is None else a - b


def _describe(c: Cell) -> str:
    if c and c[0] == "remainder":
        return f"{_describe(c[1])} minus {_describe(c[2])}"  # type: ignore[arg-type]
    if c and c[0] == "total":
        return f"total of {c[2]} over {_key_text(c[1])}"
    head = c[0] if c else ""
    col = c[1] if len(c) > 1 else ""
    return f"{col} at {_key_text(head)}"


def _key_text(name: object) -> str:
    if isinstance(name, tuple) and len(name) == 2 and isinstance(name[1], frozenset):
        return ", ".join(f"{k}={v}" for k, v in sorted(name[1]))
    if isinstance(name, tuple) and name and name[0] == "row":
        return f"row {int(str(name[1])) + 1}"
    return str(name)


# ---------------------------------------------------------------- sentences and cells
def count_phrase(value: object, noun: str, plural: str | None = None) -> str:
    """A count in words from an already-suppressed value: ``"[c] children"``, ``"1,204 children"``.

    Example:
        >>> count_phrase("[c]", "child", "children"), count_phrase(12, "child", "children")
        ('[c] children', '12 children')
    """
    many = plural or noun + "s"
    number = _number(value)
    if number is None:
        return f"{value if isinstance(value, str) and value.startswith('[') else NOT_AVAILABLE} {many}"
    return f"{number:,.0f} {noun if number == 1 else many}"


def rate_phrase(value: object) -> str:
    """A share in words from an already-suppressed value: ``"[c]"`` or ``"75.0%"``.

    Example:
        >>> rate_phrase(0.75), rate_phrase("[c]")
        ('75.0%', '[c]')
    """
    number = _number(value)
    if number is None:
        return value if isinstance(value, str) and value.startswith("[") else NOT_AVAILABLE
    return f"{number * 100:.1f}%"


_NUMBER_IN_TEXT = re.compile(r"(?<![\w.-])\d[\d,]*(?:\.\d+)?%?(?![\w-])")


def mask_numbers(text: str, symbol: str = SUPPRESSED) -> str:
    """Replace every free-standing number or percentage in a sentence written elsewhere by ``symbol``
    (names such as "CORE-10" or "GAD-7" are kept): for text whose figures were not built from
    suppressed values.

    Example:
        >>> mask_numbers("DASH follow-up retention 25% (2 of 8); CORE-10 fine")
        'DASH follow-up retention [c] ([c] of [c]); CORE-10 fine'
    """
    return _NUMBER_IN_TEXT.sub(symbol, text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def neutralise_formula(value: str) -> str:
    """Make a text cell inert in spreadsheets: text starting with ``= + - @``, a tab or a carriage return
    gets a leading apostrophe (OWASP CSV injection). Plain numbers such as ``-0.05`` are left alone.

    Example:
        >>> neutralise_formula('=HYPERLINK("http://x")'), neutralise_formula("-0.05"), neutralise_formula("ok")
        ('\\'=HYPERLINK("http://x")', '-0.05', 'ok')
    """
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def inert_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Every text column of ``df`` with formula-looking cells neutralised by :func:`neutralise_formula`
    (for CSV writing; other columns and nulls unchanged).

    Example:
        >>> inert_frame(pl.DataFrame({"t": ["=1+1", "ok"]}))["t"].to_list()
        ["'=1+1", 'ok']
    """
    text_cols = [c for c, t in df.schema.items() if t == pl.Utf8]
    return df.with_columns([pl.col(c).map_elements(neutralise_formula, return_dtype=pl.Utf8, skip_nulls=True)
                            for c in text_cols])


def is_revealing_count(value: object, suppress_max: int = DEFAULT_POLICY.suppress_max) -> bool:
    """True when ``value`` is a count that should have been suppressed (used by tests and checks)."""
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        return False
    return number.is_integer() and 1 <= number <= suppress_max


def legend_rows(symbols: Sequence[str] | None = None,
                policy: DisclosurePolicy = DEFAULT_POLICY) -> list[tuple[str, str]]:
    """The symbols legend of ``policy`` (all of it, or only the given symbols)."""
    return [row for row in policy.legend if symbols is None or row[0] in symbols]
