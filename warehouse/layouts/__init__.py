"""Site layouts as TOML files (one per site), read by :mod:`warehouse.adapters`."""
