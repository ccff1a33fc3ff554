"""Item-level differences between two versions of a standard, and the version number they need.

Two versions are compared **by stable ID**, never by position or wording (docs/format.md §6):
every level, direction, work type, function, basic-knowledge group and item, ethics item, work
content, requirement, knowledge item and behaviour is one *item*. For each ID the diff says whether
it was added, removed, reworded, moved (its parent changed) or reordered (same parent, different
position relative to its surviving siblings). A display number that changed only because
something was inserted or removed before it is not a change: numbers follow positions (rule
``numbering``), so they carry no information of their own.

Everything that is not an item and not a weight is *metadata*: a flat list of
``(path, old, new)``. Paths look like JSONPath, but a bracket holds a stable key rather than an
index (``$.overview.training_hours[level=L5].hours``, ``$.functions[F-x].description``), so
inserting one entry into a list does not make every later entry look changed. Lists without such
a key (keywords, issuers, notices...) are compared as whole values.

Change class, as the issue states it: any added or removed item (requirement, knowledge,
behaviour, work content, function, level, direction, work type, ethics or basic-knowledge item),
or any changed weight, needs a new MAJOR version; anything else (rewording, moves, reorders,
metadata) only a MINOR one; ``none`` when the versions differ only in the release fields
(version, edition, effective dates), which always change between versions. A move is MINOR even
across functions or levels: the issue names only additions, removals and weights, and a move that
changes what a level assesses usually comes with a weight change, which makes it MAJOR. Changing
an item's kind (a requirement turned knowledge item) is a removal plus an addition.

Pure functions over the plain dicts that :func:`registry.loader.load_bytes` returns: no I/O.
The documents are expected to be schema-valid; a missing optional part is read as empty.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = [
    "Item", "Location", "ItemChange", "items_of", "WeightChange", "MetadataChange", "Diff",
    "diff_documents", "parse_version", "required_bump", "bump_is_sufficient",
]

MAJOR, MINOR, NONE = "major", "minor", "none"
_FLAGS = ("added", "removed", "reworded", "moved", "reordered")  # the order summaries count them in

_VERSION = re.compile(r"(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})\Z")  # same pattern as the schema
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?\Z")

# Fields that change with every release by design; reported apart so they never make a diff "minor".
_RELEASE_FIELDS: tuple[tuple[str, ...], ...] = (
    ("version",), ("edition",), ("provenance", "effective_from"), ("provenance", "effective_until"),
)
# Top-level keys whose content is reported as items or weights, not as metadata.
_ITEM_KEYS = frozenset({
    "levels", "directions", "functions", "work_types", "basic_requirements",
    "work_requirements", "weights", "behaviours",
})
# Lists of records compared entry by entry, keyed by these fields (lists of records with an `id`
# are keyed by it without being listed here).
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "$.aliases": ("code",),
    "$.overview.training_hours": ("level", "direction"),
    "$.overview.eligibility": ("level",),
}


# --- result types ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """Where an item sits. Work-requirement items use level..work_content; the others use
    ``group`` (the list or basic-knowledge group holding them). ``number`` is the printed number."""

    level: str | None = None
    direction: str | None = None
    function: str | None = None
    work_content: str | None = None
    group: str | None = None
    number: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "direction": self.direction, "function": self.function,
                "work_content": self.work_content, "group": self.group, "number": self.number}


@dataclass(frozen=True)
class ItemChange:
    """One item that differs. ``kind`` is ``added``, ``removed``, or ``+``-joined flags among
    ``moved``/``reordered`` and ``reworded`` (e.g. ``moved+reworded``). Texts are the full values
    as written (a string in the master language or a ``{lang: text}`` map)."""

    kind: str
    item_id: str
    item_kind: str
    old_location: Location | None = None
    new_location: Location | None = None
    old_text: Any = None
    new_text: Any = None

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(self.kind.split("+"))

    @property
    def structural(self) -> bool:
        """Added or removed: the set of things the standard certifies changed."""
        return self.kind in ("added", "removed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "item_id": self.item_id, "item_kind": self.item_kind,
            "old_location": self.old_location.to_dict() if self.old_location else None,
            "new_location": self.new_location.to_dict() if self.new_location else None,
            "old_text": _plain(self.old_text), "new_text": _plain(self.new_text),
        }


@dataclass(frozen=True)
class WeightChange:
    """One weight cell that differs. ``row`` is ``ethics``, ``basic_knowledge`` or a function ID;
    ``None`` is the original's '—' and also stands for a missing row or column (both: not assessed)."""

    table: str
    level: str
    direction: str | None
    row: str
    old: int | None
    new: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "level": self.level, "direction": self.direction,
                "row": self.row, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class MetadataChange:
    """One metadata field that differs; ``None`` on a side means the field is absent there."""

    path: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": _plain(self.old), "new": _plain(self.new)}


