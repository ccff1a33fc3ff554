"""Family *plausibility*: training hours and weights that a reader can believe.

* Every level (and direction) with requirements has reference training hours, and the hours move
  one way with the level. The direction is not fixed: the one national standard whose hours the
  project's sources confirm (人工智能训练师, 2021: 60, 50, 40, 40, 30 standard hours from 五级 to
  一级) gives each level fewer hours, while technical standards often give more; a rise followed
  by a fall (or the reverse) is what no template produces.
* Every function a level requires weighs something in both weight tables of that level, no
  function is weighted at a level that does not require it, and every declared function is
  required somewhere.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..rules import sections, weight_columns
from .base import WARNING, LintContext, LintFinding, lint_rule
from .walk import level_ranks

FAMILY = "plausibility"


def _where(level: str, direction: str | None) -> str:
    return f"level {level!r}" + (f", direction {direction!r}" if direction else "")


def _hours(doc: dict) -> dict[tuple[str, str | None], tuple[int, int]]:
    """(level, direction or None) -> (hours, index of the entry)."""
    return {(entry["level"], entry.get("direction")): (entry["hours"], i)
            for i, entry in enumerate(doc["overview"]["training_hours"])}


@lint_rule("hours-missing", family=FAMILY, severity=WARNING,
           summary="every level (and direction) with requirements has reference training hours",
           hint="add an overview.training_hours entry for the level (with its direction when hours differ by "
                "direction)")
def hours_missing(ctx: LintContext) -> Iterator[LintFinding]:
    hours = _hours(ctx.doc)
    for path, section in sections(ctx.doc):
        level, direction = section["level"], section.get("direction")
        if (level, direction) not in hours and (level, None) not in hours:
            yield LintFinding("hours-missing", path, f"{_where(level, direction)} has no training hours")


@lint_rule("hours-progression", family=FAMILY, severity=WARNING,
           summary="training hours move one way with the level (all rising or all falling), never up and down",
           hint="check the hours of each level against the source; they should all grow, or all shrink, with the level")
def hours_progression(ctx: LintContext) -> Iterator[LintFinding]:
    ranks = level_ranks(ctx.doc)
    hours = _hours(ctx.doc)
    directions = {d for _, d in hours} | {None}
    for direction in sorted(directions, key=lambda d: d or ""):
        allowed = (None,) if direction is None else (direction, None)  # a direction's own hours, else the common ones
        track = sorted({(ranks.get(level, 0), level) for level, d in hours if d in allowed})
        values = [(level, *(hours.get((level, direction)) or hours[(level, None)])) for _, level in track]
        trend = 0
        for (before, h0, _), (level, h1, index) in zip(values, values[1:]):
            step = (h1 > h0) - (h1 < h0)
            if step and trend and step != trend:
                turn = "rise" if trend > 0 else "fall"
                yield LintFinding("hours-progression", ("overview", "training_hours", index, "hours"),
                                  f"training hours {_where(level, direction)}: {h1}, after {h0} at {before!r}; the "
                                  f"hours {turn} up to {before!r} and then turn")
                break
            trend = step or trend


def _columns(doc: dict) -> dict[tuple[str, str, str | None], tuple[tuple, dict]]:
    return {(table, column["level"], column.get("direction")): (path, column)
            for path, table, column in weight_columns(doc)}


@lint_rule("weight-zero", family=FAMILY, severity=WARNING,
           summary="every function a level requires has a weight above 0 in both weight tables of that level",
           hint="give the function its share of the weights, or remove it from the level's table")
def weight_zero(ctx: LintContext) -> Iterator[LintFinding]:
    columns = _columns(ctx.doc)
    for _, section in sections(ctx.doc):
        level, direction = section["level"], section.get("direction")
        for block in section["functions"]:
            function = block["function"]
            for table in ("theory", "skills"):
                found = columns.get((table, level, direction))
                if found is None or function not in found[1]["functions"]:
                    continue  # rule weights-coverage of registry validate
                if not found[1]["functions"][function]:
                    yield LintFinding("weight-zero", found[0] + ("functions", function),
                                      f"function {function!r} is required at {_where(level, direction)} but weighs "
                                      f"{found[1]['functions'][function]} in the {table} table")


@lint_rule("weight-orphan", family=FAMILY, severity=WARNING,
           summary="no function is weighted at a level whose tables do not require it",
           hint="set the weight to null (the printed “—”) and give its share to the functions the level requires")
def weight_orphan(ctx: LintContext) -> Iterator[LintFinding]:
    used = {(s["level"], s.get("direction")): {b["function"] for b in s["functions"]}
            for _, s in sections(ctx.doc)}
    for path, table, column in weight_columns(ctx.doc):
        key = (column["level"], column.get("direction"))
        if key not in used:
            continue
        for function, weight in column["functions"].items():
            if weight and function not in used[key]:
                yield LintFinding("weight-orphan", path + ("functions", function),
                                  f"function {function!r} weighs {weight} in the {table} table of {_where(*key)}, "
                                  f"which has no requirements for it")


@lint_rule("function-unused", family=FAMILY, severity=WARNING,
           summary="every declared function is required at some level",
           hint="add the function to a level's table, or remove it from functions and the weight tables")
def function_unused(ctx: LintContext) -> Iterator[LintFinding]:
    used = {block["function"] for _, section in sections(ctx.doc) for block in section["functions"]}
    for i, function in enumerate(ctx.doc["functions"]):
        if function["id"] not in used:
            yield LintFinding("function-unused", ("functions", i),
                              f"function {function['id']!r} is declared but no level requires it")
