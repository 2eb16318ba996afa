"""Bloom-filter encoding of standardised identifiers for privacy-preserving linkage.

Each data owner runs this on its own machine with the project key (a file both owners hold and
the linkage unit never sees). Names become field-level Bloom filters: the padded q-grams of the
standardised name are hashed with a key derived from the project secret into ``length`` bits,
so two spellings that share most q-grams share most set bits and Dice similarity on the bits
approximates their q-gram similarity. Dates of birth, sex, postcodes and NHS numbers become keyed
tokens (exact agreement on a value, a part or a pair of parts), and the blocking keys are keyed
tokens of the same combinations the clear-text blocking rules join on. Nothing written is a raw
identifier or reversible without the key.

Hardening (all named settings of :class:`BloomSettings`): BLIP bit flipping (randomised
response, once per record: identical names stop giving identical filters), salting by birth year
or by date of birth, balancing, XOR-folding and a keyed bit permutation; no blocking key is made of
names alone, and name-bearing keys are frequency-capped (``block_cap``). Defaults follow
``shared/reference/privacy-preserving-linkage.md`` section 6.3.

Keys: one 256-bit project secret per linkage project; every use gets its own key derived with
HKDF-SHA256 (``linkready/1/<domain>``). Filters use HMAC-SHA256 (k independent positions sliced
from one digest, or keyed double hashing); tokens are the first 64 bits of HMAC-SHA256, computed
column-wise by polars-hash.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import polars_hash  # noqa: F401  (registers the ``chash`` expression namespace)

from warehouse.errors import ConfigError, did_you_mean

log = logging.getLogger(__name__)

__all__ = [
    "BLOCKING_KEYS", "BloomSettings", "BlockingKey", "EncodingKey", "bloom_filters", "dice", "encode",
    "blocking_variants", "key_file_warning", "new_key_file", "qgrams", "read_key_file", "settings_from_mapping",
]

SCHEMA_VERSION = 1
KEY_BYTES = 32
TOKEN_BYTES = 8   # 64-bit tokens: a collision among a million distinct values has odds of about 1 in 40 million

HashScheme = Literal["hmac_sha256", "double_hashing"]
Salt = Literal["none", "birth_year", "dob"]
Layout = Literal["field", "both"]

NAME_FIELDS: tuple[str, ...] = ("forename", "surname")


@dataclass(frozen=True)
class BloomSettings:
    """How identifiers are encoded (both owners must use the same settings and key).

    Args:
        q: q-gram length (2 = bigrams).
        k: bit positions set per q-gram.
        length: filter length in bits before hardening (a power of two, 64 to 8192).
        scheme: ``hmac_sha256`` (k independent positions sliced from HMAC-SHA256 digests) or
            ``double_hashing`` (position_i = h1 + i*h2 mod length, h2 odd, from one digest).
        padding: pad names with ``_`` so first and last letters sit in two q-grams.
        blip: probability of flipping each bit, drawn once per record (0 turns BLIP off).
        salt: ``birth_year`` mixes the year of birth into the name hashing (identical names of
            different birth years give unrelated filters), ``dob`` the whole date of birth (identical
            names give similar filters only for the same date: a date error costs the name evidence);
            ``none`` does not. ``dob`` salts with the year and the day and month in ascending order,
            so a day/month transposition keeps the salt.
        balance: append the complement and permute (every filter has the same number of set bits;
            doubles the length).
        xor_fold: XOR the two halves (halves the length, mixes bits).
        permute: shuffle bit positions with a keyed permutation.
        layout: ``field`` (one filter per name and keyed tokens per other identifier) or ``both``
            (also a record-level filter of every identifier, ``record_bf``, for exchange with
            record-level tools; linkready compares the field encodings only).
        block_cap: a name-bearing blocking token (one not anchored on a full date of birth, postcode or
            NHS number) or a ``--text`` column's token whose value more than ``block_cap`` records of the
            file share is left out (null) for those records: common names are what frequency attacks
            recover, and their blocks are the largest anyway (0 turns the cap off).
        seed: seed for BLIP flips in tests only; None (the default) draws from the OS.

    Example:
        >>> BloomSettings().filter_bits
        1024
        >>> BloomSettings(xor_fold=True).filter_bits
        512
    """

    q: int = 2
    k: int = 20
    length: int = 1024
    scheme: HashScheme = "hmac_sha256"
    padding: bool = True
    blip: float = 0.01
    salt: Salt = "none"
    balance: bool = False
    xor_fold: bool = False
    permute: bool = False
    layout: Layout = "field"
    block_cap: int = 10
    seed: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.q <= 4:
            problems.append(f"q={self.q!r} must be 1 to 4 (2 = bigrams, the usual choice)")
        if not 1 <= self.k <= 64:
            problems.append(f"k={self.k!r} must be 1 to 64 (20 is the usual choice for 1024 bits)")
        if not (isinstance(self.length, int) and 64 <= self.length <= 8192 and self.length & (self.length - 1) == 0):
            problems.append(f"length={self.length!r} must be a power of two from 64 to 8192 (e.g. 1024)")
        if not (isinstance(self.block_cap, int) and (self.block_cap == 0 or self.block_cap >= 2)):
            problems.append(f"block_cap={self.block_cap!r} must be 0 (off) or a number of records of at least 2 (e.g. 10)")
        if not 0.0 <= float(self.blip) <= 0.25:
            problems.append(f"blip={self.blip!r} must be a flip probability from 0 to 0.25 (e.g. 0.01)")
        for name, allowed in (("scheme", ("hmac_sha256", "double_hashing")), ("salt", ("none", "birth_year", "dob")),
                              ("layout", ("field", "both"))):
            value = getattr(self, name)
            if value not in allowed:
                problems.append(f"{name}={value!r} is not one of {', '.join(allowed)}{did_you_mean(value, allowed)}")
        if problems:
            raise ConfigError("invalid encoding settings: " + "; ".join(problems))

    @property
    def filter_bits(self) -> int:
        """Length of the filters written (after balancing and folding)."""
        bits = self.length * (2 if self.balance else 1)
        return bits // 2 if self.xor_fold else bits

    def manifest(self) -> dict[str, object]:
        """The settings both sides must share (the BLIP seed is not one of them)."""
        out = asdict(self)
        out.pop("seed")
        return out


#: Settable from TOML: everything but the test-only BLIP seed (a seeded BLIP in production would give
#: every release the same noise, so repeat encodings of a person would match exactly).
_ALLOWED = {f.name for f in fields(BloomSettings)} - {"seed"}


def settings_from_mapping(data: Mapping[str, object], base: BloomSettings | None = None) -> BloomSettings:
    """Build settings from a parsed TOML/JSON table (``[encode]``), reporting every unknown key at once."""
    table = data.get("encode", data)
    if not isinstance(table, Mapping):
        raise ConfigError("the [encode] section must be a table of settings")
    unknown = [str(k) for k in table if k not in _ALLOWED]
    if unknown:
        raise ConfigError("unknown encoding setting(s): " + ", ".join(f"{k!r}{did_you_mean(k, _ALLOWED)}" for k in unknown)
                          + f"; allowed: {', '.join(sorted(_ALLOWED))}")
    try:
        return replace(base or BloomSettings(), **{str(k): v for k, v in table.items()})
    except TypeError as exc:
        raise ConfigError(f"invalid encoding settings: {exc}") from None


# ----------------------------------------------------------------------------- keys
@dataclass(frozen=True)
class EncodingKey:
    """The project secret. Never logged, never stored in the warehouse, never sent to the linkage unit.

    Example:
        >>> key = EncodingKey(bytes(32))
        >>> len(key.derive("name"))
        32
    """

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise ConfigError(f"an encoding key needs at least 16 bytes; this one has {len(self.secret)}: "
                              "create one with `linkready encode --new-key FILE`")

    def __repr__(self) -> str:  # never show the secret
        return "EncodingKey(<secret>)"

    def derive(self, domain: str) -> bytes:
        """HKDF-SHA256 (RFC 5869) key for one use (``name``, ``dob``, ``block`` ...)."""
        prk = hmac.new(b"linkready-encoding", self.secret, hashlib.sha256).digest()
        info = f"linkready/{SCHEMA_VERSION}/{domain}".encode()
        return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()

    def fingerprint(self) -> str:
        """A check value both sides can compare to prove they hold the same key (reveals nothing of it)."""
        return hmac.new(self.derive("check"), b"linkready key check", hashlib.sha256).hexdigest()[:16]


def new_key_file(path: Path) -> EncodingKey:
    """Create a new random key file readable by its owner only (0600); refuse to overwrite one.

    Raises:
        ConfigError: the file already exists or cannot be created.
    """
    path = Path(path)
    secret = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"key file {path} already exists; a key is never overwritten: choose a new path") from None
    except OSError as exc:
        raise ConfigError(f"cannot create key file {path} ({exc.strerror}); check the folder exists and is writable") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret.hex() + "\n")
    os.chmod(path, 0o600)  # in case a umask or filesystem widened it
    return EncodingKey(secret)


def key_file_warning(path: Path) -> str | None:
    """A warning when a key file is readable by others than its owner (None when it is 0600 or stricter)."""
    mode = stat.S_IMODE(Path(path).stat().st_mode)
    if mode & 0o077:
        return f"key file {path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
    return None


def read_key_file(path: Path) -> EncodingKey:
    """Read a key file: the hexadecimal text :func:`new_key_file` writes, or any file of at least 16
    bytes (its bytes are the secret, a trailing line break aside).

    Raises:
        ConfigError: missing file or too short to be a key.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"key file {path} does not exist; create one with `linkready encode --new-key {path}` "
                          "and share it with the other data owner only")
    raw = path.read_bytes()
    text = raw.strip()
    try:
        secret = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        secret = raw.removesuffix(b"\n").removesuffix(b"\r")
    if len(secret) < 16:
        raise ConfigError(f"key file {path} holds {len(secret)} bytes; a key needs at least 16: "
                          "create one with `linkready encode --new-key FILE`")
    warning = key_file_warning(path)
    if warning:
        log.warning(warning)
    return EncodingKey(secret)


