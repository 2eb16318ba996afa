"""The warehouse layer: schema, store, reference data, the shared vocabulary, validation, loading
and errors (depends on nobody).

The shared rules every package uses live here, each in one module: :mod:`warehouse.registry` (the
one registry pattern), :mod:`warehouse.vocabulary` (subgroups), :mod:`warehouse.scenarios`
(identifier scenarios), :mod:`warehouse.sites` (sites and local authorities),
:mod:`warehouse.identifiers` (check digits), :mod:`warehouse.disclosure` (disclosure control),
:mod:`warehouse.dimensions` (availability dimensions) and :mod:`warehouse.verdicts` (verdict words).
"""

from warehouse.errors import AccessDenied, ConfigError, DataError, LinkreadyError, SchemaError
from warehouse.registry import Registry
from warehouse.store import Store

__all__ = ["AccessDenied", "ConfigError", "DataError", "LinkreadyError", "Registry", "SchemaError", "Store"]

from warehouse.sites import SITE_IDS, SITES  # noqa: E402

__all__ += ["SITES", "SITE_IDS"]

from warehouse.adapters import SiteAdapter, layout_toml, load_layout  # noqa: E402
from warehouse.batches import list_batches, restore_batch  # noqa: E402
from warehouse.layouts.infer import infer_layout  # noqa: E402
from warehouse.loading import FileLoad, LoadReport, LoadSettings, load_drop  # noqa: E402
from warehouse.purge import purge_restricted  # noqa: E402
from warehouse.toc import toc_versions  # noqa: E402
from warehouse.validation import Problem, ValidationReport, validate_drop  # noqa: E402
from warehouse.validation.problems import Outcome  # noqa: E402

__all__ += [
    "FileLoad", "LoadReport", "LoadSettings", "Outcome", "Problem", "SiteAdapter", "ValidationReport", "infer_layout",
    "layout_toml", "list_batches", "load_drop", "load_layout", "purge_restricted", "restore_batch", "toc_versions",
    "validate_drop",
]
