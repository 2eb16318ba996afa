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
from pathlib import Path

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


def store_project(
    con: duckdb.DuckDBPyConnection,
    project: refi.RefiProject,
    file_name: str,
    site: str | None = None,
    roster: Iterable[str] = (),
) -> ImportReport:
    """Write a parsed REFI project into the warehouse (inside the caller's transaction).

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
    roster = tuple(roster)
    problems = []
    # labels use GUIDs, not titles: a title may itself carry a name
    texts = [(f"document {s.guid}", s.text) for s in project.sources]
    texts += [(f"title of document {s.guid}", s.name) for s in project.sources]
    texts += [(f"note {n.guid}", n.text) for n in project.notes]
    texts += [(f"selection {sel.guid} description", sel.description or "") for s in project.sources for sel in s.selections]
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
    now = datetime.now()
    project_id = hashlib.sha256(f"{file_name}\x1f{project.name}".encode()).hexdigest()[:16]
    con.execute("INSERT OR REPLACE INTO syn_project VALUES (?, ?, ?, ?, ?, ?)",
                [project_id, project.name, project.origin, project.creating_user, file_name, now])

    # codebook
    by_guid = {c.guid: c for c in project.codes}
    row = con.execute("SELECT coalesce(max(version_id), 0) FROM syn_codebook_version").fetchall()
    version = int(row[0][0])
    if project.codes and _codebook_changes(con, project.codes, by_guid):
        # each import that changes the codebook is a version; a code keeps the version that introduced it.
        # Re-importing an unchanged codebook is a no-op (the demo can be re-run).
        version += 1
        con.execute("INSERT INTO syn_codebook_version VALUES (?, ?, ?)", [version, now, f"imported from {file_name}"])
    for c in project.codes:
        con.execute(
            "INSERT INTO syn_code (code_id, parent_code_id, name, definition, origin, is_codable, color, "
            "sort_order, version_introduced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code_id) DO UPDATE SET "
            "parent_code_id = excluded.parent_code_id, name = excluded.name, definition = excluded.definition, "
            "origin = excluded.origin, is_codable = excluded.is_codable, color = excluded.color, "
            "sort_order = excluded.sort_order",
            [c.guid, c.parent_guid, c.name, c.description, _origin_of(c, by_guid), c.is_codable, c.color, c.order,
             version],
        )
    report.codes = len(project.codes)
    for st in project.sets:
        if not st.name.lower().startswith(THEME_PREFIX):
            report.warnings.append(f"set {st.name!r} is not a theme (name does not start with 'Theme:'); skipped")
            continue
        con.execute("DELETE FROM syn_theme_code WHERE theme_id = ?", [st.guid])
        rq = _RQ.match(st.description or "")
        con.execute(
            "INSERT INTO syn_theme (theme_id, name, definition, status, rq_id) VALUES (?, ?, ?, 'reviewed', ?) "
            "ON CONFLICT (theme_id) DO UPDATE SET name = excluded.name, definition = excluded.definition, "
            "rq_id = excluded.rq_id",
            [st.guid, st.name[len(THEME_PREFIX):].strip(), st.description, rq.group(1) if rq else None],
        )
        for code_guid in st.member_codes:
            con.execute("INSERT OR IGNORE INTO syn_theme_code VALUES (?, ?)", [st.guid, code_guid])
        report.themes += 1

    # coders
    users = {u.guid: u for u in project.users}
    for u in project.users:
        con.execute("INSERT OR REPLACE INTO syn_coder VALUES (?, ?, ?)", [u.guid, u.name, u.id])

    # cases -> site of each source, participants
    source_site: dict[str, str] = {}
    participants: dict[str, str] = {}   # label (lower) -> participant_id, per site below
    for case in project.cases:
        role, agency = _lookup(case.values, "role"), _lookup(case.values, "agency")
        case_site = _site_of(_lookup(case.values, "site")) or _site_of(case.name) or (site if role or agency else None)
        if case_site and (role or agency) and case.name:
            pid = f"{case_site}:{case.name.strip()}"
            con.execute(
                "INSERT OR REPLACE INTO syn_participant (participant_id, site_id, pseudonym, role, agency, qdpx_guid) "
                "VALUES (?, ?, ?, ?, ?, ?)", [pid, case_site, case.name.strip(), role, agency, case.guid],
            )
            participants[f"{case_site}:{case.name.strip().lower()}"] = pid
            report.participants += 1
        elif case_site:
            for sg in case.source_guids:
                source_site.setdefault(sg, case_site)

    doc_ids = [s.guid for s in project.sources]
    if doc_ids:
        for table in ("syn_coded_segment", "syn_annotation", "syn_speaker_turn", "syn_document", "syn_activity"):
            col = "activity_id" if table == "syn_activity" else "document_id"
            con.execute(f"DELETE FROM {table} WHERE {col} IN (SELECT unnest(?))", [doc_ids])  # noqa: S608
    known_codes = {r[0] for r in con.execute("SELECT code_id FROM syn_code").fetchall()}
    known_coders = {r[0] for r in con.execute("SELECT coder_id FROM syn_coder").fetchall()}
    seg_rows: list[list[object]] = []
    turn_rows: list[list[object]] = []
    ann_rows: list[list[object]] = []
    for src in project.sources:
        doc_site = _site_of(_lookup(src.values, "site")) or source_site.get(src.guid)
        if doc_site and site and doc_site != site:
            raise DataError(
                f"{file_name}: document {src.name!r} belongs to site {doc_site!r} but --site {site!r} was given; "
                "drop --site or import the file for its own site"
            )
        doc_site = doc_site or site
        if doc_site is None:
            raise DataError(
                f"{file_name}: document {src.name!r} names no site (no 'Site' variable or site case); "
                f"pass --site with one of: {', '.join(SITE_IDS)}"
            )
        kind = _activity_kind(src.values, src.name)
        sha = text_sha256(src.text)
        con.execute("INSERT INTO syn_activity VALUES (?, ?, ?, NULL, NULL)", [src.guid, doc_site, kind])
        con.execute(
            "INSERT INTO syn_document (document_id, activity_id, site_id, title, version, status, text, text_sha256, "
            "char_count, description, project_id, imported_from) VALUES (?, ?, ?, ?, 1, 'pseudonymised', ?, ?, ?, ?, ?, ?)",
            [src.guid, src.guid, doc_site, src.name, src.text, sha, len(src.text), src.description, project_id, file_name],
        )
        report.documents += 1
        turns = speaker_turns(src.text)
        speakers = set()
        for t in turns:
            pid = participants.get(f"{doc_site}:{t.speaker_label.lower()}")
            if pid is None:
                row = con.execute("SELECT participant_id FROM syn_participant WHERE site_id = ? AND lower(pseudonym) = ?",
                                  [doc_site, t.speaker_label.lower()]).fetchone()
                pid = row[0] if row else None
            speakers.add(pid)
            turn_rows.append([src.guid, t.turn_no, pid, t.speaker_label, t.start_char, t.end_char])
        con.execute("UPDATE syn_activity SET n_participants = ? WHERE activity_id = ?",
                    [len(speakers - {None}), src.guid])
        for sel in src.selections:
            sel_user = sel.creating_user or src.creating_user or project.creating_user
            if not sel.codings:
                ann_rows.append([sel.guid, src.guid, sel_user, sel.name, sel.start, sel.end, sel.description])
                report.annotations += 1
                continue
            for coding in sel.codings:
                if coding.code_guid not in known_codes:
                    raise DataError(
                        f"{file_name}: a coding in {src.name!r} refers to code {coding.code_guid} which is in neither "
                        "the project's codebook nor the warehouse; export the project with its codebook"
                    )
                coder = coding.creating_user or sel_user or UNKNOWN_CODER
                if coder not in users and coder not in known_coders:
                    con.execute("INSERT OR IGNORE INTO syn_coder VALUES (?, NULL, NULL)", [coder])
                    known_coders.add(coder)
                seg_rows.append([coding.guid, sel.guid, sel.name, src.guid, coding.code_guid, coder, sel.start, sel.end,
                                 sha, 1, now, sel.description])
                report.segments += 1
    insert_rows(con, "syn_speaker_turn", ["document_id", "turn_no", "participant_id", "speaker_label", "start_char",
                                          "end_char"], turn_rows)
    insert_rows(con, "syn_annotation", ["annotation_id", "document_id", "coder_id", "name", "start_char", "end_char",
                                        "body"], ann_rows, key=["annotation_id"])
    insert_rows(con, "syn_coded_segment", ["segment_id", "selection_id", "selection_name", "document_id", "code_id",
                                           "coder_id", "start_char", "end_char", "text_sha256_at_coding",
                                           "coding_round", "created_at", "memo"], seg_rows, key=["segment_id"])
    selection_ids = {sel.guid for s in project.sources for sel in s.selections}
    for note in project.notes:
        targets = [t for t in project.note_refs.get(note.guid, []) if t in selection_ids]
        con.execute("INSERT OR REPLACE INTO syn_memo VALUES (?, ?, ?, NULL, ?, ?, NULL, ?)",
                    [note.guid, "segment" if targets else "project", targets[0] if targets else None,
                     note.name, note.text, now])
        report.memos += 1
    return report


# ---------------------------------------------------------------- export

def build_project(con: duckdb.DuckDBPyConnection, name: str = "linkready focus-group synthesis") -> refi.RefiProject:
    """Read the warehouse's codebook, documents, segments, participants, memos and themes as a project."""
    project = refi.RefiProject(name=name, origin="linkready")
    codes = con.execute(
        "SELECT code_id, name, is_codable, color, definition, parent_code_id, sort_order FROM syn_code "
        "WHERE retired_in_version IS NULL ORDER BY sort_order, code_id"
    ).fetchall()
    project.codes = [refi.RefiCode(g, n, bool(cd), col, d, p, o) for g, n, cd, col, d, p, o in codes]
    coders = con.execute(
        "SELECT coder_id, name, initials FROM syn_coder WHERE coder_id IN "
        "(SELECT coder_id FROM syn_coded_segment UNION SELECT coder_id FROM syn_annotation) ORDER BY coder_id"
    ).fetchall()
    project.users = [refi.RefiUser(g, n, i) for g, n, i in coders]
    if project.users:
        project.creating_user = project.users[0].guid
    project.variables = {"Site": "Text", "Activity": "Text", "Role": "Text", "Agency": "Text"}
    docs = con.execute(
        "SELECT d.document_id, d.title, d.text, d.site_id, a.kind, d.description FROM syn_document d "
        "LEFT JOIN syn_activity a ON a.activity_id = d.activity_id ORDER BY d.site_id, d.title, d.document_id"
    ).fetchall()
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
    site_docs: dict[str, list[str]] = {}
    for doc_id, title, text, site_id, kind, desc in docs:
        sels = sorted(by_doc.get(doc_id, {}).values(), key=lambda s: (s.start, s.end, s.guid))
        project.sources.append(
            refi.RefiSource(doc_id, title, text, desc, project.creating_user, sels,
                            {"Site": site_id, "Activity": kind or "data_focus_group"})
        )
        site_docs.setdefault(site_id, []).append(doc_id)
    for site_id, doc_ids in site_docs.items():
        project.cases.append(refi.RefiCase(stable_guid("site-case", site_id), site_id, SITES[site_id].name
                                           if site_id in SITES else None, {"Site": site_id}, doc_ids))
    for pid, site_id, pseud, role, agency, guid in con.execute(
        "SELECT participant_id, site_id, pseudonym, role, agency, qdpx_guid FROM syn_participant ORDER BY participant_id"
    ).fetchall():
        spoke = [r[0] for r in con.execute(
            "SELECT DISTINCT document_id FROM syn_speaker_turn WHERE participant_id = ? ORDER BY 1", [pid]).fetchall()]
        values = {"Site": site_id}
        if role:
            values["Role"] = role
        if agency:
            values["Agency"] = agency
        project.cases.append(refi.RefiCase(guid or stable_guid("participant", pid), pseud, None, values, spoke))
    all_sel = {s.guid for src in project.sources for s in src.selections}
    for memo_id, kind, target, title, body in con.execute(
        "SELECT memo_id, target_kind, target_id, title, body FROM syn_memo ORDER BY memo_id"
    ).fetchall():
        project.notes.append(refi.RefiNote(memo_id, title, body))
        if kind == "segment" and target in all_sel:
            project.note_refs.setdefault(memo_id, []).append(target)
    for theme_id, tname, definition in con.execute(
        "SELECT theme_id, name, definition FROM syn_theme WHERE status <> 'discarded' ORDER BY theme_id"
    ).fetchall():
        members = [r[0] for r in con.execute(
            "SELECT code_id FROM syn_theme_code WHERE theme_id = ? ORDER BY code_id", [theme_id]).fetchall()]
        project.sets.append(refi.RefiSet(theme_id, f"Theme: {tname}", definition, members))
    return project


def variable_guids(project: refi.RefiProject) -> dict[str, str]:
    """Deterministic GUIDs for the project's variables."""
    return {name: stable_guid("variable", name) for name in project.variables}


def file_label(path: Path) -> str:
    """The file name used for lineage (no directories, which can carry personal names)."""
    return Path(path).name
