"""Link any two CSV files a data officer brings (``linkready link-files``).

Common column names are recognised (first_name/forename/given_name, surname/last_name,
date_of_birth/dob, sex/gender, postcode, nhs_number); the first column of each file is its
record id unless told otherwise; other columns present in both files are compared as generic
text; the same file given twice is deduplicated (its duplicates found); ``report_by`` names a left-file column used only to break results down, never to match.

What a data officer takes away (:class:`FileLinkReport`): the linked pairs (:meth:`~FileLinkReport.pairs_table`)
and the pairs near the threshold (:meth:`~FileLinkReport.review_table`), each carrying only the files' own
record ids and the comparison outcomes in words (never a name, date of birth or NHS number); the
breakdown by ``report_by`` through the disclosure engine (:meth:`~FileLinkReport.report_table`); and
warnings when a file is too small for the model to learn from (:data:`MIN_RECORDS_TO_LEARN`).

Encoded files (written by :func:`encode_file`, ``linkready encode``) are recognised by their
manifest and linked by :func:`linkage.encoded.link_encoded` with the same evaluation and JSON.
"""

from __future__ import annotations

import io
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from linkage.bloom import BloomSettings, EncodingKey, encode
from linkage.encoded import link_encoded
from linkage.encoded_files import check_compatible, is_encoded_file, manifest_for, read_encoded, write_encoded
from linkage.evaluate import Metrics, estimated, measured, measured_by_group, site_facing
from linkage.pipeline import LinkResult, link
from linkage.settings import LinkageSettings
from linkage.standardise import ROLES, parse_date, standardise
from warehouse.disclosure import (
    NOT_AVAILABLE,
    DisclosurePolicy,
    legend_rows,
    neutralise_formula,
    rate_phrase,
)
from warehouse.errors import ConfigError, DataError, did_you_mean
from warehouse.validation.parsing import detect_encoding

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


#: Fewer records than this in either file, or fewer candidate pairs from blocking, and the model has too
#: little to learn its match weights from: :func:`link_files` warns that its probabilities and estimated
#: figures are unreliable (``min_records`` / ``--min-records`` overrides it).
MIN_RECORDS_TO_LEARN = 100

MISSING = "missing"            # either side blank: no evidence either way
NOT_COMPARED = "not compared"  # a dedupe link through its cluster, never scored as a pair itself


