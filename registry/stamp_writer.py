"""Writing translation stamps into a standard's YAML text (``registry translations stamp``).

Only the ``translated_from`` entries change: they are replaced, inserted right after the last text
they stamp (a new line at the same indentation in block style, ``, translated_from: {…}`` in a flow
mapping) or removed, in the text itself, so comments, key order, quoting and layout stay as the
author wrote them. The result is loaded again and must hold exactly the same document apart from
the stamps, or nothing is written. What gets stamped is decided by
:mod:`registry.translation_stamps` (see :func:`stamp_source`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events as ev

from . import translation_stamps as stamps
from .issues import PathParts
from .rules import STAMP_KEY

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class StampError(Exception):
    """The file cannot be stamped (it is not a valid standard, or the edit would not be exact)."""


@dataclass
class StampResult:
    source: bytes
    stamped: int = 0      # translations stamped for the first time
    refreshed: int = 0    # stamps renewed: the translation was edited since (or --accept-stale)
    left_stale: int = 0   # stale translations nobody edited, left stale
    removed: int = 0      # stamps that stamped nothing
    changed: bool = False


def stamp_source(source: bytes, *, file: str | None = None, languages: tuple[str, ...] | None = None,
                 accept_stale: bool = False) -> StampResult:
    """Stamp the translations of one document.

    A translation without a stamp is stamped; one whose stamp still names the current master text
    keeps it (its translation part is renewed if the translation was revised); a stale one is
    re-stamped only when its translation was edited since its stamp, or with ``accept_stale``.
    Stamps of languages, fields or positions that hold no translation are removed.
    """
    from .validate import validate_bytes

    report = validate_bytes(source, file=file, check_path=False)
    if report.document is None or not report.valid:
        raise StampError(f"not a valid standard ({len(report.issues)} problem(s)); run registry validate first")
    doc = report.document.data
    result = StampResult(source)
    tables = _new_tables(doc, languages, accept_stale, result)
    edits = []
    text = source.decode("utf-8")
    places = _places(text)
    for owner_path, (owner, fields, table) in tables.items():
        if table != owner.get(STAMP_KEY):
            edits.append(_edit(text, places[owner_path], fields, table))
    if not edits:
        return result
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    new_source = text.encode("utf-8")
    _check(doc, tables, new_source)
    result.source, result.changed = new_source, True
    return result


def _new_tables(doc: dict, languages, accept_stale: bool, result: StampResult) -> dict[PathParts, tuple]:
    """owner path -> (owner, its text fields in order, the translated_from it should have or None)."""
    master = doc["languages"]["master"]
    targets = [lang for lang in stamps.translation_languages(doc) if languages is None or lang in languages]
    owners: dict[PathParts, list] = {}
    for slot in stamps.slots(doc):
        owner_path = slot.path[:-2] if slot.index is not None else slot.path[:-1]
        entry = owners.setdefault(owner_path, [slot.owner, [], {}])
        if slot.field not in entry[1]:
            entry[1].append(slot.field)
        langs = _slot_stamps(slot, master, targets, accept_stale, result)
        if slot.index is None:
            if langs:
                entry[2][slot.field] = langs
        else:
            column = entry[2].setdefault(slot.field, [])
            column.extend([None] * (slot.index + 1 - len(column)))
            column[slot.index] = langs or None
    result.removed = sum(1 for _ in stamps.orphan_stamps(doc))
    for owner_path, owner in stamps.stamp_owners(doc):
        owners.setdefault(owner_path, [owner, [], {}])
    out = {}
    for owner_path, (owner, fields, table) in owners.items():
        for field, value in list(table.items()):
            if isinstance(value, list):
                while value and value[-1] is None:
                    value.pop()
                if not value:
                    del table[field]
        out[owner_path] = (owner, fields, table or None)
    return out


def _slot_stamps(slot: stamps.Slot, master: str, targets: list[str], accept_stale: bool,
                 result: StampResult) -> dict[str, str]:
    text = slot.text if isinstance(slot.text, dict) else {}
    original = text.get(master)
    kept = {}
    for lang, value in slot.stamps().items():
        if lang != master and isinstance(text.get(lang), str) and lang not in targets:
            kept[lang] = value  # a language not being stamped keeps its stamp
    for lang in targets:
        translation = text.get(lang)
        if not isinstance(translation, str) or not isinstance(original, str):
            continue
        old = stamps.parse_stamp(slot.stamps().get(lang))
        fresh = stamps.make_stamp(original, translation)
        if old is None:
            result.stamped += 1
            kept[lang] = fresh
        elif old[0] == stamps.fingerprint(original):
            kept[lang] = fresh  # current; the translation part follows revisions of the translation
        elif (old[1] is not None and old[1] != stamps.fingerprint(translation)) or accept_stale:
            result.refreshed += 1
            kept[lang] = fresh
        else:
            result.left_stale += 1
            kept[lang] = slot.stamps()[lang]
    return kept


# --- where things are in the text ----------------------------------------------------------------


@dataclass
class _Mapping:
    flow: bool
    close: int                                   # flow: the index of "}"
    entries: dict[str, tuple[int, int, int]]     # key -> (key start, value end, key column)


def _places(text: str) -> dict[PathParts, _Mapping]:
    """The mappings of the text by path, with where each entry's key starts and its value ends."""
    places: dict[PathParts, _Mapping] = {}
    stack: list[dict[str, Any]] = []
    for event in yaml.parse(text, Loader=_Loader):
        kind = type(event)
        if kind in (ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent):
            top = stack[-1] if stack else None
            if top is not None and top["map"] and top["key"] is None:
                top["key"], top["key_at"] = event.value, (event.start_mark.index, event.start_mark.column)
                continue
            path = () if top is None else top["path"] + ((top["key"] if top["map"] else top["n"]),)
            if kind is ev.ScalarEvent:
                _close_value(stack, event.end_mark.index)
                continue
            frame = {"map": kind is ev.MappingStartEvent, "path": path, "key": None, "n": 0, "last": None,
                     "flow": bool(event.flow_style), "entries": {}}
            stack.append(frame)
        elif kind in (ev.MappingEndEvent, ev.SequenceEndEvent):
            frame = stack.pop()
            end = event.end_mark.index if frame["flow"] else frame["last"]
            if frame["map"]:
                places[frame["path"]] = _Mapping(frame["flow"], event.start_mark.index, frame["entries"])
            _close_value(stack, end if end is not None else event.start_mark.index)
    return places


