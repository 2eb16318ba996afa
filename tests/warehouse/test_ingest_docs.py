"""docs/validation-rules.md is generated from the declarations and must not be stale."""

from __future__ import annotations

from warehouse.validation.docs import DOC_PATH, main, render
from warehouse.validation.problems import RULES


def test_rules_document_is_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/validation-rules.md is stale: run `python -m warehouse.validation.docs`"
    )
    assert main(["--check"]) == 0


def test_document_lists_every_rule_and_codelist() -> None:
    text = render()
    for rule_id in RULES:
        assert f"`{rule_id}`" in text
    assert "`RC9`" in text and "`18A`" in text  # 18A appears in the pre-2024-25 factor list only