# ----------------------------------------------------------------------------- filters
def qgrams(value: str, q: int = 2, padding: bool = True) -> list[str]:
    """The q-grams of ``value`` (padded with ``_`` when ``padding``), in order, repeats kept.

    Example:
        >>> qgrams("ann")
        ['_a', 'an', 'nn', 'n_']
    """
    s = f"{'_' * (q - 1)}{value}{'_' * (q - 1)}" if padding and q > 1 else value
    return [s[i:i + q] for i in range(max(len(s) - q + 1, 1))] if s else []


def _positions(key: bytes, token: str, settings: BloomSettings) -> np.ndarray:
    """The k bit positions of one q-gram (or record token)."""
    data = token.encode("utf-8")
    n = settings.length
    if settings.scheme == "double_hashing":
        d = hmac.new(key, data, hashlib.sha256).digest()
        h1, h2 = int.from_bytes(d[:8], "big"), int.from_bytes(d[8:16], "big") | 1  # odd: k distinct positions
        return np.array([(h1 + i * h2) % n for i in range(settings.k)], dtype=np.int64)
    bits = n.bit_length() - 1
    per_digest = 256 // bits
    out: list[int] = []
    counter = 0
    while len(out) < settings.k:
        value = int.from_bytes(hmac.new(key, bytes([counter]) + data, hashlib.sha256).digest(), "big")
        for j in range(min(per_digest, settings.k - len(out))):
            out.append((value >> (256 - bits * (j + 1))) & (n - 1))
        counter += 1
    return np.array(out, dtype=np.int64)


