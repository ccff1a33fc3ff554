"""Translation stamps: which master text each translated text translates, and which are stale.

A translation records the master text it was made from as a *stamp*, kept on the object that holds
the text, under ``translated_from`` (docs/format.md §5.1)::

    - id: R-J-select-1
      text:
        zh: 能根据监测需求选择传感器型号。
        en: Can select sensor models for monitoring needs.
      translated_from: {text: {en: "5d41402a-9f86d081"}}

A stamp is ``<master>-<translation>``: short fingerprints (8 hex digits of SHA-256) of the master
text and of the translation when it was stamped (``registry translations stamp``). The master part
says what the translation translates: when the master text changes in a new version, its
fingerprint no longer matches and the translation is *stale*, never silently current. The
translation part lets the stamper tell a translation that was revised since (refresh the stamp)
from one nobody touched (leave it stale). A stamp of the master part alone is accepted.

Fingerprints are taken of the text as read, NFC-normalised with runs of white space folded to
one space, so re-quoting, re-indenting or re-folding a YAML scalar does not change them.

Pure functions over loaded documents; no I/O. Pages, exports and the linter all ask
:func:`translation_states` (or :func:`problems`) rather than reading stamps themselves.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .issues import PathParts, json_path
from .rules import STAMP_KEY, iter_texts

CURRENT, STALE, UNSTAMPED, MISSING = "current", "stale", "unstamped", "missing"
STATES = (CURRENT, STALE, UNSTAMPED, MISSING)

_SPACE = re.compile(r"\s+")
STAMP_PATTERN = re.compile(r"([0-9a-f]{8})(?:-([0-9a-f]{8}))?\Z")


def fingerprint(text: str) -> str:
    """8 hex digits identifying a text, insensitive to how YAML quoted, folded or indented it."""
    normal = _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:8]


def make_stamp(master: str, translation: str) -> str:
    """The stamp a translation gets when it is confirmed to translate ``master``."""
    return f"{fingerprint(master)}-{fingerprint(translation)}"


def parse_stamp(value: Any) -> tuple[str, str | None] | None:
    """(master fingerprint, translation fingerprint or None), or None for a malformed stamp."""
    match = STAMP_PATTERN.match(value) if isinstance(value, str) else None
    return (match.group(1), match.group(2)) if match else None


@dataclass(frozen=True)
class Slot:
    """One text of a document and where its stamps live."""

    path: PathParts          # the text: (..., field) or (..., field, index) for a list of texts
    owner: dict              # the object holding the field (and its translated_from)
    field: str
    index: int | None        # position in a list of texts, else None
    text: Any                # a plain string (master only) or a {lang: text} map
    item_id: str | None      # the id of the nearest enclosing object that has one

    def stamps(self) -> dict:
        """The {lang: stamp} of this text (empty when there are none)."""
        table = self.owner.get(STAMP_KEY)
        entry = table.get(self.field) if isinstance(table, dict) else None
        if self.index is not None:
            entry = entry[self.index] if isinstance(entry, list) and self.index < len(entry) else None
        return entry if isinstance(entry, dict) else {}


@dataclass(frozen=True)
class TranslationState:
    """The state of one text in one translation language."""

    path: PathParts
    lang: str
    state: str               # current | stale | unstamped | missing
    item_id: str | None
    edited: bool = False     # stale, but the translation changed since it was stamped

    @property
    def json_path(self) -> str:
        return json_path(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.json_path, "lang": self.lang, "state": self.state, "item_id": self.item_id,
                "edited": self.edited}


def _dig(node: Any, path: PathParts) -> Any:
    for part in path:
        node = node[part]
    return node


def slots(doc: dict) -> Iterator[Slot]:
    """Every text of the document, with its owner object (documents the schema accepts)."""
    for path, text in iter_texts(doc):
        if isinstance(path[-1], int):
            field, index, owner_path = path[-2], path[-1], path[:-2]
        else:
            field, index, owner_path = path[-1], None, path[:-1]
        owner = _dig(doc, owner_path)
        yield Slot(path, owner, field, index, text, _nearest_id(doc, owner_path))


def _nearest_id(doc: dict, path: PathParts) -> str | None:
    found, node = None, doc
    for part in path:
        node = node[part]
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            found = node["id"]
    return found


def translation_languages(doc: dict) -> list[str]:
    languages = doc["languages"]
    return [lang for lang in languages.get("translations") or [] if lang != languages["master"]]


def state_of(slot: Slot, lang: str, master: str) -> TranslationState:
    """The state of ``slot`` in translation language ``lang``."""
    text = slot.text
    translation = text.get(lang) if isinstance(text, dict) else None
    original = text.get(master) if isinstance(text, dict) else text
    if not isinstance(translation, str):
        return TranslationState(slot.path, lang, MISSING, slot.item_id)
    stamp = parse_stamp(slot.stamps().get(lang))
    if stamp is None:
        return TranslationState(slot.path, lang, UNSTAMPED, slot.item_id)
    if isinstance(original, str) and stamp[0] == fingerprint(original):
        return TranslationState(slot.path, lang, CURRENT, slot.item_id)
    edited = stamp[1] is not None and stamp[1] != fingerprint(translation)
    return TranslationState(slot.path, lang, STALE, slot.item_id, edited)


def translation_states(doc: dict, languages: list[str] | None = None) -> list[TranslationState]:
    """The state of every text in every declared translation language (or those given), in
    document order: what a page's badge, an export's column or the linter shows."""
    master = doc["languages"]["master"]
    langs = translation_languages(doc) if languages is None else languages
    return [state_of(slot, lang, master) for slot in slots(doc) for lang in langs]


def problems(doc: dict) -> dict[tuple[str, str], str]:
    """``{(JSON path of the text, language): "stale" | "missing"}`` for a document: the translations
    that must not be shown as current. A small lookup for pages and exports."""
    return {(s.json_path, s.lang): s.state for s in translation_states(doc) if s.state in (STALE, MISSING)}


def coverage(states: list[TranslationState]) -> dict[str, Counter]:
    """Per language, how many texts are in each state."""
    out: dict[str, Counter] = {}
    for state in states:
        out.setdefault(state.lang, Counter())[state.state] += 1
    return out


def orphan_stamps(doc: dict) -> Iterator[tuple[PathParts, str]]:
    """(path of the stamp, why) for every stamp that stamps nothing: an unknown field, a position
    past the end of a list, or a language the text has no translation in."""
    texts = {}
    for slot in slots(doc):
        texts[(id(slot.owner), slot.field, slot.index)] = slot.text
    master = doc["languages"]["master"]
    for owner_path, owner in stamp_owners(doc):
        stamps = owner[STAMP_KEY]
        for field, entry in stamps.items():
            entries = list(enumerate(entry)) if isinstance(entry, list) else [(None, entry)]
            for index, langs in entries:
                if not isinstance(langs, dict):
                    continue
                text = texts.get((id(owner), field, index))
                where = owner_path + (STAMP_KEY, field) + (() if index is None else (index,))
                for lang in langs:
                    if text is None:
                        yield where + (lang,), f"{field!r} is not a text of this object"
                    elif lang == master or not (isinstance(text, dict) and lang in text):
                        yield where + (lang,), f"the text has no {lang!r} translation"


def stamp_owners(node: Any, path: PathParts = ()) -> Iterator[tuple[PathParts, dict]]:
    """(path, object) of every object that has a ``translated_from``."""
    if isinstance(node, dict):
        if isinstance(node.get(STAMP_KEY), dict):
            yield path, node
        for key, value in node.items():
            if key != STAMP_KEY and isinstance(value, (dict, list)):
                yield from stamp_owners(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from stamp_owners(value, path + (i,))
