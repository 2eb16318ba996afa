"""Typed linkage settings, parsed from TOML at the edge and passed as one frozen object inside."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from warehouse.disclosure import DEFAULT_POLICY, DisclosurePolicy
from warehouse.errors import ConfigError, did_you_mean
from warehouse.scenarios import SCENARIOS
from warehouse.sites import SITE_IDS

#: Every registered identifier-sharing scenario (the catalogue's one home is ``warehouse.scenarios``)
#: whose encoding this package runs: in clear or as keyed hashes.
SCENARIO_NAMES: tuple[str, ...] = tuple(
    s.name for s in SCENARIOS.values() if s.encoding in ("clear", "keyed_hash", "bloom_filter")
)


@dataclass(frozen=True)
class LinkageSettings:
    """How a linkage run scores, decides and reports.

    Args:
        threshold: match probability at or above which a pair is a link.
        review_low: lower edge of the clerical-review band (records whose best candidate's
            probability lies in ``[review_low, review_high)`` need a human look).
        review_high: upper edge of the clerical-review band.
        em_iterations: maximum EM iterations per training session.
        u_sample_pairs: random record pairs drawn to estimate u probabilities.
        tf_adjust: apply term-frequency adjustment to exact name agreements.
        seed: seed for the random pairs and review samples.
        scenarios: which identifier-sharing scenarios ``run_feasibility`` runs.
        store_pairs_min_probability: scored pairs below this probability are not stored
            (links are always stored).
        suppress_below: counts under this are suppressed in site-facing output (the policy itself,
            symbol and legend, is :data:`warehouse.disclosure.DEFAULT_POLICY`; see
            :attr:`disclosure_policy`).
        train_on_labels: with clerical labels, re-score pairs with a classifier trained on them
            (supervised mode); by default labels only measure.
        max_pairs_per_record: a blocking rule that would produce more than this many pairs per
            record is tightened (sex, postcode area ... added) or dropped.
        known_share_by_site: (site, share) pairs: the share of a site's children it expects to be
            known to the LA's children's social care (``[linkage.known_share_by_site]`` in TOML,
            e.g. ``fbs = 0.85``). Without truth, it is shown as the expected known share and,
            where too few children were referred by CSC to anchor recall, recall is estimated
            against it (expected true links / (share x children)).

    Example:
        >>> LinkageSettings(threshold=0.9).threshold
        0.9
    """

    threshold: float = 0.5
    review_low: float = 0.1
    review_high: float = 0.9
    em_iterations: int = 40
    u_sample_pairs: int = 100_000
    tf_adjust: bool = True
    seed: int = 42
    scenarios: tuple[str, ...] = SCENARIO_NAMES
    store_pairs_min_probability: float = 0.05
    suppress_below: int = DEFAULT_POLICY.suppress_max + 1
    max_pairs_per_record: float = 3.0
    train_on_labels: bool = False
    known_share_by_site: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        problems = []
        for name in ("threshold", "review_low", "review_high", "store_pairs_min_probability"):
            v = getattr(self, name)
            if not 0.0 <= float(v) <= 1.0:
                problems.append(f"{name}={v!r} is not a probability in [0, 1]")
        if self.review_low > self.review_high:
            problems.append(f"review_low={self.review_low} is above review_high={self.review_high}")
        if self.em_iterations < 1:
            problems.append(f"em_iterations={self.em_iterations} must be at least 1")
        if self.max_pairs_per_record <= 0:
            problems.append(f"max_pairs_per_record={self.max_pairs_per_record} must be positive")
        if self.u_sample_pairs < 1000:
            problems.append(f"u_sample_pairs={self.u_sample_pairs} must be at least 1000")
        for site, share in self.known_share_by_site:
            if site not in SITE_IDS:
                problems.append(f"known_share_by_site: unknown site {site!r}; allowed: {', '.join(SITE_IDS)}"
                                f"{did_you_mean(site, SITE_IDS)}")
            if not 0.0 < float(share) <= 1.0:
                problems.append(f"known_share_by_site: {site} = {share!r} is not a share in (0, 1]")
        for s in self.scenarios:
            if s not in SCENARIOS:
                allowed = SCENARIOS.names()
                problems.append(f"unknown scenario {s!r}; allowed: {', '.join(allowed)}{did_you_mean(s, allowed)}")
        if problems:
            raise ConfigError("invalid linkage settings: " + "; ".join(problems))

    def known_share(self, site: str) -> float | None:
        """The site's expected share of children known to CSC (None when not given)."""
        return next((float(v) for k, v in self.known_share_by_site if k == site), None)

    @property
    def disclosure_policy(self) -> DisclosurePolicy:
        """The study's disclosure policy with this run's threshold."""
        return replace(DEFAULT_POLICY, suppress_max=self.suppress_below - 1)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready form (stored with each linkage run)."""
        out: dict[str, object] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = [list(x) if isinstance(x, tuple) else x for x in v] if isinstance(v, tuple) else v
        return out


_ALLOWED = {f.name for f in fields(LinkageSettings)}


def settings_from_mapping(data: dict[str, object], base: LinkageSettings | None = None) -> LinkageSettings:
    """Build settings from a parsed TOML/JSON table, reporting every unknown key at once."""
    base = base or LinkageSettings()
    table = data.get("linkage", data)
    if not isinstance(table, dict):
        raise ConfigError("the [linkage] section must be a table of settings")
    unknown = [k for k in table if k not in _ALLOWED and k != "columns"]
    if unknown:
        raise ConfigError(
            "unknown linkage setting(s): "
            + ", ".join(f"{k!r}{did_you_mean(k, _ALLOWED)}" for k in unknown)
            + f"; allowed: {', '.join(sorted(_ALLOWED))}"
        )
    kwargs: dict[str, object] = {}
    for k, v in table.items():
        if k == "columns":
            continue
        if isinstance(v, dict):  # a TOML table of per-site values
            kwargs[k] = tuple(sorted((str(a), b) for a, b in v.items()))
        else:
            kwargs[k] = tuple(v) if isinstance(v, list) else v
    try:
        return replace(base, **kwargs)  # type: ignore[arg-type]
    except TypeError as exc:
        raise ConfigError(f"invalid linkage settings: {exc}") from None


def load_settings(path: Path) -> tuple[LinkageSettings, dict[str, str]]:
    """Read ``linkage.toml``: a ``[linkage]`` table of settings and an optional ``[linkage.columns]``
    table mapping roles (forename, surname, dob, sex, postcode, nhs_number) to column names.

    Returns the settings and the column mapping.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; give an existing linkage.toml") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    table = data.get("linkage", data)
    columns = table.get("columns", {}) if isinstance(table, dict) else {}
    if not isinstance(columns, dict):
        raise ConfigError("[linkage.columns] must map roles to column names")
    return settings_from_mapping(data), {str(k): str(v) for k, v in columns.items()}
