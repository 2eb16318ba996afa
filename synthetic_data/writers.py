"""Writers: the true world and the site records as files in their real formats.

Every writer returns a table of rows (a polars DataFrame of strings, or a list of XML child
fragments) before it is serialised, so the defect injector can alter rows in one place and the
manifest can count them. Dates are formatted once per column with polars.
"""

from __future__ import annotations

import io

import numpy as np
import polars as pl

from synthetic_data.csc import CinEpisodes, ClaEpisodes
from synthetic_data.dates import YEAR, day, fmt_dates
from synthetic_data.population import World
from synthetic_data.settings import WorldSettings
from synthetic_data.site_records import SiteRecords
from synthetic_data.xmlfrag import concat, date_series, el, str_series, wrap
from warehouse.adapters import get_adapter
from warehouse.drop import LA_IDENTIFIER_COLUMNS, TRUTH_LINK_COLUMNS

SSDA903_HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
SSDA903_EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                           "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")
GENDER_CURRENT = {"M": "1", "F": "2", "U": "0"}


def _s(v: object) -> str:
    return "" if v is None else str(v)


# ------------------------------------------------------------------------------ LA files


def la_children_order(world: World, cin: CinEpisodes, la_code: str) -> np.ndarray:
    """Positions in ``cin`` of this LA's children, sorted by LAchildID (the row order of every LA file)."""
    K, F = world.children, world.families
    pos = np.flatnonzero(F.la_code[K.family[cin.child]] == la_code)
    return pos[np.argsort(K.la_child_num[cin.child[pos]], kind="stable")]


def la_nhs(world: World, rng_mask: np.ndarray) -> np.ndarray:
    """NHS numbers as the LA case system holds them (``rng_mask`` = missing)."""
    return np.where(rng_mask, None, world.children.nhs)


def identifier_rows(world: World, cin: CinEpisodes, order: np.ndarray, nhs: np.ndarray) -> pl.DataFrame:
    """The LA identifier extract (``docs/extract-drop.md``), one row per LA child, ISO dates."""
    K, F = world.children, world.families
    c = cin.child[order]
    unborn = K.dob[c] < 0
    data = {
        "LAchildID": K.la_child_id[c].tolist(),
        "Forename": np.where(unborn, "", K.forename[c]).tolist(),
        "Surname": K.surname[c].tolist(),
        "PersonBirthDate": fmt_dates(K.dob[c], "%Y-%m-%d"),
        "ExpectedPersonBirthDate": fmt_dates(np.where(unborn, K.edd[c], -1), "%Y-%m-%d"),
        "Sex": K.sex[c].tolist(),
        "Postcode": F.postcode[K.family[c]].tolist(),
        "NHSNumber": _blank(nhs[c]).tolist(),
        "UPN": _blank(K.upn[c]).tolist(),
        "FormerUPN": _blank(K.former_upn[c]).tolist(),
        "Ethnicity": F.ethnicity[K.family[c]].tolist(),
    }
    return pl.DataFrame(data, schema={k: pl.Utf8 for k in LA_IDENTIFIER_COLUMNS})


def _blank(values: np.ndarray) -> np.ndarray:
    """Object array with ``None`` replaced by ``""``."""
    v = np.asarray(values, dtype=object)
    return np.where(v == None, "", v).astype(object)  # noqa: E711 (elementwise comparison)


def _el(tag: str, values: np.ndarray) -> np.ndarray:
    """``<tag>v</tag>`` for non-empty ``v``, else ``""``."""
    v = _blank(values)
    return np.where(v != "", f"<{tag}>" + v + f"</{tag}>", "").astype(object)


