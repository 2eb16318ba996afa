"""Flatten a CIN census XML file into tables (csc-data-standards §2.2), streamed.

``CINdetailsID``, ``AssessmentID`` and ``CPPID`` are not DfE items: like the data-to-insight
validator's ingress, they are per-child sequence numbers created here. Every table carries
``_row``, the 1-based index of the ``Child`` element the row came from.

The parser hands Python only the ``Header`` and ``Child`` elements (lxml's tag filter); each child is
read in one pass per element, and every table is collected as row tuples and becomes one polars frame
at the end (a census has millions of elements: per-element function calls and per-row dicts were most
of the load's time).
"""

from __future__ import annotations

import codecs
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree as _lxml

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
PREPROCEEDINGS_FIELDS = (  # module 5 (draft 2026-27), one PreProceedingsandFGDM block per row
    "PPStartDate", "LBPSentDate", "FGDMMeetingOffer", "FGDMMeetingFac", "InitialPPMeetingDate", "ReviewMeetingsCount",
    "StepDecisionDate", "PPOutcome", "CourtAppDate", "LetterInitCPDate",
)

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
    preproceedings: pl.DataFrame | None = None  # CINdetails/PreProceedingsandFGDM, one row per block
    originals: dict[int, str] = field(default_factory=dict)
    malformed: str | None = None  # position of the XML error, no content
    children: int = 0
    encoding: str = "utf-8"  # as the BOM or the XML declaration gave it (cp1252 when undeclared and not UTF-8)
    namespace: str | None = None  # the root element's namespace URI, if any (element names are matched without it)


_Element = Any  # an lxml element (lxml ships no type information)
_LOCAL: dict[object, str] = {}


def _name(tag: object) -> str:
    """An element's name without its namespace ("" for comments and processing instructions); memoised, since
    a file repeats a few dozen names."""
    local = _LOCAL.get(tag)
    if local is None:
        local = _LOCAL[tag] = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
    return local


def _value(el: _Element) -> str | None:
    return (el.text or "").strip() or None


def _fields(parent: _Element | None, index: dict[str, int], width: int) -> list[str | None]:
    """The stripped text of the first non-empty child element of each indexed name (None when absent)."""
    values: list[str | None] = [None] * width
    for el in () if parent is None else parent:
        i = index.get(_LOCAL.get(el.tag) or _name(el.tag))
        if i is not None and values[i] is None:
            values[i] = (el.text or "").strip() or None
    return values


def _index(names: tuple[str, ...]) -> dict[str, int]:
    return {name: i for i, name in enumerate(names)}


_ETHNICITY = CHILD_FIELDS.index("Ethnicity")  # read from ChildCharacteristics, not ChildIdentifiers
_ID_INDEX = {name: i for i, name in enumerate(CHILD_FIELDS) if i != _ETHNICITY}
_DETAIL_INDEX = _index(DETAIL_FIELDS)
_ASSESSMENT_INDEX = _index(ASSESSMENT_FIELDS)
_PLAN_INDEX = _index(PLAN_FIELDS)
_S47_INDEX = _index(S47_FIELDS)
_CPP_INDEX = _index(CPP_FIELDS)
_PP_INDEX = _index(PREPROCEEDINGS_FIELDS)


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
            if event == "end" and _name(el.tag) in _HEADER_FIELDS:
                out[_name(el.tag)] = _value(el)
            elif event == "end" and _name(el.tag) == "Header":
                break
            elif event == "start" and _name(el.tag) in ("Children", "Child"):
                break
    except (ET.ParseError, OSError):
        pass
    return out


_PARSE_ERRORS: tuple[type[Exception], ...] = (ET.ParseError, _lxml.XMLSyntaxError)


def _elements(source: str | io.RawIOBase) -> Iterator[_Element]:
    """Each ``Header`` and ``Child`` element (any namespace) once it has ended; it and its earlier siblings
    are freed after use, so memory stays flat however large the census."""
    # untrusted input: no entity expansion, no network, no huge-tree relaxations
    for _event, el in _lxml.iterparse(source, events=("end",), tag=("{*}Header", "{*}Child"),
                                      resolve_entities=False, no_network=True):
        yield el
        el.clear()
        parent = el.getparent()
        if parent is not None:
            while el.getprevious() is not None:
                del parent[0]


def _serialise(el: _Element) -> str:
    text: str = _lxml.tostring(el, encoding="unicode", with_tail=False)
    return text


def _namespace(el: _Element) -> str | None:
    """The namespace URI of the document's root element (None when it has none)."""
    tag = el.getroottree().getroot().tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else None


_Row = tuple[object, ...]


