"""link-files outputs for data officers: review reasons, the printed breakdown, the small-file warning."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import polars as pl

from linkage.evaluate import Metrics, measured
from linkage.files import MIN_RECORDS_TO_LEARN, FileLinkReport, _with_reasons, learning_warnings
from linkage.pipeline import LinkResult


def test_every_review_reason() -> None:
    links = pl.DataFrame({"l_id": [0, 1, 4], "r_id": [10, 11, 14], "l_rid": ["A", "B", "E"],
                          "r_rid": ["X", "Y", "W"], "probability": [0.99, 0.97, 0.40]})
    band = pl.DataFrame({
        "l_id": [0, 0, 2, 3, 4], "r_id": [10, 11, 12, 11, 14],
        "probability": [0.99, 0.95, 0.30, 0.80, 0.40],
        "is_link": [True, False, False, False, True],
    })
    reasons = _with_reasons(band, links, 0.5)["reason"].to_list()
    assert reasons == [
        "at or above the threshold 0.5",
        # A-Y scores 0.95 but A went to X (0.99), the better partner: named, with its probability
        "one-to-one: the left record is linked to X (probability 0.99), a better-scoring partner",
        "below the threshold 0.5",
        # the left record (id 3) is free; Y went to B
        "one-to-one: the right record is linked to B (probability 0.97), a better-scoring partner",
        # one file: linked at 0.40 because other pairs of its cluster join the two records
        "below the threshold 0.5, linked through other records of its cluster",
    ]


def _report(rows: list[Metrics], basis: str) -> FileLinkReport:
    return FileLinkReport(cast(LinkResult, None), None, None, None, basis, {}, 0.0, {}, rows=tuple(rows))


def test_report_table_formats_and_suppresses() -> None:
    overall = measured("file", "all", "all", 1234, 900, 900, 950, 890)
    big = measured("file", "team", "north", 1231, 897, 897, 947, 887)
    small = measured("file", "team", "south", 3, 3, 3, 3, 3)          # 3 records: hidden
    table = _report([overall, big, small], "measured").report_table()
    assert table.columns == ["team", "Records", "Links", "True matches", "Precision (95% interval)",
                             "Recall (95% interval)", "F1 (95% interval)"]
    first = table.row(0, named=True)
    assert first["team"] == "All records" and first["Records"] == "1,234" and first["Links"] == "900"
    assert first["Precision (95% interval)"] == "98.9% (98.0% to 99.4%)"    # 890 / 900, Wilson
    south = table.row(2, named=True)
    assert south["Records"] == "[c]" and south["Recall (95% interval)"] == "[c]"
    # north = total - south would give south away: the engine hides it too (secondary suppression)
    assert table.row(1, named=True)["Records"] == "[c]"
    assert [s for s, _ in FileLinkReport.legend_for(table)] == ["[c]"]


def test_small_files_warn_with_what_to_do() -> None:
    def result(n_left: int, n_right: int, pairs: int) -> LinkResult:
        return cast(LinkResult, SimpleNamespace(n_left=n_left, n_right=n_right, candidate_pairs=pairs))

    n = MIN_RECORDS_TO_LEARN
    assert learning_warnings(result(n, n, n), dedupe=False, measured_basis=False) == ()
    (few,) = learning_warnings(result(n - 1, 5000, 40), dedupe=False, measured_basis=False)
    assert f"the left file has {n - 1} records and blocking found 40 candidate pairs, fewer than {n}" in few
    assert "the right file" not in few and "give a truth file (--truth)" in few and "unreliable" in few
    (one,) = learning_warnings(result(6, 6, 3), dedupe=True, measured_basis=True, min_records=5)
    assert one.startswith("too few records for the model to learn from: blocking found 3 candidate pairs, fewer than 5")
    assert "measured against the truth file" in one


def test_help_states_the_defaults_the_library_uses() -> None:
    """The CLI help names the defaults in words; they must be the library's (a copy drifts)."""
    from click.testing import CliRunner

    from linkage.settings import LinkageSettings
    from linkready.cmd_link import link_files_cmd

    text = " ".join(CliRunner().invoke(link_files_cmd, ["--help"]).output.split())
    s = LinkageSettings()
    assert f"{s.review_low:g} and {s.review_high:g} unless --config changes them" in text
    assert f"(default: {MIN_RECORDS_TO_LEARN})" in text


def _dedupe_result() -> LinkResult:
    """One file, four records R1-R4 in one cluster plus R5-R6 in another: R1-R3 and R1-R2 scored above
    the threshold, R2-R3 scored below it (linked through the cluster), R5-R6 never scored."""
    pairs = pl.DataFrame({
        "l_id": [0, 0, 1], "r_id": [1, 2, 2], "l_rid": ["R3", "R3", "R1"], "r_rid": ["R1", "R2", "R2"],
        "match_weight": [6.0, 5.0, -1.0], "probability": [0.985, 0.97, 0.33], "is_link": [True, True, True],
        "g_surname": [2, 1, -1], "w_surname": [4.0, 2.5, 0.0], "tfa_surname": [0.5, None, None],
    })
    links = pl.DataFrame({"l_id": [0, 0, 1, 3], "r_id": [1, 2, 2, 4], "l_rid": ["R3", "R3", "R1", "R5"],
                          "r_rid": ["R1", "R2", "R2", "R6"], "match_weight": [6.0, 5.0, None, None],
                          "probability": [0.985, 0.97, None, None]})
    clusters = pl.DataFrame({"rid": ["R3", "R1", "R2", "R5", "R6"], "cluster": [0, 0, 0, 1, 1]})
    comparisons = (SimpleNamespace(name="surname"),)
    model = SimpleNamespace(labels=(("different", "jaro_winkler_0.80", "exact"),))
    return cast(LinkResult, SimpleNamespace(pairs=pairs, links=links, clusters=clusters, comparisons=comparisons,
                                            model=model))


def test_pairs_of_one_file_cover_every_cluster_link() -> None:
    report = FileLinkReport(_dedupe_result(), None, None, None, "estimated", {}, 0.0, {}, ids=("ref", "ref"),
                            dedupe=True)
    table = report.pairs_table()
    assert table.columns == ["left_ref", "right_ref", "probability", "match_weight", "cluster", "surname_agreement",
                             "surname_weight"]
    assert table.rows() == [
        ("R1", "R3", 0.985, 6.0, 0, "exact", 4.5),              # ids ordered within the pair; weight + tf adjustment
        ("R2", "R3", 0.97, 5.0, 0, "jaro_winkler_0.80", 2.5),
        ("R1", "R2", 0.33, -1.0, 0, "missing", 0.0),            # scored below the threshold, linked via R3
        ("R5", "R6", None, None, 1, "not compared", None),      # never scored: no figure is made up
    ]
    review = report.review_table()
    assert review.select("left_ref", "right_ref", "linked", "reason").rows() == [
        ("R1", "R2", "yes", "below the threshold 0.5, linked through other records of its cluster"),
    ]
