"""The mapping from a version of a standard to its index documents (Warehouse's ``Document.from_db``).

One document per standard (its title, occupation and keywords are its ``title``; its definition and
the names of its functions, directions and work types its ``body``), one per requirement and knowledge
item of the work requirements, and one per knowledge item of the basic requirements. Every language
of an item goes into one ``body`` field, followed by its context (function and work content names,
or the basic-knowledge group) after :data:`CONTEXT_MARK`, which the analyzer weighs at
:data:`CONTEXT_WEIGHT`. The documents are plain dicts of field names (:mod:`registry.search.whoosh.schema`
declares the fields); any engine indexes the same ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from ..documents import level_name_map
from ..levels import levels_at_or_above
from .analysis import STEMMER, STOP_WORDS
from .folding import RUNS, fold
from .records import version_key

#: what a hit can be
KINDS = ("requirement", "knowledge", "standard")
#: where an item comes from: the basic requirements (职业道德, 基础知识) or the work requirements
PARTS = ("basic", "work")
#: languages with a code of their own in the ``lang`` field; others are "xx"
LANGUAGES = ("zh", "en", "fr")
#: weight of a function or work content name relative to the item's own text
CONTEXT_WEIGHT = 0.4
#: separates an item's text from its context names in the ``body`` field
CONTEXT_MARK = "\x1e"
#: the name of the ethics group of the basic requirements (its items have no group title of their own)
ETHICS_NAME = {"zh": "职业道德", "en": "Professional ethics"}


def field_lang(lang: str) -> str:
    """The code of a language in the ``lang`` field: its base language when it has one, else "xx"."""
    base = lang.split("-")[0].lower()
    return base if base in LANGUAGES else "xx"


def _texts(value: Any, master: str) -> dict[str, str]:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if isinstance(v, str) and v.strip()}
    if value is None or value == "":
        return {}
    return {master: str(value)}


def _join(target: dict[str, list[str]], texts: dict[str, str]) -> None:
    for lang, text in texts.items():
        target.setdefault(field_lang(lang), []).append(text)


def exact_key(text: str) -> str:
    """A key of a text's letters and digits, folded (the ``exact`` field: a query that is the whole text)."""
    norm = "".join(m.group(0) for m in RUNS.finditer(fold(text).lower()))
    return hashlib.sha1(norm.encode(), usedforsecurity=False).hexdigest()[:16]


def _spell_words(texts: Iterable[str]) -> str:
    words = set()
    stops = STOP_WORDS[STEMMER]
    for text in texts:
        for match in RUNS.finditer(fold(text)):
            word = match.group(2)
            if word and len(word) >= 2 and not word.isdigit() and word.lower() not in stops:
                words.add(word.lower())
    return " ".join(sorted(words))


def _level_names(doc: dict) -> dict[str, dict[str, str]]:
    return {level["id"]: level_name_map(doc, level["id"]) for level in doc.get("levels", [])}


def facet_bytes(*values: str) -> bytes:
    """A document's facet values in one column value (the ``facets`` field), in :data:`COMBO_FIELDS` order."""
    return "\x1f".join(values).encode()


#: the facet values of a document, in the order :func:`facet_bytes` joins them
COMBO_FIELDS = ("sector", "level", "direction", "code", "kind", "type", "current", "lang", "part")


def sort_key(code: str, version: str, order: int) -> int:
    """A document's place in the stable order (code, version, item order), packed into 64 bits."""
    digits = code.replace("-", "")
    number = int(digits) if digits.isdigit() and len(digits) <= 8 else 0
    major, _, minor = version.partition(".")
    major_n = min(int(major), 1023) if major.isdigit() else 0
    minor_n = min(int(minor), 1023) if minor.isdigit() else 0
    return (number << 40) | (major_n << 30) | (minor_n << 20) | min(order, (1 << 20) - 1)