def cin_child_fragments(world: World, cin: CinEpisodes, order: np.ndarray) -> pl.Series:
    """One ``<Child>`` XML fragment per LA child (element order as the 2024 XSD requires), built with polars."""
    K, F = world.children, world.families
    c = cin.child[order]
    o = order
    dates = {name: date_series(name, getattr(cin, name)[o]) for name in (
        "referral", "closure", "assess_start", "assess_auth", "plan_start", "plan_end", "s47_start", "s47_target",
        "icpc", "cpp_start", "cpp_end", "prev_referral", "prev_assess_start", "prev_assess_auth", "prev_closure")}
    idx = pl.Series(o)
    df = pl.DataFrame({
        "id": str_series("id", K.la_child_id[c]), "upn": str_series("upn", K.upn[c]),
        "former": str_series("former", K.former_upn[c]), "unknown": str_series("unknown", K.upn_unknown[c]),
        "dob": date_series("dob", K.dob[c]), "edd": date_series("edd", np.where(K.dob[c] < 0, K.edd[c], -1)),
        "gender": pl.Series(np.where(K.sex[c] == "M", "1", np.where(K.sex[c] == "F", "2", "0")), dtype=pl.Utf8),
        "eth": pl.Series(F.ethnicity[K.family[c]], dtype=pl.Utf8),
        "dis": cin.disabilities_xml.gather(idx), "factors": cin.factors_xml.gather(idx),
        "reviews": cin.reviews_xml.gather(idx),
        "source": pl.Series(cin.source[o], dtype=pl.Utf8), "need": str_series("need", cin.need[o]),
        "reason": str_series("reason", cin.closure_reason[o]), "nfa": cin.nfa[o],
        "cpp_initial": pl.Series(cin.cpp_initial[o], dtype=pl.Utf8),
        "cpp_latest": pl.Series(cin.cpp_latest[o], dtype=pl.Utf8),
        "cpp_previous": pl.Series(cin.cpp_previous[o], dtype=pl.Utf8),
        "prev_source": pl.Series(cin.prev_source[o], dtype=pl.Utf8), "prev_need": str_series("pn", cin.prev_need[o]),
        "prev_reason": str_series("pr", cin.prev_reason[o]),
        **dates,
    })
    col = pl.col
    assess = pl.when(col("assess_start").is_not_null()).then(concat([
        pl.lit("<Assessments>"), el("AssessmentActualStartDate", col("assess_start")),
        el("AssessmentAuthorisationDate", col("assess_auth")),
        pl.when(col("assess_auth").is_not_null()).then(wrap("FactorsIdentifiedAtAssessment", col("factors"))),
        pl.lit("</Assessments>")]))
    plan = pl.when(col("plan_start").is_not_null()).then(concat([
        pl.lit("<CINPlanDates>"), el("CINPlanStartDate", col("plan_start")), el("CINPlanEndDate", col("plan_end")),
        pl.lit("</CINPlanDates>")]))
    s47 = pl.when(col("s47_start").is_not_null()).then(concat([
        pl.lit("<Section47>"), el("S47ActualStartDate", col("s47_start")), el("InitialCPCtarget", col("s47_target")),
        el("DateOfInitialCPC", col("icpc")), pl.lit("<ICPCnotRequired>false</ICPCnotRequired></Section47>")]))
    cpp = pl.when(col("cpp_start").is_not_null()).then(concat([
        pl.lit("<ChildProtectionPlans>"), el("CPPstartDate", col("cpp_start")), el("CPPendDate", col("cpp_end")),
        el("InitialCategoryOfAbuse", col("cpp_initial")), el("LatestCategoryOfAbuse", col("cpp_latest")),
        el("NumberOfPreviousCPP", col("cpp_previous")), wrap("Reviews", col("reviews")),
        pl.lit("</ChildProtectionPlans>")]))
    # an earlier closed episode (referral, assessment with "no factors", closure) comes first
    previous = pl.when(col("prev_referral").is_not_null()).then(concat([
        pl.lit("<CINdetails>"), el("CINreferralDate", col("prev_referral")), el("ReferralSource", col("prev_source")),
        el("PrimaryNeedCode", col("prev_need")), el("CINclosureDate", col("prev_closure")),
        el("ReasonForClosure", col("prev_reason")), pl.lit("<Assessments>"),
        el("AssessmentActualStartDate", col("prev_assess_start")),
        el("AssessmentAuthorisationDate", col("prev_assess_auth")),
        pl.lit("<FactorsIdentifiedAtAssessment><AssessmentFactors>21</AssessmentFactors>"
               "</FactorsIdentifiedAtAssessment></Assessments><ReferralNFA>false</ReferralNFA></CINdetails>")]))
    frag = concat([
        pl.lit("<Child><ChildIdentifiers>"), el("LAchildID", col("id")), el("UPN", col("upn")),
        el("FormerUPN", col("former")), el("UPNunknown", col("unknown")), el("PersonBirthDate", col("dob")),
        el("ExpectedPersonBirthDate", col("edd")), el("GenderCurrent", col("gender")),
        pl.lit("</ChildIdentifiers><ChildCharacteristics>"), el("Ethnicity", col("eth")),
        wrap("Disabilities", col("dis")), pl.lit("</ChildCharacteristics>"), previous,
        pl.lit("<CINdetails>"),
        el("CINreferralDate", col("referral")), el("ReferralSource", col("source")),
        el("PrimaryNeedCode", col("need")), el("CINclosureDate", col("closure")),
        pl.when(col("closure").is_not_null()).then(el("ReasonForClosure", col("reason"))),
        el("DateOfInitialCPC", col("icpc")), assess, plan, s47,
        pl.when(col("nfa")).then(pl.lit("<ReferralNFA>true</ReferralNFA>"))
        .otherwise(pl.lit("<ReferralNFA>false</ReferralNFA>")),
        cpp, pl.lit("</CINdetails></Child>"),
    ])
    # two halves collected together: polars renders them in parallel (same strings, same order)
    h = (df.height + 1) // 2
    halves = pl.collect_all([df.slice(0, h).lazy().select(frag.alias("x")),
                             df.slice(h).lazy().select(frag.alias("x"))])
    return pl.concat([half.to_series() for half in halves], rechunk=True)


