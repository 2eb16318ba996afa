"""Encoded files: what a data owner sends to the linkage unit, and how the unit reads and checks them.

Parquet (the default) carries the manifest in its file metadata; a ``.csv`` output carries
filters as base64 text and the manifest in ``<file>.manifest.json`` beside it (send both). The
manifest records the encoding settings, a key check value (proves both owners used the same
key without revealing it), the record id column, the kept columns and the row count; the
linkage unit refuses two files whose manifests disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import polars as pl

from linkage.bloom import SCHEMA_VERSION, BloomSettings, EncodingKey
from warehouse.errors import ConfigError, DataError

__all__ = ["EncodedFile", "check_compatible", "is_encoded_file", "manifest_for", "read_encoded", "write_encoded"]

MANIFEST_KEY = "linkready_encoding"
FORMAT = "linkready-encoded"
#: Settings that must agree between the two files (BLIP may differ: it is noise, not structure).
MUST_AGREE = ("q", "k", "length", "scheme", "padding", "salt", "balance", "xor_fold", "permute", "layout")


@dataclass(frozen=True)
class EncodedFile:
    """An encoded file read back: ``frame`` with the record id as ``rid``, and its manifest."""

    frame: pl.DataFrame
    manifest: dict[str, object]
    id_column: str

    @property
    def keep(self) -> list[str]:
        """Columns the owner kept in clear (for reporting only, never matched on)."""
        return [str(c) for c in self.manifest.get("keep", [])]  # type: ignore[attr-defined]


def _version() -> str:
    try:
        return metadata.version("linkready")
    except metadata.PackageNotFoundError:
        return "unknown"


def manifest_for(frame: pl.DataFrame, key: EncodingKey, settings: BloomSettings, id_column: str,
                 keep: tuple[str, ...]) -> dict[str, object]:
    """The manifest of an encoded frame (no values, no key: settings, key check, columns, counts)."""
    return {
        "format": FORMAT, "schema_version": SCHEMA_VERSION, "standardise": f"linkready {_version()}",
        "settings": settings.manifest(), "filter_bits": settings.filter_bits, "bit_order": "big",
        "key_check": key.fingerprint(), "id_column": id_column, "keep": list(keep), "rows": frame.height,
        "encoded": [c for c in frame.columns if c.endswith(("_bf", "_tk")) or c.startswith("bk_")],
    }


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def write_encoded(frame: pl.DataFrame, path: Path, manifest: dict[str, object]) -> Path:
    """Write an encoded frame (record id first under its original name) with its manifest.

    Returns the path of the manifest sidecar for CSV output, else the file itself.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, sort_keys=True)
    if path.suffix.lower() == ".csv":
        binary = [c for c, t in frame.schema.items() if t == pl.Binary]
        frame.with_columns(pl.col(c).bin.encode("base64") for c in binary).write_csv(path)
        _sidecar(path).write_text(text + "\n", encoding="utf-8")
        return _sidecar(path)
    frame.write_parquet(path, metadata={MANIFEST_KEY: text})
    return path


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def is_encoded_file(path: Path) -> bool:
    """True for a file written by :func:`write_encoded` (Parquet with a manifest, or a CSV with its
    manifest beside it or with encoded column names)."""
    path = Path(path)
    if not path.is_file():
        return False
    if _is_parquet(path):
        return True
    if _sidecar(path).is_file():
        return True
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        header = fh.readline().strip().split(",")
    return any(c.endswith("_bf") or c.startswith("bk_") for c in header)


def read_encoded(path: Path) -> EncodedFile:
    """Read an encoded file and its manifest; the record id becomes ``rid``.

    Raises:
        DataError: no manifest, or a manifest that is not linkready's.
    """
    path = Path(path)
    if _is_parquet(path):
        meta = pl.read_parquet_metadata(path)
        if MANIFEST_KEY not in meta:
            raise DataError(f"{path} is a Parquet file without a linkready encoding manifest; "
                            "encode it with `linkready encode`")
        manifest = json.loads(meta[MANIFEST_KEY])
        frame = pl.read_parquet(path)
    else:
        side = _sidecar(path)
        if not side.is_file():
            raise DataError(f"{path} looks encoded but its manifest {side.name} is missing; "
                            "the owner must send both files")
        manifest = json.loads(side.read_text(encoding="utf-8"))
        frame = pl.read_csv(path, infer_schema=False)
        frame = frame.with_columns(
            *(pl.col(c).str.decode("base64") for c in frame.columns if c.endswith("_bf")),
            *(pl.col(c).cast(pl.UInt64) for c in frame.columns if c.endswith("_tk") or c.startswith("bk_")),
        )
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"{path} has a manifest that is not a linkready encoding manifest; re-encode it")
    id_column = str(manifest.get("id_column") or frame.columns[0])
    if id_column not in frame.columns:
        raise DataError(f"{path}: the manifest names record id column {id_column!r}, which the file lacks")
    frame = frame.rename({id_column: "rid"}).with_columns(pl.col("rid").cast(pl.Utf8))
    return EncodedFile(frame, manifest, id_column)


def check_compatible(left: EncodedFile, right: EncodedFile) -> None:
    """Refuse two files encoded with different keys or settings (their filters would not compare).

    Raises:
        ConfigError: naming every difference at once.
    """
    problems = []
    if left.manifest.get("key_check") != right.manifest.get("key_check"):
        problems.append("they were encoded with different keys (key check values differ): both owners must use "
                        "the same key file")
    ls, rs = left.manifest.get("settings", {}), right.manifest.get("settings", {})
    assert isinstance(ls, dict) and isinstance(rs, dict)
    for name in MUST_AGREE:
        if ls.get(name) != rs.get(name):
            problems.append(f"{name} is {ls.get(name)!r} on the left and {rs.get(name)!r} on the right")
    if problems:
        raise ConfigError("the encoded files cannot be linked: " + "; ".join(problems)
                          + "; re-encode one of them with the other's key and settings")
