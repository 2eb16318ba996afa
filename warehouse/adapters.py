"""Site adapters: each site's own file layout, declared as data (a TOML file), mapped to the canonical schema.

One declaration serves both directions: ``synthetic_data`` writes a site's files with it and the
loader reads them back with it. A new site or a changed export is a new TOML layout, not new code: the
four built-in layouts are ``warehouse/layouts/<site>.toml`` and register themselves in :data:`ADAPTERS`
exactly as a new one would (:func:`load_layout`, :func:`register`); ``linkready validate/load --layout
FILE`` reads a site's files with another layout, and ``linkready layout infer FILE`` proposes one.

Canonical *service person* fields (one row per person the service works with):

=================  =====================================================================
record_id          the site's own id for the person (unique within the site)
family_id          the site's family/case id (shared by a child and their parents)
role               ``child`` | ``victim_parent`` | ``harm_parent``
forename, surname  names as the site recorded them (an unborn child may be ``Baby``)
dob                date of birth (None for an unborn child)
expected_dob       expected date of birth (unborn children only)
sex                ``M`` | ``F`` | ``U``
postcode           full postcode as recorded
nhs_number         10 digits or None
ethnicity          CIN/SSDA903 ethnicity code (``WBRI`` ...), mapped from the site's labels
referral_date      date referred to the service
referral_source    ``csc`` | ``self`` | ``health`` | ``police`` | ``school`` | ``voluntary`` | ``other``
la_code            DfE code of the family's local authority
end_date           date the case closed (None while open)
end_reason         ``completed`` | ``disengaged`` | ``moved`` | ``other`` | None
=================  =====================================================================

Outcome files (one per measure, ``outcomes_<measure>.csv``) have the site's id column, a
timepoint column (mapped to ``baseline`` / ``followup``), a date column and item columns
``<item_prefix>1..n`` (empty cell = item missing).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast, get_args

from warehouse.errors import ConfigError, did_you_mean
from warehouse.registry import Registry

Encoding = Literal["utf-8", "utf-8-sig", "cp1252"]

CANONICAL_PERSON_FIELDS: tuple[str, ...] = (
    "record_id", "family_id", "role", "forename", "surname", "dob", "expected_dob", "sex", "postcode",
    "nhs_number", "ethnicity", "referral_date", "referral_source", "la_code", "end_date", "end_reason",
)
ROLES: tuple[str, ...] = ("child", "victim_parent", "harm_parent")
REFERRAL_SOURCES: tuple[str, ...] = ("csc", "self", "health", "police", "school", "voluntary", "other")
END_REASONS: tuple[str, ...] = ("completed", "disengaged", "moved", "other")
TIMEPOINTS: tuple[str, ...] = ("baseline", "followup")


@dataclass(frozen=True)
class PeopleLayout:
    """How a site's service-records file is laid out."""

    filename: str
    encoding: Encoding
    delimiter: str
    date_format: str  # strftime/strptime format of every date column
    columns: dict[str, str]  # canonical field -> the site's column header
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical -> {site value: canonical}
    extra_columns: tuple[str, ...] = ()  # site columns kept as-is (e.g. birth weight)

    def source_column(self, canonical: str) -> str:
        return self.columns[canonical]

    def to_site_value(self, canonical_field: str, value: str) -> str:
        """Map a canonical value to the site's own label (used by the generator)."""
        for site_value, canon in self.value_maps.get(canonical_field, {}).items():
            if canon == value:
                return site_value
        return value


@dataclass(frozen=True)
class OutcomeLayout:
    """How a site's outcome files (one per measure) are laid out."""

    id_column: str
    timepoint_column: str
    date_column: str
    item_prefix: str
    timepoint_labels: dict[str, str]  # site label -> baseline|followup
    measures: tuple[str, ...]
    encoding: Encoding | None = None  # None: the people file's
    delimiter: str | None = None  # None: the people file's

    def filename(self, measure: str) -> str:
        return f"outcomes_{measure}.csv"


