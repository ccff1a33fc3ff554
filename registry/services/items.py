"""Item permalinks: one item of one version (``/standards/{code}/{version}/items/{id}``), and "whatever
that item is in the version in force" (``/standards/{code}/latest/items/{id}``).

Items are named by their stable IDs, kept across versions (docs/format.md §6), so a curriculum or an
assessment can cite "4-04-05-05 2.0, item R-L3-analysis-process-1" and follow it to the version in
force. An item that the version in force no longer has is *removed*: the page says in which version it
was removed and what that version added in its place (from the diff of the last version that had it
with the next one: the items added under the same work content or group, see :func:`replacements`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from ..clock import Clock
from ..diff import Item, ItemChange, diff_documents, items_of
from ..errors import NotFound
from ..lifecycle import Standing
from ..models import StandardVersion
from .standing import History, history


@dataclass
class ItemPage:
    """One item of one version, with the version's standing today."""

    version: StandardVersion
    item_id: str
    item: Item
    standing: Standing
    history: History

    @property
    def document(self) -> dict:
        return self.version.document

    @property
    def in_force(self) -> Any:
        return self.history.in_force()


@dataclass
class Removal:
    """An item the version in force does not have: the last version that had it, the version that
    removed it, and the items that version added in its place."""

    code: str
    item_id: str
    last: StandardVersion
    removed_in: StandardVersion
    item: Item
    replaced_by: list[ItemChange] = field(default_factory=list)
    in_force: Any | None = None


def _versions(session: Session, code: str) -> list[StandardVersion]:
    rows = session.exec(select(StandardVersion).where(StandardVersion.code == code))
    return sorted(rows, key=lambda v: (v.major, v.minor))


def item_page(session: Session, code: str, version: str, item_id: str, clock: Clock) -> ItemPage:
    """The item ``item_id`` of ``version``; NotFound names the versions that have it, if any."""
    hist = history(session, code, clock)
    hist.row(version)  # NotFound for an unknown version
    rows = _versions(session, code)
    row = next(v for v in rows if v.version == version)
    found = items_of(row.document).get(item_id)
    if found is None:
        having = [v.version for v in rows if item_id in items_of(v.document)]
        where = f"; it is in version {', '.join(having)}" if having else ""
        raise NotFound(f"version {version} of {code} has no item {item_id!r}{where}",
                       details={"versions": having})
    return ItemPage(row, item_id, found, hist.standing(version), hist)


def latest_item(session: Session, code: str, item_id: str, clock: Clock) -> ItemPage | Removal | None:
    """The item in the version in force today (an :class:`ItemPage`), or its :class:`Removal` when
    that version no longer has it; None when no version is in force. NotFound for an ID that no
    version ever had."""
    hist = history(session, code, clock)
    current = hist.in_force()
    rows = [v for v in _versions(session, code) if v.withdrawn_at is None]
    if current is not None:
        row = next(v for v in rows if v.version == current.version)
        found = items_of(row.document).get(item_id)
        if found is not None:
            return ItemPage(row, item_id, found, hist.standing(row.version), hist)
    having = [v for v in rows if item_id in items_of(v.document)]
    if not having:
        raise NotFound(f"no version of {code} has an item {item_id!r}")
    if current is None:
        return None
    # the last version up to the one in force that had it, and the next one, which removed it
    before = [v for v in having if (v.major, v.minor) < (current.major, current.minor)]
    last = before[-1] if before else having[-1]
    later = [v for v in rows if (v.major, v.minor) > (last.major, last.minor)]
    removed_in = later[0] if later else current
    item = items_of(last.document)[item_id]
    diff = diff_documents(last.document, removed_in.document)
    return Removal(code, item_id, last, removed_in, item, replacements(diff.items, item_id, item), current)


def replacements(changes, item_id: str, item: Item) -> list[ItemChange]:
    """What a diff added in place of a removed item: the items added under its own work content (or
    group); when its work content was removed with it, those added under the same function at its
    level (and direction), as a restructured function; of the same kind first. Nothing else: an item
    added elsewhere is not a replacement."""
    added = [c for c in changes if c.kind == "added" and c.new_location is not None and c.item_id != item_id]
    where = item.location
    content_gone = any(c.kind == "removed" and c.item_id == where.work_content for c in changes)

    def near(change: ItemChange) -> int:
        there = change.new_location
        if where.work_content and there.work_content == where.work_content:
            return 0
        if content_gone and where.function and there.work_content and \
                (there.function, there.level, there.direction) == (where.function, where.level, where.direction):
            return 1
        if where.group and there.group == where.group:
            return 0
        return 9

    ranked = sorted((c for c in added if near(c) < 9), key=lambda c: (near(c), c.item_kind != item.kind))
    closest = near(ranked[0]) if ranked else None
    return [c for c in ranked if near(c) == closest]
