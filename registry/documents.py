"""Reading a validated standard: texts in a language, and a one-line summary."""

from __future__ import annotations

from typing import Any

from .vocabulary import LEVEL_SCHEMES


def text_in(text: Any, lang: str, master: str) -> str:
    """Return a text in ``lang``, falling back to the master language."""
    if isinstance(text, dict):
        return text.get(lang) or text.get(master) or next(iter(text.values()), "")
    return "" if text is None else str(text)


def level_names(doc: dict | None, level_id: str) -> Any:
    """The names of a level as the document gives them (its own ``name``: a text or a language map),
    else the names its scheme gives (``vocabulary.LEVEL_SCHEMES``), else None. Without a document (a
    level ID alone, as a search facet gives it), the names of the first scheme that has the ID.

    The one source of a level's display name: pages, prints, CSV, CASE, search and generated
    documents read it here, through :func:`level_name` (one language) or :func:`level_name_map`
    (every language the names are given in)."""
    if doc is None:
        return next((scheme[level_id] for scheme in LEVEL_SCHEMES.values() if level_id in scheme), None)
    for level in doc["levels"]:
        if level["id"] == level_id and "name" in level:
            return level["name"]
    return LEVEL_SCHEMES.get(doc["level_scheme"], {}).get(level_id)


def level_name(doc: dict | None, level_id: str, lang: str) -> str:
    """The display name of a level in ``lang``: its own name, else the name its scheme gives, else its
    ID; in the document's master language (Chinese without a document) when it has none in ``lang``."""
    names = level_names(doc, level_id)
    master = doc["languages"]["master"] if doc is not None else "zh"
    return (text_in(names, lang, master) or level_id) if names is not None else level_id


def level_name_map(doc: dict, level_id: str) -> dict[str, str]:
    """The names of a level in every language they are given in (``{lang: name}``; a name given as
    a plain text is in the master language); {} when the level has no name."""
    names = level_names(doc, level_id)
    if isinstance(names, dict):
        return {lang: str(text) for lang, text in names.items() if isinstance(text, str) and text.strip()}
    return {doc["languages"]["master"]: str(names)} if names else {}


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
