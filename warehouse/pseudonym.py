"""Pseudonymous keys: keyed HMAC-SHA256 with a secret held outside the DuckDB file.

The secret comes from ``LINKREADY_SECRET`` (hex or text), else from the key file named by
``LINKREADY_KEY_FILE``, else from ``<warehouse>.key`` beside the warehouse, created on first use
with mode 0600 (an existing key file that others can read is warned about). Keys are stable for a
given secret, so re-loading a drop gives the same keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import polars_hash  # noqa: F401  (registers the ``chash`` expression namespace)

from warehouse.store import warn_if_shared


@dataclass(frozen=True)
class Pseudonymiser:
    """Turns a source-scoped identifier into a pseudonymous key."""

    secret: bytes

    def key(self, *parts: str) -> str:
        """``key("site", "fbs", "FBS00012")`` -> 32 hex characters."""
        msg = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()[:32]

    def keys(self, prefix: tuple[str, ...], ids: list[str]) -> list[str]:
        """Vector form of :meth:`key` for many ids sharing a prefix."""
        head = ("\x1f".join(prefix) + "\x1f").encode("utf-8")
        mac = hmac.new(self.secret, head, hashlib.sha256)
        out = []
        for i in ids:
            m = mac.copy()
            m.update(str(i).encode("utf-8"))
            out.append(m.hexdigest()[:32])
        return out

    def key_series(self, prefix: tuple[str, ...], ids: pl.Series) -> pl.Series:
        """:meth:`keys` for a column, computed column-wise in Rust (polars-hash), no per-row Python.

        A null id is keyed as the empty string. Secrets are text (environment or key file); a secret
        that is not UTF-8 falls back to :meth:`keys`. Tests pin the two to the same answers.
        """
        try:
            text_key = self.secret.decode("utf-8")
        except UnicodeDecodeError:
            return pl.Series(ids.name, self.keys(prefix, ids.cast(pl.String).fill_null("").to_list()), dtype=pl.String)
        head = "\x1f".join(prefix) + "\x1f"
        frame = pl.DataFrame({"id": ids.cast(pl.String).fill_null("")})
        # polars-hash adds the `chash` namespace at import time, which type checkers cannot see.
        mac = (pl.lit(head) + pl.col("id")).chash.hmac_sha256(key=text_key).str.slice(0, 32)  # type: ignore[attr-defined]
        return frame.select(mac.alias(ids.name)).to_series()


def key_file_for(db_path: str | Path) -> Path:
    """The default key file for a warehouse: ``<db>.key`` unless ``LINKREADY_KEY_FILE`` is set."""
    env = os.environ.get("LINKREADY_KEY_FILE")
    return Path(env) if env else Path(str(db_path) + ".key")


def load_pseudonymiser(db_path: str | Path) -> Pseudonymiser:
    """Return the pseudonymiser for a warehouse, creating its key file (0600) on first use; a key file
    that group or others can read is logged as a warning (whoever reads it can re-key the extracts)."""
    env = os.environ.get("LINKREADY_SECRET")
    if env:
        return Pseudonymiser(env.encode("utf-8"))
    path = key_file_for(db_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    else:
        warn_if_shared(path, "pseudonym key file")
    return Pseudonymiser(path.read_text().strip().encode("utf-8"))
