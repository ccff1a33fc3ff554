"""Reporters for validation results: one line per problem for people, JSON for machines."""

from __future__ import annotations

import json
from typing import IO, Iterable

from .validate import Report


def format_issue_line(issue) -> str:
    """``file:line:column: RULE-or-$.json.path: message``: schema problems name the JSON path,
    the rules beyond the schema and the loader name their rule ID."""
    where = issue.path if issue.rule.startswith("schema.") else issue.rule
    return f"{issue.location}: {where}: {issue.message}"


class TextReporter:
    def __init__(self, out: IO[str], err: IO[str]):
        self.out, self.err = out, err

    def report(self, reports: Iterable[Report]) -> tuple[int, int, int]:
        files = invalid = problems = 0
        for report in reports:
            files += 1
            if not report.valid:
                invalid += 1
                problems += len(report.issues)
                for issue in report.issues:
                    print(format_issue_line(issue), file=self.out)
        summary = f"{files} file{'s' if files != 1 else ''} checked: "
        summary += "all valid" if not invalid else f"{invalid} invalid, {problems} problem{'s' if problems != 1 else ''}"
        print(summary, file=self.err)
        return files, invalid, problems


class JsonReporter:
    def __init__(self, out: IO[str], err: IO[str]):
        self.out = out

    def report(self, reports: Iterable[Report]) -> tuple[int, int, int]:
        items = [r.to_dict() for r in reports]
        invalid = sum(1 for r in items if not r["valid"])
        problems = sum(len(r["errors"]) for r in items)
        json.dump({"valid": invalid == 0, "files": items}, self.out, ensure_ascii=False, indent=1)
        self.out.write("\n")
        return len(items), invalid, problems


REPORTERS = {"text": TextReporter, "json": JsonReporter}
