"""Check each file of an extract drop against its declaration, ready for reporting or loading.

:func:`discover` lists the drop's files by the layout in :mod:`warehouse.drop`; :func:`check_file`
reads one file (verifying encoding, delimiter, header and date format), runs the rule engine and
returns a :class:`CheckedFile`: its problems, its typed good rows per table and its rejected rows.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from warehouse import drop
from warehouse.adapters import ADAPTERS, SiteAdapter
from warehouse.measures import get_measure
from warehouse.sites import LOCAL_AUTHORITIES, SITES
from warehouse.validation.checks import ISSUE_SCHEMA, CheckContext, Checked, check_table, duplicate_rows
from warehouse.validation.cin import flatten_cin
from warehouse.validation.declarations import TableSpec, Unique, get_spec
from warehouse.validation.parsing import RawTable, read_delimited
from warehouse.validation.problems import RULES, Problem

__all__ = ["CheckedFile", "DropFile", "DropContext", "check_file", "discover"]

_ALT_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


@dataclass(frozen=True)
class DropFile:
    """A file of the drop: its path relative to the drop, its kind and whose it is."""

    file: str
    kind: str
    la_code: str | None = None
    site_id: str | None = None
    measure: str | None = None


@dataclass
class DropContext:
    """Facts shared by every file of one drop (from its manifest)."""

    root: Path
    year: int
    extract_date: date | None
    site_people_ids: dict[str, set[str]] = field(default_factory=dict)
    # SHA-256 of each file the manifest lists, as computed while checking it (the loader reuses them)
    hashes: dict[str, str] = field(default_factory=dict)


@dataclass
class CheckedFile:
    """One checked file.

    Attributes:
        source: which file.
        rows_read: data rows read (header excluded; XML: Child elements).
        problems: file- and row-level problems.
        fatal: the file as a whole cannot be loaded (no row of it is loaded).
        tables: typed good rows by table name (only rows with no error).
        rejects: one row per issue on a rejected row: ``_row, field, rule, message, original``.
    """

    source: DropFile
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    rejects: pl.DataFrame | None = None

    @property
    def rows_rejected(self) -> int:
        if self.fatal:
            return self.rows_read
        if self.rejects is None or self.rejects.height == 0:
            return 0
        return self.rejects.get_column("_row").n_unique()

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_rejected


# ----------------------------------------------------------------------------- discovery


def discover(root: Path) -> list[DropFile]:
    """The drop's files in load order: LA files, site people, site outcomes, truth links."""
    found: list[DropFile] = []
    la_root = root / "la"
    if la_root.is_dir():
        for d in sorted(p for p in la_root.iterdir() if p.is_dir()):
            code = d.name
            for rel, kind in ((drop.LA_IDENTIFIERS, "la_identifiers"), (drop.CIN_CENSUS, "cin_census"),
                              (drop.SSDA903_HEADER, "ssda903_header"), (drop.SSDA903_EPISODES, "ssda903_episodes")):
                if (d / rel).is_file():
                    found.append(DropFile(f"la/{code}/{rel}", kind, la_code=code))
    site_root = root / "sites"
    if site_root.is_dir():
        for d in sorted(p for p in site_root.iterdir() if p.is_dir()):
            adapter = ADAPTERS.get(d.name)
            if adapter is None:
                continue
            if (d / adapter.people.filename).is_file():
                found.append(DropFile(f"sites/{d.name}/{adapter.people.filename}", "site_people", site_id=d.name))
        for d in sorted(p for p in site_root.iterdir() if p.is_dir()):
            adapter = ADAPTERS.get(d.name)
            if adapter is None:
                continue
            for m in adapter.outcomes.measures:
                name = adapter.outcomes.filename(m)
                if (d / name).is_file():
                    found.append(DropFile(f"sites/{d.name}/{name}", "site_outcomes", site_id=d.name, measure=m))
    if (root / drop.TRUTH_LINKS).is_file():
        found.append(DropFile(drop.TRUTH_LINKS, "truth_links"))
    return found


# ----------------------------------------------------------------------------- helpers


def _problem(file: str, row: int | None, fld: str | None, rule_id: str, detail: str | None = None) -> Problem:
    r = RULES[rule_id]
    where = f"{fld}: " if fld else ""
    msg = f"{where}{r.description}" + (f" ({detail})" if detail else "")
    return Problem(file, row, fld, rule_id, msg, r.hint, r.severity)


