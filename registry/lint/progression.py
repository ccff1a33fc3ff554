"""Family *progression*: the levels build on each other.

National standards say that a higher level covers the requirements of the lower ones
("高级别涵盖低级别的要求"), so a higher level does not repeat a lower level's requirement word for
word; and a level with far fewer requirements than the levels around it is likely a table left
unfinished.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..issues import json_path
from .base import WARNING, LintContext, LintFinding, lint_rule
from .duplicates import normalized_requirements
from .walk import level_ranks, same_track

FAMILY = "progression"

#: a level is thin when it has less than this share of the mean of its neighbours' requirements
THIN_SHARE = 0.5


@lint_rule("level-repeat", family=FAMILY, severity=WARNING,
           summary="a higher level does not repeat a lower level's requirement word for word",
           hint="delete the repeat (the higher level covers the lower ones), or say what is harder at this level")
def level_repeat(ctx: LintContext) -> Iterator[LintFinding]:
    ranks = level_ranks(ctx.doc)
    lower: dict[str, list] = {}
    rows = sorted(normalized_requirements(ctx), key=lambda row: ranks.get(row[0].level, 0))
    for req, text in rows:
        if not text:
            continue
        earlier = next((other for other in lower.get(text, [])
                        if ranks.get(other.level, 0) < ranks.get(req.level, 0)
                        and same_track(other.direction, req.direction)), None)
        if earlier is not None:
            line, column = ctx.locate(earlier.path)
            yield LintFinding(
                "level-repeat", req.path,
                f"requirement {req.item_id} at level {req.level!r} repeats {earlier.item_id} of the lower level "
                f"{earlier.level!r} word for word",
                related={"code": ctx.doc["code"], "version": ctx.doc["version"], "item_id": earlier.item_id,
                         "text": earlier.master_text, "score": 100.0, "level": earlier.level,
                         "direction": earlier.direction, "file": ctx.loaded.file, "path": json_path(earlier.path),
                         "line": line, "column": column})
        lower.setdefault(text, []).append(req)


@lint_rule("level-thin", family=FAMILY, severity=WARNING,
           summary="no level has far fewer requirements than its neighbours (less than half their mean)",
           hint="complete the level's table, or check that its requirements were not filed under another level")
def level_thin(ctx: LintContext) -> Iterator[LintFinding]:
    ranks = level_ranks(ctx.doc)
    counts: dict[tuple[str, str | None], int] = {}
    for req, _ in normalized_requirements(ctx):
        counts[(req.level, req.direction)] = counts.get((req.level, req.direction), 0) + 1
    places = {(s["level"], s.get("direction")): i for i, s in enumerate(ctx.doc["work_requirements"]["sections"])}
    for direction in {d for _, d in places}:
        track = sorted((ranks.get(level, 0), level) for level, d in places if d == direction)
        for position, (_, level) in enumerate(track):
            neighbours = [track[p][1] for p in (position - 1, position + 1) if 0 <= p < len(track)]
            if not neighbours:
                continue
            mine = counts.get((level, direction), 0)
            around = [counts.get((n, direction), 0) for n in neighbours]
            if mine < THIN_SHARE * sum(around) / len(around):
                shown = ", ".join(f"{n}: {c}" for n, c in zip(neighbours, around))
                where = f"level {level!r}" + (f", direction {direction!r}" if direction else "")
                yield LintFinding("level-thin", ("work_requirements", "sections", places[(level, direction)]),
                                  f"{where} has {mine} requirement(s), far fewer than its neighbours ({shown})")
