"""Import any supported file into the warehouse and export the warehouse as a REFI-QDA project."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from synthesis import refi
from synthesis.catalogue import seed_catalogue
from synthesis.offsets import OFFSET_CONVENTIONS, code_point_to_convention
from synthesis.projects import ImportReport, build_project, store_project, variable_guids
from synthesis.spreadsheet import import_spreadsheet
from warehouse.errors import DataError
from warehouse.sites import get_site
from warehouse.store import Store

SUFFIXES = (".qdpx", ".qdc", ".csv", ".xlsx")


def import_file(path: Path, store: Store, site: str | None = None, roster: Iterable[str] = ()) -> ImportReport:
    """Import a ``.qdpx`` project, ``.qdc`` codebook or ``.csv`` / ``.xlsx`` template file.

    Args:
        path: the file.
        store: a read-write warehouse.
        site: site for material that names none; material naming another site is refused.
        roster: names (participants, staff, places) the pseudonymisation check looks for.
    Returns:
        An :class:`ImportReport` of counts.
    Raises:
        DataError: unreadable file, identifiers found in a transcript, template errors (row and column named).

    Example:
        >>> import_file(Path("demo-data/findings/project.qdpx"), Store("demo.duckdb"))   # doctest: +SKIP
    """
    path = Path(path)
    if site is not None:
        get_site(site)
    if not path.is_file():
        raise DataError(f"{path} does not exist or is not a file; give a {', '.join(SUFFIXES)} file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{path.name}: unsupported file type {suffix!r}; allowed: {', '.join(SUFFIXES)}")
    project = refi.read_qdpx(path) if suffix == ".qdpx" else refi.read_qdc(path) if suffix == ".qdc" else None
    with store.transaction() as con:
        seed_catalogue(con)
        if project is not None:
            report = store_project(con, project, path.name, site, roster)
            report.kind = suffix.lstrip(".")
            return report
        return import_spreadsheet(con, path, site, roster)


def export_qdpx(store: Store, out: Path, offsets: str = "refi") -> Path:
    """Write the warehouse's codebook, documents, coded segments, participants, memos and themes as a ``.qdpx``.

    Args:
        store: the warehouse.
        out: the ``.qdpx`` file.
        offsets: how selection offsets are counted: ``refi`` (code points, the standard) or a tool's own
            convention from ``synthesis.offsets.OFFSET_CONVENTIONS`` (``nvivo``: UTF-16 units, so quotes
            after an emoji land where NVivo expects them). The project's origin names the convention, so
            linkready reads its own export back exactly.
    """
    out = Path(out)
    if out.suffix.lower() != ".qdpx":
        raise DataError(f"export file {out.name!r} must end in .qdpx")
    convention = OFFSET_CONVENTIONS.get(offsets)
    with store.reader() as con:
        project = build_project(con)
    if convention.name != "refi":
        project.origin = f"linkready (offsets as {convention.label} counts them)"
        for src in project.sources:
            for sel in src.selections:
                sel.start = code_point_to_convention(src.text, sel.start, convention)
                sel.end = code_point_to_convention(src.text, sel.end, convention)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return refi.write_qdpx(project, out, variable_guids(project), stamp)