def _issues_to_problems(file: str, issues: pl.DataFrame) -> list[Problem]:
    out: list[Problem] = []
    for row, fld, rule_id in issues.sort("_row", maintain_order=True).iter_rows():
        out.append(_problem(file, int(row), fld, rule_id))
    return out


def _row_json(frame: pl.DataFrame) -> pl.DataFrame:
    cols = [c for c in frame.columns if c != "_row"]
    if not cols:
        return frame.select("_row", pl.lit(None, dtype=pl.String).alias("original"))
    return frame.select("_row", pl.struct(cols).struct.json_encode().alias("original"))


def _rejects(file: str, issues: pl.DataFrame, originals: pl.DataFrame) -> pl.DataFrame:
    if issues.height == 0:
        return pl.DataFrame(schema={**ISSUE_SCHEMA, "message": pl.String, "original": pl.String})
    messages = pl.DataFrame(
        {"rule": list(RULES), "description": [r.description for r in RULES.values()]}
    )
    out = issues.join(messages, on="rule", how="left").with_columns(
        pl.when(pl.col("field").is_not_null())
        .then(pl.col("field") + pl.lit(": ") + pl.col("description"))
        .otherwise(pl.col("description"))
        .alias("message")
    ).drop("description")
    return out.join(originals, on="_row", how="left")


def _file_fatal(checked: CheckedFile, raw: RawTable) -> bool:
    for rule_id, detail in raw.file_issues:
        checked.problems.append(_problem(checked.source.file, None, None, rule_id, detail))
    return raw.fatal


def _row_issue_frame(raw: RawTable) -> tuple[pl.DataFrame, pl.DataFrame]:
    issues = pl.DataFrame(
        {"_row": [i.row for i in raw.row_issues], "field": [None] * len(raw.row_issues),
         "rule": [i.rule for i in raw.row_issues]},
        schema=ISSUE_SCHEMA,
    )
    originals = pl.DataFrame(
        {"_row": [i.row for i in raw.row_issues], "original": [i.original for i in raw.row_issues]},
        schema={"_row": pl.Int64, "original": pl.String},
    )
    return issues, originals


def _finish(checked: CheckedFile, raw: RawTable, issues: pl.DataFrame, typed: dict[str, pl.DataFrame]) -> None:
    """Combine engine issues with reading issues; split good rows from rejects."""
    read_issues, read_originals = _row_issue_frame(raw)
    # an exact duplicate row is reported once, as duplicate_row, not again as a duplicate key
    dup_rows = issues.filter(pl.col("rule") == "duplicate_row").get_column("_row")
    issues = issues.filter(~((pl.col("rule") == "duplicate_key") & pl.col("_row").is_in(dup_rows.implode())))
    all_issues = pl.concat([read_issues, issues]).sort("_row", maintain_order=True)
    checked.problems.extend(_issues_to_problems(checked.source.file, all_issues))
    errors = [r for r, spec in RULES.items() if spec.severity == "error"]
    bad = issues.filter(pl.col("rule").is_in(errors)).get_column("_row").unique()
    originals = pl.concat([read_originals, _row_json(raw.frame.filter(pl.col("_row").is_in(bad.implode())))])
    checked.rejects = _rejects(checked.source.file, all_issues.filter(pl.col("rule").is_in(errors)), originals)
    for name, frame in typed.items():
        checked.tables[name] = frame.filter(~pl.col("_row").is_in(bad.implode()))


def _date_format_ok(frame: pl.DataFrame, cols: list[str], fmt: str) -> str | None:
    """None if ``fmt`` fits the dates; else the format that fits them instead (a wrong declaration)."""
    values = pl.concat(
        [frame.get_column(c).str.strip_chars().replace("", None).drop_nulls() for c in cols if c in frame.columns]
        or [pl.Series([], dtype=pl.String)]
    ).head(2000)
    if values.len() < 3:
        return None
    share = values.str.strptime(pl.Date, fmt, strict=False, exact=True).is_not_null().mean() or 0.0
    if share >= 0.5:
        return None
    for alt in _ALT_DATE_FORMATS:
        if alt != fmt:
            s = values.str.strptime(pl.Date, alt, strict=False, exact=True).is_not_null().mean() or 0.0
            if s >= 0.9:
                return alt
    return None


# ----------------------------------------------------------------------------- per kind


