"""Same seed -> byte-identical drop (same SHA-256); a different seed -> different data; settings checks."""

from __future__ import annotations

import hashlib

import pytest

from synthetic_data.settings import WorldSettings
from synthetic_data.world import generate
from warehouse.errors import ConfigError


def _digests(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path) -> None:
    s = WorldSettings(seed=5, children=400, dirty=0.03)
    m1 = generate(tmp_path / "a", s)
    m2 = generate(tmp_path / "b", s)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert m1 == m2
    for f in m1["files"]:
        assert hashlib.sha256((tmp_path / "a" / f["path"]).read_bytes()).hexdigest() == f["sha256"]


def test_other_seed_other_data(tmp_path) -> None:
    m1 = generate(tmp_path / "a", WorldSettings(seed=5, children=400))
    m2 = generate(tmp_path / "b", WorldSettings(seed=6, children=400))
    h1 = {f["path"]: f["sha256"] for f in m1["files"]}
    h2 = {f["path"]: f["sha256"] for f in m2["files"]}
    assert h1.keys() == h2.keys()
    assert all(h1[k] != h2[k] for k in h1 if k.endswith("identifiers.csv"))


def test_regenerating_into_a_drop_replaces_it(tmp_path) -> None:
    generate(tmp_path, WorldSettings(seed=5, children=300, dirty=0.05))
    assert (tmp_path / "truth" / "defects.csv").exists()
    m = generate(tmp_path, WorldSettings(seed=5, children=300))
    assert not (tmp_path / "truth" / "defects.csv").exists()
    assert {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()} == (
        {f["path"] for f in m["files"]} | {"manifest.json"})


def test_manifest_is_sorted_and_timestamp_free(tmp_path) -> None:
    generate(tmp_path, WorldSettings(seed=9, children=300))
    text = (tmp_path / "manifest.json").read_text()
    import json

    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, indent=2) + "\n"
    assert data["rates"]["sites"]["fbs"]["p_known_to_csc"] == WorldSettings().site("fbs").p_known_to_csc


def test_invalid_settings_are_all_reported() -> None:
    with pytest.raises(ConfigError) as exc:
        WorldSettings(children=5, dirty=2.0, p_typo=3.0).validate()
    msg = str(exc.value)
    assert "children=5" in msg and "dirty=2.0" in msg and "p_typo=3.0" in msg


def test_calibration_file_matches_defaults() -> None:
    from synthetic_data.calibration import load_settings, source_statuses

    assert load_settings() == WorldSettings()
    statuses = source_statuses()
    assert statuses["rates.p_factor_domestic_abuse"] == "verified"
    assert statuses["rates.p_typo"] == "unverified"
    assert set(statuses.values()) <= {"verified", "unverified", "design"}


def test_calibration_file_problems_reported_together(tmp_path) -> None:
    from synthetic_data.calibration import load_settings

    f = tmp_path / "c.toml"
    f.write_text('[rates.p_tyop]\nvalue = 0.1\n[rates.p_refuge_move]\nvalue = "high"\n'
                 '[sites.fbz.weight]\nvalue = 1\n[sites.sat.p_known_to_csc]\nvalue = 0.5\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(f)
    msg = str(exc.value)
    assert "p_tyop" in msg and "did you mean 'p_typo'" in msg and "p_refuge_move" in msg and "fbz" in msg
    f.write_text('[sites.sat.p_known_to_csc]\nvalue = 0.5\nsource_status = "unverified"\n')
    s = load_settings(f, seed=3)
    assert s.site("sat").p_known_to_csc == 0.5 and s.seed == 3 and s.site("fbs") == WorldSettings().site("fbs")


def test_site_files_do_not_depend_on_world_size(tmp_path) -> None:
    """The sites' flows are their own: quadrupling --children changes the LA files, not a site file."""
    m1 = generate(tmp_path / "a", WorldSettings(seed=41, children=3000))
    m2 = generate(tmp_path / "b", WorldSettings(seed=41, children=12000))
    assert m1["world_size"]["site_flow_scale"] == m2["world_size"]["site_flow_scale"] == 1.0
    h1 = {f["path"]: f["sha256"] for f in m1["files"]}
    h2 = {f["path"]: f["sha256"] for f in m2["files"]}
    sites = [p for p in h1 if p.startswith("sites/")]
    assert sites and all(h1[p] == h2[p] for p in sites)
    assert h1["la/380/identifiers.csv"] != h2["la/380/identifiers.csv"]
    assert m2["counts"]["la_children"] > 3.5 * m1["counts"]["la_children"]


def test_verified_only_with_a_source_and_a_figure() -> None:
    """A default is marked verified only when its source names a section and a figure read there."""
    import re
    import tomllib

    from synthetic_data.calibration import DEFAULTS_FILE

    data = tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    entries = [(f"rates.{k}", v) for k, v in data["rates"].items()]
    entries += [(f"sites.{s}.{k}", v) for s, f in data["sites"].items() for k, v in f.items()]
    verified = [(name, v["source"]) for name, v in entries if v["source_status"] == "verified"]
    assert verified
    for name, source in verified:
        assert re.search(r"[CS]§\d", source), name
        figures = re.sub(r"[CS]?§[\d.]+(/§[\d.]+)*", "", source)
        assert re.search(r"\d", figures), (name, source)
    statuses = dict((n, v["source_status"]) for n, v in entries)
    # issue 16: these were marked verified without a source for the number
    assert statuses["sites.sat.min_age_years"] == statuses["sites.sat.max_age_years"] == "unverified"
    assert statuses["sites.fbs.max_age_years"] == "unverified"
