"""Pseudonymisation check for transcripts before import.

:func:`scan` finds identifiers (NHS numbers with a valid check digit, UK postcodes, UK phone
numbers, email addresses, dates that could be dates of birth, and names from a supplied roster;
the check digit is ``warehouse.identifiers``')
and returns their kinds and positions, never their values. :func:`check` refuses a transcript that
contains any, with a message that lists kinds and positions only. :class:`Pseudonymiser` replaces
them with consistent tokens (``[PERSON_1]``, ``[POSTCODE_2]``) and keeps a log of tokens and counts;
the original -> token map lives only in memory (keep it outside the warehouse if you must keep it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from warehouse.errors import DataError
from warehouse.identifiers import nhs_number_is_valid

_MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
           r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")

PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b"),
    "nhs_number": re.compile(r"(?<![\d])(\d{3})[ \-]?(\d{3})[ \-]?(\d{4})(?![\d])"),
    "phone": re.compile(r"(?<![\w+])(?:\+44\s?7\d{3}|07\d{3}|\+44\s?[12]\d{2,3}|0[12]\d{2,3})[\s\-]?\d{3}[\s\-]?\d{3,4}(?!\d)"),
    "postcode": re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s?\d[A-Z]{2}\b", re.IGNORECASE),
    "date_of_birth": re.compile(
        r"\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}|"
        rf"\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\s+(?:19|20)\d{{2}}|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})\b",
        re.IGNORECASE,
    ),
}

TOKEN_PREFIX = {"email": "EMAIL", "nhs_number": "NHS_NUMBER", "phone": "PHONE", "postcode": "POSTCODE",
                "date_of_birth": "DATE", "name": "PERSON"}


@dataclass(frozen=True)
class Identifier:
    """An identifier found in a text: its kind and code-point span (never its value)."""

    kind: str
    start: int
    end: int


def scan(text: str, roster: Iterable[str] = ()) -> list[Identifier]:
    """Find identifiers in ``text``; overlapping hits keep the earliest, then longest, match.

    Args:
        text: the transcript.
        roster: names of participants, staff, children, places; matched case-insensitively as whole words.
    Returns:
        Identifiers sorted by position.
    """
    hits: list[Identifier] = []
    for kind, pat in PATTERNS.items():
        for m in pat.finditer(text):
            if kind == "nhs_number" and not nhs_number_is_valid("".join(m.groups())):
                continue
            hits.append(Identifier(kind, m.start(), m.end()))
    names = sorted({n.strip() for n in roster if n and n.strip()}, key=len, reverse=True)
    if names:
        pat = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.IGNORECASE)
        hits.extend(Identifier("name", m.start(), m.end()) for m in pat.finditer(text))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Identifier] = []
    for h in hits:
        if kept and h.start < kept[-1].end:
            continue
        kept.append(h)
    return kept


def describe(found: list[Identifier], limit: int = 20) -> str:
    """A value-free description: counts per kind and the first positions."""
    counts = Counter(h.kind for h in found)
    kinds = ", ".join(f"{k} x{n}" for k, n in sorted(counts.items()))
    where = "; ".join(f"{h.kind} at {h.start}-{h.end}" for h in found[:limit])
    more = f"; ... {len(found) - limit} more" if len(found) > limit else ""
    return f"{kinds} ({where}{more})"


def check(text: str, document: str, roster: Iterable[str] = ()) -> None:
    """Raise DataError listing kinds and positions if ``text`` still holds identifiers."""
    found = scan(text, roster)
    if found:
        raise DataError(
            f"document {document!r} is not pseudonymised: found {describe(found)}; replace them with tokens "
            "(`linkready findings pseudonymise FILE --roster NAMES --out DIR`) and review before import"
        )


@dataclass
class Pseudonymiser:
    """Replace identifiers with consistent tokens across documents; log tokens and counts only.

    Example:
        >>> p = Pseudonymiser()
        >>> p.apply("Mail jo@example.org or jo@example.org", "doc1")
        'Mail [EMAIL_1] or [EMAIL_1]'
        >>> p.log
        [{'document_id': 'doc1', 'token': '[EMAIL_1]', 'entity_type': 'email', 'n_occurrences': 2, 'method': 'pattern'}]
    """

    roster: tuple[str, ...] = ()
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _counters: Counter[str] = field(default_factory=Counter, repr=False)
    log: list[dict[str, object]] = field(default_factory=list)

    def _token(self, kind: str, original: str) -> str:
        key = (kind, re.sub(r"[\s\-]", "", original).lower())
        if key not in self._tokens:
            self._counters[kind] += 1
            self._tokens[key] = f"[{TOKEN_PREFIX[kind]}_{self._counters[kind]}]"
        return self._tokens[key]

    def apply(self, text: str, document_id: str) -> str:
        """Return the pseudonymised text and append per-token counts to :attr:`log`."""
        found = scan(text, self.roster)
        pieces, pos = [], 0
        counts: Counter[tuple[str, str]] = Counter()
        for h in found:
            token = self._token(h.kind, text[h.start:h.end])
            counts[(token, h.kind)] += 1
            pieces.extend([text[pos:h.start], token])
            pos = h.end
        pieces.append(text[pos:])
        for (token, kind), n in sorted(counts.items()):
            self.log.append({"document_id": document_id, "token": token, "entity_type": kind, "n_occurrences": n,
                             "method": "roster" if kind == "name" else "pattern"})
        return "".join(pieces)
