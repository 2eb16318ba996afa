"""One registry pattern for every catalogue: register by decorator, look up with did-you-mean, list.

Comparisons, scenarios, measures, validation rules, dashboard tables and pages, site layouts: each
is a ``Registry`` of named objects, and the built-ins register themselves exactly as a new one would
(as Datasette registers its own features as plugins).

Example:
    >>> shapes: Registry[str] = Registry("shape")
    >>> @shapes.register("square")
    ... def square() -> str:
    ...     return "four sides"
    >>> shapes.get("square")()
    'four sides'
    >>> shapes.names()
    ('square',)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar, overload

from warehouse.errors import ConfigError, did_you_mean

__all__ = ["Registry", "VersionedRegistry", "Versions"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Named objects of one kind, in registration order.

    Args:
        kind: what the objects are, in words ("comparison", "validation rule"): used in errors.
        name_attr: attribute holding an object's name when ``register`` is given no name.
    """

    def __init__(self, kind: str, name_attr: str = "name") -> None:
        self.kind = kind
        self._name_attr = name_attr
        self._items: dict[str, T] = {}

    @overload
    def register(self, item: str, *, replace: bool = ...) -> Callable[[T], T]: ...

    @overload
    def register(self, item: T, *, replace: bool = ...) -> T: ...

    def register(self, item: Any = None, *, replace: bool = False) -> Any:
        """Register an object (named by its ``name`` attribute) or, given a string, return a decorator.

        ``@reg.register`` on a class or function, ``@reg.register("name")``, or ``reg.register(obj)``.
        Registering a second object under a taken name is a ConfigError unless ``replace=True``.
        """
        if isinstance(item, str):
            given = item

            def decorator(obj: T) -> T:
                self._add(given, obj, replace)
                return obj

            return decorator
        name = getattr(item, self._name_attr, None)
        if not isinstance(name, str):
            raise ConfigError(
                f"cannot register {item!r} as a {self.kind}: it has no {self._name_attr!r} attribute; "
                f"pass a name: register('my_name')"
            )
        self._add(name, item, replace)
        return item

    def _add(self, name: str, obj: T, replace: bool) -> None:
        if name in self._items and not replace and self._items[name] is not obj:
            raise ConfigError(f"a {self.kind} named {name!r} is already registered; choose another name")
        self._items[name] = obj

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests that add a toy instance clean up with this)."""
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        """The object registered as ``name``; ConfigError listing the allowed names otherwise."""
        try:
            return self._items[name]
        except KeyError:
            allowed = ", ".join(self._items) or "(none registered)"
            raise ConfigError(
                f"unknown {self.kind} {name!r}; allowed: {allowed}{did_you_mean(name, self._items)}"
            ) from None

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order."""
        return tuple(self._items)

    def keys(self) -> list[str]:
        """Registered names (so ``{**registry}`` and ``dict(registry)`` work as for a mapping)."""
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        """(name, object) pairs, in registration order."""
        return list(self._items.items())

    def values(self) -> list[T]:
        """Registered objects, in registration order."""
        return list(self._items.values())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} registered)"


class Dated(Protocol):
    """What a year-versioned catalogue entry has: a name and the first collection year it applies to."""

    @property
    def name(self) -> str: ...

    @property
    def first_year(self) -> int: ...


D = TypeVar("D", bound=Dated)


class Versions(Generic[D]):
    """The versions of one named entry (a code list, a table declaration), oldest first.

    Iterating gives every version; ``versions[0]`` is the oldest; :meth:`at` the one in force in a year.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._by_year: dict[int, D] = {}

    def add(self, item: D) -> D:
        """Add ``item`` as the version from ``item.first_year`` on (replacing one of the same year)."""
        self._by_year[item.first_year] = item
        self._by_year = dict(sorted(self._by_year.items()))
        return item

    def at(self, year: int) -> D | None:
        """The newest version whose ``first_year`` is not later than ``year`` (None if all are later)."""
        usable = [v for y, v in self._by_year.items() if y <= year]
        return usable[-1] if usable else None

    def __iter__(self) -> Iterator[D]:
        return iter(self._by_year.values())

    def __len__(self) -> int:
        return len(self._by_year)

    def __getitem__(self, index: int) -> D:
        return list(self._by_year.values())[index]

    def __repr__(self) -> str:
        return f"Versions({self.name!r}, first years {list(self._by_year)})"


class VersionedRegistry(Registry[Versions[D]]):
    """A registry whose value per name is its :class:`Versions` (year-versioned catalogues).

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True)
        ... class Rule:
        ...     name: str
        ...     first_year: int
        >>> rules: VersionedRegistry[Rule] = VersionedRegistry("rule")
        >>> _ = rules.add(Rule("age", 0)), rules.add(Rule("age", 2025))
        >>> rules.get("age").at(2024).first_year, rules.get("age").at(2026).first_year
        (0, 2025)
    """

    def add(self, item: D) -> D:
        """Register ``item`` as a version of ``item.name`` (a new name starts its versions)."""
        if item.name not in self:
            self.register(Versions(item.name))
        return self.get(item.name).add(item)
