"""The quality linter: is a valid standard also a good one? (``registry lint``, ``POST /api/v1/lint``)

The validator says whether a document is well formed; the linter reads what it says: requirements
worded as observable abilities, near-duplicates inside the standard and across the registry, the
progression from level to level, plausible hours and weights, keywords the text uses, and
translations that are complete and current. Every rule has a stable ID, a severity and a one-line
fix hint (:mod:`.base`); each family lives in a module of its own. Documented in docs/lint.md.

Importing this package is cheap; the rules load when a document is linted.
"""

from __future__ import annotations

from .base import ERROR, INFO, SEVERITIES, WARNING, LintFinding, LintRule
from .catalog import all_rules

__all__ = ["ERROR", "INFO", "SEVERITIES", "WARNING", "LintFinding", "LintRule", "all_rules"]
