"""Tiny inline returns for the DfE rule tests: a valid baseline that breaks no rule, edited per case.

A :class:`World` is a dict of tables (lists of row dicts, every value text as a file delivers it);
``set``/``add``/``drop`` return the world so edits chain inside a lambda.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from warehouse.identifiers import upn_check_letter

_INT_COLUMNS = {"_row", "cin_details_id", "assessment_id", "cpp_id"}


def upn(body12: str) -> str:
    """A valid UPN for the twelve characters after the check letter."""
    return upn_check_letter(body12) + body12


@dataclass
class World:
    tables: dict[str, list[dict[str, str | int | None]]] = field(default_factory=dict)

    def copy(self) -> World:
        return World(copy.deepcopy(self.tables))

    def set(self, table: str, index: int, **values: str | int | None) -> World:
        self.tables[table][index].update(values)
        return self

    def add(self, table: str, **row: str | int | None) -> World:
        self.tables.setdefault(table, []).append(row)
        return self

    def drop(self, table: str, index: int | None = None) -> World:
        if index is None:
            self.tables[table] = []
        else:
            del self.tables[table][index]
        return self

    def frames(self) -> dict[str, pl.DataFrame]:
        out = {}
        for name, rows in self.tables.items():
            columns: list[str] = []
            for row in rows:
                columns += [c for c in row if c not in columns]
            schema = {c: (pl.Int64 if c in _INT_COLUMNS else pl.String) for c in columns}
            data = [{c: row.get(c) for c in columns} for row in rows]
            out[name] = pl.DataFrame(data, schema=schema) if data else pl.DataFrame(schema=schema)
        return out


Edit = Callable[[World], World]


@dataclass(frozen=True)
class Case:
    """A rule (linkready name), an edit that breaks it, and the ``_row`` the problem must point at.

    ``keep``: an optional near miss (often the boundary day) that must not fire.
    """

    rule: str
    breaks: Edit
    row: int | None = 1
    keep: Edit | None = None
    year: int = 2025
    la_code: str | None = None

    def __str__(self) -> str:  # the pytest id
        return self.rule
