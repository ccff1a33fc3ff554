"""Family *duplicates*: near-duplicate requirements, inside the standard and across the registry.

Inside a standard, two requirements of the same track (the same direction, or a table common to
every direction) that score at least :data:`~.similarity.NEAR_DUPLICATE` are reported on the later
one, naming the earlier. A word-for-word repeat at a higher level is left to ``level-repeat``;
requirements of two different directions are separate tracks and may share wording.

Across the registry, each requirement is looked up in the corpus the linter was given (the
published standards: ``registry lint --against DIR``, or the catalog on the server), leaving out
the standard's own other versions.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..issues import json_path
from .base import INFO, WARNING, LintContext, LintFinding, lint_rule
from .similarity import MIN_LENGTH, NEAR_DUPLICATE, normalize, similar
from .walk import Requirement, requirements, same_track

FAMILY = "duplicates"


def normalized_requirements(ctx: LintContext) -> list[tuple[Requirement, str]]:
    """The requirements with their normalised master texts (computed once per run)."""
    if "normalized" not in ctx.cache:
        ctx.cache["normalized"] = [(req, normalize(req.master_text)) for req in requirements(ctx.doc)]
    return ctx.cache["normalized"]


def _quote(text: str, limit: int = 40) -> str:
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"


def _related(ctx: LintContext, req: Requirement, value: float) -> dict:
    line, column = ctx.locate(req.path)
    return {"code": ctx.doc["code"], "version": ctx.doc["version"], "item_id": req.item_id,
            "text": req.master_text, "score": round(value, 1), "level": req.level, "direction": req.direction,
            "file": ctx.loaded.file, "path": json_path(req.path), "line": line, "column": column}


@lint_rule("duplicate-in-standard", family=FAMILY, severity=WARNING,
           summary="no two requirements of one standard say nearly the same thing (same level or not)",
           hint="merge the two requirements, or make each say what is different about it")
def duplicate_in_standard(ctx: LintContext) -> Iterator[LintFinding]:
    rows = normalized_requirements(ctx)
    texts = [text for _, text in rows]
    for j, (later, text) in enumerate(rows):
        if len(text) < MIN_LENGTH or j == 0:
            continue
        for i, value in sorted(similar(text, texts[:j], NEAR_DUPLICATE), key=lambda m: (-m[1], m[0])):
            earlier = rows[i][0]
            if len(texts[i]) < MIN_LENGTH or not same_track(earlier.direction, later.direction):
                continue
            if texts[i] == text and earlier.level != later.level:
                continue  # a repeat at another level: rule level-repeat
            yield LintFinding(
                "duplicate-in-standard", later.path,
                f"requirement {later.item_id} is a near-duplicate (score {value:.0f}) of {earlier.item_id} "
                f"at level {earlier.level!r}: {_quote(later.master_text)} ~ {_quote(earlier.master_text)}",
                related=_related(ctx, earlier, value))
            break


@lint_rule("duplicate-in-registry", family=FAMILY, severity=INFO,
           summary="a requirement that nearly repeats one of another published standard is shown with it",
           hint="reuse the published wording on purpose, or say what this occupation does differently")
def duplicate_in_registry(ctx: LintContext) -> Iterator[LintFinding]:
    if ctx.corpus is None:
        return
    rows = normalized_requirements(ctx)
    results = ctx.corpus.query([text for _, text in rows], ctx.master, exclude_code=ctx.doc["code"])
    for (req, _), matches in zip(rows, results):
        if not matches:
            continue
        best = matches[0]
        other = best.occurrence
        more = f" (and {len(matches) - 1} more)" if len(matches) > 1 else ""
        related = {**best.to_related(), "more": len(matches) - 1}
        yield LintFinding(
            "duplicate-in-registry", req.path,
            f"requirement {req.item_id} is a near-duplicate (score {best.score:.0f}) of {other.code} "
            f"{other.version} {other.item_id}{more}: {_quote(req.master_text)} ~ {_quote(other.text)}",
            related=related)
