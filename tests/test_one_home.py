"""One home per shared rule (STYLE.md): a second definition of a shared rule fails this test.

Each rule has one home module in ``warehouse/``; the patterns below are the shapes a copy takes
(the check-digit arithmetic, the band cut-offs, the suppression symbol, a list of scenario names,
the sex and ethnicity mappings). Package code outside the home may import the rule, never restate it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("warehouse", "synthetic_data", "linkage", "synthesis", "evaluation", "dashboard", "linkready")


@dataclass(frozen=True)
class Rule:
    name: str
    home: tuple[str, ...]
    pattern: re.Pattern[str]
    min_hits: int = 1  # hits in one file before it counts as a copy


SCENARIO_NAMES = ("all_identifiers", "no_nhs_number", "names_dob", "dob_postcode_sex", "pseudonymised_tokens")

RULES: tuple[Rule, ...] = (
    Rule("NHS number check digit (mod 11)", ("warehouse/identifiers.py",),
         re.compile(r"11\s*-\s*[\w().\[\]\s*+]*%\s*11|%\s*11\b")),
    Rule("UPN check letter (mod 23)", ("warehouse/identifiers.py",), re.compile(r"%\s*23\b")),
    Rule("age bands", ("warehouse/vocabulary.py",), re.compile(r"[\"'](?:under 1|45\+|18\+|16-17)[\"']")),
    Rule("ethnicity 'not given' codes", ("warehouse/vocabulary.py", "warehouse/codelists.py"),
         re.compile(r"[\"']REFU[\"']\s*,\s*[\"']NOBT[\"']")),
    Rule("ethnic major groups", ("warehouse/vocabulary.py",),
         re.compile(r"[\"']W[\"']\s*:\s*[\"']White[\"']|[\"']WBRI[\"']\s*:\s*[\"']White")),
    Rule("sex mapping", ("warehouse/vocabulary.py",),
         re.compile(r"[\"'](?:1|m)[\"']\s*:\s*[\"']M[\"']|[\"']female[\"']\s*,|[\"']Female[\"']\s*:\s*[\"']F[\"']")),
    Rule("suppression symbol", ("warehouse/disclosure.py",),
         re.compile(r"=\s*[\"']\[c\][\"']|^\s*SUPPRESSED\s*(?::\s*\w+\s*)?=")),
    Rule("suppression threshold", ("warehouse/disclosure.py",),
         re.compile(r"(?:suppress\w*|threshold|small_count\w*)\s*(?::\s*int\s*)?=\s*[56]\b")),
    Rule("scenario catalogue", ("warehouse/scenarios.py",),
         re.compile("|".join(f"[\"']{n}[\"']" for n in SCENARIO_NAMES)), min_hits=3),
)


def copies(rule: Rule, path: Path, text: str) -> list[str]:
    """Lines of ``text`` that restate ``rule`` (empty when ``path`` is its home or the hits are few)."""
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    if rel in rule.home:
        return []
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.lstrip().startswith("#")]
    hits = [f"{rel}:{n}: {line.strip()}" for n, line in lines if rule.pattern.search(line)]
    matches = sum(len(rule.pattern.findall(line)) for _, line in lines)
    return hits if hits and matches >= rule.min_hits else []


def _package_files() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_rule_has_one_home(rule: Rule) -> None:
    found = [hit for p in _package_files() for hit in copies(rule, p, p.read_text(encoding="utf-8"))]
    assert not found, f"{rule.name} is defined outside {rule.home}; import it instead:\n" + "\n".join(found)


@pytest.mark.parametrize(("rule_name", "planted"), [
    ("NHS number check digit (mod 11)", "check = 11 - total % 11\n"),
    ("UPN check letter (mod 23)", "letter = ALPHABET[total % 23]\n"),
    ("age bands", "BANDS = ['under 1', '1-4', '18+']\n"),
    ("ethnicity 'not given' codes", "if code in ('REFU', 'NOBT'):\n"),
    ("ethnic major groups", "GROUPS = {'W': 'White', 'A': 'Asian'}\n"),
    ("sex mapping", "SEX = {'1': 'M', '2': 'F'}\n"),
    ("suppression symbol", "HIDDEN = '[c]'\n"),
    ("suppression symbol", "SUPPRESSED = 'c'\n"),
    ("suppression threshold", "    threshold: int = 6\n"),
    ("scenario catalogue", "S = ('all_identifiers', 'names_dob', 'dob_postcode_sex')\n"),
])
def test_a_planted_copy_is_caught(tmp_path: Path, rule_name: str, planted: str) -> None:
    # The checker must see a reintroduced copy (guards against a pattern that can never match).
    rule = next(r for r in RULES if r.name == rule_name)
    f = tmp_path / "copy.py"
    f.write_text(planted)
    assert copies(rule, f, planted), f"{rule_name}: the planted copy was not detected"
