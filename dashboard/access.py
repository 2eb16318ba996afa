"""Who is asking and which sites they may see: the one place requested sites meet permissions.

Every query in :mod:`dashboard.queries` takes a :class:`Scope`, and a Scope is only made by
:meth:`Viewer.scope`, which intersects what a request asks for with what the account may see.
A callback posted by hand for another site therefore gets nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from warehouse.errors import AccessDenied
from warehouse.sites import SITE_IDS


@dataclass(frozen=True)
class Scope:
    """The sites one request may read (never empty), and who asked."""

    username: str
    sites: tuple[str, ...]


@dataclass(frozen=True)
class Viewer:
    """The logged-in account as the data layer sees it."""

    username: str
    role: str
    sites: tuple[str, ...]

    @property
    def is_site_user(self) -> bool:
        """True for an account limited to one site."""
        return self.role == "site"

    def scope(self, requested: Iterable[str] | str | None = None) -> Scope:
        """Intersect ``requested`` sites with this viewer's sites.

        ``None`` or an empty request means "all I may see". Unknown values are ignored.
        Raises AccessDenied when nothing requested is permitted.

        Example:
            >>> Viewer("ana", "site", ("fbs",)).scope(["fbs", "sat"]).sites
            ('fbs',)
        """
        wanted = parse_sites(requested)
        if not wanted:
            sites = self.sites
        else:
            sites = tuple(s for s in SITE_IDS if s in wanted and s in self.sites)
        if not sites:
            raise AccessDenied(
                f"account {self.username!r} may see {', '.join(self.sites) or 'no site'}; "
                f"the request asked for {', '.join(sorted(wanted)) or 'nothing'}"
            )
        return Scope(self.username, sites)


def parse_sites(requested: Iterable[str] | str | None) -> set[str]:
    """Normalise a site request (list, comma-separated string or None) to a set of ids."""
    if requested is None:
        return set()
    if isinstance(requested, str):
        items: Iterable[object] = requested.split(",")
    elif isinstance(requested, Iterable):
        items = requested
    else:
        return {"\x00invalid"}  # a number or dict posted by hand: permits nothing
    return {str(s).strip() for s in items if str(s).strip()}
