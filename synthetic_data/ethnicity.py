"""Ethnicity of each LA's children in need, fitted to each LA's anchor (calibration §2).

Two steps, each tied to a figure:

1. *Child population*: the LA's all-age Census shares (§2.2) with the odds of White British
   multiplied by a factor fitted to the LA's own child anchor (Lambeth: 25% of under-20s White
   British against 39% at all ages, §2.3, verified). LAs without an anchor of their own take the
   factor fitted to Lambeth's (unverified for them). Other groups keep their all-age proportions.
2. *Children in need*: each DfE major group weighted by its relative CIN rate (share among CIN
   2020 over share among under-18s, §2.3-2.4): Asian children are in need less often, Black and
   Mixed children more often. Then ``p_ethnicity_not_known`` goes to REFU / NOBT.
"""

from __future__ import annotations

from synthetic_data import reference as ref
from synthetic_data.settings import WorldSettings
from warehouse.vocabulary import ethnic_group

__all__ = ["child_population_ethnicity", "cin_ethnicity_distribution", "wbri_odds_factor"]


def _odds(p: float) -> float:
    return p / (1.0 - p)


def _all_age_shares(la_code: str) -> dict[str, float]:
    base = ref.LA_ETHNICITY[la_code]
    total = sum(base.values())
    return {k: v / total for k, v in base.items()}


def wbri_odds_factor(la_code: str) -> tuple[float, str]:
    """The factor on the odds of White British for children, and which anchor it was fitted to."""
    if la_code in ref.LA_CHILD_WBRI_ANCHOR:
        child, _ = ref.LA_CHILD_WBRI_ANCHOR[la_code]
        return _odds(child) / _odds(_all_age_shares(la_code)["WBRI"]), la_code
    anchor_la, (child, all_ages) = next(iter(ref.LA_CHILD_WBRI_ANCHOR.items()))
    return _odds(child) / _odds(all_ages), anchor_la


def child_population_ethnicity(la_code: str) -> dict[str, float]:
    """Shares of the LA's child population by CIN ethnicity code (known ethnicity only; sums to 1)."""
    shares = _all_age_shares(la_code)
    wbri = shares["WBRI"]
    factor, _ = wbri_odds_factor(la_code)
    odds = _odds(wbri) * factor
    child_wbri = odds / (1.0 + odds)
    rest = (1.0 - child_wbri) / (1.0 - wbri)
    return {k: (child_wbri if k == "WBRI" else v * rest) for k, v in shares.items()}


def cin_ethnicity_distribution(la_code: str, settings: WorldSettings) -> dict[str, float]:
    """Shares of the LA's children in need by code, REFU / NOBT included (sums to 1)."""
    weighted = {k: v * ref.CIN_RATE_RATIO_BY_GROUP[ethnic_group(k)]
                for k, v in child_population_ethnicity(la_code).items()}
    total = sum(weighted.values())
    known = 1.0 - settings.p_ethnicity_not_known
    out = {k: v / total * known for k, v in weighted.items()}
    out["REFU"] = settings.p_ethnicity_not_known * 0.4
    out["NOBT"] = settings.p_ethnicity_not_known * 0.6
    return out
