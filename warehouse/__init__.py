"""The warehouse layer: schema, store, reference data, the shared vocabulary, validation, loading
and errors (depends on nobody).

The shared rules every package uses live here, each in one module: :mod:`warehouse.registry` (the
one registry pattern), :mod:`warehouse.vocabulary` (subgroups), :mod:`warehouse.scenarios`
(identifier scenarios), :mod:`warehouse.sites` (sites and local authorities),
:mod:`warehouse.identifiers` (check digits) and :mod:`warehouse.disclosure` (disclosure control).
"""

from warehouse.errors import AccessDenied, ConfigError, DataError, LinkreadyError, SchemaError
from warehouse.registry import Registry
from warehouse.store import Store

__all__ = ["AccessDenied", "ConfigError", "DataError", "LinkreadyError", "Registry", "SchemaError", "Store"]

from warehouse.loading import FileLoad, LoadReport, LoadSettings, load_drop  # noqa: E402
from warehouse.validation import Problem, ValidationReport, validate_drop  # noqa: E402

__all__ += ["FileLoad", "LoadReport", "LoadSettings", "Problem", "ValidationReport", "load_drop", "validate_drop"]
