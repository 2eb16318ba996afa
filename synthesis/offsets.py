"""Where a QDA tool's selection offsets point, and how they map onto the text the warehouse stores.

The warehouse stores transcripts with ``\\n`` line endings and no BOM, and every offset as 0-based
Unicode code points, end-exclusive, on that stored text (REFI-QDA spec §10.2). Tools count
differently on the text *as delivered*:

- the REFI default (QualCoder, MAXQDA, linkready itself): code points of the delivered file, so a
  Windows ``\\r\\n`` is two characters;
- NVivo: UTF-16 code units of the delivered file (a character outside the Basic Multilingual
  Plane, such as an emoji, counts as two) and ``\\r\\n`` as two;
- ATLAS.ti: code points, with ``\\r\\n`` counted as one character.

Each convention is an :class:`OffsetConvention` in :data:`OFFSET_CONVENTIONS`, picked from the
project's ``origin`` attribute by :func:`convention_for`; a new tool's convention registers itself
exactly as the built-ins do. :class:`DeliveredText` keeps the delivered text's line breaks and wide
characters so that :meth:`DeliveredText.to_stored` maps any convention's offset onto the stored text.

A BOM is an encoding mark, not a character: no tool counts it, so it is removed before counting.

Example:
    >>> t = DeliveredText.from_raw("a\\r\\nb👍c")
    >>> t.text
    'a\\nb👍c'
    >>> t.to_stored(6, OFFSET_CONVENTIONS.get("nvivo"))   # after 'a', CR, LF, 'b' and two units of the emoji
    4
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Literal

from warehouse.registry import Registry

__all__ = ["OFFSET_CONVENTIONS", "DeliveredText", "OffsetConvention", "code_point_to_convention", "convention_for",
           "utf16_to_code_point"]


@dataclass(frozen=True)
class OffsetConvention:
    """How one QDA tool counts selection offsets in a delivered text.

    Attributes:
        name: registry name (``refi``, ``nvivo``, ``atlas.ti``).
        label: the tool as people name it.
        origin_markers: lower-case fragments of ``Project/@origin`` that identify the tool.
        unit: ``code_point`` (the REFI rule) or ``utf16`` (code units; NVivo).
        crlf_as_one: whether ``\\r\\n`` counts as one character.
    """

    name: str
    label: str
    origin_markers: tuple[str, ...]
    unit: Literal["code_point", "utf16"]
    crlf_as_one: bool


OFFSET_CONVENTIONS: Registry[OffsetConvention] = Registry("offset convention")
"""Offset conventions by name; :func:`convention_for` falls back to ``refi``."""

OFFSET_CONVENTIONS.register(OffsetConvention("refi", "REFI-QDA standard (QualCoder, MAXQDA, linkready)", (),
                                             "code_point", False))
OFFSET_CONVENTIONS.register(OffsetConvention("nvivo", "NVivo", ("nvivo",), "utf16", False))
OFFSET_CONVENTIONS.register(OffsetConvention("atlas.ti", "ATLAS.ti", ("atlas.ti", "atlasti", "atlas ti"),
                                             "code_point", True))


def convention_for(origin: str | None) -> OffsetConvention:
    """The convention of the tool named in ``origin`` (``Project/@origin``); the REFI rule when none matches."""
    given = (origin or "").lower()
    for conv in OFFSET_CONVENTIONS.values():
        if any(marker in given for marker in conv.origin_markers):
            return conv
    return OFFSET_CONVENTIONS.get("refi")


@dataclass(frozen=True)
class DeliveredText:
    """A delivered text normalised for storage, with what is needed to move offsets onto it.

    Attributes:
        text: the stored form: no BOM, ``\\n`` line endings.
        raw: the delivered text without its BOM (line endings as delivered).
        crlf_at: code-point index in ``raw`` of the ``\\r`` of each ``\\r\\n``, ascending.
    """

    text: str
    raw: str
    crlf_at: tuple[int, ...]

    @classmethod
    def from_raw(cls, raw: str) -> DeliveredText:
        """Normalise ``raw`` (strip a BOM; ``\\r\\n`` and lone ``\\r`` become ``\\n``)."""
        if raw.startswith("\ufeff"):
            raw = raw[1:]
        crlf_at: list[int] = []
        pos = raw.find("\r\n")
        while pos != -1:
            crlf_at.append(pos)
            pos = raw.find("\r\n", pos + 2)
        return cls(raw.replace("\r\n", "\n").replace("\r", "\n"), raw, tuple(crlf_at))

    def length(self, convention: OffsetConvention) -> int:
        """The delivered text's length as ``convention`` counts it (the largest valid offset)."""
        base = self.text if convention.crlf_as_one else self.raw
        if convention.unit == "utf16":
            return len(base) + sum(1 for ch in base if ord(ch) > 0xFFFF)
        return len(base)

    def to_stored(self, offset: int, convention: OffsetConvention) -> int:
        """Map a boundary counted by ``convention`` on the delivered text to a code-point boundary of :attr:`text`."""
        cp = self._code_point(offset, convention)
        return cp if convention.crlf_as_one else self._remap(cp)

    def span_to_stored(self, start: int, end: int, convention: OffsetConvention) -> tuple[int, int]:
        """Map a delivered ``[start, end)`` span onto :attr:`text`.

        A span that starts or ends between the CR and the LF of a line break keeps that line break.
        """
        s, e = self._code_point(start, convention), self._code_point(end, convention)
        if convention.crlf_as_one or e <= s:
            return s, e
        return self._remap(s), self._remap(e - 1) + 1   # the end follows the last selected character

    def _code_point(self, offset: int, convention: OffsetConvention) -> int:
        if convention.unit == "utf16":
            return utf16_to_code_point(self.text if convention.crlf_as_one else self.raw, offset)
        return offset

    def _remap(self, raw_index: int) -> int:
        # each CRLF whose CR lies before the index lost one character in the stored text
        return raw_index - bisect_left(self.crlf_at, raw_index)


def code_point_to_convention(text: str, offset: int, convention: OffsetConvention) -> int:
    """Express a code-point offset of a stored (``\\n``-only) text the way ``convention`` counts it.

    The inverse of :meth:`DeliveredText.to_stored` for stored text, which has no CR to count.
    """
    if convention.unit == "utf16":
        return offset + sum(1 for ch in text[:offset] if ord(ch) > 0xFFFF)
    return offset


def utf16_to_code_point(text: str, offset: int) -> int:
    """Convert a UTF-16 code-unit offset (NVivo) into a code-point offset in ``text``."""
    if offset <= 0 or text.isascii():
        return min(max(offset, 0), len(text))
    units = 0
    for i, ch in enumerate(text):
        if units >= offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)