@dataclass
class _Rows:
    """Rows of every table as tuples in column order, filled one Child element at a time."""

    child: list[_Row] = field(default_factory=list)
    details: list[_Row] = field(default_factory=list)
    assessments: list[_Row] = field(default_factory=list)
    factors: list[_Row] = field(default_factory=list)
    plans: list[_Row] = field(default_factory=list)
    section47: list[_Row] = field(default_factory=list)
    cpp: list[_Row] = field(default_factory=list)
    disabilities: list[_Row] = field(default_factory=list)
    reviews: list[_Row] = field(default_factory=list)
    preproceedings: list[_Row] = field(default_factory=list)

    def add_child(self, el: _Element, n: int) -> None:
        ids = chars = None
        d_id = 0
        for sub in el:
            name = _LOCAL.get(sub.tag) or _name(sub.tag)
            if name == "CINdetails":
                d_id += 1
                self.add_episode(sub, n, d_id)
            elif name == "ChildIdentifiers" and ids is None:
                ids = sub
            elif name == "ChildCharacteristics" and chars is None:
                chars = sub
        values = _fields(ids, _ID_INDEX, len(CHILD_FIELDS))
        disabilities = None
        for sub in () if chars is None else chars:
            name = _LOCAL.get(sub.tag) or _name(sub.tag)
            if name == "Ethnicity" and values[_ETHNICITY] is None:
                values[_ETHNICITY] = _value(sub)
            elif name == "Disabilities" and disabilities is None:
                disabilities = sub
        self.child.append((n, *values))
        for code in () if disabilities is None else disabilities:
            if (_LOCAL.get(code.tag) or _name(code.tag)) == "Disability":
                self.disabilities.append((n, _value(code)))

    def add_episode(self, det: _Element, n: int, d_id: int) -> None:
        values: list[str | None] = [None] * len(DETAIL_FIELDS)
        a_id = c_id = 0
        for el in det:
            name = _LOCAL.get(el.tag) or _name(el.tag)
            i = _DETAIL_INDEX.get(name)
            if i is not None:
                if values[i] is None:
                    values[i] = (el.text or "").strip() or None
            elif name == "Assessments":
                a_id += 1
                self.add_assessment(el, n, d_id, a_id)
            elif name == "CINPlanDates":
                self.plans.append((n, d_id, *_fields(el, _PLAN_INDEX, len(PLAN_FIELDS))))
            elif name == "Section47":
                self.section47.append((n, d_id, *_fields(el, _S47_INDEX, len(S47_FIELDS))))
            elif name == "ChildProtectionPlans":
                c_id += 1
                self.add_plan(el, n, d_id, c_id)
            elif name == "PreProceedingsandFGDM":
                self.preproceedings.append((n, d_id, *_fields(el, _PP_INDEX, len(PREPROCEEDINGS_FIELDS))))
        self.details.append((n, d_id, *values))

    def add_assessment(self, ass: _Element, n: int, d_id: int, a_id: int) -> None:
        self.assessments.append((n, d_id, a_id, *_fields(ass, _ASSESSMENT_INDEX, len(ASSESSMENT_FIELDS))))
        factors = next((el for el in ass if _name(el.tag) == "FactorsIdentifiedAtAssessment"), None)
        for code in () if factors is None else factors:
            if (_LOCAL.get(code.tag) or _name(code.tag)) == "AssessmentFactors":
                self.factors.append((n, d_id, a_id, _value(code)))

    def add_plan(self, cpp: _Element, n: int, d_id: int, c_id: int) -> None:
        self.cpp.append((n, d_id, c_id, *_fields(cpp, _CPP_INDEX, len(CPP_FIELDS))))
        for reviews in cpp:
            if _name(reviews.tag) == "Reviews":
                self.reviews.extend((n, d_id, c_id, _value(el)) for el in reviews if _name(el.tag) == "CPPreviewDate")

    def fill(self, out: CinTables) -> None:
        out.child = _frame(self.child, (), CHILD_FIELDS)
        out.details = _frame(self.details, ("cin_details_id",), DETAIL_FIELDS)
        out.assessments = _frame(self.assessments, ("cin_details_id", "assessment_id"), ASSESSMENT_FIELDS)
        out.factors = _frame(self.factors, ("cin_details_id", "assessment_id"), ("AssessmentFactors",))
        out.plans = _frame(self.plans, ("cin_details_id",), PLAN_FIELDS)
        out.section47 = _frame(self.section47, ("cin_details_id",), S47_FIELDS)
        out.cpp = _frame(self.cpp, ("cin_details_id", "cpp_id"), CPP_FIELDS)
        out.disabilities = _frame(self.disabilities, (), ("Disability",))
        out.reviews = _frame(self.reviews, ("cin_details_id", "cpp_id"), ("CPPreviewDate",))
        out.preproceedings = _frame(self.preproceedings, ("cin_details_id",), PREPROCEEDINGS_FIELDS)


def _frame(rows: list[_Row], ints: tuple[str, ...], texts: tuple[str, ...]) -> pl.DataFrame:
    """One table: ``_row`` and the integer keys, then the text fields, built in one call."""
    schema: dict[str, pl.DataType] = {"_row": pl.Int64()}
    schema |= {c: pl.Int64() for c in ints}
    schema |= {c: pl.String() for c in texts}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _read_header(el: _Element, header: dict[str, str | None]) -> None:
    for sub in el.iter():
        if _name(sub.tag) in _HEADER_FIELDS:
            header[_name(sub.tag)] = _value(sub)


def flatten_cin(path: Path) -> CinTables:
    """Stream ``path`` and flatten it. A well-formedness error stops the read; children before it are kept.

    Every table of ``CinTables`` is set (empty when the file has no such block); ``malformed`` says where
    the XML broke, without content.
    """
    out = CinTables()
    rows = _Rows()
    n = 0
    source, out.encoding = _source(path)
    try:
        for el in _elements(source):
            if n == 0 and out.namespace is None:
                out.namespace = _namespace(el)
            if _name(el.tag) == "Header":
                _read_header(el, out.header)
            else:
                n += 1
                out.originals[n] = _serialise(el)[:MAX_ORIGINAL_CHARS]
                rows.add_child(el, n)
    except _PARSE_ERRORS as exc:
        line, col = getattr(exc, "position", ("?", "?"))
        out.malformed = f"XML is not well-formed at line {line}, column {col}"
    finally:
        if isinstance(source, io.RawIOBase):
            source.close()
    out.children = n
    rows.fill(out)
    return out
