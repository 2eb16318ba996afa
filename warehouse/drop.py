"""The extract-drop layout shared by the generator (writer) and the loader (reader).

See ``docs/extract-drop.md``. Paths are relative to the drop directory::

    manifest.json
    la/<la_code>/cin_census.xml          Children in Need census XML (2024-25 structure, Sex M/F/U)
    la/<la_code>/ssda903/header.csv      SSDA903 header table (CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB)
    la/<la_code>/ssda903/episodes.csv    SSDA903 episodes table (CHILD, DECOM, RNE, LS, CIN, PLACE, ...)
    la/<la_code>/identifiers.csv         identifier extract from the case system
    sites/<site_id>/<people file>        service records in the site's own layout (warehouse.adapters)
    sites/<site_id>/outcomes_<measure>.csv
    truth/links.csv                      site_id,site_record_id,la_code,la_child_id (synthetic only)
    truth/defects.csv                    file,row,field,kind (only when generated with --dirty)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.errors import DataError

MANIFEST = "manifest.json"
CIN_CENSUS = "cin_census.xml"
SSDA903_HEADER = "ssda903/header.csv"
SSDA903_EPISODES = "ssda903/episodes.csv"
LA_IDENTIFIERS = "identifiers.csv"
TRUTH_LINKS = "truth/links.csv"
TRUTH_DEFECTS = "truth/defects.csv"

# Identifier extract columns, in order (ISO dates, UTF-8).
LA_IDENTIFIER_COLUMNS: tuple[str, ...] = (
    "LAchildID", "Forename", "Surname", "PersonBirthDate", "ExpectedPersonBirthDate", "Sex", "Postcode",
    "NHSNumber", "UPN", "FormerUPN", "Ethnicity",
)
TRUTH_LINK_COLUMNS: tuple[str, ...] = ("site_id", "site_record_id", "la_code", "la_child_id")
DEFECT_COLUMNS: tuple[str, ...] = ("file", "row", "field", "kind")


def la_dir(root: Path, la_code: str) -> Path:
    return root / "la" / la_code


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class ManifestFile:
    path: str
    sha256: str
    kind: str
    rows: int


def read_manifest(root: Path) -> dict[str, Any]:
    """Read ``manifest.json`` or raise :class:`DataError` saying what is wrong."""
    path = root / MANIFEST
    if not path.exists():
        raise DataError(f"{path}: no manifest.json; is {root} an extract drop? (write one with `linkready synth --out DIR`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc.__class__.__name__} at {getattr(exc, 'pos', '?')})") from None
    if not isinstance(data, dict) or "files" not in data:
        raise DataError(f"{path}: manifest has no 'files' list")
    return data
