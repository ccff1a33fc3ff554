"""The catalog as the search index sees it: an ordered feed of changes, and the drafts a caller may see.

The catalog's change log (``ChangeLog``) is the one source of truth of every index: each publish or
withdrawal appends an entry with a ``seq`` in commit order (PostgreSQL may show seqs out of order for
a moment: :mod:`registry.search.changes`). :class:`CatalogFeed` turns entries into records
(:mod:`registry.search.records`), so that no engine module reads the catalog itself.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator
from datetime import date

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from ..clock import Clock
from ..db import make_engine, read_session
from ..lifecycle import PUBLISHED
from ..models import ChangeLog, StandardVersion
from .records import Changes, Removal, VersionRecord

#: what the index records of a version: in the catalog and not withdrawn (which version is in force
#: on a day is decided when a search runs: :meth:`CatalogFeed.in_force`), or withdrawn (removed)
INDEXED, WITHDRAWN = "published", "withdrawn"


class CatalogFeed:
    """The catalog seen as an ordered feed of changes (what ``SearchIndex`` needs)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._in_force: dict[tuple[int, date], frozenset[tuple[str, str]]] = {}
        self._in_force_lock = threading.Lock()

    def __reduce__(self):  # a spawned build worker gets a feed with its own engine
        return (_feed_from_url, (self.engine.url.render_as_string(hide_password=False),))

    def head(self) -> int:
        from ..services.catalog import change_log_head

        with read_session(self.engine) as session:
            return change_log_head(session)

    def changes(self, after: int, limit: int) -> tuple[list[VersionRecord | Removal], int]:
        """The current state of every version named by the entries after ``after`` (at most ``limit``)."""
        read = self.read(after, limit)
        return read.records, read.last

    def read(self, after: int, limit: int, recheck: Collection[int] = (), *, records: bool = True) -> Changes:
        """Like :meth:`changes`, plus the entries of the seqs in ``recheck`` (gaps seen earlier: seqs a
        transaction took before another one but committed after it), with every seq seen (only the
        seqs when not ``records``)."""
        columns = (ChangeLog.seq, ChangeLog.version_id, ChangeLog.code, ChangeLog.version)
        with read_session(self.engine) as session:
            entries = list(session.exec(select(*columns).where(ChangeLog.seq > after)
                                        .order_by(ChangeLog.seq).limit(limit)))
            late = list(session.exec(select(*columns).where(ChangeLog.seq.in_(list(recheck))))) if recheck else []  # type: ignore[attr-defined]
            named = {e.version_id: e for e in [*late, *entries]} if records else {}
            rows = {row.id: row for row in session.exec(
                select(StandardVersion.id, StandardVersion.code, StandardVersion.version, StandardVersion.withdrawn_at,
                       StandardVersion.document).where(StandardVersion.id.in_(list(named))))} if named else {}  # type: ignore[attr-defined]
        found: list[VersionRecord | Removal] = []
        for version_id, entry in named.items():
            row = rows.get(version_id)
            if row is None:
                found.append(Removal(entry.code, entry.version))
            else:
                status = WITHDRAWN if row.withdrawn_at is not None else INDEXED
                found.append(VersionRecord(row.code, row.version, status, row.document, row.id))
        return Changes(found, entries[-1].seq if entries else after, [e.seq for e in [*entries, *late]])

    def versions(self, part: int, parts: int) -> Iterator[VersionRecord]:
        """Every searchable version (not withdrawn), the share ``part`` of ``parts``."""
        query = (select(StandardVersion.id, StandardVersion.code, StandardVersion.version, StandardVersion.document)
                 .where(StandardVersion.withdrawn_at.is_(None))  # type: ignore[union-attr]
                 .order_by(StandardVersion.id))
        if parts > 1:
            query = query.where(StandardVersion.id % parts == part)
        with read_session(self.engine) as session:
            result = session.exec(query.execution_options(yield_per=50))
            for row in result:
                yield VersionRecord(row.code, row.version, INDEXED, row.document, row.id)

    # -- which versions a search covers, decided when it runs (the time model, not the index)

    def in_force(self, clock: Clock, day: date | None) -> frozenset[tuple[str, str]]:
        """``(code, version)`` of every version in force on ``day`` (None: of every version that is not
        withdrawn): one query of the change log's head, and the catalog's light rows once per head and
        day (the same frozenset object meanwhile, which the engine's masks are cached by)."""
        from ..services.standing import histories

        key = (self.head(), day)
        with self._in_force_lock:
            found = self._in_force.get(key)
        if found is None:
            with read_session(self.engine) as session:
                found = frozenset(
                    (code, row.version) for code, hist in histories(session, None, clock, day).items()
                    for row in ([hist.in_force()] if day is not None else hist.rows)
                    if row is not None and row.withdrawn_at is None)
            with self._in_force_lock:
                self._in_force[key] = found
                while len(self._in_force) > 4:  # a few days or heads at once (as_of searches)
                    del self._in_force[next(iter(self._in_force))]
        return found

    def standings(self, clock: Clock, day: date, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The standing on ``day`` of each ``(code, version)`` given (the hits of a page)."""
        from ..services.standing import histories

        pairs = list(pairs)
        codes = sorted({code for code, _ in pairs})
        with read_session(self.engine) as session:
            found = histories(session, codes, clock, day)
        return {(code, version): found[code].standing(version).state
                for code, version in pairs if code in found}

    def count(self) -> int:
        with read_session(self.engine) as session:
            return session.exec(select(func.count()).select_from(StandardVersion)).one()

    def worker_copy(self) -> CatalogFeed:
        """A feed with its own engine, for a worker process (connections are not shared)."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise RuntimeError("an in-memory SQLite catalog cannot be read by worker processes")
        return _feed_from_url(url.render_as_string(hide_password=False))


def _feed_from_url(url: str) -> CatalogFeed:
    return CatalogFeed(make_engine(url))


def drafts_overlay(session, actor) -> list[VersionRecord]:
    """The drafts ``actor`` may see (its body's; a registrar's: all), not yet published, as records."""
    from ..services.drafts import list_drafts

    return [VersionRecord(d.code, d.version, "draft", d.document, None, d.id, f"{d.sha256}:{d.revision}")
            for d in list_drafts(session, actor) if d.status != PUBLISHED]
