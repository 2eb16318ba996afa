"""``linkready link`` (the warehouse) and ``linkready link-files`` (any two CSV files)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from warehouse import Store


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


@click.command("link-files")
@click.argument("left", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("right", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), help="CSV of true pairs: left_id,right_id.")
@click.option("--report-by", help="A left-file column to break results down by (never used to match).")
@click.option("--config", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="linkage.toml settings.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write the results as JSON.")
@click.option("--left-id", help="Record id column of LEFT (default: its first column).")
@click.option("--right-id", help="Record id column of RIGHT (default: its first column).")
def link_files_cmd(left: Path, right: Path, truth: Path | None, report_by: str | None, config: Path | None,
                   json_out: Path | None, left_id: str | None, right_id: str | None) -> None:
    """Link two CSV files of people; with --truth, measure precision, recall and F1."""
    from linkage import link_files, load_settings

    settings, columns = load_settings(config) if config else (None, None)
    report = link_files(left, right, truth, report_by, settings, columns, left_id, right_id)
    data = report.as_dict()
    def fmt(v: object) -> str:
        return "n/a" if v is None else f"{float(v):.4f}"  # type: ignore[arg-type]
    click.echo(f"{data['candidate_pairs']} candidate pairs, {data['links']} links, {data['seconds']:.2f} s; "
               f"precision {fmt(data['precision'])}, recall {fmt(data['recall'])}"
               + (f", F1 {fmt(data.get('f1'))}" if "f1" in data else "") + f" [{data['basis']}]")
    if json_out:
        _write_json(json_out, data)


COMMANDS = [link_cmd, link_files_cmd]
