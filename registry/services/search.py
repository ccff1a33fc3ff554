"""Search use cases: keep this machine's index current from the catalog's change log, rebuild it, query it.

The catalog is the one source of truth; each machine keeps its own index in ``<DATA_DIR>/index``, a
cache that can be deleted at any time. Every app process runs one maintenance thread, started with
the app (:func:`init_app`):

* At start it checks the index. A missing, damaged or out-of-date index is rebuilt in that thread,
  with a log line; only one process per index directory rebuilds (``build.lock``), the others wait
  for it. Meanwhile searches are answered from the previous generation when it is sound, else with
  503 and ``Retry-After``.
* Every ``REGISTRY_SEARCH_CATCH_UP_MS`` (200 ms) it reads the change log's head. When there is
  something new, the one process of the machine that gets the index's write lock applies it, a few
  hundred versions per commit; every other process reopens the new generation on its next tick. A
  publish or withdrawal made by any process on any machine is visible everywhere within about that
  interval plus the time to index one version. No request ever applies changes.
* When a search meets damaged files (the engine fails and the checksums disagree), the generation is
  dropped and rebuilt in that thread; searches answer 503 meanwhile.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from pathlib import Path
from typing import Any, Collection, Iterator

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from ..db import make_engine, read_session
from ..clock import Clock
from ..lifecycle import IN_FORCE, WITHDRAWN
from ..models import ChangeLog, StandardVersion
from ..search import (Changes, IndexProblem, Removal, SearchIndex, SearchRequest, SearchResult, SearchUnavailable,
                      VersionRecord)

log = logging.getLogger(__name__)

#: seconds between two looks at the change log (REGISTRY_SEARCH_CATCH_UP_MS)
CATCH_UP_INTERVAL = 0.2
#: batches of change-log entries one tick applies before it lets go of the write lock
CATCH_UP_BATCHES = 5
#: seconds the start of an app (or its first search) waits for a rebuild: a small catalog is then
#: searchable at once, a large one is rebuilt in the background while the worker serves
START_WAIT = 5.0
#: the longest pause between two ticks after failures (the catalog unreachable, say)
MAX_BACKOFF = 30.0
EXTENSION = "registry.search"


class CatalogFeed:
    """The catalog seen as an ordered feed of changes (what ``SearchIndex`` needs)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def __reduce__(self):  # a spawned build worker gets a feed with its own engine
        return (_feed_from_url, (self.engine.url.render_as_string(hide_password=False),))

    def head(self) -> int:
        with read_session(self.engine) as session:
            return session.exec(select(func.max(ChangeLog.seq))).one() or 0

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
            # a publication or a withdrawal may change the standing of every version of its standard
            codes = sorted({e.code for e in named.values()})
            rows = {row.id: row for row in session.exec(
                select(StandardVersion.id, StandardVersion.code, StandardVersion.version,
                       StandardVersion.document).where(StandardVersion.code.in_(codes)))} if codes else {}  # type: ignore[attr-defined]
            named.update({row.id: row for row in rows.values() if row.id not in named})
            statuses = _index_statuses(session, codes)
        found: list[VersionRecord | Removal] = []
        for version_id, entry in named.items():
            row = rows.get(version_id)
            if row is None:
                found.append(Removal(entry.code, entry.version))
            else:
                found.append(VersionRecord(row.code, row.version, statuses[row.code, row.version], row.document,
                                           row.id))
        return Changes(found, entries[-1].seq if entries else after, [e.seq for e in [*entries, *late]])

    def versions(self, part: int, parts: int) -> Iterator[VersionRecord]:
        """Every searchable version (not withdrawn), the share ``part`` of ``parts``."""
        query = (select(StandardVersion.id, StandardVersion.code, StandardVersion.version, StandardVersion.document)
                 .where(StandardVersion.withdrawn_at.is_(None))  # type: ignore[union-attr]
                 .order_by(StandardVersion.id))
        if parts > 1:
            query = query.where(StandardVersion.id % parts == part)
        with read_session(self.engine) as session:
            statuses = _index_statuses(session, None)
            result = session.exec(query.execution_options(yield_per=50))
            for row in result:
                yield VersionRecord(row.code, row.version, statuses[row.code, row.version], row.document, row.id)

    def count(self) -> int:
        with read_session(self.engine) as session:
            return session.exec(select(func.count()).select_from(StandardVersion)).one()

    def worker_copy(self) -> "CatalogFeed":
        """A feed with its own engine, for a worker process (connections are not shared)."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise RuntimeError("an in-memory SQLite catalog cannot be read by worker processes")
        return _feed_from_url(url.render_as_string(hide_password=False))


def _index_statuses(session, codes) -> dict[tuple[str, str], str]:
    """What the index records of each version's standing: ``published`` for the version in force
    today, ``withdrawn``, else ``superseded`` (the index's "current" flag; see services.standing)."""
    from .standing import histories

    found = {}
    for code, hist in histories(session, None if codes is None else sorted(codes), Clock()).items():
        for version, standing in hist.standings().items():
            found[code, version] = ("published" if standing.state == IN_FORCE else
                                    "withdrawn" if standing.state == WITHDRAWN else "superseded")
    return found


def _feed_from_url(url: str) -> CatalogFeed:
    return CatalogFeed(make_engine(url))


class SearchService:
    """The search index of one process, kept current by its maintenance thread (see the module)."""

    def __init__(self, index_dir: str | Path, engine: Engine, *, catch_up_interval: float = CATCH_UP_INTERVAL,
                 procs: int | None = None):
        self.index = SearchIndex(index_dir)
        self.feed = CatalogFeed(engine)
        self.catch_up_interval = catch_up_interval
        self.procs = procs
        self._guard = threading.Lock()
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._ready = threading.Event()  # set while no rebuild is pending
        self._ready.set()
        self._requests = 0  # rebuild requests so far (one finished rebuild answers those made before it)
        self._rebuild: str | None = None  # why the thread must rebuild
        self._replace: str | None = None  # the generation directory to replace even if it looks sound
        self._unavailable: str | None = None  # why searches cannot be answered meanwhile

    # -- the maintenance thread

    def start(self, *, wait: float = START_WAIT) -> str | None:
        """Check the index and start this process's maintenance thread (again after a fork).

        A missing, damaged or out-of-date index is rebuilt in that thread, with a log line; this
        waits up to ``wait`` seconds for the rebuild. Returns the problem found, or None.
        """
        with self._guard:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return None
            self._pid = os.getpid()
            self._stop.clear()
            problem = None
            try:
                self.index.check()
            except IndexProblem as found:
                problem = found
                self._schedule(found)
            self._thread = threading.Thread(target=_maintain, args=(weakref.ref(self), self._stop, self._wake),
                                            name=f"search-index-{self.index.root}", daemon=True)
            self._thread.start()
        if problem is not None and wait:
            self.wait_ready(wait)
        return None if problem is None else str(problem)

    def _started(self) -> None:
        if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
            self.start()

    def _schedule(self, problem: IndexProblem) -> None:
        """Have the thread rebuild the index; searches answer 503 meanwhile unless it can still serve."""
        if self._rebuild is None:
            log.warning("search index at %s is %s: it will be rebuilt from the catalog", self.index.root, problem)
        self._requests += 1
        self._rebuild = str(problem)
        self._replace = self.index.generation_dir()
        if not problem.servable:
            self._unavailable = str(problem)
        self._ready.clear()
        self._wake.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until no rebuild is pending (True) or ``timeout`` seconds have passed (False)."""
        return self._ready.wait(timeout)

    def _tick(self) -> None:
        if self._rebuild is not None:
            requests, replace = self._requests, self._replace
            self.index.ensure(self.feed, procs=self.procs, replace=replace)
            with self._guard:
                if self._requests == requests:
                    self._rebuild = self._replace = self._unavailable = None
                    self._ready.set()
            return
        try:
            self.index.refresh()
            self.index.catch_up(self.feed, max_batches=CATCH_UP_BATCHES)
        except IndexProblem as problem:
            with self._guard:
                self._schedule(problem)

    def close(self) -> None:
        """Stop the maintenance thread and close the index (tests; a process that exits need not)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() and self._pid == os.getpid():
            thread.join(timeout=30)
        self.index.close()

    # -- use cases

    def rebuild(self, *, procs: int | None = None) -> dict[str, Any]:
        """Rebuild the index now (in this thread)."""
        return self.index.rebuild(self.feed, procs=procs or self.procs)

    def catch_up(self) -> int:
        """Apply every new change-log entry now (in this thread, waiting for the write lock)."""
        return self.index.catch_up(self.feed, wait=True)

    def search(self, request: SearchRequest, overlay: list[VersionRecord] | None = None) -> SearchResult:
        """Search this machine's index; 503 (:class:`SearchUnavailable`) while it cannot answer."""
        self._started()
        if self._unavailable is not None:  # (why is in the log, not for the client)
            raise SearchUnavailable("the search index is being rebuilt; retry shortly")
        try:
            return self.index.search(request, overlay or ())
        except IndexProblem as problem:
            with self._guard:
                self._schedule(problem)
            raise SearchUnavailable("the search index is being rebuilt; retry shortly") from None


def _maintain(ref: "weakref.ref[SearchService]", stop: threading.Event, wake: threading.Event) -> None:
    """The maintenance loop; it ends when the service is closed or garbage-collected."""
    failures = 0
    while not stop.is_set():
        service = ref()
        if service is None:
            return
        try:
            service._tick()
            failures = 0
        except Exception:
            failures += 1
            if failures & (failures - 1) == 0:  # 1st, 2nd, 4th, 8th... failure in a row
                log.exception("search index maintenance failed (%d time(s) in a row)", failures)
        interval = min(service.catch_up_interval * 2 ** min(failures, 10), MAX_BACKOFF)
        del service
        wake.wait(interval)
        wake.clear()


def index_dir(config: dict) -> Path:
    """Where a process keeps its index: ``<DATA_DIR>/index``."""
    return Path(config["DATA_DIR"]).resolve() / "index"


def _setting(value: Any) -> bool:
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


def init_app(app, *, check: bool | None = None) -> SearchService:
    """Create this process's search service; unless ``check`` (``REGISTRY_SEARCH_CHECK_ON_START``) is
    off, check the index now (a missing or damaged one is rebuilt in the background, with a log line)
    and start the maintenance thread. Off, both wait for the first search (test suites that create
    many apps and rarely search). Called from the application factory.
    """
    service = SearchService(index_dir({"DATA_DIR": app.config["REGISTRY_DATA_DIR"]}),
                            app.extensions["registry.engine"],
                            catch_up_interval=float(app.config.get("REGISTRY_SEARCH_CATCH_UP_MS", 200)) / 1000)
    app.extensions[EXTENSION] = service
    if check is None:
        check = _setting(app.config.get("REGISTRY_SEARCH_CHECK_ON_START", 1))
    if check:
        service.start()
    return service


def service_for(app) -> SearchService:
    """The app's search service, created on first use if ``init_app`` was not called."""
    service = app.extensions.get(EXTENSION)
    if service is None:
        with _INIT_LOCK:
            service = app.extensions.get(EXTENSION) or init_app(app, check=False)
    return service


_INIT_LOCK = threading.Lock()


def drafts_overlay(session, actor) -> list[VersionRecord]:
    """The drafts ``actor`` may see (its body's; a registrar's: all), not yet published, as records."""
    from ..lifecycle import PUBLISHED
    from .drafts import list_drafts

    return [VersionRecord(d.code, d.version, "draft", d.document, None, d.id, f"{d.sha256}:{d.revision}")
            for d in list_drafts(session, actor) if d.status != PUBLISHED]


def reindex(engine: Engine, data_dir: str | Path, *, procs: int | None = None) -> dict[str, Any]:
    """Rebuild the index of ``data_dir`` from the catalog (``registry reindex``)."""
    index = SearchIndex(Path(data_dir).resolve() / "index")
    try:
        return index.rebuild(CatalogFeed(engine), procs=procs)
    finally:
        index.close()
