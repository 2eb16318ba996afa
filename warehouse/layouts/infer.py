"""Propose a site layout for a file from its header and its value patterns (never from printing values).

Stages: sniff (encoding from the BOM or the bytes, delimiter from consistent field counts) -> profile
(per column: share of values shaped like an NHS number, a postcode, an LA code, a date in each format,
a known label; how distinct they are) -> match (each canonical field to the column whose name and
profile fit it best) -> describe (a :class:`~warehouse.adapters.SiteAdapter` and its TOML). The TOML
names columns and known category labels only; a label the built-in layouts do not know is counted,
never written out.

Example:
    >>> proposal = infer_layout(Path("export.csv"), site_id="sat")   # doctest: +SKIP
    >>> print(layout_toml(proposal.adapter, proposal.note))          # doctest: +SKIP
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from warehouse.adapters import (
    ADAPTERS,
    CANONICAL_PERSON_FIELDS,
    Encoding,
    OutcomeLayout,
    PeopleLayout,
    SiteAdapter,
)
from warehouse.errors import ConfigError
from warehouse.la_codes import ENGLISH_LA_CODES
from warehouse.vocabulary import SEX_CODES

__all__ = ["LayoutProposal", "infer_layout"]

_DELIMITERS = (",", ";", "\t", "|")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
_DATE_FIELDS = ("dob", "expected_dob", "referral_date", "end_date")
_CODED = ("role", "sex", "ethnicity", "referral_source", "end_reason")
_SAMPLE = 5000


@dataclass(frozen=True)
class LayoutProposal:
    """A proposed layout, how sure each column match is, and what is left for a person to decide."""

    adapter: SiteAdapter
    confidence: dict[str, float]  # canonical field -> match score 0..1
    note: str = ""
    unmapped_labels: dict[str, int] = field(default_factory=dict)  # canonical field -> labels left unmapped


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _sniff(raw: bytes) -> tuple[Encoding, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", raw[3:].decode("utf-8", errors="replace")
    try:
        return "utf-8", raw.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252", raw.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    lines = text.splitlines()[:50]
    best, best_score = ",", -1.0
    for d in _DELIMITERS:
        counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=d)]
        if not counts or counts[0] < 2:
            continue
        score = counts[0] * (sum(c == counts[0] for c in counts) / len(counts))
        if score > best_score:
            best, best_score = d, score
    return best


def _frame(text: str, delimiter: str) -> pl.DataFrame:
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip() for h in rows[0]] if rows else []
    body = [r for r in rows[1:_SAMPLE + 1] if len(r) == len(header)]
    return pl.DataFrame({h: [r[i].strip() or None for r in body] for i, h in enumerate(header)},
                        schema={h: pl.String for h in header})


# ----------------------------------------------------------------------------- profiles


def _mean(mask: pl.Series) -> float:
    return float(mask.fill_null(False).sum()) / mask.len() if mask.len() else 0.0


def _share(col: pl.Series, pattern: str) -> float:
    return _mean(col.drop_nulls().str.contains(pattern))


def _date_share(col: pl.Series, fmt: str) -> float:
    return _mean(col.drop_nulls().str.strptime(pl.Date, fmt, strict=False, exact=True).is_not_null())


def _known_labels() -> dict[str, dict[str, str]]:
    """Every label a built-in layout maps, by canonical field (lower-cased label -> code)."""
    out: dict[str, dict[str, str]] = {f: {} for f in _CODED}
    for adapter in ADAPTERS.values():
        for fld, mapping in adapter.people.value_maps.items():
            out.setdefault(fld, {}).update({k.lower(): v for k, v in mapping.items()})
    from warehouse.adapters import END_REASONS, REFERRAL_SOURCES, ROLES

    for fld, codes in (("role", ROLES), ("referral_source", REFERRAL_SOURCES), ("end_reason", END_REASONS),
                       ("sex", SEX_CODES)):
        out[fld].update({c.lower(): c for c in codes})
    from warehouse.vocabulary import ETHNIC_GROUP_BY_CODE, ETHNICITY_NOT_GIVEN

    out["ethnicity"].update({c.lower(): c for c in (*ETHNIC_GROUP_BY_CODE, *ETHNICITY_NOT_GIVEN)})
    return out


def _label_share(col: pl.Series, labels: dict[str, str]) -> float:
    return _mean(col.drop_nulls().str.to_lowercase().is_in(list(labels)))


def _value_score(fld: str, col: pl.Series, fmt: str, labels: dict[str, dict[str, str]]) -> float:
    """How well a column's values fit a canonical field (0..1), from their shapes only."""
    present = col.drop_nulls()
    distinct = present.n_unique() / present.len() if present.len() else 0.0
    if fld == "nhs_number":
        return _share(col.str.replace_all(r"[ \-]", ""), r"^\d{10}$")
    if fld == "postcode":
        return _share(col.str.to_uppercase(), r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")
    if fld == "la_code":
        return _mean(present.is_in(list(ENGLISH_LA_CODES)))
    if fld in _DATE_FIELDS:
        return _date_share(col, fmt)
    if fld in _CODED:
        return _label_share(col, labels[fld]) * (1.0 if distinct < 0.5 or present.len() < 10 else 0.5)
    if fld == "record_id":
        return distinct * _share(col, r"\d")
    if fld == "family_id":
        return (1 - distinct) * _share(col, r"\d") if distinct < 1 else 0.3 * _share(col, r"\d")
    if fld in ("forename", "surname"):
        return _share(col, r"^[^\d]+$")
    return 0.0


def _names_for(fld: str, site_id: str | None) -> set[str]:
    names = {_norm(fld)}
    for sid, adapter in ADAPTERS.items():
        if fld in adapter.people.columns:
            names.add(_norm(adapter.people.columns[fld]))
        if site_id == sid:
            names.add(_norm(adapter.people.columns[fld]) * 2)  # weight the site's own spelling
    return {n for n in names if n}


def _name_score(column: str, names: set[str]) -> float:
    c = _norm(column)
    return max((difflib.SequenceMatcher(None, c, n[: len(n) // 2] if n[: len(n) // 2] * 2 == n else n).ratio()
                for n in names), default=0.0)


# ----------------------------------------------------------------------------- match and describe


def _date_format(frame: pl.DataFrame) -> str:
    def fit(fmt: str) -> float:
        return sum(_date_share(frame.get_column(c), fmt) for c in frame.columns)

    return max(_DATE_FORMATS, key=fit)


def _match(frame: pl.DataFrame, fmt: str, site_id: str | None) -> tuple[dict[str, str], dict[str, float]]:
    labels = _known_labels()
    scores: list[tuple[float, str, str]] = []
    for fld in CANONICAL_PERSON_FIELDS:
        names = _names_for(fld, site_id)
        for col in frame.columns:
            value = _value_score(fld, frame.get_column(col), fmt, labels)
            scores.append((0.55 * _name_score(col, names) + 0.45 * value, fld, col))
    chosen: dict[str, str] = {}
    confidence: dict[str, float] = {}
    for score, fld, col in sorted(scores, reverse=True):
        if fld in chosen or col in chosen.values():
            continue
        chosen[fld] = col
        confidence[fld] = round(score, 2)
    return chosen, confidence


def _value_maps(frame: pl.DataFrame, columns: dict[str, str], base: SiteAdapter | None) -> tuple[dict[str, dict[str, str]], dict[str, int]]:
    labels = _known_labels()
    maps: dict[str, dict[str, str]] = {}
    unmapped: dict[str, int] = {}
    for fld in _CODED:
        if fld not in columns:
            continue
        own = base.people.value_maps.get(fld, {}) if base else {}
        distinct = frame.get_column(columns[fld]).drop_nulls().unique().sort().to_list()
        mapping = {}
        for label in distinct:
            code = own.get(label) or labels[fld].get(label.lower())
            if code is None:
                unmapped[fld] = unmapped.get(fld, 0) + 1
            elif code != label:
                mapping[label] = code
        if mapping:
            maps[fld] = mapping
    return maps, unmapped


def infer_layout(path: Path, site_id: str | None = None) -> LayoutProposal:
    """Propose a layout for the people file at ``path`` (of site ``site_id`` when known).

    Raises:
        ConfigError: the file cannot be read as delimited text, or ``site_id`` is unknown.
    """
    base = None
    if site_id is not None:
        if site_id not in ADAPTERS:
            from warehouse.adapters import get_adapter

            get_adapter(site_id)  # raises with the allowed ids
        base = ADAPTERS[site_id]
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if not raw.strip() or b"\x00" in raw[:4096]:
        raise ConfigError(f"{path} is empty or not delimited text; give a CSV export")
    encoding, text = _sniff(raw)
    delimiter = _delimiter(text)
    frame = _frame(text, delimiter)
    fmt = _date_format(frame)
    columns, confidence = _match(frame, fmt, site_id)
    maps, unmapped = _value_maps(frame, columns, base)
    extra = tuple(c for c in frame.columns if c not in columns.values())
    # the outcome files keep the site's own encoding and delimiter unless they change too
    outcomes = replace(base.outcomes, encoding=base.outcomes.encoding or base.people.encoding,
                       delimiter=base.outcomes.delimiter or base.people.delimiter) if base else OutcomeLayout(columns.get("record_id", ""), "timepoint", "date", "item",
                                                        {"baseline": "baseline", "followup": "followup"}, ())
    people = PeopleLayout(Path(path).name, encoding, delimiter, fmt,
                          {f: columns[f] for f in CANONICAL_PERSON_FIELDS if f in columns}, maps, extra)
    weak = sorted(f for f, s in confidence.items() if s < 0.5)
    note = "Proposed by `linkready layout infer`; check it before use."
    if weak:
        note += f"\nLeast sure of: {', '.join(weak)}."
    if unmapped:
        note += "\nLabels left unmapped (add them under people.value_maps): " + ", ".join(
            f"{f} ({n})" for f, n in sorted(unmapped.items()))
    return LayoutProposal(SiteAdapter(site_id or "new_site", people, outcomes), confidence, note, unmapped)
