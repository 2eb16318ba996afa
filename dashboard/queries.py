"""All dashboard SQL, and nothing else: each function takes a cursor and a :class:`Scope`.

The Scope's sites are bound as a parameter in every statement, so no query can read a site
the caller may not see. Identifiers that vary (a synthesis or readiness view) come only from
the fixed allow-list :data:`RELATIONS` and go through :func:`_ident`. The ``restricted``
schema is never read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import duckdb
import polars as pl

from dashboard.access import Scope
from warehouse.errors import AccessDenied, DataError
from warehouse.sites import SITE_IDS
from warehouse.store import Store
from warehouse.toc import TheoryOfChange, load_toc

# Views and tables other stages may (or may not yet) have created: name -> the column holding the site.
RELATIONS: dict[str, str] = {
    "v_availability_matrix": "site_id",
    "v_availability_evidence": "site_id",
    "v_code_frequency_by_site": "site_id",
    "v_framework_matrix": "site_id",
    "v_triangulation_matrix": "site_id",
    "readiness_completeness": "site_id",
    "readiness_timeline": "site_id",
    "readiness_funnel": "site_id",
    "readiness_summary": "site_id",
}


def _ident(name: str) -> str:
    """Quote an allow-listed relation or column name (the only identifiers built into SQL)."""
    return '"' + name.replace('"', '""') + '"'


def _sites(scope: Scope) -> list[str]:
    return list(scope.sites)


def _pl(cur: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object]) -> pl.DataFrame:
    frame: pl.DataFrame = cur.sql(sql, params=params).pl()
    return frame


def _one(cur: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> tuple[object, ...] | None:
    rows = cur.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def relation_columns(cur: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """Columns of a main-schema table or view, or [] when it does not exist (not yet created)."""
    if name not in RELATIONS and name not in {"linkage_metrics", "linkage_pairs", "load_batches", "readiness_runs",
                                              "syn_availability_rating", "toc_model", "v_quotes"}:
        raise ValueError(f"relation {name!r} is not one the dashboard reads")
    rows = cur.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? "
        "ORDER BY column_index",
        [name],
    ).fetchall()
    return [r[0] for r in rows]



def records_held(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """Per site: programme children, their LA's CSC children, service people and outcome rows (one scan each).

    The site test is ``list_contains`` on the bound list, which DuckDB evaluates inside the scan of the
    1M-row children table rather than as a semi-join against an unnested list.
    """
    return _pl(cur, """
        WITH s AS (SELECT unnest($sites) AS site_id),
        c AS (SELECT site_id, count(*) FILTER (WHERE source = 'site') AS programme_children,
                     count(*) FILTER (WHERE source = 'la') AS csc_children
              FROM children WHERE list_contains($sites, site_id) GROUP BY site_id),
        e AS (SELECT site_id, count(*) AS service_people FROM service_episodes
              WHERE list_contains($sites, site_id) GROUP BY site_id),
        o AS (SELECT site_id, count(*) AS outcome_rows, count(total) AS outcome_scored FROM outcome_measurements
              WHERE list_contains($sites, site_id) GROUP BY site_id)
        SELECT s.site_id, coalesce(c.programme_children, 0) AS programme_children,
               coalesce(c.csc_children, 0) AS csc_children, coalesce(e.service_people, 0) AS service_people,
               coalesce(o.outcome_rows, 0) AS outcome_rows, coalesce(o.outcome_scored, 0) AS outcome_scored
        FROM s LEFT JOIN c USING (site_id) LEFT JOIN e USING (site_id) LEFT JOIN o USING (site_id)
        ORDER BY s.site_id
    """, {"sites": _sites(scope)})



_LINKAGE_OVERALL = """
        SELECT site_id, scenario, n_records, candidate_pairs, links, true_matches, true_positives,
               precision, recall, f1, match_rate, clerical_review, expected_known_share, basis
        FROM linkage_metrics
        WHERE run_id = (SELECT max(run_id) FROM linkage_metrics)
          AND subgroup_type = 'all' AND list_contains(?, site_id)
          AND (? IS NULL OR scenario = ?)
        ORDER BY site_id, scenario
    """
_LINKAGE_OVERALL_INTERVALS = """
        SELECT site_id, scenario, n_records, candidate_pairs, links, true_matches, true_positives,
               precision, precision_low, precision_high, recall, recall_low, recall_high, f1, f1_low, f1_high,
               match_rate, clerical_review, expected_known_share, basis, method
        FROM linkage_metrics
        WHERE run_id = (SELECT max(run_id) FROM linkage_metrics)
          AND subgroup_type = 'all' AND list_contains(?, site_id)
          AND (? IS NULL OR scenario = ?)
        ORDER BY site_id, scenario
    """


def linkage_overall(cur: duckdb.DuckDBPyConnection, scope: Scope, scenario: str | None = None,
                    intervals: bool = False) -> pl.DataFrame:
    """Overall metrics (subgroup 'all') of the latest run per site; every scenario unless one is given.

    With ``intervals`` the 95% interval of precision, recall and F1 (``*_low``, ``*_high``) and the
    ``method`` that produced them come too: an estimated figure (``basis`` "estimated") must be
    shown with its interval. Off by default so a table that does not yet declare those columns for
    disclosure control never receives them.
    """
    sql = _LINKAGE_OVERALL_INTERVALS if intervals else _LINKAGE_OVERALL
    return _pl(cur, sql, [_sites(scope), scenario, scenario])


def linkage_scenarios(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Scenario names present in the latest run."""
    rows = cur.execute(
        "SELECT DISTINCT scenario FROM linkage_metrics WHERE run_id = (SELECT max(run_id) FROM linkage_metrics) "
        "ORDER BY scenario"
    ).fetchall()
    return [r[0] for r in rows]


