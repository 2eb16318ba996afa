"""Outcome items follow each measure's own facts: direction, reverse-keyed items, respondents, ages."""

from __future__ import annotations

import numpy as np
import pytest

from synthetic_data.site_records import item_positions
from warehouse.adapters import get_adapter
from warehouse.measures import MEASURES, MeasureSettings, get_measure
from warehouse.sites import SITES


def _mean_score(code: str, difficulty: float, settings: MeasureSettings, site: str) -> float:
    m = get_measure(code).configured(settings, site)
    pos = item_positions(m, np.full(400, difficulty), np.random.default_rng(3))
    items = np.array(m.item_values)[pos]
    scores = [m.score([int(v) for v in row]) for row in items]
    return float(np.mean([s for s in scores if s is not None]))


@pytest.mark.parametrize("code", sorted(MEASURES))
@pytest.mark.parametrize("recoding", ["official_form", "reversed_anchors"])
def test_more_difficulty_scores_worse_in_the_measures_own_direction(code: str, recoding: str) -> None:
    """SCORE-15 once "deteriorated" in a world generated to improve: its reverse-keyed items were ignored."""
    settings = MeasureSettings(score15_recoding={"sat": recoding})  # type: ignore[dict-item]
    worse, better = _mean_score(code, 1.0, settings, "sat"), _mean_score(code, -1.0, settings, "sat")
    m = get_measure(code)
    assert (worse > better) if m.higher_is_worse else (worse < better), (code, worse, better)


def test_generated_world_improves_on_every_measure(clean_drop) -> None:
    from tests.synthetic_data.readers import read_site_outcomes

    root, _ = clean_drop
    z_scores: list[float] = []
    for site in SITES:
        lay = get_adapter(site).outcomes
        for code in lay.measures:
            m = get_measure(code).configured(MeasureSettings(), site)
            header, rows = read_site_outcomes(root, site, code)
            first = header.index(f"{lay.item_prefix}1")
            by_person: dict[str, dict[str, float]] = {}
            for r in rows:
                total = m.score([int(v) if v else None for v in r[first:first + m.n_items]])
                if total is not None:
                    by_person.setdefault(r[0], {})[lay.timepoint_labels[r[1]]] = total
            pairs = [(d["baseline"], d["followup"]) for d in by_person.values() if len(d) == 2]
            assert len(pairs) >= 5, (site, code)
            better = np.array([(b - fu) if m.higher_is_worse else (fu - b) for b, fu in pairs])
            se = better.std(ddof=1) / np.sqrt(len(better)) if better.std() > 0 else 1.0
            # a few pairs per measure: never a clear deterioration, and improvement over them all
            assert better.mean() > -3 * se, (site, code, better.mean(), se)
            z_scores.append(better.mean() / se)
    assert np.mean(z_scores) > 1.0, z_scores


def test_respondents_and_ages_come_from_the_catalogue(clean_drop) -> None:
    """CRIES-13 is self-report from age 8 (96 months): no child younger answers it."""
    from datetime import datetime

    from tests.synthetic_data.readers import read_site_outcomes, read_site_people

    root, _ = clean_drop
    people = get_adapter("sat").people
    c = people.columns
    dob = {r[c["record_id"]]: r[c["dob"]] for r in read_site_people(root, "sat")}
    header, rows = read_site_outcomes(root, "sat", "cries13")
    lay = get_adapter("sat").outcomes
    for r in rows:
        if lay.timepoint_labels[r[1]] != "baseline":
            continue
        born = datetime.strptime(dob[r[0]], people.date_format)
        on = datetime.strptime(r[header.index(lay.date_column)], people.date_format)
        assert (on - born).days / 365.25 >= 8 - 0.02  # a corrupted DOB may move a day or a day/month swap
