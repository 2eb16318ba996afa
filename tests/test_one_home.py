"""One home per shared rule (STYLE.md): a second definition of a shared rule fails this test.

Each rule has one home module; outside it, package code may import the rule, never restate it. Two
kinds of detector look for a copy:

- a line pattern (the old spellings: ``% 11``, ``'REFU', 'NOBT'``, ``threshold = 6`` ...);
- an ``ast`` detector for the rule itself, whatever its spelling: any ``%``, ``//``, ``divmod``
  or ``.mod`` by 11 or 23; any string literal equal to a disclosure symbol; any dict,
  ``dict.fromkeys``, ``.then(...)`` or literal sequence restating a home's mapping (ethnic major
  groups, sex codes, age band labels and cut-offs, two or more scenario names, the word for
  agreement level 0, verdict words, availability dimension labels); a threshold of 5 or 6 named or
  compared as a small count.

Docstrings and comments are never read by the ``ast`` detectors: prose may name a rule.
The expected values come from the homes themselves, so a reworded home moves its guard with it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from linkage import DIFFERENT
from warehouse import vocabulary as voc
from warehouse.dimensions import DIMENSIONS
from warehouse.disclosure import DEFAULT_POLICY, NOT_AVAILABLE, SUPPRESSED
from warehouse.scenarios import SCENARIOS
from warehouse.verdicts import VERDICT_LABELS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("warehouse", "synthetic_data", "linkage", "synthesis", "evaluation", "dashboard", "linkready")

Detector = Callable[[ast.AST], Iterator[int]]  # yields the line numbers of copies in a module's tree


@dataclass(frozen=True)
class Rule:
    name: str
    home: tuple[str, ...]
    pattern: re.Pattern[str] | None = None
    min_hits: int = 1  # pattern hits in one file before it counts as a copy
    detect: Detector | None = None


# ------------------------------------------------------------------ what the homes define
SCENARIO_NAMES = frozenset(SCENARIOS.names())
SYMBOLS = frozenset({SUPPRESSED, DEFAULT_POLICY.symbol, NOT_AVAILABLE})
BAND_LABELS = frozenset(band for _, band in voc.AGE_BAND_CUTS) | {voc.OLDEST_AGE_BAND}
BAND_EDGES = tuple(upper for upper, _ in voc.AGE_BAND_CUTS)
MAJOR_GROUPS = frozenset(voc.ETHNIC_GROUPS) - {voc.NOT_KNOWN, "Other"}  # "Other" alone is too common a word
ETHNIC_CODES = frozenset(voc.ETHNIC_GROUP_BY_CODE) | set(voc.ETHNICITY_NOT_GIVEN)
MISSING_WORDS = frozenset({voc.NOT_KNOWN.lower(), "unknown"})
SEX_CODES = frozenset(voc.SEX_CODES)
SEX_PAIRS = frozenset({(form, code) for form in ("m", "male", "1", "f", "female", "2", "u", "unknown", "0", "9")
                       if (code := voc.normalise_sex(form)) is not None}
                      | {(code.lower(), label.lower()) for code, label in voc.SEX_LABELS.items()})
VERDICT_CODES = frozenset(VERDICT_LABELS)
VERDICT_WORDS = frozenset(w.lower() for w in VERDICT_LABELS.values()) - {"unknown"}
DIMENSION_IDS = frozenset(d.dimension for d in DIMENSIONS.values())
DIMENSION_WORDS = frozenset(d.label.lower() for d in DIMENSIONS.values())
_COUNTISH = re.compile(r"^(n|k|count|counts|cell|cells|freq|frequency|\w+_count|count_\w+|n_\w+|\w+_n)$", re.I)
_THRESHOLD_NAME = re.compile(r"min_cell|max_small|small_count|suppress|threshold|disclos|min_count|cell_min", re.I)


# ------------------------------------------------------------------ ast helpers
def _docstring_ids(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out.add(id(node.value))
    return out


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _int(node: ast.AST | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _whole(node: ast.AST | None) -> int | None:
    """An int constant, or a float one with a whole value (``16.0``)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float) and float(node.value).is_integer():
        return int(node.value)
    return None


