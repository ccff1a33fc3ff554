"""The search service: keep this machine's index current from the catalog's change log, rebuild it, query it.

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

import copy
import logging
import os
import threading
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ..clock import Clock
from .feed import CatalogFeed
from .interfaces import IndexProblem, SearchIndex, SearchUnavailable
from .records import VersionRecord
from .request import SearchRequest, SearchResult

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


def open_index(root: str | Path) -> SearchIndex:
    """The index engine of the directory ``root``: the one place that chooses the engine (Whoosh).

    Another engine is a package beside :mod:`registry.search.whoosh` that implements
    :class:`registry.search.interfaces.SearchIndex`; this function returns it instead.
    """
    from .whoosh import WhooshIndex

    return WhooshIndex(root)


class SearchService:
    """The search index of one process, kept current by its maintenance thread (see the module)."""

    def __init__(self, index_dir: str | Path, engine: Engine, *, catch_up_interval: float = CATCH_UP_INTERVAL,
                 procs: int | None = None, clock: Clock | None = None):
        self.index = open_index(index_dir)
        self.feed = CatalogFeed(engine)
        self.clock = clock or Clock()
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

    def start(self, *, wait: float | None = None) -> str | None:
        """Check the index and start this process's maintenance thread (again after a fork).

        A missing, damaged or out-of-date index is rebuilt in that thread, with a log line; this
        waits up to ``wait`` seconds (START_WAIT, read at each call) for the rebuild. Returns the problem
        found, or None.
        """
        wait = START_WAIT if wait is None else wait
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
        """Search this machine's index; 503 (:class:`SearchUnavailable`) while it cannot answer.

        Which versions are searched is decided now, from the catalog's facts: those in force on
        ``request.as_of`` (today by default), or with ``all_versions`` every one that is not withdrawn,
        unless the request names its own; each hit says its version's standing on that day.
        """
        self._started()
        if self._unavailable is not None:  # (why is in the log, not for the client)
            raise SearchUnavailable("the search index is being rebuilt; retry shortly")
        day = request.as_of or self.clock.today()
        if request.versions is None:  # withdrawn versions are gone at once, whatever the index holds yet
            request = copy.copy(request)
            request.versions = self.feed.in_force(self.clock, None if request.all_versions else day)
        try:
            result = self.index.search(request, overlay or ())
        except IndexProblem as problem:
            with self._guard:
                self._schedule(problem)
            raise SearchUnavailable("the search index is being rebuilt; retry shortly") from None
        published = [hit for hit in result.hits if hit.get("draft_id") is None]
        standings = self.feed.standings(self.clock, day, {(hit["code"], hit["version"]) for hit in published})
        for hit in published:
            hit["status"] = standings.get((hit["code"], hit["version"]), hit.get("status"))
        return result


def _maintain(ref: weakref.ref[SearchService], stop: threading.Event, wake: threading.Event) -> None:
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
                            catch_up_interval=float(app.config.get("REGISTRY_SEARCH_CATCH_UP_MS", 200)) / 1000,
                            clock=app.extensions.get("registry.clock"))
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


def reindex(engine: Engine, data_dir: str | Path, *, procs: int | None = None) -> dict[str, Any]:
    """Rebuild the index of ``data_dir`` from the catalog (``registry reindex``)."""
    index = open_index(index_dir({"DATA_DIR": data_dir}))
    try:
        return index.rebuild(CatalogFeed(engine), procs=procs)
    finally:
        index.close()