@dataclass(frozen=True)
class Diff:
    """Everything that differs between two versions. Values refer to the input documents (they are
    not copied); :meth:`to_dict` returns an independent JSON-ready copy."""

    items: tuple[ItemChange, ...] = ()
    levels_added: tuple[str, ...] = ()
    levels_removed: tuple[str, ...] = ()
    directions_added: tuple[str, ...] = ()
    directions_removed: tuple[str, ...] = ()
    functions_added: tuple[str, ...] = ()
    functions_removed: tuple[str, ...] = ()
    weights: tuple[WeightChange, ...] = ()
    metadata: tuple[MetadataChange, ...] = ()
    release: tuple[MetadataChange, ...] = ()  # version, edition, effective dates: never a change class

    def by_kind(self, flag: str) -> list[ItemChange]:
        """Item changes carrying ``flag`` (``added``, ``removed``, ``reworded``, ``moved``, ``reordered``)."""
        return [c for c in self.items if flag in c.flags]

    @property
    def change_class(self) -> str:
        # Literal rule of the issue: adding or removing anything with a stable ID (levels, directions
        # and functions are items too) or changing a weight alters what is assessed -> MAJOR.
        if any(c.structural for c in self.items) or self.weights:
            return MAJOR
        # Wording, moves, reorders and metadata keep the assessed content -> MINOR.
        if self.items or self.metadata:
            return MINOR
        return NONE

    def counts(self) -> dict[str, int]:
        counts = {flag: len(self.by_kind(flag)) for flag in _FLAGS}
        counts.update(weights=len(self.weights), metadata=len(self.metadata))
        return counts

    def summary(self) -> str:
        """One line for people: ``3 added, 2 removed, 5 reworded, 1 moved; weights changed (2 cells);
        metadata: 4 fields`` (``no changes`` when there are none)."""
        counts = self.counts()
        parts = []
        items = ", ".join(f"{counts[flag]} {flag}" for flag in _FLAGS if counts[flag])
        if items:
            parts.append(items)
        for label, added, removed in (("levels", self.levels_added, self.levels_removed),
                                      ("directions", self.directions_added, self.directions_removed),
                                      ("functions", self.functions_added, self.functions_removed)):
            if added:
                parts.append(f"{label} added: {', '.join(added)}")
            if removed:
                parts.append(f"{label} removed: {', '.join(removed)}")
        if self.weights:
            parts.append(f"weights changed ({len(self.weights)} cell{'s' if len(self.weights) != 1 else ''})")
        if self.metadata:
            parts.append(f"metadata: {len(self.metadata)} field{'s' if len(self.metadata) != 1 else ''}")
        return "; ".join(parts) if parts else "no changes"

    def to_dict(self) -> dict[str, Any]:
        return {
            "change_class": self.change_class,
            "summary": self.summary(),
            "counts": self.counts(),
            "items": [c.to_dict() for c in self.items],
            "levels": {"added": list(self.levels_added), "removed": list(self.levels_removed)},
            "directions": {"added": list(self.directions_added), "removed": list(self.directions_removed)},
            "functions": {"added": list(self.functions_added), "removed": list(self.functions_removed)},
            "weights": [w.to_dict() for w in self.weights],
            "metadata": [m.to_dict() for m in self.metadata],
            "release": [m.to_dict() for m in self.release],
        }


