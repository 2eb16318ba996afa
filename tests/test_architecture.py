"""The layering in STYLE.md, checked from the imports alone.

warehouse depends on nobody; synthetic_data, linkage, synthesis and evaluation depend on warehouse
only; dashboard may use all of those; the CLI (linkready) sits on top and nothing imports it.
"""

from __future__ import annotations

import ast
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
