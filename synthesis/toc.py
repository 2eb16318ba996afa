"""Theory-of-change exchange: the workshop template (CSV / XLSX), JSON, and Mermaid / DOT diagrams.

The model and its vocabulary are :mod:`warehouse.toc`; this module reads and writes files:

- **template** (CSV, or an XLSX sheet named ``theory_of_change``): one row per record, in the
  columns of :data:`TEMPLATE_COLUMNS`. ``record`` says what the row is:

  ======== ======================================================================
  record   columns used
  ======== ======================================================================
  title    label (the ToC's title)
  node     id, kind, label, description
  link     id, from, to, assumption, label
  evidence id, target (a link or node id), kind, reference, strength, note
  source   target (an outcome id), kind, reference, note
  ======== ======================================================================

- **JSON**: ``{"format": "linkready theory of change", "format_version": 1, "site_id", "title",
  "nodes", "links", "evidence", "sources"}`` with the field names of the dataclasses;
- **Mermaid** (``flowchart LR``) and **DOT** (Graphviz ``digraph``): one column (subgraph / cluster)
  per node kind, each arrow labelled with its assumption, for reports.

Template -> warehouse -> template and JSON -> warehouse -> JSON are exact. CSV cells that look like
formulas, or that already start with ``'``, are written with one more leading ``'``, and the reader
removes exactly one from such a cell (so ``'=x`` typed by hand means ``=x``, and text that really
starts with ``'`` survives); XLSX cells are typed text. A template must hold every column of
:data:`TEMPLATE_COLUMNS` (empty ones are fine); a JSON file only the documented keys.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import duckdb

from synthesis import pseudonymise
from synthesis.catalogue import DATA_ITEMS
from synthesis.inert import inert_csv_value, looks_like_formula, write_xlsx_sheet
from warehouse.errors import ConfigError, DataError, did_you_mean
from warehouse.measures import get_measure
from warehouse.sites import get_site
from warehouse.store import Store
from warehouse.toc import (
    EVIDENCE_KINDS,
    JSON_FORMAT,
    NODE_KINDS,
    SOURCE_KINDS,
    STRENGTHS,
    TheoryOfChange,
    TocEvidence,
    TocLink,
    TocNode,
    TocSource,
    load_toc,
    store_toc,
    toc_to_json,
)

__all__ = ["FORMATS", "JSON_FORMAT", "TEMPLATE_COLUMNS", "allowed_values", "diagram_elements", "dot", "export_toc", "import_toc",
           "mermaid", "read_toc", "render_toc", "toc_from_rows", "toc_rows", "write_toc"]

Format = Literal["csv", "xlsx", "json", "mermaid", "dot"]
FORMATS: tuple[str, ...] = ("csv", "xlsx", "json", "mermaid", "dot")
TEMPLATE_COLUMNS: tuple[str, ...] = ("record", "id", "kind", "label", "description", "from", "to", "assumption",
                                     "target", "reference", "strength", "note")
RECORDS: tuple[str, ...] = ("title", "node", "link", "evidence", "source")
SHEET = "theory_of_change"


# ---------------------------------------------------------------- template rows <-> model

def toc_rows(toc: TheoryOfChange) -> list[dict[str, str | None]]:
    """The model as template rows (every column present; None for an empty cell)."""
    rows: list[dict[str, str | None]] = [_row("title", label=toc.title)]
    rows += [_row("node", id=n.node_id, kind=n.kind, label=n.label, description=n.description) for n in toc.nodes]
    rows += [_row("link", id=lk.link_id, to=lk.to_id, assumption=lk.assumption, label=lk.label, **{"from": lk.from_id})
             for lk in toc.links]
    rows += [_row("evidence", id=e.evidence_id, target=e.target_id, kind=e.kind, reference=e.reference,
                  strength=e.strength, note=e.note) for e in toc.evidence]
    rows += [_row("source", target=s.outcome_id, kind=s.kind, reference=s.reference, note=s.note) for s in toc.sources]
    return rows


def _row(record: str, **values: str | None) -> dict[str, str | None]:
    return {c: (record if c == "record" else values.get(c)) for c in TEMPLATE_COLUMNS}


def toc_from_rows(rows: Iterable[tuple[int | str, Mapping[str, str | None]]], site_id: str, file: str,
                  keep_empty: bool = False) -> TheoryOfChange:
    """Build the model from template rows; every problem is reported at once (DataError).

    Each row comes with where it is: a template row number (``row 3`` in messages) or a JSON path
    (``nodes[0]``, named as given). ``keep_empty`` keeps empty free text as ``""`` (JSON, which can
    tell ``""`` from null); a template's empty cell is always None.
    """
    errors: list[str] = []
    title: str | None = None
    nodes, links, evidence, sources = [], [], [], []
    for number, raw in rows:
        where = f"row {number}" if isinstance(number, int) else number
        r = _normalised(raw, keep_empty)
        if not any(v is not None for v in r.values()):
            continue
        record = r.get("record") or ""
        if record not in RECORDS:
            errors.append(f"{where}, column 'record': {r.get('record')!r} is not allowed; allowed: "
                          f"{', '.join(RECORDS)}{did_you_mean(record, RECORDS)}")
            continue
        missing = [c for c in _REQUIRED[record] if not r.get(c)]
        if missing:
            errors.append(_needs(where, record, missing, json_path=not isinstance(number, int)))
            continue
        if record == "title":
            title = r["label"]
        elif record == "node":
            nodes.append(TocNode(_s(r, "id"), _s(r, "kind"), _s(r, "label"), r.get("description")))
        elif record == "link":
            links.append(TocLink(_s(r, "id"), _s(r, "from"), _s(r, "to"), r.get("assumption"), r.get("label")))
        elif record == "evidence":
            evidence.append(TocEvidence(_s(r, "id"), _s(r, "target"), _s(r, "kind"), _s(r, "reference"),
                                        r.get("strength"), r.get("note")))
        else:
            sources.append(TocSource(_s(r, "target"), _s(r, "kind"), _s(r, "reference"), r.get("note")))
    toc = TheoryOfChange(site_id, title or "", tuple(nodes), tuple(links), tuple(evidence), tuple(sources))
    if title is None:
        errors.append("no title row; add a row with record 'title' and the ToC's name in 'label'")
    errors += toc.problems()
    if errors:
        raise DataError(f"{file}: {len(errors)} problem(s), nothing imported: " + "; ".join(errors[:25])
                        + (f"; ... {len(errors) - 25} more" if len(errors) > 25 else ""))
    return toc


def _needs(where: str, record: str, missing: list[str], json_path: bool) -> str:
    article = "an" if record[0] in "aeiou" else "a"
    if not json_path:
        return f"{where}: {article} {record} row needs {', '.join(missing)}"
    if record == "title":
        return "'title' is missing or empty"
    names = {col: name for _, rec, fields in _JSON_FIELDS if rec == record for name, col in fields}
    return f"{where}: {article} {record} needs {', '.join(repr(names.get(c, c)) for c in missing)}"


_CODE_COLUMNS = ("record", "id", "kind", "from", "to", "target", "reference", "strength")


def _kind_words() -> dict[str, str]:
    """Every kind's name and label, as a note-taker may write them, -> the kind's name."""
    words: dict[str, str] = {}
    for registry in (NODE_KINDS, EVIDENCE_KINDS, SOURCE_KINDS):
        for kind in registry.values():
            for word in (kind.name, kind.label):
                words.setdefault(_word(word), kind.name)
    return words


def _word(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def _normalised(raw: Mapping[str, str | None], keep_empty: bool = False) -> dict[str, str | None]:
    """Empty cells as None (free text stays ``""`` with ``keep_empty``); code-like cells stripped; kinds
    written as labels ("Short-term outcome") or in any case mapped to their names; measure codes to the
    catalogue's spelling ("PHQ-9" -> phq9). Free text (label, description, assumption, note) is kept
    exactly as written."""
    r = {k: (v if v is not None and (v != "" or keep_empty) else None) for k, v in raw.items()}
    for col in _CODE_COLUMNS:
        value = r.get(col)
        r[col] = (value.strip() or None) if value is not None else None
    record, kind, strength, reference = (r.get(c) for c in ("record", "kind", "strength", "reference"))
    if record:
        r["record"] = record.lower()
    if kind:
        r["kind"] = _kind_words().get(_word(kind), kind)
    if strength:
        r["strength"] = strength.lower()
    if r["record"] == "source" and r["kind"] == "measure" and reference:
        with contextlib.suppress(ConfigError):      # an unknown measure is reported by the model's checks
            r["reference"] = get_measure(reference).code
    return r


_REQUIRED: dict[str, tuple[str, ...]] = {
    "title": ("label",), "node": ("id", "kind", "label"), "link": ("id", "from", "to"),
    "evidence": ("id", "target", "kind", "reference"), "source": ("target", "kind", "reference"),
}


def _s(r: Mapping[str, str | None], column: str) -> str:
    return r.get(column) or ""


# ---------------------------------------------------------------- reading files

def read_toc(path: Path, site_id: str | None) -> TheoryOfChange:
    """Read a ToC from a template CSV, an XLSX workbook (sheet ``theory_of_change``) or JSON.

    ``site_id`` may be None for JSON, which names its site; a template needs it.

    Raises:
        DataError: unsupported file type, unreadable file, wrong site in JSON, or template problems
            (every row and column named at once).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_json(path, site_id)
    if site_id is None:
        raise DataError(f"{path.name}: a template does not name its site; give the site (--site)")
    if suffix == ".csv":
        return toc_from_rows(_csv_rows(path), site_id, path.name)
    if suffix == ".xlsx":
        return toc_from_rows(_xlsx_rows(path), site_id, path.name)
    raise DataError(f"{path.name}: unsupported file type {suffix!r}; allowed: .csv, .xlsx (the template) or .json")


