"""One level of a standard (and one direction, where it has directions): what a person at that level
must know and do, as trainers, assessors and HR departments use it.

National standards say, in the opening sentence of their work requirements, that the requirements rise
level by level and that **a higher level includes the requirements of the levels below it**
("…依次递进，高级别涵盖低级别的要求", shared/reference/china-standards.md §2.4). That sentence, the
document's own statement (:func:`includes_lower_levels`), decides whether a level's view includes the
lower levels' tables; a standard that does not say so shows each level alone.

A *scope* is what a person chooses: a level, and a direction where the level's tables are split by
direction (:func:`scopes`). Its :class:`LevelView` holds the tables of that level (and those it includes,
marked with the level they come from), the level's reference training hours, its eligibility conditions
and its columns of both weight tables. Pure functions over the plain dicts of format 1.0: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: The statement of inclusion, in the languages the corpus uses: "高级别涵盖低级别的要求" (or 包括/包含),
#: "each higher level includes the requirements of the levels below it / of the lower levels".
INCLUSION = re.compile(
    r"高级别(涵盖|包括|包含)低级别"
    r"|higher levels? includes? the requirements of the (lower levels|levels below)", re.IGNORECASE)


class UnknownScope(LookupError):
    """A level or direction the document does not have, or a level that needs a direction."""

    def __init__(self, message: str, choices: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.choices = choices


def level_ids(doc: dict) -> list[str]:
    """The document's level IDs, lowest first (as it declares them)."""
    return [level["id"] for level in doc["levels"]]


def includes_lower_levels(doc: dict) -> bool:
    """Whether the document states that a higher level includes the requirements of the lower ones
    (in the preface of its work requirements, in any of its languages)."""
    preface = (doc.get("work_requirements") or {}).get("preface")
    texts = preface.values() if isinstance(preface, dict) else [preface or ""]
    return any(INCLUSION.search(str(text)) for text in texts)


def levels_at_or_below(doc: dict, level: str) -> list[str]:
    """``level`` and, when the document includes the lower levels, every level below it (highest first)."""
    order = level_ids(doc)
    if level not in order:
        return [level]
    if not includes_lower_levels(doc):
        return [level]
    return list(reversed(order[: order.index(level) + 1]))


def levels_at_or_above(doc: dict, level: str) -> list[str]:
    """The levels whose view includes ``level``: itself, and the higher ones when the document says so
    (what a cumulative search matches an item of ``level`` for)."""
    order = level_ids(doc)
    if level not in order or not includes_lower_levels(doc):
        return [level]
    return order[order.index(level):]


@dataclass(frozen=True)
class Scope:
    level: str
    direction: str | None = None

    @property
    def key(self) -> str:
        """``L3`` or ``junior/cv``: the part of a URL after ``/levels/``."""
        return f"{self.level}/{self.direction}" if self.direction else self.level


def _sections(doc: dict) -> list[dict]:
    return (doc.get("work_requirements") or {}).get("sections") or []


def directions_at(doc: dict, level: str) -> list[str]:
    """The directions with a table of their own at ``level``, in the order the document declares them."""
    found = {s.get("direction") for s in _sections(doc) if s["level"] == level and s.get("direction")}
    return [d["id"] for d in doc.get("directions") or [] if d["id"] in found]


def scopes(doc: dict) -> list[Scope]:
    """Every scope a person can choose, lowest level first: a level, or a level and each of its
    directions where its tables are split by direction."""
    out = []
    for level in level_ids(doc):
        directions = directions_at(doc, level)
        out.extend(Scope(level, d) for d in directions) if directions else out.append(Scope(level))
    return out


