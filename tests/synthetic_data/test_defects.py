"""``--dirty``: every listed defect is really in the file, at that row and field, and only one per row."""

from __future__ import annotations

import re
from datetime import date, datetime

from tests.synthetic_data.readers import cin_children, read_csv, read_dicts
from warehouse.adapters import get_adapter
from warehouse.identifiers import VALID_UPN_LA_CODES, nhs_number_is_valid, upn_is_valid
from warehouse.measures import get_measure

EXTRACT = date(2025, 3, 31)
KINDS = {"invalid_code", "missing_required", "bad_check_digit", "impossible_date", "future_date", "duplicate_row",
         "shifted_columns", "out_of_range"}
ETHNICITY = {"WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH",
             "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT"}


def _layout(root, path: str):
    """(header, rows, date format, adapter or None) for a CSV file of the drop."""
    parts = path.split("/")
    if parts[0] == "sites":
        a = get_adapter(parts[1])
        header, rows = read_csv(root / path, a.people.encoding, a.people.delimiter)
        return header, rows, a.people.date_format, a
    header, rows = read_csv(root / path)
    return header, rows, "%d/%m/%Y" if "ssda903" in path else "%Y-%m-%d", None


def _parse(value: str, fmt: str) -> date:
    return datetime.strptime(value, fmt).date()


def test_defects_file_shape(dirty_drop) -> None:
    root, manifest = dirty_drop
    header, rows = read_csv(root / "truth" / "defects.csv")
    assert header == ["file", "row", "field", "kind"]
    assert len(rows) == manifest["counts"]["defects"] > 30
    assert {r[3] for r in rows} <= KINDS
    assert len({r[3] for r in rows}) == len(KINDS)  # every kind is exercised at this size
    keys = [(r[0], int(r[1])) for r in rows]
    assert len(keys) == len(set(keys))  # one defect per row
    assert any(f["kind"] == "truth_defects" for f in manifest["files"])
    for r in rows:
        assert not r[0].startswith("truth/") and (root / r[0]).is_file()


def test_every_listed_defect_is_present(dirty_drop) -> None:
    root, _ = dirty_drop
    defects = read_dicts(root / "truth" / "defects.csv")
    cache: dict[str, tuple] = {}
    for d in defects:
        path, row, field, kind = d["file"], int(d["row"]), d["field"], d["kind"]
        if path.endswith(".xml"):
            child = cin_children(root / path)[row - 1]
            if kind == "missing_required":
                assert any(d.find(field) is None for d in child.iter("CINdetails"))
            elif kind == "invalid_code":
                assert child.findtext(f".//{field}") not in ETHNICITY
            else:
                assert kind == "bad_check_digit"
                assert not upn_is_valid(child.findtext(f".//{field}"))
            continue
        if path not in cache:
            cache[path] = _layout(root, path)
        header, rows, fmt, adapter = cache[path]
        values = rows[row - 1]
        if kind == "duplicate_row":
            assert field == "" and values == rows[row - 2]
            continue
        if kind == "shifted_columns":
            assert field == "" and len(values) == len(header) - 1
            continue
        v = values[header.index(field)]
        if kind == "missing_required":
            assert v == ""
        elif kind == "bad_check_digit":
            assert v and not (nhs_number_is_valid(v) or upn_is_valid(v, VALID_UPN_LA_CODES))
        elif kind == "future_date":
            assert _parse(v, fmt) > EXTRACT
        elif kind == "impossible_date":
            start_col = "DECOM" if field == "DEC" else adapter.people.columns["referral_date"]
            assert _parse(v, fmt) < _parse(values[header.index(start_col)], fmt)
        elif kind == "out_of_range":
            measure = re.sub(r"^outcomes_|\.csv$", "", path.split("/")[-1])
            assert int(v) not in get_measure(measure).item_values
        else:
            assert kind == "invalid_code"
            if adapter is not None and field == adapter.outcomes.timepoint_column:
                assert v not in adapter.outcomes.timepoint_labels
            elif adapter is not None:
                canon = {k: c for k, c in adapter.people.columns.items()}
                allowed = set(adapter.people.value_maps.get("sex", {})) or {"M", "F", "U"}
                assert field == canon["sex"] and v not in allowed
            else:
                assert v not in ETHNICITY | {"M", "F", "U", "C1", "C2", "V2", "E1"}


def test_unlisted_rows_stay_clean(dirty_drop) -> None:
    root, _ = dirty_drop
    listed = {(d["file"], int(d["row"])) for d in read_dicts(root / "truth" / "defects.csv")}
    for la_dir in sorted((root / "la").iterdir()):
        path = f"la/{la_dir.name}/identifiers.csv"
        header, rows = read_csv(root / path)
        col = {c: i for i, c in enumerate(header)}
        for i, r in enumerate(rows, start=1):
            if (path, i) in listed:
                continue
            assert r[col["Sex"]] in {"M", "F", "U"} and r[col["Ethnicity"]] in ETHNICITY
            assert not r[col["NHSNumber"]] or nhs_number_is_valid(r[col["NHSNumber"]])
            assert not r[col["UPN"]] or upn_is_valid(r[col["UPN"]], {la_dir.name})
            assert not r[col["PersonBirthDate"]] or date.fromisoformat(r[col["PersonBirthDate"]]) <= EXTRACT
            assert i == 1 or r != rows[i - 2]
