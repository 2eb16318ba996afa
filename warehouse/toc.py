"""Theory of change (ToC) as data: each site's need, activities, mechanisms and outcomes, the links
between them with the assumptions they rest on, the evidence behind each link, and, for every
outcome, the sources that could evidence it.

The model is warehouse-level because three layers read it: ``synthesis`` imports and exports it,
``evaluation`` and the dashboard show which outcomes are measurable. Vocabulary lives here once
(with the study's research questions, Sekhon's acceptability constructs and the stakeholder
groups of the interviews, which the generator and the synthesis share):

- :data:`NODE_KINDS`: need, population, activity, mechanism, short/medium/long-term outcome,
  unintended consequence, context, barrier, enabler (a registry, in diagram order);
- :data:`SOURCE_KINDS`: where an outcome's evidence could come from: a standardised ``measure``
  (``warehouse.measures``), a ``csc_outcome`` from the LA extracts via linkage, an
  ``ssda903_outcome`` from the looked-after return, or a ``site_data_item`` rated in the synthesis;
- :data:`EVIDENCE_KINDS` (``desk_research`` with a strength rating, ``coded_segment`` from a
  workshop or interview) and :data:`STRENGTHS` (strong, moderate, weak, none).

Each import of a site's ToC that differs from its current one is a new version; the tables are
``toc_model``, ``toc_node``, ``toc_link``, ``toc_evidence`` and ``toc_outcome_source`` (migration
0020). :func:`store_toc` and :func:`load_toc` move a :class:`TheoryOfChange` in and out.

Example:
    >>> toc = TheoryOfChange("leap", "LEAP", nodes=(TocNode("A1", "activity", "Casework"),
    ...     TocNode("O1", "short_term_outcome", "Parents feel safer")),
    ...     links=(TocLink("L1", "A1", "O1", "Trust builds with one caseworker"),))
    >>> toc.problems()
    []
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from warehouse.errors import ConfigError, DataError, did_you_mean
from warehouse.measures import get_measure
from warehouse.registry import Registry
from warehouse.sites import get_site

__all__ = [
    "ACCEPTABILITY_CONSTRUCTS", "OTHER_STAKEHOLDERS", "STAKEHOLDER_GROUPS", "STUDY_QUESTIONS", "VALENCES",
    "CodebookEntry", "Construct", "StudyQuestion", "acceptability_code_guid", "acceptability_codebook_entries", "EVIDENCE_KINDS", "JSON_FORMAT", "NODE_KINDS", "SOURCE_KINDS", "STRENGTHS", "EvidenceKind", "NodeKind", "SourceKind",
    "TheoryOfChange", "TocEvidence", "TocLink", "TocNode", "TocSource", "current_version", "load_toc", "store_toc",
    "toc_to_dict", "toc_to_json", "toc_versions",
]


@dataclass(frozen=True)
class NodeKind:
    """A kind of ToC node, with the words a workshop uses for it."""

    name: str
    label: str
    is_outcome: bool = False


@dataclass(frozen=True)
class SourceKind:
    """Where evidence for an outcome can come from; ``references`` lists the allowed references
    (None: checked elsewhere, e.g. measure codes by the measure catalogue)."""

    name: str
    label: str
    references: tuple[tuple[str, str], ...] | None = None   # (reference, label)

    def reference_label(self, reference: str) -> str:
        """The words for a reference of this kind (the reference itself when none are listed)."""
        if self.name == "measure":
            return get_measure(reference).name
        return dict(self.references or ()).get(reference, reference)


@dataclass(frozen=True)
class EvidenceKind:
    """A kind of evidence for a link or an assumption."""

    name: str
    label: str
    needs_strength: bool


NODE_KINDS: Registry[NodeKind] = Registry("theory-of-change node kind")
for _kind in (
    NodeKind("need", "Need"),
    NodeKind("population", "Who it is for"),
    NodeKind("context", "Context"),
    NodeKind("activity", "Activity"),
    NodeKind("mechanism", "Mechanism"),
    NodeKind("short_term_outcome", "Short-term outcome", True),
    NodeKind("medium_term_outcome", "Medium-term outcome", True),
    NodeKind("long_term_outcome", "Long-term outcome", True),
    NodeKind("unintended_consequence", "Unintended consequence", True),
    NodeKind("barrier", "Barrier"),
    NodeKind("enabler", "Enabler"),
):
    NODE_KINDS.register(_kind)

SOURCE_KINDS: Registry[SourceKind] = Registry("outcome evidence source kind")
for _source in (
    SourceKind("measure", "Standardised measure"),
    SourceKind("csc_outcome", "Children's social care record (via linkage)", (
        ("re_referral", "Re-referral to children's social care"),
        ("cin_episode", "Child in need episode"),
        ("cp_plan", "Child protection plan"),
        ("cla_entry", "Became looked after"),
    )),
    SourceKind("ssda903_outcome", "Looked-after children return (SSDA903)", (
        ("sdq_score", "Strengths and Difficulties Questionnaire score"),
        ("missing_episode", "Missing from placement"),
        ("conviction", "Convicted of an offence"),
        ("substance_misuse", "Substance misuse problem identified"),
        ("health_check", "Annual health assessment up to date"),
    )),
    SourceKind("site_data_item", "Site data item (rated in the synthesis)"),
):
    SOURCE_KINDS.register(_source)

EVIDENCE_KINDS: Registry[EvidenceKind] = Registry("theory-of-change evidence kind")
EVIDENCE_KINDS.register(EvidenceKind("desk_research", "Desk research", True))
EVIDENCE_KINDS.register(EvidenceKind("coded_segment", "Coded workshop or interview segment", False))

STRENGTHS: tuple[tuple[str, str], ...] = (
    ("strong", "Strong: consistent findings from robust studies"),
    ("moderate", "Moderate: some robust studies, or consistent weaker ones"),
    ("weak", "Weak: limited or inconsistent studies"),
    ("none", "None found: no evidence located"),
)
"""Evidence-strength ratings for desk research, strongest first."""


@dataclass(frozen=True)
class TocNode:
    """A box of the diagram."""

    node_id: str
    kind: str
    label: str
    description: str | None = None


@dataclass(frozen=True)
class TocLink:
    """An arrow ``from_id -> to_id`` and the assumption it rests on."""

    link_id: str
    from_id: str
    to_id: str
    assumption: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class TocEvidence:
    """Evidence for a link (its assumption) or a node: a desk-research source or a coded segment."""

    evidence_id: str
    target_id: str
    kind: str
    reference: str
    strength: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class TocSource:
    """A candidate evidence source for an outcome."""

    outcome_id: str
    kind: str
    reference: str
    note: str | None = None


@dataclass(frozen=True)
class TheoryOfChange:
    """One site's theory of change (one version)."""

    site_id: str
    title: str
    nodes: tuple[TocNode, ...] = ()
    links: tuple[TocLink, ...] = ()
    evidence: tuple[TocEvidence, ...] = ()
    sources: tuple[TocSource, ...] = ()
    version: int | None = field(default=None, compare=False)

    def node(self, node_id: str) -> TocNode:
        """The node with this id (KeyError when absent)."""
        for n in self.nodes:
            if n.node_id == node_id:
                return n
        raise KeyError(node_id)

    def outcomes(self) -> tuple[TocNode, ...]:
        """Nodes whose kind is an outcome (including unintended consequences)."""
        return tuple(n for n in self.nodes if n.kind in NODE_KINDS and NODE_KINDS.get(n.kind).is_outcome)

    def problems(self) -> list[str]:
        """Every inconsistency at once (empty when the model can be stored)."""
        out: list[str] = []
        _check_ids(out, "node", [n.node_id for n in self.nodes])
        _check_ids(out, "link", [lk.link_id for lk in self.links])
        _check_ids(out, "evidence", [e.evidence_id for e in self.evidence])
        nodes = {n.node_id for n in self.nodes}
        for n in self.nodes:
            _check_choice(out, f"node {n.node_id}", "kind", n.kind, NODE_KINDS.names())
            if not n.label.strip():
                out.append(f"node {n.node_id}: label is empty; give the words the workshop used")
        for lk in self.links:
            for end, node_id in (("from", lk.from_id), ("to", lk.to_id)):
                if node_id not in nodes:
                    out.append(f"link {lk.link_id}: {end} {node_id!r} is not a node id; allowed: node ids of this ToC")
        targets = nodes | {lk.link_id for lk in self.links}
        for e in self.evidence:
            out.extend(_evidence_problems(e, targets))
        outcome_ids = {n.node_id for n in self.outcomes()}
        seen: set[tuple[str, str, str]] = set()
        for s in self.sources:
            out.extend(_source_problems(s, outcome_ids))
            if (s.outcome_id, s.kind, s.reference) in seen:
                out.append(f"source {s.kind} {s.reference!r} of outcome {s.outcome_id}: listed twice")
            seen.add((s.outcome_id, s.kind, s.reference))
        return out


