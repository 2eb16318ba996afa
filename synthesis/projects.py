"""Store REFI-QDA projects in the warehouse and build them back for export.

:func:`store_project` writes a :class:`~synthesis.refi.RefiProject` (documents, speaker turns,
participants, codebook, coded segments, annotations, memos, themes from ``Theme:`` sets);
re-importing the same project replaces its documents' rows, so imports are idempotent.
:func:`build_project` reads the warehouse back into a project for :func:`synthesis.refi.write_qdpx`.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from synthesis import pseudonymise, refi
from synthesis.bulk import insert_rows
from synthesis.transcript import speaker_turns, text_sha256
from warehouse.errors import DataError
from warehouse.sites import SITE_IDS, SITES, get_site

NAMESPACE = uuid.UUID("6d1c7a52-3b0e-5d8e-9a55-2f4c8f1d7e01")
THEME_PREFIX = "theme:"
UNKNOWN_CODER = "00000000-0000-0000-0000-000000000000"
_RQ = re.compile(r"^\s*(RQ\d+)\b")


def stable_guid(*parts: str) -> str:
    """A deterministic upper-case GUID (uuid5) for a stable key."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts))).upper()


@dataclass
class ImportReport:
    """What one import added to the warehouse (counts only, never text)."""

    path: str
    kind: str
    documents: int = 0
    codes: int = 0
    segments: int = 0
    annotations: int = 0
    participants: int = 0
    themes: int = 0
    memos: int = 0
    ratings: int = 0
    findings: int = 0
    framework_cells: int = 0
    triangulation_cells: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line of non-zero counts."""
        counts = {k: v for k, v in vars(self).items() if isinstance(v, int) and v}
        body = ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing"
        return f"{self.path} ({self.kind}): {body}"


def _lookup(values: dict[str, str], name: str) -> str | None:
    for k, v in values.items():
        if k.strip().lower() == name and v.strip():
            return v.strip()
    return None


def _site_of(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
    for sid, s in SITES.items():
        if v in (sid, s.name.lower()):
            return sid
    return None


def _activity_kind(values: dict[str, str], name: str) -> str:
    given = (_lookup(values, "activity") or "").lower().replace(" ", "_")
    for kind in ("data_focus_group", "interview", "toc_workshop"):
        if given == kind:
            return kind
    text = f"{given} {name}".lower()
    if "interview" in text:
        return "interview"
    if "workshop" in text or "toc" in text:
        return "toc_workshop"
    return "data_focus_group"


def _codebook_changes(
    con: duckdb.DuckDBPyConnection, codes: list[refi.RefiCode], by_guid: dict[str, refi.RefiCode]
) -> bool:
    """True when any code is new or differs from what the warehouse holds."""
    held = {
        r[0]: tuple(r[1:])
        for r in con.execute(
            "SELECT code_id, parent_code_id, name, definition, origin, is_codable, color, sort_order FROM syn_code"
        ).fetchall()
    }
    return any(
        held.get(c.guid) != (c.parent_guid, c.name, c.description, _origin_of(c, by_guid), c.is_codable, c.color,
                             c.order)
        for c in codes
    )


def _origin_of(code: refi.RefiCode, by_guid: dict[str, refi.RefiCode]) -> str:
    c: refi.RefiCode | None = code
    while c is not None:
        if "inductive" in c.name.lower() or "inductive" in (c.description or "").lower()[:40]:
            return "inductive"
        c = by_guid.get(c.parent_guid or "")
    return "deductive"


@dataclass
class _Import:
    """What the stages of one project import share: the connection, the project and the running report."""

    con: duckdb.DuckDBPyConnection
    project: refi.RefiProject
    file_name: str
    site: str | None
    report: ImportReport
    now: datetime
    project_id: str = ""
    source_site: dict[str, str] = field(default_factory=dict)     # source guid -> site named by a case
    participants: dict[str, str] = field(default_factory=dict)    # '<site>:<pseudonym lower>' -> participant_id
    known_codes: set[str] = field(default_factory=set)
    known_coders: set[str] = field(default_factory=set)


def store_project(
    con: duckdb.DuckDBPyConnection,
    project: refi.RefiProject,
    file_name: str,
    site: str | None = None,
    roster: Iterable[str] = (),
) -> ImportReport:
    """Write a parsed REFI project into the warehouse (inside the caller's transaction).

    One stage per entity: pseudonymisation check, project row, codebook, themes, coders, cases
    (participants and the site of each source), documents with their speaker turns and coded
    segments, memos.

    Args:
        con: a read-write connection in a transaction.
        project: the parsed project (or codebook: then only codes and themes are written).
        file_name: the imported file's name (lineage; never a full path).
        site: site for documents that do not name one; documents naming another site are refused.
        roster: names to look for in the pseudonymisation check.
    Raises:
        DataError: a document still holds identifiers, has no site, or a coding names an unknown code.
    """
    report = ImportReport(file_name, "qdc" if not project.sources and not project.users else "qdpx")
    if site is not None:
        get_site(site)
    check_pseudonymised(project, file_name, tuple(roster))
    ctx = _Import(con, project, file_name, site, report, datetime.now())
    ctx.project_id = store_project_row(ctx)
    store_codebook(ctx)
    store_themes(ctx)
    store_coders(ctx)
    store_cases(ctx)
    store_documents(ctx)
    store_memos(ctx)
    return report


def check_pseudonymised(project: refi.RefiProject, file_name: str, roster: tuple[str, ...]) -> None:
    """Refuse the whole project when any text still holds identifiers (kinds and positions only)."""
    # labels use GUIDs, not titles: a title may itself carry a name
    texts = [(f"document {s.guid}", s.text) for s in project.sources]
    texts += [(f"title of document {s.guid}", s.name) for s in project.sources]
    texts += [(f"note {n.guid}", n.text) for n in project.notes]
    texts += [(f"selection {sel.guid} description", sel.description or "") for s in project.sources for sel in s.selections]
    problems = []
    for label, text in texts:
        found = pseudonymise.scan(text, roster)
        if found:
            problems.append(f"{label}: {pseudonymise.describe(found, limit=8)}")
    if problems:
        raise DataError(
            f"{file_name}: {len(problems)} text(s) are not pseudonymised (kinds and positions only): "
            + " | ".join(problems[:10])
            + "; replace identifiers with tokens (`linkready findings pseudonymise`) and review before import; "
            "nothing was imported"
        )


def store_project_row(ctx: _Import) -> str:
    """The project's lineage row; returns its id (a hash of the file name and project name)."""
    project_id = hashlib.sha256(f"{ctx.file_name}\x1f{ctx.project.name}".encode()).hexdigest()[:16]
    ctx.con.execute(
        "INSERT OR REPLACE INTO syn_project (project_id, name, origin, creating_user_guid, imported_from, "
        "imported_at) VALUES (?, ?, ?, ?, ?, ?)",
        [project_id, ctx.project.name, ctx.project.origin, ctx.project.creating_user, ctx.file_name, ctx.now],
    )
    return project_id


def store_codebook(ctx: _Import) -> None:
    """Codes (upserted); an import that changes the codebook opens a new codebook version."""
    con, codes = ctx.con, ctx.project.codes
    by_guid = {c.guid: c for c in codes}
    row = con.execute("SELECT coalesce(max(version_id), 0) FROM syn_codebook_version").fetchone()
    version = int(row[0]) if row else 0
    if codes and _codebook_changes(con, codes, by_guid):
        # each import that changes the codebook is a version; a code keeps the version that introduced it.
        # Re-importing an unchanged codebook is a no-op (the demo can be re-run).
        version += 1
        con.execute("INSERT INTO syn_codebook_version (version_id, created_at, note) VALUES (?, ?, ?)",
                    [version, ctx.now, f"imported from {ctx.file_name}"])
    for c in codes:
        con.execute(
            "INSERT INTO syn_code (code_id, parent_code_id, name, definition, origin, is_codable, color, "
            "sort_order, version_introduced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code_id) DO UPDATE SET "
            "parent_code_id = excluded.parent_code_id, name = excluded.name, definition = excluded.definition, "
            "origin = excluded.origin, is_codable = excluded.is_codable, color = excluded.color, "
            "sort_order = excluded.sort_order",
            [c.guid, c.parent_guid, c.name, c.description, _origin_of(c, by_guid), c.is_codable, c.color, c.order,
             version],
        )
    ctx.report.codes = len(codes)


def store_themes(ctx: _Import) -> None:
    """Sets named ``Theme: ...`` become themes with their member codes; other sets are reported and skipped."""
    for st in ctx.project.sets:
        if not st.name.lower().startswith(THEME_PREFIX):
            ctx.report.warnings.append(f"set {st.name!r} is not a theme (name does not start with 'Theme:'); skipped")
            continue
        ctx.con.execute("DELETE FROM syn_theme_code WHERE theme_id = ?", [st.guid])
        rq = _RQ.match(st.description or "")
        ctx.con.execute(
            "INSERT INTO syn_theme (theme_id, name, definition, status, rq_id) VALUES (?, ?, ?, 'reviewed', ?) "
            "ON CONFLICT (theme_id) DO UPDATE SET name = excluded.name, definition = excluded.definition, "
            "rq_id = excluded.rq_id",
            [st.guid, st.name[len(THEME_PREFIX):].strip(), st.description, rq.group(1) if rq else None],
        )
        for code_guid in st.member_codes:
            ctx.con.execute("INSERT OR IGNORE INTO syn_theme_code (theme_id, code_id) VALUES (?, ?)",
                            [st.guid, code_guid])
        ctx.report.themes += 1


def store_coders(ctx: _Import) -> None:
    """The project's users as coders."""
    for u in ctx.project.users:
        ctx.con.execute("INSERT OR REPLACE INTO syn_coder (coder_id, name, initials) VALUES (?, ?, ?)",
                        [u.guid, u.name, u.id])


def store_cases(ctx: _Import) -> None:
    """Participant cases (with a role or agency) become participants; site cases name their sources' site."""
    for case in ctx.project.cases:
        role, agency = _lookup(case.values, "role"), _lookup(case.values, "agency")
        case_site = (_site_of(_lookup(case.values, "site")) or _site_of(case.name)
                     or (ctx.site if role or agency else None))
        if case_site and (role or agency) and case.name:
            pid = f"{case_site}:{case.name.strip()}"
            ctx.con.execute(
                "INSERT OR REPLACE INTO syn_participant (participant_id, site_id, pseudonym, role, agency, qdpx_guid) "
                "VALUES (?, ?, ?, ?, ?, ?)", [pid, case_site, case.name.strip(), role, agency, case.guid],
            )
            ctx.participants[f"{case_site}:{case.name.strip().lower()}"] = pid
            ctx.report.participants += 1
        elif case_site:
            for sg in case.source_guids:
                ctx.source_site.setdefault(sg, case_site)


def store_documents(ctx: _Import) -> None:
    """Replace the project's documents, then write each with its speaker turns, segments and annotations."""
    con = ctx.con
    doc_ids = [s.guid for s in ctx.project.sources]
    if doc_ids:
        for table, col in _DOCUMENT_TABLES:
            con.execute(f"DELETE FROM {table} WHERE {col} IN (SELECT unnest(?))", [doc_ids])  # noqa: S608
    ctx.known_codes = {r[0] for r in con.execute("SELECT code_id FROM syn_code").fetchall()}
    ctx.known_coders = {r[0] for r in con.execute("SELECT coder_id FROM syn_coder").fetchall()}
    turns: list[list[object]] = []
    segments: list[list[object]] = []
    annotations: list[list[object]] = []
    for src in ctx.project.sources:
        doc_site = _document_site(ctx, src)
        sha = store_document(ctx, src, doc_site)
        turns += _turn_rows(ctx, src, doc_site)
        sel_segments, sel_annotations = _selection_rows(ctx, src, sha)
        segments += sel_segments
        annotations += sel_annotations
    insert_rows(con, "syn_speaker_turn", _TURN_COLUMNS, turns)
    insert_rows(con, "syn_annotation", _ANNOTATION_COLUMNS, annotations, key=["annotation_id"])
    insert_rows(con, "syn_coded_segment", _SEGMENT_COLUMNS, segments, key=["segment_id"])


# (table, document column) cleared before a project's documents are written again
_DOCUMENT_TABLES = (("syn_coded_segment", "document_id"), ("syn_annotation", "document_id"),
                    ("syn_speaker_turn", "document_id"), ("syn_document", "document_id"),
                    ("syn_activity", "activity_id"))
_TURN_COLUMNS = ["document_id", "turn_no", "participant_id", "speaker_label", "start_char", "end_char"]
_ANNOTATION_COLUMNS = ["annotation_id", "document_id", "coder_id", "name", "start_char", "end_char", "body"]
_SEGMENT_COLUMNS = ["segment_id", "selection_id", "selection_name", "document_id", "code_id", "coder_id",
                    "start_char", "end_char", "text_sha256_at_coding", "coding_round", "created_at", "memo"]


def _document_site(ctx: _Import, src: refi.RefiSource) -> str:
    doc_site = _site_of(_lookup(src.values, "site")) or ctx.source_site.get(src.guid)
    if doc_site and ctx.site and doc_site != ctx.site:
        raise DataError(
            f"{ctx.file_name}: document {src.name!r} belongs to site {doc_site!r} but --site {ctx.site!r} was given; "
            "drop --site or import the file for its own site"
        )
    doc_site = doc_site or ctx.site
    if doc_site is None:
        raise DataError(
            f"{ctx.file_name}: document {src.name!r} names no site (no 'Site' variable or site case); "
            f"pass --site with one of: {', '.join(SITE_IDS)}"
        )
    return doc_site


def store_document(ctx: _Import, src: refi.RefiSource, doc_site: str) -> str:
    """The activity and document rows of one source; returns the text's SHA-256."""
    sha = text_sha256(src.text)
    ctx.con.execute("INSERT INTO syn_activity (activity_id, site_id, kind) VALUES (?, ?, ?)",
                    [src.guid, doc_site, _activity_kind(src.values, src.name)])
    ctx.con.execute(
        "INSERT INTO syn_document (document_id, activity_id, site_id, title, version, status, text, text_sha256, "
        "char_count, description, project_id, imported_from) VALUES (?, ?, ?, ?, 1, 'pseudonymised', ?, ?, ?, ?, ?, ?)",
        [src.guid, src.guid, doc_site, src.name, src.text, sha, len(src.text), src.description, ctx.project_id,
         ctx.file_name],
    )
    ctx.report.documents += 1
    return sha


def _turn_rows(ctx: _Import, src: refi.RefiSource, doc_site: str) -> list[list[object]]:
    rows: list[list[object]] = []
    speakers: set[str] = set()
    for t in speaker_turns(src.text):
        pid = ctx.participants.get(f"{doc_site}:{t.speaker_label.lower()}")
        if pid is None:
            row = ctx.con.execute(
                "SELECT participant_id FROM syn_participant WHERE site_id = ? AND lower(pseudonym) = ?",
                [doc_site, t.speaker_label.lower()]).fetchone()
            pid = str(row[0]) if row else None
        if pid is not None:
            speakers.add(pid)
        rows.append([src.guid, t.turn_no, pid, t.speaker_label, t.start_char, t.end_char])
    ctx.con.execute("UPDATE syn_activity SET n_participants = ? WHERE activity_id = ?", [len(speakers), src.guid])
    return rows


def _selection_rows(ctx: _Import, src: refi.RefiSource, sha: str) -> tuple[list[list[object]], list[list[object]]]:
    """Segment rows (one per Coding) and annotation rows (selections without a Coding) of one source."""
    segments: list[list[object]] = []
    annotations: list[list[object]] = []
    for sel in src.selections:
        sel_user = sel.creating_user or src.creating_user or ctx.project.creating_user
        if not sel.codings:
            annotations.append([sel.guid, src.guid, sel_user, sel.name, sel.start, sel.end, sel.description])
            ctx.report.annotations += 1
            continue
        for coding in sel.codings:
            if coding.code_guid not in ctx.known_codes:
                raise DataError(
                    f"{ctx.file_name}: a coding in {src.name!r} refers to code {coding.code_guid} which is in neither "
                    "the project's codebook nor the warehouse; export the project with its codebook"
                )
            coder = _coder(ctx, coding.creating_user or sel_user or UNKNOWN_CODER)
            segments.append([coding.guid, sel.guid, sel.name, src.guid, coding.code_guid, coder, sel.start, sel.end,
                             sha, 1, ctx.now, sel.description])
            ctx.report.segments += 1
    return segments, annotations


def _coder(ctx: _Import, coder: str) -> str:
    """A coder named by a coding but not among the project's users is recorded without a name."""
    if coder not in ctx.known_coders and all(u.guid != coder for u in ctx.project.users):
        ctx.con.execute("INSERT OR IGNORE INTO syn_coder (coder_id) VALUES (?)", [coder])
        ctx.known_coders.add(coder)
    return coder


def store_memos(ctx: _Import) -> None:
    """Notes become memos: on the first selection that refers to them, else on the project."""
    selection_ids = {sel.guid for s in ctx.project.sources for sel in s.selections}
    for note in ctx.project.notes:
        targets = [t for t in ctx.project.note_refs.get(note.guid, []) if t in selection_ids]
        ctx.con.execute(
            "INSERT OR REPLACE INTO syn_memo (memo_id, target_kind, target_id, title, body, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [note.guid, "segment" if targets else "project", targets[0] if targets else None, note.name, note.text,
             ctx.now],
        )
        ctx.report.memos += 1


