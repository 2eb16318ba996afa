"""The warehouse layer: schema, store, reference data, adapters, measures, errors (depends on nobody)."""

from warehouse.errors import AccessDenied, ConfigError, DataError, LinkreadyError, SchemaError
from warehouse.store import Store

__all__ = ["AccessDenied", "ConfigError", "DataError", "LinkreadyError", "SchemaError", "Store"]
