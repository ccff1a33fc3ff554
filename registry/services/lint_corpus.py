"""The published standards as the linter's corpus, and linting an upload against them.

Near-duplicate requirements are looked up among the versions in force (status ``published``) of the
other standards. The index (:class:`registry.lint.similarity.CorpusIndex`) is built once per
process and rebuilt when the catalog's change log moves on (a publication or a withdrawal).

Reads ``StandardVersion`` rows directly rather than through ``services.catalog`` (being rewritten).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from ..db import read_session
from ..errors import NotFound
from ..models import VERSION_PUBLISHED, ChangeLog, StandardVersion

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..lint.run import LintReport
    from ..lint.similarity import CorpusIndex


def published_documents(session: Session) -> list[tuple[dict, None]]:
    """(document, None) for every version in force, for :meth:`CorpusIndex.build`."""
    rows = session.exec(select(StandardVersion.document).where(StandardVersion.status == VERSION_PUBLISHED)
                        .order_by(StandardVersion.code))
    return [(document, None) for document in rows]


def catalog_state(session: Session) -> int:
    """The last change-log entry: the corpus changes only when it does."""
    return session.exec(select(func.max(ChangeLog.seq))).one() or 0


def standard_document(session: Session, code: str, version: str | None = None) -> dict:
    """A version's document: the one given, else the version in force, else the latest.

    :raise NotFound: when the standard or the version does not exist.
    """
    query = select(StandardVersion).where(StandardVersion.code == code)
    if version is not None:
        query = query.where(StandardVersion.version == version)
    rows = list(session.exec(query))
    if not rows:
        raise NotFound(f"no {'version ' + version + ' of ' if version else ''}standard {code!r} in the catalog")
    current = [row for row in rows if row.status == VERSION_PUBLISHED]
    return max(current or rows, key=lambda row: (row.major, row.minor)).document


class CorpusCache:
    """One corpus index per process, rebuilt when the catalog changed (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: int | None = None
        self._index: CorpusIndex | None = None

    def get(self, engine: Engine) -> CorpusIndex:
        from ..lint.similarity import CorpusIndex

        with read_session(engine) as session:
            state = catalog_state(session)
            with self._lock:
                if self._index is None or state != self._state:
                    self._index = CorpusIndex.build(published_documents(session))
                    self._state = state
                return self._index


def lint_upload(engine: Engine, source: bytes, cache: CorpusCache) -> LintReport:
    """Every problem of a standard that came over the network, compared with the published ones;
    stores nothing."""
    from ..lint.run import lint_bytes

    return lint_bytes(source, file=None, check_path=False, corpus=cache.get(engine))
