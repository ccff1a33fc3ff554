"""Reading a validated standard: texts in a language, and a one-line summary."""

from __future__ import annotations

from typing import Any

from .vocabulary import LEVEL_SCHEMES


def text_in(text: Any, lang: str, master: str) -> str:
    """Return a text in ``lang``, falling back to the master language."""
    if isinstance(text, dict):
        return text.get(lang) or text.get(master) or next(iter(text.values()), "")
    return "" if text is None else str(text)


def level_names(doc: dict, level_id: str) -> Any:
    """The names of a level as the document gives them (its own ``name``: a text or a language map),
    else the names its scheme gives (``vocabulary.LEVEL_SCHEMES``), else None. The one source of a
    level's display name: pages, prints, CSV, CASE, search and generated documents read it here."""
    for level in doc["levels"]:
        if level["id"] == level_id and "name" in level:
            return level["name"]
    return LEVEL_SCHEMES.get(doc["level_scheme"], {}).get(level_id)


def level_name(doc: dict, level_id: str, lang: str) -> str:
    """The display name of a level in ``lang``: its own name, else the name its scheme gives, else its ID."""
    names = level_names(doc, level_id)
    return (text_in(names, lang, doc["languages"]["master"]) or level_id) if names is not None else level_id


def summary(doc: dict, lang: str = "en") -> dict[str, Any]:
    """Identity of a standard in a few fields, for listings."""
    master = doc["languages"]["master"]
    return {
        "code": doc["code"],
        "version": doc["version"],
        "type": doc["standard_type"],
        "levels": [level["id"] for level in doc["levels"]],
        "title": text_in(doc["title"], master, master),
        "title_translated": text_in(doc["title"], lang, master),
        "status": doc["provenance"]["document_status"],
    }
