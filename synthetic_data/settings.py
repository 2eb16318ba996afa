"""Typed settings for the synthetic world: every rate is a named, overridable field.

Defaults cite ``shared/reference/calibration.md`` (§ numbers in comments and in
``docs/synthetic-world.md``). Figures marked "unverified" there are kept as named defaults; the
manifest records every value used, so a run can always be reproduced and audited.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from warehouse.errors import ConfigError
from warehouse.sites import SITE_IDS

ReferralUnit = Literal["family", "child", "adult"]
REFERRAL_UNITS: tuple[str, ...] = ("family", "child", "adult")
Scale = Literal["children", "real"]
SCALES: tuple[str, ...] = ("children", "real")


@dataclass(frozen=True)
class SiteProfile:
    """How one intervention site's families look and how many arrive (calibration §9, §11.4).

    ``referrals_per_year`` new cases a year counted in ``referral_unit`` (families, children or
    adults) is the site's own flow: it does not change with the size of the world. People per
    family follow from the family draw: one victim-survivor parent, the parent causing harm with
    ``p_harm_parent`` (For Baby's Sake's 1.5 parents a family is ``p_harm_parent`` = 0.5), and the
    family's children in the site's age range.
    """

    site_id: str
    referrals_per_year: float  # new cases a year, in referral_unit (calibration §11.4 placeholders)
    referral_unit: str  # "family" | "child" | "adult"
    min_age_years: float  # child age at referral; negative = from pregnancy
    max_age_years: float
    p_unborn_at_referral: float  # share of index children referred before birth
    p_known_to_csc: float  # family also in the LA's CIN records
    p_referred_by_csc_given_known: float
    p_harm_parent: float  # the service also works with the parent causing harm
    p_nhs_missing_child: float
    p_nhs_missing_adult: float
    duration_days: int  # typical length of involvement
    followup_days: int  # baseline-to-follow-up interval for outcome measures
    p_victim_father: float = 0.05


DEFAULT_SITES: tuple[SiteProfile, ...] = (
    # fbs: 30 families a year, about 1.5 parents each; joins in pregnancy or the baby's first year and
    # stays until the baby is 2; ~79% referred by CSC (issue 3; calibration §9.2, §11.4)
    SiteProfile("fbs", 30.0, "family", -0.75, 1.0, 0.55, 0.85, 0.93, 0.5, 0.20, 0.30, 540, 270),
    # sat: 100 families a year, children 5-17 and their parents (calibration §11.4, all placeholders)
    SiteProfile("sat", 100.0, "family", 5.0, 17.9, 0.0, 0.70, 0.75, 0.25, 0.45, 0.60, 182, 150),
    # leap: 80 adults a year with a baby on the way or a child under 4; many not known to CSC
    SiteProfile("leap", 80.0, "adult", -0.75, 3.99, 0.30, 0.35, 0.60, 0.0, 0.55, 0.65, 365, 240),
    # coda: 30 children aged 7-11 a year (FReDA) with their mothers; self-referral allowed; 12-week groups
    SiteProfile("coda", 30.0, "child", 7.0, 11.99, 0.0, 0.50, 0.60, 0.03, 0.70, 0.80, 84, 84, 0.0),
)


@dataclass(frozen=True)
class WorldSettings:
    """Everything that shapes a synthetic world. Same settings and seed -> byte-identical files."""

    seed: int = 42
    children: int = 2000
    dirty: float = 0.0
    scale: str = "children"  # "children": LA populations sized by ``children``; "real": the LAs' CIN counts
    census_year: int = 2025  # CIN census year ending 31 March of this year
    # --- population -----------------------------------------------------------------------
    referral_history_years: float = 3.0  # years of site referrals in the extract (design)
    max_site_share: float = 0.5  # site families' largest share of the world; above it flows are scaled down
    p_factor_domestic_abuse: float = 0.50  # calibration §11.1 (48.2%-51.1%)
    da_factor_split: tuple[float, float, float] = (0.10, 0.80, 0.10)  # 3A/3B/3C, unverified §11.1
    p_factor_mental_health: float = 0.37  # calibration §11.1
    p_cpp_given_cin: float = 0.13  # calibration §3.2
    p_cla_given_cin: float = 0.21  # 70 / 332.9 per 10,000 (calibration §11.1), scaled per LA
    p_ethnicity_not_known: float = 0.04  # REFU/NOBT, calibration §2.4
    p_multiple_birth: float = 0.0146  # per maternity, calibration §7.1
    p_parents_share_surname: float = 0.55  # unverified placeholder
    p_child_has_mothers_surname: float = 0.25  # when the parents' surnames differ (unverified)
    p_upn_age5plus: float = 0.96  # school-age children with a UPN (csc-data-standards §3.1, unverified)
    p_upn_age3to4: float = 0.35  # nursery pupils in maintained schools (unverified)
    p_former_upn: float = 0.03
    p_la_nhs_missing: float = 0.04  # LA case-system records without an NHS number (unverified)
    p_second_cin_episode: float = 0.15  # an earlier closed episode in the same census year (unverified)
    # --- corruption of site records relative to the LA truth (calibration §11.3, standards §8.3) ---
    p_refuge_move: float = 0.12  # site holds a refuge/new postcode
    p_surname_change: float = 0.06  # victim parent and child changed surname after separation
    p_other_parent_surname: float = 0.05  # child recorded under the other parent's surname
    p_nickname: float = 0.04  # calibration §11.3: 3-5% of programme records
    p_name_variant: float = 0.25  # transliteration variant when the name has known variants
    name_variation_multiplier: float = 2.0  # South Asian and Black African names (calibration §11.3)
    p_typo: float = 0.03  # per name field
    p_name_order_swap: float = 0.01  # forename and surname swapped (x name_variation_multiplier), standards §8.3
    p_double_surname: float = 0.02  # child recorded with both parents' surnames hyphenated, standards §8.3
    p_dob_day_month_swap: float = 0.01
    p_dob_off_by_one: float = 0.015
    p_unborn_record_not_updated: float = 0.5  # "Baby <surname>" record kept after the birth
    # --- outcomes ---------------------------------------------------------------------------
    p_baseline: float = 0.85
    p_followup_completed: float = 0.90  # follow-up returned when the case completed
    p_followup_disengaged: float = 0.40
    p_followup_open: float = 0.70
    p_item_missing: float = 0.005
    sites: tuple[SiteProfile, ...] = field(default=DEFAULT_SITES)

    @property
    def reference_date(self) -> date:
        """CIN census reference date (31 March of the census year)."""
        return date(self.census_year, 3, 31)

    @property
    def census_start(self) -> date:
        return date(self.census_year - 1, 4, 1)

    @property
    def extract_date(self) -> date:
        """The data's "today": nothing but expected birth dates may be after it."""
        return self.reference_date

    def site(self, site_id: str) -> SiteProfile:
        for s in self.sites:
            if s.site_id == site_id:
                return s
        raise ConfigError(f"no profile for site {site_id!r}; profiles: {', '.join(s.site_id for s in self.sites)}")

    def validate(self) -> None:
        """Raise :class:`ConfigError` listing every invalid setting at once."""
        problems: list[str] = []
        if not 100 <= self.children <= 5_000_000:
            problems.append(f"children={self.children} (allowed 100 to 5,000,000)")
        if not 0.0 <= self.dirty <= 0.5:
            problems.append(f"dirty={self.dirty} (allowed 0.0 to 0.5)")
        if not 2015 <= self.census_year <= 2030:
            problems.append(f"census_year={self.census_year} (allowed 2015 to 2030)")
        for f in dataclasses.fields(self):
            if f.name.startswith("p_") or f.name == "max_site_share":
                v = getattr(self, f.name)
                if not 0.0 <= v <= 1.0:
                    problems.append(f"{f.name}={v} (a probability: allowed 0 to 1)")
        if self.scale not in SCALES:
            problems.append(f"scale={self.scale!r} (allowed: {', '.join(SCALES)})")
        if not 0.25 <= self.referral_history_years <= 10:
            problems.append(f"referral_history_years={self.referral_history_years} (allowed 0.25 to 10)")
        if abs(sum(self.da_factor_split) - 1.0) > 1e-6:
            problems.append(f"da_factor_split sums to {sum(self.da_factor_split)} (must sum to 1)")
        ids = [s.site_id for s in self.sites]
        if sorted(ids) != sorted(SITE_IDS):
            problems.append(f"sites={ids} (need exactly one profile for each of {', '.join(SITE_IDS)})")
        for s in self.sites:
            for name in ("p_unborn_at_referral", "p_known_to_csc", "p_referred_by_csc_given_known",
                         "p_harm_parent", "p_nhs_missing_child", "p_nhs_missing_adult", "p_victim_father"):
                v = getattr(s, name)
                if not 0.0 <= v <= 1.0:
                    problems.append(f"sites.{s.site_id}.{name}={v} (a probability: allowed 0 to 1)")
            if s.referral_unit not in REFERRAL_UNITS:
                problems.append(f"sites.{s.site_id}.referral_unit={s.referral_unit!r} "
                                f"(allowed: {', '.join(REFERRAL_UNITS)})")
            if not 0.0 < s.referrals_per_year <= 100_000:
                problems.append(f"sites.{s.site_id}.referrals_per_year={s.referrals_per_year} "
                                "(allowed above 0 up to 100,000)")
            if s.min_age_years >= s.max_age_years:
                problems.append(f"sites.{s.site_id}: min_age_years={s.min_age_years} is not below "
                                f"max_age_years={s.max_age_years}")
        if problems:
            raise ConfigError("invalid world settings: " + "; ".join(problems) + ". Fix these values and retry.")

    def rates(self) -> dict[str, Any]:
        """Every rate and setting except seed/children, as plain JSON-able values (for the manifest)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("seed", "children", "sites"):
                continue
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        out["sites"] = {s.site_id: {k: v for k, v in dataclasses.asdict(s).items() if k != "site_id"}
                        for s in self.sites}
        return out