def _header(names: Iterable[object], file: str) -> list[str]:
    """The header's column names; every missing, unknown or repeated column is reported at once.

    A template without one of the columns is refused, optional ones included: a workshop template
    that lacks ``assumption`` is far more likely a slip than a choice, and reading it would drop
    what the note-taker meant to record without a word. An empty column is fine.
    """
    header = [str(h).strip().lower() if h is not None else "" for h in names]
    problems = []
    missing = [c for c in TEMPLATE_COLUMNS if c not in header]
    if missing:
        required = [c for c in missing if c == "record" or any(c in cols for cols in _REQUIRED.values())]
        problems.append(f"the template's header lacks: {', '.join(missing)}"
                        + (f" (required: {', '.join(required)})" if required else ""))
    unknown = [h for h in header if h and h not in TEMPLATE_COLUMNS]
    if unknown:
        problems.append("unknown column(s): "
                        + ", ".join(f"{h!r}{did_you_mean(h, TEMPLATE_COLUMNS)}" for h in unknown))
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        problems.append(f"column(s) given twice: {', '.join(repeated)}")
    if problems:
        raise DataError(f"{file}: " + "; ".join(problems) + f"; the template's columns are {', '.join(TEMPLATE_COLUMNS)}"
                        " (keep every column, empty if unused; start from `linkready toc export --format csv`)")
    return header