def _lit_str(node: ast.AST | None) -> str | None:
    """A string constant, or ``lit("...")`` / ``pl.lit("...")`` of one."""
    if isinstance(node, ast.Call) and _name(node.func) == "lit" and node.args:
        return _str(node.args[0])
    return _str(node)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _mappings(tree: ast.AST) -> Iterator[tuple[int, list[str | None], list[str | None]]]:
    """(line, keys, values) of every dict literal and ``dict.fromkeys(keys, value)`` call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            yield node.lineno, [_str(k) for k in node.keys], [_str(v) for v in node.values]
        elif isinstance(node, ast.Call) and _name(node.func) == "fromkeys" and node.args:
            seq = node.args[0]
            keys = [_str(e) for e in seq.elts] if isinstance(seq, ast.Tuple | ast.List | ast.Set) else []
            value = _str(node.args[1]) if len(node.args) > 1 else None
            yield node.lineno, keys, [value]


def _sequences(tree: ast.AST) -> Iterator[tuple[int, list[ast.expr]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            yield node.lineno, list(node.elts)


def _strings_in(elts: list[ast.expr]) -> list[str]:
    """Strings of a sequence, including the strings inside its tuples ((1, 'under 1'), ...)."""
    out = []
    for e in elts:
        if (s := _str(e)) is not None:
            out.append(s)
        elif isinstance(e, ast.Tuple):
            out += [s for x in e.elts if (s := _str(x)) is not None]
    return out


def _assigned(tree: ast.AST) -> Iterator[tuple[int, str, ast.expr]]:
    """(line, target name, value) of every assignment, annotated assignment and keyword argument."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                yield node.lineno, _name(t), node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            yield node.lineno, _name(node.target), node.value
        elif isinstance(node, ast.keyword) and node.arg and hasattr(node, "lineno"):
            yield node.lineno, node.arg, node.value


# ------------------------------------------------------------------ detectors
def _modulo(n: int) -> Detector:
    def detect(tree: ast.AST) -> Iterator[int]:
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Mod | ast.FloorDiv):
                right = node.right if isinstance(node, ast.BinOp) else node.value
                if _int(right) == n:
                    yield node.lineno
            elif isinstance(node, ast.Call) and _name(node.func) in {"divmod", "mod", "fmod", "remainder",
                                                                      "floor_divide", "floordiv"}:
                if any(_int(a) == n for a in node.args):
                    yield node.lineno
    return detect


def _age_bands(tree: ast.AST) -> Iterator[int]:
    def norm(s: str) -> str:
        s = re.sub(r"\s+to\s+", "-", s.strip().lower())
        return re.sub(r"^under (one|a year)$", "under 1", s).replace(" ", "")
    labels = {norm(b) for b in BAND_LABELS}
    for line, elts in _sequences(tree):
        if len({s for s in map(norm, _strings_in(elts)) if s in labels}) >= 2:
            yield line
        ints = [v for e in elts if (v := _whole(e)) is not None]
        edges = [v for v in ints if v in BAND_EDGES]
        # four consecutive cut-offs of the home, in order (1, 5, 10, 16 ...), restate the bands
        if len(edges) >= 4 and any(tuple(edges[i:i + 4]) == BAND_EDGES[j:j + 4]
                                   for i in range(len(edges) - 3) for j in range(len(BAND_EDGES) - 3)):
            yield line
    for line, keys, values in _mappings(tree):
        if len({norm(s) for s in (*keys, *values) if s} & labels) >= 2:
            yield line


def _ethnic_groups(tree: ast.AST) -> Iterator[int]:
    # a mapping onto the major groups (code or letter -> "White"), or from them to codes; data keyed by
    # group or code (shares, rates, name pools) is not a grouping and passes
    for line, _keys, values in _mappings(tree):
        if {v for v in values if v} & MAJOR_GROUPS:
            yield line
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and {_str(k) for k in node.keys} & MAJOR_GROUPS:
            codes = {s.upper() for v in node.values for s in _strings_in([v])}
            if codes & ETHNIC_CODES:
                yield node.lineno
    for line, elts in _sequences(tree):
        strings = set(_strings_in(elts))
        if len(strings & MAJOR_GROUPS) >= 3 or len({s.upper() for s in strings} & ETHNIC_CODES) >= 2:
            yield line
    for line, name, value in _assigned(tree):  # the one label for missing, restated as a constant
        s = _str(value)
        if s is not None and s.lower() in MISSING_WORDS and name.isupper():
            yield line


