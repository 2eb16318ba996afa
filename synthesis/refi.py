"""REFI-QDA exchange with the standard library: read ``.qdpx`` / ``.qdc``, write ``.qdpx``.

Reading tolerates what NVivo, ATLAS.ti, MAXQDA and QualCoder write: upper- or lower-case GUIDs
(optionally in braces), ``Sources/`` or ``sources/``, CRLF line endings, UTF-8 BOMs, selections
without a Coding, cases without names, and NVivo's UTF-16 offsets for text outside the BMP.
Offsets in the returned model are 0-based code points, end-exclusive, on text normalised to
``\\n`` line endings without a BOM (spec §10.2); each tool's own way of counting on the delivered
text (CRLF as one or two characters, UTF-16 units) is mapped by :mod:`synthesis.offsets`.
Writing follows the element order of REFI ``Project.xsd`` v1.0 and puts text sources in
``sources/<GUID>.txt``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from synthesis.offsets import DeliveredText, OffsetConvention, convention_for, utf16_to_code_point
from warehouse.errors import DataError

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


@dataclass
class RefiUser:
    guid: str
    name: str | None = None
    id: str | None = None


@dataclass
class RefiCode:
    guid: str
    name: str
    is_codable: bool = True
    color: str | None = None
    description: str | None = None
    parent_guid: str | None = None
    order: int = 0


@dataclass
class RefiCoding:
    guid: str
    code_guid: str
    creating_user: str | None = None


@dataclass
class RefiSelection:
    guid: str
    start: int
    end: int
    name: str | None = None
    creating_user: str | None = None
    description: str | None = None
    codings: list[RefiCoding] = field(default_factory=list)


@dataclass
class RefiSource:
    guid: str
    name: str
    text: str
    description: str | None = None
    creating_user: str | None = None
    selections: list[RefiSelection] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)   # variable name -> value


@dataclass
class RefiCase:
    guid: str
    name: str | None
    description: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    source_guids: list[str] = field(default_factory=list)


@dataclass
class RefiNote:
    guid: str
    name: str | None
    text: str


@dataclass
class RefiSet:
    guid: str
    name: str
    description: str | None = None
    member_codes: list[str] = field(default_factory=list)
    member_sources: list[str] = field(default_factory=list)


@dataclass
class RefiProject:
    """A REFI-QDA project (or, for a ``.qdc``, just its codebook and sets)."""

    name: str
    origin: str | None = None
    creating_user: str | None = None
    users: list[RefiUser] = field(default_factory=list)
    codes: list[RefiCode] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)   # name -> typeOfVariable
    cases: list[RefiCase] = field(default_factory=list)
    sources: list[RefiSource] = field(default_factory=list)
    notes: list[RefiNote] = field(default_factory=list)
    sets: list[RefiSet] = field(default_factory=list)
    note_refs: dict[str, list[str]] = field(default_factory=dict)   # note guid -> [target guids]


def norm_guid(value: str | None, what: str = "GUID") -> str | None:
    """Upper-case a GUID and strip braces; None stays None. Raises DataError for a malformed one."""
    if value is None:
        return None
    m = _GUID.match(value.strip())
    if not m:
        raise DataError(f"malformed {what} {value!r}: expected 8-4-4-4-12 hex digits, optionally in braces")
    return m.group(1).upper()


def normalise_text(raw: str) -> str:
    """Strip a BOM and normalise CRLF / CR line endings to ``\\n``."""
    return DeliveredText.from_raw(raw).text


def utf16_to_codepoint(text: str, offset: int) -> int:
    """Convert a UTF-16 code-unit offset (NVivo) into a code-point offset in ``text``."""
    return utf16_to_code_point(text, offset)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text_of(el: ET.Element | None) -> str | None:
    if el is None:
        return None
    return normalise_text(el.text or "")


def _parse_xml(data: bytes, what: str) -> ET.Element:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise DataError(f"{what} is not well-formed XML ({exc}); re-export it from the QDA tool") from None


def _parse_codes(codes_el: ET.Element, parent: str | None, out: list[RefiCode]) -> None:
    for code_el in _children(codes_el, "Code"):
        guid = norm_guid(code_el.get("guid"), "Code guid")
        assert guid is not None
        codable = (code_el.get("isCodable") or "true").strip().lower() in ("true", "1")
        out.append(
            RefiCode(guid, code_el.get("name") or "", codable, code_el.get("color"),
                     _text_of(_child(code_el, "Description")), parent, len(out))
        )
        _parse_codes(code_el, guid, out)


def _variable_values(el: ET.Element, var_names: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for vv in _children(el, "VariableValue"):
        ref = _child(vv, "VariableRef")
        if ref is None:
            continue
        target = norm_guid(ref.get("targetGUID"), "VariableRef targetGUID")
        name = var_names.get(target or "", target or "")
        for c in vv:
            if _local(c.tag) != "VariableRef":
                values[name] = (c.text or "").strip()
    return values


def _parse_codebook(root: ET.Element, project: RefiProject, member_attr: str) -> None:
    cb = root if _local(root.tag) == "CodeBook" else _child(root, "CodeBook")
    if cb is not None:
        codes_el = _child(cb, "Codes")
        if codes_el is not None:
            _parse_codes(codes_el, None, project.codes)
    sets_el = _child(root, "Sets")
    for set_el in _children(sets_el, "Set") if sets_el is not None else []:
        members = []
        for mc in _children(set_el, "MemberCode"):
            g = mc.get(member_attr) or mc.get("targetGUID") or mc.get("guid")
            members.append(norm_guid(g, "MemberCode guid"))
        srcs = [norm_guid(ms.get("targetGUID") or ms.get("guid"), "MemberSource guid")
                for ms in _children(set_el, "MemberSource")]
        project.sets.append(
            RefiSet(norm_guid(set_el.get("guid"), "Set guid") or "", set_el.get("name") or "",
                    _text_of(_child(set_el, "Description")),
                    [m for m in members if m], [s for s in srcs if s])
        )


def read_qdc(path: Path) -> RefiProject:
    """Read a REFI ``.qdc`` codebook (codes and sets only)."""
    root = _parse_xml(Path(path).read_bytes(), f"codebook {Path(path).name}")
    if _local(root.tag) != "CodeBook":
        raise DataError(f"{Path(path).name}: root element is {_local(root.tag)!r}, expected 'CodeBook' for a .qdc file")
    project = RefiProject(name=Path(path).stem, origin=root.get("origin"))
    _parse_codebook(root, project, "guid")
    return project


def _find_member(zf: zipfile.ZipFile, wanted: str) -> str | None:
    """Find a zip member by path, case-insensitively and in any ``sources`` folder."""
    names = {n.lower(): n for n in zf.namelist()}
    key = wanted.lower().lstrip("/")
    if key in names:
        return names[key]
    base = PurePosixPath(key).name
    for lower, real in names.items():
        parts = PurePosixPath(lower).parts
        if parts and parts[-1] == base and (len(parts) == 1 or parts[-2] == "sources"):
            return real
    return None


def _source_text(zf: zipfile.ZipFile, el: ET.Element, qdpx_name: str) -> DeliveredText:
    """The text of a source or note as delivered: inline ``PlainTextContent`` or its file in the archive.

    Inline text is what the XML parser delivers (XML 1.0 turns a literal CRLF into LF; ``&#13;`` keeps a CR).
    """
    inline = _child(el, "PlainTextContent")
    if inline is not None:
        return DeliveredText.from_raw(inline.text or "")
    path = el.get("plainTextPath")
    if not path:
        raise DataError(
            f"{qdpx_name}: text source {el.get('name')!r} has no plainTextPath and no PlainTextContent; "
            "export the project with its sources included"
        )
    if path.startswith("internal://"):
        member = _find_member(zf, "sources/" + path[len("internal://"):])
    else:
        member = _find_member(zf, PurePosixPath(path.split("://", 1)[-1]).name)
    if member is None:
        raise DataError(
            f"{qdpx_name}: source file {path!r} of text source {el.get('name')!r} is not in the archive; "
            "allowed are internal:// files in sources/ (any case); re-export with sources embedded"
        )
    raw = zf.read(member)
    try:
        return DeliveredText.from_raw(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(f"{qdpx_name}: source {member} is not UTF-8; REFI-QDA requires UTF-8 plain text") from None


def read_qdpx(path: Path) -> RefiProject:
    """Read a REFI ``.qdpx`` project: users, codebook, variables, cases, text sources, notes, sets.

    Raises:
        DataError: not a zip, no ``project.qde``, malformed XML or GUIDs, missing source files,
            or a selection outside its document.
    """
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{path.name} is not a readable .qdpx (zip) file: {exc}") from None
    with zf:
        qde = next((n for n in zf.namelist() if n.lower().endswith(".qde")), None)
        if qde is None:
            raise DataError(f"{path.name} holds no project.qde; is it a REFI-QDA project export?")
        root = _parse_xml(zf.read(qde), f"{path.name}/{qde}")
        if _local(root.tag) != "Project":
            raise DataError(f"{path.name}: root element is {_local(root.tag)!r}, expected 'Project'")
        project = RefiProject(
            name=root.get("name") or path.stem,
            origin=root.get("origin"),
            creating_user=norm_guid(root.get("creatingUserGUID"), "creatingUserGUID"),
        )
        users_el = _child(root, "Users")
        for u in _children(users_el, "User") if users_el is not None else []:
            project.users.append(RefiUser(norm_guid(u.get("guid"), "User guid") or "", u.get("name"), u.get("id")))
        _parse_codebook(root, project, "targetGUID")
        var_names: dict[str, str] = {}
        vars_el = _child(root, "Variables")
        for v in _children(vars_el, "Variable") if vars_el is not None else []:
            g = norm_guid(v.get("guid"), "Variable guid") or ""
            var_names[g] = v.get("name") or g
            project.variables[var_names[g]] = v.get("typeOfVariable") or "Text"
        cases_el = _child(root, "Cases")
        for c in _children(cases_el, "Case") if cases_el is not None else []:
            project.cases.append(
                RefiCase(
                    norm_guid(c.get("guid"), "Case guid") or "", c.get("name"), _text_of(_child(c, "Description")),
                    _variable_values(c, var_names),
                    [norm_guid(s.get("targetGUID"), "SourceRef targetGUID") or "" for s in _children(c, "SourceRef")],
                )
            )
        convention = convention_for(project.origin)
        sources_el = _child(root, "Sources")
        for s in _children(sources_el, "TextSource") if sources_el is not None else []:
            project.sources.append(_read_source(_Reading(zf, path.name, convention, var_names, project), s))
        notes_el = _child(root, "Notes")
        for n in _children(notes_el, "Note") if notes_el is not None else []:
            project.notes.append(
                RefiNote(norm_guid(n.get("guid"), "Note guid") or "", n.get("name"),
                         _source_text(zf, n, path.name).text)
            )
    return project


@dataclass(frozen=True)
class _Reading:
    """What reading the sources of one ``.qdpx`` shares."""

    zf: zipfile.ZipFile
    name: str                       # the file's name, for messages
    convention: OffsetConvention    # how the writing tool counts offsets
    var_names: dict[str, str]       # variable guid -> name
    project: RefiProject


def _read_source(rd: _Reading, s: ET.Element) -> RefiSource:
    delivered = _source_text(rd.zf, s, rd.name)
    guid = norm_guid(s.get("guid"), "TextSource guid") or ""
    source = RefiSource(guid, s.get("name") or guid, delivered.text, _text_of(_child(s, "Description")),
                        norm_guid(s.get("creatingUser"), "creatingUser"))
    for sel in _children(s, "PlainTextSelection"):
        source.selections.append(_read_selection(rd, sel, source, delivered))
    source.values = _variable_values(s, rd.var_names)
    return source


def _selection_span(rd: _Reading, sel: ET.Element, source: RefiSource, delivered: DeliveredText) -> tuple[int, int]:
    """The selection's span on the stored text, from offsets counted the writing tool's way."""
    try:
        start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
    except ValueError:
        raise DataError(
            f"{rd.name}: selection {sel.get('guid')} in {source.name!r} has non-integer positions"
        ) from None
    limit = delivered.length(rd.convention)
    if not 0 <= start < end <= limit:
        raise DataError(
            f"{rd.name}: selection {sel.get('guid')} in {source.name!r} spans {start}-{end} but the text has "
            f"{limit} characters as {rd.convention.label} counts them; allowed: 0 <= start < end <= {limit} "
            "(code points, end-exclusive); check the tool's offset unit or re-export the project"
        )
    return delivered.span_to_stored(start, end, rd.convention)


def _read_selection(rd: _Reading, sel: ET.Element, source: RefiSource, delivered: DeliveredText) -> RefiSelection:
    start, end = _selection_span(rd, sel, source, delivered)
    project = rd.project
    sel_guid = norm_guid(sel.get("guid"), "PlainTextSelection guid") or ""
    selection = RefiSelection(
        sel_guid, start, end, sel.get("name"), norm_guid(sel.get("creatingUser"), "creatingUser"),
        _text_of(_child(sel, "Description")),
    )
    for coding in _children(sel, "Coding"):
        ref = _child(coding, "CodeRef")
        if ref is None:
            continue
        selection.codings.append(
            RefiCoding(
                norm_guid(coding.get("guid"), "Coding guid") or "",
                norm_guid(ref.get("targetGUID"), "CodeRef targetGUID") or "",
                norm_guid(coding.get("creatingUser"), "creatingUser"),
            )
        )
    for nref in _children(sel, "NoteRef"):
        target = norm_guid(nref.get("targetGUID"), "NoteRef targetGUID") or ""
        project.note_refs.setdefault(target, []).append(sel_guid)
    return selection


# ---------------------------------------------------------------- writing

def _sub(parent: ET.Element, tag: str, attrs: dict[str, str | None] | None = None, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: v for k, v in (attrs or {}).items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _value(parent: ET.Element, var_guid: str, value: str) -> None:
    vv = _sub(parent, "VariableValue")
    _sub(vv, "VariableRef", {"targetGUID": var_guid})
    _sub(vv, "TextValue", text=value)


def project_xml(project: RefiProject, variable_guids: dict[str, str], stamp: str) -> bytes:
    """Serialise a project to ``project.qde`` bytes (UTF-8, double-quoted XML declaration).

    Elements follow the ``xsd:sequence`` order of REFI ``Project.xsd`` v1.0.
    """
    ET.register_namespace("", PROJECT_NS)
    root = ET.Element("Project", {"xmlns": PROJECT_NS, "name": project.name, "origin": project.origin or "linkready",
                                  "creationDateTime": stamp})
    if project.creating_user:
        root.set("creatingUserGUID", project.creating_user)
    if project.users:
        users = _sub(root, "Users")
        for u in project.users:
            _sub(users, "User", {"guid": u.guid, "name": u.name, "id": u.id})
    if project.codes:
        _xml_codes(_sub(_sub(root, "CodeBook"), "Codes"), project.codes)
    if variable_guids:
        vars_el = _sub(root, "Variables")
        for name, guid in variable_guids.items():
            _sub(vars_el, "Variable", {"guid": guid, "name": name,
                                       "typeOfVariable": project.variables.get(name, "Text")})
    if project.cases:
        _xml_cases(_sub(root, "Cases"), project.cases, variable_guids)
    if project.sources:
        _xml_sources(_sub(root, "Sources"), project, variable_guids, stamp)
    if project.notes:
        notes_el = _sub(root, "Notes")
        for note in project.notes:
            _sub(_sub(notes_el, "Note", {"guid": note.guid, "name": note.name}), "PlainTextContent", text=note.text)
    if project.sets:
        _xml_sets(_sub(root, "Sets"), project.sets, "targetGUID")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    body = body.replace(' xmlns="urn:QDA-XML:project:1.0" xmlns="urn:QDA-XML:project:1.0"', f' xmlns="{PROJECT_NS}"')
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _xml_codes(codes_el: ET.Element, codes: list[RefiCode]) -> None:
    """The code tree, nested by parent, in each code's order."""
    by_parent: dict[str | None, list[RefiCode]] = {}
    for c in sorted(codes, key=lambda c: c.order):
        by_parent.setdefault(c.parent_guid, []).append(c)

    def emit(parent_el: ET.Element, parent: str | None) -> None:
        for c in by_parent.get(parent, []):
            el = _sub(parent_el, "Code", {"guid": c.guid, "name": c.name,
                                          "isCodable": "true" if c.is_codable else "false", "color": c.color})
            if c.description:
                _sub(el, "Description", text=c.description)
            emit(el, c.guid)

    emit(codes_el, None)


def _xml_cases(cases_el: ET.Element, cases: list[RefiCase], variable_guids: dict[str, str]) -> None:
    for case in cases:
        el = _sub(cases_el, "Case", {"guid": case.guid, "name": case.name})
        if case.description:
            _sub(el, "Description", text=case.description)
        for name, value in case.values.items():
            _value(el, variable_guids[name], value)
        for sg in case.source_guids:
            _sub(el, "SourceRef", {"targetGUID": sg})


def _xml_sources(sources_el: ET.Element, project: RefiProject, variable_guids: dict[str, str], stamp: str) -> None:
    notes_of: dict[str, list[str]] = {}
    for note_guid, targets in project.note_refs.items():
        for t in targets:
            notes_of.setdefault(t, []).append(note_guid)
    for src in project.sources:
        el = _sub(sources_el, "TextSource", {"guid": src.guid, "name": src.name,
                                             "plainTextPath": f"internal://{src.guid}.txt",
                                             "creatingUser": src.creating_user, "creationDateTime": stamp})
        if src.description:
            _sub(el, "Description", text=src.description)
        for sel in src.selections:
            sel_el = _sub(el, "PlainTextSelection", {"guid": sel.guid, "name": sel.name,
                                                     "startPosition": str(sel.start), "endPosition": str(sel.end),
                                                     "creatingUser": sel.creating_user})
            if sel.description:
                _sub(sel_el, "Description", text=sel.description)
            for coding in sel.codings:
                c_el = _sub(sel_el, "Coding", {"guid": coding.guid, "creatingUser": coding.creating_user})
                _sub(c_el, "CodeRef", {"targetGUID": coding.code_guid})
            for note_guid in notes_of.get(sel.guid, []):
                _sub(sel_el, "NoteRef", {"targetGUID": note_guid})
        for name, value in src.values.items():   # VariableValue after the selections (xsd sequence)
            _value(el, variable_guids[name], value)


def _xml_sets(sets_el: ET.Element, sets: list[RefiSet], member_attr: str) -> None:
    """Sets; a member code points through ``targetGUID`` in a ``.qde`` and ``guid`` in a ``.qdc``."""
    for st in sets:
        s_el = _sub(sets_el, "Set", {"guid": st.guid, "name": st.name})
        if st.description:
            _sub(s_el, "Description", text=st.description)
        for g in st.member_codes:
            _sub(s_el, "MemberCode", {member_attr: g})
        for g in st.member_sources:
            _sub(s_el, "MemberSource", {"targetGUID": g})


def codebook_xml(codes: list[RefiCode], sets: list[RefiSet], origin: str = "linkready") -> bytes:
    """Serialise a REFI ``.qdc`` codebook (spec §5.2): codes, then sets whose ``MemberCode`` uses ``@guid``."""
    ET.register_namespace("", CODEBOOK_NS)
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": origin})
    _xml_codes(_sub(root, "Codes"), codes)
    if sets:
        _xml_sets(_sub(root, "Sets"), sets, "guid")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    body = body.replace(f' xmlns="{CODEBOOK_NS}" xmlns="{CODEBOOK_NS}"', f' xmlns="{CODEBOOK_NS}"')
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def write_qdpx(project: RefiProject, out: Path, variable_guids: dict[str, str], stamp: str) -> Path:
    """Write ``project`` as a ``.qdpx``: ``project.qde`` plus ``sources/<GUID>.txt`` (UTF-8, no BOM)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", project_xml(project, variable_guids, stamp))
        for src in project.sources:
            zf.writestr(f"sources/{src.guid}.txt", src.text.encode("utf-8"))
    return out
