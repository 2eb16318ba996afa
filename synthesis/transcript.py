"""Transcript text: hashing and speaker turns.

A speaker turn starts at a line that begins with a speaker label and a colon (``P03: ...``,
``Facilitator: ...``, ``[PARTICIPANT_2]: ...``) and runs to the start of the next turn (trailing
newlines excluded). Offsets are 0-based code points, end-exclusive.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_TURN = re.compile(r"^(?P<label>\[?[A-Za-z][A-Za-z0-9_ .\-]{0,38}\]?):[ \t]", re.MULTILINE)


@dataclass(frozen=True)
class SpeakerTurn:
    """One speaker turn in a transcript."""

    turn_no: int
    speaker_label: str
    start_char: int
    end_char: int


def text_sha256(text: str) -> str:
    """SHA-256 of the UTF-8 text (hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def speaker_turns(text: str) -> list[SpeakerTurn]:
    """Split a transcript into speaker turns (empty list when no line carries a speaker label)."""
    starts = [(m.start(), m.group("label").strip("[]").strip()) for m in _TURN.finditer(text)]
    turns = []
    for i, (start, label) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        while end > start and text[end - 1] in "\n\r ":
            end -= 1
        turns.append(SpeakerTurn(i + 1, label, start, end))
    return turns
