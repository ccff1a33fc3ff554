"""The published standards as the linter's corpus, and linting an upload against them.

Near-duplicate requirements are looked up among the versions in force today (``services.standing``)
of the other standards. The index (:class:`registry.lint.similarity.CorpusIndex`) is built once per
process and rebuilt when the catalog's change log moves on (a publication or a withdrawal) or the
day changes (a version comes into force).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import select

from ..clock import Clock
from ..db import read_session
from ..errors import NotFound
from ..models import StandardVersion
from .catalog import change_log_head
from .standing import histories, history

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..lint.run import LintReport
    from ..lint.similarity import CorpusIndex


def published_documents(session: Session, clock: Clock) -> list[tuple[dict, None]]:
    """(document, None) for every version in force today, for :meth:`CorpusIndex.build`."""
    ids = [row.id for _, hist in sorted(histories(session, None, clock).items())
           if (row := hist.in_force()) is not None]
    if not ids:
        return []
    rows = session.exec(select(StandardVersion.document).where(StandardVersion.id.in_(ids))  # type: ignore
                        .order_by(StandardVersion.code))
    return [(document, None) for document in rows]


def catalog_state(session: Session, clock: Clock) -> tuple[int, object]:
    """The last change-log entry and the day: the corpus changes only when one of them does."""
    return change_log_head(session), clock.today()


def standard_document(session: Session, code: str, version: str | None = None, clock: Clock | None = None) -> dict:
    """A version's document: the one given, else the version in force, else the latest.

    :raise NotFound: when the standard or the version does not exist.
    """
    hist = history(session, code, clock or Clock(), full=True)
    if not hist.rows:
        raise NotFound(f"standard {code!r} has no version in the catalog")
    return (hist.row(version) if version is not None else hist.in_force() or hist.rows[-1]).document


class CorpusCache:
    """One corpus index per process, rebuilt when the catalog changed (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: tuple | None = None
        self._index: CorpusIndex | None = None

    def get(self, engine: Engine, clock: Clock) -> CorpusIndex:
        from ..lint.similarity import CorpusIndex

        with read_session(engine) as session:
            state = catalog_state(session, clock)
            with self._lock:
                if self._index is None or state != self._state:
                    self._index = CorpusIndex.build(published_documents(session, clock))
                    self._state = state
                return self._index


def lint_upload(engine: Engine, clock: Clock, source: bytes, cache: CorpusCache) -> LintReport:
    """Every problem of a standard that came over the network, compared with the ones in force;
    stores nothing."""
    from ..lint.run import lint_bytes

    return lint_bytes(source, file=None, check_path=False, corpus=cache.get(engine, clock))
