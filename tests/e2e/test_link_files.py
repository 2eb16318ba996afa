"""`linkready link-files` as a data officer runs it: two CSV files, a truth file, a report-by column,
the pairs and review files, the printed breakdown, small and empty files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from tests.linkage.world import make_world
from warehouse.disclosure import is_revealing_count

BIN = Path(sys.executable).parent / "linkready"
DUP = "L99999"
ROLES = ("forename", "surname", "dob", "sex", "postcode", "nhs_number")
#: Every level word a comparison of these roles can show (the comparisons' own labels; level 0 reads "different").
LEVEL_WORDS = {"exact", "canonical", "jaro_winkler_0.92", "phonetic", "shared_token", "jaro_winkler_0.80",
               "day_month_swap", "two_parts", "within_31_days", "same_year", "unit", "sector", "district", "area",
               "near", "different", "missing"}


def _run(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lf")
    left, right, truth = make_world(n=250, seed=21, error=0.2)
    # a group of 3: its figures must come out as [c] in the JSON as well as in the printed table
    left = left.with_columns(pl.when(pl.col("rid").is_in(left["rid"].head(3).implode())).then(pl.lit("tiny"))
                             .otherwise(pl.col("ethnicity")).alias("ethnicity"))
    # officer-style headers: other names for the same roles, id first, a column to report by
    left.select(
        pl.col("rid").alias("case_ref"), pl.col("forename").alias("First Name"), pl.col("surname").alias("Last_Name"),
        pl.col("dob").alias("Date of Birth"), pl.col("sex").alias("Gender"), "postcode", "nhs_number", "ethnicity",
    ).write_csv(root / "service.csv")
    csc = right.select(
        pl.col("rid").alias("child_id"), pl.col("forename").alias("given_name"), "surname",
        pl.col("dob").dt.strftime("%d/%m/%Y").alias("dob"), "sex", "postcode", "nhs_number",
    )
    # a second CSC record of S00002's child (L00002) with another postcode: one-to-one links the better one
    dup = csc.filter(pl.col("child_id") == "L00002").with_columns(pl.lit(DUP).alias("child_id"),
                                                                   pl.lit("ZZ9 9ZZ").alias("postcode"))
    pl.concat([csc, dup]).write_csv(root / "csc.csv")
    truth.select(pl.col("l_rid").alias("left_id"), pl.col("r_rid").alias("right_id")).write_csv(root / "truth.csv")
    return {"root": root, "left": root / "service.csv", "right": root / "csc.csv", "truth": root / "truth.csv"}


def _identifier_values(*paths: Path) -> set[str]:
    """Every name, date of birth, postcode and NHS number the input files hold (lower case)."""
    values: set[str] = set()
    for path in paths:
        frame = pl.read_csv(path, infer_schema=False)
        for col in frame.columns:
            if col.lower().replace(" ", "_") in {"first_name", "last_name", "date_of_birth", "given_name", "surname",
                                                  "dob", "postcode", "nhs_number"}:
                values |= {v.strip().lower() for v in frame[col].drop_nulls().to_list()}
    return values


def _assert_no_identifiers(values: set[str], *texts: str) -> None:
    """No identifier value is a cell (or a word) of the outputs, nor inside one where it could not be chance."""
    for text in texts:
        words = {w.strip().lower() for w in re.split(r"[,\s]+", text) if w.strip()}
        assert not values & words, sorted(values & words)[:3]
        assert not [v for v in values if len(v) >= 7 and v in text.lower()]


@pytest.fixture(scope="module")
def linked(files: dict[str, Path]) -> dict[str, object]:
    """One run with truth, report-by, JSON, pairs and review files (review band 0.5 to 0.99999)."""
    root = files["root"]
    out, pairs, review = root / "out.json", root / "pairs.csv", root / "review.csv"
    proc = _run("link-files", files["left"], files["right"], "--truth", files["truth"], "--report-by", "ethnicity",
                "--json", out, "--pairs", pairs, "--review", review, "--review-band", "0.5", "0.99999",
                "--min-records", "300")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {"proc": proc, "json": json.loads(out.read_text()), "pairs": pairs, "review": review}


@pytest.mark.e2e
def test_link_files_with_truth_and_report_by(linked: dict[str, object]) -> None:
    data = linked["json"]
    proc = linked["proc"]
    assert isinstance(data, dict) and isinstance(proc, subprocess.CompletedProcess)
    assert {"precision", "recall", "f1", "candidate_pairs", "links", "seconds", "by_group"} <= set(data)
    assert data["f1"] >= 0.97 and data["basis"] == "measured"
    assert set(data["columns"]) == {"forename", "surname", "dob", "sex", "postcode", "nhs_number"}
    assert "ethnicity" not in data["columns"]                   # report-by never used to match
    groups = data["by_group"]
    assert all({"n", "links", "true_matches", "recall", "precision"} == set(g) for g in groups.values())
    # through the disclosure engine, as the printed table: the group of 3 is hidden, and so is a second group
    # (else 250 minus the others would give it back); no count of 1-5 anywhere in the JSON
    assert set(groups["tiny"].values()) == {"[c]"}
    assert sum(g["n"] == "[c]" for g in groups.values()) >= 2
    assert not [g[k] for g in groups.values() for k in ("n", "links", "true_matches") if is_revealing_count(g[k])]
    assert "[c]" in data["disclosure"] and data["links"] > 5
    assert "F1" in proc.stdout and "Traceback" not in proc.stderr


@pytest.mark.e2e
def test_report_by_is_printed_as_a_table(linked: dict[str, object]) -> None:
    data, proc = linked["json"], linked["proc"]
    assert isinstance(data, dict) and isinstance(proc, subprocess.CompletedProcess)
    lines = proc.stdout.splitlines()
    assert "Results by ethnicity, measured against the truth file (95% Wilson intervals):" in lines
    head = next(line for line in lines if line.strip().startswith("ethnicity"))
    assert re.split(r"\s{2,}", head.strip()) == ["ethnicity", "Records", "Links", "True matches",
                                                "Precision (95% interval)", "Recall (95% interval)", "F1 (95% interval)"]
    overall = re.split(r"\s{2,}", next(line for line in lines if line.strip().startswith("All records")).strip())
    assert overall[1:3] == ["250", f"{data['links']:,}"] and int(overall[3].replace(",", "")) > 5
    assert overall[4].startswith(f"{data['precision'] * 100:.1f}% (") and overall[6].startswith(f"{data['f1'] * 100:.1f}% (")
    assert "[measured]" in lines[0] and f"F1 {overall[6]}" in lines[0]           # the summary line is the overall row
    shown = 0
    for name, g in data["by_group"].items():   # the JSON and the table say the same, [c] for [c]
        row = next(line for line in lines if line.strip().startswith(name + " "))
        cells = re.split(r"\s{2,}", row.strip())
        assert cells[1:4] == [v if v == "[c]" else f"{v:,}" for v in (g["n"], g["links"], g["true_matches"])]
        assert not any(is_revealing_count(c) for c in cells[1:4])         # counts of 1-5 never shown
        for rate, cell in (("precision", cells[4]), ("recall", cells[5])):
            if g[rate] == "[c]":
                assert cell == "[c]", (name, rate)
                continue
            shown += 1
            assert cell.startswith(f"{g[rate] * 100:.1f}% (")                # % to one decimal, then its interval
            assert re.fullmatch(r"\d{1,3}\.\d% \((\d{1,3}\.\d%|\[c\]) to (\d{1,3}\.\d%|\[c\])\)", cell)
    assert shown >= 2


@pytest.mark.e2e
def test_min_records_warns_that_the_model_cannot_learn(linked: dict[str, object]) -> None:
    data, proc = linked["json"], linked["proc"]
    assert isinstance(data, dict) and isinstance(proc, subprocess.CompletedProcess)
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "the left file has 250 records" in warning[0] and "fewer than 300" in warning[0]
    assert "measured against the truth file" in warning[0] and "unreliable" in warning[0]
    assert data["warnings"] == [warning[0].removeprefix("warning: ")]


@pytest.mark.e2e
def test_pairs_file_holds_ids_probabilities_and_outcomes(files: dict[str, Path], linked: dict[str, object]) -> None:
    pairs_path = linked["pairs"]
    assert isinstance(pairs_path, Path)
    pairs = pd.read_csv(pairs_path, dtype={"case_ref": str, "child_id": str})     # plain read, no options
    assert list(pairs.columns[:4]) == ["case_ref", "child_id", "probability", "match_weight"]
    assert [c for c in pairs.columns[4:]] == [f"{r}_{k}" for r in ROLES for k in ("agreement", "weight")]
    truth = pd.read_csv(files["truth"], dtype=str)
    found = truth.merge(pairs, left_on=["left_id", "right_id"], right_on=["case_ref", "child_id"])
    assert len(found) >= 0.97 * len(truth) and (found["probability"] >= 0.5).all()
    assert (pairs["probability"] >= 0.5).all()                                 # linked pairs only
    assert pairs["case_ref"].is_unique and pairs["child_id"].is_unique          # one-to-one
    assert DUP not in set(pairs["child_id"])                                    # the worse duplicate lost
    kept = pairs[pairs["case_ref"] == "S00002"].iloc[0]
    assert kept["child_id"] == "L00002" and kept["postcode_agreement"] == "unit" and kept["dob_agreement"] == "exact"
    words = {str(v) for r in ROLES for v in pairs[f"{r}_agreement"]}
    assert words <= LEVEL_WORDS and "missing" in words                        # 30% of left NHS numbers are blank
    # the per-comparison weights add up to the match weight (plus the one prior weight)
    prior = pairs["match_weight"] - pairs[[f"{r}_weight" for r in ROLES]].sum(axis=1)
    assert prior.max() - prior.min() < 1e-3
    _assert_no_identifiers(_identifier_values(files["left"], files["right"]), pairs_path.read_text())


@pytest.mark.e2e
def test_review_file_holds_the_band_and_explains_one_to_one(files: dict[str, Path], linked: dict[str, object]) -> None:
    review_path, pairs_path, proc = linked["review"], linked["pairs"], linked["proc"]
    assert isinstance(review_path, Path) and isinstance(pairs_path, Path)
    assert isinstance(proc, subprocess.CompletedProcess)
    review = pd.read_csv(review_path, dtype={"case_ref": str, "child_id": str})
    assert list(review.columns[:5]) == ["case_ref", "child_id", "probability", "linked", "reason"]
    assert review["probability"].between(0.5, 0.99999).all() and set(review["linked"]) == {"yes", "no"}
    lost = review[(review["case_ref"] == "S00002") & (review["child_id"] == DUP)].iloc[0]
    assert lost["linked"] == "no" and lost["probability"] >= 0.5
    assert lost["reason"].startswith("one-to-one: the left record is linked to L00002")
    assert (review.loc[review["linked"] == "yes", "reason"] == "at or above the threshold 0.5").all()
    # links inside the band are all there; links above it are not
    pairs = pd.read_csv(pairs_path, dtype={"case_ref": str, "child_id": str})
    in_review = set(zip(review["case_ref"], review["child_id"], strict=True))
    inside = pairs[pairs["probability"] < 0.999985]
    above = pairs[pairs["probability"] > 0.999995]
    assert len(inside) and len(above)
    assert set(zip(inside["case_ref"], inside["child_id"], strict=True)) <= in_review
    assert not set(zip(above["case_ref"], above["child_id"], strict=True)) & in_review
    assert "[0.5, 0.99999) written to" in proc.stdout
    _assert_no_identifiers(_identifier_values(files["left"], files["right"]), review_path.read_text(), proc.stdout,
                           proc.stderr)


@pytest.mark.e2e
def test_tiny_file_warns_and_suppresses_small_counts(tmp_path: Path) -> None:
    """Six records (three children, each twice) linked with themselves: the model has nothing to learn
    from, and groups of 3 records and 3 links are hidden."""
    left, _, _ = make_world(n=3, seed=5)
    base = left.select(pl.col("rid").alias("ref"), "forename", "surname", "dob", "sex", "postcode")
    again = base.with_columns(pl.col("ref") + "b", pl.col("forename").str.slice(0, 3))    # a shortened forename
    six = pl.concat([base, again]).with_columns(pl.Series("team", ["A", "A", "B", "A", "B", "B"]))
    six.write_csv(tmp_path / "six.csv")
    pairs = tmp_path / "pairs.csv"
    proc = _run("link-files", tmp_path / "six.csv", tmp_path / "six.csv", "--report-by", "team", "--pairs", pairs)
    assert proc.returncode == 0, proc.stderr[-2000:]
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "too few records for the model to learn from: the file has 6 records" in warning[0]
    assert "fewer than 100 (--min-records)" in warning[0] and "give a truth file (--truth)" in warning[0]
    lines = proc.stdout.splitlines()
    assert any(line.startswith("Results by team, estimated from the model's match probabilities") for line in lines)
    overall = re.split(r"\s{2,}", next(line for line in lines if line.strip().startswith("All records")).strip())
    assert overall[1] == "6"
    for team in ("A", "B"):                                       # 3 records each: hidden, never printed
        cells = re.split(r"\s{2,}", next(line for line in lines if line.strip().startswith(team + " ")).strip())
        assert cells[1] == "[c]"
    assert lines[0].startswith("3 candidate pairs, [c] links")   # 3 links: a small count, hidden
    assert any(line.strip().startswith("[c] confidential") for line in lines)
    start = next(i for i, line in enumerate(lines) if line.startswith("Results by"))
    for line in lines[start + 1:start + 5]:                       # the table's heading, overall and group rows
        assert not any(is_revealing_count(cell) for cell in re.split(r"\s{2,}", line.strip())), line
    table = pd.read_csv(pairs)                                    # one file: both ids named apart
    assert list(table.columns[:5]) == ["left_ref", "right_ref", "probability", "match_weight", "cluster"]
    assert set(zip(table["left_ref"], table["right_ref"], strict=True)) == {(r, r + "b") for r in base["ref"]}
    assert table["cluster"].is_unique and (table["surname_agreement"] == "exact").all()
    _assert_no_identifiers(_identifier_values(tmp_path / "six.csv"), pairs.read_text(), proc.stdout, proc.stderr)


@pytest.mark.e2e
def test_empty_files_are_named_with_what_to_do(files: dict[str, Path], tmp_path: Path) -> None:
    header_only = tmp_path / "header_only.csv"
    header_only.write_text("case_ref,first_name,surname,dob\n", encoding="utf-8")
    zero = tmp_path / "zero.csv"
    zero.write_bytes(b"")
    proc = _run("link-files", header_only, files["right"])
    assert proc.returncode == 1 and proc.stderr.startswith("error: the left file ") and "Traceback" not in proc.stderr
    assert str(header_only) in proc.stderr and "has no records" in proc.stderr and "at least one record" in proc.stderr
    proc = _run("link-files", files["left"], zero)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (f"error: file {zero} is empty (0 bytes); give a CSV file with a header row and at "
                                   "least one record")
    assert "blocking" not in proc.stderr
    usage = _run("link-files", files["left"], files["right"], "--review-band", "0.2", "0.8")
    assert usage.returncode == 2 and "--review FILE" in usage.stderr


@pytest.mark.e2e
def test_link_files_errors_are_one_line(files: dict[str, Path], tmp_path: Path) -> None:
    missing = _run("link-files", tmp_path / "nope.csv", files["right"])
    assert missing.returncode == 1 and missing.stderr.startswith("error:") and "Traceback" not in missing.stderr
    bad_id = _run("link-files", files["left"], files["right"], "--left-id", "case_rf")
    assert bad_id.returncode == 1 and "did you mean 'case_ref'" in bad_id.stderr
    usage = _run("link-files", files["left"])
    assert usage.returncode == 2


@pytest.mark.e2e
def test_encode_then_link_encoded_files(files: dict[str, Path], tmp_path: Path) -> None:
    """Each owner encodes on its own machine with the shared key; the linkage unit links the encodings."""
    key = tmp_path / "project.key"
    made = _run("encode", "--new-key", key)
    assert made.returncode == 0, made.stderr[-2000:]
    assert (key.stat().st_mode & 0o777) == 0o600
    a, b = tmp_path / "service.parquet", tmp_path / "csc.csv"
    enc_a = _run("encode", files["left"], "--key-file", key, "--out", a, "--keep", "ethnicity")
    enc_b = _run("encode", files["right"], "--key-file", key, "--out", b)
    assert enc_a.returncode == 0 and enc_b.returncode == 0, enc_a.stderr[-2000:] + enc_b.stderr[-2000:]
    assert "250 records encoded" in enc_a.stdout and (tmp_path / "csc.csv.manifest.json").is_file()
    written = b.read_text()
    cells = {str(c).strip().lower() for row in pl.read_csv(b, infer_schema=False).iter_rows() for c in row if c}
    right = pl.read_csv(files["right"], infer_schema=False)
    for col in ("given_name", "surname", "dob", "postcode", "nhs_number"):
        for value in right[col].drop_nulls().unique().to_list():
            # no identifier in the encoded file: never a cell, and never inside one where it could not be
            # chance (a three-letter name can occur inside base64 text by chance; a 7+ character value cannot)
            assert value.strip().lower() not in cells, col
            if len(value) >= 7:
                assert value not in written and value.lower() not in written, col
    out = tmp_path / "out.json"
    proc = _run("link-files", a, b, "--truth", files["truth"], "--report-by", "ethnicity", "--json", out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["encoding"] == "bloom_filter" and data["basis"] == "measured" and data["f1"] >= 0.97
    assert data["by_group"]["tiny"]["n"] == "[c]" and sum(g["n"] == "[c]" for g in data["by_group"].values()) >= 2
    for line in (proc.stdout + proc.stderr + enc_a.stdout + enc_b.stdout).splitlines():
        assert not any(v in line for v in ("Traceback",))
    assert "warning" not in proc.stderr                        # 250 records: enough for the model to learn from
    usage = _run("encode", files["left"], "--key-file", key)
    assert usage.returncode == 2 and "--out" in usage.stderr
    exists = _run("encode", "--new-key", key)
    assert exists.returncode == 1 and exists.stderr.startswith("error:") and "already exists" in exists.stderr


@pytest.mark.e2e
def test_unsuppressed_json_holds_the_raw_figures_and_says_so(files: dict[str, Path]) -> None:
    root = files["root"]
    alone = _run("link-files", files["left"], files["right"], "--unsuppressed")
    assert alone.returncode == 2 and "--unsuppressed applies to the --json file" in alone.stderr
    raw = root / "raw.json"
    proc = _run("link-files", files["left"], files["right"], "--truth", files["truth"], "--report-by", "ethnicity",
                "--json", raw, "--unsuppressed")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "keep it in the secure environment" in proc.stderr
    tiny = json.loads(raw.read_text())["by_group"]["tiny"]
    assert tiny["n"] == 3 and isinstance(tiny["links"], int) and tiny["links"] <= 3   # the group of 3, as it is
