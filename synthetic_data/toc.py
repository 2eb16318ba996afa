"""Seeded synthetic theories of change for the four interventions, with planted gaps and their truth.

Built from the facts in ``shared/reference/interventions.md`` (who each intervention is for, how it
works, its intended outcomes and the measures it names), in our own words. Each ToC maps its
outcomes to evidence sources, and a few gaps are planted on purpose so that the outcome readiness
matrix can be checked against them:

- ``no_source``: an outcome no source can evidence (For Baby's Sake's birth outcomes: gestational
  age and birth weight are not in the measure catalogue; Survive and Thrive's "child feels safer");
- ``not_collected``: a measure the ToC names that the site does not collect (For Baby's Sake names
  the DASH risk checklist for fewer incidents; only LEAP collects it);
- ``poor_completeness``: Survive and Thrive's SCORE-15 (family functioning), which the site
  records at baseline for only a tenth of those due it (:data:`PLANTED_BASELINE_RATES`, read by
  the outcome generator); every other measure is generated at the world's usual rates and clears
  the readiness matrix's default thresholds at the demo's size, except For Baby's Sake's ASQ-3 and
  ASQ:SE-2 (about 40% at baseline: most of its babies join before birth, when no ASQ can be done;
  a property of the world, not a plant);
- ``weak_linkage``: For Baby's Sake's "less contact with children's social care", a CSC outcome
  reached through linkage where most children join before birth, so the programme's records
  carry a placeholder name and no date of birth that the LA's later records do not share (in the
  synthetic world half of those records are never updated). Its linkage verdict is "not feasible"
  at the demo's size and "review a sample" in a small test world: a gap either way.

The seed varies the wording of the assumptions and the order of evidence only; the structure and
the planted gaps are the same for every seed, so the truth is fixed. :func:`write_tocs` writes one
JSON file per site (the format of ``linkready toc export --format json``) plus
``truth/toc_ground_truth.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from warehouse.toc import TheoryOfChange, TocEvidence, TocLink, TocNode, TocSource, toc_to_json

__all__ = ["PLANTED_BASELINE_RATES", "PLANTED_GAPS", "Gap", "build_tocs", "write_tocs"]


@dataclass(frozen=True)
class Gap:
    """A planted gap: the outcome node and what is wrong with its evidence."""

    site_id: str
    outcome_id: str
    kind: str      # no_source | not_collected | poor_completeness | weak_linkage
    source: str    # the source concerned ('' for no_source)


PLANTED_GAPS: tuple[Gap, ...] = (
    Gap("fbs", "S1", "no_source", ""),
    Gap("fbs", "O2", "not_collected", "measure:dash"),
    Gap("sat", "S1", "no_source", ""),
    Gap("sat", "O2", "poor_completeness", "measure:score15"),
    Gap("fbs", "L1", "weak_linkage", "csc_outcome:re_referral"),
)

# (site, measure) -> share of those due a baseline who get one, instead of the world's p_baseline:
# the planted poor-completeness gap above; synthetic_data.site_records generates the outcome rows with it
PLANTED_BASELINE_RATES: dict[tuple[str, str], float] = {("sat", "score15"): 0.10}

# (node id, kind, label); outcomes list (outcome id, [(source kind, reference)])
_Nodes = tuple[tuple[str, str, str], ...]
_Sources = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

_FACTS: dict[str, tuple[str, _Nodes, _Sources]] = {
    "fbs": ("For Baby's Sake: from pregnancy to the child's second birthday", (
        ("N1", "need", "Domestic abuse around pregnancy harms the baby's development"),
        ("P1", "population", "Expectant parents: the victim and the parent who harmed"),
        ("C1", "context", "Most families referred by children's social care"),
        ("A1", "activity", "A practitioner for each parent, weekly from pregnancy"),
        ("A2", "activity", "Attachment-focused parenting and inner-child modules"),
        ("M1", "mechanism", "Parents understand their own trauma and the baby's needs"),
        ("S1", "short_term_outcome", "Better birth outcomes"),
        ("S2", "short_term_outcome", "Better parental mental health"),
        ("O1", "medium_term_outcome", "Better early social, emotional and cognitive development"),
        ("O2", "medium_term_outcome", "Fewer and less severe domestic abuse incidents"),
        ("L1", "long_term_outcome", "Less contact with children's social care"),
        ("U1", "unintended_consequence", "Contact with the parent who harmed raises risk for the victim"),
        ("B1", "barrier", "Remote sessions are harder to keep safe"),
        ("E1", "enabler", "Integrated with local adult and children's services"),
    ), (
        ("S1", ()),
        ("S2", (("measure", "phq9"), ("measure", "gad7"))),
        ("O1", (("measure", "asq3"), ("measure", "asqse2"))),
        ("O2", (("measure", "dash"),)),
        ("L1", (("csc_outcome", "re_referral"), ("csc_outcome", "cp_plan"))),
        ("U1", (("site_data_item", "police_notification"),)),
    )),
    "sat": ("Survive and Thrive: whole-family support after domestic abuse", (
        ("N1", "need", "Children who lived with domestic abuse carry trauma"),
        ("P1", "population", "Children 5-18, their parents and carers"),
        ("A1", "activity", "Single front door and trauma-informed whole-family work"),
        ("A2", "activity", "Children's and parent-child groups; advocacy for teenagers"),
        ("M1", "mechanism", "Families make sense of what happened together"),
        ("S1", "short_term_outcome", "Child feels safer"),
        ("S2", "short_term_outcome", "More awareness of the impact of domestic abuse"),
        ("O1", "medium_term_outcome", "Fewer child trauma symptoms"),
        ("O2", "medium_term_outcome", "Better family functioning"),
        ("L1", "long_term_outcome", "Better parent-child attachment"),
        ("B1", "barrier", "Waiting lists for trauma therapy"),
    ), (
        ("S1", ()),
        ("S2", (("site_data_item", "outcome_measures"),)),
        ("O1", (("measure", "cries13"), ("measure", "iesr"))),
        ("O2", (("measure", "score15"),)),
        ("L1", (("measure", "mors"),)),
    )),
    "leap": ("LEAP Enhanced Casework: holistic support before and after separation", (
        ("N1", "need", "Parents at risk of domestic abuse in pregnancy or early childhood"),
        ("P1", "population", "Parents with a child under 4, separated or not"),
        ("A1", "activity", "Caseworker support, practical and emotional, not time-limited"),
        ("A2", "activity", "Weekly wellbeing groups and advice surgeries"),
        ("M1", "mechanism", "A trusted caseworker helps parents see abuse dynamics"),
        ("S1", "short_term_outcome", "Parents are safer"),
        ("S2", "short_term_outcome", "More aware of abuse dynamics and healthy relationships"),
        ("O1", "medium_term_outcome", "Better parental wellbeing"),
        ("L1", "long_term_outcome", "A better environment for the child"),
        ("E1", "enabler", "Close working with children's social care"),
    ), (
        ("S1", (("measure", "dash"),)),
        ("S2", (("site_data_item", "outcome_measures"),)),
        ("O1", (("measure", "core10"),)),
        ("L1", (("csc_outcome", "cp_plan"),)),
    )),
    "coda": ("CODA: concurrent groups for mothers and children", (
        ("N1", "need", "Children blame themselves for the abuse they saw"),
        ("P1", "population", "Mothers and their children aged 4-11"),
        ("A1", "activity", "Twelve weekly two-hour groups, one theme a week"),
        ("M1", "mechanism", "Children and mothers hear they are not to blame"),
        ("S1", "short_term_outcome", "Children understand abuse and feel validated and safe"),
        ("O1", "medium_term_outcome", "Better mother-child relationship"),
        ("O2", "medium_term_outcome", "Fewer children re-referred to social care"),
        ("L1", "long_term_outcome", "Children communicate and manage emotions better"),
        ("C1", "context", "Voluntary, running locally for about twelve years"),
    ), (
        ("S1", (("measure", "coda_child"),)),
        ("O1", (("measure", "coda_mother"),)),
        ("O2", (("csc_outcome", "re_referral"),)),
        ("L1", (("measure", "coda_child"),)),
    )),
}

_ASSUMPTIONS = (
    ("families take part", "families keep coming"),
    ("staff are trained and stay", "practitioners stay long enough"),
    ("the change lasts after the programme ends", "what is learnt is kept up at home"),
)
_STUDIES = ("Systematic review of DA interventions for children (2022)", "Programme evaluation report",
            "Qualitative study of practitioners")


def _links(nodes: _Nodes, rng: np.random.Generator) -> tuple[TocLink, ...]:
    """Need -> activities -> mechanisms -> outcomes in order of term (every node to each of the next stage)."""
    stage = {"need": 0, "activity": 1, "mechanism": 2, "short_term_outcome": 3, "medium_term_outcome": 4,
             "long_term_outcome": 5, "unintended_consequence": 3}
    by_stage: dict[int, list[str]] = {}
    for node_id, kind, _ in nodes:
        if kind in stage:
            by_stage.setdefault(stage[kind], []).append(node_id)
    links: list[TocLink] = []
    for s in sorted(by_stage):
        later = by_stage.get(s + 1) or by_stage.get(s + 2) or []
        for a in by_stage[s]:
            for b in later:
                options = _ASSUMPTIONS[len(links) % len(_ASSUMPTIONS)]
                links.append(TocLink(f"L{len(links) + 1}", a, b, options[int(rng.integers(len(options)))]))
    return tuple(links)


def _evidence(links: tuple[TocLink, ...], rng: np.random.Generator) -> tuple[TocEvidence, ...]:
    strengths = ("strong", "moderate", "weak", "none")
    picked = rng.permutation(len(links))[: min(3, len(links))]
    return tuple(TocEvidence(f"E{i + 1}", links[int(j)].link_id, "desk_research", _STUDIES[i % len(_STUDIES)],
                             strengths[int(rng.integers(len(strengths)))]) for i, j in enumerate(sorted(picked)))


def build_tocs(seed: int) -> dict[str, TheoryOfChange]:
    """The four synthetic theories of change (one per site), seeded."""
    rng = np.random.default_rng(seed)
    out = {}
    for site_id, (title, nodes, outcome_sources) in _FACTS.items():
        links = _links(nodes, rng)
        sources = tuple(TocSource(outcome, kind, ref) for outcome, refs in outcome_sources for kind, ref in refs)
        out[site_id] = TheoryOfChange(site_id, title, tuple(TocNode(*n) for n in nodes), links,
                                      _evidence(links, rng), sources)
    return out


def write_tocs(out_dir: Path, seed: int) -> list[Path]:
    """Write ``<site>_toc.json`` per site and ``truth/toc_ground_truth.json``; returns the ToC files."""
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    paths = []
    for site_id, toc in build_tocs(seed).items():
        path = out_dir / f"{site_id}_toc.json"
        path.write_text(toc_to_json(toc), encoding="utf-8", newline="")
        paths.append(path)
    truth = {"planted_gaps": [vars(g) for g in PLANTED_GAPS]}
    (out_dir / "truth" / "toc_ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return paths
