"""Link any two CSV files a data officer brings (``linkready link-files``).

Common column names are recognised (first_name/forename/given_name, surname/last_name,
date_of_birth/dob, sex/gender, postcode, nhs_number); the first column of each file is its
record id unless told otherwise; other columns present in both files are compared as generic
text; the same file given twice is deduplicated (its duplicates found); ``report_by`` names a left-file column used only to break results down, never to match.

Encoded files (written by :func:`encode_file`, ``linkready encode``) are recognised by their
manifest and linked by :func:`linkage.encoded.link_encoded` with the same evaluation and JSON.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from linkage.bloom import BloomSettings, EncodingKey, encode
from linkage.encoded import link_encoded
from linkage.encoded_files import check_compatible, is_encoded_file, manifest_for, read_encoded, write_encoded
from linkage.evaluate import estimated, measured, measured_by_group
from linkage.pipeline import LinkResult, link
from linkage.settings import LinkageSettings
from linkage.standardise import ROLES, standardise
from warehouse.errors import ConfigError, DataError, did_you_mean

log = logging.getLogger(__name__)

ALIASES: dict[str, tuple[str, ...]] = {
    "forename": ("forename", "first_name", "firstname", "given_name", "givenname", "first_names", "forenames"),
    "surname": ("surname", "last_name", "lastname", "family_name", "familyname"),
    "dob": ("dob", "date_of_birth", "birth_date", "birthdate", "dateofbirth", "personbirthdate"),
    "sex": ("sex", "gender"),
    "postcode": ("postcode", "post_code", "postal_code", "zip", "zipcode"),
    "nhs_number": ("nhs_number", "nhs_no", "nhs", "nhsnumber"),
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class FileLinkReport:
    """The outcome of :func:`link_files` (``as_dict`` gives the JSON keys)."""

    result: LinkResult
    precision: float | None
    recall: float | None
    f1: float | None
    basis: str
    by_group: dict[str, dict[str, object]]
    seconds: float
    roles: dict[str, tuple[str, str]]
    encoding: str = "clear"

    def as_dict(self) -> dict[str, object]:
        """``precision``, ``recall``, ``f1`` (with truth), ``candidate_pairs``, ``links``, ``seconds``,
        ``by_group`` {value: {n, recall, precision}}, plus ``basis`` and the column roles used."""
        out: dict[str, object] = {
            "candidate_pairs": self.result.candidate_pairs,
            "links": self.result.links.height,
            "seconds": round(self.seconds, 3),
            "basis": self.basis,
            "by_group": self.by_group,
            "columns": {role: {"left": a, "right": b} for role, (a, b) in self.roles.items()},
            "precision": self.precision,
            "recall": self.recall,
            "encoding": self.encoding,
        }
        if self.basis == "measured":
            out["f1"] = self.f1
        return out


def read_csv(path: Path) -> pl.DataFrame:
    """Read a CSV with every column as text; DataError when it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file {path} does not exist; give the path of a CSV file")
    try:
        return pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise DataError(f"cannot read {path} as CSV ({type(exc).__name__}); check it is comma-separated text") from None


