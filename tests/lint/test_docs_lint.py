"""docs/lint.md documents every lint rule with its severity, and every command-line option."""

from __future__ import annotations

import re

from registry.lint.catalog import all_rules
from registry.lint.cli import lint
from registry.rules import RULES as VALIDATION_RULES

from ..conftest import ROOT

DOC = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        match = re.fullmatch(r"`([a-z-]+)`", cells[0]) if line.startswith("|") else None
        if match:
            rows.setdefault(match.group(1), cells)
    return rows


def test_every_rule_is_in_the_rules_table_with_its_family_and_severity():
    rows = _rows()
    for rule in all_rules().values():
        assert rule.id in rows, f"{rule.id} is not documented in docs/lint.md"
        assert rows[rule.id][1:3] == [rule.family, rule.severity], rule.id


def test_lint_rule_ids_never_collide_with_the_validators():
    assert not set(all_rules()) & set(VALIDATION_RULES)


def test_every_option_is_documented():
    for param in lint.params:
        for flag in param.opts:
            if flag.startswith("--"):
                assert f"`{flag}" in DOC, flag
