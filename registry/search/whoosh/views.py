"""The generation a process searches: opened once, reopened when another process commits, and the
per-process arrays derived from its segments.

Searches run concurrently: each opened generation (a :class:`View`) keeps a small pool of searchers
(Whoosh readers seek shared file objects, so one searcher serves one thread at a time). Segments never
change, so what is derived from one (its mirror, facet combinations and sort keys: a
:class:`registry.search.layout.Segment`) is loaded once per process and kept while a generation lists it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.filedb.filestore import RamStorage
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from .. import postings
from ..documents import document_from
from ..facets import FacetCombinations
from ..interfaces import IndexDamaged, IndexProblem, SearchUnavailable
from ..layout import Layout, Part, Segment
from ..locks import file_lock
from ..records import VersionRecord
from .generations import META_ID, OPEN_ERRORS, Generations, open_failed, open_index, quiet_files, toc_mark
from .mirrors import mirror_of
from .names import install as install_unique_names
from .schema import schema

log = logging.getLogger(__name__)


def open_searcher(ix, toc, previous=None) -> Searcher:
    """A searcher on generation ``toc``, reusing the readers of ``previous`` (an idle searcher of an
    older generation, not to be used afterwards) for the segments that did not change.

    (Not ``Searcher.refresh()``: Whoosh's reader reuse keeps segments the new generation no longer
    has, and a reused reader keeps the deletions it was opened with.)
    """
    old = {}
    if previous is not None:
        old = {r.segment().segment_id(): r for r, _ in previous.reader().leaf_readers() if r.segment() is not None}
    kept: set[int] = set()
    readers = []
    try:
        for segment in toc.segments:
            reuse = old.get(segment.segment_id())
            if reuse is not None and set(reuse.segment().deleted_docs()) == set(segment.deleted_docs()):
                readers.append(reuse)
                kept.add(id(reuse))
            else:
                readers.append(SegmentReader(ix.storage, schema(), segment, generation=toc.generation))
    except BaseException:
        for reader in readers:
            if id(reader) not in kept:
                reader.close()
        raise
    if not readers:
        reader = EmptyReader(schema())
    elif len(readers) == 1:
        reader = readers[0]
    else:
        reader = MultiReader(readers, generation=toc.generation)
    for reader_ in old.values():
        if id(reader_) not in kept:
            reader_.close()
    return Searcher(reader, fromindex=ix)


class View:
    """One opened generation: what was derived from it, and a pool of searchers over it (a Whoosh
    searcher serves one thread at a time: its readers seek shared file objects)."""

    MAX_IDLE = 8

    def __init__(self, ix, toc, path: str, searcher, layout: Layout, info: dict[str, Any]):
        self.ix, self.toc, self.path = ix, toc, path
        self.generation = toc.generation
        self.seq = int(info.get("seq", 0))
        self.format = info.get("format")
        self.gaps: dict[str, float] = dict(info.get("gaps") or {})
        self.layout = layout
        self.toc_mark = toc_mark(path, toc.generation)
        self._idle = [searcher]
        self._guard = threading.Lock()
        self.retired = False
        weakref.finalize(self, _close_searchers, self._idle)  # closes the files of an index never closed

    @contextmanager
    def lease(self) -> Iterator[Searcher]:
        with self._guard:
            searcher = self._idle.pop() if self._idle else None
        if searcher is None:
            searcher = open_searcher(self.ix, self.toc)
        try:
            yield searcher
        finally:
            with self._guard:
                if not self.retired and len(self._idle) < self.MAX_IDLE:
                    self._idle.append(searcher)
                    searcher = None
            if searcher is not None:
                searcher.close()

    def check_mapped(self) -> None:
        """Raise :class:`IndexDamaged` if a file the segments' mirrors read through memory maps was cut
        short in place since it was mapped: reading past its new end would kill the process (SIGBUS).

        A ``stat`` per file, before each search. A file cut during a search can still kill the process:
        this narrows the window from the life of the maps to the search under way."""
        for part in self.layout.parts:
            cut = part.segment.mirror.cut_short()
            if cut is not None:
                raise IndexDamaged(f"damaged ({cut} was cut short while in use)")

    def take_idle(self) -> Searcher | None:
        with self._guard:
            return self._idle.pop() if self._idle else None

    def retire(self) -> None:
        with self._guard:
            self.retired = True
            idle, self._idle[:] = self._idle[:], []
        _close_searchers(idle)


def _close_searchers(searchers: list) -> None:
    for searcher in searchers:
        searcher.close()


def _live(segreader) -> np.ndarray:
    """Per document of a segment: not deleted in the reader's generation."""
    live = np.ones(segreader.doc_count_all(), dtype=bool)
    deleted = getattr(segreader, "deleted_docs_set", None)
    if deleted:
        live[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
    return live


#: drafts kept indexed in memory (each a small index) for the next searches of their bodies
MAX_OVERLAYS = 64


class PrivateRamStorage(RamStorage):
    """Whoosh's in-memory storage, with its temporary files in memory too: Whoosh's own writes them
    under one fixed folder of the system's temporary directory (``MAIN.tmp``), shared by every process
    on the machine and deleted by each writer when it finishes, so two overlays built at once broke
    each other (a 500 on ``drafts=1``)."""

    def temp_storage(self, name=None):
        return RamStorage()


class Views:
    """The opened generation of one index directory in this process, and what is derived from it."""

    def __init__(self, generations: Generations, check_interval: float):
        self.generations = generations
        self.check_interval = check_interval
        self.facets = FacetCombinations()
        self._lock = threading.RLock()
        self._view: View | None = None
        self._checked = 0.0
        self._pid = os.getpid()
        self._segments: dict[str, Segment] = {}
        self._overlays: dict[tuple, Any] = {}

    @property
    def generation(self) -> int | None:
        """The generation of the view opened last (None before any)."""
        view = self._view
        return None if view is None else view.generation

    def _open(self) -> View:
        path = self.generations.current_dir()
        if path is None or not path.is_dir():
            raise IndexProblem("missing")
        last_error = ""
        with quiet_files():
            for _ in range(5):  # a writer may delete an old generation's files while we open it
                try:
                    ix = open_index(path)
                    toc = ix._read_toc()
                    self.generations.verify(path, toc.segments, full=False)
                    return self._make(ix, toc, str(path), open_searcher(ix, toc))
                except OPEN_ERRORS as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
                    open_failed(exc)
                time.sleep(0.02)
                path = self.generations.current_dir() or path
        raise IndexProblem(f"unreadable ({last_error})")

    def _make(self, ix, toc, path: str, searcher) -> View:
        try:
            meta = searcher.document(id=META_ID)
            info = json.loads(meta["data"]) if meta else {}
            layout = self.layout(searcher.reader(), folder=Path(path))
        except BaseException:
            searcher.close()
            raise
        return View(ix, toc, path, searcher, layout, info)

    def layout(self, reader, *, folder: Path | None) -> Layout:
        """The parts of ``reader``'s segments: each segment's mirror (read from ``folder``, the
        generation's directory) and per-document arrays, loaded once per process (segments never
        change); and this generation's deletions. Without ``folder`` (drafts held in memory)
        nothing is cached."""
        cache = folder is not None
        parts, offset, listed = [], 0, set()
        with self._lock:
            for segreader, _ in reader.leaf_readers():
                segment = getattr(segreader, "segment", lambda: None)()
                name = segment.segment_id() if cache and segment is not None else None
                data = self._segments.get(name) if name else None
                if data is None:
                    data = self._segment_data(segreader, name, folder)
                    if name:
                        self._segments[name] = data
                if name:
                    listed.add(name)
                parts.append(Part(data, offset, _live(segreader)))
                offset += data.mirror.doc_count
            if cache:
                for name in set(self._segments) - listed:
                    del self._segments[name]
        return Layout(parts)

    def _segment_data(self, segreader, name: str | None, folder: Path | None) -> Segment:
        count = segreader.doc_count_all()
        if segreader.has_column("facets"):
            combos = np.fromiter(map(self.facets.number, segreader.column_reader("facets")), dtype=np.int64,
                                 count=count)
        else:
            combos = np.full(count, self.facets.number(b""), dtype=np.int64)
        if segreader.has_column("sort"):
            keys = np.fromiter(segreader.column_reader("sort"), dtype=np.uint64, count=count)
        else:
            keys = np.zeros(count, dtype=np.uint64)
        mirror = postings.read_mirror(folder, name) if name and folder else None
        if mirror is None:
            if name and count > 5000:  # written with the segment; missing only for a moment after a commit
                log.info("search: mirroring segment %s (%d documents) in memory", name, count)
            mirror = mirror_of(segreader)
        return Segment(mirror, combos, keys)

    def current(self, force: bool = False) -> View:
        """The view of the current generation, reopened when another writer committed since. Unless
        ``force``, a thread that finds another one reopening it goes on with the view it has."""
        view = self._view
        if view is not None and not force and os.getpid() == self._pid:
            if time.monotonic() - self._checked < self.check_interval or not self._lock.acquire(blocking=False):
                return view
        else:
            self._lock.acquire()
        try:
            return self._current_locked(force)
        finally:
            self._lock.release()

    def _current_locked(self, force: bool) -> View:
        if os.getpid() != self._pid:  # forked: nothing opened by the parent is ours
            self._pid, self._view = os.getpid(), None
        view = self._view
        now = time.monotonic()
        if view is None:
            self._view = view = self._open()
            self._checked = now
            return view
        if not force and now - self._checked < self.check_interval:
            return view
        self._checked = now
        path = self.generations.current_dir()
        if path is None:
            raise IndexProblem("missing")
        if str(path) != view.path:
            fresh = self._open()
        else:
            try:
                if view.ix.latest_generation() == view.generation:
                    return view
            except OSError:
                pass
            fresh = self._reopen(view)
        self._view = fresh
        view.retire()
        return fresh

    def _reopen(self, view: View) -> View:
        """A view of the latest generation of the same directory, reusing an idle searcher's readers."""
        with quiet_files():  # a damaged TOC: Whoosh leaves its file open when it fails to read it
            for _ in range(5):
                previous = None
                try:
                    toc = view.ix._read_toc()
                    self.generations.verify(Path(view.path), toc.segments, full=False)
                    previous = view.take_idle()
                    searcher = open_searcher(view.ix, toc, previous)
                    previous = None
                    return self._make(view.ix, toc, view.path, searcher)
                except OPEN_ERRORS as exc:
                    if previous is not None:
                        previous.close()
                    open_failed(exc)
                time.sleep(0.02)
            return self._open()

    def discard(self, view: View | None = None) -> None:
        """Drop the opened generation (its files are damaged): the next search opens it again. With
        ``view``, only if that is still the one opened (another thread may have replaced it since)."""
        with self._lock:
            if view is not None and self._view is not view:
                return
            view, self._view = self._view, None
            self._segments.clear()  # the memory maps of a dropped generation go with it
        if view is not None:
            view.retire()

    def refresh(self) -> int:
        """Reopen the current generation if it changed (another process wrote or rebuilt it), and check
        that its files did not change since they were verified (a ``stat`` each; a changed file is
        verified again: :class:`IndexDamaged` when it no longer matches). Returns the last change-log
        seq the generation applied.

        Files missing from the current generation (its directory, a segment, a file its checksums list)
        are :class:`IndexDamaged` once confirmed under the write lock: a writer merges segments away
        only while it holds that lock, so what the latest table of contents lists is then all there.
        """
        view = self.current(force=True)
        try:
            self._verify(view)
        except FileNotFoundError:
            self._confirm_missing()
        except IndexDamaged:
            self.discard()
            raise
        return view.seq

    def _verify(self, view: View) -> None:
        """The files of ``view`` against their checksums, and its table of contents unchanged (or,
        changed, still readable)."""
        path = Path(view.path)
        self.generations.verify(path, view.toc.segments, full=False)
        mark = toc_mark(path, view.generation)
        if mark != view.toc_mark:
            failure = None
            with quiet_files():
                try:
                    open_index(path)._read_toc()
                except FileNotFoundError:
                    raise
                except Exception as exc:  # any failure to read it means it is damaged
                    failure = type(exc).__name__
                    open_failed(exc)  # the files the failed read left open
            if failure is not None:
                raise IndexDamaged(f"damaged (table of contents unreadable: {failure})")
            view.toc_mark = mark

    def _confirm_missing(self, timeout: float = 5.0) -> None:
        """Raise :class:`IndexDamaged` if files of the current generation's latest table of contents
        are missing while no writer commits; return when they are all there (or the lock is busy:
        the next refresh looks again)."""
        with file_lock(self.generations.write_lock_path, timeout) as locked:
            if not locked:
                return
            try:
                self._verify(self.current(force=True))
            except FileNotFoundError as missing:
                self.discard()
                raise IndexDamaged(f"damaged ({missing})") from None
            except IndexDamaged:
                self.discard()
                raise

    def searchable(self, force: bool = False) -> View:
        """The current view (:meth:`current`), its memory-mapped files checked first: one cut short in
        place is :class:`IndexDamaged`, and the view is dropped before anything reads past its end."""
        view = self.current(force)
        try:
            view.check_mapped()
        except IndexDamaged:
            self.discard(view)
            raise
        return view

    def close(self) -> None:
        """Close the opened generation's files (when this process opened them)."""
        with self._lock:
            view, self._view = self._view, None
            self._segments.clear()
        if view is not None and os.getpid() == self._pid:
            view.retire()

    def overlay(self, records: Sequence[VersionRecord], deadline: float = math.inf) -> list[tuple[Any, list[Part]]]:
        """An in-memory index of each of ``records`` (a body's drafts) and its parts, each kept for the
        next searches while its draft does not change (its fingerprint).

        Raises :class:`SearchUnavailable` (503) when ``deadline`` (``time.monotonic()``) passes before
        every draft is indexed: a body with many new drafts gets its answer on a retry, as the drafts
        indexed so far are kept, instead of holding a worker for as long as all of them take.
        """
        built, indexed = [], 0
        for record in records:
            key = (record.key, record.fingerprint)
            with self._lock:
                cached = self._overlays.get(key) if record.fingerprint else None
                if cached is not None:
                    self._overlays[key] = self._overlays.pop(key)  # the most recently used last
            if cached is None:
                if indexed and time.monotonic() > deadline:  # at least one per search: retries progress
                    raise SearchUnavailable("the drafts are being prepared for search; retry shortly")
                cached = self._overlay_of(record)
                indexed += 1
                if record.fingerprint:
                    with self._lock:
                        while len(self._overlays) >= MAX_OVERLAYS:
                            self._overlays.pop(next(iter(self._overlays)))
                        self._overlays[key] = cached
            built.append(cached)
        return built

    def _overlay_of(self, record: VersionRecord) -> tuple[Any, list[Part]]:
        install_unique_names()
        ram = PrivateRamStorage().create_index(schema())
        writer = ram.writer()
        for doc in document_from(record):
            writer.add_document(**doc)
        writer.commit()
        reader = ram.reader()
        try:
            return ram, self.layout(reader, folder=None).parts
        finally:
            reader.close()