def linkage_subgroups(cur: duckdb.DuckDBPyConnection, scope: Scope, scenario: str, subgroup_type: str) -> pl.DataFrame:
    """Per site and subgroup of one type: records, links, match rate (latest run)."""
    return _pl(cur, """
        SELECT site_id, subgroup_type, subgroup, n_records, links, match_rate, match_rate_low, match_rate_high,
               recall, basis
        FROM linkage_metrics
        WHERE run_id = (SELECT max(run_id) FROM linkage_metrics)
          AND scenario = ? AND subgroup_type = ? AND list_contains(?, site_id)
        ORDER BY site_id, subgroup
    """, [scenario, subgroup_type, _sites(scope)])


def linkage_subgroup_types(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Subgroup types other than 'all' in the latest run."""
    rows = cur.execute(
        "SELECT DISTINCT subgroup_type FROM linkage_metrics WHERE run_id = (SELECT max(run_id) FROM linkage_metrics) "
        "AND subgroup_type <> 'all' ORDER BY subgroup_type"
    ).fetchall()
    return [r[0] for r in rows]


#: Record ids a data officer can look up, when the linkage stage stores them beside the pseudonymous keys.
PAIR_RECORD_IDS = ("left_record_id", "right_record_id")


def _pair_ids_sql(cur: duckdb.DuckDBPyConnection, alias: str = "") -> str:
    """The pair's record id columns, or NULLs when ``linkage_pairs`` holds pseudonymous keys only (fixed text)."""
    have = set(relation_columns(cur, "linkage_pairs"))
    return ", ".join(f"{alias}{c}" if c in have else f"CAST(NULL AS VARCHAR) AS {c}" for c in PAIR_RECORD_IDS)


def linkage_threshold(cur: duckdb.DuckDBPyConnection) -> float | None:
    """The match probability at or above which the latest run linked a pair (None when the run did not record it)."""
    row = _one(cur, """
        SELECT TRY_CAST(json_extract_string(settings, '$.settings.threshold') AS DOUBLE)
        FROM linkage_runs WHERE run_id = (SELECT max(run_id) FROM linkage_pairs)
    """)
    return None if row is None or row[0] is None else float(str(row[0]))


def linkage_pair_choices(cur: duckdb.DuckDBPyConnection, scope: Scope, scenario: str, limit: int = 40) -> pl.DataFrame:
    """Pairs worth explaining (latest run), per site: the weakest links (closest to the threshold), the
    highest-scoring non-links (those above the threshold lost a record to a better partner) and the site's
    strongest link.

    Each site gets an equal share of ``limit`` (at least 3 of each kind), so a large site does not crowd out
    a small one. Ordered by site, links first, then by probability (highest first).
    """
    per_kind = max(3, limit // max(1, 2 * len(scope.sites)))
    sql = f"""
        WITH p AS (
            SELECT site_id, scenario, left_key, right_key, {_pair_ids_sql(cur)}, match_weight, probability, is_link,
                   row_number() OVER (PARTITION BY site_id, is_link
                                      ORDER BY CASE WHEN is_link THEN probability ELSE -probability END,
                                               left_key, right_key) AS near,
                   row_number() OVER (PARTITION BY site_id ORDER BY match_weight DESC, left_key, right_key) AS strong
            FROM linkage_pairs
            WHERE run_id = (SELECT max(run_id) FROM linkage_pairs)
              AND scenario = $scenario AND list_contains($sites, site_id)
        )
        SELECT site_id, scenario, left_key, right_key, left_record_id, right_record_id, match_weight, probability,
               is_link
        FROM p WHERE near <= $k OR strong = 1
        ORDER BY site_id, is_link DESC, probability DESC, left_key, right_key
    """  # noqa: S608 - the only text built in is the fixed column list of _pair_ids_sql
    return _pl(cur, sql, {"scenario": scenario, "sites": _sites(scope), "k": per_kind})


def linkage_pair_explanation(
    cur: duckdb.DuckDBPyConnection, scope: Scope, scenario: str, left_key: str, right_key: str
) -> tuple[dict[str, object] | None, pl.DataFrame]:
    """The stored pair (site, keys, record ids, weight, probability, link) and its per-comparison weights."""
    sql = f"""
        SELECT site_id, match_weight, probability, is_link, CAST(explanation AS VARCHAR), left_key, right_key,
               {_pair_ids_sql(cur)}
        FROM linkage_pairs
        WHERE run_id = (SELECT max(run_id) FROM linkage_pairs)
          AND scenario = ? AND left_key = ? AND right_key = ? AND list_contains(?, site_id)
        LIMIT 1
    """  # noqa: S608 - fixed column list only
    row = _one(cur, sql, [scenario, left_key, right_key, _sites(scope)])
    if row is None:
        return None, pl.DataFrame({"comparison": [], "weight": []}, schema={"comparison": pl.Utf8, "weight": pl.Float64})
    pair = {"site_id": row[0], "match_weight": row[1], "probability": row[2], "is_link": row[3], "left_key": row[5],
            "right_key": row[6], "left_record_id": row[7], "right_record_id": row[8]}
    return pair, explanation_frame(None if row[4] is None else str(row[4]))


def linkage_pair_rivals(cur: duckdb.DuckDBPyConnection, scope: Scope, scenario: str, site_id: str, left_key: str,
                        right_key: str) -> pl.DataFrame:
    """The links (latest run) that took either record of a pair: why a pair above the threshold was not linked
    under one-to-one assignment. ``side`` says which record they share (``left``: the site record)."""
    sql = f"""
        SELECT CASE WHEN left_key = $left THEN 'left' ELSE 'right' END AS side, left_key, right_key,
               {_pair_ids_sql(cur)}, match_weight, probability
        FROM linkage_pairs
        WHERE run_id = (SELECT max(run_id) FROM linkage_pairs) AND is_link
          AND scenario = $scenario AND site_id = $site AND list_contains($sites, site_id)
          AND (left_key = $left OR right_key = $right) AND NOT (left_key = $left AND right_key = $right)
        ORDER BY probability DESC, left_key, right_key
    """  # noqa: S608 - fixed column list only
    return _pl(cur, sql, {"left": left_key, "right": right_key, "scenario": scenario, "site": site_id,
                          "sites": _sites(scope)})


def explanation_frame(text: str | None) -> pl.DataFrame:
    """Turn a stored explanation (JSON in one of the shapes linkage writes) into comparison/weight rows."""
    names: list[str] = []
    weights: list[float | None] = []
    levels: list[str | None] = []
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    prior = data.get("prior_weight") if isinstance(data, dict) else None
    if isinstance(data, dict) and isinstance(data.get("comparisons"), list | dict):
        data = data["comparisons"]
    if isinstance(prior, int | float):
        names.append("prior (how rare a match is)")
        weights.append(float(prior))
        levels.append(None)
    items: list[tuple[str, object]]
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = [(str(d.get("comparison") or d.get("name") or d.get("field") or i), d)
                 for i, d in enumerate(data) if isinstance(d, dict)]
    else:
        items = []
    for name, value in items:
        weight: float | None = None
        level: str | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            weight = float(value)
        elif isinstance(value, dict):
            for key in ("weight", "match_weight", "log2_bayes_factor", "bayes_factor_log2", "score"):
                if isinstance(value.get(key), int | float):
                    weight = float(value[key])
                    break
            lv = value.get("level", value.get("label", value.get("agreement")))
            level = None if lv is None else str(lv)
        names.append(str(name))
        weights.append(weight)
        levels.append(level)
    return pl.DataFrame({"comparison": names, "level": levels, "weight": weights},
                        schema={"comparison": pl.Utf8, "level": pl.Utf8, "weight": pl.Float64})


def outcome_completeness(cur: duckdb.DuckDBPyConnection, scope: Scope, measure: str | None = None) -> pl.DataFrame:
    """Per site, measure and timepoint: people measured on the measure, rows held, scored totals."""
    return _pl(cur, """
        WITH people AS (
            SELECT site_id, measure, count(DISTINCT person_key) AS people
            FROM outcome_measurements WHERE list_contains(?, site_id) AND (? IS NULL OR measure = ?)
            GROUP BY ALL
        ), tp AS (
            SELECT site_id, measure, timepoint, count(*) AS recorded, count(total) AS scored
            FROM outcome_measurements WHERE list_contains(?, site_id) AND (? IS NULL OR measure = ?)
            GROUP BY ALL
        )
        SELECT tp.site_id, tp.measure, tp.timepoint, people.people, tp.recorded, tp.scored,
               tp.scored / nullif(people.people, 0) AS completeness
        FROM tp JOIN people USING (site_id, measure)
        ORDER BY tp.site_id, tp.measure, CASE tp.timepoint WHEN 'baseline' THEN 0 ELSE 1 END, tp.timepoint
    """, [_sites(scope), measure, measure, _sites(scope), measure, measure])


def readiness_completeness(cur: duckdb.DuckDBPyConnection, scope: Scope, measure: str | None = None) -> pl.DataFrame:
    """The evaluation stage's completeness rows (overall subgroup) for the scope; empty if not computed."""
    if not relation_columns(cur, "readiness_completeness"):
        return pl.DataFrame()
    return _pl(cur, """
        SELECT site_id, measure, timepoint, eligible, recorded, scored, prorated, missing, completeness,
               baseline_scored, retained, retention
        FROM readiness_completeness
        WHERE subgroup_type = 'all' AND list_contains(?, site_id) AND (? IS NULL OR measure = ?)
        ORDER BY site_id, measure, CASE timepoint WHEN 'baseline' THEN 0 ELSE 1 END
    """, [_sites(scope), measure, measure])


def outcome_measures(cur: duckdb.DuckDBPyConnection, scope: Scope) -> list[str]:
    """Measures with any recorded row in the scope."""
    rows = cur.execute(
        "SELECT DISTINCT measure FROM outcome_measurements WHERE list_contains(?, site_id) ORDER BY measure",
        [_sites(scope)],
    ).fetchall()
    if not rows and relation_columns(cur, "readiness_completeness"):
        rows = cur.execute(
            "SELECT DISTINCT measure FROM readiness_completeness WHERE list_contains(?, site_id) ORDER BY measure",
            [_sites(scope)],
        ).fetchall()
    return [r[0] for r in rows]


def recruitment_timeline(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """Per site and referral month: people referred, with a scored baseline, with baseline and follow-up
    scored on the same measure (the evaluable sample), each cumulative.

    Only scored rows of the scope's sites are read; a (person, measure) group is kept only when it has a
    scored baseline, so "with baseline" is a plain match and "evaluable" one flag per person.
    """
    return _pl(cur, """
        WITH pm AS (
            SELECT person_key, bool_or(timepoint <> 'baseline') AS f
            FROM outcome_measurements WHERE list_contains($sites, site_id) AND total IS NOT NULL
            GROUP BY person_key, measure HAVING bool_or(timepoint = 'baseline')
        ), scored AS (
            SELECT person_key, bool_or(f) AS has_pair FROM pm GROUP BY person_key
        ), monthly AS (
            SELECT e.site_id, date_trunc('month', e.referral_date)::DATE AS month,
                   count(*) AS referred,
                   count(s.person_key) AS baseline,
                   count(*) FILTER (WHERE s.has_pair) AS evaluable
            FROM service_episodes e LEFT JOIN scored s USING (person_key)
            WHERE list_contains($sites, e.site_id) AND e.referral_date IS NOT NULL
            GROUP BY ALL
        )
        SELECT site_id, month,
               sum(referred) OVER w AS referred, sum(baseline) OVER w AS with_baseline,
               sum(evaluable) OVER w AS evaluable
        FROM monthly WINDOW w AS (PARTITION BY site_id ORDER BY month)
        ORDER BY site_id, month
    """, {"sites": _sites(scope)})


def relation_rows(cur: duckdb.DuckDBPyConnection, scope: Scope, name: str,
                  where: Mapping[str, object] | None = None, columns: list[str] | None = None) -> pl.DataFrame:
    """Rows of an allow-listed view/table for the scope's sites (empty frame when it does not exist).

    Cross-site rows (site NULL) are returned only to a caller who may see every site, since they
    summarise the other sites too. Extra equality filters go in ``where`` (column names must exist).
    ``columns``: the relation's columns when the caller has just looked them up (saves a catalogue query).
    """
    site_col = RELATIONS[name]
    cols = relation_columns(cur, name) if columns is None else columns
    if not cols:
        return pl.DataFrame()
    if site_col not in cols:
        if set(scope.sites) != set(SITE_IDS):
            return pl.DataFrame()
        site_filter, params = "TRUE", []
    else:
        site_filter = f"(list_contains(?, {_ident(site_col)}) OR ({_ident(site_col)} IS NULL AND ?))"
        params = [_sites(scope), set(scope.sites) == set(SITE_IDS)]
    extra = ""
    for col, value in (where or {}).items():
        if col not in cols:
            raise ValueError(f"{name} has no column {col!r}")
        extra += f" AND {_ident(col)} = ?"
        params.append(value)
    sql = f"SELECT * FROM {_ident(name)} WHERE {site_filter}{extra}"  # noqa: S608 - allow-listed identifiers
    return _pl(cur, sql, params)


def distinct_values(cur: duckdb.DuckDBPyConnection, name: str, column: str) -> list[str]:
    """Distinct non-null values of one column of an allow-listed relation ([] when absent)."""
    cols = relation_columns(cur, name)
    if column not in cols:
        return []
    sql = f"SELECT DISTINCT CAST({_ident(column)} AS VARCHAR) FROM {_ident(name)} WHERE {_ident(column)} IS NOT NULL ORDER BY 1"  # noqa: S608,E501
    return [r[0] for r in cur.execute(sql).fetchall()]


def availability_dimensions(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """The rated availability dimensions: the distinct ``dimension`` of ``v_availability_matrix``, read from
    the ratings table that view is built from (one row per site, item and dimension is kept from each
    group of ratings, so the set is the same) without paying for the view's window and joins."""
    if "dimension" not in relation_columns(cur, "syn_availability_rating"):
        return []
    rows = cur.execute(
        "SELECT DISTINCT CAST(dimension AS VARCHAR) FROM syn_availability_rating WHERE dimension IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def data_loaded(cur: duckdb.DuckDBPyConnection) -> str | None:
    """When the current data was loaded (ISO date), or None before any load."""
    row = _one(cur, "SELECT CAST(max(loaded_at) AS DATE) FROM load_batches WHERE status = 'current'")
    return str(row[0]) if row and row[0] is not None else None


def data_as_of(cur: duckdb.DuckDBPyConnection) -> str | None:
    """The data's own "today" (latest referral or assessment date, from the readiness stage), or None."""
    if "as_of" not in relation_columns(cur, "readiness_runs"):
        return None
    row = _one(cur, "SELECT CAST(max(as_of) AS DATE) FROM readiness_runs")
    return str(row[0]) if row and row[0] is not None else None


# ---------------------------------------------------------------- theory of change and acceptability
def _store(cur: duckdb.DuckDBPyConnection) -> Store:
    """The warehouse this cursor reads, opened read-only, for the synthesis stage's public readers."""
    row = _one(cur, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
    return Store(str(row[0]) if row else "", read_only=True)


def toc_sites(cur: duckdb.DuckDBPyConnection, scope: Scope) -> list[str]:
    """The scope's sites that have a theory of change stored."""
    if not relation_columns(cur, "toc_model"):
        return []
    rows = cur.execute("SELECT DISTINCT site_id FROM toc_model WHERE list_contains(?, site_id) ORDER BY site_id",
                       [_sites(scope)]).fetchall()
    return [r[0] for r in rows]


def toc_models(cur: duckdb.DuckDBPyConnection, scope: Scope) -> list[TheoryOfChange]:
    """The latest theory of change of each site in the scope that has one."""
    return [load_toc(cur, site) for site in toc_sites(cur, scope)]


def toc_model(cur: duckdb.DuckDBPyConnection, scope: Scope, site: str) -> TheoryOfChange | None:
    """One site's latest theory of change (None when none is stored); AccessDenied outside the scope."""
    if site not in scope.sites:
        raise AccessDenied(f"account {scope.username!r} may not see site {site!r}")
    return load_toc(cur, site) if site in toc_sites(cur, scope) else None


def outcome_readiness_rows(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """The outcome readiness matrix (synthesis stage) for the scope's sites; empty before ToCs or readiness."""
    if not toc_sites(cur, scope):
        return pl.DataFrame()
    from synthesis.outcome_readiness import outcome_readiness

    try:
        return outcome_readiness(_store(cur), list(toc_sites(cur, scope)))
    except DataError:  # readiness not computed yet
        return pl.DataFrame()


def acceptability_rows(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """The acceptability matrix (site x construct x stakeholder group) for the scope's sites, unsuppressed
    (the dashboard's disclosure step follows); empty before any interview is coded."""
    if not relation_columns(cur, "v_quotes"):
        return pl.DataFrame()
    from synthesis.acceptability import acceptability_matrix

    return acceptability_matrix(_store(cur), sites=list(scope.sites))
