"""A tiny hand-built extract drop in the documented layout (values generated, nothing personal).

Names are placeholder tokens (``FN0001``), NHS numbers come from the 999 test range with valid
check digits, UPNs carry correct check letters. Every row is valid unless a test breaks it.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

from warehouse.adapters import ADAPTERS
from warehouse.identifiers import nhs_check_digit, upn_check_letter
from warehouse.measures import get_measure
from warehouse.sites import SITES

EXTRACT_DATE = date(2025, 3, 31)


def nhs_number(i: int) -> str:
    n = 0
    while True:
        body = f"999{(i * 7919 + n) % 1_000_000:06d}"
        check = nhs_check_digit(body)
        if check is not None:
            return body + str(check)
        n += 1


def upn(la: str, i: int) -> str:
    body = f"{la}{1000 + i % 9000:04d}22{i % 1000:03d}"
    return upn_check_letter(body) + body


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8",
               delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _cin_xml(la: str, children: list[dict[str, str]]) -> str:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>', "<Message>", "<Header><CollectionDetails><Collection>CIN"
        "</Collection><Year>2025</Year><ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails>"
        f"<Source><SourceLevel>L</SourceLevel><LEA>{la}</LEA></Source></Header>", "<Children>",
    ]
    for c in children:
        ids = f"<LAchildID>{c['id']}</LAchildID>"
        if c.get("upn"):
            ids += f"<UPN>{c['upn']}</UPN>"
        if c.get("dob"):
            ids += f"<PersonBirthDate>{c['dob']}</PersonBirthDate>"
        else:
            ids += f"<ExpectedPersonBirthDate>{c['edd']}</ExpectedPersonBirthDate>"
        ids += f"<Sex>{c['sex']}</Sex>"
        parts.append(
            f"<Child><ChildIdentifiers>{ids}</ChildIdentifiers>"
            f"<ChildCharacteristics><Ethnicity>{c['eth']}</Ethnicity></ChildCharacteristics>"
            f"<CINdetails><CINreferralDate>{c['ref']}</CINreferralDate><ReferralSource>6</ReferralSource>"
            "<PrimaryNeedCode>N1</PrimaryNeedCode>"
            f"<Assessments><AssessmentActualStartDate>{c['ref']}</AssessmentActualStartDate>"
            f"<AssessmentAuthorisationDate>{c['ref']}</AssessmentAuthorisationDate>"
            "<FactorsIdentifiedAtAssessment><AssessmentFactors>3B</AssessmentFactors>"
            "<AssessmentFactors>4B</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>"
            f"<Section47><S47ActualStartDate>{c['ref']}</S47ActualStartDate><ICPCnotRequired>false"
            "</ICPCnotRequired></Section47><ReferralNFA>false</ReferralNFA>"
            f"<ChildProtectionPlans><CPPstartDate>{c['ref']}</CPPstartDate><InitialCategoryOfAbuse>EMO"
            "</InitialCategoryOfAbuse><LatestCategoryOfAbuse>EMO</LatestCategoryOfAbuse>"
            "<NumberOfPreviousCPP>0</NumberOfPreviousCPP></ChildProtectionPlans>"
            "</CINdetails></Child>"
        )
    parts += ["</Children>", "</Message>"]
    return "\n".join(parts)


def write_drop(root: Path, per_la: int = 4, sites: tuple[str, ...] | None = None) -> dict[str, int]:
    """Write a valid drop to ``root`` (all sites, or only ``sites``); return expected counts per table."""
    root.mkdir(parents=True, exist_ok=True)
    counts = {"la_children": 0, "cin": 0, "lac": 0, "people": 0, "site_children": 0, "outcomes": 0, "truth": 0}
    files: list[dict[str, object]] = []
    truth: list[list[str]] = []
    k = 0
    for site in SITES.values():
        if sites is not None and site.site_id not in sites:
            continue
        adapter = ADAPTERS[site.site_id]
        layout = adapter.people
        people_rows: list[list[str]] = []
        outcome_ids: list[str] = []
        for la in site.la_codes:
            idents, cin, header903, eps = [], [], [], []
            for j in range(per_la):
                k += 1
                cid = f"C{la}{j:04d}"
                born = j != per_la - 1  # the last child per LA is unborn
                dob = date(2018, 1, 1) + timedelta(days=97 * k) if born else None
                edd = None if born else EXTRACT_DATE + timedelta(days=60)
                ref = (dob or EXTRACT_DATE - timedelta(days=30)) + timedelta(days=200) if born else EXTRACT_DATE - \
                    timedelta(days=30)
                ref = min(ref, EXTRACT_DATE - timedelta(days=1))
                sex = "MF"[k % 2] if born else "U"
                eth = ("WBRI", "APKN", "BCRB", "MWBC")[k % 4]
                idents.append([cid, f"FN{k:04d}", f"SN{k:04d}", dob.isoformat() if dob else "",
                               edd.isoformat() if edd else "", sex, f"ZZ{k % 9} 9ZZ", nhs_number(k),
                               upn(la if la in ("919", "890", "380", "208", "209", "213", "207") else "380", k)
                               if born else "", "", eth])
                cin.append({"id": cid, "upn": idents[-1][8], "dob": idents[-1][3], "edd": idents[-1][4],
                            "sex": sex, "eth": eth, "ref": ref.isoformat()})
                if born and j == 0:
                    header903.append([cid, sex, dob.strftime("%d/%m/%Y"), eth, idents[-1][8], "0", ""])
                    start = max(ref, dob + timedelta(days=1))
                    eps.append([cid, start.strftime("%d/%m/%Y"), "S", "C2", "N1", "U4", "PR1", "", "", "", "", "", ""])
                    counts["lac"] += 1
                counts["la_children"] += 1
                counts["cin"] += 1
                # the site works with this child and one parent
                rid = f"{site.site_id.upper()}{k:05d}"
                fam = f"F{k:05d}"
                canon = {
                    "record_id": rid, "family_id": fam, "role": "child", "forename": f"FN{k:04d}",
                    "surname": f"SN{k:04d}", "dob": dob.strftime(layout.date_format) if dob else "",
                    "expected_dob": edd.strftime(layout.date_format) if edd else "", "sex": sex,
                    "postcode": f"ZZ{k % 9} 9ZZ", "nhs_number": nhs_number(k) if born else "", "ethnicity": eth,
                    "referral_date": ref.strftime(layout.date_format), "referral_source": "csc", "la_code": la,
                    "end_date": "", "end_reason": "",
                }
                parent = dict(canon, record_id=f"{rid}P", role="victim_parent", forename=f"FP{k:04d}",
                              dob=date(1990, 5, 1).strftime(layout.date_format), expected_dob="", sex="F",
                              nhs_number=nhs_number(k + 5000))
                for person in (canon, parent):
                    row = [layout.to_site_value(f, v) for f, v in person.items()]
                    row += ["" for _ in layout.extra_columns]
                    people_rows.append(row)
                    counts["people"] += 1
                counts["site_children"] += 1
                outcome_ids.append(parent["record_id"])
                truth.append([site.site_id, rid, la, cid])
            d = root / "la" / la
            _write_csv(d / "identifiers.csv", ["LAchildID", "Forename", "Surname", "PersonBirthDate",
                                               "ExpectedPersonBirthDate", "Sex", "Postcode", "NHSNumber", "UPN",
                                               "FormerUPN", "Ethnicity"], idents)
            (d / "cin_census.xml").write_text(_cin_xml(la, cin), encoding="utf-8")
            _write_csv(d / "ssda903" / "header.csv", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
                       header903)
            _write_csv(d / "ssda903" / "episodes.csv",
                       ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                        "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"], eps)
        header = list(layout.columns.values()) + list(layout.extra_columns)
        _write_csv(root / "sites" / site.site_id / layout.filename, header, people_rows,
                   encoding=layout.encoding, delimiter=layout.delimiter)
        out = adapter.outcomes
        labels = {v: k2 for k2, v in out.timepoint_labels.items()}
        for code in out.measures:
            m = get_measure(code)
            rows = []
            for i, rid in enumerate(outcome_ids):
                for tp in ("baseline", "followup"):
                    items = [str(m.item_values[(i + n) % len(m.item_values)]) for n in range(m.n_items)]
                    if i == 0 and tp == "followup":
                        items[0] = ""  # one missing item
                    rows.append([rid, labels[tp], EXTRACT_DATE.strftime(layout.date_format), *items])
                    counts["outcomes"] += 1
            _write_csv(root / "sites" / site.site_id / out.filename(code),
                       [out.id_column, out.timepoint_column, out.date_column,
                        *[f"{out.item_prefix}{n}" for n in range(1, m.n_items + 1)]],
                       rows, encoding=layout.encoding, delimiter=layout.delimiter)
    _write_csv(root / "truth" / "links.csv", ["site_id", "site_record_id", "la_code", "la_child_id"], truth)
    counts["truth"] = len(truth)
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "manifest.json":
            files.append({"path": p.relative_to(root).as_posix(),
                          "sha256": hashlib.sha256(p.read_bytes()).hexdigest(), "kind": "x", "rows": 0})
    manifest = {"generator": "tests", "generator_version": "0", "seed": 0, "children": counts["la_children"],
                "extract_date": EXTRACT_DATE.isoformat(), "census_year": 2025, "rates": {}, "counts": counts,
                "files": files}
    (root / "manifest.json").write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
    return counts
