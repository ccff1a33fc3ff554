"""The linter's rule registry: stable IDs, severities, one-line fix hints, and what a rule yields.

A lint rule is a function ``(LintContext) -> iterable of LintFinding``, registered with
:func:`lint_rule`. Each family of rules lives in a module of its own (wording, duplicates,
progression, plausibility, terms, translation); importing :mod:`registry.lint.families` registers
them all. Rule IDs are stable: tools, the portal and ``--ignore`` options refer to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..issues import PathParts

if TYPE_CHECKING:
    from ..loader import LoadedDocument
    from .similarity import CorpusIndex

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)  # most severe first
RANK = {severity: i for i, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class LintFinding:
    """What a rule reports: a place in the document and a message; ``related`` names another item
    (the near-duplicate it resembles, the lower-level requirement it repeats)."""

    rule: str
    path: PathParts
    message: str
    related: dict[str, Any] | None = None


@dataclass
class LintContext:
    """What every rule may read: the document, where it came from, and the corpus it is compared with."""

    loaded: LoadedDocument
    corpus: CorpusIndex | None = None
    cache: dict[str, Any] = field(default_factory=dict)  # shared work between rules of one run

    @property
    def doc(self) -> dict:
        return self.loaded.data

    @property
    def master(self) -> str:
        return self.doc["languages"]["master"]

    def locate(self, path: PathParts) -> tuple[int, int]:
        return self.loaded.locate(path)


LintFunction = Callable[[LintContext], Iterable[LintFinding]]


@dataclass(frozen=True)
class LintRule:
    id: str
    family: str
    severity: str
    summary: str  # what the rule checks, one line (``registry lint --list-rules``)
    hint: str     # how to fix what it finds, one line
    check: LintFunction


#: rule id -> rule, in registration order (family by family)
RULES: dict[str, LintRule] = {}


def lint_rule(rule_id: str, *, family: str, severity: str, summary: str,
              hint: str) -> Callable[[LintFunction], LintFunction]:
    """Register a lint rule under a stable ID."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")

    def register(fn: LintFunction) -> LintFunction:
        if rule_id in RULES:
            raise ValueError(f"lint rule {rule_id!r} registered twice")
        RULES[rule_id] = LintRule(rule_id, family, severity, summary, hint, fn)
        return fn

    return register

