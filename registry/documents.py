"""Reading a validated standard: texts in a language, and a one-line summary."""

from __future__ import annotations

from typing import Any

from .vocabulary import LEVEL_SCHEMES


def text_in(text: Any, lang: str, master: str) -> str:
    """Return a text in ``lang``, falling back to the master language."""
    if isinstance(text, dict):
        return text.get(lang) or text.get(master) or next(iter(text.values()), "")
    return "" if text is None else str(text)


def level_name(doc: dict, level_id: str, lang: str) -> str:
    """The display name of a level: its own name, else the name its scheme gives."""
    master = doc["languages"]["master"]
    for level in doc["levels"]:
        if level["id"] == level_id and "name" in level:
            return text_in(level["name"], lang, master)
    names = LEVEL_SCHEMES.get(doc["level_scheme"], {}).get(level_id)
    return text_in(names, lang, "zh") if names else level_id


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
