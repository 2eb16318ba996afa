"""``validate_drop``: check every file of a drop without loading it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from warehouse.adapters import SiteAdapter
from warehouse.codelists import year_of
from warehouse.drop import MANIFEST, read_manifest
from warehouse.errors import ConfigError, DataError
from warehouse.validation.discovery import resolve
from warehouse.validation.files import (
    DropContext,
    DropFile,
    check_file,
    discover,
    manifest_expectations,
    manifest_problems,
)
from warehouse.validation.problems import Problem, ValidationReport

__all__ = ["DEFAULT_YEAR", "open_drop", "validate_drop"]

DEFAULT_YEAR = 2025
"""Collection year used for code lists when neither a manifest, a CIN header nor ``--year`` gives one."""


def _manifest_facts(root: Path, manifest: dict[str, Any]) -> tuple[int | None, date | None]:
    extract: date | None = None
    raw_date = manifest.get("extract_date")
    if raw_date:
        try:
            extract = date.fromisoformat(str(raw_date))
        except ValueError:
            raise DataError(
                f"{root / MANIFEST}: extract_date is not an ISO date (YYYY-MM-DD); fix the manifest"
            ) from None
    if manifest.get("census_year") is None:
        return None, extract
    try:
        return year_of(manifest.get("census_year")), extract
    except ConfigError as exc:
        raise DataError(f"{root / MANIFEST}: {exc}") from None


def _check_options(la: str | None, year: int | None) -> None:
    problems = []
    if la is not None and not (len(la.strip()) == 3 and la.strip().isdigit()):
        problems.append(f"--la {la!r} is not a 3-digit DfE LA code (e.g. 380 for Bradford)")
    if year is not None and not 2000 <= year <= 2100:
        problems.append(f"--year {year} is not a collection year (give the year it ends, e.g. 2025 for 2024-25)")
    if problems:
        raise ConfigError("; ".join(problems))


def _check_severities(overrides: Mapping[str, str], default: str | None) -> None:
    """Refuse (all at once) severities naming no SSDA903 rule, a rule whose severity is DfE's, or not error/query."""
    if not overrides and default is None:
        return
    try:
        from warehouse.validation.dfe import DFE_RULES  # type: ignore[import-not-found,unused-ignore]
        from warehouse.validation.dfe.runner import severities  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ConfigError("--severity needs the DfE rule set (warehouse.validation.dfe), which is not installed") from None
    try:
        severities(list(DFE_RULES.values()), default, dict(overrides))  # type: ignore[arg-type,unused-ignore]
    except ConfigError as exc:
        raise ConfigError(f"{exc} (rules and their severities: docs/validation-rules.md)") from None


def open_drop(root: Path, hash_files: bool = True, *, la: str | None = None, year: int | None = None,
              layouts: list[SiteAdapter] | None = None, severities: Mapping[str, str] | None = None,
              default_severity: str | None = None
              ) -> tuple[DropContext, dict[str, Any], list[DropFile], list[Problem]]:
    """Read the manifest (when there is one) and list the drop's files with their LA and year.

    A real drop needs no manifest: the collection year comes from the CIN header's ReferenceDate (or
    ``year``), the LA from the folder, ``la`` or the header's LEA (see :mod:`warehouse.validation.discovery`).
    With ``hash_files`` the files the manifest lists are hashed and compared with it now (problems
    ``manifest_hash``, hashes kept in ``ctx.hashes``); without it only missing files are reported and
    the caller hashes (the loader does so while it checks, see :class:`warehouse.loading.FileHashes`).
    ``layouts`` read the named sites' files with these layouts instead of the registered ones.
    ``severities`` (DfE code or rule name -> ``error`` / ``query``) and ``default_severity`` set the severity
    of SSDA903 rules whose severity DfE does not publish (CIN rules keep DfE's).

    Raises:
        ConfigError: ``la`` or ``year`` is not a valid value; a severity names no SSDA903 rule, a rule whose
            severity is DfE's, or is not error / query.
        DataError: an unreadable manifest, a bad extract date, or no extract files at all.
    """
    root = Path(root)
    _check_options(la, year)
    _check_severities(severities or {}, default_severity)
    if not root.is_dir():
        raise DataError(f"{root} is not a directory; give the extract drop directory (see docs/extract-drop.md)")
    has_manifest = (root / MANIFEST).exists()
    manifest = read_manifest(root) if has_manifest else {}
    manifest_year, extract = _manifest_facts(root, manifest)
    given = year if year is not None else manifest_year
    ctx = DropContext(root, given or DEFAULT_YEAR, extract, has_manifest=has_manifest, year_given=given is not None,
                      layouts={a.site_id: a for a in layouts or []}, dfe_severities=dict(severities or {}),
                      dfe_default_severity=default_severity)
    files = resolve(root, discover(root, ctx.layouts), la.strip() if la else None, given)
    if not files:
        raise DataError(
            f"{root}: no extract files found; expected a CIN census XML, SSDA903 header or episodes CSVs, "
            "la/<la_code>/identifiers.csv or sites/<site_id>/<people file> (see docs/extract-drop.md)"
        )
    if not has_manifest:
        return ctx, manifest, files, []
    if not hash_files:
        return ctx, manifest, files, manifest_expectations(root, manifest)[0]
    return ctx, manifest, files, manifest_problems(root, manifest, ctx.hashes)


def validate_drop(root: Path, progress: Callable[[str], None] | None = None, *, la: str | None = None,
                  year: int | None = None, layouts: list[SiteAdapter] | None = None,
                  severities: Mapping[str, str] | None = None, default_severity: str | None = None) -> ValidationReport:
    """Check every file of the drop at ``root`` and return all problems found.

    Args:
        root: the drop directory (a manifest is optional).
        progress: called with a short line per file (counts only).
        la: the LA's 3-digit DfE code for files whose folder and header do not give it.
        year: the collection year (ending year) for files that do not give it (SSDA903 CSVs).
        layouts: site layouts to read those sites' files with (``--layout FILE``).
        severities, default_severity: SSDA903 rule severities DfE does not publish (see :func:`open_drop`).

    Returns:
        A :class:`ValidationReport`; ``report.outcome.exit_code == 0`` means nothing needs action.

    Raises:
        ConfigError, DataError: see :func:`open_drop`.

    Example:
        >>> report = validate_drop(Path("demo-data"))   # doctest: +SKIP
        >>> report.errors                               # doctest: +SKIP
        0
    """
    ctx, _manifest, files, problems = open_drop(root, la=la, year=year, layouts=layouts, severities=severities,
                                                default_severity=default_severity)
    report = ValidationReport(str(root), list(problems), [f.file for f in files])
    for src in files:
        checked = check_file(ctx, src)
        report.problems.extend(checked.problems)
        report.rows_checked += checked.rows_read
        report.refused_files += int(checked.fatal)
        if progress:
            progress(f"{src.file}: {checked.rows_read} rows, {len(checked.problems)} problems")
    return report