# --- the diff --------------------------------------------------------------------------------


def diff_documents(old: dict, new: dict) -> Diff:
    """Compare two versions of a standard (plain dicts of format 1.0)."""
    masters = (_master(old), _master(new))
    old_items, new_items = _collect(old), _collect(new)
    changes = _item_changes(old_items, new_items, masters)
    metadata = _metadata_changes(_residual(old), _residual(new), masters)
    metadata += _attribute_changes(old_items, new_items, masters)
    return Diff(
        items=tuple(changes),
        levels_added=_ids(changes, "added", "level"),
        levels_removed=_ids(changes, "removed", "level"),
        directions_added=_ids(changes, "added", "direction"),
        directions_removed=_ids(changes, "removed", "direction"),
        functions_added=_ids(changes, "added", "function"),
        functions_removed=_ids(changes, "removed", "function"),
        weights=tuple(_weight_changes(old, new)),
        metadata=tuple(metadata),
        release=tuple(_release_changes(old, new)),
    )


class Item(NamedTuple):
    """An item of one version as the diff sees it: its kind (``ITEM_KINDS`` of the vocabulary), its
    text (a string or a language map) and where it sits."""

    kind: str
    text: Any
    location: Location


def items_of(doc: dict) -> dict[str, Item]:
    """Every item of a document by its stable ID, in document order (what an item permalink names)."""
    return {item_id: Item(e.kind, e.text, e.location) for item_id, e in _collect(doc).items()}


def _ids(changes: list[ItemChange], kind: str, item_kind: str) -> tuple[str, ...]:
    return tuple(c.item_id for c in changes if c.kind == kind and c.item_kind == item_kind)


def _master(doc: dict) -> str | None:
    return (doc.get("languages") or {}).get("master")


# --- items -----------------------------------------------------------------------------------


class _Entry(NamedTuple):
    """An item as found in one version. ``parent`` decides what counts as a move; ``attributes``
    are non-text properties reported as metadata when they change. A tuple, and ``where`` the raw
    fields of a :class:`Location`, because every item of both versions is built and most are equal:
    the dataclasses are made only for the items that are reported."""

    kind: str
    id: str
    text: Any
    where: tuple
    parent: tuple
    attributes: tuple[tuple[str, Any], ...] = ()

    @property
    def location(self) -> Location:
        return Location(*self.where)


def _in_group(group: str, number: str | None = None) -> tuple:
    return (None, None, None, None, group, number)


def _in_table(level: str, direction: str | None, function: str, content: str | None,
              number: str | None) -> tuple:
    return (level, direction, function, content, None, number)


def _collect(doc: dict) -> dict[str, _Entry]:
    """All items by ID, in document order (dict order is what reorder detection relies on)."""
    entries: dict[str, _Entry] = {}
    for part in (_declared(doc), _basic_requirements(doc), _work_requirements(doc), _loose_behaviours(doc)):
        for entry in part:
            entries.setdefault(entry.id, entry)  # a duplicate ID is invalid; keep the first one
    return entries


def _declared(doc: dict) -> Iterator[_Entry]:
    for key, kind in (("levels", "level"), ("directions", "direction"),
                      ("work_types", "work_type"), ("functions", "function")):
        for record in _records(doc.get(key)):
            yield _Entry(kind, record["id"], record.get("name"), _in_group(key), ("list", key),
                         (("description", record.get("description")),))


def _basic_requirements(doc: dict) -> Iterator[_Entry]:
    basic = doc.get("basic_requirements") or {}
    ethics = basic.get("ethics") or {}
    for key in ("knowledge", "code_of_conduct"):
        group = f"ethics.{key}"
        for item in _records(ethics.get(key)):
            yield _text_item("ethics", item, _in_group(group, item.get("number")), ("list", group))
    for bk in _records(basic.get("basic_knowledge")):
        yield _Entry("basic_knowledge", bk["id"], bk.get("title"),
                     _in_group("basic_knowledge", bk.get("number")), ("list", "basic_knowledge"))
        for item in _records(bk.get("items")):
            yield _text_item("basic_knowledge_item", item, _in_group(bk["id"], item.get("number")),
                             ("basic_knowledge", bk["id"]))


