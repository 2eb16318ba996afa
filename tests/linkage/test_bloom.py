"""Bloom-filter encoding: q-grams, Dice by hand and in DuckDB, keys, determinism, hardening, no identifiers out."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from sqlglot import exp

from linkage.bloom import (
    BloomSettings,
    EncodingKey,
    _positions,
    blip,
    bloom_filters,
    dice,
    encode,
    key_file_warning,
    new_key_file,
    popcount,
    qgrams,
    read_key_file,
    settings_from_mapping,
)
from linkage.encoded import dice_sql
from linkage.sqlbuild import SqlBuilder
from linkage.standardise import standardise
from tests.linkage.world import make_world
from warehouse.errors import ConfigError

KEY = EncodingKey(bytes(range(32)))
OTHER = EncodingKey(bytes(range(1, 33)))
COLS = ["rid", "forename", "surname", "dob", "sex", "postcode", "nhs_number"]


def _std(n: int = 60, seed: int = 3) -> pl.DataFrame:
    left, _, _ = make_world(n, seed=seed)
    return standardise(left.select(COLS))


def test_qgrams_padded_and_plain() -> None:
    assert qgrams("ann") == ["_a", "an", "nn", "n_"]
    assert qgrams("ann", padding=False) == ["an", "nn"]
    assert qgrams("abcd", q=3) == ["__a", "_ab", "abc", "bcd", "cd_", "d__"]


def test_dice_hand_computation() -> None:
    # 11110000 and 11000011: 2 bits in common, 4 + 4 set -> 2*2/8 = 0.5
    assert dice(bytes([0b11110000]), bytes([0b11000011])) == 0.5
    assert dice(bytes([0, 0]), bytes([0, 0])) == 0.0
    with pytest.raises(ConfigError, match="same settings"):
        dice(bytes(2), bytes(4))


def test_filter_bits_are_the_union_of_qgram_positions() -> None:
    s = BloomSettings(k=5, length=256, blip=0)
    dkey = KEY.derive("name")
    grams_a, grams_b = qgrams("anna"), qgrams("anne")
    pos_a = {int(p) for g in grams_a for p in _positions(dkey, g, s)}
    pos_b = {int(p) for g in grams_b for p in _positions(dkey, g, s)}
    packed = bloom_filters([grams_a, grams_b], KEY, s, "name")
    bits = np.unpackbits(packed, axis=1)
    assert set(np.flatnonzero(bits[0])) == pos_a and set(np.flatnonzero(bits[1])) == pos_b
    by_hand = 2 * len(pos_a & pos_b) / (len(pos_a) + len(pos_b))
    assert dice(packed[0].tobytes(), packed[1].tobytes()) == pytest.approx(by_hand)


def test_duckdb_dice_matches_python_on_packed_bits() -> None:
    rng = np.random.default_rng(5)
    packed = (rng.random((20, 64)) < 0.2).astype(np.uint8)
    rows = np.packbits(packed, axis=1)
    left = pl.DataFrame({"uid": np.arange(10), "f": [r.tobytes() for r in rows[:10]]})
    right = pl.DataFrame({"uid": np.arange(10), "f": [r.tobytes() for r in rows[10:]]})
    con = duckdb.connect()
    for name, frame in (("l_in", left), ("r_in", right)):
        con.register(name, frame)
        con.execute(f"CREATE TABLE {name[0]} AS SELECT uid, CAST(f AS BIT) AS f, bit_count(CAST(f AS BIT)) AS f_n FROM {name}")  # noqa: S608
    b = SqlBuilder()
    sql, params = b.render(exp.select(exp.column("uid", "l"), exp.column("uid", "r"), dice_sql(b, "f"))
                           .from_("l").join("r", join_type="cross"))
    got = {(a, c): d for a, c, d in con.execute(sql, params).fetchall()}
    for i in range(10):
        for j in range(10):
            assert got[(i, j)] == pytest.approx(dice(rows[i].tobytes(), rows[10 + j].tobytes()))


def test_same_key_same_filters_other_key_unrelated() -> None:
    std = _std()
    s = BloomSettings(blip=0)
    a, b, c = encode(std, KEY, s), encode(std, KEY, s), encode(std, OTHER, s)
    assert a.equals(b)                                         # deterministic without BLIP
    same = [dice(x, y) for x, y in zip(a["forename_bf"], c["forename_bf"], strict=True)]
    names = std["forename"].to_list()
    different = [dice(a["forename_bf"][i], a["forename_bf"][i + 1]) for i in range(len(names) - 1)
                 if names[i] and names[i + 1] and names[i] != names[i + 1]]
    assert max(same) < 0.5                                     # the same name under another key: unrelated bits
    assert float(np.mean(same)) <= float(np.mean(different)) + 0.05   # no closer than two different names
    assert not set(a["dob_tk"].drop_nulls()) & set(c["dob_tk"].drop_nulls())


def test_blip_noise_is_per_record_and_seeded_only_in_tests() -> None:
    std = _std()
    seeded = [encode(std, KEY, BloomSettings(seed=7))["forename_bf"] for _ in range(2)]
    assert seeded[0].equals(seeded[1])
    fresh = [encode(std, KEY, BloomSettings())["forename_bf"] for _ in range(2)]
    assert not fresh[0].equals(fresh[1])                       # production BLIP draws from the OS
    scores = [dice(x, y) for x, y in zip(*fresh, strict=True)]
    assert 0.8 < float(np.mean(scores)) < 0.97                 # identical names stay close, never identical


def test_blip_flips_bits_at_the_given_rate() -> None:
    zeros = np.zeros((2000, 128), dtype=np.uint8)
    flipped = blip(zeros, 0.01, np.random.default_rng(1))
    rate = popcount(flipped).sum() / (2000 * 1024)
    assert 0.009 < rate < 0.011
    assert popcount(zeros).sum() == 0                          # a copy: the input is untouched


def test_hardening_shapes() -> None:
    std = _std(40)
    plain = encode(std, KEY, BloomSettings(blip=0))["forename_bf"].drop_nulls()
    folded = encode(std, KEY, BloomSettings(blip=0, xor_fold=True))["forename_bf"].drop_nulls()
    balanced = encode(std, KEY, BloomSettings(blip=0, balance=True))["forename_bf"].drop_nulls()
    permuted = encode(std, KEY, BloomSettings(blip=0, permute=True))["forename_bf"].drop_nulls()
    assert {len(x) for x in folded} == {64} and {len(x) for x in balanced} == {256}
    assert {int.from_bytes(x, "big").bit_count() for x in balanced} == {1024}   # constant weight
    pairs = list(zip(plain[:-1], plain[1:], strict=True))
    ppairs = list(zip(permuted[:-1], permuted[1:], strict=True))
    assert [dice(a, b) for a, b in pairs] == pytest.approx([dice(a, b) for a, b in ppairs])  # Dice unchanged
    assert not plain.equals(permuted)


def test_encoded_output_holds_no_identifier(tmp_path: Path) -> None:
    left, _, _ = make_world(80, seed=9)
    raw = left.select(COLS)
    enc = encode(standardise(raw), KEY, BloomSettings(layout="both"))
    assert all(enc.schema[c] in (pl.UInt64, pl.Binary) for c in enc.columns[1:])    # tokens and filters only
    text = "\n".join(str(v) for col in enc.columns for v in enc[col].to_list())
    blobs = b"".join(v for col in enc.columns if enc.schema[col] == pl.Binary for v in enc[col].drop_nulls().to_list())
    for col in ("forename", "surname", "postcode", "nhs_number"):
        for value in raw[col].drop_nulls().unique().to_list():
            for form in {value, value.lower(), value.replace(" ", "")}:
                assert form not in text, col
                assert len(form) < 5 or form.encode() not in blobs, col
    for d in raw["dob"].unique().to_list():
        for form in (d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%Y%m%d")):
            assert form not in text
    assert enc.columns[0] == "rid" and set(enc["rid"]) == set(raw["rid"])


def test_key_file_created_0600_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "project.key"
    key = new_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path).fingerprint() == key.fingerprint()
    assert "secret" in repr(key) and key.secret.hex() not in repr(key)
    with pytest.raises(ConfigError, match="already exists"):
        new_key_file(path)
    os.chmod(path, 0o644)
    assert "chmod 600" in str(key_file_warning(path))            # read, with a warning
    assert read_key_file(path).fingerprint() == key.fingerprint()
    own = tmp_path / "own.key"                                   # any file of 16+ bytes is a key of one's own
    own.write_bytes(os.urandom(32))
    assert read_key_file(own).fingerprint() not in (key.fingerprint(), read_key_file(path).fingerprint())
    phrase = tmp_path / "phrase.key"
    phrase.write_text("a long shared passphrase for this project\n")
    assert read_key_file(phrase).secret == b"a long shared passphrase for this project"
    bad = tmp_path / "bad.key"
    bad.write_text("short\n")
    with pytest.raises(ConfigError, match="--new-key"):
        read_key_file(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        read_key_file(tmp_path / "none.key")
    assert new_key_file(tmp_path / "second.key").fingerprint() != key.fingerprint()


def test_settings_report_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        BloomSettings(q=0, k=99, length=1000, blip=0.5, scheme="sha1")  # type: ignore[arg-type]
    msg = str(err.value)
    assert all(s in msg for s in ("q=0", "k=99", "length=1000", "blip=0.5", "scheme='sha1'"))
    with pytest.raises(ConfigError, match="'lenght' \\(did you mean 'length'\\?\\)"):
        settings_from_mapping({"encode": {"lenght": 512}})
    assert settings_from_mapping({"encode": {"length": 512, "salt": "birth_year"}}).filter_bits == 512
    with pytest.raises(ConfigError, match="'seed'"):
        settings_from_mapping({"encode": {"seed": 1}})            # BLIP randomness is never fixed from a config


def test_tokens_are_truncated_hmac_sha256_under_the_derived_key() -> None:
    import hashlib
    import hmac

    from linkage.bloom import _tokens

    got = _tokens(pl.Series(["2012-03-04", None]), KEY, "dob", "date").to_list()
    text_key = KEY.derive("dob").hex().encode()
    expected = int(hmac.new(text_key, b"date\x1f2012-03-04", hashlib.sha256).hexdigest()[:16], 16)
    assert got == [expected, None]
    assert _tokens(pl.Series(["2012-03-04"]), KEY, "postcode", "date")[0] != expected   # domains separate


def test_date_windows_cover_a_month_either_side() -> None:
    from datetime import date, timedelta

    rng = np.random.default_rng(2)
    base = [date(2008, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 6000, 200)]
    gaps = [int(g) for g in rng.integers(0, 100, 200)]
    dates = base + [d + timedelta(days=g) for d, g in zip(base, gaps, strict=True)]
    std = standardise(pl.DataFrame({"rid": [str(i) for i in range(400)], "dob": dates}))
    enc = encode(std, KEY)
    for i, g in enumerate(gaps):
        shared = any(enc[c][i] == enc[c][200 + i] for c in ("dob_w1_tk", "dob_w2_tk"))
        if g <= 32:
            assert shared, g                       # within a month: always a shared window
        if g >= 64:
            assert not shared, g                   # two months apart: never
