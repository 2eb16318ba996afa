"""``linkready validate``, ``load`` and ``purge`` (thin calls into ``warehouse``).

Exit codes a script can trust: 0 when nothing needs action (DfE queries alone are reported but do not
fail), 1 when an error was flagged or a file was refused or quarantined, 2 on a usage error (a bad
option). The ``--json`` report says which (``exit_code``, ``needs_action``, ``reasons``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from warehouse import ConfigError

if TYPE_CHECKING:   # only annotations: the loader itself is imported when a command runs
    from warehouse import Outcome, Problem, SiteAdapter

_EXAMPLES = 20


def _write_json(path: Path, payload: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _print_problems(problems: list[Problem]) -> None:
    if not problems:
        return
    by_file_rule = Counter((p.file, p.dfe_rule or "", p.rule, p.severity) for p in problems)
    click.echo("Problems by file and rule:")
    for (file, dfe, rule, severity), n in sorted(by_file_rule.items()):
        named = f"{rule} (DfE {dfe})" if dfe else rule
        click.echo(f"  {n:>7}  {severity:<5}  {named:<40} {file}")
    click.echo(f"First {min(_EXAMPLES, len(problems))} of {len(problems)}:")
    for p in problems[:_EXAMPLES]:
        where = f"{p.file}" + (f" row {p.row}" if p.row is not None else "") + (f" field {p.field}" if p.field else "")
        record = f" child {p.child_id}" if p.child_id else ""
        click.echo(f"  [{p.severity}] {where}{record}: {p.rule}: {p.message}")
        click.echo(f"      fix: {p.hint}")


def _finish(result: Outcome) -> None:
    if result.needs_action:
        click.echo("Needs action: " + "; ".join(result.reasons))
        # sys.exit, not click's Exit: the group runs with standalone_mode=False, which returns Exit codes
        sys.exit(result.exit_code)
    click.echo("Nothing needs action.")


def _usage(exc: ConfigError) -> click.UsageError:
    return click.UsageError(str(exc))


_layout_option = click.option(
    "--layout", "layout_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A site layout TOML (e.g. from `linkready layout infer`): read that site's files with it. Repeatable.")


def _severity_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--severity CODE=LEVEL (repeatable) and --ssda903-default-severity: SSDA903 severities DfE does not publish."""
    fn = click.option(
        "--ssda903-default-severity", "default_severity", type=click.Choice(["error", "query"]),
        help="Severity of SSDA903 rules whose severity DfE does not publish and this run names nowhere "
             "(default: error; see docs/validation-rules.md).")(fn)
    return click.option(
        "--severity", "severity_pairs", multiple=True, metavar="RULE=LEVEL",
        help="Severity of one SSDA903 rule by its DfE code or name, e.g. --severity 442=query. Repeatable; "
             "CIN rules keep DfE's published severity.")(fn)


def _severities(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("442=query", ...)`` -> ``{"442": "query"}``; a malformed pair is a usage error."""
    out: dict[str, str] = {}
    bad = [p for p in pairs if p.count("=") != 1 or not all(x.strip() for x in p.split("="))]
    if bad:
        raise click.UsageError(f"--severity takes RULE=LEVEL (e.g. 442=query); got {', '.join(map(repr, bad))}")
    for pair in pairs:
        rule, level = (x.strip() for x in pair.split("="))
        out[rule] = level.lower()
    return out


def _layouts(files: tuple[Path, ...]) -> list[SiteAdapter]:
    from warehouse import load_layout

    return [load_layout(f) for f in files]


_la_option = click.option("--la", help="The LA's 3-digit DfE code, for files whose folder and header do not give it.")
_year_option = click.option("--year", type=int,
                            help="Collection year (the year it ends: 2025 = 2024-25) for SSDA903 CSVs without a "
                                 "CIN census or manifest beside them.")


@click.command("validate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every problem as JSON to this file.")
@_la_option
@_year_option
@_layout_option
@_severity_options
def validate_cmd(directory: Path, json_out: Path | None, la: str | None, year: int | None,
                 layout_files: tuple[Path, ...], severity_pairs: tuple[str, ...],
                 default_severity: str | None) -> None:
    """Check an extract drop DIRECTORY without loading it (exit 0: nothing needs action; 1: errors).

    A manifest is optional: real CIN and SSDA903 files are recognised by content. Problems name the
    file, row (1-based, header excluded; XML: the Child element), field, rule (and the DfE's code)
    and the record's own id; identifier values are never printed.
    """
    from warehouse import validate_drop

    try:
        report = validate_drop(directory, la=la, year=year, layouts=_layouts(layout_files),
                               severities=_severities(severity_pairs), default_severity=default_severity)
    except ConfigError as exc:
        raise _usage(exc) from None
    click.echo(f"Checked {len(report.files)} files, {report.rows_checked} rows: "
               f"{report.errors} errors, {report.queries} queries")
    _print_problems(report.problems)
    if json_out:
        _write_json(json_out, report.to_dict())
    _finish(report.outcome)


@click.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Warehouse file.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write per-file counts and every problem as JSON to this file.")
@_la_option
@_year_option
@_layout_option
@_severity_options
@click.option("--min-rows-kept", type=float, default=0.9, show_default=True,
              help="Share of its rows a re-delivered file must store to replace the current batch.")
@click.option("--min-children-kept", type=float, default=0.9, show_default=True,
              help="Share of the current batch's children a re-delivered file must keep to replace it.")
def load_cmd(directory: Path, db: Path, json_out: Path | None, la: str | None, year: int | None,
             layout_files: tuple[Path, ...], severity_pairs: tuple[str, ...], default_severity: str | None,
             min_rows_kept: float, min_children_kept: float) -> None:
    """Validate and load an extract drop DIRECTORY into the warehouse --db in one transaction.

    Every row that can be stored loads (a bad value is withheld, the row kept); problems and the
    original rows go to the restricted zone. An unchanged file is a no-op; a changed one replaces
    the current batch of its kind, LA or site and year only when it is well-formed and keeps enough
    rows and children, otherwise it is quarantined (`linkready batches`, `linkready restore`).
    """
    from warehouse import LoadSettings, Store, load_drop

    try:
        settings = LoadSettings(min_rows_kept=min_rows_kept, min_children_kept=min_children_kept)
        report = load_drop(directory, Store(db), progress=lambda line: click.echo(f"  {line}"), settings=settings,
                           la=la, year=year, layouts=_layouts(layout_files), severities=_severities(severity_pairs),
                           default_severity=default_severity)
    except ConfigError as exc:
        raise _usage(exc) from None
    click.echo(f"Loaded into {db} in {report.seconds:.1f} s: {report.summary()}")
    if report.problems:
        _print_problems(report.problems)
    if json_out:
        _write_json(json_out, report.to_dict())
    _finish(report.outcome)


@click.command("purge")
@click.option("--before", required=True, help="Delete restricted rows whose retention ends before this ISO date.")
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True)
def purge_cmd(before: str, db: Path) -> None:
    """Delete restricted-zone data past its retention date and record the purge."""
    from warehouse import Store, purge_restricted

    try:
        cutoff = date.fromisoformat(before)
    except ValueError:
        raise click.UsageError(f"--before {before!r} is not a date; give an ISO date such as 2027-04-01") from None
    deleted = purge_restricted(Store(db), cutoff)
    for table, n in deleted.items():
        click.echo(f"  {table}: {n} rows deleted")
    click.echo(f"Purged {sum(deleted.values())} restricted rows with retention before {cutoff}")


COMMANDS = [validate_cmd, load_cmd, purge_cmd]
