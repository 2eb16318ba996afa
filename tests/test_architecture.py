"""The layering in STYLE.md, checked from the imports alone.

warehouse depends on nobody; synthetic_data, linkage, synthesis and evaluation depend on warehouse
only; dashboard may use all of those; the CLI (linkready) sits on top and nothing imports it.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("warehouse", "synthetic_data", "linkage", "synthesis", "evaluation", "dashboard", "linkready")
ALLOWED: dict[str, set[str]] = {
    "warehouse": set(),
    "synthetic_data": {"warehouse"},
    "linkage": {"warehouse"},
    "synthesis": {"warehouse"},
    "evaluation": {"warehouse"},
    "dashboard": {"warehouse", "linkage", "synthesis", "evaluation"},
    "linkready": set(PACKAGES) - {"linkready"},
}


def _project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(n.split(".")[0] for n in names if n.split(".")[0] in PACKAGES)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_respect_layers(package: str) -> None:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for imported in _project_imports(path) - {package} - ALLOWED[package]:
            bad.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not bad, "layering broken:\n" + "\n".join(bad)


def test_no_utils_or_helpers_modules() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if p.stem in {"utils", "helpers", "misc"}
    ]
    assert not offenders


def test_layering_check_catches_a_violation(tmp_path: Path) -> None:
    # The checker itself must see a forbidden import (guards against a test that cannot fail).
    f = tmp_path / "m.py"
    f.write_text("from linkage import blocking\nimport os\n")
    assert _project_imports(f) == {"linkage"}


def _cli_imports_outside_public_api() -> list[str]:
    """`from pkg.sub import x` or names outside `pkg.__all__` in the CLI (it uses public names only)."""
    import importlib

    lower = set(PACKAGES) - {"linkready"}
    bad = []
    for path in sorted((ROOT / "linkready").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top = node.module.split(".")[0]
                if top not in lower:
                    continue
                if node.module != top:
                    bad.append(f"{path.name}:{node.lineno}: from {node.module} import ...")
                    continue
                public = getattr(importlib.import_module(top), "__all__", ())
                bad += [f"{path.name}:{node.lineno}: {a.name} is not in {top}.__all__"
                        for a in node.names if a.name not in public]
            elif isinstance(node, ast.Import):
                bad += [f"{path.name}:{node.lineno}: import {a.name}" for a in node.names
                        if a.name.split(".")[0] in lower and "." in a.name]
    return bad


def test_cli_uses_each_package_public_names_only() -> None:
    bad = _cli_imports_outside_public_api()
    assert not bad, "the CLI imports private names; export them in the package's __all__:\n" + "\n".join(bad)


# ------------------------------------------------------------------ stage-sized functions
MAX_BODY_LINES = 60
#: A function may run longer when a comment line starting with this marker, inside it, says why.
LONG_MARKER = "# long:"
#: Long functions in modules this change could not edit, by "path:function" -> owner's note.
#: TODO(issue 12): empty today; a file owned by someone else that grows a long function goes here with
#: its owner named, until they split it or add a ``# long:`` comment.
LONG_ALLOWED: dict[str, str] = {}


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end (decorators, signature and docstring excluded)."""
    body = node.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return (node.end_lineno or node.lineno) - body[0].lineno + 1


def _long_functions(path: Path, text: str) -> list[str]:
    lines = text.splitlines()
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    out = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        n = _body_lines(node)
        inside = lines[node.lineno - 1:node.end_lineno]
        if n > MAX_BODY_LINES and not any(line.strip().startswith(LONG_MARKER) for line in inside):
            out.append(f"{rel}:{node.name} ({n} lines)")
    return out


def test_no_function_body_over_60_lines_without_a_reason() -> None:
    found = [f for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
             for f in _long_functions(p, p.read_text(encoding="utf-8"))
             if f.split(" (")[0] not in LONG_ALLOWED]
    assert not found, (f"functions over {MAX_BODY_LINES} lines (decorators and docstring excluded): split them "
                       f"into stages, or say why in a comment starting {LONG_MARKER!r}:\n" + "\n".join(found))


