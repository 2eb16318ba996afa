"""``linkready findings import|export|report|check|pseudonymise|codebook|acceptability`` (thin calls into
``synthesis``)."""

from __future__ import annotations

from pathlib import Path

import click

from warehouse import SITE_IDS, Store


def _roster(path: Path | None) -> tuple[str, ...]:
    if path is None:
        return ()
    return tuple(line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip())


# Codebooks, then projects, then the spreadsheets that cite a project's coded segments as evidence.
_IMPORT_ORDER = {".qdc": 0, ".qdpx": 1, ".csv": 2, ".xlsx": 2}
_SKIPPED_FOLDERS = {"truth"}  # the synthetic world's answer keys sit beside its material; they are not material


def _in_import_order(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; a folder becomes the importable files under it (answer-key folders skipped), in order."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        found = [f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in _IMPORT_ORDER
                 and not _SKIPPED_FOLDERS.intersection(f.relative_to(path).parts[:-1])]
        if not found:
            raise click.UsageError(f"folder {path} holds no {', '.join(sorted(_IMPORT_ORDER))} file to import")
        out += sorted(found, key=lambda f: (_IMPORT_ORDER[f.suffix.lower()], f.relative_to(path).parts))
    return out


_ROSTER = click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                       help="Text file, one name per line (participants, staff, places) to look for.")


@click.group("findings")
def findings() -> None:
    """Focus-group synthesis: import coded material, export to QDA tools, report matrices."""


@findings.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--db", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Warehouse file.")
@click.option("--site", help="Site for material that names none (fbs, sat, leap, coda).")
@_ROSTER
def import_cmd(files: tuple[Path, ...], db: Path, site: str | None, roster: Path | None) -> None:
    """Import .qdpx projects, .qdc codebooks or .csv/.xlsx template files, in the order given.

    Import a project before spreadsheets that cite its coded segments as evidence. A FOLDER imports
    every such file under it in that order (codebooks, projects, then spreadsheets; folders named
    `truth` skipped), e.g. the `findings/` folder `linkready synth` writes.
    """
    from synthesis import import_file

    store, names = Store(db), _roster(roster)
    for file in _in_import_order(files):
        report = import_file(file, store, site=site, roster=names)
        click.echo(report.summary())
        for w in report.warnings:
            click.echo(f"warning: {w}")


@findings.command("export")
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.qdpx")
@click.option("--offsets", type=click.Choice(["refi", "nvivo", "atlas.ti"]), default="refi", show_default=True,
              help="Count selection offsets as the REFI standard does (code points) or as the tool that will "
                   "import the file does (nvivo: UTF-16 units, an emoji counts twice).")
def export_cmd(db: Path, out: Path, offsets: str) -> None:
    """Export the codebook, documents and coded segments as a REFI-QDA .qdpx project."""
    from synthesis import export_qdpx

    path = export_qdpx(Store(db, read_only=True), out, offsets)
    click.echo(f"wrote {path}")


@findings.command("report")
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["md", "xlsx", "csv"]), default="md", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="Output file (required for xlsx; a folder for csv).")
def report_cmd(db: Path, fmt: str, out: Path | None) -> None:
    """Availability, maturity, framework, triangulation, frequency, co-occurrence and agreement matrices."""
    from synthesis import write_report

    result = write_report(Store(db, read_only=True), fmt, out)  # type: ignore[arg-type]
    click.echo(result if fmt == "md" and out is None else f"wrote {result}")


@findings.command("admin-ratings")
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def admin_ratings_cmd(db: Path) -> None:
    """Measure availability ratings from loaded admin data (e.g. NHS-number completeness) for triangulation."""
    from synthesis import rate_from_admin

    rated = rate_from_admin(Store(db))
    click.echo(f"stored {rated.height} admin_extract rating(s)")
    for r in rated.iter_rows(named=True):
        click.echo(f"  {r['site_id']:<5} {r['data_item']:<12} {r['dimension']:<5} rating {r['rating']}  ({r['note']})")


@findings.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_ROSTER
def check_cmd(files: tuple[Path, ...], roster: Path | None) -> None:
    """Scan transcripts for identifiers; print kinds and positions (never values); exit 1 if any are found."""
    from synthesis import describe_identifiers, scan
    from warehouse import DataError

    names, dirty = _roster(roster), 0
    for f in files:
        found = scan(f.read_text(encoding="utf-8-sig"), names)
        click.echo(f"{f.name}: " + (describe_identifiers(found, limit=50) if found else "no identifiers found"))
        dirty += bool(found)
    if dirty:
        raise DataError(f"{dirty} of {len(files)} file(s) hold identifiers; pseudonymise them before import")


@findings.command("pseudonymise")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_ROSTER
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the pseudonymised copies and anonymisation_log.csv (tokens and counts only).")
def pseudonymise_cmd(files: tuple[Path, ...], roster: Path | None, out: Path) -> None:
    """Replace identifiers with consistent tokens across FILES; review the result before import."""
    from synthesis import Pseudonymiser, write_csv_rows

    out.mkdir(parents=True, exist_ok=True)
    p = Pseudonymiser(roster=_roster(roster))
    for f in files:
        (out / f.name).write_text(p.apply(f.read_text(encoding="utf-8-sig"), f.name), encoding="utf-8")
    header = ["document_id", "token", "entity_type", "n_occurrences", "method"]
    write_csv_rows(out / "anonymisation_log.csv", header, [[r[h] for h in header] for r in p.log])
    replaced = sum(int(str(r["n_occurrences"])) for r in p.log)
    click.echo(f"pseudonymised {len(files)} file(s), {replaced} replacement(s); "
               f"log: {out / 'anonymisation_log.csv'}")


@findings.command("codebook")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.qdc")
def codebook_cmd(out: Path) -> None:
    """Write the acceptability codebook (Sekhon's seven constructs with directions, and the RQ codes) as .qdc."""
    from synthesis import write_acceptability_qdc
    from warehouse import DataError

    if out.suffix.lower() != ".qdc":
        raise DataError(f"codebook file {out.name!r} must end in .qdc (a REFI-QDA codebook)")
    click.echo(f"wrote {write_acceptability_qdc(out)}")


@findings.command("acceptability")
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", type=click.Choice(SITE_IDS), help="One site's view (small counts 1-5 suppressed).")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json", "xlsx"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (required for xlsx).")
def acceptability_cmd(db: Path, site: str | None, fmt: str, out: Path | None) -> None:
    """Acceptability matrix: site x construct x stakeholder group, with balance and exemplar quotes."""
    from synthesis import acceptability_matrix, write_table

    if fmt == "xlsx" and out is None:
        raise click.UsageError("--format xlsx writes a binary workbook: give --out FILE.xlsx")
    frame = acceptability_matrix(Store(db, read_only=True), site_view=site is not None,
                                 sites=[site] if site else None)
    result = write_table(frame, fmt, out, "Acceptability (Sekhon et al. 2017)")  # type: ignore[arg-type]
    click.echo(f"wrote {result}" if out is not None else result, nl=out is not None)


COMMANDS = [findings]
