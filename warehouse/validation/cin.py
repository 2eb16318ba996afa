"""Flatten a CIN census XML file into tables (csc-data-standards §2.2), streamed.

``CINdetailsID``, ``AssessmentID`` and ``CPPID`` are not DfE items: like the data-to-insight
validator's ingress, they are per-child sequence numbers created here. Every table carries
``_row``, the 1-based index of the ``Child`` element the row came from.
"""

from __future__ import annotations

import codecs
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

try:  # lxml parses a large census several times faster; the standard library's parser is the fallback
    from lxml import etree as _lxml
except ImportError:  # pragma: no cover - lxml is installed with linkready's dev and bench extras
    _lxml = None

__all__ = ["CinTables", "cin_header", "flatten_cin", "xml_encoding"]

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
    disabilities: pl.DataFrame | None = None  # ChildCharacteristics/Disabilities/Disability, one row per code
    reviews: pl.DataFrame | None = None  # ChildProtectionPlans/Reviews/CPPreviewDate, one row per review
    originals: dict[int, str] = field(default_factory=dict)
    malformed: str | None = None  # position of the XML error, no content
    children: int = 0
    encoding: str = "utf-8"  # as the BOM or the XML declaration gave it (cp1252 when undeclared and not UTF-8)
    namespace: str | None = None  # the root element's namespace URI, if any (element names are matched without it)


_LOCAL: dict[str, str] = {}


def _tag(el: ET.Element) -> str:
    """The element's name without its namespace ("" for comments); memoised: a file repeats few names."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    local = _LOCAL.get(tag)
    if local is None:
        local = _LOCAL[tag] = tag.rsplit("}", 1)[-1]
    return local


def _texts(parent: ET.Element | None, names: tuple[str, ...]) -> dict[str, object]:
    """The stripped text of the first child element of each name (None when absent or empty), in one pass."""
    out: dict[str, object] = dict.fromkeys(names)
    if parent is None:
        return out
    for el in parent:
        t = _tag(el)
        if t in out and out[t] is None:
            out[t] = (el.text or "").strip() or None
    return out


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


_DECLARED = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_HEADER_FIELDS = ("Collection", "Year", "ReferenceDate", "LEA", "SourceLevel")


def xml_encoding(head: bytes) -> str | None:
    """The encoding an XML file's BOM or declaration gives (``None``: neither; XML's default is UTF-8)."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return name
    if head.startswith((b"<\x00", b"\x00<")):
        return "utf-16"
    m = _DECLARED.match(head)
    return m.group(1).decode("ascii").lower() if m else None


class _Transcoded(io.RawIOBase):
    """A cp1252 file read as UTF-8 bytes (for XML that declares no encoding but is not UTF-8)."""

    def __init__(self, path: Path) -> None:
        self._fh = path.open("r", encoding="cp1252", errors="replace", newline="")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self._pending) < len(buffer):
            text = self._fh.read(1 << 16)
            if not text:
                break
            self._pending += text.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _source(path: Path) -> tuple[str | io.RawIOBase, str]:
    """What to hand the XML parser, and the encoding used: the bytes themselves (the parser honours the
    BOM and the declaration), or a cp1252 file transcoded when nothing is declared and it is not UTF-8."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    declared = xml_encoding(head)
    if declared is None and not _is_utf8(path):
        return _Transcoded(path), "cp1252"
    return str(path), declared or "utf-8"


def _events(path: Path) -> Iterator[tuple[str, ET.Element]]:
    source, _ = _source(path)
    try:
        yield from ET.iterparse(source, events=("start", "end"))
    finally:
        if isinstance(source, io.RawIOBase):
            source.close()


def cin_header(path: Path) -> dict[str, str | None]:
    """The census header (Collection, Year, ReferenceDate, LEA, SourceLevel), read without the children.

    Missing items are ``None``; an unreadable file gives an empty dict.
    """
    out: dict[str, str | None] = {}
    try:
        for event, el in _events(path):
            if event == "end" and _tag(el) in _HEADER_FIELDS:
                out[_tag(el)] = (el.text or "").strip() or None
            elif event == "end" and _tag(el) == "Header":
                break
            elif event == "start" and _tag(el) in ("Children", "Child"):
                break
    except (ET.ParseError, OSError):
        pass
    return out


_PARSE_ERRORS: tuple[type[Exception], ...] = (ET.ParseError,) if _lxml is None else (ET.ParseError,
                                                                                     _lxml.XMLSyntaxError)


def _iterparse(source: str | io.RawIOBase) -> Iterator[tuple[str, ET.Element]]:
    """``end`` events of every element; with lxml, each finished element's earlier siblings are freed."""
    if _lxml is None:
        yield from ET.iterparse(source, events=("end",))
        return
    # untrusted input: no entity expansion, no network, no huge-tree relaxations
    for event, el in _lxml.iterparse(source, events=("end",), resolve_entities=False, no_network=True):
        yield event, el
        if el.getparent() is not None and _tag(el) in ("Child", "Header"):
            while el.getprevious() is not None:
                del el.getparent()[0]