def _harden(bits: np.ndarray, key: EncodingKey, settings: BloomSettings) -> np.ndarray:
    """Balance, fold and permute a (rows x length) boolean matrix (deterministic given the key)."""
    if settings.balance:
        bits = np.concatenate([bits, ~bits], axis=1)
        bits = bits[:, _permutation(key, "balance", bits.shape[1])]
    if settings.xor_fold:
        half = bits.shape[1] // 2
        bits = bits[:, :half] ^ bits[:, half:]
    if settings.permute:
        bits = bits[:, _permutation(key, "permute", bits.shape[1])]
    return bits


def _permutation(key: EncodingKey, domain: str, n: int) -> np.ndarray:
    seed = int.from_bytes(key.derive(domain)[:16], "big")
    return np.random.default_rng(seed).permutation(n)


def bloom_filters(values: Iterable[Iterable[str]], key: EncodingKey, settings: BloomSettings, domain: str) -> np.ndarray:
    """Packed filters (rows x filter_bits/8, big-endian bit order) of token lists, hardened except BLIP.

    Each row's tokens (q-grams, possibly salted) are hashed with the key of ``domain``; positions
    are computed once per distinct token and set with one vectorised assignment per chunk.
    """
    dkey = key.derive(domain)
    ids: dict[str, int] = {}
    table: list[np.ndarray] = []
    rows = [list(v) for v in values]
    out = np.zeros((len(rows), settings.filter_bits // 8), dtype=np.uint8)
    chunk = 50_000
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        row_of: list[int] = []
        token_of: list[int] = []
        for i, tokens in enumerate(part):
            for t in tokens:
                j = ids.get(t)
                if j is None:
                    j = ids[t] = len(table)
                    table.append(_positions(dkey, t, settings))
                row_of.append(i)
                token_of.append(j)
        bits = np.zeros((len(part), settings.length), dtype=bool)
        if token_of:
            positions = np.stack(table)[np.asarray(token_of)]
            bits[np.repeat(np.asarray(row_of), settings.k), positions.ravel()] = True
        out[start:start + len(part)] = np.packbits(_harden(bits, key, settings), axis=1, bitorder="big")
    return out


def blip(packed: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Flip every bit independently with probability ``p`` (a copy; exact Bernoulli flips drawn as
    geometric gaps, so the cost follows the number of flips, not of bits)."""
    out = packed.copy()
    if p <= 0 or out.size == 0:
        return out
    total = out.size * 8
    flips: list[np.ndarray] = []
    pos = -1
    while True:
        gaps = rng.geometric(p, size=int(total * p * 1.1) + 64)
        steps = pos + np.cumsum(gaps)
        flips.append(steps[steps < total])
        if steps[-1] >= total:
            break
        pos = int(steps[-1])
    where = np.concatenate(flips)
    byte = where // 8
    mask = (1 << (7 - (where % 8))).astype(np.uint8)
    starts = np.flatnonzero(np.r_[True, byte[1:] != byte[:-1]]) if byte.size else np.array([], dtype=np.int64)
    if byte.size:
        flat = out.reshape(-1)
        flat[byte[starts]] ^= np.bitwise_or.reduceat(mask, starts)
    return out


def popcount(packed: np.ndarray) -> np.ndarray:
    """Set bits per row of a packed (rows x bytes) uint8 matrix."""
    counts: np.ndarray = np.unpackbits(packed, axis=1).sum(axis=1, dtype=np.int64)
    return counts


def dice(a: bytes, b: bytes) -> float:
    """Dice similarity 2|A and B| / (|A| + |B|) of two packed filters (0.0 when both are empty).

    Example:
        >>> dice(bytes([0b11110000]), bytes([0b11000011]))
        0.5
    """
    if len(a) != len(b):
        raise ConfigError(f"filters of {len(a) * 8} and {len(b) * 8} bits cannot be compared; "
                          "both files must be encoded with the same settings")
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    total = x.bit_count() + y.bit_count()
    return 2 * (x & y).bit_count() / total if total else 0.0


# ----------------------------------------------------------------------------- tokens
def _tokens(values: pl.Series, key: EncodingKey, domain: str, tag: str) -> pl.Series:
    """Keyed 64-bit token of each value: HMAC-SHA256 under the domain's key (its hex text as the
    HMAC key) of ``tag \x1f value``, first 64 bits; computed column-wise in Rust (polars-hash);
    null stays null."""
    text_key = key.derive(domain).hex()
    s = values.cast(pl.Utf8)
    uniq = pl.DataFrame({"v": s.drop_nulls().unique()})
    mac = (pl.lit(f"{tag}\x1f") + pl.col("v")).chash.hmac_sha256(key=text_key)  # type: ignore[attr-defined]
    tokens = uniq.select(mac.str.slice(0, 2 * TOKEN_BYTES).str.to_integer(base=16, dtype=pl.UInt64)).to_series()
    return s.replace_strict(uniq["v"], tokens, default=None, return_dtype=pl.UInt64)


@dataclass(frozen=True)
class BlockingKey:
    """A blocking key: a keyed token of several standardised columns (a record gets none when any is
    missing). Written as ``bk_<name>``; linking joins on it with equality.

    Args:
        name: key name.
        parts: standardised columns combined.
        names_free: used only when neither name is shared (too loose otherwise).
    """

    name: str
    parts: tuple[str, ...]
    names_free: bool = False

    @property
    def column(self) -> str:
        """Column name in the encoded file."""
        return f"bk_{self.name}"


#: The clear-text blocking rules' combinations, as one combined token each. A key that holds a name
#: always holds a non-name part too (a date, a year of birth, a postcode district): a bare name token
#: would repeat the name distribution exactly, noise-free, and undo the filters' BLIP (the clear-text
#: rules ``names_exact``/``names_phonetic`` therefore run here split by year of birth or by postcode
#: district). ``tests/linkage/test_bloom_privacy.py`` attacks every key by frequency alignment.
BLOCKING_KEYS: tuple[BlockingKey, ...] = (
    BlockingKey("nhs_number", ("nhs_number",)),
    BlockingKey("dob_forename_initial", ("dob", "forename_init")),
    BlockingKey("dob_surname_initial", ("dob", "surname_init")),
    BlockingKey("names_phonetic_year", ("forename_mp", "surname_mp", "dob_year")),
    BlockingKey("names_phonetic_district", ("forename_mp", "surname_mp", "pc_district")),
    BlockingKey("names_exact_year", ("forename", "surname", "dob_year")),
    BlockingKey("names_exact_district", ("forename", "surname", "pc_district")),
    BlockingKey("surname_year_month", ("surname_mp", "dob_year", "dob_month")),
    BlockingKey("forename_year_month", ("forename_canon", "dob_year", "dob_month")),
    BlockingKey("surname_dob", ("surname", "dob")),
    BlockingKey("forename_dob", ("forename", "dob")),
    BlockingKey("postcode_year", ("postcode", "dob_year")),
    BlockingKey("dob_district", ("dob", "pc_district")),
    BlockingKey("dob_postcode", ("dob", "postcode")),
    BlockingKey("dob_sex", ("dob", "sex"), names_free=True),
    BlockingKey("postcode_sex", ("postcode", "sex"), names_free=True),
)

#: Standardised columns that carry a name (a blocking key holding one is frequency-capped).
NAME_PARTS = frozenset({"forename", "surname", "forename_mp", "surname_mp", "forename_canon", "surname_canon",
                        "forename_init", "surname_init"})


#: Columns added, in order, to a blocking key whose blocks would be too large (the clear-text
#: tighteners, :data:`linkage.pipeline.TIGHTENERS`); each key is also written with the first
#: ``MAX_TIGHTENING`` of them so the linkage unit can pick the loosest variant within budget.
MAX_TIGHTENING = 2


def blocking_variants(key: BlockingKey, columns: set[str]) -> list[tuple[str, tuple[str, ...]]]:
    """``(column, parts)`` of a blocking key and of its tightened variants, loosest first."""
    from linkage.blocking import BASE_FIELD
    from linkage.pipeline import TIGHTENERS

    bases = {BASE_FIELD.get(p, p) for p in key.parts}   # a postcode key gains nothing from the postcode area
    extra = [c for c in TIGHTENERS if c in columns and BASE_FIELD.get(c, c) not in bases]
    out = [(key.column, key.parts)]
    for i in range(1, min(MAX_TIGHTENING, len(extra)) + 1):
        out.append((f"{key.column}__{'__'.join(extra[:i])}", key.parts + tuple(extra[:i])))
    return out


#: Parts that make a blocking key near-unique per person (its values' frequencies are flat).
_ANCHORS = frozenset({"dob", "postcode", "nhs_number"})


def capped(parts: tuple[str, ...]) -> bool:
    """True when a blocking key of these parts is frequency-capped (it holds a name, or is a
    ``--text`` column, and no near-unique anchor)."""
    return bool((set(parts) & NAME_PARTS or any(p.startswith("x_") for p in parts)) and not set(parts) & _ANCHORS)


def _cap(tokens: pl.Series, cap: int) -> pl.Series:
    """Null the tokens whose value more than ``cap`` records share."""
    if cap <= 0:
        return tokens
    counts = pl.DataFrame({"t": tokens}).select(pl.len().over("t").alias("n"))["n"]
    return pl.select(pl.when(pl.lit(counts) > cap).then(None).otherwise(pl.lit(tokens))).to_series().alias(tokens.name)


def _combined(parts: tuple[str, ...], sep: str) -> pl.Expr:
    return pl.concat_str([pl.col(p).cast(pl.Utf8) for p in parts], separator=sep)  # null when any part is


# ----------------------------------------------------------------------------- encode
def _salt(std: pl.DataFrame, how: Salt) -> pl.Series:
    """The per-record salt of the name filters ("" when off or the date is missing). ``dob`` uses the
    year with the day and month in ascending order, so a day/month transposition keeps the salt."""
    if how == "birth_year" and "dob_year" in std.columns:
        return std["dob_year"].cast(pl.Utf8).fill_null("")
    if how == "dob" and {"dob_year", "dob_month", "dob_day"} <= set(std.columns):
        m, d = pl.col("dob_month").cast(pl.Int32), pl.col("dob_day").cast(pl.Int32)
        key = pl.concat_str([pl.col("dob_year").cast(pl.Utf8), pl.min_horizontal(m, d).cast(pl.Utf8),
                             pl.max_horizontal(m, d).cast(pl.Utf8)], separator="-")
        return std.select(key.fill_null("")).to_series()
    return pl.Series([""] * std.height, dtype=pl.Utf8)


def _name_filters(std: pl.DataFrame, field: str, key: EncodingKey, settings: BloomSettings,
                  domain: str = "name") -> pl.Series:
    """Field-level filters of one text column, built once per distinct (value, salt)."""
    salt = _salt(std, settings.salt)
    frame = pl.DataFrame({"v": std[field], "s": salt})
    uniq = frame.drop_nulls("v").unique(maintain_order=True)
    grams = [[f"{s}\x1f{g}" for g in qgrams(v, settings.q, settings.padding)]
             for v, s in zip(uniq["v"].to_list(), uniq["s"].to_list(), strict=True)]
    packed = bloom_filters(grams, key, settings, domain)
    idx = frame.join(uniq.with_row_index("i"), on=["v", "s"], how="left", maintain_order="left")["i"]
    return _per_record(packed, idx, settings, field)


def _record_tokens(std: pl.DataFrame) -> list[list[str]]:
    """Tokens of a record-level filter: name q-grams tagged by field, date parts, sex, postcode levels."""
    cols: list[pl.Expr] = []
    for f in NAME_FIELDS:
        if f in std.columns:
            cols.append(pl.col(f).alias(f))
    tags = {"dob_year": "y", "dob_month": "m", "dob_day": "d", "sex": "x", "pc_sector": "ps", "pc_district": "pd"}
    for c, t in tags.items():
        if c in std.columns:
            cols.append((pl.lit(f"{t}:") + pl.col(c).cast(pl.Utf8)).alias(c))
    rows = std.select(cols).rows(named=True)
    out = []
    for r in rows:
        tokens: list[str] = []
        for f in NAME_FIELDS:
            if r.get(f):
                tokens += [f"{f[0]}:{g}" for g in qgrams(r[f])]
        tokens += [v for c, v in r.items() if c not in NAME_FIELDS and v is not None]
        out.append(tokens)
    return out


def _per_record(packed: np.ndarray, idx: pl.Series, settings: BloomSettings, field: str) -> pl.Series:
    """Gather distinct filters per record, apply BLIP per record, nulls where the value is missing."""
    missing = idx.is_null().to_numpy()
    rows = packed[idx.fill_null(0).to_numpy()] if packed.shape[0] else np.zeros((len(idx), settings.filter_bits // 8),
                                                                               dtype=np.uint8)
    rng = np.random.default_rng(settings.seed if settings.seed is not None else secrets.randbits(128))
    rows = blip(rows, settings.blip, rng)
    values = [None if m else r.tobytes() for r, m in zip(rows, missing, strict=True)]
    return pl.Series(f"{field}_bf", values, dtype=pl.Binary)


#: Width of the date windows behind the "within a month" level (dates <= 32 days apart always share one).
WINDOW_DAYS = 64


def _date_tokens(std: pl.DataFrame, key: EncodingKey) -> list[pl.Series]:
    y, m, d = (pl.col(c).cast(pl.Utf8) for c in ("dob_year", "dob_month", "dob_day"))
    days = pl.col("dob_date").cast(pl.Date).cast(pl.Int64)
    parts = std.select(
        pl.col("dob"), pl.col("dob_swap"), pl.col("dob_year").cast(pl.Utf8).alias("dob_year"),
        pl.concat_str([y, m], separator="-").alias("dob_ym"), pl.concat_str([y, d], separator="-").alias("dob_yd"),
        pl.concat_str([m, d], separator="-").alias("dob_md"),
        # two staggered grids of 64-day windows: dates at most 32 days apart share a window in one of them
        (days // WINDOW_DAYS).alias("dob_w1"), ((days + WINDOW_DAYS // 2) // WINDOW_DAYS).alias("dob_w2"),
    )
    out = [_tokens(parts["dob"], key, "dob", "date").alias("dob_tk"),
           _tokens(parts["dob_swap"], key, "dob", "date").alias("dob_swap_tk")]
    for c in ("dob_year", "dob_ym", "dob_yd", "dob_md", "dob_w1", "dob_w2"):
        out.append(_tokens(parts[c], key, "dob", c).alias(f"{c}_tk"))
    return out


def _field_columns(std: pl.DataFrame, key: EncodingKey, settings: BloomSettings) -> list[pl.Series]:
    cols: list[pl.Series] = []
    for f in NAME_FIELDS:
        if f in std.columns:
            cols.append(_name_filters(std, f, key, settings))
    if "dob" in std.columns:
        cols += _date_tokens(std, key)
    if "sex" in std.columns:
        cols.append(_tokens(std["sex"], key, "sex", "sex").alias("sex_tk"))
    if "postcode" in std.columns:
        for c in ("postcode", "pc_sector", "pc_district", "pc_area"):
            cols.append(_tokens(std[c], key, "postcode", c).alias(f"{c}_tk"))
    if "nhs_number" in std.columns:
        cols.append(_tokens(std["nhs_number"], key, "nhs", "nhs").alias("nhs_number_tk"))
    for c in std.columns:
        if c.startswith("x_"):  # other shared text (an address line, a reference number): filter + blocking key
            cols.append(_name_filters(std, c, key, replace(settings, salt="none"), domain=f"text/{c}"))
            cols.append(_cap(_tokens(std[c], key, "block", c).alias(f"bk_{c}"), settings.block_cap))
    return cols


def encode(std: pl.DataFrame, key: EncodingKey, settings: BloomSettings | None = None) -> pl.DataFrame:
    """Encode a standardised frame (output of :func:`linkage.standardise.standardise`).

    Returns ``rid`` then, for the identifiers present: ``forename_bf``/``surname_bf`` (Bloom
    filters, binary), ``dob_tk``, ``dob_swap_tk``, ``dob_year_tk``, ``dob_ym_tk``, ``dob_yd_tk``,
    ``dob_md_tk``, ``dob_w1_tk``, ``dob_w2_tk`` (64-day windows on two staggered grids), ``sex_tk``, ``postcode_tk``, ``pc_sector_tk``, ``pc_district_tk``,
    ``pc_area_tk``, ``nhs_number_tk`` (keyed 64-bit tokens), ``x_<name>_bf`` and ``bk_x_<name>`` for
    each other text column ``x_<name>``, ``record_bf`` (layout ``both``) and the
    ``bk_*`` blocking keys whose parts are present (each also tightened: ``bk_<name>__sex`` ...).

    Example:
        >>> from linkage.standardise import standardise
        >>> std = standardise(pl.DataFrame({"rid": ["1"], "forename": ["Ann"], "dob": ["2012-03-04"]}))
        >>> enc = encode(std, EncodingKey(bytes(32)), BloomSettings(seed=1))
        >>> enc.columns[:3], len(enc["forename_bf"][0])
        (['rid', 'forename_bf', 'dob_tk'], 128)
    """
    settings = settings or BloomSettings()
    cols: list[pl.Series] = [std["rid"].cast(pl.Utf8)]
    cols += _field_columns(std, key, settings)
    if settings.layout == "both":
        packed = bloom_filters(_record_tokens(std), key, settings, "record")
        cols.append(_per_record(packed, pl.Series(np.arange(std.height)), settings, "record"))
    for bk in BLOCKING_KEYS:
        if set(bk.parts) <= set(std.columns):
            for column, parts in blocking_variants(bk, set(std.columns)):
                combined = std.select(_combined(parts, "\x1f"))[:, 0]
                token = _tokens(combined, key, "block", column).alias(column)
                cols.append(_cap(token, settings.block_cap) if capped(parts) else token)
    return pl.DataFrame(cols)