@dataclass(frozen=True)
class FileLinkReport:
    """The outcome of :func:`link_files` (``as_dict`` gives the JSON keys).

    Besides the figures it holds what the tables need: the files' record id column names
    (``ids``), whether one file was deduplicated, the settings (threshold and review band), the
    metrics rows (overall first, then one per ``report_by`` group) and the warnings.
    """

    result: LinkResult
    precision: float | None
    recall: float | None
    f1: float | None
    basis: str
    by_group: dict[str, dict[str, object]]
    seconds: float
    roles: dict[str, tuple[str, str]]
    encoding: str = "clear"
    ids: tuple[str, str] = ("left_id", "right_id")
    dedupe: bool = False
    settings: LinkageSettings = field(default_factory=LinkageSettings)
    rows: tuple[Metrics, ...] = ()
    warnings: tuple[str, ...] = ()

    def as_dict(self, unsuppressed: bool = False) -> dict[str, object]:
        """``precision``, ``recall``, ``f1`` (with truth), ``candidate_pairs``, ``links``, ``seconds``,
        ``by_group`` {value: {n, links, recall, precision[, true_matches]}}, plus ``basis``, the column
        roles used, ``warnings`` and ``disclosure``.

        The figures go through the one disclosure engine, as the printed table does (the settings'
        policy: counts of 1-5, the rates built on them and any cell that would reveal one by
        subtraction become ``[c]``). ``unsuppressed=True`` gives the raw figures, for use inside the
        secure environment only (``disclosure`` then says so).
        """
        overall: dict[str, object] = {"links": self.result.links.height, "precision": self.precision,
                                      "recall": self.recall, "f1": self.f1}
        groups = dict(self.by_group)
        if not unsuppressed and self.rows:
            shown = site_facing([r.as_dict() for r in self.rows], self.settings.disclosure_policy)
            overall = {k: _json_figure(shown[0][k]) for k in ("links", "precision", "recall", "f1")}
            keys = [k for k in _GROUP_KEYS if k != "true_matches" or self.basis == "measured"]
            groups = {str(r["subgroup"]): {k: _json_figure(r[_GROUP_KEYS[k]]) for k in keys} for r in shown[1:]}
        out: dict[str, object] = {
            "candidate_pairs": self.result.candidate_pairs,
            "links": overall["links"],
            "seconds": round(self.seconds, 3),
            "basis": self.basis,
            "by_group": groups,
            "columns": {role: {"left": a, "right": b} for role, (a, b) in self.roles.items()},
            "precision": overall["precision"],
            "recall": overall["recall"],
            "encoding": self.encoding,
            "warnings": list(self.warnings),
            "disclosure": ("unsuppressed: raw counts, for the secure environment only" if unsuppressed else
                           f"counts of 1-{self.settings.disclosure_policy.suppress_max}, the rates built on them "
                           "and cells that would reveal one by subtraction are [c]"),
        }
        if self.basis == "measured":
            out["f1"] = overall["f1"]
        return out

    def id_headers(self) -> tuple[str, str]:
        """Column names of the two record ids in the pairs and review tables: the files' own id columns,
        or ``left_<id>``/``right_<id>`` when they are the same name (one file deduplicated, or both "id")."""
        lid, rid = self.ids
        if lid != rid and not {lid, rid} & _GENERATED:
            return lid, rid
        return f"left_{lid}", f"right_{rid}"

    def pairs_table(self) -> pl.DataFrame:
        """The linked pairs: both record ids, ``probability``, ``match_weight`` and per comparison
        ``<name>_agreement`` (its level in words) and ``<name>_weight``; for a deduplicated file also
        ``cluster`` (a pair of one cluster that was never scored, or scored below the storage floor, has
        no probability and its comparisons read "not compared"). Only ids and comparison outcomes: no
        identifier value.

        Example:
            >>> link_files(Path("a.csv"), Path("b.csv")).pairs_table().write_csv("pairs.csv")   # doctest: +SKIP
        """
        res = self.result
        # every link with its score and outcomes: for one file every pair within a cluster is a link, and
        # one below the threshold (or never a candidate) has no probability on the links, only on the pairs
        rows = res.links.select("l_id", "r_id", "l_rid", "r_rid").join(
            res.pairs.drop("l_rid", "r_rid"), on=["l_id", "r_id"], how="left")
        extra = []
        if self.dedupe and res.clusters is not None:
            rows = rows.join(res.clusters.rename({"rid": "l_rid"}), on="l_rid", how="left")
            extra = ["cluster"]
        return self._tidy(rows, extra)

    def review_table(self) -> pl.DataFrame:
        """Scored pairs whose probability lies in the review band ``[review_low, review_high)``: both
        record ids, ``probability``, ``linked`` (yes/no), ``reason`` (threshold, cluster, or the one-to-one
        assignment that gave a record a better-scoring partner) and the comparison outcomes.

        Example:
            >>> link_files(Path("a.csv"), Path("b.csv")).review_table().height   # doctest: +SKIP
        """
        lo, hi = self.settings.review_low, self.settings.review_high
        band = self.result.pairs.filter((pl.col("probability") >= lo) & (pl.col("probability") < hi))
        rows = _with_reasons(band, self.result.links, self.settings.threshold).with_columns(
            pl.when(pl.col("is_link")).then(pl.lit("yes")).otherwise(pl.lit("no")).alias("linked"))
        return self._tidy(rows.drop("match_weight"), ["linked", "reason"])

    def _tidy(self, rows: pl.DataFrame, extra: list[str]) -> pl.DataFrame:
        """Ids (ordered within a pair for one file), figures at fixed precision, outcomes in words."""
        left_h, right_h = self.id_headers()
        if self.dedupe:  # unordered pairs, as the links and truth are compared
            rows = rows.with_columns(pl.min_horizontal("l_rid", "r_rid").alias("l_rid"),
                                     pl.max_horizontal("l_rid", "r_rid").alias("r_rid"))
        safe = [pl.col(c).cast(pl.Utf8).map_elements(neutralise_formula, return_dtype=pl.Utf8).alias(h)
                for c, h in (("l_rid", left_h), ("r_rid", right_h))]
        figures = [pl.col("probability").round(6)] + ([pl.col("match_weight").round(4)] if "match_weight" in rows.columns else [])
        out = rows.select(*safe, *figures, *extra, *_agreement_columns(self.result, rows))
        return out.sort(["probability", left_h, right_h], descending=[True, False, False], nulls_last=True)

    def report_table(self, policy: DisclosurePolicy | None = None) -> pl.DataFrame:
        """The overall row and one per ``report_by`` group, through the one disclosure engine (the
        settings' policy unless ``policy`` is given, as ``linkready link --site-facing``), as text with
        plain headings: counts with thousands separators (or the policy's symbol), rates as % to one
        decimal with their 95% interval. Empty when there are no metrics rows."""
        if not self.rows:
            return pl.DataFrame()
        shown = site_facing([r.as_dict() for r in self.rows], policy or self.settings.disclosure_policy)
        group = self.rows[1].subgroup_type if len(self.rows) > 1 else "group"
        measured_basis = self.basis == "measured"
        table: dict[str, list[str]] = {group: [], "Records": [], "Links": []}
        if measured_basis:
            table["True matches"] = []
        table |= {"Precision (95% interval)": [], "Recall (95% interval)": []}
        if measured_basis:
            table["F1 (95% interval)"] = []
        for i, r in enumerate(shown):
            table[group].append("All records" if i == 0 else str(r["subgroup"]))
            table["Records"].append(_count_text(r["n_records"]))
            table["Links"].append(_count_text(r["links"]))
            if measured_basis:
                table["True matches"].append(_count_text(r["true_matches"]))
            table["Precision (95% interval)"].append(_rate_text(r, "precision"))
            table["Recall (95% interval)"].append(_rate_text(r, "recall"))
            if measured_basis:
                table["F1 (95% interval)"].append(_rate_text(r, "f1"))
        return pl.DataFrame(table)

    @staticmethod
    def legend_for(table: pl.DataFrame) -> list[tuple[str, str]]:
        """The legend rows (symbol, meaning) of the symbols ``table`` shows (``[c]``, ``[x]`` ...)."""
        cells = {str(v) for col in table.columns for v in table[col].to_list()}
        return legend_rows([sym for sym, _ in legend_rows() if any(sym in c for c in cells)])

    def basis_note(self) -> str:
        """What the figures rest on, in words."""
        if self.basis == "measured":
            return "measured against the truth file (95% Wilson intervals)"
        return "estimated from the model's match probabilities (95% intervals); give --truth to measure them"