def check_scope(doc: dict, level: str, direction: str | None = None) -> Scope:
    """The scope of ``level`` (and ``direction``), or :class:`UnknownScope` saying what to choose."""
    if level not in level_ids(doc):
        raise UnknownScope(f"{doc['code']} {doc['version']} has no level {level!r}", tuple(level_ids(doc)))
    directions = directions_at(doc, level)
    if direction is None and directions:
        raise UnknownScope(f"level {level} of {doc['code']} {doc['version']} is split by direction: choose one "
                           f"of {', '.join(directions)}", tuple(directions))
    if direction is not None and direction not in directions:
        raise UnknownScope(f"level {level} of {doc['code']} {doc['version']} has no direction {direction!r}",
                           tuple(directions))
    return Scope(level, direction)


@dataclass(frozen=True)
class LevelTable:
    """One table of work requirements in a level's view; ``included`` when it is a lower level's."""

    section: dict
    included: bool

    @property
    def level(self) -> str:
        return self.section["level"]

    @property
    def direction(self) -> str | None:
        return self.section.get("direction")

    def work_contents(self):
        """(function block, work content) pairs in printed order."""
        for block in self.section["functions"]:
            for content in block["work_contents"]:
                yield block, content


@dataclass
class LevelView:
    doc: dict
    scope: Scope
    #: whether the document includes the lower levels in a higher one (its own statement)
    cumulative: bool
    #: the level's own tables, then those it includes from the levels below (nearest first)
    tables: list[LevelTable]
    #: reference training hours of the level (entries of ``overview.training_hours``)
    hours: list[dict] = field(default_factory=list)
    #: the eligibility conditions of the level (one per route), or []
    eligibility: list[Any] = field(default_factory=list)
    #: the level's column of each weight table, or None
    theory: dict | None = None
    skills: dict | None = None

    @property
    def level(self) -> str:
        return self.scope.level

    @property
    def direction(self) -> str | None:
        return self.scope.direction

    @property
    def own(self) -> list[LevelTable]:
        return [t for t in self.tables if not t.included]

    @property
    def included(self) -> list[LevelTable]:
        return [t for t in self.tables if t.included]

    @property
    def lower_levels(self) -> list[str]:
        """The levels whose requirements this one includes, nearest first."""
        return levels_at_or_below(self.doc, self.level)[1:] if self.cumulative else []

    @property
    def total_hours(self) -> int | None:
        """The level's reference training hours (None when the document states none)."""
        return sum(h["hours"] for h in self.hours) if self.hours else None

    def requirements(self, *, included: bool = False) -> list[tuple[LevelTable, dict, dict, dict]]:
        """(table, function block, work content, requirement) of the level's own tables (and the
        included ones with ``included``), in printed order."""
        return [(t, block, content, item) for t in self.tables if included or not t.included
                for block, content in t.work_contents() for item in content.get("requirements", [])]


def _matches(entry: dict, scope: Scope) -> bool:
    return entry["level"] == scope.level and entry.get("direction") in (None, scope.direction)


def level_view(doc: dict, level: str, direction: str | None = None) -> LevelView:
    """Everything of one scope (:class:`UnknownScope` when the document has no such scope)."""
    scope = check_scope(doc, level, direction)
    cumulative = includes_lower_levels(doc)
    tables = [LevelTable(s, False) for s in _sections(doc) if _matches(s, scope)]
    for lower in levels_at_or_below(doc, level)[1:]:
        tables += [LevelTable(s, True) for s in _sections(doc) if _matches(s, Scope(lower, direction))]
    overview = doc.get("overview") or {}
    hours = [h for h in overview.get("training_hours") or [] if _matches(h, scope)]
    if any(h.get("direction") for h in hours):  # a direction's own hours replace the level's general ones
        hours = [h for h in hours if h.get("direction")]
    eligibility = next((e["conditions"] for e in overview.get("eligibility") or [] if e["level"] == level), [])
    weights = doc.get("weights") or {}

    def column(kind: str) -> dict | None:
        found = [c for c in weights.get(kind) or [] if _matches(c, scope)]
        found.sort(key=lambda c: c.get("direction") is None)  # the direction's own column first
        return found[0] if found else None

    return LevelView(doc, scope, cumulative, tables, hours, list(eligibility), column("theory"), column("skills"))