def _sex_codes(tree: ast.AST) -> Iterator[int]:
    for line, keys, values in _mappings(tree):
        pairs = {(k.lower(), v.lower()) for k, v in zip(keys, values * len(keys) if len(values) == 1 and
                                                           len(keys) > 1 else values, strict=False) if k and v}
        if {(k, v) for k, v in pairs} & {(f, c.lower()) for f, c in SEX_PAIRS}:
            yield line
    for line, elts in _sequences(tree):
        strings = [s for e in elts if (s := _str(e)) is not None]
        if len(strings) == len(elts) and set(strings) == SEX_CODES:
            yield line
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "then" and node.args:
            if _lit_str(node.args[0]) in SEX_CODES:
                yield node.lineno


def _symbols(tree: ast.AST) -> Iterator[int]:
    docs = _docstring_ids(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in SYMBOLS and id(node) not in docs:
            yield node.lineno
    for line, name, value in _assigned(tree):  # a bare marker: SUPPRESSED = "c", MARK = "c"
        if _str(value) == "c" and (name.isupper() or re.search(r"mark|symbol|suppress", name, re.I)):
            yield line


def _threshold(tree: ast.AST) -> Iterator[int]:
    small = DEFAULT_POLICY.suppress_max
    for line, name, value in _assigned(tree):
        if _int(value) in (small, small + 1) and (_THRESHOLD_NAME.search(name) or
                                                 (name.isupper() and re.search(r"CELL|SMALL", name))):
            yield line
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, sides, sides[1:], strict=False):
            subject, bound = (left, _int(right)) if _int(right) is not None else (right, _int(left))
            flipped = subject is right
            if bound is None or not _COUNTISH.match(_name(subject) or _str(getattr(subject, "args", [None])[0]
                                                                               if isinstance(subject, ast.Call)
                                                                               and getattr(subject, "args", None)
                                                                               else None) or ""):
                continue
            below = (ast.Gt, ast.GtE) if flipped else (ast.Lt, ast.LtE)
            strict = ast.Gt if flipped else ast.Lt
            if isinstance(op, below) and bound == (small + 1 if isinstance(op, strict) else small):
                yield node.lineno


def _scenario_names(tree: ast.AST) -> Iterator[int]:
    for line, elts in _sequences(tree):
        if len(set(_strings_in(elts)) & SCENARIO_NAMES) >= 2:
            yield line
    for line, keys, _values in _mappings(tree):
        if len({k for k in keys if k} & SCENARIO_NAMES) >= 2:
            yield line


def _label_map(codes: frozenset[str], words: frozenset[str], at_least: int = 2) -> Detector:
    def detect(tree: ast.AST) -> Iterator[int]:
        for line, keys, values in _mappings(tree):
            if (len({k for k in keys if k} & codes) >= at_least
                    or len({v.lower() for v in values if v} & words) >= at_least):
                yield line
    return detect


def _level_zero(tree: ast.AST) -> Iterator[int]:
    for line, _keys, values in _mappings(tree):
        if any(v and v.lower() == DIFFERENT.lower() for v in values):
            yield line


RULES: tuple[Rule, ...] = (
    Rule("NHS number check digit (mod 11)", ("warehouse/identifiers.py",),
         re.compile(r"11\s*-\s*[\w().\[\]\s*+]*%\s*11|%\s*11\b"), detect=_modulo(11)),
    Rule("UPN check letter (mod 23)", ("warehouse/identifiers.py",), re.compile(r"%\s*23\b"), detect=_modulo(23)),
    Rule("age bands", ("warehouse/vocabulary.py",), re.compile(r"[\"'](?:under 1|45\+|18\+|16-17)[\"']"),
         detect=_age_bands),
    Rule("ethnicity 'not given' codes", ("warehouse/vocabulary.py", "warehouse/codelists.py"),
         re.compile(r"[\"']REFU[\"']\s*,\s*[\"']NOBT[\"']")),
    Rule("ethnic major groups", ("warehouse/vocabulary.py", "warehouse/codelists.py"),
         re.compile(r"[\"']W[\"']\s*:\s*[\"']White[\"']|[\"']WBRI[\"']\s*:\s*[\"']White"), detect=_ethnic_groups),
    Rule("sex mapping", ("warehouse/vocabulary.py",),
         re.compile(r"[\"'](?:1|m)[\"']\s*:\s*[\"']M[\"']|[\"']female[\"']\s*,|[\"']Female[\"']\s*:\s*[\"']F[\"']"),
         detect=_sex_codes),
    Rule("suppression symbol", ("warehouse/disclosure.py",),
         re.compile(r"=\s*[\"']\[c\][\"']|^\s*SUPPRESSED\s*(?::\s*\w+\s*)?="), detect=_symbols),
    Rule("suppression threshold", ("warehouse/disclosure.py",),
         re.compile(r"(?:suppress\w*|threshold|small_count\w*)\s*(?::\s*int\s*)?=\s*[56]\b"), detect=_threshold),
    Rule("scenario catalogue", ("warehouse/scenarios.py",),
         re.compile("|".join(f"[\"']{n}[\"']" for n in sorted(SCENARIO_NAMES))), min_hits=3,
         detect=_scenario_names),
    Rule("verdict words", ("warehouse/verdicts.py",), detect=_label_map(VERDICT_CODES, VERDICT_WORDS)),
    Rule("availability dimension labels", ("warehouse/dimensions.py",),
         detect=_label_map(DIMENSION_IDS, DIMENSION_WORDS)),
    Rule("agreement level 0 word", ("linkage/comparisons.py",), detect=_level_zero),
)

