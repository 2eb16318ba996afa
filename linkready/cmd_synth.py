"""``linkready synth``: write a seeded synthetic extract drop (a thin call into ``synthetic_data``)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from synthetic_data.calibration import load_settings
from synthetic_data.settings import WorldSettings
from synthetic_data.world import generate


@click.command("synth")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the drop into (created if missing; a previous drop there is replaced).")
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed; same seed, same bytes.")
@click.option("--children", default=2000, show_default=True, type=click.IntRange(100, 5_000_000),
              help="Children across all seven local authorities (site families and CSC population).")
@click.option("--dirty", default=0.0, show_default=True, type=click.FloatRange(0.0, 0.5),
              help="Share of rows given one injected defect, listed in truth/defects.csv.")
@click.option("--settings", "settings_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Calibration TOML overriding the default rates (see synthetic_data/calibration.toml).")
@click.option("--quiet", is_flag=True, help="No progress messages.")
def synth(out: Path, seed: int, children: int, dirty: float, settings_file: Path | None, quiet: bool) -> None:
    """Generate a synthetic world (LA CSC files, site files, ground truth) into OUT."""
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - t0:6.1f}s] {msg}", err=True)

    if settings_file is not None:
        settings = load_settings(settings_file, seed=seed, children=children, dirty=dirty)
    else:
        settings = WorldSettings(seed=seed, children=children, dirty=dirty)
    manifest = generate(out, settings, progress)
    c = manifest["counts"]
    click.echo(
        f"wrote {len(manifest['files'])} files to {out}: {c['la_children']:,} LA children, "
        f"{c['site_people']:,} site records, {c['truth_links']:,} truth links"
        + (f", {c['defects']:,} defects" if "defects" in c else "")
        + f" in {time.perf_counter() - t0:.1f}s"
    )


COMMANDS = [synth]