def _exact_duplicates(raw: RawTable, spec: TableSpec, result: Checked) -> pl.DataFrame:
    """``duplicate_row`` issues for an LA table (rows compared on the spec's columns).

    When the spec declares a one-field key among those columns, an exact copy of a row repeats its
    key, so only rows holding a key that repeats are compared: a file without repeated keys costs
    nothing here.
    """
    cols = ["_row", *spec.required_columns]
    frame = raw.frame.select(cols)
    key = next((r for r in spec.rules if isinstance(r, Unique) and len(r.fields) == 1), None)
    if key is None or key.fields[0] not in cols:
        return duplicate_rows(frame)
    name = key.fields[0]
    repeats = result.issues.filter(pl.col("rule") == key.rule).get_column("_row")
    if repeats.len() == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    values = result.typed.filter(pl.col("_row").is_in(repeats.implode())).get_column(name).unique()
    holders = result.typed.filter(pl.col(name).is_in(values.implode())).get_column("_row")
    return duplicate_rows(frame.filter(pl.col("_row").is_in(holders.implode())))


def _check_la_csv(ctx: DropContext, src: DropFile, spec_name: str, codelists: dict[str, frozenset[str]]) -> CheckedFile:
    checked = CheckedFile(src)
    spec = get_spec(spec_name, ctx.year)
    raw = read_delimited(ctx.root / src.file, encoding="utf-8", delimiter=",",
                         required_columns=spec.required_columns)
    checked.rows_read = raw.rows_read
    if _file_fatal(checked, raw):
        checked.fatal = True
        return checked
    result = check_table(raw.frame, spec, CheckContext(ctx.year, ctx.extract_date, codelists=codelists))
    issues = pl.concat([result.issues, _exact_duplicates(raw, spec, result)])
    _finish(checked, raw, issues, {spec_name: result.typed})
    return checked


def _check_cin(ctx: DropContext, src: DropFile) -> CheckedFile:
    checked = CheckedFile(src)
    path = ctx.root / src.file
    if path.stat().st_size == 0:
        checked.problems.append(_problem(src.file, None, None, "empty_file"))
        checked.fatal = True
        return checked
    with path.open("rb") as fh:
        head = fh.read(4096)
    if b"\x00" in head:
        checked.problems.append(_problem(src.file, None, None, "not_text"))
        checked.fatal = True
        return checked
    tables = flatten_cin(path)
    checked.rows_read = tables.children
    if tables.malformed:
        checked.problems.append(_problem(src.file, None, None, "xml_malformed", tables.malformed))
        if tables.children == 0:
            checked.fatal = True
            return checked
    base = CheckContext(ctx.year, ctx.extract_date)
    assert tables.child is not None and tables.details is not None and tables.assessments is not None
    assert tables.factors is not None and tables.plans is not None and tables.section47 is not None
    assert tables.cpp is not None
    child = check_table(tables.child, get_spec("cin_child", ctx.year), base)
    dob = child.typed.select("_row", "PersonBirthDate")
    details = check_table(tables.details.join(dob, on="_row", how="left"), get_spec("cin_details", ctx.year), base)
    ref = details.typed.select("_row", "cin_details_id", "CINreferralDate")
    assessments = check_table(tables.assessments.join(ref, on=["_row", "cin_details_id"], how="left"),
                              get_spec("cin_assessments", ctx.year), base)
    factors = check_table(tables.factors, get_spec("cin_factors", ctx.year), base)
    plans = check_table(tables.plans, get_spec("cin_plans", ctx.year), base)
    s47 = check_table(tables.section47, get_spec("cin_section47", ctx.year), base)
    cpp = check_table(tables.cpp, get_spec("cin_cpp", ctx.year), base)
    dup_children = duplicate_rows(
        pl.DataFrame({"_row": list(tables.originals), "xml": list(tables.originals.values())},
                     schema={"_row": pl.Int64, "xml": pl.String})
    )
    issues = pl.concat([child.issues, details.issues, assessments.issues, factors.issues, plans.issues,
                        s47.issues, cpp.issues, dup_children])
    originals = pl.DataFrame({"_row": list(tables.originals), "xml": list(tables.originals.values())},
                             schema={"_row": pl.Int64, "xml": pl.String})
    raw = RawTable(originals, ["xml"], tables.children)
    _finish(checked, raw, issues, {
        "cin_child": child.typed, "cin_details": details.typed, "cin_assessments": assessments.typed,
        "cin_factors": factors.typed, "cin_plans": plans.typed, "cin_section47": s47.typed, "cin_cpp": cpp.typed,
    })
    return checked


