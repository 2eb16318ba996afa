"""Find the files of a drop and what each one is: kind, local authority or site, collection year.

A synthetic drop has a ``manifest.json`` (the collection year, the extract date, SHA-256s) and the
layout of :mod:`warehouse.drop`. A real drop needs neither: LA files are recognised by content (a CIN
census XML by its ``Message``/``Header``; an SSDA903 or identifier CSV by its header, in any case),
the local authority comes from a folder named by its 3-digit DfE code (``la/975/`` or ``975/``), the
CIN header's ``LEA`` or ``--la``, and the collection year from the CIN header's ``ReferenceDate``,
``--year`` or the manifest. A disagreement is a problem on the file, never a crash.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from warehouse import drop
from warehouse.adapters import ADAPTERS, SiteAdapter
from warehouse.la_codes import is_english_la
from warehouse.validation.cin import cin_header, xml_encoding

__all__ = ["DropContext", "DropFile", "census_year_of", "classify_csv", "discover", "resolve"]

_LA_FOLDER = re.compile(r"^\d{3}$")


@dataclass(frozen=True)
class DropFile:
    """A file of the drop: its path relative to the drop, its kind and whose and which year it is.

    ``year`` is the collection year (ending year: 2025 = 2024-25) the file was delivered for, when known
    from the file itself, ``--year`` or the manifest; ``la_from`` says where ``la_code`` came from
    (``folder``, ``header``, ``option`` or ``drop``: another file of the same folder).
    """

    file: str
    kind: str
    la_code: str | None = None
    site_id: str | None = None
    measure: str | None = None
    year: int | None = None
    la_from: str | None = None
    header_lea: str | None = None


@dataclass
class DropContext:
    """Facts shared by every file of one drop (from its manifest or the command line)."""

    root: Path
    year: int
    extract_date: date | None
    site_people_ids: dict[str, set[str]] = field(default_factory=dict)
    # SHA-256 of each file the manifest lists, as computed while checking it (the loader reuses them)
    hashes: dict[str, str] = field(default_factory=dict)
    has_manifest: bool = True
    year_given: bool = True  # the year came from the manifest or --year (not the default)
    # typed SSDA903 tables of the drop by (LA, year) and table, for the DfE rules across header and episodes
    ssda903_tables: dict[tuple[str, int], dict[str, object]] = field(default_factory=dict)
    layouts: dict[str, SiteAdapter] = field(default_factory=dict)  # --layout: a site's files read this way
    # SSDA903 rules whose severity DfE does not publish: error/query by DfE code or name (--severity), and the
    # severity of those the run names nowhere (--ssda903-default-severity; None keeps the declared default)
    dfe_severities: dict[str, str] = field(default_factory=dict)
    dfe_default_severity: str | None = None

    def adapter(self, site_id: str) -> SiteAdapter:
        """The layout a site's files are read with: one given for this run, else the registered one."""
        return self.layouts.get(site_id) or ADAPTERS[site_id]

    def file_year(self, src: DropFile) -> int:
        return src.year if src.year is not None else self.year

    def file_extract_date(self, src: DropFile) -> date | None:
        """The data's "today" for a file: the manifest's extract date, else 31 March of its collection year."""
        if self.extract_date is not None:
            return self.extract_date
        return date(self.file_year(src), 3, 31) if (src.year is not None or self.year_given) else None


# ----------------------------------------------------------------------------- recognising a file

# Columns that identify each CSV kind (compared case-insensitively); the first match wins.
_CSV_SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("la_identifiers", frozenset({"LACHILDID", "FORENAME", "SURNAME"})),
    ("ssda903_oc2", frozenset({"CHILD", "SDQ_SCORE", "CONVICTED", "HEALTH_CHECK"})),
    ("ssda903_missing", frozenset({"CHILD", "MISSING", "MIS_START"})),
    ("ssda903_episodes", frozenset({"CHILD", "DECOM", "RNE", "LS"})),
    ("ssda903_header", frozenset({"CHILD", "SEX", "DOB", "ETHNIC"})),
)


