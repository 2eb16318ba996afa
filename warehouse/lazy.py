"""Public names a package loads with their module on first use (PEP 562 ``__getattr__``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_names(package: str, names: Mapping[str, str], namespace: dict[str, object]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``names`` maps a public name to the module defining it.

    The name is imported on first use and kept in ``namespace`` (the package's ``globals()``), so the
    look-up happens once.

    Example:
        >>> get = lazy_names("pkg", {"sqrt": "math"}, ns := {})
        >>> get("sqrt")(9.0), "sqrt" in ns
        (3.0, True)
    """

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