#: Copies in modules this change could not edit (other engineers own them), by rule -> file -> why.
#: TODO(issue 12): remove each entry when its owner routes the code through the home's names.
KNOWN_COPIES: dict[str, dict[str, str]] = {}


def copies(rule: Rule, path: Path, text: str) -> list[str]:
    """Lines of ``text`` that restate ``rule`` (empty when ``path`` is its home or the hits are few)."""
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    if rel in rule.home:
        return []
    lines = text.splitlines()
    found: set[int] = set()
    if rule.pattern is not None:
        code = [(n, line) for n, line in enumerate(lines, 1) if not line.lstrip().startswith("#")]
        hit_lines = [n for n, line in code if rule.pattern.search(line)]
        if hit_lines and sum(len(rule.pattern.findall(line)) for _, line in code) >= rule.min_hits:
            found.update(hit_lines)
    if rule.detect is not None:
        tree = _tree(text)
        if tree is not None:
            found.update(rule.detect(tree))
    return [f"{rel}:{n}: {lines[n - 1].strip() if 0 < n <= len(lines) else ''}" for n in sorted(found)]


@cache
def _tree(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def _package_files() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_rule_has_one_home(rule: Rule) -> None:
    allowed = KNOWN_COPIES.get(rule.name, {})
    found = [hit for p in _package_files() if p.relative_to(ROOT).as_posix() not in allowed
             for hit in copies(rule, p, p.read_text(encoding="utf-8"))]
    assert not found, f"{rule.name} is defined outside {rule.home}; import it instead:\n" + "\n".join(found)


def test_known_copies_are_still_there() -> None:
    # An allow-listed copy that has gone must leave the list, so the list cannot hide a new copy.
    gone = [f"{path} no longer copies {name}: drop it from KNOWN_COPIES"
            for name, files in KNOWN_COPIES.items() for path in files
            if not copies(next(r for r in RULES if r.name == name), ROOT / path, (ROOT / path).read_text(encoding="utf-8"))]
    assert not gone, "\n".join(gone)


PLANTED: list[tuple[str, str]] = [
    # verbatim spellings
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
    # the audit's 24 reworded copies (/tmp/audit/12/probe_one_home.py)
    ("NHS number check digit (mod 11)", "check = 11 - (total - 11 * (total // 11))\n"),
    ("NHS number check digit (mod 11)", "_, r = divmod(total, 11)\n"),
    ("NHS number check digit (mod 11)", "check = np.mod(-total, 11)\n"),
    ("NHS number check digit (mod 11)", "r = pl.col('s').mod(11)\n"),
    ("UPN check letter (mod 23)", "letter = ALPHA[np.mod(total, 23)]\n"),
    ("UPN check letter (mod 23)", "_, r = divmod(total, 23)\n"),
    ("UPN check letter (mod 23)", "letter = 'ABCDEFGHJKLMNPQRTUVWXYZ'[t - 23 * (t // 23)]\n"),
    ("age bands", "BANDS = ('Under 1', '1 to 4', '5 to 9')\n"),
    ("age bands", "CUTS = [(1, 'under one'), (5, '1-4'), (10, '5-9')]\n"),
    ("age bands", "AGE_EDGES = [0, 1, 5, 10, 16, 18]\n"),
    ("ethnic major groups", "G = dict.fromkeys(('WBRI','WIRI'), 'White')\n"),
    ("ethnic major groups", "GROUPS = {'White': ('WBRI', 'WIRI'), 'Asian': ('AIND',)}\n"),
    ("ethnic major groups", "MISSING = 'Unknown'\n"),
    ("sex mapping", "SEX = {'male': 'M', 'female': 'F'}\n"),
    ("sex mapping", "SEX = {'2': 'F', '0': 'U'}\n"),
    ("sex mapping", "s = pl.when(x == '1').then(pl.lit('M'))\n"),
    ("suppression symbol", "return '[c]'\n"),
    ("suppression symbol", "out = pl.lit('[c]')\n"),
    ("suppression symbol", "MARK = 'c'\n"),
    ("suppression threshold", "MIN_CELL = 5\n"),
    ("suppression threshold", "small = count < 6\n"),
    ("suppression threshold", "hidden = (n >= 1) & (n <= 5)\n"),
    ("suppression threshold", "max_small: int = 5\n"),
    ("scenario catalogue", "S = ('all_identifiers', 'names_dob')\n"),
    # label maps and the remaining forms named in the issue
    ("suppression symbol", "MISSING = '[x]'\n"),
    ("sex mapping", "VALID = frozenset({'M', 'F', 'U'})\n"),
    ("sex mapping", "LABELS = {'M': 'Male', 'F': 'Female'}\n"),
    ("verdict words", "VERDICTS = {'feasible': 'Feasible', 'not_feasible': 'Not feasible'}\n"),
    ("verdict words", "W = {'a': 'feasible with conditions', 'b': 'unknown: review a sample'}\n"),
    ("availability dimension labels", "DIMS = {'held': 'Held', 'use': 'How it is used'}\n"),
    ("availability dimension labels", "D = {'x': 'Time to access', 'y': 'Appetite for linkage'}\n"),
    ("agreement level 0 word", "LEVEL_WORDS = {'else': 'different'}\n"),
    ("agreement level 0 word", "LEVELS = {0: 'Different'}\n"),
]


@pytest.mark.parametrize(("rule_name", "planted"), PLANTED, ids=[f"{r}: {p.strip()}" for r, p in PLANTED])
def test_a_planted_copy_is_caught(tmp_path: Path, rule_name: str, planted: str) -> None:
    # The checker must see a reintroduced copy (guards against a pattern that can never match).
    rule = next(r for r in RULES if r.name == rule_name)
    f = tmp_path / "copy.py"
    f.write_text(planted)
    assert copies(rule, f, planted), f"{rule_name}: the planted copy was not detected"


LEGIT = [
    "from warehouse.identifiers import nhs_number_valid\nok = nhs_number_valid(x)\n",
    "page = total // 10\nrow = i % 12\n_, r = divmod(seconds, 60)\n",
    "from warehouse.vocabulary import AGE_BANDS, age_band\nband = age_band(4)\n",
    "SIZES = [1, 2, 5, 10, 20]\n",
    "from warehouse.vocabulary import SEX_CODES, normalise_sex\nok = code in SEX_CODES\n",
    "from warehouse.disclosure import DEFAULT_POLICY\nout = pl.lit(DEFAULT_POLICY.symbol)\n",
    'def f():\n    """Hidden counts read \'[c]\'; a missing figure reads \'[x]\'."""\n    # \'[c]\' is the symbol\n',
    "from warehouse.disclosure import DEFAULT_POLICY\nhidden = DEFAULT_POLICY.hides(count)\n",
    "if len(rows) < 6:\n    pass\nretries = 5\n",
    "from warehouse.scenarios import SCENARIOS\nnames = SCENARIOS.names()\nlabel = {'names_dob': 'x'}\n",
    "TIMEPOINTS = {'baseline': 'Baseline', 'followup': 'Follow-up'}\n",
    "from warehouse.verdicts import VERDICT_LABELS\nV = {k: v.capitalize() for k, v in VERDICT_LABELS.items()}\n",
    "COLOURS = {'agreement': 'green', 'dissonance': 'red'}\nmissing = 'Not known' if x is None else x\n",
]


@pytest.mark.parametrize("code", LEGIT)
def test_legitimate_code_is_not_flagged(tmp_path: Path, code: str) -> None:
    f = tmp_path / "ok.py"
    f.write_text(code)
    flagged = {r.name: copies(r, f, code) for r in RULES}
    assert not any(flagged.values()), flagged