# ---------------------------------------------------------------- export

def build_project(con: duckdb.DuckDBPyConnection, name: str = "linkready focus-group synthesis") -> refi.RefiProject:
    """Read the warehouse's codebook, documents, segments, participants, memos and themes as a project."""
    project = refi.RefiProject(name=name, origin="linkready")
    project.codes = _export_codes(con)
    project.users = _export_coders(con)
    if project.users:
        project.creating_user = project.users[0].guid
    project.variables = {"Site": "Text", "Activity": "Text", "Role": "Text", "Agency": "Text"}
    project.sources = _export_sources(con, project.creating_user)
    project.cases = _export_site_cases(project.sources) + _export_participant_cases(con)
    _export_memos(con, project)
    project.sets = _export_themes(con)
    return project


def _export_codes(con: duckdb.DuckDBPyConnection) -> list[refi.RefiCode]:
    codes = con.execute(
        "SELECT code_id, name, is_codable, color, definition, parent_code_id, sort_order FROM syn_code "
        "WHERE retired_in_version IS NULL ORDER BY sort_order, code_id"
    ).fetchall()
    return [refi.RefiCode(g, n, bool(cd), col, d, p, o) for g, n, cd, col, d, p, o in codes]


def _export_coders(con: duckdb.DuckDBPyConnection) -> list[refi.RefiUser]:
    coders = con.execute(
        "SELECT coder_id, name, initials FROM syn_coder WHERE coder_id IN "
        "(SELECT coder_id FROM syn_coded_segment UNION SELECT coder_id FROM syn_annotation) ORDER BY coder_id"
    ).fetchall()
    return [refi.RefiUser(g, n, i) for g, n, i in coders]


