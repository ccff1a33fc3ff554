"""The Whoosh engine's index: :class:`WhooshIndex`, the :class:`registry.search.interfaces.SearchIndex`
of one data directory, shared safely by every process that opens it.

Writers take an ``fcntl`` lock file (one writer per index directory across processes; the OS drops it
when a process dies). Each commit applies a batch of the catalog's change log and records the last
``seq`` applied (and the gaps below it) in the generation's meta document. A rebuild writes a fresh
generation under ``build.lock``, replays what was published meanwhile, and swaps it in
(:mod:`registry.search.whoosh.generations`). Searches read the generation this process has open
(:mod:`registry.search.whoosh.views`) and run it (:mod:`registry.search.whoosh.searching`).
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import BadRequest, ServiceUnavailable
from ..analysis import set_cache_dir
from ..changes import MAX_GAPS, gaps_after, read
from ..interfaces import ChangeFeed, IndexDamaged, IndexProblem, SearchUnavailable
from ..locks import file_lock
from ..query import parse_query
from ..records import Changes, Removal, VersionRecord
from ..request import SearchRequest, SearchResult
from ..request import check as check_request
from . import searching
from .generations import Generations, check_format, may_be_damage, open_failed, open_index, quiet_files, stored_meta
from .views import Views
from .writing import build, commit, default_procs

log = logging.getLogger(__name__)


class WhooshIndex:
    """The search index of one data directory (see the module)."""

    def __init__(self, root: str | Path, *, check_interval: float = 0.1):
        self.root = Path(root)
        set_cache_dir(self.root / "cache")
        self.generations = Generations(self.root)
        self.views = Views(self.generations, check_interval)
        self._sound: dict[tuple, float] = {}  # generations found sound after a search error, and when

    # -- health

    def check(self) -> None:
        """Raise :class:`IndexProblem` unless the current generation opens, reads cleanly, matches its
        checksums and is of this code's format."""
        self.generations.check()

    def generation_dir(self) -> str | None:
        """The directory of the current generation (changes only when the index is rebuilt)."""
        path = self.generations.current_dir()
        return None if path is None else str(path)

    def refresh(self) -> int:
        """Reopen the current generation if it changed (another process wrote or rebuilt it), and check
        that its files did not change since they were verified (a ``stat`` each; a changed file is
        verified again: :class:`IndexDamaged` when it no longer matches). Returns the last change-log
        seq the generation applied."""
        return self.views.refresh()

    def last_seq(self) -> int:
        """The last change-log seq applied to the current generation."""
        return self.views.current(force=True).seq

    def close(self) -> None:
        self.views.close()

    def _confirm_damage(self, exc: BaseException) -> None:
        """A search failed with an error that damaged files could cause: raise :class:`IndexDamaged`
        when the files disagree with their checksums (or have none); return when they are sound, so
        that the error is reported as what it is. A sound generation is not re-checked for a minute."""
        path = self.generations.current_dir()
        mark = (str(path), self.views.generation)
        if self._sound.get(mark, -math.inf) > time.monotonic() - 60:
            return
        # the files Whoosh leaves open when it fails on a damaged TOC are freed with the error, inside
        with quiet_files():
            try:
                if path is None:
                    raise IndexProblem("missing")
                ix = open_index(path)
                unlisted = self.generations.verify(path, ix._read_toc().segments, full=True)
            except IndexProblem as problem:
                reason = str(problem)
                open_failed(problem)
            except Exception as error:
                reason = f"unreadable ({type(error).__name__}: {error})"
                open_failed(error)
            else:
                reason = None
        if reason is None:
            if not unlisted:
                self._sound = {mark: time.monotonic()}
                return
            reason = f"unreadable ({type(exc).__name__}: {exc})"
        log.error("search index at %s is %s: %s.%s while searching", self.root, reason, type(exc).__module__,
                  type(exc).__name__)
        self.views.discard()
        raise IndexDamaged(reason) from exc

    # -- writing

    def _writable(self):
        path = self.generations.current_dir()
        if path is None:
            raise IndexProblem("missing")
        return open_index(path), path

    def apply(self, records: Sequence[VersionRecord | Removal], seq: int | None = None, *,
              timeout: float = 600.0) -> None:
        """Write versions (index published and superseded ones, drop the rest) in one commit."""
        with file_lock(self.generations.write_lock_path, timeout) as locked:
            if not locked:
                raise SearchUnavailable("the search index is busy; retry shortly")
            ix, path = self._writable()
            info = stored_meta(ix)
            check_format(info)
            if seq is not None:
                seq = max(seq, int(info.get("seq", 0)))
            commit(ix, path, records, seq, info.get("gaps"))
        self.views.current(force=True)

    def index_version(self, version: Any, *, seq: int | None = None) -> None:
        """Index one version (replacing what the index held for it)."""
        record = version if isinstance(version, VersionRecord) else VersionRecord(
            version.code, version.version, version.status, version.document, getattr(version, "id", None))
        self.apply([record], seq)

    def remove_version(self, code: str, version: str, *, seq: int | None = None) -> None:
        """Remove one version from the index."""
        self.apply([Removal(code, version)], seq)

    def catch_up(self, feed: ChangeFeed, *, wait: bool = False, batch: int = 200,
                 max_batches: int | None = None) -> int:
        """Apply the change log's entries after the index's seq (and those of earlier gaps that have
        appeared since), one commit per batch; returns how many versions were written.

        Without ``wait``, gives up at once when another process holds the write lock (that process
        is applying the same entries, and this one will see them on its next refresh).
        """
        head = feed.head()
        view = self.views.current(force=True)
        if head < view.seq:
            raise IndexProblem(f"ahead of the catalog (index at change {view.seq}, catalog at {head}: "
                               "the catalog was restored or replaced)", servable=True)
        check_format({"format": view.format})
        if head == view.seq and not view.gaps:
            return 0
        applied = 0
        with file_lock(self.generations.write_lock_path, None if wait else 0) as locked:
            if not locked:
                return 0
            ix, path = self._writable()
            info = stored_meta(ix)
            check_format(info)
            after, gaps = int(info.get("seq", 0)), dict(info.get("gaps") or {})
            batches = 0
            while max_batches is None or batches < max_batches:
                step = self._step(path, feed, after, gaps, batch)
                if step is None:
                    break
                after, gaps, written = step
                applied += written
                batches += 1
                if after >= head:
                    break
        self.views.current(force=True)
        return applied

    @staticmethod
    def _step(path: Path, feed: ChangeFeed, after: int, gaps: dict[str, float],
              batch: int) -> tuple[int, dict[str, float], int] | None:
        """Read the change log after ``after`` (and the gaps) and commit what it says to the generation
        at ``path`` (under the write lock); None when there was nothing to commit."""
        changes = read(feed, after, batch, sorted(int(s) for s in gaps))
        last = max(after, changes.last)
        fresh = gaps_after(changes, after, gaps, time.time())
        if not changes.records and last == after and fresh == gaps:
            return None
        commit(open_index(path), path, changes.records, last, fresh)
        return last, fresh, len(changes.records)

    # -- rebuilding

    def rebuild(self, feed: ChangeFeed, *, procs: int | None = None, reason: str = "requested") -> dict[str, Any]:
        """Build a new generation from the catalog (``procs`` processes) and swap it in atomically."""
        with file_lock(self.generations.build_lock_path, None):
            return self._rebuild_locked(feed, procs, reason)

    def _rebuild_locked(self, feed: ChangeFeed, procs: int | None, reason: str) -> dict[str, Any]:
        started = time.monotonic()
        procs = max(1, procs or default_procs(feed))
        self.root.mkdir(parents=True, exist_ok=True)
        seq = feed.head()  # read first: anything published meanwhile is replayed after the build
        target = self.generations.new()
        try:
            count = build(target, feed, seq, procs)
            with file_lock(self.generations.write_lock_path, None):
                # seqs missing just below the head may still commit: re-read them for a while
                window = read(feed, max(0, seq - MAX_GAPS), MAX_GAPS, records=False)
                gaps = gaps_after(Changes([], min(seq, window.last), window.seqs), max(0, seq - MAX_GAPS), {},
                                  time.time())
                after, head = seq, feed.head()
                if gaps:
                    commit(open_index(target), target, [], after, gaps)
                while after < head or gaps:  # replay what was published during the build
                    step = self._step(target, feed, after, gaps, 500)
                    if step is None:
                        break
                    after, gaps, _ = step
                previous = self.generations.swap(target)
            self.generations.clean(keep={target, previous})
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        self.views.current(force=True)
        seconds = time.monotonic() - started
        log.info("search index rebuilt in %s (%s): %d documents, seq %d, %.1f s, %d process(es)",
                 target, reason, count, seq, seconds, procs)
        return {"path": str(target), "documents": count, "seq": self.last_seq(), "seconds": seconds, "procs": procs}

    def ensure(self, feed: ChangeFeed, *, procs: int | None = None, replace: str | None = None) -> str | None:
        """Check the index; rebuild it (with a log line) when it is missing, damaged or stale, or when
        ``replace`` (a generation directory known to be bad) is still the current one.

        Only one process per index directory rebuilds: the others wait for it, then find the index
        sound. Returns the problem that caused a rebuild, or None when the index was sound.
        """
        def problem() -> str | None:
            try:
                self.check()
            except IndexProblem as found:
                return str(found)
            if replace is not None and self.generation_dir() == replace:
                return "damaged (the engine failed to read it)"
            return None

        if problem() is None:
            return None
        with file_lock(self.generations.build_lock_path, None):
            reason = problem()  # another process may have rebuilt it while we waited
            if reason is None:
                return None
            log.warning("search index at %s is %s: rebuilding it from the catalog", self.root, reason)
            self._rebuild_locked(feed, procs, reason)
        return reason

    # -- searching

    def search(self, request: SearchRequest, overlay: Sequence[VersionRecord] = ()) -> SearchResult:
        """Run a search; ``overlay`` adds versions that are not in the index (a body's drafts).

        Raises :class:`IndexProblem` when the index cannot answer (:class:`IndexDamaged` when the
        engine failed on damaged files), :class:`SearchUnavailable` past the time limit and
        ``BadRequest`` for a malformed or pathological query (checked before anything runs).
        """
        check_request(request)
        node = parse_query(request.q.strip())
        for attempt in (1, 2):
            try:
                view = self.views.searchable(force=attempt == 2)
                with view.lease() as searcher:
                    if overlay:
                        return searching.run_with_overlay(self.views, view, searcher, request, node, overlay)
                    return searching.run(searcher, view.layout, self.views.facets, request, node, view.seq)
            except (BadRequest, ServiceUnavailable, IndexProblem):
                raise
            except Exception as exc:
                if isinstance(exc, FileNotFoundError) and attempt == 1:
                    continue  # a writer deleted an old generation's files under us: retry on the new one
                if not may_be_damage(exc):
                    raise
                self._confirm_damage(exc)
                raise
        raise AssertionError("unreachable")
