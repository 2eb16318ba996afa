"""Dashboard pages: each module has PATH, NAME, TITLE, ``layout(**query)`` and ``register_callbacks(app)``."""

__all__ = ["audit", "availability", "common", "linkage", "outcomes", "overview", "site", "synthesis"]