def document_from(version: Any) -> list[dict[str, Any]]:
    """The index documents of one version: one for the standard, one per requirement and knowledge
    item of the work requirements, and one per knowledge item of the basic requirements.

    ``version`` is anything with ``code``, ``version``, ``status``, ``document`` (and optionally
    ``draft_id``): a catalog ``StandardVersion``, a ``Draft`` adapter or a :class:`VersionRecord`.
    """
    doc = version.document
    code, number = version.code, version.version
    draft_id = getattr(version, "draft_id", None)
    vid = version_key(code, number, draft_id)
    status = version.status
    # "y": a catalog version, "d": a draft ("n": the meta document); which versions are in force is no
    # property of the index but decided when a search runs (SearchRequest.versions)
    current = "d" if status == "draft" else "y"
    master = doc["languages"]["master"]
    sector, std_type = doc.get("sector", ""), doc.get("standard_type", "")
    title = _texts(doc.get("title"), master)
    occupation = _texts(doc.get("occupation"), master)
    function_names = {f["id"]: _texts(f.get("name"), master) for f in doc.get("functions", [])}
    direction_names = {d["id"]: _texts(d.get("name"), master) for d in doc.get("directions", []) or []}
    level_names = _level_names(doc)
    common = {"vid": vid, "code": code, "version": number, "sector": sector, "type": std_type, "current": current}
    docs: list[dict[str, Any]] = []
    spell_source: list[str] = []

    # the standard itself: title, occupation and keywords are its title; definition and names its text
    title_parts: dict[str, list[str]] = {}
    text_parts: dict[str, list[str]] = {}
    for texts in [title, occupation, *(_texts(k, master) for k in doc.get("keywords", []) or [])]:
        _join(title_parts, texts)
    overview = doc.get("overview", {}) or {}
    for texts in [_texts(overview.get("definition"), master), *function_names.values(),
                  *direction_names.values(), *(_texts(w.get("name"), master) for w in doc.get("work_types", []) or [])]:
        _join(text_parts, texts)
    levels = [level["id"] for level in doc.get("levels", [])]
    directions = sorted(direction_names)
    langs = sorted(set(title_parts) | set(text_parts))
    standard_doc = {
        **common, "id": vid, "kind": "standard", "level": " ".join(levels), "level_upto": " ".join(levels),
        "direction": " ".join(directions),
        "lang": " ".join(langs), "exact": " ".join({exact_key(t) for t in [*title.values(), *occupation.values()]}),
        "data": json.dumps({"title": title, "occupation": occupation,
                            "text": _texts(overview.get("definition"), master),
                            "master": master, "status": status, "draft_id": draft_id,
                            "level_names": level_names, "sector": sector}, ensure_ascii=False),
        "facets": facet_bytes(sector, " ".join(levels), " ".join(directions), code, "standard", std_type, current,
                              " ".join(langs), ""),
        "sort": sort_key(code, number, 0),
    }
    standard_doc["title"] = "\n".join(t for parts in title_parts.values() for t in parts)
    standard_doc["body"] = "\n".join(t for parts in text_parts.values() for t in parts)
    spell_source.extend(t for parts in (*title_parts.values(), *text_parts.values()) for t in parts)
    docs.append(standard_doc)

    order = 0

    def item(kind: str, part: str, entry: dict, level: str, direction: str, context: list[dict[str, str]],
             ids: list[str], extra: dict[str, Any]) -> None:
        nonlocal order
        order += 1
        texts = _texts(entry.get("text"), master)
        item_langs = sorted({field_lang(lang) for lang in texts})
        doc_fields = {
            **common, "id": f"{vid}/{entry['id']}", "kind": kind, "part": part, "level": level,
            "level_upto": " ".join(levels_at_or_above(doc, level)) if part == "work" else level,
            "direction": direction, "lang": " ".join(item_langs), "ids": " ".join(i for i in ids if i),
            "exact": " ".join({exact_key(t) for t in texts.values()}),
            "data": json.dumps({"text": texts, "title": title, "item_id": entry["id"], "number": entry.get("number"),
                                "master": master, "status": status, "draft_id": draft_id, "sector": sector,
                                "order": order, "part": part, **extra}, ensure_ascii=False),
            "facets": facet_bytes(sector, level, direction, code, kind, std_type, current, " ".join(item_langs),
                                  part),
            "sort": sort_key(code, number, order),
            "body": "\n".join(texts.values()) + CONTEXT_MARK
            + "\n".join(t for names in context for t in names.values()),
        }
        for name in ("function", "work_content"):
            if extra.get(f"{name}_id"):
                doc_fields[name] = extra[f"{name}_id"]
        spell_source.extend(texts.values())
        docs.append(doc_fields)

    # the basic requirements (2.1.1 职业道德基本知识, 2.2 基础知识): knowledge for every level
    basic = doc.get("basic_requirements") or {}
    groups = [("", ETHICS_NAME, (basic.get("ethics") or {}).get("knowledge") or [])]
    groups += [(g.get("id", ""), _texts(g.get("title"), master), g.get("items") or [])
               for g in basic.get("basic_knowledge") or []]
    for group_id, group_name, entries in groups:
        for entry in entries:
            item("knowledge", "basic", entry, " ".join(levels), "", [group_name], [entry["id"], group_id],
                 {"group": group_name, "group_id": group_id or None, "level": None})

    # the work requirements: per level (and direction), function, work content
    for section in doc.get("work_requirements", {}).get("sections", []):
        level, direction = section.get("level", ""), section.get("direction") or ""
        for function in section.get("functions", []):
            function_id = function.get("function")
            fname = function_names.get(function_id, {})
            for content in function.get("work_contents", []):
                wname = _texts(content.get("name"), master)
                for kind, key in (("requirement", "requirements"), ("knowledge", "knowledge")):
                    for entry in content.get(key, []) or []:
                        item(kind, "work", entry, level, direction, [fname, wname],
                             [entry["id"], function_id, content.get("id")],
                             {"function": fname, "function_id": function_id, "work_content": wname,
                              "work_content_id": content.get("id"), "level": level,
                              "level_name": level_names.get(level, {}), "direction": direction,
                              "direction_name": direction_names.get(direction, {})})
    standard_doc["spell"] = _spell_words(spell_source)
    return docs
