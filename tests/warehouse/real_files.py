"""Builders of LA files in the shapes real case systems export (not our generator's shapes).

Values are generated tokens (``C0001``), never personal; UPNs carry correct check letters unless a
test breaks one. Each builder returns what it wrote, so tests can check the values that come out.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from warehouse.identifiers import upn_check_letter


def upn(la: str, i: int) -> str:
    body = f"{la}{1000 + i % 9000:04d}22{i % 1000:03d}"
    return upn_check_letter(body) + body


@dataclass
class CinChild:
    """One CIN child with one episode (a referral, an assessment, and optionally a plan)."""

    child_id: str
    dob: str | None
    sex: str = "F"
    ethnicity: str = "WBRI"
    upn: str | None = None
    referral: str = "2024-06-03"
    source: str = "1A"
    need: str = "N1"
    factors: tuple[str, ...] = ("3B",)
    cpp_start: str | None = None
    extra_details: list[str] = field(default_factory=list)


def children(la: str, n: int, year: int = 2025) -> list[CinChild]:
    start = date(year - 1, 5, 1)
    out = []
    for i in range(1, n + 1):
        ref = start + timedelta(days=7 * i)
        out.append(CinChild(f"C{la}{i:04d}", (date(2015, 1, 1) + timedelta(days=40 * i)).isoformat(),
                            sex="MF"[i % 2], ethnicity=("WBRI", "APKN", "BCRB")[i % 3], upn=upn(la, i),
                            referral=ref.isoformat(), source=("1A", "5A", "3B")[i % 3]))
    return out


def _el(prefix: str, name: str, value: str | None) -> str:
    return "" if value is None else f"<{prefix}{name}>{value}</{prefix}{name}>"


def _child_xml(c: CinChild, p: str) -> str:
    ids = _el(p, "LAchildID", c.child_id) + _el(p, "UPN", c.upn) + _el(p, "PersonBirthDate", c.dob)
    ids += _el(p, "Sex", c.sex)
    factors = "".join(_el(p, "AssessmentFactors", f) for f in c.factors)
    assess = (f"<{p}Assessments>" + _el(p, "AssessmentActualStartDate", c.referral)
              + _el(p, "AssessmentAuthorisationDate", c.referral)
              + f"<{p}FactorsIdentifiedAtAssessment>{factors}</{p}FactorsIdentifiedAtAssessment></{p}Assessments>")
    cpp = "" if c.cpp_start is None else (
        f"<{p}ChildProtectionPlans>" + _el(p, "CPPstartDate", c.cpp_start) + _el(p, "InitialCategoryOfAbuse", "EMO")
        + _el(p, "LatestCategoryOfAbuse", "EMO") + _el(p, "NumberOfPreviousCPP", "0") + f"</{p}ChildProtectionPlans>")
    details = (f"<{p}CINdetails>" + _el(p, "CINreferralDate", c.referral) + _el(p, "ReferralSource", c.source)
               + _el(p, "PrimaryNeedCode", c.need) + assess + _el(p, "ReferralNFA", "false") + cpp
               + f"</{p}CINdetails>")
    return (f"<{p}Child><{p}ChildIdentifiers>{ids}</{p}ChildIdentifiers><{p}ChildCharacteristics>"
            f"{_el(p, 'Ethnicity', c.ethnicity)}</{p}ChildCharacteristics>{details}{''.join(c.extra_details)}</{p}Child>")


def cin_xml(la: str | None, kids: list[CinChild], *, year: int = 2025, namespace: str | None = None,
            prefix: str | None = None, encoding: str = "utf-8", comment: str = "") -> str:
    """A CIN census document; ``namespace`` as the default namespace, or bound to ``prefix``."""
    p = f"{prefix}:" if prefix else ""
    ns = ""
    if namespace:
        ns = f' xmlns:{prefix}="{namespace}"' if prefix else f' xmlns="{namespace}"'
    lea = _el(p, "LEA", la)
    header = (f"<{p}Header><{p}CollectionDetails>{_el(p, 'Collection', 'CIN')}{_el(p, 'Year', str(year))}"
              f"{_el(p, 'ReferenceDate', f'{year}-03-31')}</{p}CollectionDetails><{p}Source>"
              f"{_el(p, 'SourceLevel', 'L')}{lea}</{p}Source></{p}Header>")
    decl = f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding else '<?xml version="1.0"?>\n'
    body = "".join(_child_xml(c, p) for c in kids)
    return f"{decl}<!--{comment}--><{p}Message{ns}>{header}<{p}Children>{body}</{p}Children></{p}Message>\n"


def write_cin(path: Path, text: str, codec: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(codec))
    return path


HEADER_COLUMNS = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODE_COLUMNS = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                   "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def ssda903(folder: Path, la: str, n: int, *, iso: bool = False, lower_headers: bool = False) -> tuple[Path, Path]:
    """An SSDA903 header and episodes table for ``n`` children (one open episode each)."""
    fmt = "%Y-%m-%d" if iso else "%d/%m/%Y"
    hdr, eps = [], []
    for i in range(1, n + 1):
        child = f"L{la}{i:04d}"
        dob = date(2012, 1, 1) + timedelta(days=50 * i)
        hdr.append([child, "MF"[i % 2], dob.strftime(fmt), "WBRI", upn(la, i), "", ""])
        eps.append([child, (date(2024, 5, 1) + timedelta(days=i)).strftime(fmt), "S", "C2", "N1", "U1", "PR1",
                    "", "", "", "", "", ""])
    h_cols = [c.lower() for c in HEADER_COLUMNS] if lower_headers else HEADER_COLUMNS
    e_cols = [c.lower() for c in EPISODE_COLUMNS] if lower_headers else EPISODE_COLUMNS
    return (write_csv(folder / "header.csv", h_cols, hdr), write_csv(folder / "episodes.csv", e_cols, eps))
