"""Theory of change as data: template / JSON round trips, versions, errors, Mermaid and DOT that parse."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pydot
import pytest

from synthesis.toc import (
    diagram_elements,
    dot,
    export_toc,
    import_toc,
    mermaid,
    read_toc,
    render_toc,
    write_toc,
)
from synthetic_data.toc import build_tocs, write_tocs
from warehouse.errors import DataError
from warehouse.store import Store
from warehouse.toc import NODE_KINDS, TheoryOfChange, TocLink, TocNode, load_toc, toc_versions

# pydot 4 still calls pyparsing's camelCase names, which pyparsing 3.3 reports as deprecated
pytestmark = pytest.mark.filterwarnings("ignore:'\\w+' deprecated:DeprecationWarning")

# A note-taker's template as Excel saves it: BOM, CRLF, quotes, commas, a line break inside a cell,
# an emoji, and labels that look like formulas (stored exactly, written inert).
TEMPLATE_ROWS = [
    ["record", "id", "kind", "label", "description", "from", "to", "assumption", "target", "reference", "strength",
     "note"],
    ["title", "", "", "LEAP, as the workshop drew it", "", "", "", "", "", "", "", ""],
    ["node", "N1", "need", "Parents at risk \"before\" separation", "Line one\nline two 👍", "", "", "", "", "",
     "", ""],
    ["node", "A1", "activity", "=1+1 caseworker visits", "", "", "", "", "", "", "", ""],
    ["node", "O1", "short_term_outcome", "Parents are safer", "", "", "", "", "", "", "", ""],
    ["node", "O2", "long_term_outcome", "-Better environment, for the child", "", "", "", "", "", "", "", ""],
    ["link", "L1", "", "", "", "N1", "A1", "Parents take up the offer", "", "", "", ""],
    ["link", "L2", "", "", "", "A1", "O1", "@risk falls as trust grows", "", "", "", ""],
    ["link", "L3", "", "", "", "O1", "O2", "", "", "", "", ""],
    ["evidence", "E1", "desk_research", "", "", "", "", "", "L2", "Review of casework models (2021)", "moderate",
     "small samples"],
    ["source", "", "measure", "", "", "", "", "", "O1", "dash", "", ""],
    ["source", "", "site_data_item", "", "", "", "", "", "O1", "police_notification", "", "from the police"],
    ["source", "", "csc_outcome", "", "", "", "", "", "O2", "cp_plan", "", ""],
]


def _template(path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(TEMPLATE_ROWS)
    return path


def test_template_round_trip_is_exact(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    toc, created = import_toc(_template(tmp_path / "leap.csv"), store, "leap")
    assert created and toc.version == 1
    with store.reader() as con:
        stored = load_toc(con, "leap")
    assert stored.node("A1").label == "=1+1 caseworker visits"           # stored as text, exactly
    assert stored.node("N1").description == "Line one\nline two 👍"
    # warehouse -> template -> warehouse -> template: identical model and identical bytes
    first = Path(export_toc(store, "leap", "csv", tmp_path / "first.csv"))
    again = Store(tmp_path / "again.duckdb")
    import_toc(first, again, "leap")
    second = Path(export_toc(again, "leap", "csv", tmp_path / "second.csv"))
    assert first.read_bytes() == second.read_bytes()
    with again.reader() as con:
        assert load_toc(con, "leap") == stored
    # every cell the note-taker wrote comes back (formula-looking ones behind a neutralising quote)
    with first.open(encoding="utf-8", newline="") as fh:
        exported = list(csv.reader(fh))
    assert exported[0] == TEMPLATE_ROWS[0]
    expected = [[("'" + c if c and c[0] in "=-@" else c) for c in row] for row in TEMPLATE_ROWS[1:]]
    assert exported[1:] == expected


def test_json_round_trip_is_exact_for_every_synthetic_toc(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    for path in write_tocs(tmp_path / "tocs", seed=11):
        site = path.name.split("_")[0]
        import_toc(path, store, site)
        assert export_toc(store, site, "json") == path.read_text(encoding="utf-8")


def test_xlsx_round_trip_keeps_text_cells_text(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    original, _ = import_toc(_template(tmp_path / "leap.csv"), store, "leap")
    book = write_toc(original, "xlsx", tmp_path / "leap.xlsx")
    ws = openpyxl.load_workbook(book)["theory_of_change"]
    formula_cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value and c.value[0] in "=-@"]
    assert formula_cells and all(c.data_type == "s" and c.quotePrefix for c in formula_cells)
    assert read_toc(book, "leap") == original


def test_template_written_the_way_people_write_it_is_understood(tmp_path: Path) -> None:
    # kinds as labels in any case, spaces around codes, a measure by its display name, strength in capitals
    rows = [TEMPLATE_ROWS[0],
            [" Title ", "", "", "  LEAP  ", "", "", "", "", "", "", "", ""],
            ["Node", " A1 ", "Activity", "Casework", "", "", "", "", "", "", "", ""],
            ["node", "O1", "Short-term outcome", "Parents are safer", "", "", "", "", "", "", "", ""],
            ["LINK", "L1", "", "", "", "A1 ", " O1", "Trust", "", "", "", ""],
            ["evidence", "E1", "Desk research", "", "", "", "", "", "L1", "Review (2021)", "Moderate", ""],
            ["source", "", "Standardised measure", "", "", "", "", "", "O1", "CORE-10", "", ""]]
    path = tmp_path / "people.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    toc = read_toc(path, "leap")
    assert toc.title == "  LEAP  "                                   # free text kept exactly
    assert [(n.node_id, n.kind) for n in toc.nodes] == [("A1", "activity"), ("O1", "short_term_outcome")]
    assert (toc.links[0].from_id, toc.links[0].to_id) == ("A1", "O1")
    assert (toc.evidence[0].kind, toc.evidence[0].strength) == ("desk_research", "moderate")
    assert (toc.sources[0].kind, toc.sources[0].reference) == ("measure", "core10")


def test_versions_accumulate_only_when_the_model_changes(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    path = _template(tmp_path / "leap.csv")
    import_toc(path, store, "leap")
    _, created = import_toc(path, store, "leap")
    assert not created
    changed = tmp_path / "leap2.csv"
    changed.write_text(path.read_text(encoding="utf-8-sig").replace("Parents are safer", "Parents feel safer"),
                       encoding="utf-8")
    toc, created = import_toc(changed, store, "leap")
    assert created and toc.version == 2
    with store.reader() as con:
        assert [v for _, v, _, _ in toc_versions(con, "leap")] == [1, 2]
        assert load_toc(con, "leap", 1).node("O1").label == "Parents are safer"
    assert "Parents are safer" in export_toc(store, "leap", "csv", version=1)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    rows = [TEMPLATE_ROWS[0],
            ["node", "A1", "activty", "Visits", "", "", "", "", "", "", "", ""],
            ["node", "A1", "mechanism", "Twice", "", "", "", "", "", "", "", ""],
            ["link", "L1", "", "", "", "A1", "ZZ", "", "", "", "", ""],
            ["source", "", "measure", "", "", "", "", "", "A1", "phq-99", "", ""],
            ["evidence", "E1", "desk_research", "", "", "", "", "", "L1", "A study", "", ""],
            ["widget", "", "", "", "", "", "", "", "", "", "", ""]]
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    store = Store(tmp_path / "w.duckdb")
    with pytest.raises(DataError) as info:
        import_toc(path, store, "leap")
    msg = str(info.value)
    for part in ("row 7, column 'record'", "no title row", "'activty' is not allowed", "did you mean 'activity'",
                 "node id 'A1' is used twice", "to 'ZZ' is not a node id", "'A1' is not an outcome node",
                 "unknown outcome measure 'phq-99'", "evidence E1: strength None is not allowed"):
        assert part in msg, part
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM toc_model").fetchone() == (0,)


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _without(columns: set[str]) -> list[list[str]]:
    keep = [i for i, c in enumerate(TEMPLATE_ROWS[0]) if c not in columns]
    return [[row[i] for i in keep] for row in TEMPLATE_ROWS]


def test_a_header_missing_columns_is_refused_once_naming_them(tmp_path: Path) -> None:
    # a required column (kind) and an optional one (assumption): one message for the header, not one per row
    with pytest.raises(DataError) as info:
        read_toc(_write(tmp_path / "two.csv", _without({"kind", "assumption"})), "leap")
    msg = str(info.value)
    assert "the template's header lacks: kind, assumption (required: kind)" in msg
    assert msg.count("lacks") == 1 and "row " not in msg and "linkready toc export --format csv" in msg
    # an optional column alone is refused too: the links' assumptions would vanish without a word
    with pytest.raises(DataError, match=r"header lacks: assumption;"):
        read_toc(_write(tmp_path / "one.csv", _without({"assumption"})), "leap")
    # unknown and repeated columns are named in the same message, with a did-you-mean
    header = ["record", "id", "kind", "label", "description", "from", "to", "asumption", "target", "reference",
              "strength", "note", "note"]
    with pytest.raises(DataError) as info:
        read_toc(_write(tmp_path / "typo.csv", [header]), "leap")
    msg = str(info.value)
    assert "lacks: assumption" in msg and "'asumption' (did you mean 'assumption'?)" in msg
    assert "given twice: note" in msg
    # the same for a workbook
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "theory_of_change"
    for row in _without({"strength"}):
        ws.append(row)
    book.save(tmp_path / "no_strength.xlsx")
    with pytest.raises(DataError, match="header lacks: strength;"):
        read_toc(tmp_path / "no_strength.xlsx", "leap")


def test_row_messages_use_the_right_article(tmp_path: Path) -> None:
    rows = [TEMPLATE_ROWS[0], TEMPLATE_ROWS[1], ["evidence", "E1", "", "", "", "", "", "", "", "", "", ""],
            ["node", "", "need", "A need", "", "", "", "", "", "", "", ""]]
    with pytest.raises(DataError) as info:
        read_toc(_write(tmp_path / "bad.csv", rows), "leap")
    msg = str(info.value)
    assert "row 3: an evidence row needs target, kind, reference" in msg and "row 4: a node row needs id" in msg
    assert "a evidence" not in msg


def _toc_json(tmp_path: Path, edit: dict[str, object], name: str = "leap.json") -> Path:
    data = json.loads(write_tocs(tmp_path / "tocs", seed=2)[2].read_text(encoding="utf-8"))   # leap
    for key, value in edit.items():
        target, _, field = key.partition(".")
        if field:
            items, index = target.split("[")
            data[items][int(index.rstrip("]"))][field] = value
        else:
            data[target] = value
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def test_json_problems_name_their_json_path_and_unknown_keys_are_refused(tmp_path: Path) -> None:
    path = _toc_json(tmp_path, {"nodes[0].kind": None, "sources[1].outcome": ""})
    with pytest.raises(DataError) as info:
        read_toc(path, None)
    msg = str(info.value)
    assert "nodes[0]: a node needs 'kind'" in msg and "sources[1]: a source needs 'outcome'" in msg
    assert "row " not in msg
    # a misspelt key would otherwise be dropped: refused with a did-you-mean, every one at once
    path = _toc_json(tmp_path, {"links[0].asumption": "x", "titel": "LEAP", "nodes": [{"id": "N1", "kind": "need",
                                                                                         "label": "x", "desc": "y"}]})
    with pytest.raises(DataError) as info:
        read_toc(path, None)
    msg = str(info.value)
    assert "unknown key 'titel' (did you mean 'title'?)" in msg
    assert "links[0]: unknown key 'asumption' (did you mean 'assumption'?)" in msg
    assert "nodes[0]: unknown key 'desc'" in msg and "nothing imported" in msg
    with pytest.raises(DataError, match=r"nodes\[1\] is not an object"):
        read_toc(_toc_json(tmp_path, {"nodes": [{"id": "N1", "kind": "need", "label": "x"}, "N2"]}), None)


def test_text_starting_with_an_apostrophe_survives_csv_and_empty_json_text_stays_empty(tmp_path: Path) -> None:
    # "'=SUM(A1)" really starts with an apostrophe; "'tis" too; "=1+1" only looks like a formula
    path = _toc_json(tmp_path, {"nodes[0].label": "'=SUM(A1) of needs", "nodes[1].label": "'tis the parents",
                                "nodes[2].label": "=1+1 visits", "nodes[3].label": "''double",
                                "nodes[0].description": "", "links[0].label": ""})
    store = Store(tmp_path / "w.duckdb")
    original, _ = import_toc(path, store, "leap")
    assert [n.label for n in original.nodes[:4]] == ["'=SUM(A1) of needs", "'tis the parents", "=1+1 visits",
                                                     "''double"]
    assert original.nodes[0].description == "" and original.links[0].label == ""     # "" is not null
    assert export_toc(store, "leap", "json") == path.read_text(encoding="utf-8")         # byte-exact
    csv_text = export_toc(store, "leap", "csv")
    assert "''=SUM(A1) of needs" in csv_text and "''tis the parents" in csv_text and "'=1+1 visits" in csv_text
    (tmp_path / "leap.csv").write_text(csv_text, encoding="utf-8")
    again = read_toc(tmp_path / "leap.csv", "leap")
    assert [n.label for n in again.nodes[:4]] == [n.label for n in original.nodes[:4]]
    # a note-taker's own neutralising quote is still taken off; an apostrophe before plain text is kept
    rows = [TEMPLATE_ROWS[0], TEMPLATE_ROWS[1],
            ["node", "N1", "need", "'=typed by hand", "'tis typed", "", "", "", "", "", "", ""]]
    typed = read_toc(_write(tmp_path / "typed.csv", rows), "leap")
    assert (typed.nodes[0].label, typed.nodes[0].description) == ("=typed by hand", "'tis typed")


def test_warehouse_checks_data_items_segments_and_identifiers(tmp_path: Path) -> None:
    rows = [*TEMPLATE_ROWS[:6],
            ["evidence", "E2", "coded_segment", "", "", "", "", "", "O1", "AAAAAAAA-0000-4000-8000-000000000001", "",
             ""],
            ["source", "", "site_data_item", "", "", "", "", "", "O1", "nhs_numbr", "", ""],
            ["node", "O3", "short_term_outcome", "Call 07700 900123 for help", "", "", "", "", "", "", "", ""]]
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(DataError) as info:
        import_toc(path, Store(tmp_path / "w.duckdb"), "leap")
    msg = str(info.value)
    assert "did you mean 'nhs_number'" in msg and "import the .qdpx project first" in msg
    assert "node O3 holds identifiers (phone" in msg and "07700" not in msg


def test_json_of_another_site_is_refused_and_names_its_own(tmp_path: Path) -> None:
    path = write_tocs(tmp_path, seed=1)[0]          # fbs
    with pytest.raises(DataError, match="site 'fbs', not 'sat'"):
        read_toc(path, "sat")
    assert read_toc(path, None).site_id == "fbs"     # the demo imports the files without a site
    with pytest.raises(DataError, match="a template does not name its site"):
        read_toc(_template(tmp_path / "leap.csv"), None)


# ---------------------------------------------------------------- diagrams

_TRICKY = TheoryOfChange("sat", 'Title with "quotes" # and <b>tags</b>', (
    TocNode("end", "activity", 'Label "quoted" #1 <tag> & more'),
    TocNode("graph 2", "short_term_outcome", "Back\\slash and\nnewline 👍"),
), (TocLink("L1", "end", "graph 2", 'assumes "x" | y -> z'),))


@pytest.mark.parametrize("toc", [*build_tocs(3).values(), _TRICKY], ids=lambda t: t.site_id)
def test_dot_parses_with_graphviz_grammar(toc: TheoryOfChange) -> None:
    graphs = pydot.graph_from_dot_data(dot(toc))
    assert graphs is not None and len(graphs) == 1
    g = graphs[0]
    nodes = {n.get_name(): n for sg in g.get_subgraphs() for n in sg.get_nodes()}
    assert len(nodes) == len(toc.nodes)
    labels = sorted(_dot_unescape(n.get("label")) for n in nodes.values())
    assert labels == sorted(n.label for n in toc.nodes)
    assert len(g.get_edges()) == len(toc.links)
    assert sorted(_dot_unescape(e.get("label")) for e in g.get_edges() if e.get("label")) == \
        sorted(lk.assumption or "" for lk in toc.links if lk.assumption)


def _dot_unescape(quoted: str) -> str:
    body = quoted[1:-1]
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), body)


# The Mermaid flowchart grammar for the statements this writer emits (mermaid's flow.jison):
_MERMAID = {
    "header": re.compile(r"^flowchart (LR|RL|TB|TD|BT)$"),
    "comment": re.compile(r"^%%[^\n]*$"),
    "subgraph": re.compile(r'^subgraph [A-Za-z][A-Za-z0-9_]*\["[^"]*"\]$'),
    "end": re.compile(r"^end$"),
    "node": re.compile(r'^([A-Za-z][A-Za-z0-9_]*)\["([^"]*)"\](?::::[A-Za-z][A-Za-z0-9_]*)?$'),
    "edge": re.compile(r'^([A-Za-z][A-Za-z0-9_]*) -->(?:\|"([^"]*)"\|)? ([A-Za-z][A-Za-z0-9_]*)$'),
    "classDef": re.compile(r"^classDef [A-Za-z][A-Za-z0-9_]* fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6}$"),
}
_RESERVED = {"end", "graph", "subgraph", "flowchart", "style", "classDef", "class", "click", "linkStyle"}


def _mermaid_unescape(text: str) -> str:
    return (text.replace("<br/>", "\n").replace("#quot;", '"').replace("#lt;", "<").replace("#gt;", ">")
            .replace("#35;", "#"))


@pytest.mark.parametrize("toc", [*build_tocs(3).values(), _TRICKY], ids=lambda t: t.site_id)
def test_mermaid_statements_follow_the_flowchart_grammar(toc: TheoryOfChange) -> None:
    lines = [ln.strip() for ln in mermaid(toc).splitlines() if ln.strip()]
    assert _MERMAID["header"].match(lines[0])
    depth, labels, edges, defined = 0, [], [], set()
    for ln in lines[1:]:
        kind = next((k for k, p in _MERMAID.items() if p.match(ln)), None)
        assert kind not in (None, "header"), f"not a flowchart statement: {ln!r}"
        if kind == "subgraph":
            depth += 1
        elif kind == "end":
            depth -= 1
            assert depth >= 0
        elif kind == "node":
            m = _MERMAID["node"].match(ln)
            assert m and m.group(1) not in _RESERVED
            defined.add(m.group(1))
            labels.append(_mermaid_unescape(m.group(2)))
        elif kind == "edge":
            m = _MERMAID["edge"].match(ln)
            assert m and {m.group(1), m.group(3)} <= defined
            edges.append(_mermaid_unescape(m.group(2) or ""))
    assert depth == 0
    assert sorted(labels) == sorted(n.label for n in toc.nodes)
    assert sorted(edges) == sorted(lk.assumption or lk.label or "" for lk in toc.links)


def test_diagrams_group_nodes_by_kind_in_diagram_order() -> None:
    toc = build_tocs(3)["fbs"]
    text = mermaid(toc)
    shown = [k.label for k in NODE_KINDS.values() if any(n.kind == k.name for n in toc.nodes)]
    positions = [text.index(f'["{label}"]') for label in shown]
    assert positions == sorted(positions)
    assert render_toc(toc, "dot").count("subgraph cluster_") == len(shown)


def test_diagram_elements_for_a_browser_graph() -> None:
    toc = build_tocs(3)["sat"]
    elements = diagram_elements(toc, {"S1": 0, "O2": 2})
    nodes = [e["data"] for e in elements if "source" not in e["data"]]
    edges = [e["data"] for e in elements if "source" in e["data"]]
    assert [n["id"] for n in nodes] == [n.node_id for n in toc.nodes]
    assert {n["id"]: n["level"] for n in nodes if n["level"] is not None} == {"S1": 0, "O2": 2}
    assert all(e["source"] in {n["id"] for n in nodes} and e["label"] for e in edges)
    assert len(edges) == len(toc.links)
    columns = {n["kind"]: n["column"] for n in nodes}
    assert columns["need"] < columns["activity"] < columns["short_term_outcome"] < columns["long_term_outcome"]


def test_json_file_is_the_documented_shape(tmp_path: Path) -> None:
    data = json.loads(write_tocs(tmp_path, seed=2)[2].read_text(encoding="utf-8"))
    assert data["format"] == "linkready theory of change" and data["site_id"] == "leap"
    assert set(data) == {"format", "format_version", "site_id", "title", "nodes", "links", "evidence", "sources"}
    assert set(data["sources"][0]) == {"outcome", "kind", "reference", "note"}