def _close_value(stack: list[dict[str, Any]], end: int) -> None:
    if not stack:
        return
    top = stack[-1]
    top["last"] = end
    if top["map"]:
        top["entries"][top["key"]] = (top["key_at"][0], end, top["key_at"][1])
        top["key"] = None
    else:
        top["n"] += 1


def _flow(table: dict) -> str:
    def one(langs: dict | None) -> str:
        if langs is None:
            return "null"
        return "{" + ", ".join(f"{lang}: {json.dumps(value)}" for lang, value in langs.items()) + "}"

    parts = []
    for field, value in table.items():
        shown = "[" + ", ".join(one(v) for v in value) + "]" if isinstance(value, list) else one(value)
        parts.append(f"{field}: {shown}")
    return "{" + ", ".join(parts) + "}"


def _line_end(text: str, index: int) -> int:
    """The index just past the end of the line holding ``index - 1`` (where a new line can go)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _edit(text: str, mapping: _Mapping, fields: list[str], table: dict | None) -> tuple[int, int, str]:
    """(start, end, replacement) that gives ``mapping`` the stamp table ``table`` (None: none)."""
    existing = mapping.entries.get(STAMP_KEY)
    entry = f"{STAMP_KEY}: {_flow(table)}" if table else ""
    if existing is not None:
        start, end, _ = existing
        if table:
            return start, end, entry
        if mapping.flow:  # drop ", translated_from: {...}"
            comma = text.rfind(",", 0, start)
            return comma, end, ""
        line_start = text.rfind("\n", 0, start) + 1
        return line_start, _line_end(text, end), ""
    after = max((mapping.entries[f] for f in fields if f in mapping.entries), key=lambda e: e[1])
    if mapping.flow:
        return after[1], after[1], ", " + entry
    at = _line_end(text, after[1])
    prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
    return at, at, f"{prefix}{' ' * after[2]}{entry}\n"


def _without_stamps(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_stamps(v) for k, v in node.items() if k != STAMP_KEY}
    if isinstance(node, list):
        return [_without_stamps(v) for v in node]
    return node


def _dig(node: Any, path: PathParts) -> Any:
    for part in path:
        node = node[part]
    return node


def _check(doc: dict, tables: dict, new_source: bytes) -> None:
    """The stamped text must load to the same document, with exactly the intended stamps."""
    from .loader import LoadError, load_bytes

    try:
        new = load_bytes(new_source).data
    except LoadError as error:  # pragma: no cover - a bug in the edit, never the author's doing
        raise StampError(f"stamping would break the file ({error}); it was left unchanged") from None
    if _without_stamps(new) != _without_stamps(doc) or any(
            _dig(new, path).get(STAMP_KEY) != table for path, (_, _, table) in tables.items()):
        raise StampError("the stamps could not be placed exactly; the file was left unchanged")  # pragma: no cover
