"""``linkready synth``: write a seeded synthetic extract drop (a thin call into ``synthetic_data``).

Besides the extracts, the drop holds what the dashboard's qualitative pages read, where ``linkready demo``
puts it: focus-group material in ``findings/``, coded interviews in ``findings/interviews/`` and each
site's theory of change in ``toc/``. They are imported with ``findings import`` and ``toc import``.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

import synthetic_data as sd  # its names load on first use (the generator only when a world is made)
from synthetic_data import NHS_CHILDREN_LIMIT


@click.command("synth")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the drop into (created if missing; a previous drop there is replaced).")
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed; same seed, same bytes.")
@click.option("--children", default=2000, show_default=True, type=click.IntRange(100, 5_000_000),
              help="Children across all seven local authorities (site families and CSC population). The "
                   "sites' own yearly flows need about 3,000 children; a smaller world scales them down and "
                   f"says so. NHS numbers come only from the 999 test range, enough for about "
                   f"{NHS_CHILDREN_LIMIT:,} children: above that the rest have none, and the run warns.")
@click.option("--scale", type=click.Choice(["children", "real"]), default="children", show_default=True,
              help="'real' sizes each local authority at its published children-in-need count (about 21,500 "
                   "children in all) instead of --children.")
@click.option("--dirty", default=0.0, show_default=True, type=click.FloatRange(0.0, 0.5),
              help="Share of rows given one injected defect, listed in truth/defects.csv.")
@click.option("--settings", "settings_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Calibration TOML overriding the default rates (see synthetic_data/calibration.toml).")
@click.option("--report", is_flag=True,
              help="After writing, print the calibration table: each figure's target, tolerance, generated "
                   "value (recomputed from the files), source and whether it is verified.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the calibration table as JSON to this file.")
@click.option("--quiet", is_flag=True, help="No progress messages.")
def synth(out: Path, seed: int, children: int, scale: str, dirty: float, settings_file: Path | None,
          report: bool, json_path: Path | None, quiet: bool) -> None:
    """Generate a synthetic world (LA CSC files, site files, ground truth) into OUT."""
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - t0:6.1f}s] {msg}", err=True)

    ctx = click.get_current_context()
    if scale == "real" and ctx.get_parameter_source("children") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--scale real sizes the world from the LAs' published counts; drop --children "
                               "or use --scale children")
    if settings_file is not None:
        settings = sd.load_settings(settings_file, seed=seed, children=children, dirty=dirty, scale=scale)
    else:
        settings = sd.WorldSettings(seed=seed, children=children, dirty=dirty, scale=scale)
    manifest = sd.generate(out, settings, progress)
    progress("writing focus-group material, coded interviews and theories of change")
    findings_files, toc_files = _write_qualitative(out, seed)
    c = manifest["counts"]
    click.echo(
        f"wrote {len(manifest['files'])} files to {out}: {c['la_children']:,} LA children, "
        f"{c['site_people']:,} site records, {c['truth_links']:,} truth links"
        + (f", {c['defects']:,} defects" if "defects" in c else "")
        + f" in {time.perf_counter() - t0:.1f}s; {manifest['world_size']['site_flows']}"
    )
    warning = sd.nhs_shortfall_warning(c["nhs_numbers_unavailable"])
    if warning is not None:
        click.echo(warning)
    click.echo(f"wrote {len(findings_files) + len(toc_files)} focus-group, interview and theory-of-change files to {out / 'findings'} "
               f"and {out / 'toc'}; after `linkready load`, import them with:")
    for line in _import_commands(out, toc_files):
        click.echo(f"    {line}")
    if report or json_path is not None:
        figures = sd.calibration_table(out, settings)
        if report:
            click.echo(sd.render_table(figures))
        if json_path is not None:
            sd.write_json(figures, json_path)
            click.echo(f"wrote the calibration table to {json_path}")


def _write_qualitative(out: Path, seed: int) -> tuple[list[Path], list[Path]]:
    """The demo's focus-group and interview files and theories of change, in the demo's folders."""
    findings_files = [*sd.write_focus_groups(out / "findings", seed),
                      *sd.write_interviews(out / "findings" / "interviews", seed)]
    return findings_files, sd.write_tocs(out / "toc", seed)


def _import_commands(out: Path, toc_files: list[Path]) -> list[str]:
    """The commands that load the qualitative files (``DB`` stands for the warehouse file)."""
    lines = [f"linkready findings import {out / 'findings'} --db DB"]
    lines += [f"linkready toc import {path} --db DB --site {path.name.removesuffix('_toc.json')}" for path in toc_files]
    return lines


COMMANDS = [synth]
