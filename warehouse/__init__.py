"""The warehouse layer: schema, store, reference data, the shared vocabulary, validation, loading
and errors (depends on nobody).

The shared rules every package uses live here, each in one module: :mod:`warehouse.registry` (the
one registry pattern), :mod:`warehouse.vocabulary` (subgroups), :mod:`warehouse.scenarios`
(identifier scenarios), :mod:`warehouse.sites` (sites and local authorities),
:mod:`warehouse.identifiers` (check digits), :mod:`warehouse.disclosure` (disclosure control),
:mod:`warehouse.dimensions` (availability dimensions) and :mod:`warehouse.verdicts` (verdict words).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from warehouse.errors import AccessDenied, ConfigError, DataError, LinkreadyError, SchemaError
from warehouse.lazy import lazy_names
from warehouse.registry import Registry
from warehouse.sites import SITE_IDS, SITES
from warehouse.store import Store

#: Public names whose modules (validation, loading, layouts ...) load on first use, so that every
#: `linkready` process does not pay for the whole loader before it has read its arguments.
_LAZY: dict[str, str] = {
    "SiteAdapter": "warehouse.adapters", "layout_toml": "warehouse.adapters", "load_layout": "warehouse.adapters",
    "list_batches": "warehouse.batches", "restore_batch": "warehouse.batches",
    "infer_layout": "warehouse.layouts.infer",
    "FileLoad": "warehouse.loading", "LoadReport": "warehouse.loading", "LoadSettings": "warehouse.loading",
    "load_drop": "warehouse.loading",
    "purge_restricted": "warehouse.purge",
    "toc_versions": "warehouse.toc",
    "Problem": "warehouse.validation", "ValidationReport": "warehouse.validation", "validate_drop": "warehouse.validation",
    "Outcome": "warehouse.validation.problems",
}

if TYPE_CHECKING:
    from warehouse.adapters import SiteAdapter, layout_toml, load_layout
    from warehouse.batches import list_batches, restore_batch
    from warehouse.layouts.infer import infer_layout
    from warehouse.loading import FileLoad, LoadReport, LoadSettings, load_drop
    from warehouse.purge import purge_restricted
    from warehouse.toc import toc_versions
    from warehouse.validation import Problem, ValidationReport, validate_drop
    from warehouse.validation.problems import Outcome

__all__ = [
    "AccessDenied", "ConfigError", "DataError", "LinkreadyError", "Registry", "SITES", "SITE_IDS", "SchemaError",
    "Store",
    # loaded on first use (_LAZY)
    "FileLoad", "LoadReport", "LoadSettings", "Outcome", "Problem", "SiteAdapter", "ValidationReport", "infer_layout",
    "layout_toml", "list_batches", "load_drop", "load_layout", "purge_restricted", "restore_batch", "toc_versions",
    "validate_drop",
]


__getattr__ = lazy_names("warehouse", _LAZY, globals())