@dataclass(frozen=True)
class SiteAdapter:
    """A site's whole export: its people file and its outcome files."""

    site_id: str
    people: PeopleLayout
    outcomes: OutcomeLayout


#: Every site layout by site id; the built-in TOML layouts register themselves below as a new one would.
ADAPTERS: Registry[SiteAdapter] = Registry("site layout", name_attr="site_id")


def get_adapter(site_id: str) -> SiteAdapter:
    """Return the registered layout for a site or raise :class:`ConfigError` (with a did-you-mean)."""
    return ADAPTERS.get(site_id)


def register(adapter: SiteAdapter, *, replace: bool = False) -> SiteAdapter:
    """Register a site layout (built-ins use this too); a second one for a site needs ``replace=True``."""
    if adapter.site_id in ADAPTERS and not replace and ADAPTERS[adapter.site_id] != adapter:
        raise ConfigError(f"a layout for site {adapter.site_id!r} is already registered; pass replace=True")
    return ADAPTERS.register(adapter, replace=True)


# ----------------------------------------------------------------------------- TOML layouts

_PEOPLE_KEYS = {"filename", "encoding", "delimiter", "date_format", "extra_columns", "columns", "value_maps"}
_OUTCOME_KEYS = {"id_column", "timepoint_column", "date_column", "item_prefix", "timepoint_labels", "measures",
                 "encoding", "delimiter"}


