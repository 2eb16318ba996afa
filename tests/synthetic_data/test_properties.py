"""Property tests on a clean seeded drop: identifiers, code lists, date rules, formats, XSD validity."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from tests.synthetic_data.readers import (
    cin_children,
    cin_schema,
    read_csv,
    read_dicts,
    read_site_outcomes,
    read_site_people,
)
from warehouse.adapters import ADAPTERS, get_adapter
from warehouse.identifiers import VALID_UPN_LA_CODES, nhs_number_is_valid, upn_is_valid
from warehouse.measures import get_measure
from warehouse.sites import LOCAL_AUTHORITIES, SITES

XSD = Path("/work/shared/reference/schemas/cin-census-2024.xsd")
ETHNICITY = {"WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH",
             "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT"}
EXTRACT = date(2025, 3, 31)
CENSUS_START = date(2024, 4, 1)
POSTCODE = re.compile(r"^([A-Z]{1,2}\d{1,2}) \d[ABDEFGHJLNPQRSTUWXYZ]{2}$")


def iso(s: str) -> date | None:
    return date.fromisoformat(s) if s else None


def dmy(s: str) -> date | None:
    return datetime.strptime(s, "%d/%m/%Y").date() if s else None


def test_manifest_lists_every_file_with_hash(clean_drop) -> None:
    root, manifest = clean_drop
    kinds = {f["kind"] for f in manifest["files"]}
    assert kinds == {"cin_census", "ssda903_header", "ssda903_episodes", "la_identifiers", "site_people",
                     "site_outcomes", "truth_links"}
    for f in manifest["files"]:
        assert (root / f["path"]).is_file()
    assert manifest["extract_date"] == "2025-03-31"
    assert set(manifest["rates"]) >= {"p_factor_domestic_abuse", "p_refuge_move", "p_typo", "sites"}
    assert manifest["counts"]["children"] == 6000


@pytest.mark.parametrize("la", sorted(LOCAL_AUTHORITIES))
def test_la_identifiers(clean_drop, la: str) -> None:
    root, _ = clean_drop
    rows = read_dicts(root / "la" / la / "identifiers.csv")
    assert rows
    ids = [r["LAchildID"] for r in rows]
    assert len(ids) == len(set(ids))
    nhs = [r["NHSNumber"] for r in rows if r["NHSNumber"]]
    assert len(nhs) == len(set(nhs))
    upns = [r["UPN"] for r in rows if r["UPN"]]
    assert len(upns) == len(set(upns))
    la_obj = LOCAL_AUTHORITIES[la]
    districts = set(la_obj.core_districts) | set(la_obj.shared_districts)
    for r in rows:
        if r["NHSNumber"]:
            assert nhs_number_is_valid(r["NHSNumber"]) and r["NHSNumber"].startswith("999")
        for col in ("UPN", "FormerUPN"):
            if r[col]:
                assert upn_is_valid(r[col], VALID_UPN_LA_CODES) and r[col][1:4] == la
        assert r["Sex"] in {"M", "F", "U"}
        assert r["Ethnicity"] in ETHNICITY
        m = POSTCODE.match(r["Postcode"])
        assert m and m.group(1) in districts
        assert bool(r["PersonBirthDate"]) != bool(r["ExpectedPersonBirthDate"])
        if r["PersonBirthDate"]:
            assert iso(r["PersonBirthDate"]) <= EXTRACT
        else:
            assert r["Sex"] == "U" and not r["NHSNumber"] and not r["UPN"] and not r["Forename"]
            assert date(2025, 4, 1) <= iso(r["ExpectedPersonBirthDate"]) <= date(2025, 12, 31)
        assert (r["Forename"] + r["Surname"]).isascii()


def test_cin_xml_valid_against_xsd(clean_drop) -> None:
    root, manifest = clean_drop
    schema = cin_schema(manifest["census_year"])
    for la in LOCAL_AUTHORITIES:
        ok = schema.validate(etree.parse(str(root / "la" / la / "cin_census.xml")))
        assert ok, f"{la}: {schema.error_log.last_error}"


@pytest.mark.parametrize("la", sorted(LOCAL_AUTHORITIES))
def test_cin_date_rules(clean_drop, la: str) -> None:
    root, _ = clean_drop
    kids = cin_children(root / "la" / la / "cin_census.xml")
    ids = [r["LAchildID"] for r in read_dicts(root / "la" / la / "identifiers.csv")]
    assert [k.findtext("ChildIdentifiers/LAchildID") for k in kids] == ids  # same order as identifiers.csv
    for child in kids:
        dob = iso(child.findtext("ChildIdentifiers/PersonBirthDate") or "")
        edd = iso(child.findtext("ChildIdentifiers/ExpectedPersonBirthDate") or "")
        assert (dob is None) != (edd is None)
        upn = child.findtext("ChildIdentifiers/UPN")
        if upn:
            assert upn_is_valid(upn, {la}) and child.find("ChildIdentifiers/UPNunknown") is None
        for d in child.iter("CINdetails"):
            ref = iso(d.findtext("CINreferralDate"))
            assert ref <= EXTRACT
            birth = dob or edd
            assert (birth - ref).days <= 280  # rule 8606
            close = iso(d.findtext("CINclosureDate") or "")
            assert (close is None) == (d.find("ReasonForClosure") is None)
            nfa = d.findtext("ReferralNFA") == "true"
            if not nfa:
                assert d.findtext("PrimaryNeedCode")
                if dob:
                    assert child.find("ChildCharacteristics/Disabilities") is not None  # rule 8540
            dates = [ref]
            for a in d.iter("Assessments"):
                s = iso(a.findtext("AssessmentActualStartDate"))
                assert s >= ref
                auth = iso(a.findtext("AssessmentAuthorisationDate") or "")
                factors = [f.text for f in a.iter("AssessmentFactors")]
                if auth:
                    assert auth >= s and factors
                    assert "21" not in factors or factors == ["21"]
                    assert len(factors) == len(set(factors))
                    dates.append(auth)
                else:
                    assert not factors
                dates.append(s)
            cpps = list(d.iter("ChildProtectionPlans"))
            plans = list(d.iter("CINPlanDates"))
            assert not (cpps and plans)
            for p in cpps:
                start = iso(p.findtext("CPPstartDate"))
                icpc = d.findtext("Section47/DateOfInitialCPC")  # absent when the enquiry was before the year
                assert (icpc is None and start < date(2024, 4, 1)) or start == iso(icpc)
                assert start.weekday() < 5
                assert d.find("DateOfInitialCPC") is None  # recorded once, on the enquiry (DfE rule 2884)
                end = iso(p.findtext("CPPendDate") or "")
                assert end is None or end > start
                for r in p.iter("CPPreviewDate"):
                    assert start < iso(r.text) <= EXTRACT
                    dates.append(iso(r.text))
                dates += [start] + ([end] if end else [])
                assert int(p.findtext("NumberOfPreviousCPP")) >= 1
            for s47 in d.iter("Section47"):
                assert iso(s47.findtext("S47ActualStartDate")) >= ref
                assert iso(s47.findtext("InitialCPCtarget")) <= EXTRACT
            for p in plans:
                ps = iso(p.findtext("CINPlanStartDate"))
                pe = iso(p.findtext("CINPlanEndDate") or "")
                assert pe is None or pe > ps
                dates += [ps] + ([pe] if pe else [])
            assert max(dates) <= EXTRACT
            if close:
                assert CENSUS_START <= close <= EXTRACT and close >= max(dates)
            else:
                assert not nfa


@pytest.mark.parametrize("la", sorted(LOCAL_AUTHORITIES))
def test_ssda903_rules(clean_drop, la: str) -> None:
    root, _ = clean_drop
    header = read_dicts(root / "la" / la / "ssda903" / "header.csv")
    episodes = read_dicts(root / "la" / la / "ssda903" / "episodes.csv")
    ids = {r["LAchildID"] for r in read_dicts(root / "la" / la / "identifiers.csv")}
    dobs = {}
    for h in header:
        assert h["CHILD"] in ids and h["SEX"] in {"M", "F"} and h["ETHNIC"] in ETHNICITY
        assert upn_is_valid(h["UPN"], {la}) or h["UPN"] in {"UN1", "UN2", "UN3", "UN4", "UN5"}
        assert h["MOTHER"] in ({"0", "1"} if h["SEX"] == "F" else {""})
        assert bool(h["MC_DOB"]) == (h["MOTHER"] == "1")
        dobs[h["CHILD"]] = dmy(h["DOB"])
    by_child: dict[str, list[dict[str, str]]] = {}
    for e in episodes:
        by_child.setdefault(e["CHILD"], []).append(e)
    assert set(by_child) == set(dobs)
    for child, eps in by_child.items():
        eps.sort(key=lambda e: dmy(e["DECOM"]))
        assert eps[0]["RNE"] == "S"
        assert eps[-1]["REASON_PLACE_CHANGE"] == ""  # the reason sits on the episode the move ends (DfE 225)
        for a, b in zip(eps, eps[1:], strict=False):
            assert a["REC"] == "X1" and a["DEC"] == b["DECOM"] and b["RNE"] == "P" and a["REASON_PLACE_CHANGE"]
            assert a["PLACE"] != b["PLACE"]  # a "P" episode changes placement (DfE 435)
        for e in eps:
            start, end = dmy(e["DECOM"]), dmy(e["DEC"])
            assert dobs[child] <= start <= EXTRACT
            assert (start - dobs[child]).days < 18 * 365.25
            assert bool(e["DEC"]) == bool(e["REC"])
            assert end is None or (start < end <= EXTRACT)
            assert e["LS"] in {"C1", "C2", "V2", "E1"} and re.fullmatch(r"N[1-8]", e["CIN"])
            assert e["PLACE"] in {"U1", "U3", "U4", "U6", "K2", "K3", "P1"}
            assert (e["PLACE_PROVIDER"] == "PR0") == (e["PLACE"] == "P1")
            if e["PLACE"] == "K3":
                assert (start - dobs[child]).days >= 16 * 365.25 - 1
        assert all(e["DEC"] for e in eps[:-1])


@pytest.mark.parametrize("site_id", sorted(SITES))
def test_site_people_file(clean_drop, site_id: str) -> None:
    root, _ = clean_drop
    lay = get_adapter(site_id).people
    raw = (root / "sites" / site_id / lay.filename).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (lay.encoding == "utf-8-sig")
    raw.decode(lay.encoding)
    rows = read_site_people(root, site_id)
    c = lay.columns
    header, _ = read_csv(root / "sites" / site_id / lay.filename, lay.encoding, lay.delimiter)
    assert header == list(c.values()) + list(lay.extra_columns)
    ids = [r[c["record_id"]] for r in rows]
    assert len(ids) == len(set(ids))

    def canon(field: str, value: str) -> str:
        return lay.value_maps.get(field, {}).get(value, value)

    for r in rows:
        role = canon("role", r[c["role"]])
        assert role in {"child", "victim_parent", "harm_parent"}
        assert canon("sex", r[c["sex"]]) in {"M", "F", "U"}
        assert canon("ethnicity", r[c["ethnicity"]]) in ETHNICITY
        assert canon("referral_source", r[c["referral_source"]]) in {
            "csc", "self", "health", "police", "school", "voluntary", "other"}
        assert r[c["la_code"]] in SITES[site_id].la_codes
        if r[c["nhs_number"]]:
            assert nhs_number_is_valid(r[c["nhs_number"]])
        parse = (lambda s: datetime.strptime(s, lay.date_format).date() if s else None)  # noqa: E731
        referral = parse(r[c["referral_date"]])
        assert referral and referral <= EXTRACT
        end = parse(r[c["end_date"]])
        assert bool(r[c["end_date"]]) == bool(r[c["end_reason"]])
        assert end is None or referral <= end <= EXTRACT
        dob, edd = parse(r[c["dob"]]), parse(r[c["expected_dob"]])
        if role == "child":
            assert (dob is None) != (edd is None)
            if dob:
                assert dob <= EXTRACT and (dob - referral).days <= 280
            else:
                assert r[c["forename"]] == "Baby" and canon("sex", r[c["sex"]]) == "U"
        else:
            assert dob and edd is None and (referral - dob).days > 15 * 365


@pytest.mark.parametrize("site_id", sorted(SITES))
def test_site_outcomes(clean_drop, site_id: str) -> None:
    root, _ = clean_drop
    a = get_adapter(site_id)
    people = {r[a.people.columns["record_id"]] for r in read_site_people(root, site_id)}
    for code in a.outcomes.measures:
        m = get_measure(code)
        header, rows = read_site_outcomes(root, site_id, code)
        assert header[:3] == [a.outcomes.id_column, a.outcomes.timepoint_column, a.outcomes.date_column]
        assert header[3:] == [f"{a.outcomes.item_prefix}{j}" for j in range(1, m.n_items + 1)]
        assert rows, f"{site_id}/{code} has no rows"
        keys = [(r[0], r[1]) for r in rows]
        assert len(keys) == len(set(keys))
        fu = {r[0] for r in rows if a.outcomes.timepoint_labels[r[1]] == "followup"}
        base = {r[0] for r in rows if a.outcomes.timepoint_labels[r[1]] == "baseline"}
        assert fu <= base and len(fu) < len(base)  # attrition
        for r in rows:
            assert r[0] in people
            assert datetime.strptime(r[2], a.people.date_format).date() <= EXTRACT
            for v in r[3:]:
                assert v == "" or int(v) in m.item_values


def test_truth_links_point_at_real_records(clean_drop) -> None:
    root, _ = clean_drop
    links = read_dicts(root / "truth" / "links.csv")
    assert links
    la_ids = {la: {r["LAchildID"] for r in read_dicts(root / "la" / la / "identifiers.csv")}
              for la in LOCAL_AUTHORITIES}
    site_ids = {s: {r[ADAPTERS[s].people.columns["record_id"]] for r in read_site_people(root, s)} for s in SITES}
    for link in links:
        assert link["la_child_id"] in la_ids[link["la_code"]]
        assert link["site_record_id"] in site_ids[link["site_id"]]
        assert link["la_code"] in SITES[link["site_id"]].la_codes
    assert len({(x["site_id"], x["site_record_id"]) for x in links}) == len(links)