def _work_requirements(doc: dict) -> Iterator[_Entry]:
    for section in (doc.get("work_requirements") or {}).get("sections") or []:
        level, direction = section.get("level"), section.get("direction")
        for block in section.get("functions") or []:
            function = block.get("function")
            for content in _records(block.get("work_contents")):
                yield from _work_content(content, level, direction, function)


def _work_content(content: dict, level: str, direction: str | None, function: str) -> Iterator[_Entry]:
    # A work content's parent is its place in the table; its items' parent is the work content
    # alone, so moving a whole work content is one move, not one per requirement.
    yield _Entry("work_content", content["id"], content.get("name"),
                 _in_table(level, direction, function, None, content.get("number")),
                 ("section", level, direction, function),
                 (("work_types", content.get("work_types")),))
    for key, kind in (("requirements", "requirement"), ("knowledge", "knowledge"), ("behaviours", "behaviour")):
        for item in _records(content.get(key)):
            where = _in_table(level, direction, function, content["id"], item.get("number"))
            yield _text_item(kind, item, where, ("work_content", content["id"]))


def _loose_behaviours(doc: dict) -> Iterator[_Entry]:
    for item in _records(doc.get("behaviours")):
        yield _text_item("behaviour", item, _in_group("behaviours", item.get("number")),
                         ("list", "behaviours"))


def _text_item(kind: str, item: dict, where: tuple, parent: tuple) -> _Entry:
    return _Entry(kind, item["id"], item.get("text"), where, parent)


def _records(value: Any) -> list[dict]:
    """The dicts with an ``id`` in a list (tolerates a missing list)."""
    return [v for v in value or [] if isinstance(v, dict) and isinstance(v.get("id"), str)]


def _item_changes(old: dict[str, _Entry], new: dict[str, _Entry], masters: tuple) -> list[ItemChange]:
    reordered = _reordered(old, new)
    changes: list[ItemChange] = []
    for item_id, before in old.items():
        after = new.get(item_id)
        if not _same_item(before, after):
            changes.append(ItemChange("removed", item_id, before.kind, before.location, None, before.text, None))
            continue
        change = _compare(before, after, item_id in reordered, masters)
        if change is not None:
            changes.append(change)
    for item_id, after in new.items():
        if not _same_item(old.get(item_id), after):
            changes.append(ItemChange("added", item_id, after.kind, None, after.location, None, after.text))
    return changes


def _same_item(before: _Entry | None, after: _Entry | None) -> bool:
    # An ID that turned from a requirement into a knowledge item (say) is no longer the same
    # thing: report it as removed and added, which is what it means for assessment.
    return before is not None and after is not None and before.kind == after.kind


def _compare(before: _Entry, after: _Entry, reordered: bool, masters: tuple) -> ItemChange | None:
    flags = []
    if before.parent != after.parent:
        flags.append("moved")
    elif reordered:
        flags.append("reordered")
    if not _same_value(before.text, after.text, masters):
        flags.append("reworded")
    if not flags:
        return None
    return ItemChange("+".join(flags), before.id, before.kind, before.location, after.location,
                      before.text, after.text)


def _reordered(old: dict[str, _Entry], new: dict[str, _Entry]) -> set[str]:
    """IDs that stayed under the same parent but changed position relative to their siblings.

    Within each parent, the siblings present in both versions keep the longest run of their old
    relative order; the others are the ones that were reordered. Insertions and removals alone
    reorder nothing, so the renumbering they cause is not reported.
    """
    position = {item_id: i for i, item_id in enumerate(new)}
    groups: dict[tuple, list[str]] = {}
    for item_id, before in old.items():  # old document order
        after = new.get(item_id)
        if _same_item(before, after) and before.parent == after.parent:
            groups.setdefault(before.parent, []).append(item_id)
    moved: set[str] = set()
    for siblings in groups.values():
        in_new_order = sorted(siblings, key=position.__getitem__)
        if in_new_order == siblings:  # the usual case: nothing to search
            continue
        old_rank = {item_id: i for i, item_id in enumerate(siblings)}
        kept = _longest_increasing([old_rank[i] for i in in_new_order])
        moved.update(item_id for k, item_id in enumerate(in_new_order) if k not in kept)
    return moved