def _serialise(el: ET.Element) -> str:
    if _lxml is not None and not isinstance(el, ET.Element):
        text: str = _lxml.tostring(el, encoding="unicode", with_tail=False)
        return text
    return ET.tostring(el, encoding="unicode")


def _value(el: ET.Element) -> str | None:
    return (el.text or "").strip() or None


@dataclass
class _Rows:
    """Rows of every table, filled one Child element at a time."""

    child: list[dict[str, object]] = field(default_factory=list)
    details: list[dict[str, object]] = field(default_factory=list)
    assessments: list[dict[str, object]] = field(default_factory=list)
    factors: list[dict[str, object]] = field(default_factory=list)
    plans: list[dict[str, object]] = field(default_factory=list)
    section47: list[dict[str, object]] = field(default_factory=list)
    cpp: list[dict[str, object]] = field(default_factory=list)
    disabilities: list[dict[str, object]] = field(default_factory=list)
    reviews: list[dict[str, object]] = field(default_factory=list)

    def add_child(self, el: ET.Element, n: int) -> None:
        ids = _find(el, "ChildIdentifiers")
        chars = _find(el, "ChildCharacteristics")
        row: dict[str, object] = {"_row": n, **_texts(ids, CHILD_FIELDS)}
        row["Ethnicity"] = _texts(chars, ("Ethnicity",))["Ethnicity"]
        self.child.append(row)
        dis = _find(chars, "Disabilities") if chars is not None else None
        for code in _findall(dis, "Disability") if dis is not None else []:
            self.disabilities.append({"_row": n, "Disability": _value(code)})
        for d_id, det in enumerate(_findall(el, "CINdetails"), start=1):
            self.add_episode(det, n, d_id)

    def add_episode(self, det: ET.Element, n: int, d_id: int) -> None:
        key = {"_row": n, "cin_details_id": d_id}
        self.details.append({**key, **_texts(det, DETAIL_FIELDS)})
        for a_id, ass in enumerate(_findall(det, "Assessments"), start=1):
            self.assessments.append({**key, "assessment_id": a_id, **_texts(ass, ASSESSMENT_FIELDS)})
            fac = _find(ass, "FactorsIdentifiedAtAssessment")
            for code in _findall(fac, "AssessmentFactors") if fac is not None else []:
                self.factors.append({**key, "assessment_id": a_id, "AssessmentFactors": _value(code)})
        for plan in _findall(det, "CINPlanDates"):
            self.plans.append({**key, **_texts(plan, PLAN_FIELDS)})
        for s47 in _findall(det, "Section47"):
            self.section47.append({**key, **_texts(s47, S47_FIELDS)})
        for c_id, cpp in enumerate(_findall(det, "ChildProtectionPlans"), start=1):
            self.cpp.append({**key, "cpp_id": c_id, **_texts(cpp, CPP_FIELDS)})
            for rev in _findall(cpp, "Reviews"):
                for date_el in _findall(rev, "CPPreviewDate"):
                    self.reviews.append({**key, "cpp_id": c_id, "CPPreviewDate": _value(date_el)})

    def fill(self, out: CinTables) -> None:
        out.child = _frame(self.child, CHILD_FIELDS, ())
        out.details = _frame(self.details, DETAIL_FIELDS, ("cin_details_id",))
        out.assessments = _frame(self.assessments, ASSESSMENT_FIELDS, ("cin_details_id", "assessment_id"))
        out.factors = _frame(self.factors, ("AssessmentFactors",), ("cin_details_id", "assessment_id"))
        out.plans = _frame(self.plans, PLAN_FIELDS, ("cin_details_id",))
        out.section47 = _frame(self.section47, S47_FIELDS, ("cin_details_id",))
        out.cpp = _frame(self.cpp, CPP_FIELDS, ("cin_details_id", "cpp_id"))
        out.disabilities = _frame(self.disabilities, ("Disability",), ())
        out.reviews = _frame(self.reviews, ("CPPreviewDate",), ("cin_details_id", "cpp_id"))


def flatten_cin(path: Path) -> CinTables:
    """Stream ``path`` and flatten it. A well-formedness error stops the read; children before it are kept."""
    out = CinTables()
    rows = _Rows()
    n = 0
    source, out.encoding = _source(path)
    try:
        for _event, el in _iterparse(source):
            if out.namespace is None and isinstance(el.tag, str):
                out.namespace = el.tag[1:].split("}", 1)[0] if el.tag.startswith("{") else ""
            tag = _tag(el)
            if tag == "Header":
                for sub in el.iter():
                    if _tag(sub) in _HEADER_FIELDS:
                        out.header[_tag(sub)] = _value(sub)
                el.clear()
            elif tag == "Child":
                n += 1
                out.originals[n] = _serialise(el)[:MAX_ORIGINAL_CHARS]
                rows.add_child(el, n)
                el.clear()
    except _PARSE_ERRORS as exc:
        line, col = getattr(exc, "position", ("?", "?"))
        out.malformed = f"XML is not well-formed at line {line}, column {col}"
    finally:
        if isinstance(source, io.RawIOBase):
            source.close()
    out.namespace = out.namespace or None
    out.children = n
    rows.fill(out)
    return out
