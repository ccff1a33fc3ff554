"""What the diff tables show: for each changed value, the languages whose text changed, with the
changed words marked; other values as readable text; the summary in the interface language.

A document's texts are ``{language: text}`` maps (or a plain string in the master language).
Showing them through the interface language alone hides a change made only to the master text
(an English reader would see the same English before and after), so every language whose text
differs is shown, each marked with its language.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from ..diff import Diff, Location
from ..documents import level_name, text_in
from ..vocabulary import CHANGE_KINDS, ITEM_KINDS, label

#: a CJK character is a word of its own; other words, spaces and punctuation are tokens too
_TOKENS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class LanguageChange:
    lang: str | None  # None: a value that is not a text in languages (a number, a list of codes)
    before: tuple[Segment, ...]
    after: tuple[Segment, ...]


def declared_languages(*docs: dict | None) -> list[str]:
    """The languages of the documents, master languages first."""
    out: list[str] = []
    for doc in docs:
        languages = (doc or {}).get("languages") or {}
        for code in [languages.get("master"), *(languages.get("translations") or [])]:
            if code and code not in out:
                out.append(code)
    return out or ["zh"]


def changes(old: Any, new: Any, ui: str, *docs: dict | None, texts: bool = False) -> list[LanguageChange]:
    """The languages in which ``old`` and ``new`` differ (all shown languages for an addition or a
    removal: the master and the interface language), each with its changed words marked.

    ``texts``: the values are document texts, so a plain string is the master language's text;
    otherwise plain strings (codes, slugs) belong to no language.
    """
    languages = declared_languages(*docs)
    master = languages[0]
    if not (texts or _has_texts(old, languages) or _has_texts(new, languages)):
        before, after = _readable(old, None, master, languages), _readable(new, None, master, languages)
        return [_marked(None, before, after)] if before != after else []
    order = list(dict.fromkeys([master, ui, *languages]))
    out = []
    for code in order:
        before, after = _readable(old, code, master, languages), _readable(new, code, master, languages)
        one_sided = old is None or new is None
        if before == after or (one_sided and code not in (master, ui)) or not (before or after):
            continue
        out.append(_marked(code, before, after))
    return out


def _has_texts(value: Any, languages: list[str]) -> bool:
    if isinstance(value, dict):
        return _is_texts(value, languages) or any(_has_texts(v, languages) for v in value.values())
    if isinstance(value, list):
        return any(_has_texts(v, languages) for v in value)
    return False


def _is_texts(value: dict, languages: list[str]) -> bool:
    return bool(value) and all(k in languages and isinstance(v, str) for k, v in value.items())


def _readable(value: Any, code: str | None, master: str, languages: list[str]) -> str:
    """A value as a person reads it, in language ``code``: lists joined with "; ", records as
    "key: value", texts in that language (a plain string belongs to the master language)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value if code in (None, master) else ""
    if isinstance(value, dict):
        if _is_texts(value, languages):
            return value.get(code, "") if code else text_in(value, master, master)
        return ", ".join(f"{k}: {_readable(v, code or master, master, languages)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(s for s in (_readable(v, code, master, languages) for v in value) if s)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _marked(code: str | None, before: str, after: str) -> LanguageChange:
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    old: list[Segment] = []
    new: list[Segment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        _append(old, "".join(a[i1:i2]), op != "equal")
        _append(new, "".join(b[j1:j2]), op != "equal")
    return LanguageChange(code, tuple(old), tuple(new))


def _append(segments: list[Segment], text: str, changed: bool) -> None:
    if not text:
        return
    if segments and segments[-1].changed == changed:
        segments[-1] = Segment(segments[-1].text + text, changed)
    else:
        segments.append(Segment(text, changed))


def where(location: Location | None, doc: dict, ui: str) -> str:
    """Where an item sits, in words: "Level 4 / Intermediate worker · Data annotation · 2.1.3"."""
    if location is None:
        return ""
    master = doc["languages"]["master"]
    functions = {f["id"]: f for f in doc.get("functions") or []}
    parts = []
    if location.level:
        parts.append(level_name(doc, location.level, ui) if any(lv["id"] == location.level for lv in doc["levels"])
                     else location.level)
    if location.function:
        known = functions.get(location.function)
        parts.append(text_in(known["name"], ui, master) if known else location.function)
    elif location.group:
        parts.append(location.group)
    if location.number:
        parts.append(location.number)
    return " · ".join(parts)


def part_name(kind: str, part_id: str, doc: dict, old_doc: dict | None, ui: str) -> str:
    """The name of a function or direction by its ID (from the newer document, else the older one)."""
    for source in (doc, old_doc or {}):
        for record in source.get(kind + "s") or []:
            if record.get("id") == part_id and record.get("name"):
                return text_in(record["name"], ui, source["languages"]["master"])
    return part_id


#: how the summary is worded in each interface language
_WORDING = {
    "en": {"item": "{n} {kind}", "added": "{what} added: {ids}", "removed": "{what} removed: {ids}",
           "weights": "weights changed ({n} cells)", "metadata": "{n} other fields", "none": "no changes",
           "join": ", ", "parts": "; ", "plural": "s"},
    "zh": {"item": "{kind} {n} 项", "added": "新增{what}：{ids}", "removed": "删除{what}：{ids}",
           "weights": "权重变更 {n} 处", "metadata": "其他字段 {n} 处", "none": "无变更",
           "join": "，", "parts": "；", "plural": ""},
}


def summary(diff: Diff, lang: str) -> str:
    """:meth:`Diff.summary` in ``lang``: counts of each kind of change, structural changes, weights."""
    words = _WORDING.get(lang, _WORDING["en"])
    counts = diff.counts()
    parts = []
    items = words["join"].join(words["item"].format(n=counts[flag], kind=label(CHANGE_KINDS, flag, lang))
                               for flag in CHANGE_KINDS if counts[flag])
    if items:
        parts.append(items)
    for kind, added, removed in (("level", diff.levels_added, diff.levels_removed),
                                 ("direction", diff.directions_added, diff.directions_removed),
                                 ("function", diff.functions_added, diff.functions_removed)):
        what = label(ITEM_KINDS, kind, lang) + words["plural"]
        for key, ids in (("added", added), ("removed", removed)):
            if ids:
                parts.append(words[key].format(what=what, ids=", ".join(ids)))
    if diff.weights:
        parts.append(words["weights"].format(n=len(diff.weights)))
    if diff.metadata:
        parts.append(words["metadata"].format(n=len(diff.metadata)))
    return words["parts"].join(parts) if parts else words["none"]
