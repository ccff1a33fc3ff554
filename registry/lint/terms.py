"""Family *terms*: the standard's keywords are the words its content uses.

Format 1.0 has no glossary; ``keywords`` are the terms a standard declares as its own (search uses
them). A keyword that no definition, function, work content, requirement or knowledge item
mentions is either a term the text calls something else, or a keyword of another occupation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from ..documents import text_in
from .base import WARNING, LintContext, LintFinding, lint_rule

FAMILY = "terms"

_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def body_texts(doc: dict) -> Iterator[Any]:
    """The texts of the content of a standard (not its identity or provenance)."""
    overview = doc["overview"]
    yield overview.get("definition")
    for key in ("functions", "directions", "work_types", "behaviours"):
        for entry in doc.get(key) or []:
            yield entry.get("name")
            yield entry.get("description")
            yield entry.get("text")
    basic = doc["basic_requirements"]
    for group in basic["basic_knowledge"]:
        yield group["title"]
        yield from (item["text"] for item in group["items"])
    for section in doc["work_requirements"]["sections"]:
        yield section.get("preface")
        for block in section["functions"]:
            for content in block["work_contents"]:
                yield content["name"]
                for key in ("requirements", "knowledge", "behaviours"):
                    yield from (item["text"] for item in content.get(key) or [])
    for appendix in doc.get("appendix") or []:
        yield appendix["title"]
        yield from appendix.get("paragraphs") or []


@lint_rule("keyword-unused", family=FAMILY, severity=WARNING,
           summary="every keyword appears in the content (definition, functions, work contents, requirements, "
                   "knowledge)",
           hint="use the keyword where the text means it, or drop it from keywords")
def keyword_unused(ctx: LintContext) -> Iterator[LintFinding]:
    master = ctx.master
    body = "\n".join(_fold(text_in(text, master, master)) for text in body_texts(ctx.doc) if text is not None)
    for i, keyword in enumerate(ctx.doc.get("keywords") or []):
        term = _fold(text_in(keyword, master, master))
        if term and term not in body:
            yield LintFinding("keyword-unused", ("keywords", i),
                              f"keyword “{term}” does not appear in the content of the standard")
