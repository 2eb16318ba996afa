"""The availability dimensions' one home (issue 12): synthesis and the synthetic focus groups read it."""

from __future__ import annotations

import pytest

from warehouse.dimensions import DIMENSIONS
from warehouse.errors import ConfigError


def test_catalogue_ids_labels_and_research_questions() -> None:
    assert [(d.dimension, d.label, d.rq_id) for d in DIMENSIONS.values()] == [
        ("held", "Held", "RQ1"), ("collection", "Collection", "RQ1"), ("use", "Use", "RQ2"),
        ("accuracy", "Accuracy", "RQ2"), ("reliability", "Reliability", "RQ2"),
        ("time_to_access", "Time to access", "RQ3"), ("linkage_appetite", "Appetite for linkage", "RQ4"),
        ("linkage_capacity", "Capacity for linkage", "RQ4"),
    ]
    assert all(len(d.anchors) == 5 for d in DIMENSIONS.values())


def test_a_typo_gets_a_did_you_mean() -> None:
    with pytest.raises(ConfigError, match="time_to_access"):
        DIMENSIONS.get("time_to_acess")


def test_synthesis_and_the_focus_groups_share_the_catalogue() -> None:
    from synthesis.catalogue import DIMENSIONS as SYNTHESIS_DIMENSIONS
    from synthesis.catalogue import RESEARCH_QUESTIONS
    from synthetic_data.focus_groups import THEME_RQ

    assert SYNTHESIS_DIMENSIONS is DIMENSIONS
    assert all(d.rq_id in RESEARCH_QUESTIONS for d in DIMENSIONS.values())
    assert THEME_RQ == {"held": "RQ1", "accuracy": "RQ2", "time_to_access": "RQ3", "linkage_appetite": "RQ4"}
    assert set(THEME_RQ) <= set(DIMENSIONS.names())
