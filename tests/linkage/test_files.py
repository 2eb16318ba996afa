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
