"""linkready command-line interface (the top layer; holds no logic of its own)."""

__all__ = ["main"]

from linkready.cli import main
