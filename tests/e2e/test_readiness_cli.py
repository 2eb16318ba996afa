"""`linkready readiness` as a real process: on a seeded warehouse and after synth -> load -> link."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.evaluation.readiness_world import build_world
from warehouse.sites import SITE_IDS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "linkready"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH: the console script must import this checkout even if the editable install is stale
    env = {**os.environ, "LINKREADY_SECRET": "e2e-test-secret",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, env=env, timeout=600)


HIDDEN = "[c]"


def number(value: object) -> float | None:
    """A published figure as a number (None when hidden or empty)."""
    if value is None or value == HIDDEN:
        return None
    return float(value)  # type: ignore[arg-type]


def check_funnels(payload: dict) -> None:
    timeline = {(r["site_id"], r["outcome"]): r for r in payload["tables"]["timeline"]}
    funnels: dict[tuple[str, str], list[dict]] = {}
    for r in payload["tables"]["funnel"]:
        funnels.setdefault((r["site_id"], r["outcome"]), []).append(r)
    assert funnels
    for key, rows in funnels.items():
        rows.sort(key=lambda r: r["step_no"])
        assert rows[0]["step"] == "referred"
        for prev, row in zip(rows, rows[1:], strict=False):
            n, before, lost = number(row["n"]), number(prev["n"]), number(row["lost"])
            if None not in (n, before, lost):
                assert n == before - lost, key
        t = timeline[key]
        last = number(rows[-1]["n"])
        if t["reachable_in_study"] is True and last is not None:
            assert last >= t["target_n"], key
            assert rows[0]["horizon_months"] == t["months_to_target_whole"], key
        else:   # a projection, labelled with its horizon, never past the study period
            assert rows[0]["horizon_months"] <= payload["report"]["study_period_months"], key


def check_site_safe(payload: dict) -> None:
    """No published figure of a site view gives back a count of 1-5, within or across tables."""
    tables, window = payload["tables"], payload["settings"]["flow_window_months"]
    hidden_rates: set[tuple[str, str]] = set()
    for r in tables["completeness"]:
        for rate, den in (("completeness", "eligible"), ("retention", "baseline_scored")):
            shown_rate, shown_den = number(r[rate]), number(r[den])
            if shown_rate is not None and shown_den is not None:
                for recovered in (round(shown_rate * shown_den), round((1 - shown_rate) * shown_den)):
                    assert not 1 <= recovered <= 5, (r, rate)
            if r[rate] == HIDDEN and r["subgroup_type"] == "all":
                hidden_rates.add((r["measure"], r["timepoint"]))
        for col in ("eligible", "scored", "missing", "baseline_scored", "retained"):
            assert number(r[col]) is None or not 1 <= number(r[col]) <= 5, (r, col)
    for r in tables["timeline"]:
        # counts and the family size (people over families) never leave: they give counts back
        assert "referrals_counted" not in r and "people_per_family" not in r and "per family observed" not in r["basis_detail"]
        assert r["basis"] in ("measured", "estimated", "review", "setting", "default"), r
        flow = number(r["monthly_referrals"])
        if flow is not None and r["site_id"] != "pooled":   # monthly x window gives the referrals back
            assert not 1 <= round(flow * window) <= 5, r
        if (r["outcome"], "baseline") in hidden_rates:
            assert r["baseline_rate"] == HIDDEN and r["months_to_target"] == HIDDEN, r
        if (r["outcome"], "followup") in hidden_rates:
            assert r["retention"] == HIDDEN and r["months_to_target"] == HIDDEN, r
    for s in tables["summary"]:
        if (s["primary_outcome"], "baseline") in hidden_rates:
            assert s["primary_completeness"] == HIDDEN, s
        if (s["primary_outcome"], "followup") in hidden_rates:
            assert s["primary_retention"] == HIDDEN, s
        for measure, timepoint in hidden_rates:   # sentences built from already-suppressed figures
            name = measure_name(measure)
            said = "baseline scored for" if timepoint == "baseline" else "follow-up retention "
            assert not re.search(rf"{re.escape(name)}: {said}\d", s["data_gaps"]), (measure, s["data_gaps"])


COMPLETENESS_KEYS = ("site_id", "measure", "timepoint", "subgroup_type", "subgroup")


def _rows_as_completeness(site: str, measure: object, *, eligible: object = None, scored: object = None,
                          completeness: object = None, baseline_scored: object = None, retained: object = None,
                          retention: object = None) -> list[dict[str, object]]:
    """A figure another table repeats, named as the completeness table names it (same cell for the audit)."""
    base = {"site_id": site, "measure": measure, "subgroup_type": "all", "subgroup": "all"}
    return [{**base, "timepoint": "baseline", "eligible": eligible, "scored": scored, "completeness": completeness,
             "baseline_scored": None, "retained": None, "retention": None},
            {**base, "timepoint": "followup", "eligible": None, "scored": None, "completeness": None,
             "baseline_scored": baseline_scored, "retained": retained, "retention": retention}]


def site_view_leaks(payload: dict, toc_rows: list[dict] | None = None) -> list:
    """Every small count the differencing attacker recovers from one site view (`readiness --site` JSON):
    each table with its full declaration, and across tables the rates and counts that the timeline,
    summary and outcome readiness (and `toc readiness --site`) repeat from the completeness table."""
    import dataclasses

    import polars as pl

    from evaluation.site_view import CHANGE_DISCLOSURE, FUNNEL_DISCLOSURE
    from evaluation.summary import COMPLETENESS_DISCLOSURE
    from warehouse.disclosure import Published, find_leaks

    def frame(rows: list[dict]) -> pl.DataFrame:
        return pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.all().cast(pl.Utf8))

    tables = payload["tables"]
    published = [Published("completeness", frame(tables["completeness"]), COMPLETENESS_DISCLOSURE, COMPLETENESS_KEYS)]
    if tables.get("change"):
        published.append(Published("change", frame(tables["change"]), CHANGE_DISCLOSURE,
                                   tuple(k for k in ("site_id", "measure", "subgroup_type", "subgroup")
                                         if k in tables["change"][0])))
    if tables.get("funnel"):   # the people each step starts from are not shown: the attacker solves for them
        funnel = frame(tables["funnel"]).with_columns(pl.lit(None, pl.Utf8).alias("n_before"))
        published.append(Published("funnel", funnel, FUNNEL_DISCLOSURE, ("site_id", "outcome", "step_no")))
    repeated: list[dict[str, object]] = []
    for r in tables["timeline"]:
        repeated += _rows_as_completeness(r["site_id"], r["outcome"], completeness=r.get("baseline_rate"),
                                          retention=r.get("retention"))
    for r in tables["summary"]:
        repeated += _rows_as_completeness(r["site_id"], r["primary_outcome"], completeness=r.get("primary_completeness"),
                                          retention=r.get("primary_retention"))
    for r in [*tables.get("outcome_readiness", []), *(toc_rows or [])]:
        if r.get("source_kind") == "measure":
            repeated += _rows_as_completeness(
                r["site_id"], r["reference"], eligible=r["n_eligible"], scored=r["n_scored"],
                completeness=r["baseline_completeness"], baseline_scored=r["n_baseline_scored"],
                retained=r["n_retained"], retention=r["followup_retention"])
    if repeated:
        published.append(Published("repeated in timeline, summary, outcome readiness", frame(repeated),
                                   dataclasses.replace(COMPLETENESS_DISCLOSURE, groups=None), COMPLETENESS_KEYS))
    return find_leaks(published)


def measure_name(code: str) -> str:
    from warehouse.measures import get_measure

    return get_measure(code).name


@pytest.mark.e2e
def test_readiness_cli_formats_site_view_and_errors(tmp_path):
    db = tmp_path / "w.duckdb"
    build_world(db, people_per_site=60)

    md = run("readiness", "--db", db)
    assert md.returncode == 0, md.stderr
    assert "target sample: 352 analysable participants" in md.stdout
    for site in SITE_IDS:
        assert f"({site})" in md.stdout
    assert md.stdout.count("Months to a target of 352") == len(SITE_IDS)

    js = run("readiness", "--db", db, "--format", "json", "--site", "fbs", "--design", "cluster_rct",
             "--icc", "0.05", "--cluster-size", "11")
    assert js.returncode == 0, js.stderr
    payload = json.loads(js.stdout)
    assert payload["report"]["design_effect"] == pytest.approx(1.5)
    assert {r["site_id"] for r in payload["tables"]["summary"]} == {"fbs"}
    assert all(r["scored"] in (HIDDEN, "0") or int(r["scored"]) >= 6 for r in payload["tables"]["completeness"])
    assert payload["report"]["legend"] and payload["report"]["legend"][0]["symbol"] == HIDDEN
    check_funnels(payload)
    check_site_safe(payload)

    out = tmp_path / "r.xlsx"
    xl = run("readiness", "--db", db, "--format", "xlsx", "--out", out, "--stored")
    assert xl.returncode == 0, xl.stderr
    assert out.stat().st_size > 0

    bad = run("readiness", "--db", db, "--mdes", "0", "--power", "1.5")
    assert bad.returncode == 1 and "mdes 0" in bad.stderr and "power 1.5" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.e2e
def test_site_view_of_a_small_world_reveals_no_small_count(tmp_path):
    import polars as pl

    from evaluation import load_report, to_json
    from evaluation.summary import COMPLETENESS_DISCLOSURE
    from warehouse.disclosure import Published, find_leaks
    from warehouse.store import Store

    db = tmp_path / "small.duckdb"
    build_world(db, seed=11, people_per_site=26, followup_rate=0.4)   # many counts of 1-5
    js = run("readiness", "--db", db, "--format", "json", "--site", "leap")   # computes and stores
    assert js.returncode == 0, js.stderr
    payloads = {"leap": json.loads(js.stdout)}
    report = load_report(Store(db, read_only=True))
    for site in SITE_IDS:   # the other sites' views, from the stored report, in process
        payloads.setdefault(site, json.loads(to_json(report.for_site(site), site_view=True)))
    with pytest.raises(AssertionError):   # the check itself catches a leak: the unsuppressed view fails it
        check_site_safe(json.loads(to_json(report.for_site("leap"), site_view=False)))
    keys = ("site_id", "measure", "timepoint", "subgroup_type", "subgroup")
    for site, payload in payloads.items():
        hidden = sum(v == HIDDEN for r in payload["tables"]["completeness"] for v in r.values())
        assert hidden > 0, site   # the world is small enough that something must be hidden
        check_site_safe(payload)
        check_funnels(payload)
        published = pl.DataFrame(payload["tables"]["completeness"], infer_schema_length=None)
        assert find_leaks([Published("completeness", published, COMPLETENESS_DISCLOSURE, keys)]) == [], site
        # every table of the view, and the figures they repeat from each other
        assert site_view_leaks(payload) == [], site
    # the audit itself catches a leak: a rate the completeness table hides beside its denominator, shown in
    # the timeline (baseline rate or follow-up retention)
    planted = next((site, r) for site, payload in payloads.items() for r in payload["tables"]["completeness"]
                   if r["subgroup_type"] == "all" and (
                       (r["timepoint"] == "baseline" and r["completeness"] == HIDDEN and r["eligible"] != HIDDEN) or
                       (r["timepoint"] == "followup" and r["retention"] == HIDDEN and r["baseline_scored"] != HIDDEN)))
    site, hidden_row = planted
    leaky = json.loads(json.dumps(payloads[site]))
    raw = next(r for r in report.completeness.iter_rows(named=True) if all(
        r[k] == hidden_row[k] for k in ("site_id", "measure", "timepoint", "subgroup_type", "subgroup")))
    baseline = raw["timepoint"] == "baseline"
    leaky["tables"]["timeline"].append({"site_id": raw["site_id"], "outcome": raw["measure"],
                                        "baseline_rate": raw["completeness"] if baseline else None,
                                        "retention": None if baseline else raw["retention"]})
    assert site_view_leaks(leaky), "the audit missed a rate shown in one table and hidden in another"
    md = run("readiness", "--db", db, "--site", "leap", "--stored")
    assert md.returncode == 0, md.stderr
    assert "[c]" in md.stdout and "Symbols: `[c]`" in md.stdout
    assert "(coda)" not in md.stdout   # one site's view


def test_readiness_cli_usage_and_data_errors_in_process(tmp_path, capsys):
    from linkready.cli import main

    with pytest.raises(SystemExit) as usage:
        main(["readiness", "--db", str(tmp_path / "x.duckdb"), "--format", "xlsx"])
    assert usage.value.code == 2 and "--out" in capsys.readouterr().err
    with pytest.raises(SystemExit) as missing:
        main(["readiness", "--db", str(tmp_path / "nope.duckdb")])
    err = capsys.readouterr().err.strip()
    assert missing.value.code == 1 and err.startswith("error:") and len(err.splitlines()) == 1


@pytest.mark.e2e
@pytest.mark.slow
def test_readiness_after_synth_load_link(tmp_path):
    drop, db = tmp_path / "world", tmp_path / "w.duckdb"
    for args in (("synth", "--out", drop, "--children", "1000", "--seed", "5"), ("load", drop, "--db", db),
                 ("link", "--db", db)):
        proc = run(*args)
        # load exits 1 when it flags problems needing action; the rows that can be stored are stored
        flagged = args[0] == "load" and proc.returncode == 1 and "Needs action" in proc.stdout
        assert proc.returncode == 0 or flagged, f"{args[0]}: {proc.stderr[-2000:]}"
    proc = run("readiness", "--db", db, "--format", "json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    summary = {r["site_id"]: r for r in payload["tables"]["summary"]}
    assert set(summary) == set(SITE_IDS)
    for site, row in summary.items():   # each site: months to the stated target, by some route
        assert row["target_n"] == payload["report"]["target_n"]
        assert row["csc_months_to_target"] is not None and row["csc_months_to_target"] > 0, site
        assert row["best_linkage_scenario"] is not None, site   # taken from the linkage run
        assert row["linkage_basis"] in ("measured", "estimated", "review"), site
        assert row["verdict_rule"] and row["verdict_figure"], site     # the rule and the figure, in words
        if row["linkage_verdict"] == "feasible":                      # judged on the lower end of recall
            assert row["linkage_recall_low"] >= payload["settings"]["verdict"]["feasible_recall_low"], site
    assert [r["site_id"] for r in payload["tables"]["timeline"] if r["site_id"] == "pooled"] == ["pooled"]
    check_funnels(payload)
    md = run("readiness", "--db", db, "--stored")
    assert md.returncode == 0 and "Months to a target of" in md.stdout


def world_with_tocs(db: Path, people_per_site: int = 60, seed: int = 7) -> None:
    """The seeded warehouse plus the four synthetic theories of change (setup, in process)."""
    import synthesis
    from synthetic_data.toc import write_tocs

    store = build_world(db, seed=seed, people_per_site=people_per_site)
    for path in write_tocs(db.parent / "toc", seed):
        synthesis.import_toc(path, store)


@pytest.mark.e2e
def test_outcome_readiness_table_full_and_site_view(tmp_path):
    db = tmp_path / "toc.duckdb"
    world_with_tocs(db, people_per_site=40)
    full = run("readiness", "--db", db, "--format", "json")
    assert full.returncode == 0, full.stderr
    payload = json.loads(full.stdout)
    matrix = payload["tables"]["outcome_readiness"]
    assert {r["site_id"] for r in matrix} == set(SITE_IDS)
    keys = [(r["site_id"], r["outcome_id"], r["source_kind"], r["reference"]) for r in matrix]
    assert len(keys) == len(set(keys))      # one row per site, outcome and evidence source
    assert {r["level"] for r in matrix} <= {0, 1, 2, 3} and any(r["level"] == 0 for r in matrix)

    site = run("readiness", "--db", db, "--format", "json", "--site", "fbs", "--stored")
    assert site.returncode == 0, site.stderr
    view = json.loads(site.stdout)
    rows = view["tables"]["outcome_readiness"]
    assert rows and {r["site_id"] for r in rows} == {"fbs"}
    comp = {(r["measure"], r["timepoint"]): r for r in view["tables"]["completeness"] if r["subgroup_type"] == "all"}
    months = {r["outcome"]: r["months_to_target"] for r in view["tables"]["timeline"]}
    withheld = 0
    for r in (r for r in rows if r["source_kind"] == "measure"):
        base, fu = comp.get((r["reference"], "baseline"), {}), comp.get((r["reference"], "followup"), {})
        # the matrix shows exactly what the site's own tables show: nothing they hide
        assert (r["n_eligible"], r["n_scored"], r["baseline_completeness"]) == \
            (base.get("eligible"), base.get("scored"), base.get("completeness")), r["reference"]
        assert (r["n_retained"], r["followup_retention"]) == (fu.get("retained"), fu.get("retention"))
        assert r["months_to_target"] == months.get(r["reference"])
        for col in ("n_eligible", "n_scored", "n_baseline_scored", "n_retained"):
            assert number(r[col]) is None or not 1 <= number(r[col]) <= 5, (r, col)
        if HIDDEN in (r["baseline_completeness"], r["followup_retention"]):
            withheld += 1    # the level would compare a hidden rate with a threshold
            assert r["level"] is None and "%" not in r["rule"] and r["outcome_readiness"] == HIDDEN
    assert withheld > 0   # 40 people a site: some follow-up counts are 1-5
    toc = run("toc", "readiness", "--db", db, "--site", "fbs", "--format", "json")
    assert toc.returncode == 0, toc.stderr
    toc_rows = json.loads(toc.stdout)
    assert toc_rows and {r["site_id"] for r in toc_rows} == {"fbs"}
    # differencing audit of both site outputs together: every table, and what they repeat from each other
    assert site_view_leaks(view, toc_rows) == []
    md = run("readiness", "--db", db, "--site", "fbs", "--stored")
    assert md.returncode == 0 and "### Outcome readiness (theory of change)" in md.stdout
    assert "withheld from site views" in md.stdout


def hold(db: Path, read_only: bool) -> subprocess.Popen[str]:
    """Another process holding the warehouse open (read-only, as the dashboard does, or for writing)."""
    code = ("import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == '1'); "
            "print('open', flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), "1" if read_only else "0"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
    return proc


@pytest.mark.e2e
def test_a_locked_warehouse_says_what_to_do_in_one_line(tmp_path):
    db = tmp_path / "lock.duckdb"
    build_world(db, people_per_site=30)
    assert run("readiness", "--db", db).returncode == 0          # something stored to read later
    writer = hold(db, read_only=False)
    try:
        busy = run("readiness", "--db", db)
        stored = run("readiness", "--db", db, "--stored")
    finally:
        writer.kill()
        writer.wait()
    for proc in (busy, stored):
        assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "Traceback" not in proc.stderr and "readonly" not in proc.stderr
    assert "open in another process (e.g. `linkready serve`)" in busy.stderr and "--stored" in busy.stderr
    assert "being written by another process" in stored.stderr
    reader = hold(db, read_only=True)     # as `linkready serve` holds it
    try:
        busy = run("readiness", "--db", db)
        stored = run("readiness", "--db", db, "--stored")
    finally:
        reader.kill()
        reader.wait()
    assert busy.returncode == 1 and "add --stored to print the stored report read-only" in busy.stderr
    assert stored.returncode == 0, stored.stderr
    assert "# Evaluation readiness" in stored.stdout


@pytest.mark.e2e
def test_markdown_numbers_read_as_a_person_reads_them(tmp_path):
    db = tmp_path / "fmt.duckdb"
    build_world(db, people_per_site=30)
    md = run("readiness", "--db", db, "--study-period-months", "1200")
    assert md.returncode == 0, md.stderr
    lines = md.stdout.splitlines()
    headers = {i - 1 for i, line in enumerate(lines) if line.startswith("|---")}
    rows = [line for i, line in enumerate(lines) if line.startswith("| ") and i not in headers]
    figures = " ".join(rows)
    assert re.search(r"\d{1,3}(,\d{3})+\.\d months \(\d", figures)   # e.g. "1,219.0 months (101.6 years)"
    assert not re.search(r"(?<![\d,.])\d{4,}(?![\d-])", figures)      # no 4-digit figure without a separator
    percents = re.findall(r"[\d.]+%", figures)
    assert percents and all(re.fullmatch(r"\d+\.\d%", p) for p in percents), set(percents)
    for months, years in re.findall(r"([\d,]+\.\d) months \(([\d,]+\.\d) years\)", md.stdout):
        assert float(years.replace(",", "")) == pytest.approx(float(months.replace(",", "")) / 12, abs=0.051)
    assert "not reachable within the study period (1,200 months)" in md.stdout


def test_a_count_given_back_by_the_others_is_shown_in_the_cli_and_the_dashboard_alike():
    """CORE-10 at leap (audit, issue 15): recorded - scored was 3, so one of them must go; scored went as
    well, though eligible - missing gives it back (215). The engine now shows such a cell again, and the
    dashboard's outcome completeness uses the same declaration, so both outputs agree."""
    import dataclasses

    import polars as pl

    from dashboard.tables import get_table
    from evaluation.summary import COMPLETENESS_DISCLOSURE, safe_completeness

    row = {"site_id": "leap", "measure": "core10", "timepoint": "baseline", "subgroup_type": "all",
           "subgroup": "all", "eligible": 260, "recorded": 218, "scored": 215, "prorated": 31, "missing": 45,
           "completeness": 215 / 260, "baseline_scored": None, "retained": None, "retention": None}
    site = safe_completeness(pl.DataFrame([row])).row(0, named=True)
    dash = get_table("outcome_completeness").disclosure.apply(
        pl.DataFrame([row]).drop("subgroup_type", "subgroup")).row(0, named=True)
    assert get_table("outcome_completeness").disclosure == dataclasses.replace(COMPLETENESS_DISCLOSURE, groups=None)
    for shown in (site, dash):
        assert shown["recorded"] == HIDDEN                    # recorded - scored = 3 stays protected
        assert str(shown["scored"]) == "215" and float(shown["completeness"]) == pytest.approx(215 / 260)
