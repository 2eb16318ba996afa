"""The calibration table: each figure the world is built to follow, recomputed from the written files.

``calibration_table(drop, settings)`` reads a drop the way an outside checker would (the LA
identifier extracts, the CIN census XML, each site's own files and outcome questionnaires, never
the generator's arrays) and returns one :class:`Figure` per calibrated quantity: what it is, the
target and where it comes from, the tolerance, the generated value, and whether the source is
verified. A tolerance is the source's own range where it gives one (the DA factor's 48-52%),
widened to three standard errors of the generated count when the world is too small for the
range (families cluster children, so family-level figures use a design effect of 2).

``linkready synth --report`` prints the table and ``--json FILE`` writes it.
"""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from synthetic_data import reference as ref
from synthetic_data.ethnicity import cin_ethnicity_distribution, wbri_odds_factor
from synthetic_data.settings import WorldSettings
from warehouse.adapters import get_adapter
from warehouse.drop import CIN_CENSUS, LA_IDENTIFIERS
from warehouse.measures import MeasureSettings, get_measure
from warehouse.sites import LOCAL_AUTHORITIES, SITES

__all__ = ["Figure", "calibration_table", "render_table", "write_json"]

DA_CODES = ("3A", "3B", "3C")
_ASSESSMENT = re.compile(r"<Assessments>(.*?)</Assessments>", re.S)
_FACTOR = re.compile(r"<AssessmentFactors>([^<]*)</AssessmentFactors>")


@dataclass(frozen=True)
class Figure:
    """One calibrated figure: target, tolerance (``low``-``high``), the generated value and its basis."""

    figure: str
    unit: str  # "share", "per 1,000", "a year", "per family", "points"
    target: float
    low: float
    high: float
    generated: float | None
    n: int  # what the generated value was counted over
    source: str
    verified: bool

    @property
    def inside(self) -> bool:
        """Whether the generated value lies inside the tolerance."""
        return self.generated is not None and self.low <= self.generated <= self.high

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "inside_tolerance": self.inside, "basis": "measured from the drop's files"}


def _share_band(target: float, n: int, declared: tuple[float, float] | None = None, deff: float = 1.0
                ) -> tuple[float, float]:
    """The declared range, or target ± 3 standard errors at ``n`` (design effect ``deff``), whichever is wider."""
    half = 3 * math.sqrt(max(target * (1 - target), 1e-9) * deff / max(n, 1))
    lo, hi = declared if declared is not None else (target, target)
    return max(0.0, min(lo, target - half)), min(1.0, max(hi, target + half))


# ------------------------------------------------------------------------------ reading the drop