def recognise(columns: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Map roles to this file's column names from the aliases (and explicit ``overrides``)."""
    found: dict[str, str] = {}
    by_norm = {_norm(c): c for c in columns}
    for role, names in ALIASES.items():
        for n in names:
            if n in by_norm:
                found[role] = by_norm[n]
                break
    for role, col in (overrides or {}).items():
        if role not in ROLES:
            raise ConfigError(f"unknown column role {role!r} in [linkage.columns]; allowed: {', '.join(ROLES)}"
                              f"{did_you_mean(role, ROLES)}")
        if col in columns:
            found[role] = col
    return found


def _pick_id(df: pl.DataFrame, given: str | None, side: str) -> str:
    if given is None:
        return df.columns[0]
    if given not in df.columns:
        raise ConfigError(f"--{side}-id {given!r} is not a column of the {side} file; columns: "
                          f"{', '.join(df.columns)}{did_you_mean(given, df.columns)}")
    return given


def prepare(df: pl.DataFrame, id_col: str, roles: dict[str, str], extras: list[tuple[str, str]]) -> pl.DataFrame:
    """Rename to roles (``rid`` + roles + extras) and standardise."""
    cols = [pl.col(id_col).alias("rid")] + [pl.col(c).alias(r) for r, c in roles.items()]
    cols += [pl.col(c).alias(name) for name, c in extras]
    return standardise(df.select(cols), extras=tuple(name for name, _ in extras))


@dataclass(frozen=True)
class _Linked:
    """A linkage of two files, before evaluation."""

    result: LinkResult
    left: pl.DataFrame          # the left file as read (for report-by groups)
    lid: str                    # its record id column
    roles: dict[str, tuple[str, str]]
    dedupe: bool


def _check_report_by(a: pl.DataFrame, report_by: str | None) -> None:
    if report_by is not None and report_by not in a.columns:
        raise ConfigError(f"--report-by {report_by!r} is not a column of the left file; columns: "
                          f"{', '.join(a.columns)}{did_you_mean(report_by, a.columns)}")


def _link_clear(left: Path, right: Path, report_by: str | None, settings: LinkageSettings,
                columns: dict[str, str] | None, ids: tuple[str | None, str | None]) -> _Linked:
    """Read, recognise, standardise and link two clear-text CSV files."""
    a, b = read_csv(left), read_csv(right)
    lid, rid = _pick_id(a, ids[0], "left"), _pick_id(b, ids[1], "right")
    _check_report_by(a, report_by)
    ra = {r: c for r, c in recognise(a.columns, columns).items() if c not in (lid, report_by)}
    rb = {r: c for r, c in recognise(b.columns, columns).items() if c != rid}
    shared_roles = sorted(set(ra) & set(rb), key=ROLES.index)
    used = set(ra.values()) | {lid, report_by}
    used_b = set(rb.values()) | {rid}
    nb = {_norm(c): c for c in b.columns if c not in used_b}
    extras_a = [(f"{_norm(c)}", c) for c in a.columns if c not in used and _norm(c) in nb]
    extras_b = [(n, nb[n]) for n, _ in extras_a]
    if not shared_roles and not extras_a:
        raise ConfigError(
            f"the files share no identifier column; left has {', '.join(a.columns)}; right has {', '.join(b.columns)}; "
            "name them (e.g. first_name, surname, date_of_birth, sex, postcode, nhs_number) or map them in "
            "[linkage.columns] of --config"
        )
    la = prepare(a, lid, {r: ra[r] for r in shared_roles}, extras_a)
    lb = prepare(b, rid, {r: rb[r] for r in shared_roles}, extras_b)
    dedupe = Path(left).resolve() == Path(right).resolve() and lid == rid
    res = link(la, None if dedupe else lb, settings)
    roles = {r: (ra[r], rb[r]) for r in shared_roles} | {n: (ca, cb) for (n, ca), (_, cb) in zip(extras_a, extras_b, strict=True)}
    return _Linked(res, a, lid, roles, dedupe)


def _link_encoded_files(left: Path, right: Path, report_by: str | None, settings: LinkageSettings,
                        ids: tuple[str | None, str | None]) -> _Linked:
    """Read two encoded files, check they share key and settings, and link their encodings."""
    a, b = read_encoded(left), read_encoded(right)
    check_compatible(a, b)
    for side, given, enc in (("left", ids[0], a), ("right", ids[1], b)):
        if given is not None and given != enc.id_column:
            raise ConfigError(f"--{side}-id {given!r} does not apply to an encoded file: its record id is "
                              f"{enc.id_column!r}, fixed when it was encoded (linkready encode --id)")
    raw = a.frame.rename({"rid": a.id_column})
    if report_by is not None and report_by not in a.keep:
        raise ConfigError(f"--report-by {report_by!r} is not a kept column of the encoded left file; kept: "
                          f"{', '.join(a.keep) or 'none'}{did_you_mean(report_by, a.keep)}; the owner must "
                          f"encode with --keep {report_by}")
    dedupe = Path(left).resolve() == Path(right).resolve()
    la = a.frame.drop([c for c in a.keep if c in a.frame.columns])   # kept columns never match
    lb = b.frame.drop([c for c in b.keep if c in b.frame.columns])
    res = link_encoded(la, None if dedupe else lb, settings)
    roles = {c.name: (getattr(c, "column", c.field), getattr(c, "column", c.field)) for c in res.comparisons}
    return _Linked(res, raw, a.id_column, roles, dedupe)


@dataclass(frozen=True)
class _Quality:
    precision: float | None
    recall: float | None
    f1: float | None
    basis: str
    by_group: dict[str, dict[str, object]]


def _read_truth(truth: Path, dedupe: bool) -> pl.DataFrame:
    t = read_csv(truth)
    if not {"left_id", "right_id"} <= set(t.columns):
        raise DataError(f"truth file {truth} needs columns left_id,right_id; it has {', '.join(t.columns)}")
    tl = t.select(pl.col("left_id").alias("l_rid"), pl.col("right_id").alias("r_rid"))
    if dedupe:
        tl = tl.select(pl.min_horizontal("l_rid", "r_rid").alias("l_rid"), pl.max_horizontal("l_rid", "r_rid").alias("r_rid"))
    return tl.unique()


def _evaluate(done: _Linked, links: pl.DataFrame, truth: Path | None, report_by: str | None) -> _Quality:
    """Measured quality against a truth file, else estimated from the match probabilities; by group."""
    a, lid, res = done.left, done.lid, done.result
    by_group: dict[str, dict[str, object]] = {}
    groups = None
    if report_by is not None:
        groups = a.select(pl.col(lid).cast(pl.Utf8).alias("rid"), pl.col(report_by).fill_null("(missing)").alias("group"))
    if truth is not None:
        tl = _read_truth(truth, done.dedupe)
        tp = links.join(tl, on=["l_rid", "r_rid"]).height
        m = measured("file", "all", "all", a.height, links.height, links["l_rid"].n_unique(), tl.height, tp)
        if groups is not None and report_by is not None:
            for g in measured_by_group("file", links, tl, groups, "group", report_by):
                by_group[g.subgroup] = {"n": g.n_records, "recall": g.recall, "precision": g.precision,
                                        "links": g.links, "true_matches": g.true_matches}
        return _Quality(m.precision, m.recall, m.f1, "measured", by_group)
    m = estimated("file", "all", "all", a.height, links, res.best)
    if groups is not None and report_by is not None:
        for value in sorted(groups["group"].unique().to_list()):
            ids = groups.filter(pl.col("group") == value)["rid"].implode()
            g = estimated("file", report_by, value, groups.filter(pl.col("group") == value).height,
                          links.filter(pl.col("l_rid").is_in(ids)), res.best.filter(pl.col("l_rid").is_in(ids)))
            by_group[str(value)] = {"n": g.n_records, "recall": g.recall, "precision": g.precision, "links": g.links}
    return _Quality(m.precision, m.recall, m.f1, "estimated", by_group)


@dataclass(frozen=True)
class EncodeOptions:
    """What to carry into an encoded file besides the recognised identifiers.

    Args:
        keep: columns written in clear (a subgroup for bias reporting); never an identifier.
        id_column: the record id column (default: the first column).
        columns: role -> column overrides (as ``[linkage.columns]``).
        text: other columns encoded as Bloom filters too (an address line, a reference number).
    """

    keep: tuple[str, ...] = ()
    id_column: str | None = None
    columns: dict[str, str] | None = None
    text: tuple[str, ...] = ()


@dataclass(frozen=True)
class EncodeReport:
    """What :func:`encode_file` wrote: counts and names only."""

    rows: int
    roles: dict[str, str]
    out: Path
    manifest: Path
    filter_bits: int
    seconds: float


def _encode_columns(a: pl.DataFrame, options: EncodeOptions) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """The id column, identifier roles and text columns to encode; every problem reported at once."""
    lid = options.id_column or a.columns[0]
    if lid not in a.columns:
        raise ConfigError(f"--id {lid!r} is not a column of {', '.join(a.columns)}{did_you_mean(lid, a.columns)}")
    roles = {r: c for r, c in recognise(a.columns, options.columns).items() if c != lid}
    problems = []
    for c in options.keep:
        if c not in a.columns:
            problems.append(f"--keep {c!r} is not a column{did_you_mean(c, a.columns)}")
        elif c in roles.values() or c == lid or c in options.text:
            problems.append(f"--keep {c!r} is an identifier (it would be written in clear); keep only columns "
                            "such as an ethnic group or age band")
    for c in options.text:
        if c not in a.columns:
            problems.append(f"--text {c!r} is not a column{did_you_mean(c, a.columns)}")
    if not roles and not options.text:
        problems.append(f"no identifier column recognised among {', '.join(a.columns)}; name them (first_name, "
                        "surname, date_of_birth, sex, postcode, nhs_number) or map them in [linkage.columns]")
    if problems:
        raise ConfigError("cannot encode: " + "; ".join(problems) + f"; columns: {', '.join(a.columns)}")
    return lid, roles, [(_norm(c), c) for c in options.text]


def encode_file(source: Path, out: Path, key: EncodingKey, settings: BloomSettings | None = None,
                options: EncodeOptions | None = None) -> EncodeReport:
    """Standardise a CSV file's identifiers with the clear-text rules and write their encodings
    (record id first under its original name, then the encodings, then the kept columns).

    Raises:
        DataError: unreadable file.
        ConfigError: unknown or identifying ``keep`` columns, no identifier recognised.

    Example:
        >>> encode_file(Path("a.csv"), Path("a.parquet"), read_key_file(Path("k")))   # doctest: +SKIP
    """
    t0 = time.perf_counter()
    settings = settings or BloomSettings()
    options = options or EncodeOptions()
    a = read_csv(source)
    lid, roles, text = _encode_columns(a, options)
    encoded = encode(prepare(a, lid, roles, text), key, settings)
    frame = encoded.rename({"rid": lid}).hstack([a[c] for c in options.keep])
    manifest = write_encoded(frame, out, manifest_for(frame, key, settings, lid, options.keep))
    log.info("encoded %d records (%d identifier roles, %d text columns)", frame.height, len(roles), len(text))
    return EncodeReport(frame.height, roles | {n: c for n, c in text}, Path(out), manifest, settings.filter_bits,
                        time.perf_counter() - t0)


def link_files(
    left: Path, right: Path, truth: Path | None = None, report_by: str | None = None,
    settings: LinkageSettings | None = None, columns: dict[str, str] | None = None,
    left_id: str | None = None, right_id: str | None = None,
) -> FileLinkReport:
    """Link two CSV files, or two encoded files (``linkready encode``), and evaluate against a truth
    file (``left_id,right_id``) when given.

    Raises:
        DataError: unreadable files or truth file without ``left_id``/``right_id``.
        ConfigError: unknown id or report-by column, no identifier the two files share, one file
            encoded and the other not, or encoded files whose keys or settings differ.

    Example:
        >>> link_files(Path("a.csv"), Path("b.csv")).as_dict()["links"]   # doctest: +SKIP
    """
    t0 = time.perf_counter()
    settings = settings or LinkageSettings()
    enc = (is_encoded_file(left), is_encoded_file(right))
    if enc[0] != enc[1]:
        which, other = ("left", "right") if enc[0] else ("right", "left")
        raise ConfigError(f"the {which} file is encoded and the {other} is not; encode the {other} file with "
                          "`linkready encode FILE --key-file KEY --out ENCODED` using the same key file")
    if enc[0]:
        done = _link_encoded_files(left, right, report_by, settings, (left_id, right_id))
    else:
        done = _link_clear(left, right, report_by, settings, columns, (left_id, right_id))
    links = done.result.links.select("l_rid", "r_rid", "probability")
    if done.dedupe:  # one file against itself: find its duplicates; pairs are unordered
        links = links.with_columns(pl.min_horizontal("l_rid", "r_rid").alias("l_rid"),
                                   pl.max_horizontal("l_rid", "r_rid").alias("r_rid"))
    q = _evaluate(done, links, truth, report_by)
    return FileLinkReport(done.result, q.precision, q.recall, q.f1, q.basis, q.by_group, time.perf_counter() - t0,
                          done.roles, "bloom_filter" if enc[0] else "clear")
