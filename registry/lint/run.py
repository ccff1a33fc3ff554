"""Running the linter over a document, a file or folders, and what it reports.

A document is first validated (``registry validate``'s own checks, whose problems are lint errors:
a document that is not valid cannot be judged), then every lint rule runs. Findings become
:class:`LintIssue` objects, the validator's :class:`~registry.issues.Issue` with a severity, a fix
hint and the related item, so the validator's reporters print them (``registry.reporting``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..issues import Issue, json_path
from ..loader import LoadedDocument
from ..validate import Report, iter_yaml_files, validate_bytes
from .base import ERROR, RANK, SEVERITIES, LintContext
from .catalog import all_rules

#: the hint of validation problems (the validator's message says what is wrong)
VALIDATION_HINT = "make the document valid first (registry validate; docs/format.md)"


@dataclass(frozen=True)
class LintIssue(Issue):
    """One lint finding: an :class:`Issue` with a severity, a one-line fix hint and, for
    near-duplicates and repeats, the other item (code, version, item_id, text, score, place)."""

    severity: str = ERROR
    hint: str = ""
    related: dict[str, Any] | None = None

    def describe(self) -> str:
        fix = f" [fix: {self.hint}]" if self.hint else ""
        return f"{self.severity}: {self.message}{fix}"


@dataclass
class LintReport:
    """The findings of one document; it *passes* when it has no finding of ``fail_on`` severity or worse."""

    file: str | None
    issues: list[LintIssue]
    fail_on: str = ERROR
    document: LoadedDocument | None = field(default=None, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(issue.severity for issue in self.issues)
        return {severity: found.get(severity, 0) for severity in SEVERITIES}

    @property
    def valid(self) -> bool:
        limit = RANK.get(self.fail_on, -1)
        return not any(RANK[issue.severity] <= limit for issue in self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "valid": self.valid, "counts": self.counts,
                "findings": [issue.to_dict() for issue in self.issues]}


def lint_summary(files: int, failing: int, severities: Counter) -> str:
    """``3 files linted: 1 error, 12 warnings, 2 info``."""
    parts = [f"{severities.get(s, 0)} {s}{'s' if s != 'info' and severities.get(s, 0) != 1 else ''}"
             for s in SEVERITIES]
    return f"{files} file{'s' if files != 1 else ''} linted: " + ", ".join(parts)


@dataclass(frozen=True)
class Selection:
    """Which rules run: all by default, or only ``select``, less ``ignore`` (rule IDs or families)."""

    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()

    def wants(self, rule_id: str, family: str) -> bool:
        if self.select and not ({rule_id, family} & self.select):
            return False
        return not ({rule_id, family} & self.ignore)


EVERYTHING = Selection()


def lint_loaded(loaded: LoadedDocument, validation: list[Issue], *, corpus=None,
                selection: Selection = EVERYTHING) -> list[LintIssue]:
    """The validation problems (as errors) and every lint finding of a loaded document."""
    out = [_from_validation(issue) for issue in validation if selection.wants(issue.rule, "validation")]
    ctx = LintContext(loaded, corpus)
    for rule in all_rules().values():
        if not selection.wants(rule.id, rule.family):
            continue
        try:
            findings = list(rule.check(ctx))
        except (TypeError, AttributeError, KeyError, ValueError, IndexError):
            if not validation:
                raise
            continue  # the validator's problems explain the document; this rule cannot read it
        for finding in findings:
            line, column = loaded.locate(finding.path)
            out.append(LintIssue(finding.rule, finding.message, json_path(finding.path), line, column, loaded.file,
                                 rule.severity, rule.hint, finding.related))
    return sorted(out, key=LintIssue.sort_key)


def _from_validation(issue: Issue) -> LintIssue:
    return LintIssue(issue.rule, issue.message, issue.path, issue.line, issue.column, issue.file,
                     ERROR, VALIDATION_HINT)


def lint_bytes(source: bytes, *, file: str | None = None, check_path: bool = True, corpus=None,
               selection: Selection = EVERYTHING, fail_on: str = ERROR) -> LintReport:
    """Validate and lint one document given as bytes (``file`` names it in messages)."""
    report: Report = validate_bytes(source, file=file, check_path=check_path)
    loaded = report.document
    if loaded is None:  # it could not be read: only the validator's problems
        return LintReport(file, [_from_validation(i) for i in report.issues if selection.wants(i.rule, "validation")],
                          fail_on)
    return LintReport(file, lint_loaded(loaded, report.issues, corpus=corpus, selection=selection), fail_on, loaded)


def lint_file(path: str | os.PathLike[str], **options: Any) -> LintReport:
    name = os.fspath(path)
    try:
        source = Path(path).read_bytes()
    except OSError as exc:
        issue = Issue("file-unreadable", exc.strerror or str(exc), "$", 1, 1, name)
        return LintReport(name, [_from_validation(issue)], options.get("fail_on", ERROR))
    return lint_bytes(source, file=name, **options)


def lint_paths(paths: Iterable[str | os.PathLike[str]], **options: Any) -> Iterator[LintReport]:
    """Lint every YAML file under ``paths``, in order (documents are not kept)."""
    for name in iter_yaml_files(paths):
        report = lint_file(name, **options)
        report.document = None
        yield report


def corpus_from_paths(paths: Iterable[str | os.PathLike[str]]):
    """A :class:`~registry.lint.similarity.CorpusIndex` of the valid standards under ``paths``
    (``registry lint --against``); files that do not validate are left out, and counted."""
    from ..validate import validate_file
    from .similarity import CorpusIndex

    documents, skipped = [], 0
    for name in iter_yaml_files(paths):
        report = validate_file(name, check_path=False)
        if report.document is None or not report.valid:
            skipped += 1
            continue
        documents.append((report.document.data, name))
    return CorpusIndex.build(documents), len(documents), skipped
