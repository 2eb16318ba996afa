"""link_files: column recognition, report-by kept out of matching, dedupe of one file."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from linkage.files import link_files, recognise
from linkage.settings import LinkageSettings, load_settings
from tests.linkage.world import make_world
from warehouse.errors import ConfigError

FAST = LinkageSettings(u_sample_pairs=20_000)


def test_recognise_common_names_and_overrides() -> None:
    cols = ["ID", "Given Name", "LAST_NAME", "Date of Birth", "Gender", "Post Code", "NHS No", "Ward"]
    assert recognise(cols) == {"forename": "Given Name", "surname": "LAST_NAME", "dob": "Date of Birth",
                               "sex": "Gender", "postcode": "Post Code", "nhs_number": "NHS No"}
    assert recognise(cols, {"postcode": "Ward"})["postcode"] == "Ward"
    with pytest.raises(ConfigError, match="did you mean 'surname'"):
        recognise(cols, {"surnam": "LAST_NAME"})


def test_same_file_twice_is_deduplicated(tmp_path: Path) -> None:
    left, right, truth = make_world(n=120, seed=41, error=0.2)
    dups = right.filter(pl.col("rid").is_in(truth["r_rid"].head(40).implode()))
    cols = ["rid", "forename", "surname", "dob", "sex", "postcode", "nhs_number"]
    pl.concat([left.select(cols), dups.select(cols)]).write_csv(tmp_path / "one.csv")
    truth.head(40).select(pl.col("r_rid").alias("left_id"), pl.col("l_rid").alias("right_id")).write_csv(tmp_path / "t.csv")
    report = link_files(tmp_path / "one.csv", tmp_path / "one.csv", tmp_path / "t.csv", settings=FAST)
    assert report.f1 is not None and report.f1 >= 0.95     # truth given in either order
    assert report.result.clusters is not None


def test_config_file_settings_and_columns(tmp_path: Path) -> None:
    cfg = tmp_path / "linkage.toml"
    cfg.write_text('[linkage]\nthreshold = 0.9\n\n[linkage.columns]\nforename = "GivenName1"\n', encoding="utf-8")
    settings, columns = load_settings(cfg)
    assert settings.threshold == 0.9 and columns == {"forename": "GivenName1"}
    cfg.write_text('[linkage]\nthreshhold = 0.9\nseeed = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert "'threshhold' (did you mean 'threshold'?)" in str(err.value) and "'seeed'" in str(err.value)


# ----------------------------------------------------------------------------- encoded files
ENC_COLS = ["rid", "forename", "surname", "dob", "sex", "postcode", "nhs_number", "ethnicity"]


@pytest.fixture(scope="module")
def encoded_pair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from linkage.bloom import BloomSettings, new_key_file
    from linkage.files import EncodeOptions, encode_file

    root = tmp_path_factory.mktemp("enc")
    left, right, truth = make_world(n=150, seed=23, error=0.2)
    left.select(ENC_COLS).rename({"rid": "case_ref", "forename": "First Name"}).write_csv(root / "a.csv")
    right.select(ENC_COLS[:-1]).rename({"rid": "child_id"}).with_columns(
        pl.col("dob").dt.strftime("%d/%m/%Y")).write_csv(root / "b.csv")
    truth.select(pl.col("l_rid").alias("left_id"), pl.col("r_rid").alias("right_id")).write_csv(root / "t.csv")
    key = new_key_file(root / "k.key")
    s = BloomSettings(seed=1)
    encode_file(root / "a.csv", root / "a.parquet", key, s, EncodeOptions(keep=("ethnicity",)))
    encode_file(root / "b.csv", root / "b.csv.enc.csv", key, s)
    other = new_key_file(root / "other.key")
    encode_file(root / "b.csv", root / "b_other.parquet", other, s)
    return {"root": root, "a": root / "a.parquet", "b": root / "b.csv.enc.csv", "t": root / "t.csv",
            "b_other": root / "b_other.parquet", "a_csv": root / "a.csv"}


def test_encoded_files_link_with_the_same_contract(encoded_pair: dict[str, Path]) -> None:
    from linkage.encoded_files import read_encoded

    enc = read_encoded(encoded_pair["a"])
    assert enc.id_column == "case_ref" and enc.keep == ["ethnicity"]
    assert pl.read_parquet(encoded_pair["a"]).columns[0] == "case_ref"        # record id first, original name
    report = link_files(encoded_pair["a"], encoded_pair["b"], encoded_pair["t"], report_by="ethnicity", settings=FAST)
    data = report.as_dict()
    assert data["encoding"] == "bloom_filter" and data["basis"] == "measured"
    assert report.f1 is not None and report.f1 >= 0.97
    assert {"forename", "surname", "dob", "sex", "postcode", "nhs_number"} <= set(data["columns"])  # type: ignore[arg-type]
    assert sum(g["n"] for g in report.by_group.values()) == 150               # type: ignore[misc]
    estimated = link_files(encoded_pair["a"], encoded_pair["b"], settings=FAST)
    assert estimated.basis == "estimated" and "f1" not in estimated.as_dict()


def test_encoded_files_refused_when_they_cannot_compare(encoded_pair: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match="different keys"):
        link_files(encoded_pair["a"], encoded_pair["b_other"], settings=FAST)
    with pytest.raises(ConfigError, match="left file is encoded and the right is not"):
        link_files(encoded_pair["a"], encoded_pair["a_csv"], settings=FAST)
    with pytest.raises(ConfigError, match="not a kept column"):
        link_files(encoded_pair["b"], encoded_pair["a"], report_by="sex", settings=FAST)
    with pytest.raises(ConfigError, match="record id is 'case_ref'"):
        link_files(encoded_pair["a"], encoded_pair["b"], settings=FAST, left_id="ref")


def test_encode_refuses_to_keep_an_identifier(encoded_pair: dict[str, Path], tmp_path: Path) -> None:
    from linkage.bloom import read_key_file
    from linkage.files import EncodeOptions, encode_file

    key = read_key_file(encoded_pair["root"] / "k.key")
    with pytest.raises(ConfigError) as err:
        encode_file(encoded_pair["a_csv"], tmp_path / "x.parquet", key,
                    options=EncodeOptions(keep=("surname", "ethnicty")))
    msg = str(err.value)
    assert "'surname' is an identifier" in msg and "did you mean 'ethnicity'" in msg   # both problems at once
    assert not (tmp_path / "x.parquet").exists()


def test_encode_refuses_to_keep_names_or_dates_it_does_not_recognise(encoded_pair: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    from linkage.bloom import read_key_file
    from linkage.files import EncodeOptions, encode_file

    a = pl.read_csv(encoded_pair["a_csv"], infer_schema=False)
    a.with_columns(pl.col("surname").alias("Child called"), pl.col("dob").alias("Born")).write_csv(tmp_path / "o.csv")
    key = read_key_file(encoded_pair["root"] / "k.key")
    with pytest.raises(ConfigError) as err:
        encode_file(tmp_path / "o.csv", tmp_path / "x.parquet", key,
                    options=EncodeOptions(keep=("Child called", "Born", "ethnicity")))
    msg = str(err.value)
    assert "'Child called' looks like an identifier" in msg and "distinct values" in msg
    assert "'Born' looks like an identifier" in msg and "read as dates" in msg
    assert "'ethnicity'" not in msg                                    # a subgroup of a few values is kept
    assert not (tmp_path / "x.parquet").exists()


def test_encode_names_the_columns_it_leaves_out(encoded_pair: dict[str, Path], tmp_path: Path) -> None:
    from linkage.bloom import read_key_file
    from linkage.files import EncodeOptions, encode_file

    a = pl.read_csv(encoded_pair["a_csv"], infer_schema=False)
    a.with_columns(pl.lit("lomi").alias("Town")).write_csv(tmp_path / "t.csv")
    key = read_key_file(encoded_pair["root"] / "k.key")
    report = encode_file(tmp_path / "t.csv", tmp_path / "x.parquet", key, options=EncodeOptions(keep=("ethnicity",)))
    assert report.not_encoded == ("Town",)         # clear-text link-files would compare it: the CLI warns
    report = encode_file(tmp_path / "t.csv", tmp_path / "y.parquet", key,
                         options=EncodeOptions(keep=("ethnicity",), text=("Town",)))
    assert report.not_encoded == ()


def test_read_csv_detects_the_encoding(tmp_path: Path) -> None:
    from linkage.files import read_csv
    from warehouse.errors import DataError

    text = "id,first_name\n1,Kalë\n"
    (tmp_path / "w.csv").write_bytes(text.encode("cp1252"))                   # a Windows export
    (tmp_path / "u.csv").write_bytes(text.encode("utf-8-sig"))                # Excel's CSV UTF-8 (with BOM)
    for name in ("w.csv", "u.csv"):
        df = read_csv(tmp_path / name)
        assert df.columns == ["id", "first_name"] and df["first_name"].to_list() == ["Kalë"]
    (tmp_path / "b.csv").write_bytes(text.encode("utf-16"))
    with pytest.raises(DataError, match="UTF-16"):
        read_csv(tmp_path / "b.csv")