def cin_xml(la_code: str, s: WorldSettings, fragments: pl.Series | list[str]) -> bytes:
    """The whole CIN census XML document for one LA (one ``Child`` per line), as UTF-8 bytes."""
    header = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message><Header><CollectionDetails><Collection>CIN</Collection>'
        f"<Year>{s.census_year}</Year><ReferenceDate>{s.reference_date.isoformat()}</ReferenceDate>"
        "</CollectionDetails><Source><SourceLevel>L</SourceLevel>"
        f"<LEA>{la_code}</LEA><SoftwareCode>linkready-synth</SoftwareCode><Release>1</Release>"
        f"<SerialNo>001</SerialNo><DateTime>{s.reference_date.isoformat()}T00:00:00</DateTime></Source>"
        "</Header>\n<Children>\n"
    )
    series = fragments if isinstance(fragments, pl.Series) else pl.Series("x", fragments, dtype=pl.Utf8)
    buf = io.BytesIO()
    buf.write(header.encode("utf-8"))
    pl.DataFrame({"x": series}).write_csv(buf, include_header=False, quote_style="never", line_terminator="\n")
    buf.write(b"</Children>\n</Message>\n")
    return buf.getvalue()


def ssda903_rows(world: World, cin: CinEpisodes, cla: ClaEpisodes, order: np.ndarray,
                 rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SSDA903 header and episodes tables for one LA (DD/MM/YYYY dates, sex M/F)."""
    K, F = world.children, world.families
    R = day(world.settings.reference_date)
    la_children = cin.child[order]
    in_la = np.isin(cla.child, la_children)
    ep_idx = np.flatnonzero(in_la)
    # rows in LAchildID order (the number part sorts like the id within one LA), episodes by start date
    ep_idx = ep_idx[np.lexsort((cla.decom[ep_idx], K.la_child_num[cla.child[ep_idx]]))]
    ep_children = cla.child[ep_idx]
    first = np.ones(len(ep_children), dtype=bool)
    first[1:] = ep_children[1:] != ep_children[:-1]
    kids = ep_children[first].astype(np.int64)
    female = K.sex[kids] == "F"
    age = (R - K.dob[kids]) / YEAR
    mother = female & (age >= 14) & (rng.random(len(kids)) < 0.05)
    mc_lo = K.dob[kids] + int(14 * YEAR)
    mc_dob = np.where(mother, mc_lo + (rng.random(len(kids)) * np.maximum(R - mc_lo, 0)).astype(np.int64), -1)
    upn = np.where(K.upn[kids] == None, K.upn_unknown[kids], K.upn[kids]).tolist()  # noqa: E711
    header = pl.DataFrame({
        "CHILD": K.la_child_id[kids].tolist(),
        "SEX": K.sex[kids].tolist(),
        "DOB": fmt_dates(K.dob[kids], "%d/%m/%Y"),
        "ETHNIC": F.ethnicity[K.family[kids]].tolist(),
        "UPN": upn,
        "MOTHER": np.where(female, np.where(mother, "1", "0"), "").tolist(),
        "MC_DOB": fmt_dates(mc_dob, "%d/%m/%Y"),
    }, schema={k: pl.Utf8 for k in SSDA903_HEADER_COLUMNS})
    e = ep_idx
    episodes = pl.DataFrame({
        "CHILD": K.la_child_id[cla.child[e]].tolist(),
        "DECOM": fmt_dates(cla.decom[e], "%d/%m/%Y"),
        "RNE": cla.rne[e].tolist(), "LS": cla.ls[e].tolist(), "CIN": cla.cin[e].tolist(),
        "PLACE": cla.place[e].tolist(), "PLACE_PROVIDER": cla.provider[e].tolist(),
        "DEC": fmt_dates(cla.dec[e], "%d/%m/%Y"), "REC": cla.rec[e].tolist(),
        "REASON_PLACE_CHANGE": cla.reason_change[e].tolist(), "HOME_POST": cla.home_post[e].tolist(),
        "PL_POST": cla.pl_post[e].tolist(), "URN": cla.urn[e].tolist(),
    }, schema={k: pl.Utf8 for k in SSDA903_EPISODE_COLUMNS})
    return header, episodes


# ------------------------------------------------------------------------------ site files


def site_people_rows(site_id: str, records: SiteRecords) -> pl.DataFrame:
    """A site's people file in its own column names, labels and date format (all strings)."""
    adapter = get_adapter(site_id)
    lay = adapter.people
    df = records.people.filter(pl.col("site_id") == site_id)
    out: dict[str, list[str]] = {}
    for canon, col in lay.columns.items():
        if canon in ("dob", "expected_dob", "referral_date", "end_date"):
            out[col] = fmt_dates(df[canon].to_numpy(), lay.date_format)
        elif canon in ("role", "sex", "referral_source", "end_reason", "ethnicity"):
            vals = df[canon].to_list()
            labels = {v: lay.to_site_value(canon, v) if v else "" for v in set(vals)}
            out[col] = [labels[v] for v in vals]
        else:
            out[col] = df[canon].cast(pl.Utf8).fill_null("").to_list()
    if "Birth_Weight_g" in lay.extra_columns:
        out["Birth_Weight_g"] = [str(v) if v >= 0 else "" for v in df["birth_weight"].to_list()]
    if "Gestation_Weeks" in lay.extra_columns:
        out["Gestation_Weeks"] = [str(v) if v >= 0 else "" for v in df["gestation"].to_list()]
    return pl.DataFrame(out, schema={k: pl.Utf8 for k in out})


def site_outcome_rows(site_id: str, measure: str, records: SiteRecords) -> pl.DataFrame:
    """One outcome file (item level) in the site's layout."""
    adapter = get_adapter(site_id)
    lay = adapter.outcomes
    fmt = adapter.people.date_format
    df = records.outcomes[(site_id, measure)]
    label = {v: k for k, v in lay.timepoint_labels.items()}
    out: dict[str, list[str]] = {
        lay.id_column: df["record_id"].to_list(),
        lay.timepoint_column: [label[t] for t in df["timepoint"].to_list()],
        lay.date_column: fmt_dates(df["date"].to_numpy(), fmt),
    }
    item_cols = [c for c in df.columns if c.startswith("item")]
    for j, c in enumerate(item_cols, start=1):
        out[f"{lay.item_prefix}{j}"] = df[c].cast(pl.Utf8).fill_null("").to_list()
    return pl.DataFrame(out, schema={k: pl.Utf8 for k in out})


def truth_link_rows(records: SiteRecords) -> pl.DataFrame:
    return records.links.select(list(TRUTH_LINK_COLUMNS))


def csv_bytes(df: pl.DataFrame, delimiter: str = ",", encoding: str = "utf-8",
              short_rows: set[int] | None = None) -> bytes:
    """Serialise a string table as CSV bytes in the given encoding (``utf-8-sig`` adds a BOM).

    ``short_rows`` (0-based data rows whose last cell is empty) lose their final delimiter, so the
    line has one field fewer than the header (a shifted-columns defect).
    """
    blanked = df.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in df.columns)
    if not short_rows and encoding in ("utf-8", "utf-8-sig"):
        buf = io.BytesIO()
        if encoding == "utf-8-sig":
            buf.write(b"\xef\xbb\xbf")
        blanked.write_csv(buf, separator=delimiter, quote_style="necessary", line_terminator="\n")
        return buf.getvalue()
    text = blanked.write_csv(separator=delimiter, quote_style="necessary", line_terminator="\n")
    if short_rows:
        lines = text.split("\n")
        for r in short_rows:
            if lines[r + 1].endswith(delimiter):
                lines[r + 1] = lines[r + 1][: -len(delimiter)]
        text = "\n".join(lines)
    return text.encode(encoding)
