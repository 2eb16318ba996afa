"""evaluation keeps no copy of a shared rule (issue 12): disclosure, subgroup labels and scenario names
come from warehouse; a reintroduced copy fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import evaluation

PACKAGE = Path(evaluation.__file__).parent


def _code_only(text: str) -> str:
    """The module's source without its docstrings (their examples may name a scenario or a symbol)."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body[0].value.value = ""
    return ast.unparse(tree)


SOURCES = {p.name: _code_only(p.read_text(encoding="utf-8")) for p in PACKAGE.glob("*.py")}



def _literal(*words: str) -> str:
    """A pattern for any of ``words`` as a quoted string literal (either quote: sources are unparsed)."""
    return "|".join(rf"['\"]{re.escape(w)}['\"]" for w in words)


# A literal that belongs to a rule defined once in warehouse, and where that rule lives.
COPIES = {
    _literal("[c]", "c"): "the suppression symbol (warehouse.disclosure)",
    r"\bsuppress_max\s*[:=]\s*\d|\bsmall_count\s*:\s*int|threshold\s*[:=]\s*6\b": "a suppression threshold",
    _literal("Not known", "Unknown"): 'the "Not known" label (warehouse.vocabulary)',
    _literal("WBRI", "REFU", "NOBT", "White"): "ethnicity codes and groups (warehouse.vocabulary)",
    _literal("names_dob", "dob_postcode_sex", "pseudonymised_tokens", "no_nhs_number"):
        "scenario names (warehouse.scenarios)",
    _literal("10-15", "45+", "under 1"): "age bands (warehouse.vocabulary)",
}


def test_the_copy_of_the_disclosure_engine_is_gone():
    assert not (PACKAGE / "disclosure.py").exists()
    assert not hasattr(evaluation, "suppress_small_counts")


def test_no_module_redefines_a_shared_rule():
    found = [f"{name}: {what}" for name, text in SOURCES.items() for pattern, what in COPIES.items()
             if re.search(pattern, text)]
    assert found == []


def test_the_checker_would_catch_a_copy():
    sample = _code_only('SUPPRESSED = "[c]"\nLABEL = "Not known"\nROLES = ("names_dob",)\nGROUP = {"W": "White"}\n')
    caught = {what for pattern, what in COPIES.items() if re.search(pattern, sample)}
    assert len(caught) == 4
