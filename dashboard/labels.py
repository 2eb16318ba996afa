"""Plain words for every code a person sees on a page: scenarios, measures, subgroups, dimensions, verdicts.

Labels come from their one home (in ``warehouse``: the scenario catalogue, the measure catalogue, the
subgroup vocabulary, the dimension catalogue, the verdict words; the word for agreement level 0 in
``linkage``); this module only picks the right one for a kind of code. A code nobody has named yet is
shown with underscores turned into spaces, never raw.
"""

from __future__ import annotations

from collections.abc import Sequence

from linkage import DIFFERENT
from warehouse.dimensions import DIMENSIONS as _DIMENSION_CATALOGUE
from warehouse.errors import ConfigError
from warehouse.measures import get_measure
from warehouse.scenarios import scenario_label
from warehouse.verdicts import VERDICT_LABELS
from warehouse.vocabulary import SEX_LABELS, SUBGROUP_LABELS, subgroup_order


def _sentence_case(words: str) -> str:
    return words[:1].upper() + words[1:]


#: Availability dimensions and verdicts in words: read from their homes (warehouse.dimensions and
#: warehouse.verdicts), only capitalised for a table heading or a cell.
DIMENSIONS = {code: dim.label for code, dim in _DIMENSION_CATALOGUE.items()}
VERDICTS = {code: _sentence_case(words) for code, words in VERDICT_LABELS.items()}
TIMEPOINTS = {"baseline": "Baseline", "followup": "Follow-up"}
DESIGNS = {"individual_rct": "Individually randomised trial", "cluster_rct": "Cluster randomised trial",
           "matched_comparison": "Matched comparison"}
STEPS = {"referred": "Referred", "consented": "Consented", "baseline_scored": "Baseline scored",
         "followed_up": "Followed up", "linked": "Linked to CSC records"}
OUTCOMES = {"csc_involvement": "Children's social care involvement (linked records)"}
#: Identifier roles compared in linkage (the comparison's name), in words.
COMPARISONS = {"forename": "First name", "surname": "Surname", "dob": "Date of birth", "sex": "Sex",
               "postcode": "Postcode", "nhs_number": "NHS number", "record": "Whole record (encoded)"}
#: Agreement levels of the comparisons, in words (``dice_0.85`` and ``jaro_winkler_0.92`` are read by pattern;
#: "else" is level 0's label in runs stored before it was named :data:`linkage.DIFFERENT`).
LEVELS = {"exact": "Exact", DIFFERENT: _sentence_case(DIFFERENT), "else": _sentence_case(DIFFERENT),
          "missing": "Missing on one side", "canonical": "Same name form (nickname or spelling)", "shared_token": "A name part in common", "two_parts": "Two of day, month, year",
          "expected_within_60_days": "Expected date within 60 days", "unit": "Same postcode unit",
          "area": "Same postcode area", "transposed": "Day and month swapped"}
CONVERGENCE = {"agreement": "Agreement", "partial_agreement": "Partial agreement", "silence": "Silence",
               "dissonance": "Dissonance"}

#: Column -> the kind of code it holds (tables show the label; downloads keep the code beside it).
CODE_COLUMNS = {
    "scenario": "scenario", "best_linkage_scenario": "scenario", "linkage_scenario": "scenario",
    "measure": "measure", "primary_outcome": "measure", "outcome": "outcome", "subgroup_type": "subgroup_type",
    "subgroup": "subgroup", "dimension": "dimension", "linkage_verdict": "verdict", "timepoint": "timepoint",
    "design": "design", "step": "step", "activity_kind": "activity", "source": "source",
    "data_item": "data_item",
}


def plain(kind: str, code: object) -> str:
    """The words for ``code`` of a ``kind`` (scenario, measure, outcome, subgroup_type, dimension, ...).

    Example:
        >>> plain("scenario", "names_dob"), plain("timepoint", "followup"), plain("dimension", "held")
        ('Names and date of birth', 'Follow-up', 'Held')
    """
    if code is None:
        return ""
    text = str(code)
    if kind == "scenario":
        try:
            return scenario_label(text)
        except ConfigError:
            return _words(text)
    if kind in ("measure", "outcome"):
        if text in OUTCOMES:
            return OUTCOMES[text]
        try:
            return get_measure(text).name
        except ConfigError:
            return "All measures" if text == "all" else _words(text)
    if kind == "data_item":
        from synthesis import DATA_ITEMS  # the data-item catalogue (synthesis's public names)

        return DATA_ITEMS[text].label if text in DATA_ITEMS else ("All" if text == "all" else _words(text))
    if kind == "dimension":  # read at call time: a dimension registered after import has its label too
        return _DIMENSION_CATALOGUE[text].label if text in _DIMENSION_CATALOGUE else _words(text)
    if kind == "comparison_level":
        return _level(text)
    if kind == "subgroup":
        return SEX_LABELS.get(text, text)
    if kind == "about":  # a triangulation row: a theme id, or "data item / dimension"
        item, sep, dim = text.partition(" / ")
        return f"{plain('data_item', item)} / {plain('dimension', dim)}" if sep else text
    table = {"comparison": COMPARISONS, "subgroup_type": SUBGROUP_LABELS, "dimension": DIMENSIONS, "verdict": VERDICTS, "convergence": CONVERGENCE,
             "timepoint": TIMEPOINTS, "design": DESIGNS, "step": STEPS}.get(kind, {})
    return table.get(text, _words(text))


def options(kind: str, codes: Sequence[str]) -> list[dict[str, str]]:
    """Dropdown options with plain labels (the value stays the code, so permalinks do not change)."""
    return [{"label": "All" if c == "all" and kind != "measure" else plain(kind, c), "value": c} for c in codes]


def ordered(subgroup_type: str, values: Sequence[str]) -> list[str]:
    """Subgroup values in the shared vocabulary's order (age bands youngest first), others after."""
    try:
        order = subgroup_order(subgroup_type)
    except (ConfigError, KeyError, ValueError):
        order = ()
    rank = {v: i for i, v in enumerate(order)}
    return sorted(values, key=lambda v: (rank.get(v, len(rank)), v))


def in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter lower-cased unless it starts an acronym ("NHS number")."""
    if len(label) > 1 and label[:2].isupper():
        return label
    return label[:1].lower() + label[1:]


def _level(code: str) -> str:
    """An agreement level in words: a similarity cut-off reads as "Similar (Dice 0.85 or more)"."""
    if code in LEVELS:
        return LEVELS[code]
    for prefix, measure in (("dice_", "Dice"), ("jaro_winkler_", "Jaro-Winkler")):
        if code.startswith(prefix):
            return f"Similar ({measure} {code[len(prefix):]} or more)"
    return _words(code)


def _words(code: str) -> str:
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]
