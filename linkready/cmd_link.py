"""``linkready link`` (the warehouse) and ``linkready link-files`` (any two CSV files)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from warehouse import Store

if TYPE_CHECKING:
    import polars as pl

    from linkage import FileLinkReport


def _echo(message: str) -> None:
    click.echo(f"    {message}")


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def _pct(v: object) -> str:
    return "n/a" if v is None else f"{float(v):.3f}"  # type: ignore[arg-type]


def _summary_line(m: dict[str, object]) -> str:
    """One site's overall figures, each with its 95% interval, and their basis."""
    def ci(key: str) -> str:
        return f"{_pct(m[key])} ({_pct(m.get(key + '_low'))}-{_pct(m.get(key + '_high'))})"
    return (f"    {m['site_id']!s:<5} precision {ci('precision')}  recall {ci('recall')}  "
            f"match rate {ci('match_rate')} (expected known to CSC {_pct(m['expected_known_share'])})  [{m['basis']}]")


@click.command("link")
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Warehouse file.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write the metrics as JSON.")
@click.option("--config", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="linkage.toml settings.")
@click.option("--review-sample", type=click.IntRange(1), help="Draw N pairs for clerical review (needs --out).")
@click.option("--review-width", type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
              help="Size the review sample for a precision interval this wide (e.g. 0.1; needs --out).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Where the review sample CSV goes.")
@click.option("--labels", type=click.Path(dir_okay=False, path_type=Path),
              help="A reviewed sample (label column filled in) to measure against when there is no truth.")
@click.option("--train-on-labels", is_flag=True, help="Supervised mode: train on the clerical labels.")
@click.option("--site-facing", is_flag=True, help="Hide counts of 1-5 (and rates built on them) in --json, as [c].")
def link_cmd(db: Path, json_out: Path | None, config: Path | None, review_sample: int | None,  # noqa: PLR0913
             review_width: float | None, out: Path | None, labels: Path | None, train_on_labels: bool,
             site_facing: bool) -> None:
    """Link every site's child records to its local authorities' CSC records under every
    identifier-sharing scenario and store runs, metrics and scored pairs in the warehouse."""
    # Submodule imports: they work even where an editable install maps packages as namespaces.
    from linkage import (
        LinkageSettings,
        draw_review_sample,
        load_labels,
        load_settings,
        review_sample_size,
        run_feasibility,
    )

    if review_sample is not None and review_width is not None:
        raise click.UsageError(f"--review-sample {review_sample} and --review-width {review_width} both size the "
                               "review sample: give one (a number of pairs, or the interval width to size it for)")
    if (review_sample is not None or review_width is not None) and out is None:
        raise click.UsageError("--review-sample and --review-width need --out FILE for the sample")
    settings = load_settings(config)[0] if config else LinkageSettings()
    if train_on_labels:
        settings = replace(settings, train_on_labels=True)
    store = Store(db)
    if labels is not None:
        click.echo(f"{load_labels(store, labels)} clerical labels loaded")
    report = run_feasibility(store, settings, progress=_echo)
    overall = [m for m in report.metrics if m["subgroup_type"] == "all"]
    click.echo(f"linkage run {report.run_id}: {len(report.sites)} sites, {len(overall)} site x scenario rows, "
               f"{report.pairs} pairs stored, {report.seconds:.1f} s")
    for m in overall:
        if m["scenario"] == "all_identifiers":
            click.echo(_summary_line(m))
    if json_out:
        data = report.as_dict()
        if site_facing:
            from linkage import site_facing as for_sites

            data["metrics"] = for_sites(report.metrics, settings.disclosure_policy)
        _write_json(json_out, data)
    if out is not None and (review_sample is not None or review_width is not None):
        size = review_sample if review_sample is not None else review_sample_size(store, review_width or 0.1)
        n = draw_review_sample(store, size, out, settings=settings)
        sized = f" (sized for precision intervals {review_width} wide)" if review_sample is None else ""
        click.echo(f"{n} pairs for clerical review written to {out}{sized} (restricted: it holds identifiers)")


def _table_lines(table: pl.DataFrame) -> list[str]:
    """A text table: the first column left-aligned, figures right-aligned, two spaces between columns."""
    cols = table.columns
    cells = [[str(v) for v in row] for row in table.iter_rows()]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True)))
    return [line(cols)] + [line(r) for r in cells]