def _head_text(path: Path, limit: int = 64 * 1024) -> str | None:
    with path.open("rb") as fh:
        head = fh.read(limit)
    for codec in ("utf-8-sig", "cp1252"):
        try:
            return head.decode(codec, errors="strict" if codec != "cp1252" else "replace")
        except UnicodeDecodeError:
            continue
    return None


def classify_csv(path: Path) -> str | None:
    """The kind of an LA CSV from its header (any case, any of , ; tab |), or None."""
    text = _head_text(path)
    if not text:
        return None
    first = text.splitlines()[0] if text.splitlines() else ""
    for delimiter in (",", ";", "\t", "|"):
        cols = {c.strip().upper() for c in next(csv.reader(io.StringIO(first), delimiter=delimiter), [])}
        for kind, needed in _CSV_SIGNATURES:
            if needed <= cols:
                return kind
    return None


def _is_cin_xml(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head:
        return False
    enc = xml_encoding(head) or "utf-8"
    try:
        text = head.decode("utf-16" if enc == "utf-16" else "utf-8", errors="replace")
    except LookupError:
        text = head.decode("latin-1")
    return "Message" in text or "Children" in text or "Header" in text


def census_year_of(header: dict[str, str | None]) -> int | None:
    """The collection year (ending year) a CIN header gives: ReferenceDate (31 March Y) first, then Year."""
    ref = header.get("ReferenceDate")
    if ref:
        try:
            d = date.fromisoformat(ref[:10])
            return d.year + (1 if d.month > 3 else 0)
        except ValueError:
            pass
    year = header.get("Year")
    if year and year.strip().isdigit() and len(year.strip()) == 4:
        return int(year.strip())
    return None


# ----------------------------------------------------------------------------- the layout


# the documented names (warehouse.drop): a file there is that kind even when it is empty or unreadable
_NAMED = {drop.LA_IDENTIFIERS: "la_identifiers", drop.CIN_CENSUS: "cin_census",
          drop.SSDA903_HEADER: "ssda903_header", drop.SSDA903_EPISODES: "ssda903_episodes"}
_ORDER = {"la_identifiers": 0, "cin_census": 1, "ssda903_header": 2, "ssda903_episodes": 3, "ssda903_oc2": 4,
          "ssda903_missing": 5, "unrecognised": 6}


def _kind_of(path: Path, folder: Path) -> str | None:
    """A file's kind by its documented name, else by content; ``unrecognised`` for another CSV or XML."""
    named = _NAMED.get(path.relative_to(folder).as_posix())
    if named:
        return named
    kind = None
    if path.suffix.lower() == ".xml" and _is_cin_xml(path):
        kind = "cin_census"
    elif path.suffix.lower() in (".csv", ".txt"):
        kind = classify_csv(path)
    if kind is None and path.suffix.lower() in (".csv", ".xml"):
        return "unrecognised"
    return kind


def _la_files(root: Path, folder: Path, code: str | None) -> list[DropFile]:
    """Every LA file under ``folder`` (recursively), recognised by name or content, in load order."""
    found: list[DropFile] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        kind = _kind_of(path, folder)
        if kind is not None:
            found.append(DropFile(path.relative_to(root).as_posix(), kind, la_code=code,
                                  la_from="folder" if code else None))
    return sorted(found, key=lambda f: (_ORDER[f.kind], f.file))


def _site_files(root: Path, layouts: dict[str, SiteAdapter]) -> list[DropFile]:
    found: list[DropFile] = []
    site_root = root / "sites"
    if not site_root.is_dir():
        return found
    known = {**ADAPTERS, **layouts}
    folders = sorted(p for p in site_root.iterdir() if p.is_dir() and p.name in known)
    for d in folders:
        people = known[d.name].people.filename
        if (d / people).is_file():
            found.append(DropFile(f"sites/{d.name}/{people}", "site_people", site_id=d.name))
    for d in folders:
        out = known[d.name].outcomes
        for m in out.measures:
            if (d / out.filename(m)).is_file():
                found.append(DropFile(f"sites/{d.name}/{out.filename(m)}", "site_outcomes", site_id=d.name,
                                      measure=m))
    return found


def discover(root: Path, layouts: dict[str, SiteAdapter] | None = None) -> list[DropFile]:
    """The drop's files in load order: LA files (identifiers, CIN, SSDA903), site people, site outcomes, truth.

    LA files are found under ``la/<code>/``, under a top-level folder named by a 3-digit code, or loose
    anywhere else outside ``sites/``, ``truth/`` and ``findings/`` (their LA is then found by
    :func:`resolve`).
    """
    found: list[DropFile] = []
    skip = {"sites", "truth", "findings", "la"}
    la_root = root / "la"
    if la_root.is_dir():
        for d in sorted(p for p in la_root.iterdir() if p.is_dir()):
            found += _la_files(root, d, d.name)
    for d in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in skip and not p.name.startswith(".")):
        found += _la_files(root, d, d.name if _LA_FOLDER.match(d.name) else None)
    loose = [p for p in sorted(root.iterdir()) if p.is_file() and p.name != drop.MANIFEST]
    if loose:
        found += [f for f in _la_loose(root, loose)]
    found += _site_files(root, layouts or {})
    if (root / drop.TRUTH_LINKS).is_file():
        found.append(DropFile(drop.TRUTH_LINKS, "truth_links"))
    return found


