"""The names a search page gives the values of its direction facet, read from the catalog cheaply.

A direction's name is what the latest version of a standard calls it. Reading the latest version of
every standard in a search's facet for each page (a few thousand at national scale) was most of a
search page's time, so two things are remembered, per process:

* which version is the latest of each standard, per catalog engine, until the change log's head moves
  (every publication appends to it in the same transaction, so an unchanged head means an unchanged
  catalog);
* a document's ``directions``, by the sha256 of its source: a version's bytes never change, so such an
  entry never goes stale.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from ..models import StandardVersion
from .catalog import change_log_head

#: sources whose directions are remembered at most (a national catalog has a few thousand latest versions)
REMEMBERED_SOURCES = 20_000


class _Memory:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # engine -> (change log head, [(code, sha256)] of the latest versions, oldest first)
        self._latest: weakref.WeakKeyDictionary[Engine, tuple[int, list[tuple[str, str]]]] = \
            weakref.WeakKeyDictionary()
        self._directions: dict[str, list] = {}

    def latest(self, session: Session) -> list[tuple[str, str]]:
        engine = session.get_bind()
        head = change_log_head(session)
        with self._lock:
            known = self._latest.get(engine)
        if known is not None and known[0] == head:
            return known[1]
        ids = select(func.max(StandardVersion.id)).group_by(StandardVersion.code)
        rows = [(code, sha) for code, sha in session.exec(
            select(StandardVersion.code, StandardVersion.sha256)
            .where(StandardVersion.id.in_(ids))  # type: ignore[attr-defined]
            .order_by(StandardVersion.id))]
        with self._lock:
            self._latest[engine] = (head, rows)
        return rows

    def directions(self, session: Session, latest: list[tuple[str, str]]) -> dict[str, list]:
        """``{sha256: directions}`` of every source in ``latest``, reading only those not seen before
        (by a JSON path, so that only the directions leave the database)."""
        known = self._directions  # replaced, never cleared, when full: this one stays whole
        missing = [sha for _code, sha in latest if sha not in known]
        found: dict[str, list] = {}
        if missing:
            column = StandardVersion.document["directions"]  # type: ignore[index]
            found = {sha: listed or [] for sha, listed in session.exec(
                select(StandardVersion.sha256, column).where(StandardVersion.sha256.in_(missing)))}  # type: ignore[attr-defined]
            with self._lock:
                if len(self._directions) + len(found) > REMEMBERED_SOURCES:
                    self._directions = {}
                self._directions.update(found)
        return {sha: found[sha] if sha in found else known.get(sha, []) for _code, sha in latest}

_memory = _Memory()


def direction_names(session: Session, codes: set[str]) -> dict[str, Any]:
    """``{direction id: name}`` (a document's ``{"zh": ..., "en": ...}``) as the latest versions of the
    standards ``codes`` name their directions, for naming a search's direction facet (the first
    published name wins)."""
    if not codes:
        return {}
    latest = [(code, sha) for code, sha in _memory.latest(session) if code in codes]
    directions = _memory.directions(session, latest)
    names: dict[str, Any] = {}
    for _code, sha in latest:
        for direction in directions.get(sha) or ():
            names.setdefault(direction.get("id"), direction.get("name"))
    return names
