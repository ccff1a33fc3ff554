"""The problems of a text as the portal shows them (template ``web/portal/_problems.html``).

A summary first (the count per severity, one line per problem linking to it), then each problem
with the lines around it (its own line marked, their common indentation removed) and, for
near-duplicates and repeats, the other item beside it; the whole file last, folded, every line an
anchor (``#L12``). Problems are grouped by
rule, most severe first; a group of more than :data:`OPEN_GROUP` problems starts folded, so a draft
with hundreds of missing translations still gives a short page whose errors come first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..issues import json_path
from ..lint.base import RANK
from ..lint.catalog import all_rules

CONTEXT = 2  # lines shown before and after a problem's line
OPEN_GROUP = 5  # groups of up to this many problems are shown unfolded


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    problems: tuple[str, ...] = ()  # anchors of the problems on this line
    severity: str | None = None  # the most severe of them


@dataclass(frozen=True)
class Problem:
    anchor: str  # "P3": the id of its place on the page
    rule: str
    severity: str
    message: str
    path: str
    line: int | None
    column: int | None
    excerpt: tuple[Line, ...]
    related: dict[str, Any] | None = None
    own: tuple[str, str] | None = None  # (item id, text) at the problem's place, shown beside the related item


@dataclass(frozen=True)
class Group:
    rule: str
    severity: str
    summary: str  # what the rule checks ("" for the validator's problems)
    hint: str
    problems: tuple[Problem, ...]

    @property
    def folded(self) -> bool:
        return len(self.problems) > OPEN_GROUP


@dataclass(frozen=True)
class Problems:
    counts: dict[str, int]
    groups: tuple[Group, ...]
    lines: tuple[Line, ...]  # the whole file

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def problems(report, source: bytes) -> Problems:
    """The view of a :class:`~registry.lint.run.LintReport` over the text it was made from."""
    texts = source.decode("utf-8", errors="replace").split("\n")
    texts = [t[:-1] if t.endswith("\r") else t for t in texts]
    if len(texts) > 1 and texts[-1] == "":
        texts.pop()  # the final newline ends the last line; it does not start another
    issues = sorted(report.issues, key=lambda i: (RANK[i.severity], i.rule, i.line or 0, i.column or 0))
    anchors = {id(issue): f"P{n}" for n, issue in enumerate(issues, start=1)}
    on_line: dict[int, list] = {}
    for issue in issues:
        if isinstance(issue.line, int) and 1 <= issue.line <= len(texts):
            on_line.setdefault(issue.line, []).append(issue)
    lines = tuple(_line(n, text, on_line.get(n, ()), anchors) for n, text in enumerate(texts, start=1))
    own = _requirement_texts(report) if any(i.related for i in issues) else {}
    rules = all_rules()
    groups: dict[str, list[Problem]] = {}
    for issue in issues:
        around = lines[max(issue.line - 1 - CONTEXT, 0):issue.line + CONTEXT] if issue.line in on_line else ()
        excerpt = _dedented(around)
        groups.setdefault(issue.rule, []).append(Problem(
            anchors[id(issue)], issue.rule, issue.severity, issue.message, issue.path, issue.line, issue.column,
            excerpt, issue.related, own.get(issue.path) if issue.related else None))
    return Problems(report.counts, tuple(
        Group(rule, found[0].severity, rules[rule].summary if rule in rules else "",
              next(i.hint for i in issues if i.rule == rule), tuple(found))
        for rule, found in groups.items()), lines)


def _dedented(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """An excerpt without the indentation all its lines share: deep YAML stays readable on a phone
    (the line numbers say where it is; the whole file keeps the true indentation)."""
    indent = min((len(line.text) - len(line.text.lstrip(" ")) for line in lines if line.text.strip()), default=0)
    return tuple(replace(line, text=line.text[indent:]) for line in lines) if indent else lines


def _line(number: int, text: str, issues, anchors: dict) -> Line:
    if not issues:
        return Line(number, text)
    worst = min(issues, key=lambda i: RANK[i.severity]).severity
    return Line(number, text, tuple(anchors[id(i)] for i in issues), worst)


def _requirement_texts(report) -> dict[str, tuple[str, str]]:
    """JSON path -> (id, master text) of every requirement (what a near-duplicate is compared on)."""
    from ..lint.walk import requirements

    document = getattr(report, "document", None)
    if document is None:
        return {}
    try:
        return {json_path(req.path): (req.item_id, req.master_text) for req in requirements(document.data)}
    except (KeyError, TypeError, AttributeError, IndexError):  # a document the validator refused
        return {}

