"""``flatten_cin``: the pre-proceedings table (CIN module 5, draft 2026-27) and the shapes the streamed
reader must keep (encodings, namespaces, a truncated file), read at the flattening level."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.warehouse.real_files import children, cin_xml, write_cin
from warehouse.validation.cin import PREPROCEEDINGS_FIELDS, flatten_cin
from warehouse.validation.dfe import run_rules

_PP = (
    "<PreProceedingsandFGDM><PPStartDate> 2026-06-01 </PPStartDate><LBPSentDate>2026-06-05</LBPSentDate>"
    "<FGDMMeetingOffer>1</FGDMMeetingOffer><FGDMMeetingFac>0</FGDMMeetingFac>"
    "<InitialPPMeetingDate>2026-06-20</InitialPPMeetingDate><ReviewMeetingsCount>2</ReviewMeetingsCount>"
    "<StepDecisionDate>2026-08-01</StepDecisionDate><PPOutcome>B</PPOutcome>"
    "<CourtAppDate>2026-09-01</CourtAppDate><LetterInitCPDate>2026-09-10</LetterInitCPDate>"
    "</PreProceedingsandFGDM>"
)
# a second block in the same episode: only an outcome (D is not a DfE code), an empty start date
_PP_SHORT = "<PreProceedingsandFGDM><PPStartDate></PPStartDate><PPOutcome>D</PPOutcome></PreProceedingsandFGDM>"


def _episode(referral: str, blocks: str) -> str:
    return (f"<CINdetails><CINreferralDate>{referral}</CINreferralDate><ReferralSource>1A</ReferralSource>"
            f"<PrimaryNeedCode>N1</PrimaryNeedCode><ReferralNFA>false</ReferralNFA>{blocks}</CINdetails>")


def _census(tmp_path: Path, **shape: str | None) -> Path:
    kids = children("201", 3, year=2027)
    # child 1: no pre-proceedings; child 2: a block in its second episode; child 3: two blocks in one episode
    kids[1].extra_details = [_episode("2026-05-20", _PP)]
    kids[2].extra_details = [_episode("2026-05-25", _PP + _PP_SHORT)]
    prefix = shape.get("prefix")
    text = cin_xml("201", kids, year=2027, namespace=shape.get("namespace"), prefix=prefix)
    if prefix:  # the extra episodes were written without the prefix: give them the document's
        for name in ("CINdetails", "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "ReferralNFA",
                     "PreProceedingsandFGDM", *PREPROCEEDINGS_FIELDS):
            text = text.replace(f"<{name}>", f"<{prefix}:{name}>").replace(f"</{name}>", f"</{prefix}:{name}>")
    return write_cin(tmp_path / "cin_census.xml", text, shape.get("codec") or "utf-8")


def test_one_row_per_block_with_its_child_and_episode(tmp_path: Path) -> None:
    flat = flatten_cin(_census(tmp_path))
    pp = flat.preproceedings
    assert pp is not None
    assert pp.columns == ["_row", "cin_details_id", *PREPROCEEDINGS_FIELDS]
    assert pp.schema["_row"] == pl.Int64 and pp.schema["PPOutcome"] == pl.String
    # (Child element, its CINdetails) : child 2's block sits in its second episode, child 3 has two blocks
    assert pp.select("_row", "cin_details_id").rows() == [(2, 2), (3, 2), (3, 2)]
    full = pp.row(0, named=True)
    assert full == {"_row": 2, "cin_details_id": 2, "PPStartDate": "2026-06-01", "LBPSentDate": "2026-06-05",
                    "FGDMMeetingOffer": "1", "FGDMMeetingFac": "0", "InitialPPMeetingDate": "2026-06-20",
                    "ReviewMeetingsCount": "2", "StepDecisionDate": "2026-08-01", "PPOutcome": "B",
                    "CourtAppDate": "2026-09-01", "LetterInitCPDate": "2026-09-10"}  # text stripped
    short = pp.row(2, named=True)
    assert short["PPOutcome"] == "D"
    assert all(short[f] is None for f in PREPROCEEDINGS_FIELDS if f != "PPOutcome")  # empty and absent: null
    # the episodes the blocks hang on are ordinary CINdetails rows
    assert flat.details is not None and flat.details.filter(pl.col("_row") == 3).height == 2


def test_the_draft_rules_fire_on_a_flattened_file(tmp_path: Path) -> None:
    flat = flatten_cin(_census(tmp_path))
    tables = {name: getattr(flat, name) for name in ("child", "details", "preproceedings")}
    problems = run_rules("cin", tables | {"header": pl.DataFrame([flat.header])}, 2027)
    hits = problems.filter(pl.col("dfe_rule").is_in(["9011", "8995Q"])).select("dfe_rule", "row", "child_id")
    assert hits.rows() == [("9011", 3, "C2010003")]  # outcome D, on child 3; a block exists, so no 8995Q


def test_no_block_gives_an_empty_table_with_its_columns(tmp_path: Path) -> None:
    path = write_cin(tmp_path / "cin.xml", cin_xml("201", children("201", 2)))
    pp = flatten_cin(path).preproceedings
    assert pp is not None and pp.height == 0
    assert pp.columns == ["_row", "cin_details_id", *PREPROCEEDINGS_FIELDS]


@pytest.mark.parametrize(
    "shape",
    [{"codec": "utf-16"}, {"namespace": "http://www.dfe.gov.uk/CIN"}, {"namespace": "urn:cin", "prefix": "cin"}],
)
def test_every_table_is_the_same_in_any_encoding_and_namespace(tmp_path: Path, shape: dict[str, str]) -> None:
    plain = flatten_cin(_census(tmp_path / "plain"))
    other = flatten_cin(_census(tmp_path / "other", **shape))
    assert other.malformed is None and other.children == plain.children == 3
    assert other.namespace == shape.get("namespace")
    assert other.header == plain.header
    for name in ("child", "details", "assessments", "factors", "plans", "section47", "cpp", "disabilities",
                 "reviews", "preproceedings"):
        assert getattr(other, name).equals(getattr(plain, name)), name


def test_a_truncated_file_is_malformed_and_keeps_only_whole_children(tmp_path: Path) -> None:
    text = cin_xml("201", children("201", 5))
    starts = [i for i in range(len(text)) if text.startswith("<Child>", i)]
    cut = starts[3] + 40  # inside the 4th child
    flat = flatten_cin(write_cin(tmp_path / "cin.xml", text[:cut]))
    assert flat.malformed is not None and flat.malformed.startswith("XML is not well-formed at line")
    assert flat.children == 3 and flat.child is not None
    assert flat.child.get_column("LAchildID").to_list() == ["C2010001", "C2010002", "C2010003"]
    assert sorted(flat.originals) == [1, 2, 3]


def test_validating_a_folder_runs_the_draft_rules_on_the_block(tmp_path: Path) -> None:
    """The pre-proceedings table reaches the DfE rules when a real folder is validated (not only here)."""
    from warehouse.validation import validate_drop

    drop = tmp_path / "drop"
    drop.mkdir()
    _census(drop)
    report = validate_drop(drop)
    hits = {(p.dfe_rule, p.child_id) for p in report.problems if p.dfe_rule in ("9011", "8995Q")}
    assert hits == {("9011", "C2010003")}