def _la_loose(root: Path, paths: list[Path]) -> list[DropFile]:
    out = [DropFile(p.relative_to(root).as_posix(), kind) for p in paths if (kind := _kind_of(p, root)) is not None]
    return sorted(out, key=lambda f: (_ORDER[f.kind], f.file))


def resolve(root: Path, files: list[DropFile], la: str | None, year: int | None) -> list[DropFile]:
    """Fill in each LA file's LA code and collection year.

    CIN files read their header: the year from ReferenceDate (it wins over ``year``: the file knows
    its census), the LEA as the LA when the folder gives none. Other files of the same folder take the
    folder's LA, else ``la``, else the LEA of the folder's only CIN file; their year is ``year``, else
    the folder's CIN year.
    """
    out: list[DropFile] = []
    by_folder: dict[str, tuple[str | None, int | None]] = {}
    by_la: dict[str, int] = {}
    for f in files:
        if f.kind != "cin_census":
            continue
        header = cin_header(root / f.file)
        lea = (header.get("LEA") or "").strip() or None
        cin_year = census_year_of(header)
        by_folder.setdefault(str(Path(f.file).parent), (lea, cin_year))
        code, source = (f.la_code, f.la_from) if f.la_code else ((la, "option") if la else (lea, "header"))
        if code and cin_year:
            by_la.setdefault(code, cin_year)
        out.append(replace(f, la_code=code, la_from=source if code else None, header_lea=lea, year=cin_year or year))
    for f in files:
        if f.kind == "cin_census":
            continue
        if f.kind in ("site_people", "site_outcomes", "truth_links", "unrecognised"):
            out.append(f)
            continue
        lea, cin_year = _nearest(by_folder, Path(f.file).parent)
        code, source = (f.la_code, f.la_from) if f.la_code else ((la, "option") if la else (lea, "drop"))
        out.append(replace(f, la_code=code, la_from=source if code else None,
                           year=year or (by_la.get(code) if code else None) or cin_year))
    position = {f.file: i for i, f in enumerate(files)}
    return sorted(out, key=lambda f: position[f.file])


def _nearest(by_folder: dict[str, tuple[str | None, int | None]], folder: Path) -> tuple[str | None, int | None]:
    """The LEA and year of the CIN census in ``folder`` or the nearest folder above it."""
    for d in (folder, *folder.parents):
        if str(d) in by_folder:
            return by_folder[str(d)]
    return None, None


def la_code_known(code: str | None) -> bool:
    """Whether an LA code is an English LA's DfE code (any other 3-digit code loads with a query)."""
    return code is not None and is_english_la(code)
