"""Test-side readers of a drop (independent of the generator's own tables)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from xml.etree import ElementTree as ET

from lxml import etree

from warehouse.adapters import get_adapter


def read_csv(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return rows[0], rows[1:]


def read_dicts(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> list[dict[str, str]]:
    header, rows = read_csv(path, encoding, delimiter)
    return [dict(zip(header, r, strict=False)) for r in rows]


def read_site_people(root: Path, site_id: str) -> list[dict[str, str]]:
    lay = get_adapter(site_id).people
    return read_dicts(root / "sites" / site_id / lay.filename, lay.encoding, lay.delimiter)


def read_site_outcomes(root: Path, site_id: str, measure: str) -> tuple[list[str], list[list[str]]]:
    a = get_adapter(site_id)
    return read_csv(root / "sites" / site_id / a.outcomes.filename(measure), a.people.encoding, a.people.delimiter)


def cin_children(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot().find("Children"))  # type: ignore[arg-type]


XSD_2024 = Path("/work/shared/reference/schemas/cin-census-2024.xsd")


def cin_schema(census_year: int) -> etree.XMLSchema:
    """The CIN census XSD for a year: the 2024 one, with the 2024-25 change (``Sex`` M/F/U in place
    of ``GenderCurrent`` 1/2/0) from census year 2025."""
    text = XSD_2024.read_text(encoding="utf-8")
    if census_year < 2025:
        return etree.XMLSchema(etree.fromstring(text.encode("utf-8")))
    old = '<xs:element name="GenderCurrent" type="gendertype" minOccurs="1" maxOccurs="1"/>'
    assert old in text
    sex = ('<xs:simpleType name="sextype"><xs:restriction base="xs:string"><xs:enumeration value="M"/>'
           '<xs:enumeration value="F"/><xs:enumeration value="U"/></xs:restriction></xs:simpleType>')
    text = text.replace(old, '<xs:element name="Sex" type="sextype" minOccurs="1" maxOccurs="1"/>')
    text = text.replace('<xs:simpleType name="gendertype">', sex + '<xs:simpleType name="gendertype">', 1)
    return etree.XMLSchema(etree.fromstring(text.encode("utf-8")))
