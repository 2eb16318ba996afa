"""One exception hierarchy for linkready.

Every error a user can cause derives from :class:`LinkreadyError`; the CLI turns these into a
one-line message and exit code 1. Messages say what was given, what is allowed and what to do,
and never carry record values (names, dates of birth, NHS numbers).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class LinkreadyError(Exception):
    """Root of every error linkready raises on purpose."""


class ConfigError(LinkreadyError, ValueError):
    """A setting, option or configuration file is invalid."""


class DataError(LinkreadyError, ValueError):
    """Input data cannot be read or breaks a rule that stops the whole file."""


class SchemaError(LinkreadyError, RuntimeError):
    """The warehouse file is not at a schema version this code understands."""


class AccessDenied(LinkreadyError, PermissionError):
    """The caller is not allowed to see the requested site's data."""


def did_you_mean(given: str, allowed: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest allowed value, or an empty string."""
    close = difflib.get_close_matches(str(given), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