def _export_selections(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, refi.RefiSelection]]:
    """Selections per document: one per selection id with a Coding per segment, plus annotations."""
    segs = con.execute(
        "SELECT selection_id, selection_name, document_id, start_char, end_char, segment_id, code_id, coder_id, memo "
        "FROM syn_coded_segment ORDER BY document_id, start_char, end_char, selection_id, segment_id"
    ).fetchall()
    by_doc: dict[str, dict[str, refi.RefiSelection]] = {}
    for sel_id, sel_name, doc, start, end, seg_id, code_id, coder, memo in segs:
        sels = by_doc.setdefault(doc, {})
        if sel_id not in sels:
            sels[sel_id] = refi.RefiSelection(sel_id, start, end, sel_name, coder, memo)
        sels[sel_id].codings.append(refi.RefiCoding(seg_id, code_id, coder))
    for ann_id, doc, coder, ann_name, start, end, body in con.execute(
        "SELECT annotation_id, document_id, coder_id, name, start_char, end_char, body FROM syn_annotation"
    ).fetchall():
        by_doc.setdefault(doc, {})[ann_id] = refi.RefiSelection(ann_id, start, end, ann_name, coder, body)
    return by_doc


def _export_sources(con: duckdb.DuckDBPyConnection, creating_user: str | None) -> list[refi.RefiSource]:
    by_doc = _export_selections(con)
    docs = con.execute(
        "SELECT d.document_id, d.title, d.text, d.site_id, a.kind, d.description FROM syn_document d "
        "LEFT JOIN syn_activity a ON a.activity_id = d.activity_id ORDER BY d.site_id, d.title, d.document_id"
    ).fetchall()
    sources = []
    for doc_id, title, text, site_id, kind, desc in docs:
        sels = sorted(by_doc.get(doc_id, {}).values(), key=lambda s: (s.start, s.end, s.guid))
        sources.append(refi.RefiSource(doc_id, title, text, desc, creating_user, sels,
                                       {"Site": site_id, "Activity": kind or "data_focus_group"}))
    return sources