def _escape(value: str) -> str:
    """A CSV cell for ``value``: formula-looking text gets a neutralising ``'``, and so does text that
    already starts with ``'`` (so that :func:`_restore` can tell the two apart)."""
    return "'" + value if value.startswith("'") else str(inert_csv_value(value))


def _restore(value: str) -> str:
    """Undo :func:`_escape`: drop exactly one leading ``'`` when a formula or another ``'`` follows it;
    other text is kept as delivered (``'tis`` stays ``'tis``)."""
    rest = value[1:]
    return rest if value.startswith("'") and (rest.startswith("'") or looks_like_formula(rest)) else value


def _csv_rows(path: Path) -> list[tuple[int, dict[str, str | None]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path.name} is not UTF-8 text; save the template as CSV UTF-8") from None
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records:
        raise DataError(f"{path.name} is empty; start from `linkready toc export --format csv`")
    header = _header(records[0], path.name)
    return [(i, {h: _restore(v) for h, v in zip(header, rec, strict=False) if h})
            for i, rec in enumerate(records[1:], start=2)]


def _xlsx_rows(path: Path) -> list[tuple[int, dict[str, str | None]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:   # openpyxl raises zip, XML and key errors for a damaged file
        raise DataError(f"{path.name} is not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        if SHEET not in wb.sheetnames:
            raise DataError(f"{path.name}: no sheet named {SHEET!r}; sheets: {', '.join(wb.sheetnames)}")
        it = wb[SHEET].iter_rows(values_only=True)
        header = _header(next(it, ()) or (), path.name)
        return [(i, {h: (None if v is None else str(v)) for h, v in zip(header, values, strict=False) if h})
                for i, values in enumerate(it, start=2)]
    finally:
        wb.close()


def _read_json(path: Path, site_id: str | None) -> TheoryOfChange:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path.name} is not valid JSON ({type(exc).__name__}); export one with "
                        "`linkready toc export --format json`") from None
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise DataError(f"{path.name}: not a theory-of-change file (expected \"format\": \"{JSON_FORMAT}\")")
    if site_id is None:
        site_id = data.get("site_id")
        if not isinstance(site_id, str):
            raise DataError(f"{path.name} names no site_id; give the site (--site)")
        get_site(site_id)
    elif data.get("site_id") not in (None, site_id):
        raise DataError(f"{path.name} is the theory of change of site {data['site_id']!r}, not {site_id!r}; "
                        "pass that --site or edit site_id")
    _check_json_keys(data, path.name)
    rows: list[tuple[int | str, dict[str, str | None]]] = [("title", _row("title", label=_text(data.get("title"))))]
    for key, record, fields in _JSON_FIELDS:
        for i, item in enumerate(data.get(key) or []):
            rows.append((f"{key}[{i}]", _row(record, **{col: _text(item.get(name)) for name, col in fields})))
    return toc_from_rows(rows, site_id, path.name, keep_empty=True)


_JSON_TOP_KEYS: tuple[str, ...] = ("format", "format_version", "site_id", "title", "nodes", "links", "evidence",
                                   "sources")


def _check_json_keys(data: dict[str, Any], file: str) -> None:
    """Refuse keys the format does not have (a misspelt "asumption" would otherwise vanish), all at once."""
    problems = [f"unknown key {k!r}{did_you_mean(k, _JSON_TOP_KEYS)}" for k in data if k not in _JSON_TOP_KEYS]
    for key, _, fields in _JSON_FIELDS:
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(f"{key} is not a list")
            continue
        allowed = [name for name, _ in fields]
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                problems.append(f"{key}[{i}] is not an object")
                continue
            problems += [f"{key}[{i}]: unknown key {k!r}{did_you_mean(k, allowed)}; allowed: {', '.join(allowed)}"
                         for k in item if k not in allowed]
    if problems:
        raise DataError(f"{file}: {len(problems)} problem(s), nothing imported: " + "; ".join(problems[:25])
                        + (f"; ... {len(problems) - 25} more" if len(problems) > 25 else ""))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


# JSON key, template record, (JSON field of warehouse.toc.toc_to_dict, template column)
_JSON_FIELDS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("nodes", "node", (("id", "id"), ("kind", "kind"), ("label", "label"), ("description", "description"))),
    ("links", "link", (("id", "id"), ("from", "from"), ("to", "to"), ("assumption", "assumption"),
                       ("label", "label"))),
    ("evidence", "evidence", (("id", "id"), ("target", "target"), ("kind", "kind"), ("reference", "reference"),
                              ("strength", "strength"), ("note", "note"))),
    ("sources", "source", (("outcome", "target"), ("kind", "kind"), ("reference", "reference"), ("note", "note"))),
)


# ---------------------------------------------------------------- writing files

def render_toc(toc: TheoryOfChange, fmt: Format) -> str:
    """The ToC as text in ``fmt`` (csv, json, mermaid or dot)."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(TEMPLATE_COLUMNS)
        for row in toc_rows(toc):
            w.writerow([_escape(row[c] or "") for c in TEMPLATE_COLUMNS])
        return buf.getvalue()
    if fmt == "json":
        return toc_to_json(toc)
    if fmt == "mermaid":
        return mermaid(toc)
    if fmt == "dot":
        return dot(toc)
    raise DataError(f"format {fmt!r} has no text form; allowed: csv, json, mermaid, dot (xlsx needs --out)")


def write_toc(toc: TheoryOfChange, fmt: Format, out: Path) -> Path:
    """Write the ToC to ``out`` in ``fmt`` (csv, xlsx, json, mermaid, dot)."""
    if fmt not in FORMATS:
        raise DataError(f"format {fmt!r} is not supported; allowed: {', '.join(FORMATS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt != "xlsx":
        out.write_text(render_toc(toc, fmt), encoding="utf-8", newline="")
        return out
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    write_xlsx_sheet(ws, TEMPLATE_COLUMNS, [[row[c] for c in TEMPLATE_COLUMNS] for row in toc_rows(toc)])
    write_xlsx_sheet(wb.create_sheet("allowed_values"), ("column", "value", "meaning"), allowed_values())
    wb.save(out)
    return out


def allowed_values() -> list[tuple[str, str, str]]:
    """(column, value, meaning) rows for the template's guide sheet and docs."""
    rows = [("record", r, "") for r in RECORDS]
    rows += [("kind (node)", k.name, k.label) for k in NODE_KINDS.values()]
    rows += [("kind (evidence)", k.name, k.label) for k in EVIDENCE_KINDS.values()]
    rows += [("strength", s, meaning) for s, meaning in STRENGTHS]
    for kind in SOURCE_KINDS.values():
        rows.append(("kind (source)", kind.name, kind.label))
        rows += [(f"reference ({kind.name})", ref, label) for ref, label in kind.references or ()]
    return rows


# ---------------------------------------------------------------- diagrams

_KIND_STYLE: dict[str, str] = {
    "need": "#fde0dd", "population": "#fde0dd", "context": "#eeeeee", "activity": "#deebf7", "mechanism": "#e5f5e0",
    "short_term_outcome": "#fff7bc", "medium_term_outcome": "#fee391", "long_term_outcome": "#fec44f",
    "unintended_consequence": "#fcbba1", "barrier": "#d9d9d9", "enabler": "#d9d9d9",
}


_DEFAULT_FILL = "#ffffff"


def _diagram_ids(toc: TheoryOfChange) -> dict[str, str]:
    # workshop ids may hold spaces or words a diagram language reserves ('end', 'graph'): number them
    return {n.node_id: f"n{i + 1}" for i, n in enumerate(toc.nodes)}


def _mermaid_text(text: str) -> str:
    out = text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return out.replace("\r\n", "\n").replace("\n", "<br/>")


def mermaid(toc: TheoryOfChange) -> str:
    """A Mermaid ``flowchart LR``: a subgraph per node kind, arrows labelled with their assumptions."""
    ids = _diagram_ids(toc)
    lines = ["flowchart LR", f"    %% {_mermaid_text(toc.title)} ({toc.site_id})"]
    for k, kind in enumerate(NODE_KINDS.values()):
        members = [n for n in toc.nodes if n.kind == kind.name]
        if not members:
            continue
        lines.append(f'    subgraph k{k + 1}["{_mermaid_text(kind.label)}"]')
        lines += [f'        {ids[n.node_id]}["{_mermaid_text(n.label)}"]:::{kind.name}' for n in members]
        lines.append("    end")
    for lk in toc.links:
        text = lk.assumption or lk.label
        arrow = f'-->|"{_mermaid_text(text)}"|' if text else "-->"
        lines.append(f"    {ids[lk.from_id]} {arrow} {ids[lk.to_id]}")
    lines += [f"    classDef {kind.name} fill:{_KIND_STYLE.get(kind.name, _DEFAULT_FILL)},stroke:#555555"
              for kind in NODE_KINDS.values()]
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\n").replace("\n", "\\n")


def dot(toc: TheoryOfChange) -> str:
    """A Graphviz ``digraph``: a cluster per node kind, arrows labelled with their assumptions."""
    ids = _diagram_ids(toc)
    lines = ["digraph theory_of_change {", "    rankdir=LR;",
             f'    label="{_dot_text(toc.title)}"; labelloc=t;',
             '    node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for k, kind in enumerate(NODE_KINDS.values()):
        members = [n for n in toc.nodes if n.kind == kind.name]
        if not members:
            continue
        lines.append(f'    subgraph cluster_{k + 1} {{ label="{_dot_text(kind.label)}";')
        colour = _KIND_STYLE.get(kind.name, _DEFAULT_FILL)
        lines += [f'        {ids[n.node_id]} [label="{_dot_text(n.label)}", fillcolor="{colour}"];' for n in members]
        lines.append("    }")
    for lk in toc.links:
        text = lk.assumption or lk.label
        attrs = f' [label="{_dot_text(text)}"]' if text else ""
        lines.append(f"    {ids[lk.from_id]} -> {ids[lk.to_id]}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def diagram_elements(toc: TheoryOfChange, levels: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """Nodes and edges for a graph drawn in the browser (Cytoscape's ``elements`` shape).

    Each node carries its kind, the kind's words, its column (diagram order of kinds) and, for
    outcomes, the readiness level from ``levels`` (outcome id -> ``outcome_level`` of
    :func:`synthesis.outcome_readiness`; None when not given); each edge carries its assumption.
    """
    order = {k.name: i for i, k in enumerate(NODE_KINDS.values())}
    levels = levels or {}
    nodes = [{"data": {"id": n.node_id, "label": n.label, "kind": n.kind,
                       "kind_label": NODE_KINDS.get(n.kind).label, "column": order[n.kind],
                       "is_outcome": NODE_KINDS.get(n.kind).is_outcome, "level": levels.get(n.node_id)}}
             for n in toc.nodes]
    edges = [{"data": {"id": lk.link_id, "source": lk.from_id, "target": lk.to_id,
                       "label": lk.assumption or lk.label or ""}} for lk in toc.links]
    return nodes + edges


# ---------------------------------------------------------------- warehouse

def import_toc(path: Path, store: Store, site_id: str | None = None, roster: Iterable[str] = ()
               ) -> tuple[TheoryOfChange, bool]:
    """Read a ToC file and store it as the site's next version (unless it equals the current one).

    ``site_id`` may be None for a JSON file (it names its site); a template needs it.

    Beyond the model's own checks, site data items must be in the synthesis catalogue, coded
    segments cited as evidence must already be imported, and free text must be pseudonymised.
    Returns the stored model (with its version) and whether a new version was created.

    Example:
        >>> import_toc(Path("leap_toc.csv"), Store("demo.duckdb"), "leap")   # doctest: +SKIP
    """
    if site_id is not None:
        get_site(site_id)
    toc = read_toc(path, site_id)
    with store.transaction() as con:
        problems = _warehouse_problems(con, toc) + _identifier_problems(toc, tuple(roster))
        if problems:
            raise DataError(f"{Path(path).name}: {len(problems)} problem(s), nothing imported: "
                            + "; ".join(problems[:25]))
        version, created = store_toc(con, toc, Path(path).name)
    return dataclasses.replace(toc, version=version), created


def _warehouse_problems(con: duckdb.DuckDBPyConnection, toc: TheoryOfChange) -> list[str]:
    out = [f"source of {s.outcome_id}: data item {s.reference!r} is not in the synthesis catalogue; allowed: "
           f"{', '.join(DATA_ITEMS)}{did_you_mean(s.reference, DATA_ITEMS)}"
           for s in toc.sources if s.kind == "site_data_item" and s.reference not in DATA_ITEMS]
    cited = [e for e in toc.evidence if e.kind == "coded_segment"]
    if cited:
        known = {r[0] for r in con.execute(
            "SELECT segment_id FROM syn_coded_segment UNION SELECT selection_id FROM syn_coded_segment").fetchall()}
        out += [f"evidence {e.evidence_id}: coded segment {e.reference!r} is not among the imported segments; "
                "import the .qdpx project first (`linkready findings import`)"
                for e in cited if e.reference.strip().upper() not in known]
    return out


def _identifier_problems(toc: TheoryOfChange, roster: tuple[str, ...]) -> list[str]:
    texts = [(f"node {n.node_id}", f) for n in toc.nodes for f in (n.label, n.description) if f]
    texts += [(f"link {lk.link_id}", f) for lk in toc.links for f in (lk.assumption, lk.label) if f]
    texts += [(f"evidence {e.evidence_id}", f) for e in toc.evidence for f in (e.reference, e.note) if f]
    texts += [("title", toc.title)]
    out = []
    for where, text in texts:
        found = pseudonymise.scan(text, roster)
        if found:
            out.append(f"{where} holds identifiers ({pseudonymise.describe(found, limit=3)}); replace them with tokens")
    return out


def export_toc(store: Store, site_id: str, fmt: Format, out: Path | None = None, version: int | None = None) -> str:
    """Export the site's ToC (latest version unless ``version``); returns the text, or the path written."""
    with store.reader() as con:
        toc = load_toc(con, site_id, version)
    if out is not None:
        return str(write_toc(toc, fmt, out))
    return render_toc(toc, fmt)
