"""The differencing audit: download every table as a user would, then try to recover counts of 1-5.

Everything is fetched over the real HTTP stack (Flask test client, the session of a signed-in
user). Each download is read back into the cells it published and handed, with its table's
declaration, to :func:`warehouse.disclosure.find_leaks`, which subtracts within a table (totals minus
parts, wholes minus parts, consecutive running totals, rate x denominator) and across tables whose
rows share a key (site, scenario, measure, timepoint, subgroup, month, step).
"""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

import polars as pl

from dashboard.access import Viewer
from dashboard.tables import TABLES, TableSpec, param_choices
from warehouse.disclosure import Leak, Published, find_leaks


def read_csv(text: str) -> list[dict[str, str]]:
    """Rows of a downloaded CSV (metadata lines, if any, skipped)."""
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def _columns(spec: TableSpec) -> list[str]:
    d = spec.disclosure
    cols = [*spec.keys, *d.counts, *d.rates, *(d.groups or ())]
    if d.cumulative is not None:
        cols += [*d.cumulative.order, *d.cumulative.by]
    for s in d.series:
        cols += [*s.order, *s.by]
    return list(dict.fromkeys(cols))


def published_frame(spec: TableSpec, rows: list[dict[str, str]]) -> pl.DataFrame:
    """The declared columns of a download, by column id (headings mapped back through the table's labels)."""
    by_label = {spec.label(c): c for c in _columns(spec)}
    data: dict[str, list[str]] = {c: [] for c in by_label.values()}
    for row in rows:
        for label, col in by_label.items():
            data[col].append(row.get(label, ""))
    present = {c: v for c, v in data.items() if rows and any(label in rows[0] for label in (spec.label(c),))}
    return pl.DataFrame(present, schema={c: pl.Utf8 for c in present})


def combinations(ctx: Any, viewer: Viewer, spec: TableSpec) -> list[dict[str, str]]:
    """Every choice of the table's parameters the viewer can make."""
    scope = viewer.scope()
    if not spec.disclosure.counts and not spec.disclosure.rates:
        return [{}]  # no figure of people in it: the default view stands for every choice
    options = []
    for p in spec.params:
        values = list(dict.fromkeys([*p.always, *param_choices(ctx, spec, p, scope)]))
        options.append([(p.name, v) for v in values] or [(p.name, "")])
    return [dict(combo) for combo in itertools.product(*options)] if options else [{}]


def downloads(client: Any, ctx: Any, viewer: Viewer, tables: list[str] | None = None) -> list[Published]:
    """Every table the viewer can download, for every parameter choice, as published cells."""
    out = []
    for table_id in tables or list(TABLES):
        spec = TABLES[table_id]
        for params in combinations(ctx, viewer, spec):
            resp = client.get(f"/download/{table_id}.csv", query_string=params)
            assert resp.status_code == 200, (table_id, params, resp.status_code)
            rows = read_csv(resp.get_data(as_text=True))
            frame = published_frame(spec, rows)
            name = table_id + "".join(f" {k}={v}" for k, v in params.items())
            out.append(Published(name, frame, spec.disclosure, spec.keys, params))
    return out


def audit(client: Any, ctx: Any, viewer: Viewer, tables: list[str] | None = None) -> list[Leak]:
    """Every count of 1-5 recoverable from what ``viewer`` can download."""
    return find_leaks(downloads(client, ctx, viewer, tables))