def _export_site_cases(sources: list[refi.RefiSource]) -> list[refi.RefiCase]:
    site_docs: dict[str, list[str]] = {}
    for src in sources:
        site_docs.setdefault(src.values["Site"], []).append(src.guid)
    return [refi.RefiCase(stable_guid("site-case", site_id), site_id,
                          SITES[site_id].name if site_id in SITES else None, {"Site": site_id}, doc_ids)
            for site_id, doc_ids in site_docs.items()]


def _export_participant_cases(con: duckdb.DuckDBPyConnection) -> list[refi.RefiCase]:
    spoke: dict[str, list[str]] = {}
    for pid, doc in con.execute(
        "SELECT DISTINCT participant_id, document_id FROM syn_speaker_turn WHERE participant_id IS NOT NULL "
        "ORDER BY 1, 2"
    ).fetchall():
        spoke.setdefault(pid, []).append(doc)
    cases = []
    for pid, site_id, pseud, role, agency, guid in con.execute(
        "SELECT participant_id, site_id, pseudonym, role, agency, qdpx_guid FROM syn_participant ORDER BY participant_id"
    ).fetchall():
        values = {"Site": site_id} | ({"Role": role} if role else {}) | ({"Agency": agency} if agency else {})
        cases.append(refi.RefiCase(guid or stable_guid("participant", pid), pseud, None, values, spoke.get(pid, [])))
    return cases


