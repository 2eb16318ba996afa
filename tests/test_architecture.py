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
