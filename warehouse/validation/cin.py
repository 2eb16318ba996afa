"""Flatten a CIN census XML file into tables (csc-data-standards §2.2), streamed.

``CINdetailsID``, ``AssessmentID`` and ``CPPID`` are not DfE items: like the data-to-insight
validator's ingress, they are per-child sequence numbers created here. Every table carries
``_row``, the 1-based index of the ``Child`` element the row came from.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

__all__ = ["CinTables", "flatten_cin"]

CHILD_FIELDS = (
    "LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate", "Sex",
    "GenderCurrent", "PersonDeathDate", "Ethnicity",
)
DETAIL_FIELDS = (
    "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure",
    "DateOfInitialCPC", "ReferralNFA",
)
ASSESSMENT_FIELDS = ("AssessmentActualStartDate", "AssessmentInternalReviewDate", "AssessmentAuthorisationDate")
PLAN_FIELDS = ("CINPlanStartDate", "CINPlanEndDate")
S47_FIELDS = ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired")
CPP_FIELDS = ("CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP")

MAX_ORIGINAL_CHARS = 100_000


@dataclass
class CinTables:
    """The flattened census: one frame per table, the header and any structural problem."""

    header: dict[str, str | None] = field(default_factory=dict)
    child: pl.DataFrame | None = None
    details: pl.DataFrame | None = None
    assessments: pl.DataFrame | None = None
    factors: pl.DataFrame | None = None
    plans: pl.DataFrame | None = None
    section47: pl.DataFrame | None = None
    cpp: pl.DataFrame | None = None
    originals: dict[int, str] = field(default_factory=dict)
    malformed: str | None = None  # position of the XML error, no content
    children: int = 0


def _tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _text(parent: ET.Element | None, name: str) -> str | None:
    if parent is None:
        return None
    for el in parent:
        if _tag(el) == name:
            t = (el.text or "").strip()
            return t or None
    return None


def _find(parent: ET.Element, name: str) -> ET.Element | None:
    for el in parent:
        if _tag(el) == name:
            return el
    return None


def _findall(parent: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in parent if _tag(el) == name]


def _frame(rows: list[dict[str, object]], cols: tuple[str, ...], ints: tuple[str, ...]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {"_row": pl.Int64()}
    for c in ints:
        schema[c] = pl.Int64()
    for c in cols:
        schema[c] = pl.String()
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema)


def flatten_cin(path: Path) -> CinTables:
    """Stream ``path`` and flatten it. A well-formedness error stops the read; children before it are kept."""
    out = CinTables()
    child_rows: list[dict[str, object]] = []
    detail_rows: list[dict[str, object]] = []
    assess_rows: list[dict[str, object]] = []
    factor_rows: list[dict[str, object]] = []
    plan_rows: list[dict[str, object]] = []
    s47_rows: list[dict[str, object]] = []
    cpp_rows: list[dict[str, object]] = []
    n = 0
    try:
        for event, el in ET.iterparse(str(path), events=("end",)):
            tag = _tag(el)
            if tag == "Header" and event == "end":
                for sub in el.iter():
                    t = _tag(sub)
                    if t in ("Collection", "Year", "ReferenceDate", "LEA", "SourceLevel"):
                        out.header[t] = (sub.text or "").strip() or None
                el.clear()
            elif tag == "Child":
                n += 1
                original = ET.tostring(el, encoding="unicode")
                out.originals[n] = original[:MAX_ORIGINAL_CHARS]
                ids = _find(el, "ChildIdentifiers")
                chars = _find(el, "ChildCharacteristics")
                row: dict[str, object] = {"_row": n}
                for f in CHILD_FIELDS:
                    src = chars if f == "Ethnicity" else ids
                    row[f] = _text(src, f)
                child_rows.append(row)
                for d_id, det in enumerate(_findall(el, "CINdetails"), start=1):
                    drow: dict[str, object] = {"_row": n, "cin_details_id": d_id}
                    for f in DETAIL_FIELDS:
                        drow[f] = _text(det, f)
                    detail_rows.append(drow)
                    for a_id, ass in enumerate(_findall(det, "Assessments"), start=1):
                        arow: dict[str, object] = {"_row": n, "cin_details_id": d_id, "assessment_id": a_id}
                        for f in ASSESSMENT_FIELDS:
                            arow[f] = _text(ass, f)
                        assess_rows.append(arow)
                        fac = _find(ass, "FactorsIdentifiedAtAssessment")
                        if fac is not None:
                            for code in _findall(fac, "AssessmentFactors"):
                                factor_rows.append({"_row": n, "cin_details_id": d_id, "assessment_id": a_id,
                                                    "AssessmentFactors": (code.text or "").strip() or None})
                    for plan in _findall(det, "CINPlanDates"):
                        prow: dict[str, object] = {"_row": n, "cin_details_id": d_id}
                        for f in PLAN_FIELDS:
                            prow[f] = _text(plan, f)
                        plan_rows.append(prow)
                    for s47 in _findall(det, "Section47"):
                        srow: dict[str, object] = {"_row": n, "cin_details_id": d_id}
                        for f in S47_FIELDS:
                            srow[f] = _text(s47, f)
                        s47_rows.append(srow)
                    for c_id, cpp in enumerate(_findall(det, "ChildProtectionPlans"), start=1):
                        crow: dict[str, object] = {"_row": n, "cin_details_id": d_id, "cpp_id": c_id}
                        for f in CPP_FIELDS:
                            crow[f] = _text(cpp, f)
                        cpp_rows.append(crow)
                el.clear()
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", ("?", "?"))
        out.malformed = f"XML is not well-formed at line {line}, column {col}"
    out.children = n
    out.child = _frame(child_rows, CHILD_FIELDS, ())
    out.details = _frame(detail_rows, DETAIL_FIELDS, ("cin_details_id",))
    out.assessments = _frame(assess_rows, ASSESSMENT_FIELDS, ("cin_details_id", "assessment_id"))
    out.factors = _frame(factor_rows, ("AssessmentFactors",), ("cin_details_id", "assessment_id"))
    out.plans = _frame(plan_rows, PLAN_FIELDS, ("cin_details_id",))
    out.section47 = _frame(s47_rows, S47_FIELDS, ("cin_details_id",))
    out.cpp = _frame(cpp_rows, CPP_FIELDS, ("cin_details_id", "cpp_id"))
    return out