def _canonical_people(raw: RawTable, adapter: SiteAdapter) -> pl.DataFrame:
    layout = adapter.people
    frame = raw.frame.select("_row", *[pl.col(src).alias(canon) for canon, src in layout.columns.items()])
    maps = []
    for canon, mapping in layout.value_maps.items():
        maps.append(pl.col(canon).str.strip_chars().replace(mapping).alias(canon))
    return frame.with_columns(maps) if maps else frame


def _check_site_people(ctx: DropContext, src: DropFile) -> CheckedFile:
    checked = CheckedFile(src)
    assert src.site_id is not None
    adapter = ADAPTERS[src.site_id]
    layout = adapter.people
    raw = read_delimited(ctx.root / src.file, encoding=layout.encoding, delimiter=layout.delimiter,
                         required_columns=list(layout.columns.values()))
    checked.rows_read = raw.rows_read
    if _file_fatal(checked, raw):
        checked.fatal = True
        return checked
    date_cols = [layout.columns[c] for c in ("dob", "expected_dob", "referral_date", "end_date")]
    fits = _date_format_ok(raw.frame, date_cols, layout.date_format)
    if fits is not None:
        checked.problems.append(_problem(
            src.file, None, None, "date_format_mismatch", f"declared {layout.date_format}, dates look like {fits}"))
        checked.fatal = True
        return checked
    frame = _canonical_people(raw, adapter)
    ctxt = CheckContext(
        ctx.year, ctx.extract_date, date_format=layout.date_format,
        codelists={"la_code": frozenset(SITES[src.site_id].la_codes), "sex": frozenset({"M", "F", "U"})},
        labels=dict(layout.columns),
    )
    result = check_table(frame, get_spec("site_people", ctx.year), ctxt)
    issues = pl.concat([result.issues, duplicate_rows(raw.frame)])
    ctx.site_people_ids[src.site_id] = set(
        frame.get_column("record_id").str.strip_chars().drop_nulls().to_list()
    )
    extras = [c for c in layout.extra_columns if c in raw.frame.columns]
    typed = result.typed
    if extras:
        typed = typed.join(raw.frame.select("_row", *extras), on="_row", how="left")
    _finish(checked, raw, issues, {"site_people": typed})
    return checked


def _check_site_outcomes(ctx: DropContext, src: DropFile) -> CheckedFile:
    checked = CheckedFile(src)
    assert src.site_id is not None and src.measure is not None
    adapter = ADAPTERS[src.site_id]
    layout = adapter.outcomes
    measure = get_measure(src.measure)
    item_cols = [f"{layout.item_prefix}{i}" for i in range(1, measure.n_items + 1)]
    people = adapter.people
    raw = read_delimited(ctx.root / src.file, encoding=people.encoding, delimiter=people.delimiter,
                         required_columns=[layout.id_column, layout.timepoint_column, layout.date_column, *item_cols])
    checked.rows_read = raw.rows_read
    if _file_fatal(checked, raw):
        checked.fatal = True
        return checked
    extra = [c for c in raw.header if c.startswith(layout.item_prefix) and c[len(layout.item_prefix):].isdigit()
             and int(c[len(layout.item_prefix):]) > measure.n_items]
    if extra:
        checked.problems.append(_problem(
            src.file, None, None, "item_count",
            f"{measure.name} has {measure.n_items} items; the file also has {', '.join(extra[:5])}"))
        checked.fatal = True
        return checked
    fits = _date_format_ok(raw.frame, [layout.date_column], people.date_format)
    if fits is not None:
        checked.problems.append(_problem(
            src.file, None, None, "date_format_mismatch", f"declared {people.date_format}, dates look like {fits}"))
        checked.fatal = True
        return checked
    frame = raw.frame.select(
        "_row",
        pl.col(layout.id_column).alias("record_id"),
        pl.col(layout.timepoint_column).str.strip_chars().replace(layout.timepoint_labels).alias("timepoint"),
        pl.col(layout.date_column).alias("assessed_date"),
        *[pl.col(c) for c in item_cols],
    )
    labels = {"record_id": layout.id_column, "timepoint": layout.timepoint_column,
              "assessed_date": layout.date_column}
    result = check_table(frame, get_spec("site_outcomes", ctx.year),
                         CheckContext(ctx.year, ctx.extract_date, date_format=people.date_format, labels=labels))
    found = [result.issues, duplicate_rows(raw.frame)]
    allowed = [str(v) for v in measure.item_values]
    rows = frame.get_column("_row")
    item_exprs = []
    for c in item_cols:
        col = frame.get_column(c).str.strip_chars().replace("", None)
        bad = col.is_not_null() & ~col.is_in(allowed)
        found.append(pl.DataFrame({"_row": rows.filter(bad), "field": c, "rule": "item_value"}, schema=ISSUE_SCHEMA))
        item_exprs.append(pl.lit(col.cast(pl.Int64, strict=False)).alias(c))
    ids = ctx.site_people_ids.get(src.site_id)
    if ids is not None:
        rid = frame.get_column("record_id").str.strip_chars()
        orphan = rid.is_not_null() & ~rid.is_in(sorted(ids))
        found.append(pl.DataFrame({"_row": rows.filter(orphan), "field": layout.id_column, "rule": "unknown_person"},
                                  schema=ISSUE_SCHEMA))
    typed = result.typed.with_columns(item_exprs)
    _finish(checked, raw, pl.concat(found), {"site_outcomes": typed})
    return checked


