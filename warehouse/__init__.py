"""The warehouse layer: schema, store, reference data, adapters, measures, errors (depends on nobody)."""

from warehouse.errors import AccessDenied, ConfigError, DataError, LinkreadyError, SchemaError
from warehouse.store import Store

__all__ = ["AccessDenied", "ConfigError", "DataError", "LinkreadyError", "SchemaError", "Store"]

from warehouse.loading import FileLoad, LoadReport, LoadSettings, load_drop  # noqa: E402
from warehouse.validation import Problem, ValidationReport, validate_drop  # noqa: E402

__all__ += ["FileLoad", "LoadReport", "LoadSettings", "Problem", "ValidationReport", "load_drop", "validate_drop"]
