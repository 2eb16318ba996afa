"""``linkready encode``: a data owner turns identifiers into Bloom-filter encodings on its own machine."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from linkage import BloomSettings


def _config(config: Path | None, layout: str | None) -> tuple[BloomSettings, dict[str, str] | None]:
    """Encoding settings from ``[encode]`` and column roles from ``[linkage.columns]`` (as link-files)."""
    from dataclasses import replace

    from linkage import BloomSettings, settings_from_mapping
    from warehouse import ConfigError

    settings, columns = BloomSettings(), None
    if config is not None:
        try:
            data = tomllib.loads(config.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config} is not valid TOML: {exc}") from None
        settings = settings_from_mapping({"encode": data.get("encode", {})})
        linkage = data.get("linkage", {})
        if isinstance(linkage, dict) and isinstance(linkage.get("columns"), dict):
            columns = {str(k): str(v) for k, v in linkage["columns"].items()}
    return (replace(settings, layout=layout) if layout else settings), columns  # type: ignore[arg-type]


@click.command("encode")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="The project key both data owners hold (never the linkage unit).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Encoded file to write (Parquet; a .csv name writes CSV plus FILE.manifest.json).")
@click.option("--layout", type=click.Choice(["field", "both"]),
              help="field: one Bloom filter per name and keyed tokens per other identifier (default); "
                   "both: also a record-level filter (record_bf) for record-level tools.")
@click.option("--keep", multiple=True, help="A column to carry in clear for reporting (repeatable); never an identifier.")
@click.option("--text", multiple=True, help="Another column to encode as a Bloom filter too (repeatable).")
@click.option("--id", "id_column", help="Record id column (default: the first column).")
@click.option("--config", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="TOML with an [encode] table (q, k, length, scheme, blip, salt, balance, xor_fold, permute) "
                   "and [linkage.columns] (role = column name).")
@click.option("--new-key", type=click.Path(dir_okay=False, path_type=Path),
              help="Create a new key file (mode 600) and stop.")
def encode_cmd(file: Path | None, key_file: Path | None, out: Path | None, layout: str | None, keep: tuple[str, ...],
               text: tuple[str, ...], id_column: str | None, config: Path | None, new_key: Path | None) -> None:
    """Encode a CSV file's identifiers as Bloom filters and keyed tokens for privacy-preserving linkage.

    \b
    linkready encode --new-key project.key
    linkready encode children.csv --key-file project.key --out children.parquet --keep ethnicity
    """
    from linkage import EncodeOptions, encode_file, key_file_warning, new_key_file, read_key_file

    if new_key is not None:
        if file is not None or out is not None:
            raise click.UsageError("--new-key creates a key and nothing else; encode in a second command")
        new_key_file(new_key)
        click.echo(f"key written to {new_key} (readable by you only): give it to the other data owner, "
                   "never to the linkage unit")
        return
    missing = [name for name, v in (("FILE", file), ("--key-file", key_file), ("--out", out)) if v is None]
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)}: linkready encode FILE --key-file KEY --out ENCODED "
                               "(or linkready encode --new-key KEY)")
    assert file is not None and key_file is not None and out is not None
    key = read_key_file(key_file)
    warning = key_file_warning(key_file)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    settings, columns = _config(config, layout)
    report = encode_file(file, out, key, settings, EncodeOptions(keep=keep, id_column=id_column, columns=columns,
                                                                 text=text))
    click.echo(f"{report.rows} records encoded ({', '.join(report.roles)}; filters of {report.filter_bits} bits) "
               f"to {report.out} in {report.seconds:.1f} s")
    if report.manifest != report.out:
        click.echo(f"manifest: {report.manifest} (send it with the file)")
    if report.not_encoded:
        click.echo(f"warning: {len(report.not_encoded)} column(s) not encoded: {', '.join(report.not_encoded)}. "
                   "Clear-text linkage compares the columns both files share; give each one the other owner also "
                   "has with --text (an address line, a town, a reference number) or it is not used for matching",
                   err=True)


COMMANDS = [encode_cmd]