def check_file(ctx: DropContext, src: DropFile) -> CheckedFile:
    """Read and check one file of the drop. Never raises for bad content."""
    if src.la_code is not None and src.la_code not in LOCAL_AUTHORITIES:
        checked = CheckedFile(src)
        checked.problems.append(_problem(src.file, None, None, "unknown_la",
                                         f"known codes: {', '.join(LOCAL_AUTHORITIES)}"))
        checked.fatal = True
        return checked
    if src.kind == "la_identifiers":
        return _check_la_csv(ctx, src, "la_identifiers", {"sex": frozenset({"M", "F", "U"})})
    if src.kind == "ssda903_header":
        return _check_la_csv(ctx, src, "ssda903_header", {})
    if src.kind == "ssda903_episodes":
        return _check_la_csv(ctx, src, "ssda903_episodes", {})
    if src.kind == "cin_census":
        return _check_cin(ctx, src)
    if src.kind == "site_people":
        return _check_site_people(ctx, src)
    if src.kind == "site_outcomes":
        return _check_site_outcomes(ctx, src)
    if src.kind == "truth_links":
        return _check_la_csv(ctx, src, "truth_links", {})
    raise ValueError(f"unknown file kind {src.kind!r}")


def manifest_expectations(root: Path, manifest: dict[str, object]) -> tuple[list[Problem], dict[str, str]]:
    """Problems for files the manifest lists but the drop lacks, and the SHA-256 it gives the others."""
    missing: list[Problem] = []
    expected: dict[str, str] = {}
    files = manifest.get("files")
    for entry in files if isinstance(files, list) else []:
        if not isinstance(entry, dict) or "path" not in entry:
            continue
        rel = str(entry["path"])
        if not (root / rel).is_file():
            missing.append(_problem(rel, None, None, "missing_file"))
        elif entry.get("sha256"):
            expected[rel] = str(entry["sha256"])
    return missing, expected


def hash_problem(rel: str, actual: str, expected: str | None) -> Problem | None:
    """A ``manifest_hash`` problem when the file's SHA-256 is not the one the manifest gives."""
    return _problem(rel, None, None, "manifest_hash") if expected is not None and actual != expected else None


def manifest_problems(root: Path, manifest: dict[str, object], hashes: dict[str, str] | None = None) -> list[Problem]:
    """Files the manifest lists but the drop lacks, and files whose hash differs.

    ``hashes``, when given, receives each hashed file's SHA-256 by its path relative to ``root``.
    Files are hashed on two threads (hashlib releases the GIL on large reads).
    """
    out, expected = manifest_expectations(root, manifest)
    with ThreadPoolExecutor(max_workers=2) as pool:
        actual = dict(zip(expected, pool.map(lambda rel: drop.sha256_file(root / rel), expected), strict=True))
    for rel, want in expected.items():
        if hashes is not None:
            hashes[rel] = actual[rel]
        if (problem := hash_problem(rel, actual[rel], want)) is not None:
            out.append(problem)
    return out