def _check_ids(out: list[str], what: str, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if not i or not i.strip():
            out.append(f"a {what} has an empty id; give each {what} a short unique id such as O1")
        elif i in seen:
            out.append(f"{what} id {i!r} is used twice; ids must be unique within a ToC")
        seen.add(i)


def _check_choice(out: list[str], where: str, column: str, value: str | None, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        out.append(f"{where}: {column} {value!r} is not allowed; allowed: {', '.join(allowed)}"
                   f"{did_you_mean(value or '', allowed)}")


def _evidence_problems(e: TocEvidence, targets: set[str]) -> list[str]:
    out: list[str] = []
    where = f"evidence {e.evidence_id}"
    if e.target_id not in targets:
        out.append(f"{where}: target {e.target_id!r} is neither a link nor a node id of this ToC")
    _check_choice(out, where, "kind", e.kind, EVIDENCE_KINDS.names())
    if not e.reference.strip():
        out.append(f"{where}: reference is empty; cite the study or give the coded segment's id")
    strengths = [s for s, _ in STRENGTHS]
    if e.kind in EVIDENCE_KINDS and EVIDENCE_KINDS.get(e.kind).needs_strength:
        _check_choice(out, where, "strength", e.strength, strengths)
    elif e.strength is not None:
        _check_choice(out, where, "strength", e.strength, strengths)
    return out


def _source_problems(s: TocSource, outcome_ids: set[str]) -> list[str]:
    out: list[str] = []
    where = f"source of {s.outcome_id}"
    if s.outcome_id not in outcome_ids:
        out.append(f"{where}: {s.outcome_id!r} is not an outcome node (sources attach to outcomes and unintended "
                   "consequences)")
    _check_choice(out, where, "kind", s.kind, SOURCE_KINDS.names())
    if s.kind == "measure":
        try:
            if get_measure(s.reference).code != s.reference:
                out.append(f"{where}: measure {s.reference!r} is written {get_measure(s.reference).code!r} here")
        except ConfigError as exc:   # names the catalogue, with a did-you-mean
            out.append(f"{where}: {exc}")
    elif s.kind in SOURCE_KINDS:
        refs = SOURCE_KINDS.get(s.kind).references
        if refs is not None:
            _check_choice(out, where, "reference", s.reference, [r for r, _ in refs])
    return out


# ---------------------------------------------------------------- acceptability vocabulary

@dataclass(frozen=True)
class Construct:
    """A construct of the theoretical framework of acceptability (Sekhon, Cartwright and Francis 2017)."""

    name: str
    label: str
    definition: str


@dataclass(frozen=True)
class StudyQuestion:
    """A research question of the feasibility study protocol (RQ1a ... RQ3d)."""

    rq_id: str
    text: str


ACCEPTABILITY_CONSTRUCTS: Registry[Construct] = Registry("acceptability construct")
for _construct in (
    Construct("affective_attitude", "Affective attitude", "How a person feels about the intervention."),
    Construct("burden", "Burden", "How much effort taking part asks of a person."),
    Construct("ethicality", "Ethicality", "How well the intervention fits a person's values."),
    Construct("intervention_coherence", "Intervention coherence",
              "How well a person understands the intervention and how it works."),
    Construct("opportunity_costs", "Opportunity costs", "What a person gives up (time, other help) to take part."),
    Construct("perceived_effectiveness", "Perceived effectiveness",
              "How far a person thinks the intervention achieves what it is for."),
    Construct("self_efficacy", "Self-efficacy", "How confident a person is that they can do what taking part needs."),
):
    ACCEPTABILITY_CONSTRUCTS.register(_construct)

STUDY_QUESTIONS: Registry[StudyQuestion] = Registry("study research question", "rq_id")
for _rq in (
    StudyQuestion("RQ1a", "Which impacts do stakeholders identify?"),
    StudyQuestion("RQ1b", "How acceptable is the intervention to stakeholders?"),
    StudyQuestion("RQ1c", "How well does it meet families' needs?"),
    StudyQuestion("RQ1d", "What unintended consequences or negative effects are there, and how are they mitigated?"),
    StudyQuestion("RQ1e", "What evidence supports the theory of change (mechanisms, conditions)?"),
    StudyQuestion("RQ2a", "How long would it take to reach a sample size, and under which conditions?"),
    StudyQuestion("RQ2b", "What unintended consequences could an evaluation have, and for which groups?"),
    StudyQuestion("RQ3a", "Which outcomes should be measured, and how available are the data to do so?"),
    StudyQuestion("RQ3b", "How are the evaluation options understood, and how acceptable are they?"),
    StudyQuestion("RQ3c", "How acceptable are different levels of randomisation?"),
    StudyQuestion("RQ3d", "Can providers support an evaluation while delivering, and how?"),
):
    STUDY_QUESTIONS.register(_rq)

STAKEHOLDER_GROUPS: tuple[str, ...] = ("service user", "practitioner", "manager", "partner agency")
"""Stakeholder groups of the acceptability interviews, read from a participant's ``Role`` variable."""
OTHER_STAKEHOLDERS = "other"
VALENCES: tuple[str, ...] = ("positive", "negative")

_ACCEPTABILITY_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://linkready.invalid/acceptability-codebook")


def acceptability_code_guid(*parts: str) -> str:
    """The fixed upper-case GUID of an acceptability-codebook code (``("burden",)``, ``("burden", "negative")``,
    ``("rq", "RQ1b")``), so a project coded with the exported ``.qdc`` comes back with the same codes."""
    return str(uuid.uuid5(_ACCEPTABILITY_NS, "/".join(parts))).upper()


@dataclass(frozen=True)
class CodebookEntry:
    """One code of the acceptability codebook (what a ``.qdc`` holds for it)."""

    guid: str
    parent_guid: str | None
    name: str
    description: str | None
    is_codable: bool
    color: str | None


_COLOURS = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2")


def acceptability_codebook_entries() -> list[CodebookEntry]:
    """The deductive acceptability codebook, in order: a root, each construct with a positive and a
    negative child (``Burden: negative``), then a code per research question of the protocol."""
    root, rq_root = acceptability_code_guid("root"), acceptability_code_guid("rq")
    out = [CodebookEntry(root, None, "Acceptability (Sekhon et al. 2017)",
                         "Deductive: the seven constructs of the theoretical framework of acceptability", False,
                         "#333333")]
    for i, c in enumerate(ACCEPTABILITY_CONSTRUCTS.values()):
        guid = acceptability_code_guid(c.name)
        out.append(CodebookEntry(guid, root, c.label, c.definition, True, _COLOURS[i % len(_COLOURS)]))
        out += [CodebookEntry(acceptability_code_guid(c.name, v), guid, f"{c.label}: {v}",
                              f"{c.label}, said {'in favour' if v == 'positive' else 'against'}", True, None)
                for v in VALENCES]
    out.append(CodebookEntry(rq_root, None, "Research questions", "Deductive: the protocol's research questions",
                             False, "#7F7F7F"))
    out += [CodebookEntry(acceptability_code_guid("rq", q.rq_id), rq_root, f"{q.rq_id} {q.text}", None, True, None)
            for q in STUDY_QUESTIONS.values()]
    return out


# ---------------------------------------------------------------- JSON form

JSON_FORMAT = "linkready theory of change"
"""The ``format`` value of a theory-of-change JSON file."""


def toc_to_dict(toc: TheoryOfChange) -> dict[str, Any]:
    """The JSON form: ``format``, ``format_version``, ``site_id``, ``title``, then ``nodes`` (id, kind, label,
    description), ``links`` (id, from, to, assumption, label), ``evidence`` (id, target, kind, reference,
    strength, note) and ``sources`` (outcome, kind, reference, note), in diagram order."""
    return {
        "format": JSON_FORMAT, "format_version": 1, "site_id": toc.site_id, "title": toc.title,
        "nodes": [{"id": n.node_id, "kind": n.kind, "label": n.label, "description": n.description}
                  for n in toc.nodes],
        "links": [{"id": lk.link_id, "from": lk.from_id, "to": lk.to_id, "assumption": lk.assumption,
                   "label": lk.label} for lk in toc.links],
        "evidence": [{"id": e.evidence_id, "target": e.target_id, "kind": e.kind, "reference": e.reference,
                      "strength": e.strength, "note": e.note} for e in toc.evidence],
        "sources": [{"outcome": s.outcome_id, "kind": s.kind, "reference": s.reference, "note": s.note}
                    for s in toc.sources],
    }


def toc_to_json(toc: TheoryOfChange) -> str:
    """:func:`toc_to_dict` as indented UTF-8 JSON text (the file ``linkready toc export --format json`` writes)."""
    return json.dumps(toc_to_dict(toc), ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------- storage

def current_version(con: duckdb.DuckDBPyConnection, site_id: str) -> int | None:
    """The site's latest stored version (None when it has no ToC)."""
    row = con.execute("SELECT max(version) FROM toc_model WHERE site_id = ?", [site_id]).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def toc_versions(con: duckdb.DuckDBPyConnection, site_id: str | None = None) -> list[tuple[str, int, str, str]]:
    """(site, version, title, imported_from) of every stored ToC, oldest first."""
    rows = con.execute(
        "SELECT site_id, version, title, coalesce(imported_from, '') FROM toc_model "
        "WHERE ? IS NULL OR site_id = ? ORDER BY site_id, version", [site_id, site_id]
    ).fetchall()
    return [(str(s), int(v), str(t), str(f)) for s, v, t, f in rows]


def store_toc(con: duckdb.DuckDBPyConnection, toc: TheoryOfChange, imported_from: str) -> tuple[int, bool]:
    """Store ``toc`` as the site's next version unless it equals the current one.

    Returns ``(version, created)``. Raises DataError listing every problem of the model.
    """
    get_site(toc.site_id)
    problems = toc.problems()
    if problems:
        raise DataError(f"{imported_from}: {len(problems)} problem(s) in the theory of change for site "
                        f"{toc.site_id!r}, nothing stored: " + "; ".join(problems[:25])
                        + (f"; ... {len(problems) - 25} more" if len(problems) > 25 else ""))
    latest = current_version(con, toc.site_id)
    if latest is not None and load_toc(con, toc.site_id, latest) == toc:
        return latest, False
    version = (latest or 0) + 1
    _insert_model(con, toc, version, imported_from)
    return version, True


def _insert_model(con: duckdb.DuckDBPyConnection, toc: TheoryOfChange, version: int, imported_from: str) -> None:
    key = [toc.site_id, version]
    con.execute("INSERT INTO toc_model (site_id, version, title, imported_from, imported_at) VALUES (?, ?, ?, ?, ?)",
                [*key, toc.title, imported_from, datetime.now()])
    con.executemany(
        "INSERT INTO toc_node (site_id, version, node_id, kind, label, description, sort_order) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [[*key, n.node_id, n.kind, n.label, n.description, i] for i, n in enumerate(toc.nodes)])
    con.executemany(
        "INSERT INTO toc_link (site_id, version, link_id, from_node, to_node, assumption, label, sort_order) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[*key, lk.link_id, lk.from_id, lk.to_id, lk.assumption, lk.label, i] for i, lk in enumerate(toc.links)])
    con.executemany(
        "INSERT INTO toc_evidence (site_id, version, evidence_id, target_id, kind, reference, strength, note, "
        "sort_order) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[*key, e.evidence_id, e.target_id, e.kind, e.reference, e.strength, e.note, i]
         for i, e in enumerate(toc.evidence)])
    con.executemany(
        "INSERT INTO toc_outcome_source (site_id, version, outcome_id, source_kind, reference, note, sort_order) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [[*key, s.outcome_id, s.kind, s.reference, s.note, i] for i, s in enumerate(toc.sources)])


def load_toc(con: duckdb.DuckDBPyConnection, site_id: str, version: int | None = None) -> TheoryOfChange:
    """The site's ToC (latest version unless ``version``). Raises DataError when none is stored."""
    get_site(site_id)
    version = version if version is not None else current_version(con, site_id)
    row = con.execute("SELECT title FROM toc_model WHERE site_id = ? AND version = ?", [site_id, version]).fetchone()
    if row is None:
        held = [v for _, v, _, _ in toc_versions(con, site_id)]
        raise DataError(f"no theory of change for site {site_id!r}" + (f" version {version}" if version else "")
                        + f"; stored versions: {held or 'none'}; import one with `linkready toc import FILE "
                          f"--db DB --site {site_id}`")
    key = [site_id, version]
    nodes = tuple(TocNode(*r) for r in con.execute(
        "SELECT node_id, kind, label, description FROM toc_node WHERE site_id = ? AND version = ? "
        "ORDER BY sort_order", key).fetchall())
    links = tuple(TocLink(*r) for r in con.execute(
        "SELECT link_id, from_node, to_node, assumption, label FROM toc_link WHERE site_id = ? AND version = ? "
        "ORDER BY sort_order", key).fetchall())
    evidence = tuple(TocEvidence(*r) for r in con.execute(
        "SELECT evidence_id, target_id, kind, reference, strength, note FROM toc_evidence "
        "WHERE site_id = ? AND version = ? ORDER BY sort_order", key).fetchall())
    sources = tuple(TocSource(*r) for r in con.execute(
        "SELECT outcome_id, source_kind, reference, note FROM toc_outcome_source WHERE site_id = ? AND version = ? "
        "ORDER BY sort_order", key).fetchall())
    return TheoryOfChange(site_id, str(row[0]), nodes, links, evidence, sources, version)