_GENERATED = frozenset({"probability", "match_weight", "cluster", "linked", "reason"})
#: ``by_group`` keys of :meth:`FileLinkReport.as_dict` and the metrics columns they come from
_GROUP_KEYS = {"n": "n_records", "recall": "recall", "precision": "precision", "links": "links",
               "true_matches": "true_matches"}


def _json_figure(value: object) -> object:
    """A figure from the engine for JSON: a number stays a number (a column holding a symbol comes back
    as text), a symbol such as ``[c]`` stays text."""
    if not isinstance(value, str) or value.startswith("["):
        return value
    number = float(value)
    return int(number) if number.is_integer() and "." not in value else number


def _count_text(value: object) -> str:
    if isinstance(value, str) and value.startswith("["):
        return value
    return NOT_AVAILABLE if value is None else f"{float(str(value)):,.0f}"


def _rate_text(row: dict[str, object], key: str) -> str:
    value = rate_phrase(row.get(key))
    lo, hi = row.get(f"{key}_low"), row.get(f"{key}_high")
    if value.startswith("[") or lo is None or hi is None:
        return value
    return f"{value} ({rate_phrase(lo)} to {rate_phrase(hi)})"


def _agreement_columns(result: LinkResult, rows: pl.DataFrame) -> list[pl.Expr]:
    """Per comparison, its level in words (the comparison's own labels) and its weight (level weight plus
    term-frequency adjustment, read from the ``w_*``/``tfa_*`` columns the score stage kept)."""
    out = []
    for k, comp in enumerate(result.comparisons):
        stem = comp.name.removeprefix("x_")
        labels = list(result.model.labels[k])
        g = pl.col(f"g_{comp.name}")
        words = g.replace_strict(list(range(len(labels))), labels, default=MISSING, return_dtype=pl.Utf8)
        out.append(pl.when(g.is_null()).then(pl.lit(NOT_COMPARED)).otherwise(words).alias(f"{stem}_agreement"))
        adj = pl.col(f"tfa_{comp.name}").fill_null(0.0) if f"tfa_{comp.name}" in rows.columns else pl.lit(0.0)
        out.append((pl.col(f"w_{comp.name}") + adj).round(4).alias(f"{stem}_weight"))
    return out