def _longest_increasing(values: list[int]) -> set[int]:
    """Indices of one longest strictly increasing subsequence (patience sorting, O(n log n))."""
    tails: list[int] = []       # tails[k]: value ending the best run of length k + 1
    tail_index: list[int] = []  # ...and its index in values
    previous = [-1] * len(values)
    for i, value in enumerate(values):
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_index.append(i)
        else:
            tails[k], tail_index[k] = value, i
        previous[i] = tail_index[k - 1] if k else -1
    kept, i = set(), tail_index[-1] if tail_index else -1
    while i != -1:
        kept.add(i)
        i = previous[i]
    return kept


# Where attribute paths say an item lives; they name the item by ID, wherever it sits.
_ATTRIBUTE_CONTAINERS = {"level": "levels", "direction": "directions", "work_type": "work_types",
                         "function": "functions", "work_content": "work_contents"}


def _attribute_changes(old: dict[str, _Entry], new: dict[str, _Entry], masters: tuple) -> list[MetadataChange]:
    """Non-text properties of items that survived (descriptions, work-type tags) as metadata;
    added and removed items carry theirs in the item change already."""
    out = []
    for item_id, before in old.items():
        after = new.get(item_id)
        if not _same_item(before, after):
            continue
        container = _ATTRIBUTE_CONTAINERS.get(before.kind)
        for (name, was), (_, now) in zip(before.attributes, after.attributes):
            if not _same_value(was, now, masters):
                out.append(MetadataChange(f"$.{container}[{item_id}].{name}", was, now))
    return out


# --- weights ---------------------------------------------------------------------------------


def _weight_changes(old: dict, new: dict) -> Iterator[WeightChange]:
    before, after = _weight_cells(old), _weight_cells(new)
    for key in list(before) + [k for k in after if k not in before]:
        if before.get(key) != after.get(key):
            yield WeightChange(*key, before.get(key), after.get(key))


def _weight_cells(doc: dict) -> dict[tuple, int | None]:
    """(table, level, direction, row) -> weight; a missing cell reads as None, like '—'."""
    cells: dict[tuple, int | None] = {}
    weights = doc.get("weights") or {}
    for table in ("theory", "skills"):
        for column in weights.get(table) or []:
            where = (table, column.get("level"), column.get("direction"))
            for row in ("ethics", "basic_knowledge"):
                cells[where + (row,)] = column.get(row)
            for function, weight in (column.get("functions") or {}).items():
                cells[where + (function,)] = weight
    return cells


# --- metadata --------------------------------------------------------------------------------


def _release_changes(old: dict, new: dict) -> Iterator[MetadataChange]:
    for path in _RELEASE_FIELDS:
        was, now = _dig(old, path), _dig(new, path)
        if was != now:
            yield MetadataChange("$." + ".".join(path), was, now)