def test_the_length_check_sees_a_long_function(tmp_path: Path) -> None:
    # 61 statements fail; the same with a "# long:" comment, or 60 statements after a long docstring, pass.
    f = tmp_path / "m.py"
    body = "".join(f"    x{i} = {i}\n" for i in range(61))
    assert _long_functions(f, "@decorator\ndef f():\n" + body) == ["m.py:f (61 lines)"]
    assert not _long_functions(f, "def f():\n    # long: one literal table, read top to bottom\n" + body)
    doc = '    """' + "\n" * 30 + '    """\n'
    assert not _long_functions(f, "def f():\n" + doc + body[: body.index("    x60")])


# ------------------------------------------------------------------ INSERTs name their columns
#: ``INSERT INTO t VALUES`` / ``INSERT INTO t SELECT`` with no column list (an f-string's fields read as {}).
_POSITIONAL_INSERT = re.compile(r"INSERT\s+(?:OR\s+\w+\s+)?INTO\s+[\w.\"{}]+\s+(?:VALUES|SELECT|FROM|BY\s+POSITION)\b",
                                re.IGNORECASE)
#: TODO(issue 12): positional INSERTs in modules owned by other engineers; remove each when its columns are named.
POSITIONAL_ALLOWED: dict[str, str] = {}


def _sql_strings(text: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal and f-string (fields as ``{}``), docstrings included."""
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            out.append((node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)))
    return out


def _positional_inserts(path: Path, text: str) -> list[str]:
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    return [f"{rel}:{line}: {s.strip()[:90]}" for line, s in _sql_strings(text) if _POSITIONAL_INSERT.search(s)]


def test_inserts_name_their_columns() -> None:
    found = [hit for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
             if p.relative_to(ROOT).as_posix() not in POSITIONAL_ALLOWED
             for hit in _positional_inserts(p, p.read_text(encoding="utf-8"))]
    assert not found, "INSERTs without a column list (STYLE.md: INSERTs name their columns):\n" + "\n".join(found)


def test_allowed_positional_inserts_are_still_there() -> None:
    # an entry whose INSERT has been fixed leaves the list, so the list cannot hide a new one
    fixed = [path for path in sorted(POSITIONAL_ALLOWED)
             if not _positional_inserts(ROOT / path, (ROOT / path).read_text(encoding="utf-8"))]
    assert not fixed, f"drop {fixed} from POSITIONAL_ALLOWED"


@pytest.mark.parametrize(("sql", "positional"), [
    ("INSERT INTO schema_version VALUES (?, ?, ?)", True),
    ("INSERT OR REPLACE INTO sites VALUES (?, ?, ?, ?)", True),
    ("INSERT INTO linkage_labels SELECT * FROM x", True),
    ("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)", False),
    ("INSERT INTO children (person_key, source) SELECT person_key, 'la' FROM _ld_frame", False),
])
def test_the_insert_check_sees_a_positional_insert(tmp_path: Path, sql: str, positional: bool) -> None:
    f = tmp_path / "m.py"
    text = f"con.execute({sql!r})\n"
    assert bool(_positional_inserts(f, text)) is positional


@pytest.mark.parametrize("package", ["warehouse", "synthetic_data", "dashboard"])
def test_every_public_name_resolves_and_lazy_ones_are_public(package: str) -> None:
    module = importlib.import_module(package)
    lazy = getattr(module, "_LAZY", {})
    assert set(lazy) <= set(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    with pytest.raises(AttributeError):
        _ = module.no_such_name


def test_the_cli_starts_without_loading_the_loader_or_the_generator() -> None:
    # every `linkready` process imports every command module: heavy packages load when a command runs
    code = ("import sys, linkready.cli; heavy = [m for m in ('warehouse.loading', 'warehouse.validation.checks', "
            "'synthetic_data.world', 'synthetic_data.fidelity', 'dash', 'recordlinkage') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", out.stdout
