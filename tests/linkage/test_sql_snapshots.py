"""Snapshot tests of the generated linkage SQL: one ``.sql`` file per stage for a fixed plan, clear-text and encoded.

A change in a stage's SQL shows as a readable diff of ``tests/linkage/snapshots/<stage>.sql``
(as Ibis keeps one ``out.sql`` per test). After an intended change, regenerate with
``LINKREADY_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/linkage/test_sql_snapshots.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from sqlglot import exp

from linkage.blocking import candidates_sql, default_rules
from linkage.bloom import BLOCKING_KEYS
from linkage.comparisons import Comparison, default_comparisons
from linkage.encoded import encoded_comparisons, encoded_rules
from linkage.model import FellegiSunter
from linkage.pipeline import comparisons_sql, patterns_sql, scores_sql
from linkage.sqlbuild import DIALECT, SqlBuilder

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("LINKREADY_UPDATE_SNAPSHOTS") == "1"
COLUMNS = {"forename", "forename_canon", "forename_mp", "forename_init", "surname", "surname_canon", "surname_mp",
           "surname_init", "dob", "dob_expected", "dob_year", "dob_month", "dob_swap", "sex", "postcode",
           "pc_sector", "pc_district", "pc_area", "nhs_number"}
COMPS = default_comparisons(COLUMNS)
RULES = default_rules(COLUMNS)
#: The columns of two files encoded with every identifier (Bloom filters for names, keyed tokens for
#: the rest, and every blocking token): the encoded (bloom_filter_encodings) scenario's fixed plan.
ENCODED_COLUMNS = {"forename_bf", "surname_bf", "dob_tk", "dob_swap_tk", "dob_year_tk", "dob_ym_tk", "dob_yd_tk",
                   "dob_md_tk", "dob_w1_tk", "dob_w2_tk", "sex_tk", "postcode_tk", "pc_sector_tk", "pc_district_tk",
                   "pc_area_tk", "nhs_number_tk"} | {bk.column for bk in BLOCKING_KEYS}
ENCODED_COMPS = encoded_comparisons(ENCODED_COLUMNS)
ENCODED_RULES = encoded_rules(ENCODED_COLUMNS)


def _model(comps: list[Comparison] = COMPS) -> FellegiSunter:
    """Fixed parameters (no fitting): level k of n has m = (k+1)/T and u = (n-k)/T."""
    m = tuple(np.arange(1, c.n_levels + 1, dtype=float) / sum(range(1, c.n_levels + 1)) for c in comps)
    u = tuple(x[::-1].copy() for x in m)
    return FellegiSunter(tuple(c.name for c in comps), tuple(tuple(c.level_labels()) for c in comps), m, u,
                         0.001, tuple(1 for _ in comps))


def _stage(name: str) -> tuple[exp.Expression, SqlBuilder]:
    b = SqlBuilder()
    statement: exp.Expression
    if name == "block_pair_count":
        statement = RULES[1].pair_count_sql(b, dedupe=False)
    elif name == "block_candidates":
        statement = candidates_sql(b, RULES, dedupe=False)
    elif name == "compare":
        statement = comparisons_sql(b, COMPS, "candidates", dedupe=False)
    elif name == "estimate_u":
        statement = comparisons_sql(b, COMPS, "upairs", dedupe=False, tf=False)
    elif name == "count_patterns":
        statement = patterns_sql(COMPS)
    elif name == "score":
        statement = scores_sql(b, COMPS, _model(), tf_floor=0.0005)
    elif name == "score_without_tf":
        statement = scores_sql(b, COMPS, _model(), tf_floor=0.0005, tf=False)
    # the encoded (Bloom filter) linkage: the same stage builders on encoded_comparisons / encoded_rules
    elif name == "encoded_block_pair_count":
        statement = ENCODED_RULES[1].pair_count_sql(b, dedupe=False)
    elif name == "encoded_block_candidates":
        statement = candidates_sql(b, ENCODED_RULES, dedupe=False)
    elif name == "encoded_compare":
        statement = comparisons_sql(b, ENCODED_COMPS, "candidates", dedupe=False)
    elif name == "encoded_estimate_u":
        statement = comparisons_sql(b, ENCODED_COMPS, "upairs", dedupe=False, tf=False)
    elif name == "encoded_count_patterns":
        statement = patterns_sql(ENCODED_COMPS)
    elif name == "encoded_score":
        statement = scores_sql(b, ENCODED_COMPS, _model(ENCODED_COMPS), tf_floor=0.0005)
    else:  # pragma: no cover - the parametrisation below lists the stages
        raise AssertionError(name)
    return statement, b


def render(name: str) -> str:
    """The snapshot text: pretty SQL, then the bound parameters it uses."""
    statement, b = _stage(name)
    sql, params = b.render(statement)
    pretty = statement.sql(dialect=DIALECT, pretty=True)
    rounded = {k: round(v, 9) if isinstance(v, float) else v for k, v in params.items()}
    return f"-- stage: {name}\n{pretty};\n-- parameters: {json.dumps(rounded, sort_keys=True)}\n"


STAGES = ("block_pair_count", "block_candidates", "compare", "estimate_u", "count_patterns", "score",
          "score_without_tf", "encoded_block_pair_count", "encoded_block_candidates", "encoded_compare",
          "encoded_estimate_u", "encoded_count_patterns", "encoded_score")


@pytest.mark.parametrize("stage", STAGES)
def test_generated_sql_matches_snapshot(stage: str) -> None:
    path = SNAPSHOTS / f"{stage}.sql"
    text = render(stage)
    if UPDATE or not path.exists():
        assert UPDATE, f"{path.name} is missing: run with LINKREADY_UPDATE_SNAPSHOTS=1 to create it, then review it"
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"the generated SQL of stage {stage!r} changed; review the diff and, if intended, regenerate with "
        "LINKREADY_UPDATE_SNAPSHOTS=1"
    )


def test_snapshots_bind_values_and_run_in_duckdb() -> None:
    import duckdb

    statement, b = _stage("score")
    sql, params = b.render(statement)
    assert "0.0005" not in sql and params                    # values are bound, never inlined
    con = duckdb.connect()
    try:
        cols = ", ".join(f"CAST(NULL AS INTEGER) AS g_{c.name}" for c in COMPS)
        tfs = ", ".join(f"CAST(NULL AS DOUBLE) AS tf_{c.name}" for c in COMPS if c.tf)
        con.execute(f"CREATE TABLE _lk_comparisons AS SELECT 1 AS l_id, 2 AS r_id, 1 AS rules, {cols}, {tfs}")  # noqa: S608
        con.execute(sql, params)
        weight = con.execute("SELECT match_weight FROM _lk_scores").fetchall()[0][0]
    finally:
        con.close()
    assert weight == pytest.approx(_model().prior_weight())    # all missing: the prior alone
