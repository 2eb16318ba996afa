"""`linkready link-files` as a data officer runs it: two CSV files, a truth file, a report-by column."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.linkage.world import make_world

BIN = Path(sys.executable).parent / "linkready"


def _run(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lf")
    left, right, truth = make_world(n=250, seed=21, error=0.2)
    # officer-style headers: other names for the same roles, id first, a column to report by
    left.select(
        pl.col("rid").alias("case_ref"), pl.col("forename").alias("First Name"), pl.col("surname").alias("Last_Name"),
        pl.col("dob").alias("Date of Birth"), pl.col("sex").alias("Gender"), "postcode", "nhs_number", "ethnicity",
    ).write_csv(root / "service.csv")
    right.select(
        pl.col("rid").alias("child_id"), pl.col("forename").alias("given_name"), "surname",
        pl.col("dob").dt.strftime("%d/%m/%Y").alias("dob"), "sex", "postcode", "nhs_number",
    ).write_csv(root / "csc.csv")
    truth.select(pl.col("l_rid").alias("left_id"), pl.col("r_rid").alias("right_id")).write_csv(root / "truth.csv")
    return {"root": root, "left": root / "service.csv", "right": root / "csc.csv", "truth": root / "truth.csv"}


@pytest.mark.e2e
def test_link_files_with_truth_and_report_by(files: dict[str, Path]) -> None:
    out = files["root"] / "out.json"
    proc = _run("link-files", files["left"], files["right"], "--truth", files["truth"], "--report-by", "ethnicity",
                "--json", out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    assert {"precision", "recall", "f1", "candidate_pairs", "links", "seconds", "by_group"} <= set(data)
    assert data["f1"] >= 0.97 and data["basis"] == "measured"
    assert set(data["columns"]) == {"forename", "surname", "dob", "sex", "postcode", "nhs_number"}
    assert "ethnicity" not in data["columns"]                   # report-by never used to match
    groups = data["by_group"]
    assert sum(g["n"] for g in groups.values()) == 250
    assert all({"n", "recall", "precision"} <= set(g) for g in groups.values())
    assert "F1" in proc.stdout and "Traceback" not in proc.stderr


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
    assert sum(g["n"] for g in data["by_group"].values()) == 250
    for line in (proc.stdout + proc.stderr + enc_a.stdout + enc_b.stdout).splitlines():
        assert not any(v in line for v in ("Traceback",))
    usage = _run("encode", files["left"], "--key-file", key)
    assert usage.returncode == 2 and "--out" in usage.stderr
    exists = _run("encode", "--new-key", key)
    assert exists.returncode == 1 and exists.stderr.startswith("error:") and "already exists" in exists.stderr
