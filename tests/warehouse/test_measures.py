"""The outcome-measure catalogue: worked scoring examples, reverse scoring, missing-item rules,
bands and cut-offs, settings, and property tests that totals stay in range."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.errors import ConfigError
from warehouse.measures import MEASURES, Measure, MeasureSettings, get_measure, register

# ---------------------------------------------------------------- the public contract

def test_contract_interface_is_kept():
    assert set(MEASURES) == {"asq3", "asqse2", "phq9", "gad7", "cries13", "iesr", "score15", "mors", "dash",
                             "core10", "coda_child", "coda_mother"}
    for code, m in MEASURES.items():
        assert get_measure(code) is m
        assert m.code == code and m.name and m.n_items > 0
        assert isinstance(m.item_values, tuple) and isinstance(m.total_range, tuple)
        assert callable(m.score)


@pytest.mark.parametrize(("code", "n_items", "values", "total_range"), [
    ("dash", 24, (0, 1), (0, 24)),            # SafeLives/CAADA: 24 yes/no questions
    ("phq9", 9, (0, 1, 2, 3), (0, 27)),
    ("gad7", 7, (0, 1, 2, 3), (0, 21)),
    ("cries13", 13, (0, 1, 3, 5), (0, 65)),   # 0/1/3/5, not 0-3
    ("iesr", 22, (0, 1, 2, 3, 4), (0, 88)),
    ("score15", 15, (1, 2, 3, 4, 5), (15, 75)),
    ("core10", 10, (0, 1, 2, 3, 4), (0, 40)),
    ("mors", 14, (0, 1, 2, 3, 4, 5), (0, 70)),
    ("asq3", 30, (0, 5, 10), (0, 60)),
])
def test_facts_match_the_reference(code, n_items, values, total_range):
    m = get_measure(code)
    assert (m.n_items, m.item_values, m.total_range) == (n_items, values, total_range)


def test_lookup_by_display_name_and_did_you_mean():
    assert get_measure("PHQ-9").code == "phq9"
    assert get_measure("ASQ:SE-2").code == "asqse2"
    with pytest.raises(ConfigError, match=r"did you mean 'phq9'"):
        get_measure("phq8")


@pytest.mark.parametrize("given", ["SCORE-10", "score10", "Score 10"])
def test_score10_is_rejected_with_did_you_mean(given):
    with pytest.raises(ConfigError) as err:
        get_measure(given)
    assert "does not exist" in str(err.value)
    assert "core10" in str(err.value) and "score15" in str(err.value)


def test_register_rejects_an_incoherent_measure():
    bad = Measure("bad", "Bad", 3, (0, 1), (0, 5), True, "parent")
    with pytest.raises(ConfigError, match="total_range"):
        register(bad)
    with pytest.raises(ConfigError, match="item 8 outside 1..7"):
        register(dataclasses.replace(MEASURES["gad7"], code="bad2", reverse_items=(4, 8)))
    assert "bad" not in MEASURES and "bad2" not in MEASURES


# ---------------------------------------------------------------- worked examples

def test_phq9_worked_example_band_caseness_and_item9_flag():
    s = get_measure("phq9").score_detail([1, 1, 2, 0, 1, 3, 0, 1, 1])
    assert s.total == 10.0                      # 1+1+2+0+1+3+0+1+1
    assert s.band == "moderate" and s.clinical  # caseness >= 10
    assert s.flags == ("item 9 > 0",)
    low = get_measure("phq9").score_detail([1, 1, 1, 1, 0, 0, 0, 0, 0])
    assert (low.total, low.band, low.clinical, low.flags) == (4.0, "minimal", False, ())


@pytest.mark.parametrize(("total", "band"), [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"),
                                             (10, "moderate"), (14, "moderate"), (15, "moderately severe"),
                                             (19, "moderately severe"), (20, "severe"), (27, "severe")])
def test_phq9_band_edges(total, band):
    assert get_measure("phq9").band(total) == band


def test_gad7_bands_and_talking_therapies_caseness_8():
    m = get_measure("gad7")
    assert m.score([1, 1, 1, 1, 1, 1, 2]) == 8.0
    assert m.is_clinical(8.0) and not m.is_clinical(7.0)
    assert [m.band(x) for x in (4, 5, 10, 15, 21)] == ["minimal", "mild", "moderate", "severe", "severe"]


def test_core10_reverse_scores_items_2_and_3():
    m = get_measure("core10")
    # raw 0 on every item: items 2 and 3 ("someone to turn to", "able to cope") become 4 each
    assert m.score([0] * 10) == 8.0
    # raw 4 on every item: items 2 and 3 become 0
    assert m.score([4] * 10) == 32.0
    s = m.score_detail([2, 4, 4, 1, 1, 0, 1, 1, 1, 1])   # 2+0+0+1+1+0+1+1+1+1 = 8
    assert (s.total, s.band, s.clinical) == (8.0, "non-clinical", False)
    assert m.band(11) == "mild" and m.is_clinical(11)
    assert m.band(25) == "severe"


def test_core10_item6_risk_flag_whatever_the_total():
    s = get_measure("core10").score_detail([0, 4, 4, 0, 0, 1, 0, 0, 0, 0])
    assert s.total == 1.0 and s.flags == ("item 6 > 0",)


def test_core10_prorates_one_missing_item_but_not_two():
    m = get_measure("core10")
    one = m.score_detail([2, 2, 2, 2, 2, 2, 2, 2, 2, None])    # 9 answered, each 2 -> 18 * 10/9 = 20
    assert one.prorated and one.total == pytest.approx(20.0)
    assert m.score([2, 2, 2, 2, 2, 2, 2, 2, None, None]) is None


def test_core10_prorating_is_a_setting():
    strict = get_measure("core10").configured(MeasureSettings(core10_max_missing=0))
    assert strict.score([2, 2, 2, 2, 2, 2, 2, 2, 2, None]) is None


@pytest.mark.parametrize("code", ["phq9", "gad7", "cries13", "iesr", "dash", "score15", "mors", "coda_child",
                                  "coda_mother"])
def test_measures_without_a_prorating_rule_give_no_score_for_any_missing_item(code):
    m = get_measure(code)
    items: list[int | None] = [m.item_values[1]] * m.n_items
    assert m.score(items) is not None
    items[0] = None
    assert m.score(items) is None     # never a silent zero
    assert m.score([None] * m.n_items) is None


def test_invalid_items_give_no_score_and_are_described():
    m = get_measure("phq9")
    assert m.score([1] * 8) is None
    assert m.score([1] * 8 + [7]) is None
    assert m.item_problems([1] * 8 + [7]) == ["PHQ-9 item 9 is 7; allowed [0, 1, 2, 3]"]


def test_cries13_scale_and_cutoff_30():
    m = get_measure("cries13")
    s = m.score_detail([5, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0])   # 15 + 9 + 6 = 30
    assert s.total == 30.0 and s.clinical and s.band == "likely PTSD"
    assert m.is_clinical(29) is False


def test_iesr_cutoff_33():
    m = get_measure("iesr")
    assert m.score([1] * 22) == 22.0 and not m.is_clinical(22.0)
    assert m.score([2] * 11 + [1] * 11) == 33.0 and m.is_clinical(33.0)


def test_dash_ticks_and_marac_bands():
    m = get_measure("dash")
    assert m.n_items == 24
    s = m.score_detail([1] * 14 + [0] * 10)
    assert (s.total, s.band, s.clinical) == (14.0, "high", True)
    assert m.band(13) == "medium" and m.band(9) == "standard"
    assert not m.outcome_candidate    # a risk checklist, not a trial outcome


def test_score15_official_form_reverses_the_difficulty_items():
    m = get_measure("score15")
    # official form: 1 = "describes us very well". A family answering 1 to everything: strengths
    # very true (raw 1 each -> 5) and difficulties very true (1 -> 6-1 = 5 each, 10 items -> 50)
    assert m.score([1] * 15) == 55.0
    # strengths "not at all" (5) and difficulties "not at all" (5 -> 1): 5*5 + 10*1 = 35
    assert m.score([5] * 15) == 35.0
    s = m.score_detail([1, 5, 1, 5, 5, 1, 5, 5, 5, 1, 5, 5, 5, 5, 1])   # strong, no difficulties
    assert s.total == 15.0
    assert s.subscales == {"strengths_adaptability": 5.0, "overwhelmed_by_difficulties": 5.0,
                           "disrupted_communication": 5.0}


def test_score15_recoding_is_a_per_site_setting():
    cfg = MeasureSettings(score15_recoding={"sat": "reversed_anchors"})
    sat = get_measure("score15").configured(cfg, "sat")
    other = get_measure("score15").configured(cfg, "fbs")
    assert sat.reverse_items == (1, 3, 6, 10, 15) and other.reverse_items == (2, 4, 5, 7, 8, 9, 11, 12, 13, 14)
    items = [1, 5, 1, 5, 5, 1, 5, 5, 5, 1, 5, 5, 5, 5, 1]
    assert other.score(items) == 15.0
    assert sat.score(items) == 75.0      # reversed anchors: 5 strengths 1->5, difficulties kept at 5
    with pytest.raises(ConfigError, match="score15 recoding"):
        MeasureSettings(score15_recoding={"sat": "upside_down"})  # type: ignore[dict-item]


def test_mors_total_is_warmth_plus_reversed_invasion():
    m = get_measure("mors")
    warm = [5 if i in (1, 3, 4, 6, 8, 11, 13) else 0 for i in range(1, 15)]   # max warmth, no invasion
    s = m.score_detail(warm)
    assert s.total == 70.0 and s.subscales == {"warmth": 35.0, "invasion": 35.0}
    assert m.higher_is_worse is False
    flipped = m.configured(MeasureSettings(mors_item13="invasion"))
    assert flipped.score(warm) == 60.0  # item 13 now an invasion item: 5 -> 0, item 14 (0) now warmth


def test_asq3_area_scores_ratio_prorating_and_cutoffs():
    m = get_measure("asq3")
    items = [10] * 6 + [5] * 6 + [0] * 6 + [10] * 6 + [10] * 6
    s = m.score_detail(items)
    assert s.subscales == {"communication": 60.0, "gross_motor": 30.0, "fine_motor": 0.0,
                           "problem_solving": 60.0, "personal_social": 60.0}
    assert s.total == pytest.approx(42.0)     # mean of areas (areas are not summed officially)
    # 36-month cut-offs: gross motor 30 <= 36.99 and fine motor 0 <= 18.07 are below cut-off
    assert s.flags == ("gross_motor below cut-off", "fine_motor below cut-off") and s.clinical
    two_missing = items[:]
    two_missing[0] = two_missing[1] = None   # communication: 4 answered x 10 -> 40 * 6/4 = 60
    p = m.score_detail(two_missing)
    assert p.prorated and p.subscales["communication"] == 60.0
    three_missing = two_missing[:]
    three_missing[2] = None
    assert m.score(three_missing) is None


def test_asqse2_average_item_prorating_and_interval_cutoff_setting():
    m = get_measure("asqse2").configured(MeasureSettings())
    items: list[int | None] = [5] * 27 + [None] * 3   # 24-60 months: <=3 blanks allowed
    assert m.score(items) == pytest.approx(150.0)
    assert m.score([5] * 26 + [None] * 4) is None
    assert m.cutoff == 57 and "unverified" in (m.cutoff_source or "")
    young = get_measure("asqse2").configured(MeasureSettings(asqse2_interval_months=12))
    assert young.cutoff == 48 and young.score(items) is None   # 2-18 months: <=2 blanks
    with pytest.raises(ConfigError, match="asqse2_interval_months=7"):
        MeasureSettings(asqse2_interval_months=7)
    custom = get_measure("asqse2").configured(MeasureSettings(asqse2_cutoffs={30: 65.0}))
    assert custom.cutoff == 65.0


def test_reliability_override_setting():
    m = get_measure("iesr").configured(MeasureSettings(reliability={"iesr": 0.8}))
    assert m.reliability == 0.8 and m.reliability_source == "setting override"
    with pytest.raises(ConfigError, match="reliability"):
        MeasureSettings(reliability={"iesr": 1.2})


# ---------------------------------------------------------------- properties

@st.composite
def measure_and_items(draw):
    code = draw(st.sampled_from(sorted(MEASURES)))
    m = MEASURES[code]
    items = draw(st.lists(st.one_of(st.none(), st.sampled_from(m.item_values)), min_size=m.n_items,
                          max_size=m.n_items))
    return m, items


@settings(max_examples=300, deadline=None)
@given(measure_and_items())
def test_scores_stay_in_range_or_are_none(case):
    m, items = case
    s = m.score_detail(items)
    lo, hi = m.total_range
    if s.total is not None:
        assert lo - 1e-9 <= s.total <= hi + 1e-9
    if all(v is not None for v in items):
        assert s.total is not None and not s.prorated
    if s.total is None:
        assert any(v is None for v in items)
    assert s.n_missing == sum(v is None for v in items)


@settings(max_examples=150, deadline=None)
@given(measure_and_items())
def test_complete_forms_match_the_loader_score(case):
    m, items = case
    complete = [v if v is not None else m.item_values[0] for v in items]
    assert m.score(complete) == m.score_detail(complete).total
    if not m.reverse_items and type(m).score_detail is Measure.score_detail:
        assert m.score(complete) == float(sum(complete))
