"""``validate_drop``: check every file of a drop without loading it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from warehouse.codelists import year_of
from warehouse.drop import read_manifest
from warehouse.errors import DataError
from warehouse.validation.files import (
    DropContext,
    DropFile,
    check_file,
    discover,
    manifest_expectations,
    manifest_problems,
)
from warehouse.validation.problems import Problem, ValidationReport

__all__ = ["open_drop", "validate_drop"]


def open_drop(root: Path, hash_files: bool = True) -> tuple[DropContext, dict[str, Any], list[DropFile], list[Problem]]:
    """Read the manifest and list the drop's files.

    With ``hash_files`` the files the manifest lists are hashed and compared with it now (problems
    ``manifest_hash``, hashes kept in ``ctx.hashes``); without it only missing files are reported and
    the caller hashes (the loader does so while it checks, see :class:`warehouse.loading.FileHashes`).

    Raises:
        DataError: no manifest, an unreadable one, a bad extract date, or no extract files at all.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root} is not a directory; give the extract drop directory (see docs/extract-drop.md)")
    manifest = read_manifest(root)
    extract: date | None = None
    raw_date = manifest.get("extract_date")
    if raw_date:
        try:
            extract = date.fromisoformat(str(raw_date))
        except ValueError:
            raise DataError(
                f"{root / 'manifest.json'}: extract_date is not an ISO date (YYYY-MM-DD); fix the manifest"
            ) from None
    try:
        year = year_of(manifest.get("census_year"))
    except Exception as exc:  # ConfigError carries the explanation
        raise DataError(f"{root / 'manifest.json'}: {exc}") from None
    ctx = DropContext(root, year, extract)
    files = discover(root)
    if not files:
        raise DataError(
            f"{root}: no extract files found; expected la/<la_code>/identifiers.csv, cin_census.xml, "
            "ssda903/*.csv or sites/<site_id>/<people file> (see docs/extract-drop.md)"
        )
    if not hash_files:
        return ctx, manifest, files, manifest_expectations(root, manifest)[0]
    return ctx, manifest, files, manifest_problems(root, manifest, ctx.hashes)


def validate_drop(root: Path, progress: Callable[[str], None] | None = None) -> ValidationReport:
    """Check every file of the drop at ``root`` and return all problems found.

    Args:
        root: the drop directory (with ``manifest.json``).
        progress: called with a short line per file (counts only).

    Returns:
        A :class:`ValidationReport`; ``report.errors == 0`` means the drop is clean.

    Raises:
        DataError: the directory is not a drop (see :func:`open_drop`).

    Example:
        >>> report = validate_drop(Path("demo-data"))   # doctest: +SKIP
        >>> report.errors                               # doctest: +SKIP
        0
    """
    ctx, _manifest, files, problems = open_drop(root)
    report = ValidationReport(str(root), list(problems), [f.file for f in files])
    for src in files:
        checked = check_file(ctx, src)
        report.problems.extend(checked.problems)
        report.rows_checked += checked.rows_read
        if progress:
            progress(f"{src.file}: {checked.rows_read} rows, {len(checked.problems)} problems")
    return report
