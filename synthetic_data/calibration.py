"""Read world settings from a calibration TOML file (parsed at the edge into a typed ``WorldSettings``).

The file holds one table per figure, ``[rates.<field>]`` or ``[sites.<site_id>.<field>]``, each with
``value``, ``source`` and ``source_status`` (``verified`` | ``unverified`` | ``design``). The shipped
``synthetic_data/calibration.toml`` is the documented copy of the defaults; a user copy may give any
subset of figures. Every problem in a file is reported at once.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from synthetic_data.settings import SiteProfile, WorldSettings
from warehouse.errors import ConfigError, did_you_mean

DEFAULTS_FILE = Path(__file__).with_name("calibration.toml")
STATUSES = ("verified", "unverified", "design")
_RATE_FIELDS = {f.name: f for f in dataclasses.fields(WorldSettings)
                if f.name not in ("seed", "children", "dirty", "scale", "sites")}
_SITE_FIELDS = {f.name: f for f in dataclasses.fields(SiteProfile) if f.name != "site_id"}


def _coerce(name: str, value: Any, default: Any, problems: list[str]) -> Any:
    if isinstance(default, tuple):
        if not isinstance(value, list) or len(value) != len(default):
            problems.append(f"{name}: expected a list of {len(default)} numbers, got {value!r}")
            return default
        return tuple(float(v) for v in value)
    if isinstance(default, str):
        if not isinstance(value, str):
            problems.append(f"{name}: expected a word in quotes, got {value!r}")
            return default
        return value
    if isinstance(default, bool) or not isinstance(value, int | float) or isinstance(value, bool):
        problems.append(f"{name}: expected a number, got {value!r}")
        return default
    return type(default)(value)


def _entry(name: str, table: Any, problems: list[str]) -> Any:
    if not isinstance(table, dict) or "value" not in table:
        problems.append(f"{name}: expected a table with 'value' (and 'source', 'source_status')")
        return None
    status = table.get("source_status", "unverified")
    if status not in STATUSES:
        problems.append(f"{name}: source_status {status!r} not one of {', '.join(STATUSES)}")
    return table["value"]


def load_settings(path: Path = DEFAULTS_FILE, **overrides: Any) -> WorldSettings:
    """Read ``path`` into :class:`WorldSettings` (fields not in the file keep their defaults).

    ``overrides`` (e.g. ``seed``, ``children``, ``dirty``) are applied last. Raises
    :class:`ConfigError` listing every problem in the file.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"calibration file {path} not found; pass an existing TOML file "
                          f"(the defaults are in {DEFAULTS_FILE})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"calibration file {path} is not valid TOML ({exc}); fix the syntax and retry") from None
    base = WorldSettings()
    problems: list[str] = []
    unknown_top = set(data) - {"rates", "sites"}
    if unknown_top:
        problems.append(f"unknown section(s) {sorted(unknown_top)}; allowed: rates, sites")
    rates: dict[str, Any] = {}
    for name, table in data.get("rates", {}).items():
        if name not in _RATE_FIELDS:
            problems.append(f"rates.{name}: unknown setting{did_you_mean(name, _RATE_FIELDS)}")
            continue
        value = _entry(f"rates.{name}", table, problems)
        if value is not None:
            rates[name] = _coerce(f"rates.{name}", value, getattr(base, name), problems)
    sites = []
    given_sites = data.get("sites", {})
    for profile in base.sites:
        changes: dict[str, Any] = {}
        for name, table in given_sites.get(profile.site_id, {}).items():
            if name not in _SITE_FIELDS:
                problems.append(f"sites.{profile.site_id}.{name}: unknown setting{did_you_mean(name, _SITE_FIELDS)}")
                continue
            value = _entry(f"sites.{profile.site_id}.{name}", table, problems)
            if value is not None:
                changes[name] = _coerce(f"sites.{profile.site_id}.{name}", value, getattr(profile, name), problems)
        sites.append(dataclasses.replace(profile, **changes))
    for site_id in set(given_sites) - {p.site_id for p in base.sites}:
        problems.append(f"sites.{site_id}: unknown site{did_you_mean(site_id, [p.site_id for p in base.sites])}")
    if problems:
        raise ConfigError(f"calibration file {path}: " + "; ".join(problems) + ". Fix these entries and retry.")
    settings = dataclasses.replace(base, **rates, sites=tuple(sites), **overrides)
    settings.validate()
    return settings


def source_statuses(path: Path = DEFAULTS_FILE) -> dict[str, str]:
    """``{"rates.p_typo": "unverified", "sites.fbs.weight": ...}`` for reports that flag unverified figures."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    out = {f"rates.{k}": v.get("source_status", "unverified") for k, v in data.get("rates", {}).items()}
    for site_id, fields in data.get("sites", {}).items():
        out.update({f"sites.{site_id}.{k}": v.get("source_status", "unverified") for k, v in fields.items()})
    return out
