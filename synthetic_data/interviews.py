"""Seeded acceptability interviews, coded with the acceptability codebook, with a known ground truth.

:func:`write_interviews` writes ``interviews.qdpx`` (a REFI-QDA project: about ten pseudonymised
interviews per site, each with one interviewee ``I01``... whose ``Role`` variable is a stakeholder
group, coded by one researcher with the codebook of ``warehouse.toc.acceptability_codebook_entries``:
each answer carries a construct code, most also its direction, plus the RQ1b code) and
``truth/acceptability_truth.json`` (per site, construct and stakeholder group: the positive,
negative and undirected segments planted, and the participants who spoke).

Planted leans (every statement in the cell goes one way, whatever the seed):

- CODA service users find taking part a burden (twelve weekly two-hour groups): negative;
- For Baby's Sake partner agencies question working with the parent who harmed: ethicality negative;
- Survive and Thrive practitioners see it work: perceived effectiveness positive;
- LEAP practitioners give up other casework for the open-ended support: opportunity costs negative.

Other cells lean positive at random. Depends only on numpy and warehouse.
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from warehouse.sites import SITE_IDS
from warehouse.toc import (
    ACCEPTABILITY_CONSTRUCTS,
    STAKEHOLDER_GROUPS,
    acceptability_code_guid,
    acceptability_codebook_entries,
)

__all__ = ["PLANTED_LEANS", "write_interviews"]

PLANTED_LEANS: dict[tuple[str, str, str], str] = {
    ("coda", "burden", "service user"): "negative",
    ("fbs", "ethicality", "partner agency"): "negative",
    ("sat", "perceived_effectiveness", "practitioner"): "positive",
    ("leap", "opportunity_costs", "practitioner"): "negative",
}
STAMP = "2026-02-02T10:00:00Z"
NS = "urn:QDA-XML:project:1.0"

_SAYS: dict[str, tuple[str, str]] = {   # construct -> (in favour, against)
    "affective_attitude": ("I really like coming, it feels warm.", "Honestly I dreaded the sessions at first."),
    "burden": ("Fitting it in was easy enough for us.", "Getting there every week was exhausting."),
    "ethicality": ("It sits right with how I think families should be treated.",
                   "Working with the person who caused harm does not sit right with me."),
    "intervention_coherence": ("I knew from day one what it was for and how it would help.",
                               "I’m still not sure what the sessions were meant to change."),
    "opportunity_costs": ("We didn’t have to drop anything else to do it.",
                          "It takes time away from other families on my caseload."),
    "perceived_effectiveness": ("Things at home are calmer since we started.", "I can’t see that it has changed much."),
    "self_efficacy": ("I felt able to do what they asked of me.", "Some of the exercises felt beyond me."),
}
_QUESTIONS = ("Can you tell me about that?", "How did that feel?", "What made the difference?", "Anything else?")
_OPENERS = ("Well,", "To be honest,", "I’d say", "For me,", "Mm.")


@dataclass
class _Interview:
    guid: str
    site: str
    pseudonym: str
    group: str
    text: str = ""
    selections: list[tuple[str, int, int, list[str]]] = field(default_factory=list)   # guid, start, end, codes


@dataclass
class _Truth:
    cells: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    speakers: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)

    def add(self, key: tuple[str, str, str], valence: str | None, speaker: str) -> None:
        cell = self.cells.setdefault(key, {"n_positive": 0, "n_negative": 0, "n_undirected": 0})
        cell["n_" + (valence or "undirected")] += 1
        self.speakers.setdefault(key, set()).add(speaker)


class _Ids:
    def __init__(self, seed: int) -> None:
        self.ns = uuid.uuid5(uuid.NAMESPACE_URL, f"linkready-synthetic-interviews/{seed}")

    def __call__(self, *parts: object) -> str:
        return str(uuid.uuid5(self.ns, "/".join(map(str, parts)))).upper()


def _groups(per_site: int, rng: np.random.Generator) -> list[str]:
    """Every stakeholder group at least twice when there is room, the rest at random."""
    base = [g for g in STAKEHOLDER_GROUPS for _ in range(2)][:per_site]
    extra = [STAKEHOLDER_GROUPS[int(i)] for i in rng.integers(len(STAKEHOLDER_GROUPS), size=per_site - len(base))]
    return base + extra


def _statements(site: str, group: str, rng: np.random.Generator) -> list[tuple[str, str | None]]:
    """(construct, valence or None) for one interview: the planted constructs, then three at random."""
    names = list(ACCEPTABILITY_CONSTRUCTS.names())
    planted = [c for (s, c, g) in PLANTED_LEANS if s == site and g == group]
    others = [names[int(i)] for i in rng.permutation(len(names)) if names[int(i)] not in planted][:3]
    out: list[tuple[str, str | None]] = []
    for construct in planted:
        out += [(construct, PLANTED_LEANS[(site, construct, group)])] * 2
    for construct in others:
        roll = rng.random()
        out.append((construct, None if roll < 0.1 else "positive" if roll < 0.7 else "negative"))
    return out


def _interview(doc: _Interview, rng: np.random.Generator, ids: _Ids, truth: _Truth) -> None:
    parts: list[str] = []
    pos = 0

    def say(line: str) -> None:
        nonlocal pos
        parts.append(line + "\n")
        pos += len(line) + 1

    say("Interviewer: Thank you for talking to me about the programme.")
    for n, (construct, valence) in enumerate(_statements(doc.site, doc.group, rng)):
        say(f"Interviewer: {_QUESTIONS[int(rng.integers(len(_QUESTIONS)))]}")
        sentence = _SAYS[construct][0 if valence != "negative" else 1]
        prefix = f"{doc.pseudonym}: {_OPENERS[int(rng.integers(len(_OPENERS)))]} "
        start = pos + len(prefix)
        codes = [acceptability_code_guid(construct, valence) if valence else acceptability_code_guid(construct),
                 acceptability_code_guid("rq", "RQ1b")]
        doc.selections.append((ids("selection", doc.guid, n), start, start + len(sentence), codes))
        say(prefix + sentence)
        truth.add((doc.site, construct, doc.group), valence, doc.pseudonym)
    doc.text = "".join(parts)


def _build(seed: int, per_site: int) -> tuple[list[_Interview], _Truth, _Ids]:
    rng, ids, truth = np.random.default_rng(seed), _Ids(seed), _Truth()
    docs = []
    for site in SITE_IDS:
        for i, group in enumerate(_groups(per_site, rng), start=1):
            doc = _Interview(ids("interview", site, i), site, f"I{i:02d}", group)
            _interview(doc, rng, ids, truth)
            docs.append(doc)
    return docs, truth, ids


def _sub(parent: ET.Element, tag: str, **attrs: str | None) -> ET.Element:
    return ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})


def _value(parent: ET.Element, var_guid: str, value: str) -> None:
    vv = _sub(parent, "VariableValue")
    _sub(vv, "VariableRef", targetGUID=var_guid)
    _sub(vv, "TextValue").text = value


def _qde(docs: list[_Interview], ids: _Ids) -> bytes:
    coder = ids("user", "coder")
    root = ET.Element("Project", {"xmlns": NS, "name": "Synthetic acceptability interviews",
                                  "origin": "linkready synthetic", "creatingUserGUID": coder,
                                  "creationDateTime": STAMP})
    _sub(_sub(root, "Users"), "User", guid=coder, name="Researcher 3", id="R3")
    codes_el = _sub(_sub(root, "CodeBook"), "Codes")
    placed: dict[str | None, ET.Element] = {None: codes_el}
    for e in acceptability_codebook_entries():
        el = _sub(placed[e.parent_guid], "Code", guid=e.guid, name=e.name,
                  isCodable="true" if e.is_codable else "false", color=e.color)
        if e.description:
            _sub(el, "Description").text = e.description
        placed[e.guid] = el
    var = {n: ids("var", n) for n in ("Site", "Activity", "Role")}
    vars_el = _sub(root, "Variables")
    for name, guid in var.items():
        _sub(vars_el, "Variable", guid=guid, name=name, typeOfVariable="Text")
    cases = _sub(root, "Cases")
    for d in docs:
        case = _sub(cases, "Case", guid=ids("case", d.site, d.pseudonym), name=d.pseudonym)
        _value(case, var["Site"], d.site)
        _value(case, var["Role"], d.group)
        _sub(case, "SourceRef", targetGUID=d.guid)
    sources = _sub(root, "Sources")
    for d in docs:
        src = _sub(sources, "TextSource", guid=d.guid, name=f"Interview {d.site} {d.pseudonym}",
                   plainTextPath=f"internal://{d.guid}.txt", creatingUser=coder, creationDateTime=STAMP)
        for guid, start, end, code_guids in d.selections:
            sel = _sub(src, "PlainTextSelection", guid=guid, startPosition=str(start), endPosition=str(end),
                       creatingUser=coder)
            for code in code_guids:
                coding = _sub(sel, "Coding", guid=ids("coding", guid, code), creatingUser=coder)
                _sub(coding, "CodeRef", targetGUID=code)
        _value(src, var["Site"], d.site)
        _value(src, var["Activity"], "interview")
    ET.indent(root)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def write_interviews(out_dir: Path, seed: int, per_site: int = 10) -> list[Path]:
    """Write ``interviews.qdpx`` and ``truth/acceptability_truth.json``; returns the files to import.

    Byte-identical per seed and ``per_site``.
    """
    if per_site < 1:
        raise ValueError(f"per_site must be at least 1, got {per_site}")
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    docs, truth, ids = _build(seed, per_site)
    path = out_dir / "interviews.qdpx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("project.qde", (2026, 2, 2, 10, 0, 0)), _qde(docs, ids))
        for d in docs:
            zf.writestr(zipfile.ZipInfo(f"sources/{d.guid}.txt", (2026, 2, 2, 10, 0, 0)), d.text.encode("utf-8"))
    cells = [{"site_id": s, "construct": c, "stakeholder_group": g, **counts,
              "n_participants": len(truth.speakers[(s, c, g)]), "planted_lean": PLANTED_LEANS.get((s, c, g))}
             for (s, c, g), counts in sorted(truth.cells.items())]
    (out_dir / "truth" / "acceptability_truth.json").write_text(
        json.dumps({"seed": seed, "per_site": per_site, "cells": cells}, indent=2) + "\n", encoding="utf-8")
    return [path]
