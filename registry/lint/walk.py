"""Reading the parts of a standard the lint rules look at: requirements, levels, master texts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..documents import text_in
from ..issues import PathParts
from ..rules import sections


@dataclass(frozen=True)
class Requirement:
    """One requirement (third column) of the work-requirement tables, with where it sits."""

    path: PathParts
    item_id: str
    text: Any            # as written: a master-language string or a {lang: text} map
    master_text: str
    level: str
    direction: str | None
    function: str
    work_content: str


def requirements(doc: dict) -> list[Requirement]:
    """Every requirement of the document, in document order."""
    master = doc["languages"]["master"]
    out = []
    for path, section in sections(doc):
        for i, block in enumerate(section["functions"]):
            for j, content in enumerate(block["work_contents"]):
                for k, item in enumerate(content["requirements"]):
                    out.append(Requirement(
                        path + ("functions", i, "work_contents", j, "requirements", k), item["id"], item["text"],
                        text_in(item["text"], master, master), section["level"], section.get("direction"),
                        block["function"], content["id"]))
    return out


def level_ranks(doc: dict) -> dict[str, int]:
    """Level id -> rank, 0 for the lowest (levels are declared lowest first, rule level-order)."""
    return {level["id"]: rank for rank, level in enumerate(doc["levels"])}


def same_track(a: str | None, b: str | None) -> bool:
    """Whether two sections' directions can hold the same requirement legitimately apart: a table
    without a direction is common to every direction; two different directions are separate tracks."""
    return a is None or b is None or a == b


def texts_in(text: Any, master: str) -> Iterator[tuple[str, str]]:
    """(language, text) of a text field: a plain string is the master language."""
    if isinstance(text, dict):
        yield from ((lang, value) for lang, value in text.items() if isinstance(value, str))
    elif isinstance(text, str):
        yield master, text