def _print_results(report: FileLinkReport, report_by: str | None) -> None:
    """The summary line (the table's overall row), the breakdown table and the symbols it uses."""
    table = report.report_table()
    overall = table.row(0, named=True)
    f1 = f", F1 {overall['F1 (95% interval)']}" if "F1 (95% interval)" in overall else ""
    click.echo(f"{report.result.candidate_pairs:,} candidate pairs, {overall['Links']} links, {report.seconds:.2f} s; "
               f"precision {overall['Precision (95% interval)']}, recall {overall['Recall (95% interval)']}{f1} "
               f"[{report.basis}]")
    if report_by is not None:
        click.echo(f"\nResults by {report_by}, {report.basis_note()}:")
        for text in _table_lines(table):
            click.echo(f"  {text}")
    for symbol, meaning in report.legend_for(table):
        click.echo(f"  {symbol} {meaning}")


@click.command("link-files")
@click.argument("left", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("right", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), help="CSV of true pairs: left_id,right_id.")
@click.option("--report-by", help="A left-file column to break results down by (never used to match); printed as a table.")
@click.option("--config", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="linkage.toml settings.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write the results as JSON.")
@click.option("--left-id", help="Record id column of LEFT (default: its first column).")
@click.option("--right-id", help="Record id column of RIGHT (default: its first column).")
@click.option("--pairs", "pairs_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the linked pairs as CSV: record ids, probability, match weight and each comparison's "
                   "agreement level and weight (no names, dates of birth or NHS numbers).")
@click.option("--review", "review_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the pairs in the review band as CSV: record ids, probability, linked or not, and why.")
@click.option("--review-band", type=(click.FloatRange(0.0, 1.0), click.FloatRange(0.0, 1.0)), metavar="LOW HIGH",
              help="Probabilities in [LOW, HIGH) go to --review (default: review_low and review_high of the "
                   "settings, 0.1 and 0.9 unless --config changes them).")
@click.option("--min-records", type=click.IntRange(1),
              help="Warn when either file has fewer records, or blocking finds fewer candidate pairs, than this "
                   "(default: 100): too few for the model to learn from.")
@click.option("--unsuppressed", is_flag=True,
              help="Write the raw figures to --json, counts of 1-5 included (for the secure environment only; "
                   "by default the JSON goes through the disclosure engine like the printed table).")
def link_files_cmd(left: Path, right: Path, truth: Path | None, report_by: str | None,  # noqa: PLR0913
                   config: Path | None, json_out: Path | None, left_id: str | None, right_id: str | None,
                   pairs_out: Path | None, review_out: Path | None, review_band: tuple[float, float] | None,
                   min_records: int | None, unsuppressed: bool) -> None:
    """Link two CSV files of people; with --truth, measure precision, recall and F1."""
    from linkage import LinkageSettings, link_files, load_settings

    if review_band is not None and review_out is None:
        raise click.UsageError("--review-band needs --review FILE for the pairs in the band")
    if unsuppressed and json_out is None:
        raise click.UsageError("--unsuppressed applies to the --json file: add --json FILE")
    settings, columns = load_settings(config) if config else (LinkageSettings(), None)
    if review_band is not None:
        if review_band[0] >= review_band[1]:
            raise click.UsageError(f"--review-band {review_band[0]} {review_band[1]}: LOW must be below HIGH "
                                   "(e.g. --review-band 0.3 0.7)")
        settings = replace(settings, review_low=review_band[0], review_high=review_band[1])
    limit = {} if min_records is None else {"min_records": min_records}
    report = link_files(left, right, truth, report_by, settings, columns, left_id, right_id, **limit)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    _print_results(report, report_by)
    if json_out:
        _write_json(json_out, report.as_dict(unsuppressed=unsuppressed))
        if unsuppressed:
            click.echo(f"{json_out}: raw figures, counts of 1-5 included: keep it in the secure environment", err=True)
    if pairs_out is not None:
        _write_csv(pairs_out, report.pairs_table())
        click.echo(f"linked pairs written to {pairs_out} (record ids and comparison outcomes only)")
    if review_out is not None:
        _write_csv(review_out, report.review_table())
        click.echo(f"pairs with probability in [{settings.review_low:g}, {settings.review_high:g}) written to "
                   f"{review_out} (threshold {settings.threshold:g})")


def _write_csv(path: Path, table: pl.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table.write_csv(path)


COMMANDS = [link_cmd, link_files_cmd]
