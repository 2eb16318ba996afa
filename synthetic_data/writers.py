"""Writers: the true world and the site records as files in their real formats.

Every writer returns a table of rows (a polars DataFrame of strings, or a list of XML child
fragments) before it is serialised, so the defect injector can alter rows in one place and the
manifest can count them. Dates are formatted once per column with polars.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import polars as pl

from synthetic_data.csc import CinEpisodes, ClaEpisodes
from synthetic_data.dates import YEAR, date_series, day
from synthetic_data.names import group_index
from synthetic_data.population import World
from synthetic_data.settings import WorldSettings
from synthetic_data.site_records import SiteRecords
from synthetic_data.xmlfrag import RowSubset, XmlRows
from warehouse.adapters import get_adapter
from warehouse.drop import LA_IDENTIFIER_COLUMNS, TRUTH_LINK_COLUMNS
from warehouse.sites import LOCAL_AUTHORITIES

SSDA903_HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
SSDA903_EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                           "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")
FIRST_SEX_YEAR = 2025  # the 2024-25 census replaced GenderCurrent (1/2/0) with Sex (M/F/U)


# ------------------------------------------------------------------------------ LA files


def la_children_orders(world: World, cin: CinEpisodes) -> dict[str, np.ndarray]:
    """For each LA, positions in ``cin`` of its children sorted by LAchildID (the row order of every LA file)."""
    K, F = world.children, world.families
    rows = dict(group_index(F.la_code[K.family[cin.child]]))
    empty = np.zeros(0, dtype=np.int64)
    return {code: _by_la_child_id(world, cin, rows.get(code, empty)) for code in sorted(LOCAL_AUTHORITIES)}


def _by_la_child_id(world: World, cin: CinEpisodes, pos: np.ndarray) -> np.ndarray:
    return pos[np.argsort(world.children.la_child_num[cin.child[pos]], kind="stable")]


def identifier_rows(world: World, cin: CinEpisodes, order: np.ndarray, nhs: np.ndarray) -> pl.DataFrame:
    """The LA identifier extract (``docs/extract-drop.md``), one row per LA child, ISO dates."""
    K, F = world.children, world.families
    c = cin.child[order]
    unborn = K.dob[c] < 0
    data = {
        "LAchildID": K.la_child_id[c].tolist(),
        "Forename": np.where(unborn, "", K.forename[c]).tolist(),
        "Surname": K.surname[c].tolist(),
        "PersonBirthDate": date_series("PersonBirthDate", K.dob[c], "%Y-%m-%d"),
        "ExpectedPersonBirthDate": date_series("ExpectedPersonBirthDate", np.where(unborn, K.edd[c], -1), "%Y-%m-%d"),
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


def cin_child_rows(world: World, cin: CinEpisodes) -> XmlRows:
    """One ``<Child>`` XML fragment per CIN episode, each ending in a newline (element order as the 2024
    XSD requires), prepared to be rendered for any subset of rows."""
    order = np.arange(len(cin.child))
    K, F = world.children, world.families
    c = cin.child[order]
    x = XmlRows(len(order))
    x.text("<Child><ChildIdentifiers>")
    x.value("LAchildID", K.la_child_id[c])
    x.value("UPN", K.upn[c])
    x.value("FormerUPN", K.former_upn[c])
    x.code("UPNunknown", K.upn_unknown[c])
    x.date("PersonBirthDate", K.dob[c])
    x.date("ExpectedPersonBirthDate", np.where(K.dob[c] < 0, K.edd[c], -1))
    sex = K.sex[c]
    codes = "MFU" if world.settings.census_year >= FIRST_SEX_YEAR else "120"
    tag = "Sex" if world.settings.census_year >= FIRST_SEX_YEAR else "GenderCurrent"
    x.choice([f"<{tag}>{g}</{tag}>" for g in codes], np.where(sex == "M", 0, np.where(sex == "F", 1, 2)))
    x.text("</ChildIdentifiers><ChildCharacteristics>")
    x.code("Ethnicity", F.ethnicity[K.family[c]])
    x.wrapped("Disabilities", _gather(cin.disabilities_xml, order))
    x.text("</ChildCharacteristics>")
    _previous_episode(x, cin, order)
    _current_episode(x, cin, order)
    x.text("</CINdetails></Child>\n")
    return x.prepare()


def _gather(s: pl.Series, order: np.ndarray) -> pl.Series:
    return s.gather(pl.Series(order))


def _previous_episode(x: XmlRows, cin: CinEpisodes, o: np.ndarray) -> None:
    """An earlier closed episode (referral, assessment with "no factors", closure), before the current one."""
    prev = cin.prev_referral[o] >= 0
    x.date("CINreferralDate", cin.prev_referral[o], before="<CINdetails>")
    x.code("ReferralSource", cin.prev_source[o], prev)
    x.code("PrimaryNeedCode", cin.prev_need[o], prev)
    x.date("CINclosureDate", cin.prev_closure[o], prev)
    x.code("ReasonForClosure", cin.prev_reason[o], prev)
    x.text("<Assessments>", prev)
    x.date("AssessmentActualStartDate", cin.prev_assess_start[o], prev)
    x.date("AssessmentAuthorisationDate", cin.prev_assess_auth[o], prev)
    x.text("<FactorsIdentifiedAtAssessment><AssessmentFactors>21</AssessmentFactors>"
           "</FactorsIdentifiedAtAssessment></Assessments><ReferralNFA>false</ReferralNFA></CINdetails>", prev)


def _current_episode(x: XmlRows, cin: CinEpisodes, o: np.ndarray) -> None:
    """The current ``CINdetails`` up to (not including) its closing tag."""
    x.text("<CINdetails>")
    x.date("CINreferralDate", cin.referral[o])
    x.code("ReferralSource", cin.source[o])
    x.code("PrimaryNeedCode", cin.need[o])
    closed = cin.closure[o] >= 0
    x.date("CINclosureDate", cin.closure[o])
    x.code("ReasonForClosure", cin.closure_reason[o], closed)
    # every conference here follows a section 47 enquiry, so it is recorded there only (DfE rule 2884)
    # only what the census year holds: activity that ended before the year began is not returned
    assessed = cin.assess_returned[o]
    x.date("AssessmentActualStartDate", np.where(assessed, cin.assess_start[o], -1), before="<Assessments>")
    x.date("AssessmentAuthorisationDate", cin.assess_auth[o], assessed)
    x.wrapped("FactorsIdentifiedAtAssessment", _gather(cin.factors_xml, o), assessed & (cin.assess_auth[o] >= 0))
    x.text("</Assessments>", assessed)
    plan = cin.plan_returned[o]
    x.date("CINPlanStartDate", np.where(plan, cin.plan_start[o], -1), before="<CINPlanDates>")
    x.date("CINPlanEndDate", cin.plan_end[o], plan)
    x.text("</CINPlanDates>", plan)
    s47 = cin.s47_returned[o]
    x.date("S47ActualStartDate", np.where(s47, cin.s47_start[o], -1), before="<Section47>")
    x.date("InitialCPCtarget", cin.s47_target[o], s47)
    x.date("DateOfInitialCPC", cin.icpc[o], s47)
    x.text("<ICPCnotRequired>false</ICPCnotRequired></Section47>", s47)
    x.choice(["<ReferralNFA>false</ReferralNFA>", "<ReferralNFA>true</ReferralNFA>"], cin.nfa[o].astype(np.int64))
    cpp = cin.cpp_returned[o]
    x.date("CPPstartDate", np.where(cpp, cin.cpp_start[o], -1), before="<ChildProtectionPlans>")
    x.date("CPPendDate", cin.cpp_end[o], cpp)
    x.code("InitialCategoryOfAbuse", cin.cpp_initial[o], cpp)
    x.code("LatestCategoryOfAbuse", cin.cpp_latest[o], cpp)
    x.code("NumberOfPreviousCPP", cin.cpp_previous[o], cpp)
    x.wrapped("Reviews", _gather(cin.reviews_xml, o), cpp)
    x.text("</ChildProtectionPlans>", cpp)


def write_cin_xml(path: Path, la_code: str, s: WorldSettings, fragments: pl.Series | list[str] | RowSubset) -> None:
    """Write the CIN census XML document for one LA (one ``Child`` per line) to ``path``.

    The fragments already end in a newline; polars writes them back to back between the header
    and the footer, straight to the file (no copy of the document in Python).
    """
    header = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message><Header><CollectionDetails><Collection>CIN</Collection>'
        f"<Year>{s.census_year}</Year><ReferenceDate>{s.reference_date.isoformat()}</ReferenceDate>"
        "</CollectionDetails><Source><SourceLevel>L</SourceLevel>"
        f"<LEA>{la_code}</LEA><SoftwareCode>linkready-synth</SoftwareCode><Release>1</Release>"
        f"<SerialNo>001</SerialNo><DateTime>{s.reference_date.isoformat()}T00:00:00</DateTime></Source>"
        "</Header>\n<Children>\n"
    )
    series = (fragments if isinstance(fragments, pl.Series) else fragments.render()
              if isinstance(fragments, RowSubset) else pl.Series("x", fragments, dtype=pl.Utf8))
    document = pl.concat([pl.Series("x", [header]), series.alias("x"), pl.Series("x", ["</Children>\n</Message>\n"])])
    pl.DataFrame({"x": document}).write_csv(path, include_header=False, quote_style="never", line_terminator="")


def _latest_ended(ep_children: np.ndarray, first: np.ndarray, dec: np.ndarray, R: int) -> np.ndarray:
    """Each child's latest episode end (``R`` when no episode has ended); rows grouped by child, ``first`` marks each."""
    group = np.cumsum(first) - 1
    latest = np.full(int(first.sum()), -1, dtype=np.int64)
    np.maximum.at(latest, group, np.where(dec >= 0, dec, -1))
    return np.where(latest >= 0, np.minimum(latest, R), R)


