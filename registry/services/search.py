"""Search use cases: keep the index current from the catalog's change log, rebuild it, query it.

The catalog is the one source of truth. Every process keeps its index current by replaying the
change log (``ChangeLog.seq``) at query time, at most once per ``CATCH_UP_INTERVAL``: a publish or
withdrawal made by any process, on any machine sharing the catalog, is visible everywhere within
about that interval plus the time to index one version. Nothing runs in the background.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from ..db import make_engine, read_session
from ..errors import ServiceUnavailable
from ..models import VERSION_PUBLISHED, VERSION_SUPERSEDED, ChangeLog, StandardVersion
from ..search import IndexProblem, Removal, SearchIndex, SearchRequest, SearchResult, VersionRecord

log = logging.getLogger(__name__)

#: seconds between two looks at the change log from one process (at query time)
CATCH_UP_INTERVAL = 0.25
#: a catalog smaller than this is rebuilt inline at start; a larger one in a background thread
INLINE_REBUILD_MAX_VERSIONS = 500
EXTENSION = "registry.search"


class CatalogFeed:
    """The catalog seen as an ordered feed of changes (what ``SearchIndex`` needs)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def head(self) -> int:
        with read_session(self.engine) as session:
            return session.exec(select(func.max(ChangeLog.seq))).one() or 0

    def changes(self, after: int, limit: int) -> tuple[list[VersionRecord | Removal], int]:
        """The current state of every version named by the entries after ``after`` (at most ``limit``)."""
        with read_session(self.engine) as session:
            entries = list(session.exec(
                select(ChangeLog.seq, ChangeLog.version_id, ChangeLog.code, ChangeLog.version)
                .where(ChangeLog.seq > after).order_by(ChangeLog.seq).limit(limit)))
            if not entries:
                return [], after
            ids = list(dict.fromkeys(e.version_id for e in entries))
            rows = {row.id: row for row in session.exec(
                select(StandardVersion.id, StandardVersion.code, StandardVersion.version, StandardVersion.status,
                       StandardVersion.document).where(StandardVersion.id.in_(ids)))}  # type: ignore[attr-defined]
        records: list[VersionRecord | Removal] = []
        for entry in {e.version_id: e for e in entries}.values():
            row = rows.get(entry.version_id)
            if row is None:
                records.append(Removal(entry.code, entry.version))
            else:
                records.append(VersionRecord(row.code, row.version, row.status, row.document, row.id))
        return records, entries[-1].seq

    def versions(self, part: int, parts: int) -> Iterator[VersionRecord]:
        """Every searchable version (published or superseded), the share ``part`` of ``parts``."""
        query = (select(StandardVersion.id, StandardVersion.code, StandardVersion.version, StandardVersion.status,
                        StandardVersion.document)
                 .where(StandardVersion.status.in_((VERSION_PUBLISHED, VERSION_SUPERSEDED)))  # type: ignore
                 .order_by(StandardVersion.id))
        if parts > 1:
            query = query.where(StandardVersion.id % parts == part)
        with read_session(self.engine) as session:
            result = session.exec(query.execution_options(yield_per=50))
            for row in result:
                yield VersionRecord(row.code, row.version, row.status, row.document, row.id)

    def count(self) -> int:
        with read_session(self.engine) as session:
            return session.exec(select(func.count()).select_from(StandardVersion)).one()

    def worker_copy(self) -> "CatalogFeed":
        """A feed with its own engine, for a forked worker process (connections are not shared)."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise RuntimeError("an in-memory SQLite catalog cannot be read by worker processes")
        return CatalogFeed(make_engine(url.render_as_string(hide_password=False)))


class SearchService:
    """The search index of one process: opened once, caught up at query time, rebuilt when broken."""

    def __init__(self, index_dir: str | Path, engine: Engine, *, catch_up_interval: float = CATCH_UP_INTERVAL,
                 procs: int | None = None):
        self.index = SearchIndex(index_dir)
        self.feed = CatalogFeed(engine)
        self.catch_up_interval = catch_up_interval
        self.procs = procs
        self._last_catch_up = 0.0
        self._guard = threading.Lock()
        self._rebuilding: threading.Thread | None = None
        self._started = False

    def start(self, *, background: bool | None = None) -> str | None:
        """Check the index and rebuild it when missing or damaged (logged); then catch up.

        A large catalog is rebuilt in a background thread (searches answer 503 meanwhile) so that
        a web worker starts within its boot timeout; ``background`` forces either way.
        """
        self._started = True
        try:
            self.index.check()
        except IndexProblem as problem:
            if background is None:
                background = self.feed.count() > INLINE_REBUILD_MAX_VERSIONS
            if background:
                log.warning("search index at %s is %s: rebuilding it from the catalog in the background",
                            self.index.root, problem)
                self._rebuilding = threading.Thread(target=self._rebuild_quietly, name="search-rebuild",
                                                    daemon=True)
                self._rebuilding.start()
                return str(problem)
            return self.index.ensure(self.feed, procs=self.procs)
        try:
            self.index.catch_up(self.feed, wait=True)
        except IndexProblem as problem:
            self._recover(problem)
            return str(problem)
        return None

    def _rebuild_quietly(self) -> None:
        try:
            self.index.ensure(self.feed, procs=self.procs)
        except Exception:  # pragma: no cover - logged; the next start tries again
            log.exception("rebuilding the search index failed")

    def rebuild(self, *, procs: int | None = None) -> dict[str, Any]:
        return self.index.rebuild(self.feed, procs=procs or self.procs)

    def catch_up(self, *, force: bool = False) -> int:
        """Apply new change-log entries, at most once per interval (unless ``force``)."""
        now = time.monotonic()
        if not force and now - self._last_catch_up < self.catch_up_interval:
            return 0
        if not self._guard.acquire(blocking=force):
            return 0
        try:
            self._last_catch_up = now
            return self.index.catch_up(self.feed, wait=force, max_batches=None if force else 5)
        finally:
            self._guard.release()

    def search(self, request: SearchRequest, overlay: list[VersionRecord] | None = None) -> SearchResult:
        if not self._started:
            with self._guard:
                if not self._started:
                    self.start()
        if self._rebuilding is not None and self._rebuilding.is_alive():
            raise ServiceUnavailable("the search index is being rebuilt; retry shortly")
        try:
            try:
                self.catch_up()
            except ServiceUnavailable:
                pass  # another writer is busy: answer from the current generation
            return self.index.search(request, overlay or ())
        except IndexProblem as problem:
            # the index vanished, broke or got ahead of a restored catalog: rebuild once, then answer
            self._recover(problem)
            return self.index.search(request, overlay or ())

    def _recover(self, problem: IndexProblem) -> None:
        log.warning("search index at %s is %s: rebuilding it from the catalog", self.index.root, problem)
        if self.index.ensure(self.feed, procs=self.procs) is None:  # sound files, wrong contents
            self.index.rebuild(self.feed, procs=self.procs, reason=str(problem))


def index_dir(config: dict) -> Path:
    """Where a process keeps its index: ``<DATA_DIR>/index``."""
    return Path(config["DATA_DIR"]).resolve() / "index"


def init_app(app, *, check: bool | None = None, background: bool | None = None) -> SearchService:
    """Create this process's search service; check the index (rebuilding it, with a log line, when
    missing or damaged) and catch up with the change log.

    Called from the application factory; nothing heavy happens at import time. With ``check``
    false (or ``REGISTRY_SEARCH_CHECK_ON_START`` false), the check waits for the first search,
    which suits test suites that create many apps and rarely search.
    """
    service = SearchService(index_dir({"DATA_DIR": app.config["REGISTRY_DATA_DIR"]}),
                            app.extensions["registry.engine"],
                            catch_up_interval=float(app.config.get("REGISTRY_SEARCH_CATCH_UP_MS", 250)) / 1000)
    app.extensions[EXTENSION] = service
    if check is None:
        check = bool(app.config.get("REGISTRY_SEARCH_CHECK_ON_START", True))
    if check:
        service.start(background=background)
    return service


def service_for(app) -> SearchService:
    """The app's search service, created (and checked) on first use if ``init_app`` was not called."""
    service = app.extensions.get(EXTENSION)
    if service is None:
        with _INIT_LOCK:
            service = app.extensions.get(EXTENSION) or init_app(app)
    return service


_INIT_LOCK = threading.Lock()


def drafts_overlay(session, actor) -> list[VersionRecord]:
    """The drafts ``actor`` may see (its body's; a registrar's: all), not yet published, as records."""
    from ..models import PUBLISHED
    from .drafts import list_drafts

    return [VersionRecord(d.code, d.version, "draft", d.document, None, d.id, f"{d.sha256}:{d.revision}")
            for d in list_drafts(session, actor) if d.status != PUBLISHED]


def reindex(engine: Engine, data_dir: str | Path, *, procs: int | None = None) -> dict[str, Any]:
    """Rebuild the index of ``data_dir`` from the catalog (``registry reindex``)."""
    index = SearchIndex(Path(data_dir).resolve() / "index")
    return index.rebuild(CatalogFeed(engine), procs=procs)