def _with_reasons(band: pl.DataFrame, links: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """``band`` with ``reason``: why each pair is or is not a link. A pair at or above the threshold that
    is not a link lost in the one-to-one assignment: one of its records is linked to a partner with at
    least its weight (named by id, with that link's probability)."""
    t = f"{threshold:g}"
    best = links.sort("probability", descending=True, nulls_last=True)   # one partner per record (one file: many)
    by_left = best.unique("l_id", keep="first", maintain_order=True).select(
        "l_id", pl.col("r_rid").alias("_lp"), pl.col("probability").alias("_lpp"))
    by_right = best.unique("r_id", keep="first", maintain_order=True).select(
        "r_id", pl.col("l_rid").alias("_rp"), pl.col("probability").alias("_rpp"))
    rows = band.join(by_left, on="l_id", how="left").join(by_right, on="r_id", how="left")
    above = pl.col("probability") >= threshold
    left_taken = pl.format("one-to-one: the left record is linked to {} (probability {}), a better-scoring partner",
                           "_lp", pl.col("_lpp").round(4))
    right_taken = pl.format("one-to-one: the right record is linked to {} (probability {}), a better-scoring partner",
                            "_rp", pl.col("_rpp").round(4))
    reason = (
        pl.when(pl.col("is_link") & above).then(pl.lit(f"at or above the threshold {t}"))
        .when(pl.col("is_link")).then(pl.lit(f"below the threshold {t}, linked through other records of its cluster"))
        .when(~above).then(pl.lit(f"below the threshold {t}"))
        .when(pl.col("_lp").is_not_null()).then(left_taken)
        .when(pl.col("_rp").is_not_null()).then(right_taken)
        .otherwise(pl.lit("not linked (no assignment found)"))
    )
    return rows.with_columns(reason.alias("reason")).drop("_lp", "_lpp", "_rp", "_rpp")


def read_csv(path: Path) -> pl.DataFrame:
    """Read a CSV with every column as text, decoded as the warehouse loader detects it (UTF-8 with or
    without a byte-order mark, else Windows-1252, so "Zoë" from a cp1252 export stays "Zoë"); DataError
    when it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file {path} does not exist; give the path of a CSV file")
    if path.stat().st_size == 0:
        raise DataError(f"file {path} is empty (0 bytes); give a CSV file with a header row and at least one record")
    raw = path.read_bytes()
    encoding = detect_encoding(raw)   # the warehouse loader's rule: UTF-8 (with or without BOM) or Windows-1252
    if encoding is None:
        raise DataError(f"file {path} is not UTF-8 or Windows-1252 text (binary, or UTF-16); save it as "
                        "'CSV UTF-8' and try again")
    if encoding == "cp1252":
        log.info("%s read as Windows-1252", path.name)
        raw = raw.decode("cp1252").encode("utf-8")
    try:
        return pl.read_csv(io.BytesIO(raw), infer_schema=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise DataError(f"cannot read {path} as CSV ({type(exc).__name__}); check it is comma-separated text") from None


def _require_records(frame: pl.DataFrame, path: Path, side: str) -> None:
    """An empty file gives nothing to link: say which file and what to do (before blocking says it cannot run)."""
    if frame.height == 0:
        raise DataError(f"the {side} file {path} has no records, only column names ({', '.join(frame.columns)}); "
                        "give a file with at least one record, or check the extract that wrote it")


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
    rid: str                    # the right file's record id column


def _check_report_by(a: pl.DataFrame, report_by: str | None) -> None:
    if report_by is not None and report_by not in a.columns:
        raise ConfigError(f"--report-by {report_by!r} is not a column of the left file; columns: "
                          f"{', '.join(a.columns)}{did_you_mean(report_by, a.columns)}")


def _link_clear(left: Path, right: Path, report_by: str | None, settings: LinkageSettings,
                columns: dict[str, str] | None, ids: tuple[str | None, str | None]) -> _Linked:
    """Read, recognise, standardise and link two clear-text CSV files."""
    a, b = read_csv(left), read_csv(right)
    _require_records(a, left, "left")
    _require_records(b, right, "right")
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
    return _Linked(res, a, lid, roles, dedupe, rid)


def _link_encoded_files(left: Path, right: Path, report_by: str | None, settings: LinkageSettings,
                        ids: tuple[str | None, str | None]) -> _Linked:
    """Read two encoded files, check they share key and settings, and link their encodings."""
    a, b = read_encoded(left), read_encoded(right)
    _require_records(a.frame, left, "left")
    _require_records(b.frame, right, "right")
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
    return _Linked(res, raw, a.id_column, roles, dedupe, b.id_column)


@dataclass(frozen=True)
class _Quality:
    precision: float | None
    recall: float | None
    f1: float | None
    basis: str
    by_group: dict[str, dict[str, object]]
    rows: tuple[Metrics, ...]


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
        rows = [m]
        if groups is not None and report_by is not None:
            for g in measured_by_group("file", links, tl, groups, "group", report_by):
                by_group[g.subgroup] = {"n": g.n_records, "recall": g.recall, "precision": g.precision,
                                        "links": g.links, "true_matches": g.true_matches}
                rows.append(g)
        return _Quality(m.precision, m.recall, m.f1, "measured", by_group, tuple(rows))
    m = estimated("file", "all", "all", a.height, links, res.best)
    rows = [m]
    if groups is not None and report_by is not None:
        for value in sorted(groups["group"].unique().to_list()):
            ids = groups.filter(pl.col("group") == value)["rid"].implode()
            g = estimated("file", report_by, value, groups.filter(pl.col("group") == value).height,
                          links.filter(pl.col("l_rid").is_in(ids)), res.best.filter(pl.col("l_rid").is_in(ids)))
            by_group[str(value)] = {"n": g.n_records, "recall": g.recall, "precision": g.precision, "links": g.links}
            rows.append(g)
    return _Quality(m.precision, m.recall, m.f1, "estimated", by_group, tuple(rows))


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
    not_encoded: tuple[str, ...] = ()


#: A kept column with more distinct values than this (or, past 10, more than half its values distinct)
#: is not a subgroup: written in clear it could identify children.
KEEP_MAX_DISTINCT = 50


def _identifying_keep(values: pl.Series) -> str | None:
    """Why a ``--keep`` column looks like an identifier rather than a subgroup (None when it does not)."""
    s = values.cast(pl.Utf8).str.strip_chars()
    s = s.filter(s.is_not_null() & (s != ""))
    if s.len() == 0:
        return None
    dates = float(s.to_frame("v").select(parse_date(pl.col("v")).is_not_null().mean()).item() or 0.0)
    if dates >= 0.5:
        return f"{dates:.0%} of its values read as dates"
    distinct = s.n_unique()
    if distinct > KEEP_MAX_DISTINCT or (distinct > 10 and distinct > s.len() / 2):
        return f"it has {distinct} distinct values in {s.len()} records (a subgroup has a few)"
    return None


def _not_encoded(a: pl.DataFrame, lid: str, roles: dict[str, str], options: EncodeOptions) -> tuple[str, ...]:
    """Columns the encoded file leaves out: neither the id, an identifier, ``--text`` nor ``--keep``."""
    used = {lid, *roles.values(), *options.text, *options.keep}
    return tuple(c for c in a.columns if c not in used)


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
        elif (why := _identifying_keep(a[c])) is not None:
            problems.append(f"--keep {c!r} looks like an identifier, not a subgroup: {why}; it would be written "
                            "in clear: keep a banded or coded form (an age band, an ethnic group code), or encode "
                            f"it with --text {c}")
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
        ConfigError: unknown or identifying ``keep`` columns (an identifier role, or values that look
            like dates or have too many distinct values for a subgroup), no identifier recognised.

    Columns that are none of the id, an identifier, ``text`` or ``keep`` are left out and named in
    the report's ``not_encoded`` (and a warning): clear-text linkage would compare those both files
    share, so the encoded linkage loses them unless they are given with ``text``.

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
    left_out = _not_encoded(a, lid, roles, options)
    if left_out:   # clear-text link-files would compare them: without --text the encoded linkage cannot
        log.info("%d column(s) not encoded and not written: %s; clear-text link-files compares columns both "
                 "files share, so add --text for each the other owner's file also has (an address line, a town, "
                 "a reference number), or --keep for a subgroup", len(left_out), ", ".join(left_out))
    log.info("encoded %d records (%d identifier roles, %d text columns)", frame.height, len(roles), len(text))
    return EncodeReport(frame.height, roles | {n: c for n, c in text}, Path(out), manifest, settings.filter_bits,
                        time.perf_counter() - t0, left_out)


def learning_warnings(result: LinkResult, dedupe: bool, measured_basis: bool,
                      min_records: int = MIN_RECORDS_TO_LEARN) -> tuple[str, ...]:
    """Warnings when the files are too small for the model to learn from: fewer than ``min_records``
    records in either file, or fewer candidate pairs. Counts only, never values.

    Example:
        >>> learning_warnings(link_files(Path("six.csv"), Path("six.csv")).result, True, False)   # doctest: +SKIP
        ('the file has 6 records, fewer than 100 ...',)
    """
    sizes = [("the file", result.n_left)] if dedupe else [("the left file", result.n_left),
                                                          ("the right file", result.n_right)]
    small = [f"{side} has {n:,} records" for side, n in sizes if n < min_records]
    if result.candidate_pairs < min_records:
        small.append(f"blocking found {result.candidate_pairs:,} candidate pairs")
    if not small:
        return ()
    then = ("the precision and recall shown are measured against the truth file, but the model's match "
            "probabilities (and so its links) are unreliable" if measured_basis else
            "the model's match probabilities, its links and the estimated precision and recall are unreliable; "
            "give a truth file (--truth) to measure them")
    return (f"too few records for the model to learn from: {' and '.join(small)}, fewer than {min_records:,} "
            f"(--min-records); {then}, or link more records",)


def link_files(  # noqa: PLR0913 - the command's options, each a plain value
    left: Path, right: Path, truth: Path | None = None, report_by: str | None = None,
    settings: LinkageSettings | None = None, columns: dict[str, str] | None = None,
    left_id: str | None = None, right_id: str | None = None, min_records: int = MIN_RECORDS_TO_LEARN,
) -> FileLinkReport:
    """Link two CSV files, or two encoded files (``linkready encode``), and evaluate against a truth
    file (``left_id,right_id``) when given; warn (``warnings``) when either file has fewer than
    ``min_records`` records or blocking finds fewer candidate pairs.

    Raises:
        DataError: unreadable or empty files, or truth file without ``left_id``/``right_id``.
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
    warnings = learning_warnings(done.result, done.dedupe, q.basis == "measured", min_records)
    for w in warnings:
        log.info("%s", w)
    return FileLinkReport(done.result, q.precision, q.recall, q.f1, q.basis, q.by_group, time.perf_counter() - t0,
                          done.roles, "bloom_filter" if enc[0] else "clear", (done.lid, done.rid), done.dedupe,
                          settings, q.rows, warnings)