def _read_table(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> pl.DataFrame:
    text = path.read_bytes().decode(encoding).lstrip("\ufeff")
    df = pl.read_csv(io.BytesIO(text.encode("utf-8")), separator=delimiter, infer_schema=False)
    return df.with_columns(pl.all().fill_null(""))


def _la_children(drop: Path) -> pl.DataFrame:
    frames = [_read_table(drop / "la" / code / LA_IDENTIFIERS).with_columns(pl.lit(code).alias("la_code"))
              for code in sorted(LOCAL_AUTHORITIES) if (drop / "la" / code / LA_IDENTIFIERS).is_file()]
    return pl.concat(frames)


def _site_people(drop: Path, site_id: str) -> pl.DataFrame:
    """A site's people file in canonical column names and values."""
    lay = get_adapter(site_id).people
    df = _read_table(drop / "sites" / site_id / lay.filename, lay.encoding, lay.delimiter)
    df = df.select([pl.col(col).alias(canon) for canon, col in lay.columns.items()])
    for canon, mapping in lay.value_maps.items():
        df = df.with_columns(pl.col(canon).replace(mapping))
    return df.with_columns(pl.col("referral_date").str.to_date(lay.date_format, strict=False))


# ------------------------------------------------------------------------------ LA figures


def _age_figures(la: pl.DataFrame, reference: date) -> list[Figure]:
    unborn = (la["PersonBirthDate"] == "") & (la["ExpectedPersonBirthDate"] != "")
    dob = la["PersonBirthDate"].str.to_date("%Y-%m-%d", strict=False)
    age = ((pl.lit(reference) - dob).dt.total_days() / 365.25).alias("age")
    years = la.select(age)["age"].to_numpy()
    n = la.height
    under5 = float((unborn.to_numpy() | (np.nan_to_num(years, nan=99) < 5)).sum()) / n
    ten15 = float(((years >= 10) & (years < 16)).sum()) / n
    share_unborn = float(unborn.sum()) / n
    out = []
    for name, gen, target, src in (
        ("Unborn children among children in need", share_unborn, 0.018,
         "C§3.5: 6,860 of 389,260 CIN unborn (2020), derived from verified DfE A4 counts"),
        ("Children in need under 5 (unborn included)", under5, 0.236,
         "C§3.5: 23.6% under 5 (2015-16), verified (DfE release summary)"),
        ("Children in need aged 10-15", ten15, 0.306, "C§3.5: 30.6% aged 10-15 (2015-16), verified"),
    ):
        lo, hi = _share_band(target, n, deff=1.5)
        out.append(Figure(name, "share", target, lo, hi, gen, n, src, True))
    return out


def _sex_figure(la: pl.DataFrame) -> Figure:
    born = la.filter(pl.col("PersonBirthDate") != "")
    n = born.height
    target = ref.CIN_SEX[0] / sum(ref.CIN_SEX)
    lo, hi = _share_band(target, n)
    return Figure("Boys among born children in need", "share", target, lo, hi,
                  float((born["Sex"] == "M").sum()) / max(n, 1), n,
                  "C§3.5: 209,430 male of 382,390 born CIN (2020), derived from verified DfE A4 counts", True)


def _twin_figure(la: pl.DataFrame, settings: WorldSettings) -> Figure:
    """Multiple maternities per 1,000: children of one household (surname, postcode) born the same day.

    The source counts every multiple maternity (twins are 98.2% of them, C§7.1); the generator
    draws each multiple birth as twins, so the label names the target's scope.
    """
    born = la.filter(pl.col("PersonBirthDate") != "")
    births = born.group_by(["Surname", "Postcode", "PersonBirthDate"]).len()
    n = births.height
    twins = int((births["len"] >= 2).sum())
    p = settings.p_multiple_birth
    lo, hi = _share_band(p, n)
    return Figure("Twin maternities per 1,000 maternities (target: all multiple maternities; each drawn as twins)",
                  "per 1,000", p * 1000, lo * 1000, hi * 1000, twins / max(n, 1) * 1000, n,
                  "C§7.1: 14.6 multiple maternities per 1,000 women giving birth (2022), verified (Statista "
                  "description of ONS); twins alone about 14.3 (14.6 x 0.982, derived)", True)


def _ethnicity_figures(la: pl.DataFrame, settings: WorldSettings) -> list[Figure]:
    out = []
    checks = [(code, "WBRI", "White British") for code in sorted(LOCAL_AUTHORITIES)] + [("380", "APKN", "Pakistani")]
    for code, eth, label in checks:
        rows = la.filter(pl.col("la_code") == code)
        n = rows.height
        if not n:
            continue
        target = cin_ethnicity_distribution(code, settings)[eth]
        lo, hi = _share_band(target, n, deff=2.0)
        anchor = wbri_odds_factor(code)[1]
        own = anchor == code
        # the target is the generator's own model, not a published CIN figure, and the C§2.4 group
        # columns it uses are an unverified mapping: never verified
        src = (f"target from the generator's own model: C§2.2 all-age shares; children fitted to "
               f"{LOCAL_AUTHORITIES[anchor].name}'s under-20 anchor (25% vs 39%, C§2.3)"
               f"{'' if own else ' (borrowed)'}; CIN rate by group C§2.4 (column mapping unverified)")
        out.append(Figure(f"{label} among children in need, {LOCAL_AUTHORITIES[code].name}", "share", target,
                          lo, hi, float((rows["Ethnicity"] == eth).sum()) / n, n, src, False))
    return out


def _da_figure(drop: Path, settings: WorldSettings) -> Figure:
    """Share of completed assessments (those with factors recorded) that have a DA factor, site families included.

    DfE records factors at the end of an assessment, and its published shares (C§3.4: 48.2% of
    "episodes with factors recorded") are over those; an assessment still in progress at the
    census has no factors, so counting it would understate the share (about 45-47% here).
    """
    total = da = 0
    for code in sorted(LOCAL_AUTHORITIES):
        path = drop / "la" / code / CIN_CENSUS
        if not path.is_file():
            continue
        for block in _ASSESSMENT.findall(path.read_text(encoding="utf-8")):
            factors = set(_FACTOR.findall(block))
            if factors:
                total += 1
                da += bool(factors & set(DA_CODES))
    target = settings.p_factor_domestic_abuse
    lo, hi = _share_band(target, total, declared=(0.48, 0.52))
    return Figure("Completed assessments with a domestic-abuse factor (all with factors recorded, site families "
                  "included)", "share", target, lo, hi, da / max(total, 1), total,
                  "C§3.4: 48.2% (2014-15, of episodes with factors recorded), 49.6% (2015-16), 51.1% (2017-18), "
                  "verified", True)


# ------------------------------------------------------------------------------ site figures


def _flow_figures(drop: Path, settings: WorldSettings, flow_scale: float) -> list[Figure]:
    out = []
    years = settings.referral_history_years
    for p in settings.sites:
        people = _site_people(drop, p.site_id)
        children = people.filter(pl.col("role") == "child")
        adults = people.filter(pl.col("role") != "child")
        families = people["family_id"].n_unique()
        count = {"family": families, "child": children.height, "adult": adults.height}[p.referral_unit]
        expected = p.referrals_per_year * years * flow_scale
        half = 3 * math.sqrt(expected * (1.0 if p.referral_unit == "family" else 2.0))
        name = SITES[p.site_id].name
        out.append(Figure(f"{name}: new {p.referral_unit} referrals a year", "a year",
                          p.referrals_per_year * flow_scale, (expected - half) / years, (expected + half) / years,
                          count / years, count, "C§11.4 placeholder volume (unverified)"
                          + ("" if flow_scale >= 1 else f"; scaled to {flow_scale:.0%} to fit the world"), False))
        if p.referral_unit == "family" and p.p_harm_parent > 0:
            target = 1 + p.p_harm_parent
            half = 3 * math.sqrt(p.p_harm_parent * (1 - p.p_harm_parent) / max(families, 1))
            out.append(Figure(f"{name}: parents per family", "per family", target, target - half, target + half,
                              adults.height / max(families, 1), families,
                              "1 + p_harm_parent (For Baby's Sake: about 1.5 a family, C§11.4; all placeholders)",
                              False))
    return out


def _scores(drop: Path, site_id: str, code: str) -> pl.DataFrame:
    """Each person's baseline and follow-up total, scored by the measure catalogue."""
    adapter = get_adapter(site_id)
    lay = adapter.outcomes
    m = get_measure(code).configured(MeasureSettings(), site_id)
    df = _read_table(drop / "sites" / site_id / lay.filename(code), adapter.people.encoding, adapter.people.delimiter)
    items = [f"{lay.item_prefix}{j}" for j in range(1, m.n_items + 1)]
    rows = df.select([lay.id_column, lay.timepoint_column, *items]).rows()
    totals = [(r[0], lay.timepoint_labels.get(r[1], r[1]),
               m.score([int(v) if v not in ("", None) else None for v in r[2:]])) for r in rows]
    return pl.DataFrame(totals, schema={"id": pl.Utf8, "timepoint": pl.Utf8, "total": pl.Float64}, orient="row")


def _outcome_figures(drop: Path, settings: WorldSettings) -> list[Figure]:
    """Mean change on each measure in its improving direction (the world is generated to improve)."""
    out = []
    for p in settings.sites:
        for code in get_adapter(p.site_id).outcomes.measures:
            m = get_measure(code)
            s = _scores(drop, p.site_id, code).drop_nulls("total")
            wide = s.filter(pl.col("timepoint") == "baseline").join(
                s.filter(pl.col("timepoint") == "followup"), on="id", suffix="_fu")
            n = wide.height
            change = (wide["total_fu"] - wide["total"]).to_numpy()
            better = -change if m.higher_is_worse else change
            gen = float(better.mean()) if n else None
            # a handful of pairs per site: only a clear deterioration (beyond 3 standard errors) is out
            se = float(better.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
            out.append(Figure(f"{SITES[p.site_id].name}: {m.name} improvement (points, its own direction)",
                              "points", 0.0, min(0.0, -3 * se), math.inf, gen, n,
                              "design: families improve; scored with warehouse.measures (direction, reverse items)",
                              False))
    return out


def calibration_table(drop: Path, settings: WorldSettings) -> list[Figure]:
    """Every calibrated figure of the drop in ``drop``, recomputed from its files.

    ``settings`` are the ones the drop was generated with (the targets); the manifest supplies
    the reference date and whether the sites' flows were scaled down to fit a small world.
    """
    drop = Path(drop)
    manifest = json.loads((drop / "manifest.json").read_text(encoding="utf-8"))
    flow_scale = float(manifest.get("world_size", {}).get("site_flow_scale", 1.0))
    la = _la_children(drop)
    return [
        *_flow_figures(drop, settings, flow_scale),
        _twin_figure(la, settings),
        *_age_figures(la, date.fromisoformat(manifest["reference_date"])),
        _sex_figure(la),
        _da_figure(drop, settings),
        *_ethnicity_figures(la, settings),
        *_outcome_figures(drop, settings),
    ]


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "none"
    if math.isinf(value):
        return "no limit"
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def render_table(figures: list[Figure]) -> str:
    """The table as aligned text, one figure a line, with a closing count of figures outside tolerance."""
    head = ("Figure", "Target", "Tolerance", "Generated", "n", "Verified", "In tolerance", "Source")
    rows = [(f.figure, _fmt(f.target, f.unit), f"{_fmt(f.low, f.unit)} to {_fmt(f.high, f.unit)}",
             _fmt(f.generated, f.unit), f"{f.n:,}", "yes" if f.verified else "no", "yes" if f.inside else "NO",
             f.source) for f in figures]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1] for r in [head, *rows]]
    outside = [f.figure for f in figures if not f.inside]
    lines.append(f"{len(figures) - len(outside)} of {len(figures)} figures inside their tolerance"
                 + (f"; outside: {'; '.join(outside)}" if outside else ""))
    return "\n".join(lines)


def write_json(figures: list[Figure], path: Path) -> None:
    """Write the table as JSON (a list of figures; infinity written as null)."""
    def clean(d: dict[str, object]) -> dict[str, object]:
        return {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in d.items()}

    Path(path).write_text(json.dumps([clean(f.as_dict()) for f in figures], indent=2) + "\n", encoding="utf-8")