def _dig(doc: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def _residual(doc: dict) -> dict:
    """The document minus items, weights and release fields: what metadata is compared on."""
    rest = {k: v for k, v in doc.items() if k not in _ITEM_KEYS and k not in ("version", "edition")}
    if isinstance(rest.get("provenance"), dict):
        rest["provenance"] = {k: v for k, v in rest["provenance"].items()
                              if k not in ("effective_from", "effective_until")}
    rest["work_requirements"] = _skeleton(doc.get("work_requirements") or {})
    return rest


def _skeleton(work_requirements: dict) -> dict:
    """The parts of the work requirements that are not items: labels, prefaces, and which
    functions each section uses in which order (work contents carry their own place)."""
    sections = {}
    for section in work_requirements.get("sections") or []:
        key = f"level={section.get('level')}"
        if section.get("direction") is not None:
            key += f",direction={section['direction']}"
        sections[key] = {"preface": section.get("preface"),
                         "functions": [block.get("function") for block in section.get("functions") or []]}
    return {"column_label": work_requirements.get("column_label"),
            "nesting": work_requirements.get("nesting", "level-direction"),  # the schema default
            "preface": work_requirements.get("preface"),
            "sections": sections}


def _metadata_changes(old: dict, new: dict, masters: tuple) -> list[MetadataChange]:
    out: list[MetadataChange] = []
    _walk(old, new, "$", masters, out)
    return out


def _walk(was: Any, now: Any, path: str, masters: tuple, out: list[MetadataChange]) -> None:
    """Descend both versions together and report the highest path that differs, so a record that
    exists on one side only is one change (with its whole value), not one per field."""
    if _same_value(was, now, masters):
        return
    if _is_record(was) and _is_record(now):
        for key in list(was) + [k for k in now if k not in was]:
            child = path + (f".{key}" if key.isidentifier() else f"[{key}]")
            _walk(was.get(key), now.get(key), child, masters, out)
        return
    old_keyed, new_keyed = _keyed(path, was), _keyed(path, now)
    if old_keyed is not None and new_keyed is not None:
        for key in list(old_keyed) + [k for k in new_keyed if k not in old_keyed]:
            _walk(old_keyed.get(key), new_keyed.get(key), f"{path}[{key}]", masters, out)
        return
    out.append(MetadataChange(path, was, now))  # a text, a scalar, or a list without keys


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and not _is_text(value)


def _keyed(path: str, records: Any) -> dict[str, Any] | None:
    """Entries of a list of records by their natural key, or None when the list has none."""
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        return None
    fields = _LIST_KEYS.get(path)
    if fields is not None:
        keys = [",".join(f"{f}={r[f]}" for f in fields if r.get(f) is not None) for r in records]
    elif all(isinstance(r.get("id"), str) for r in records):
        keys = [r["id"] for r in records]
    else:
        return None
    keyed: dict[str, Any] = {}
    for key, record in zip(keys, records):
        while key in keyed:  # an invalid duplicate: keep both rather than hide one
            key += "+"
        keyed[key] = record
    return keyed


def _is_text(value: dict) -> bool:
    return bool(value) and all(isinstance(k, str) and _LANGUAGE.match(k) and isinstance(v, str)
                               for k, v in value.items())


def _same_value(was: Any, now: Any, masters: tuple) -> bool:
    """Equal, counting a plain string as the master-language entry of a text map: writing
    ``"x"`` as ``{zh: "x"}`` is a change of layout, not of wording (adding ``en`` is one)."""
    if was == now or (_empty(was) and _empty(now)):  # absent, null and empty all mean "none"
        return True
    if isinstance(was, str) and isinstance(now, dict):
        return {masters[0]: was} == now
    if isinstance(was, dict) and isinstance(now, str):
        return was == {masters[1]: now}
    return False


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _plain(value: Any) -> Any:
    """An independent copy of a JSON value, so API output never aliases the documents."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --- versions --------------------------------------------------------------------------------


def parse_version(version: str) -> tuple[int, int]:
    """``"1.10"`` -> ``(1, 10)``; anything but MAJOR.MINOR (as the schema allows it) is refused."""
    match = _VERSION.match(version) if isinstance(version, str) else None
    if match is None:
        raise ValueError(f"not a MAJOR.MINOR version: {version!r}")
    return int(match.group(1)), int(match.group(2))


def required_bump(old_version: str, diff: Diff) -> str:
    """The smallest version the diff allows after ``old_version``: ``2.0`` after ``1.3`` for a
    major change, ``1.4`` for a minor one (and for no change: a new version must still be newer)."""
    major, minor = parse_version(old_version)
    if diff.change_class == MAJOR:
        return f"{major + 1}.0"
    return f"{major}.{minor + 1}"


def bump_is_sufficient(old_version: str, new_version: str, diff: Diff) -> bool:
    """Whether publishing ``new_version`` after ``old_version`` respects the diff's change class."""
    old, new = parse_version(old_version), parse_version(new_version)
    if new <= old:
        return False
    if diff.change_class == MAJOR:
        return new[0] > old[0]
    return True
