"""Every lint rule: the families registered (each rule module adds its rules to ``base.RULES``)."""

from __future__ import annotations

from .base import RULES, LintRule


def all_rules() -> dict[str, LintRule]:
    """Every lint rule, with the families imported (their import registers them)."""
    from . import families  # noqa: F401

    return RULES
