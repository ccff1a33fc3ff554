"""Reporters for validation and lint results: one line per problem for people, JSON for machines.

A report is anything with ``issues``, ``valid`` and ``to_dict()``: the validator's
:class:`~registry.validate.Report` and the linter's :class:`~registry.lint.run.LintReport`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from typing import IO, Any


def format_issue_line(issue) -> str:
    """``file:line:column: RULE-or-$.json.path: message``: schema problems name the JSON path,
    the rules beyond the schema and the loader name their rule ID."""
    where = issue.path if issue.rule.startswith("schema.") else issue.rule
    return f"{issue.location}: {where}: {issue.describe()}"


def validation_summary(files: int, invalid: int, severities: Counter) -> str:
    """``12 files checked: all valid`` or ``… N invalid, M problems``."""
    problems = sum(severities.values())
    summary = f"{files} file{'s' if files != 1 else ''} checked: "
    return summary + ("all valid" if not invalid else
                      f"{invalid} invalid, {problems} problem{'s' if problems != 1 else ''}")


#: (files, files that fail, problems counted by severity) -> the line printed on standard error
Summary = Callable[[int, int, Counter], str]


class TextReporter:
    def __init__(self, out: IO[str], err: IO[str], summary: Summary = validation_summary):
        self.out, self.err, self.summary = out, err, summary

    def report(self, reports: Iterable[Any]) -> tuple[int, int, int]:
        files = invalid = 0
        severities: Counter = Counter()
        for report in reports:
            files += 1
            invalid += not report.valid
            for issue in report.issues:
                severities[getattr(issue, "severity", "error")] += 1  # validation problems are errors
                print(format_issue_line(issue), file=self.out)
        print(self.summary(files, invalid, severities), file=self.err)
        return files, invalid, sum(severities.values())


class JsonReporter:
    def __init__(self, out: IO[str], err: IO[str], summary: Summary | None = None):
        self.out = out

    def report(self, reports: Iterable[Any]) -> tuple[int, int, int]:
        reports = list(reports)
        items = [r.to_dict() for r in reports]
        invalid = sum(1 for r in reports if not r.valid)
        problems = sum(len(r.issues) for r in reports)
        json.dump({"valid": invalid == 0, "files": items}, self.out, ensure_ascii=False, indent=1)
        self.out.write("\n")
        return len(items), invalid, problems


REPORTERS = {"text": TextReporter, "json": JsonReporter}