def _export_memos(con: duckdb.DuckDBPyConnection, project: refi.RefiProject) -> None:
    all_sel = {s.guid for src in project.sources for s in src.selections}
    for memo_id, kind, target, title, body in con.execute(
        "SELECT memo_id, target_kind, target_id, title, body FROM syn_memo ORDER BY memo_id"
    ).fetchall():
        project.notes.append(refi.RefiNote(memo_id, title, body))
        if kind == "segment" and target in all_sel:
            project.note_refs.setdefault(memo_id, []).append(target)


def _export_themes(con: duckdb.DuckDBPyConnection) -> list[refi.RefiSet]:
    members: dict[str, list[str]] = {}
    for theme_id, code_id in con.execute("SELECT theme_id, code_id FROM syn_theme_code ORDER BY 1, 2").fetchall():
        members.setdefault(theme_id, []).append(code_id)
    return [refi.RefiSet(theme_id, f"Theme: {tname}", definition, members.get(theme_id, []))
            for theme_id, tname, definition in con.execute(
                "SELECT theme_id, name, definition FROM syn_theme WHERE status <> 'discarded' ORDER BY theme_id"
            ).fetchall()]


def variable_guids(project: refi.RefiProject) -> dict[str, str]:
    """Deterministic GUIDs for the project's variables."""
    return {name: stable_guid("variable", name) for name in project.variables}