def _strings(value: object, where: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        problems.append(f"{where} must be a table of text values")
        return {}
    return dict(value)


def _text(table: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        problems.append(f"{where}.{key} is missing or not text")
        return ""
    return value


def _people(t: dict[str, Any], problems: list[str]) -> PeopleLayout:
    problems += [f"people.{k} is not a layout setting (allowed: {', '.join(sorted(_PEOPLE_KEYS))})"
                 f"{did_you_mean(k, _PEOPLE_KEYS)}" for k in t if k not in _PEOPLE_KEYS]
    encoding = t.get("encoding", "utf-8")
    if encoding not in get_args(Encoding):
        problems.append(f"people.encoding {encoding!r} is not one of {', '.join(get_args(Encoding))}")
    columns = _strings(t.get("columns", {}), "people.columns", problems)
    unknown = [c for c in columns if c not in CANONICAL_PERSON_FIELDS]
    missing = [c for c in CANONICAL_PERSON_FIELDS if c not in columns]
    problems += [f"people.columns.{c} is not a canonical field{did_you_mean(c, CANONICAL_PERSON_FIELDS)}"
                 for c in unknown]
    if missing:
        problems.append(f"people.columns lacks {', '.join(missing)} (every canonical field needs the site's column)")
    maps_raw = t.get("value_maps", {})
    maps = {f: _strings(m, f"people.value_maps.{f}", problems) for f, m in maps_raw.items()} \
        if isinstance(maps_raw, dict) else {}
    extra = t.get("extra_columns", [])
    if not isinstance(extra, list) or not all(isinstance(c, str) for c in extra):
        problems.append("people.extra_columns must be a list of column names")
        extra = []
    delimiter = _text(t, "delimiter", "people", problems)
    if delimiter and len(delimiter) != 1:
        problems.append(f"people.delimiter {delimiter!r} must be one character")
    return PeopleLayout(_text(t, "filename", "people", problems), cast(Encoding, encoding), delimiter,
                        _text(t, "date_format", "people", problems), columns, maps, tuple(extra))


def _outcomes(t: dict[str, Any], problems: list[str]) -> OutcomeLayout:
    problems += [f"outcomes.{k} is not a layout setting{did_you_mean(k, _OUTCOME_KEYS)}" for k in t
                 if k not in _OUTCOME_KEYS]
    measures = t.get("measures", [])
    if not isinstance(measures, list) or not all(isinstance(m, str) for m in measures):
        problems.append("outcomes.measures must be a list of measure codes")
        measures = []
    labels = _strings(t.get("timepoint_labels", {}), "outcomes.timepoint_labels", problems)
    problems += [f"outcomes.timepoint_labels maps to {v!r}; allowed: {', '.join(TIMEPOINTS)}"
                 for v in labels.values() if v not in TIMEPOINTS]
    encoding = t.get("encoding")
    if encoding is not None and encoding not in get_args(Encoding):
        problems.append(f"outcomes.encoding {encoding!r} is not one of {', '.join(get_args(Encoding))}")
    delimiter = t.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        problems.append(f"outcomes.delimiter {delimiter!r} must be one character")
    return OutcomeLayout(_text(t, "id_column", "outcomes", problems), _text(t, "timepoint_column", "outcomes", problems),
                         _text(t, "date_column", "outcomes", problems), _text(t, "item_prefix", "outcomes", problems),
                         labels, tuple(measures), cast(Encoding | None, encoding), delimiter)


def layout_from_toml(text: str, source: str = "<layout>") -> SiteAdapter:
    """Parse a TOML layout; ConfigError lists every problem at once (what was given, what is allowed)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    problems: list[str] = []
    site_id = data.get("site_id")
    if not isinstance(site_id, str) or not site_id:
        problems.append("site_id is missing (the site whose files this layout reads)")
    people = _people(data.get("people", {}) if isinstance(data.get("people"), dict) else {}, problems)
    outcomes = _outcomes(data.get("outcomes", {}) if isinstance(data.get("outcomes"), dict) else {}, problems)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return SiteAdapter(str(site_id), people, outcomes)


def load_layout(path: Path) -> SiteAdapter:
    """Read a layout TOML file (see ``warehouse/layouts/*.toml``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read layout {path}: {exc.strerror}; give a TOML file") from None
    return layout_from_toml(text, str(path))


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def layout_toml(a: SiteAdapter, note: str = "") -> str:
    """A layout as TOML text (the format :func:`layout_from_toml` reads)."""
    p, o = a.people, a.outcomes
    out = [f"# Site layout: {a.site_id}. Read by warehouse.adapters; see docs/extract-drop.md.",
           *(f"# {line}" for line in note.splitlines()),
           f"site_id = {_q(a.site_id)}", "", "[people]", f"filename = {_q(p.filename)}",
           f"encoding = {_q(p.encoding)}", f"delimiter = {_q(p.delimiter)}", f"date_format = {_q(p.date_format)}",
           f"extra_columns = [{', '.join(_q(c) for c in p.extra_columns)}]", "", "[people.columns]",
           "# canonical field = the site's column header"]
    out += [f"{k} = {_q(v)}" for k, v in p.columns.items()]
    for fld, mapping in p.value_maps.items():
        out += ["", f"[people.value_maps.{fld}]", "# the site's label = canonical code"]
        out += [f"{_q(k)} = {_q(v)}" for k, v in mapping.items()]
    out += ["", "[outcomes]", f"id_column = {_q(o.id_column)}", f"timepoint_column = {_q(o.timepoint_column)}",
            f"date_column = {_q(o.date_column)}", f"item_prefix = {_q(o.item_prefix)}",
            f"measures = [{', '.join(_q(m) for m in o.measures)}]"]
    out += [f"{k} = {_q(v)}" for k, v in (("encoding", o.encoding), ("delimiter", o.delimiter)) if v is not None]
    out += ["", "[outcomes.timepoint_labels]"]
    out += [f"{_q(k)} = {_q(v)}" for k, v in o.timepoint_labels.items()]
    return "\n".join(out) + "\n"


BUILTIN_LAYOUTS: tuple[str, ...] = ("fbs", "sat", "leap", "coda")
"""The built-in layouts (``warehouse/layouts/<site>.toml``), registered at import like any other."""

for _site in BUILTIN_LAYOUTS:
    _file = resources.files("warehouse.layouts").joinpath(f"{_site}.toml")
    register(layout_from_toml(_file.read_text(encoding="utf-8"), f"warehouse/layouts/{_site}.toml"))