def ssda903_rows(world: World, cin: CinEpisodes, cla: ClaEpisodes, order: np.ndarray,
                 rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SSDA903 header and episodes tables for one LA (DD/MM/YYYY dates, sex M/F)."""
    K, F = world.children, world.families
    R = day(world.settings.reference_date)
    in_la = np.zeros(len(K), dtype=bool)
    in_la[cin.child[order]] = True
    ep_idx = np.flatnonzero(in_la[cla.child])
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
    mc_hi = _latest_ended(ep_children, first, cla.dec[ep_idx], R)  # not after her last ended episode (DfE 625)
    mother &= mc_hi >= mc_lo
    mc_dob = np.where(mother, mc_lo + (rng.random(len(kids)) * np.maximum(mc_hi - mc_lo, 0)).astype(np.int64), -1)
    upn = np.where(K.upn[kids] == None, K.upn_unknown[kids], K.upn[kids]).tolist()  # noqa: E711
    header = pl.DataFrame({
        "CHILD": K.la_child_id[kids].tolist(),
        "SEX": K.sex[kids].tolist(),
        "DOB": date_series("DOB", K.dob[kids], "%d/%m/%Y"),
        "ETHNIC": F.ethnicity[K.family[kids]].tolist(),
        "UPN": upn,
        "MOTHER": np.where(female, np.where(mother, "1", "0"), "").tolist(),
        "MC_DOB": date_series("MC_DOB", mc_dob, "%d/%m/%Y"),
    }, schema={k: pl.Utf8 for k in SSDA903_HEADER_COLUMNS})
    e = ep_idx
    episodes = pl.DataFrame({
        "CHILD": K.la_child_id[cla.child[e]].tolist(),
        "DECOM": date_series("DECOM", cla.decom[e], "%d/%m/%Y"),
        "RNE": cla.rne[e].tolist(), "LS": cla.ls[e].tolist(), "CIN": cla.cin[e].tolist(),
        "PLACE": cla.place[e].tolist(), "PLACE_PROVIDER": cla.provider[e].tolist(),
        "DEC": date_series("DEC", cla.dec[e], "%d/%m/%Y"), "REC": cla.rec[e].tolist(),
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
    out: dict[str, list[str] | pl.Series] = {}
    for canon, col in lay.columns.items():
        if canon in ("dob", "expected_dob", "referral_date", "end_date"):
            out[col] = date_series(col, df[canon].to_numpy(), lay.date_format)
        elif canon in ("role", "sex", "referral_source", "end_reason", "ethnicity"):
            vals = df[canon].to_list()
            labels = {v: lay.to_site_value(canon, v) if v else "" for v in set(vals)}
            out[col] = [labels[v] for v in vals]
        else:  # kept as a column: a null is written as an empty field, like ""
            out[col] = df[canon].cast(pl.Utf8).alias(col)
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
    # columns stay in polars (a null is written as an empty field, like "")
    out: dict[str, list[str] | pl.Series] = {
        lay.id_column: df["record_id"].alias(lay.id_column),
        lay.timepoint_column: df["timepoint"].replace_strict(label, return_dtype=pl.Utf8).alias(lay.timepoint_column),
        lay.date_column: date_series(lay.date_column, df["date"].to_numpy(), fmt),
    }
    item_cols = [c for c in df.columns if c.startswith("item")]
    for j, c in enumerate(item_cols, start=1):
        out[f"{lay.item_prefix}{j}"] = df[c].cast(pl.Utf8).alias(f"{lay.item_prefix}{j}")
    return pl.DataFrame(out, schema={k: pl.Utf8 for k in out})


def truth_link_rows(records: SiteRecords) -> pl.DataFrame:
    return records.links.select(list(TRUTH_LINK_COLUMNS))


def write_csv(path: Path, df: pl.DataFrame, delimiter: str = ",", encoding: str = "utf-8",
              short_rows: set[int] | None = None) -> None:
    """Write a string table as CSV to ``path`` (see :func:`csv_bytes`); UTF-8 goes straight from polars."""
    if not short_rows and encoding in ("utf-8", "utf-8-sig"):
        _blanked(df).write_csv(path, separator=delimiter, quote_style="necessary", line_terminator="\n",
                               include_bom=encoding == "utf-8-sig")
    else:
        path.write_bytes(csv_bytes(df, delimiter, encoding, short_rows))


def _blanked(df: pl.DataFrame) -> pl.DataFrame:
    """Empty strings as nulls, so they are written as empty fields (not ``""``)."""
    return df.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in df.columns)


def csv_bytes(df: pl.DataFrame, delimiter: str = ",", encoding: str = "utf-8",
              short_rows: set[int] | None = None) -> bytes:
    """Serialise a string table as CSV bytes in the given encoding (``utf-8-sig`` adds a BOM).

    ``short_rows`` (0-based data rows whose last cell is empty) lose their final delimiter, so the
    line has one field fewer than the header (a shifted-columns defect).
    """
    blanked = _blanked(df)
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
