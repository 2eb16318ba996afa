"""Synthetic focus-group and interview material for the four sites, with a known ground truth.

:func:`write_focus_groups` writes, for one seed (byte-identical per seed):

- ``project.qdpx``: a REFI-QDA project with one data focus group and one interview per site,
  pseudonymised (speakers are ``P01``..., no identifiers), coded by two coders who mostly agree;
  themes are ``Theme: ...`` sets;
- ``ratings.csv``, ``framework.csv``, ``findings.csv``: the spreadsheet template files;
- ``truth/ground_truth.json``: the ratings, framework summaries and triangulation categories the
  material encodes; ``truth/raw/*.txt`` + ``truth/roster.txt`` + ``truth/planted_identifiers.json``:
  un-pseudonymised transcripts with planted identifiers (kinds and positions, never values, in the
  JSON) to test the pseudonymisation check. Truth files are not returned for import.

Depends only on the standard library, numpy, faker and warehouse (never on synthesis).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from faker import Faker

from warehouse.dimensions import DIMENSIONS as _DIMENSION_CATALOGUE
from warehouse.identifiers import nhs_check_digit
from warehouse.sites import SITE_IDS

ITEMS = {"nhs_number": "NHS number", "csc_status": "CSC status", "police_notification": "police notification",
         "outcome_measures": "outcome measures", "attendance": "attendance record"}
WORKAROUND_THEME = "Workarounds"
STAMP = "2026-01-15T10:00:00Z"


@dataclass(frozen=True)
class _Theme:
    """What the synthetic focus groups say about one availability dimension.

    ``dimension`` is an id of :data:`warehouse.dimensions.DIMENSIONS` (its label and research question
    are read from there); ``name`` is the synthetic analysts' own theme name, None where they use the
    catalogue's label; ``sentences`` are what a participant says at ratings 0-4.
    """

    dimension: str
    name: str | None
    sentences: tuple[str, str, str, str, str]

    @property
    def theme(self) -> str:
        return self.name or _DIMENSION_CATALOGUE.get(self.dimension).label


_THEMES = (
    _Theme("held", "Holding the data", (
        "Honestly, we don’t record the {item} at all.",
        "The {item} is mentioned in case notes sometimes, but there’s no way to pull it out.",
        "We have the {item} for some families, but someone has to go through the files by hand.",
        "The {item} is on the system for most children and we can run a report.",
        "We record the {item} for about 9 in 10 children and use it every week.")),
    _Theme("accuracy", "Data quality", (
        "Nobody has ever checked whether the {item} is right.",
        "We know the {item} is often wrong or out of date.",
        "The {item} is a mixed picture – some workers are careful, some aren’t.",
        "The {item} is mostly right; we find the odd typo.",
        "The {item} is checked against the council’s records, so it’s verified.")),
    _Theme("time_to_access", "Getting the data out", (
        "We simply couldn’t get the {item} out for you.",
        "It would be months before we could get the {item}, maybe {days} days.",
        "Extracting the {item} takes weeks – usually about {days} days.",
        "Getting the {item} out takes us about {days} days.",
        "We could give you the {item} the same day.")),
    _Theme("linkage_appetite", None, (
        "Sharing the {item} with other agencies is a red line for us.",
        "People here are wary of sharing the {item} with other agencies.",
        "We’re open to linking the {item}, but we’d need to talk it through.",
        "We’re keen to link the {item} if the agreements are there.",
        "We already link the {item} with the council and health.")),
)
#: Dimension id -> the synthetic analysts' theme name, its research question (from the catalogue) and
#: what participants say at ratings 0-4 (built from the themes above, in their order).
DIMENSIONS = {t.dimension: t.theme for t in _THEMES}
THEME_RQ = {t.dimension: _DIMENSION_CATALOGUE.get(t.dimension).rq_id for t in _THEMES}
SENTENCES = {t.dimension: t.sentences for t in _THEMES}
OPENERS = ("Yes, so from our side,", "I’d add that", "Speaking for the café drop-in team,", "Good question 👍.",
           "From the referral desk,", "Just to build on that,")
WORKAROUND = "We keep a separate spreadsheet to track this by hand."
TRUST = "Families worry about who sees their information."
ROLES = ("data officer", "family practitioner", "service manager", "team leader", "analyst")
AGENCIES = ("site", "local authority", "health", "police")

# Planted features of the ground truth (the examples), in line with the synthetic world's
# NHS-number completeness per site (fbs ~80-90%, sat ~55%, leap ~45%, coda ~30% "rarely"):
# rating; leap takes weeks (28 days) to extract CSC status, fbs gets it the same day.
PLANTED = {("fbs", "nhs_number", "held"): 4, ("sat", "nhs_number", "held"): 3, ("leap", "nhs_number", "held"): 2,
           ("coda", "nhs_number", "held"): 1,
           ("leap", "csc_status", "time_to_access"): 2, ("fbs", "csc_status", "time_to_access"): 4}
SITE_LEAN = {"fbs": 3, "sat": 1, "leap": 2, "coda": 2}


@dataclass
class _Sel:
    guid: str
    start: int
    end: int
    user: str
    codes: list[str]


@dataclass
class _Doc:
    guid: str
    name: str
    site: str
    activity: str
    text: str = ""
    selections: list[_Sel] = field(default_factory=list)


class _Ids:
    def __init__(self, seed: int) -> None:
        self.ns = uuid.uuid5(uuid.NAMESPACE_URL, f"linkready-synthetic-focus-groups/{seed}")

    def __call__(self, *parts: object) -> str:
        return str(uuid.uuid5(self.ns, "/".join(map(str, parts)))).upper()


def _days(rng: np.random.Generator, rating: int, planted: bool) -> float | None:
    if rating == 4:
        return 1.0
    if rating == 3:
        return float(rng.integers(3, 8))
    if rating == 2:
        return 28.0 if planted else float(rng.integers(14, 36))
    if rating == 1:
        return float(rng.integers(60, 121))
    return None


def _ground_truth(rng: np.random.Generator) -> dict[str, dict[Any, Any]]:
    ratings: dict[tuple[str, str, str], dict[str, Any]] = {}
    for site in SITE_IDS:
        for item in ITEMS:
            for dim in DIMENSIONS:
                key = (site, item, dim)
                r = PLANTED.get(key)
                if r is None:
                    r = int(np.clip(SITE_LEAN[site] + rng.integers(-1, 2), 0, 4))
                days = _days(rng, r, key in PLANTED) if dim == "time_to_access" else None
                ratings[key] = {"rating": r, "time_to_access_days": days}
    interview: dict[tuple[str, str, str], int] = {}
    for site in SITE_IDS:
        keys = [k for k in ratings if k[0] == site]
        chosen = [keys[i] for i in sorted(rng.choice(len(keys), size=6, replace=False))]
        for j, k in enumerate(chosen):
            base = ratings[k]["rating"]
            if j == 0:      # partial agreement: one point apart
                interview[k] = base - 1 if base > 0 else base + 1
            elif j == 1:    # dissonance: two or more apart
                interview[k] = base - 2 if base >= 2 else base + 2
            else:
                interview[k] = base
    return {"ratings": ratings, "interview": interview}


def _turn(parts: list[tuple[str, str | None]], doc: _Doc) -> dict[str, tuple[int, int]]:
    """Append one turn made of (text, tag) parts; return tag -> code-point span."""
    spans = {}
    for text, tag in parts:
        if tag:
            spans[tag] = (len(doc.text), len(doc.text) + len(text))
        doc.text += text
    doc.text += "\n\n"
    return spans


def _code_guids(ids: _Ids) -> dict[str, str]:
    g = {f"item:{k}": ids("code", k) for k in ITEMS} | {f"dim:{k}": ids("code", k) for k in DIMENSIONS}
    g |= {"parent:items": ids("code", "parent-items"), "parent:dims": ids("code", "parent-dims"),
          "parent:inductive": ids("code", "parent-inductive"), "workaround": ids("code", "workaround"),
          "trust": ids("code", "trust")}
    return g


def _build(seed: int) -> tuple[list[_Doc], dict[str, Any], dict[str, Any], dict[str, list[tuple[str, str, str]]]]:
    rng = np.random.default_rng(seed)
    ids = _Ids(seed)
    codes = _code_guids(ids)
    truth = _ground_truth(rng)
    coder_a, coder_b = ids("user", "R1"), ids("user", "R2")
    docs: list[_Doc] = []
    evidence: dict[tuple[str, str, str, str], str] = {}
    participants: dict[str, list[tuple[str, str, str, str]]] = {}   # site -> (name, role, agency, doc guid)
    workaround_sels: dict[str, list[str]] = {}
    for site in SITE_IDS:
        n_part = int(rng.integers(3, 6))
        people = [(f"P{i + 1:02d}", ROLES[int(rng.integers(len(ROLES)))], AGENCIES[int(rng.integers(len(AGENCIES)))])
                  for i in range(n_part + 1)]
        fg = _Doc(ids("doc", site, "fg"), f"{site.upper()} data focus group", site, "data_focus_group")
        iv = _Doc(ids("doc", site, "iv"), f"{site.upper()} interview with site lead", site, "interview")
        participants[site] = [(n, r, a, fg.guid) for n, r, a in people[:n_part]] + [(*people[n_part], iv.guid)]
        for doc, source in ((fg, "focus_group"), (iv, "interview")):
            doc.text = "Facilitator: Thank you for joining. Today we are talking about the data you hold.\n\n"
            cells = [k for k in truth["ratings"] if k[0] == site]
            if source == "interview":
                cells = [k for k in cells if k in truth["interview"]]
            for n, (_, item, dim) in enumerate(cells):
                rating = truth["ratings"][(site, item, dim)]["rating"] if source == "focus_group" \
                    else truth["interview"][(site, item, dim)]
                days = truth["ratings"][(site, item, dim)]["time_to_access_days"]
                sentence = SENTENCES[dim][rating].format(item=ITEMS[item], days=int(days) if days else "")
                speaker = people[n % n_part][0] if source == "focus_group" else people[n_part][0]
                parts: list[tuple[str, str | None]] = [(f"{speaker}: {OPENERS[int(rng.integers(len(OPENERS)))]} ", None),
                                                       (sentence, "ev")]
                if source == "focus_group" and dim == "held" and rating <= 2:
                    parts += [(" ", None), (WORKAROUND, "wk")]
                if source == "focus_group" and dim == "linkage_appetite" and rating <= 1:
                    parts += [(" ", None), (TRUST, "tr")]
                spans = _turn(parts, doc)
                s, e = spans["ev"]
                sel_a = ids("sel", doc.guid, n, "A")
                doc.selections.append(_Sel(sel_a, s, e, coder_a, [codes[f"item:{item}"], codes[f"dim:{dim}"]]))
                evidence[(site, item, dim, source)] = sel_a
                u = rng.random()
                b_codes = [codes[f"item:{item}"], codes[f"dim:{dim}"]]
                bs, be = s, e
                if u < 0.08:
                    bs, be = s + int(rng.integers(1, 5)), e - int(rng.integers(0, 4))
                elif u < 0.15:
                    others = [d for d in DIMENSIONS if d != dim]
                    b_codes[1] = codes[f"dim:{others[int(rng.integers(len(others)))]}"]
                doc.selections.append(_Sel(ids("sel", doc.guid, n, "B"), bs, be, coder_b, b_codes))
                for tag, code in (("wk", "workaround"), ("tr", "trust")):
                    if tag in spans:
                        ws, we = spans[tag]
                        ga = ids("sel", doc.guid, n, tag, "A")
                        doc.selections.append(_Sel(ga, ws, we, coder_a, [codes[code]]))
                        doc.selections.append(_Sel(ids("sel", doc.guid, n, tag, "B"), ws, we, coder_b, [codes[code]]))
                        if tag == "wk":
                            workaround_sels.setdefault(site, []).append(ga)
            doc.text = doc.text.rstrip("\n") + "\n"
            docs.append(doc)
    return docs, truth, {"evidence": evidence, "participants": participants, "workarounds": workaround_sels,
                         "codes": codes, "users": (coder_a, coder_b), "ids": ids}, {}


def _qde(docs: list[_Doc], meta: dict[str, Any]) -> bytes:
    ids, codes = meta["ids"], meta["codes"]
    coder_a, coder_b = meta["users"]
    var = {n: ids("var", n) for n in ("Site", "Activity", "Role", "Agency")}
    out = io.StringIO()
    w = out.write
    w('<?xml version="1.0" encoding="utf-8"?>\n')
    w(f'<Project xmlns="urn:QDA-XML:project:1.0" name="Synthetic DA data focus groups" origin="linkready synthetic" '
      f'creatingUserGUID="{coder_a}" creationDateTime="{STAMP}">\n')
    w(f'<Users><User guid="{coder_a}" name="Researcher 1" id="R1"/><User guid="{coder_b}" name="Researcher 2" id="R2"/>'
      "</Users>\n<CodeBook><Codes>\n")
    w(f'<Code guid="{codes["parent:items"]}" name="Data items" isCodable="false" color="#1F77B4">'
      "<Description>Deductive (RQ1): which data item is discussed</Description>\n")
    for k, label in ITEMS.items():
        w(f'<Code guid="{codes["item:" + k]}" name={quoteattr(label)} isCodable="true"/>\n')
    w(f'</Code>\n<Code guid="{codes["parent:dims"]}" name="Dimensions" isCodable="false" color="#2CA02C">'
      "<Description>Deductive (RQ1-RQ4): which aspect of the data is discussed</Description>\n")
    for k, label in DIMENSIONS.items():
        w(f'<Code guid="{codes["dim:" + k]}" name={quoteattr(label)} isCodable="true"/>\n')
    w(f'</Code>\n<Code guid="{codes["parent:inductive"]}" name="Inductive codes" isCodable="false" color="#D62728">\n'
      f'<Code guid="{codes["workaround"]}" name="Manual workarounds" isCodable="true"/>\n'
      f'<Code guid="{codes["trust"]}" name="Consent and trust concerns" isCodable="true"/>\n</Code>\n')
    w("</Codes></CodeBook>\n<Variables>\n")
    for n, g in var.items():
        w(f'<Variable guid="{g}" name="{n}" typeOfVariable="Text"/>\n')
    w("</Variables>\n<Cases>\n")

    def value(name: str, v: str) -> str:
        return f'<VariableValue><VariableRef targetGUID="{var[name]}"/><TextValue>{escape(v)}</TextValue></VariableValue>'

    for site in SITE_IDS:
        refs = "".join(f'<SourceRef targetGUID="{d.guid}"/>' for d in docs if d.site == site)
        w(f'<Case guid="{ids("case", site)}" name="{site}">{value("Site", site)}{refs}</Case>\n')
        for name, role, agency, doc_guid in meta["participants"][site]:
            w(f'<Case guid="{ids("case", site, name)}" name="{name}">{value("Site", site)}{value("Role", role)}'
              f'{value("Agency", agency)}<SourceRef targetGUID="{doc_guid}"/></Case>\n')
    w("</Cases>\n<Sources>\n")
    for d in docs:
        w(f'<TextSource guid="{d.guid}" name={quoteattr(d.name)} plainTextPath="internal://{d.guid}.txt" '
          f'creatingUser="{coder_a}" creationDateTime="{STAMP}">\n')
        for s in d.selections:
            w(f'<PlainTextSelection guid="{s.guid}" startPosition="{s.start}" endPosition="{s.end}" '
              f'creatingUser="{s.user}">')
            for c in s.codes:
                w(f'<Coding guid="{ids("coding", s.guid, c)}" creatingUser="{s.user}"><CodeRef targetGUID="{c}"/></Coding>')
            w("</PlainTextSelection>\n")
        w(value("Site", d.site) + value("Activity", d.activity) + "\n</TextSource>\n")
    w("</Sources>\n<Sets>\n")
    members = {dim: [codes["dim:" + dim]] for dim in DIMENSIONS}
    for dim, theme in DIMENSIONS.items():
        w(f'<Set guid="{ids("theme", dim)}" name="Theme: {escape(theme)}">'
          f"<Description>{THEME_RQ[dim]}: {escape(theme)}</Description>"
          + "".join(f'<MemberCode targetGUID="{g}"/>' for g in members[dim]) + "</Set>\n")
    w(f'<Set guid="{ids("theme", "workarounds")}" name="Theme: {WORKAROUND_THEME}">'
      f'<Description>Inductive: how staff work around gaps</Description>'
      f'<MemberCode targetGUID="{codes["workaround"]}"/></Set>\n')
    w("</Sets>\n</Project>\n")
    return out.getvalue().encode("utf-8")


def _write_csv(path: Path, header: list[str], rows: Sequence[Sequence[object]]) -> Path:
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(header)
    wr.writerows([["" if v is None else v for v in r] for r in rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _framework_truth(truth: dict[str, Any], workarounds: dict[str, list[str]]) -> dict[str, dict[str, str | None]]:
    out: dict[str, dict[str, str | None]] = {}
    for site in SITE_IDS:
        cells: dict[str, str | None] = {}
        for dim, theme in DIMENSIONS.items():
            cells[theme] = "; ".join(f"{ITEMS[i]}: {truth['ratings'][(site, i, dim)]['rating']}" for i in ITEMS)
        n = len(workarounds.get(site, []))
        cells[WORKAROUND_THEME] = f"{n} manual workaround(s) described" if n else None
        out[site] = cells
    return out


def _planted_transcripts(seed: int, truth_dir: Path) -> None:
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed + 1)
    vocabulary = set(" ".join(OPENERS + (WORKAROUND, TRUST)).lower().replace(",", " ").replace(".", " ").split())
    roster: list[str] = []
    planted: dict[str, list[dict[str, object]]] = {}
    raw_dir = truth_dir / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    for site in SITE_IDS:
        names: list[str] = []
        while len(names) < 3:
            n = fake.first_name()
            if n.lower() not in vocabulary and n not in names and n not in roster and n.isalpha() and len(n) > 3:
                names.append(n)
        roster.extend(names)
        nhs = _nhs_number(rng)
        values = [
            ("name", names[0]), ("phone", f"07700 {rng.integers(900000, 901000)}"),
            ("email", f"{names[1].lower()}.worker@example.org"),
            ("nhs_number", f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"), ("postcode", fake.postcode()),
            ("date_of_birth", f"{rng.integers(1, 29)}/{rng.integers(1, 13):02d}/{rng.integers(2012, 2024)}"),
            ("name", names[2]),
        ]
        templates = ("Facilitator: Thanks {}, let’s start.", "P01: You can ring me on {} if needed.",
                     "P02: Or email {} with questions.", "P01: One child’s NHS number was {} on the form.",
                     "P03: The family lived near {} at the time.", "P02: Her date of birth was {} I think.",
                     "P03: {} from the council agreed.")
        text, spans = "", []
        for (kind, v), tmpl in zip(values, templates, strict=True):
            before, after = tmpl.split("{}")
            text += before
            spans.append({"kind": kind, "start": len(text), "end": len(text) + len(v)})
            text += v + after + "\n"
        (raw_dir / f"{site}_focus_group_raw.txt").write_text(text, encoding="utf-8")
        planted[f"{site}_focus_group_raw.txt"] = spans
    (truth_dir / "roster.txt").write_text("\n".join(roster) + "\n", encoding="utf-8")
    (truth_dir / "planted_identifiers.json").write_text(json.dumps(planted, indent=1, sort_keys=True), encoding="utf-8")


def _nhs_number(rng: np.random.Generator) -> str:
    """A valid-looking NHS number (check digit from ``warehouse.identifiers``, the one home of the rule)."""
    while True:
        body = "".join(str(d) for d in rng.integers(0, 10, 9))
        check = nhs_check_digit(body)
        if check is not None and body[0] != "0":
            return body + str(check)


def write_focus_groups(out_dir: Path, seed: int) -> list[Path]:
    """Write seeded synthetic focus-group material into ``out_dir``; return the files to import, in order.

    Returns:
        ``[project.qdpx, ratings.csv, framework.csv, findings.csv]`` (import in this order: the
        spreadsheets cite coded segments of the project). Ground truth goes to ``out_dir/truth/``.
    """
    out_dir = Path(out_dir)
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    docs, truth, meta, _ = _build(seed)
    qdpx = _write_qdpx(out_dir / "project.qdpx", docs, meta)
    ratings = _write_ratings(out_dir / "ratings.csv", truth, meta)
    framework_truth = _framework_truth(truth, meta["workarounds"])
    framework = _write_framework(out_dir / "framework.csv", framework_truth, meta)
    findings = _write_findings(out_dir / "findings.csv", truth, meta)
    (truth_dir / "ground_truth.json").write_text(
        json.dumps(_ground_truth_json(seed, truth, framework_truth), indent=1, sort_keys=True), encoding="utf-8")
    _planted_transcripts(seed, truth_dir)
    return [qdpx, ratings, framework, findings]


def _write_qdpx(path: Path, docs: list[_Doc], meta: dict[str, Any]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in [("project.qde", _qde(docs, meta))] + [(f"sources/{d.guid}.txt", d.text.encode("utf-8"))
                                                                  for d in docs]:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 15, 10, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def _write_ratings(path: Path, truth: dict[str, Any], meta: dict[str, Any]) -> Path:
    rows: list[list[object]] = []
    for (site, item, dim), r in truth["ratings"].items():
        rows.append([site, item, dim, r["rating"], r["time_to_access_days"], None,
                     meta["evidence"][(site, item, dim, "focus_group")], "focus_group", "R1", "2026-01-15", None])
    for (site, item, dim), rating in truth["interview"].items():
        rows.append([site, item, dim, rating, truth["ratings"][(site, item, dim)]["time_to_access_days"], None,
                     meta["evidence"][(site, item, dim, "interview")], "interview", "R1", "2026-01-15", None])
    return _write_csv(path, ["site_id", "data_item", "dimension", "rating", "time_to_access_days", "system_name",
                             "evidence", "source", "rater", "rated_at", "note"], rows)


def _write_framework(path: Path, framework_truth: dict[str, dict[str, str | None]], meta: dict[str, Any]) -> Path:
    rows: list[list[object]] = []
    for site, cells in framework_truth.items():
        for theme, summary in cells.items():
            if summary is None:
                continue
            if theme == WORKAROUND_THEME:
                support = meta["workarounds"][site]
            else:
                dim = next(d for d, t in DIMENSIONS.items() if t == theme)
                support = [meta["evidence"][(site, i, dim, "focus_group")] for i in ITEMS]
            rows.append([site, theme, summary, ";".join(support), "R1"])
    return _write_csv(path, ["site_id", "theme", "summary", "supporting", "analyst"], rows)


def _write_findings(path: Path, truth: dict[str, Any], meta: dict[str, Any]) -> Path:
    rows: list[list[object]] = []
    for n, site in enumerate(SITE_IDS, start=1):
        r = truth["ratings"][(site, "nhs_number", "held")]["rating"]
        rows.append([f"F{n:02d}", site, "RQ1", DIMENSIONS["held"],
                     f"NHS numbers are held at level {r} of 4 at this site.", "moderate", "draft",
                     meta["evidence"][(site, "nhs_number", "held", "focus_group")]])
    return _write_csv(path, ["finding_id", "site_id", "rq_id", "theme", "statement", "confidence", "status",
                             "evidence"], rows)


def _ground_truth_json(seed: int, truth: dict[str, Any], framework_truth: dict[str, dict[str, str | None]]
                       ) -> dict[str, Any]:
    return {
        "seed": seed,
        "availability": [{"site_id": s, "data_item": i, "dimension": d, **r}
                         for (s, i, d), r in truth["ratings"].items()],
        "interview": [{"site_id": s, "data_item": i, "dimension": d, "rating": r}
                      for (s, i, d), r in truth["interview"].items()],
        "triangulation": [
            {"site_id": s, "data_item": i, "dimension": d, "source_a": "focus_group", "source_b": "interview",
             "convergence": _convergence(r["rating"], truth["interview"].get((s, i, d)))}
            for (s, i, d), r in truth["ratings"].items()
        ],
        "framework": framework_truth,
        "evidence_sentences": {f"{s}|{i}|{d}": SENTENCES[d][r["rating"]].format(
            item=ITEMS[i], days=int(r["time_to_access_days"]) if r["time_to_access_days"] else "")
            for (s, i, d), r in truth["ratings"].items()},
    }


def _convergence(a: int, b: int | None) -> str:
    if b is None:
        return "silence"
    diff = abs(a - b)
    return "agreement" if diff == 0 else "partial_agreement" if diff == 1 else "dissonance"
