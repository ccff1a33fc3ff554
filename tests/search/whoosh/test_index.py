"""The Whoosh index (registry.search.whoosh.index): damage told from mistakes, the change log applied
with its gaps, several writers and readers at once, parallel rebuilds, mirrors before listing."""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import threading
from pathlib import Path

import pytest

from ..helpers import GapFeed, ListFeed, copy_index, ids, records, search


def _engine_parts(generation: Path) -> list[tuple[Path, int, int]]:
    """Where each segment's postings and stored fields are: (file, offset, length) in Whoosh's compound
    files (a search reads the stored fields of its hits from there; the postings from their mirror)."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    storage, out = FileStorage(str(generation)), []
    for segment in sorted(generation.glob("MAIN_*.seg")):
        compound = CompoundStorage(storage.open_file(segment.name), use_mmap=False)
        out += [(segment, *compound.range(name)) for name in compound.list()
                if name.endswith((".pst", "._stored.col"))]
        compound.close()
    return out


def test_an_engine_error_on_damaged_files_is_reported_as_damage(corpus_index, tmp_path, caplog):
    from registry.search import IndexDamaged, SearchRequest
    from registry.search.whoosh import WhooshIndex

    target = copy_index(corpus_index, tmp_path)
    index = WhooshIndex(target)
    assert index.search(SearchRequest(q="数据清洗")).total > 0
    rnd = random.Random(7)
    for segment, offset, length in _engine_parts(target / os.readlink(target / "current")):
        with open(segment, "r+b") as handle:  # the open index reads these bytes through its memory map
            handle.seek(offset)
            handle.write(rnd.randbytes(length))
    caplog.set_level(logging.ERROR, logger="registry.search")
    with pytest.raises(IndexDamaged, match="does not match its checksum"):
        index.search(SearchRequest(q="数据清洗"))
    assert any("while searching" in r.getMessage() for r in caplog.records)
    index.close()


def test_an_unreadable_table_of_contents_costs_one_garbage_collection_for_every_try(corpus_index, tmp_path,
                                                                                     monkeypatch):
    """A search tries to open the generation five times (a writer may be replacing it). Each failed read of
    a damaged table of contents leaves Whoosh's file to the garbage collector, and a collection takes a
    tenth of a second or more in a worker: one for all the tries, so that the answer (a 503 and a rebuild)
    is not held back by ten. The files are still freed: a ResourceWarning would fail the suite."""
    import gc

    from registry.search import IndexProblem, SearchRequest
    from registry.search.whoosh import WhooshIndex

    target = copy_index(corpus_index, tmp_path)
    for toc in (target / os.readlink(target / "current")).glob("_MAIN_*.toc"):
        toc.write_bytes(b"\x00garbage{")
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(args) or 0)
    index = WhooshIndex(target)
    with pytest.raises(IndexProblem, match="unreadable"):
        index.search(SearchRequest(q="数据清洗"))
    monkeypatch.undo()
    assert len(collections) == 1
    index.close()


def test_a_change_committed_after_a_later_one_is_still_applied(tmp_path, monkeypatch):
    from registry.search import SearchRequest
    from registry.search.whoosh import WhooshIndex

    first, late, third = records()[:3]
    feed = GapFeed()
    index = WhooshIndex(tmp_path / "index")
    index.rebuild(feed, procs=1)
    codes = lambda: {h["code"] for h in index.search(SearchRequest(kind="standard", all_versions=True)).hits}  # noqa: E731
    feed.entries.update({1: first, 3: third})  # 2 is not committed yet
    index.catch_up(feed)
    assert codes() == {first.code, third.code} and index.last_seq() == 3
    feed.entries[2] = late  # now it is, below the index's seq
    index.catch_up(feed)
    assert codes() == {first.code, late.code, third.code}
    monkeypatch.setattr("registry.search.changes.GAP_GRACE", 0.0)  # a seq that never commits is forgotten in time
    feed.entries[5] = third
    index.catch_up(feed)
    assert index.catch_up(feed) == 0 and index.views.current(force=True).gaps == {}
    index.close()


def _writer(root: str, versions, start, results):
    from registry.search.whoosh import WhooshIndex

    index = WhooshIndex(root)
    start.wait()
    try:
        for record in versions:
            index.apply([record])
        results.put("ok")
    except BaseException as exc:  # report the exception type: LockError must never appear
        results.put(f"{type(exc).__name__}: {exc}")


def _reader(root: str, start, stop, results):
    from registry.search import SearchRequest
    from registry.search.whoosh import WhooshIndex

    index = WhooshIndex(root, check_interval=0)
    start.wait()
    searches = 0
    try:
        while not stop.is_set():
            index.search(SearchRequest(q="数据 OR data", all_versions=True))
            searches += 1
        results.put(f"ok {searches}")
    except BaseException as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_writing_at_once_never_see_a_lock_error(tmp_path):
    from registry.search import SearchRequest
    from registry.search.documents import document_from
    from registry.search.whoosh import WhooshIndex

    versions = records()[:12]  # six commits each, every one contending for the lock with the other's
    root = tmp_path / "index"
    empty = WhooshIndex(root)
    empty.rebuild(ListFeed([]), procs=1)
    empty.close()
    context = multiprocessing.get_context("fork")
    start, stop, results = context.Event(), context.Event(), context.Queue()
    halves = [versions[0::2], versions[1::2]]
    writers = [context.Process(target=_writer, args=(str(root), half, start, results)) for half in halves]
    reader = context.Process(target=_reader, args=(str(root), start, stop, results))
    for process in (*writers, reader):
        process.start()
    start.set()
    outcomes = [results.get(timeout=600) for _ in writers]
    stop.set()
    outcomes.append(results.get(timeout=120))
    for process in (*writers, reader):
        process.join(timeout=60)
    assert outcomes[:2] == ["ok", "ok"] and outcomes[2].startswith("ok"), outcomes
    index = WhooshIndex(root)
    everything = index.search(SearchRequest(kind="standard", all_versions=True, per_page=100))
    assert sorted((h["code"], h["version"]) for h in everything.hits) == sorted(
        (r.code, r.version) for r in versions)
    items = sum(len(document_from(r)) for r in versions)
    assert index.search(SearchRequest(all_versions=True, per_page=1)).total == items
    index.close()


def test_searches_in_threads_of_one_process_run_at_the_same_time(sclient, corpus, monkeypatch):
    from registry.search.whoosh import searching

    inside = threading.Barrier(2, timeout=60)  # both searches must be inside at once to pass
    original = searching.hit

    def hit(*args, **kwargs):
        inside.wait()
        return original(*args, **kwargs)

    expected = ids(search(sclient, q="数据清洗", per_page=1))
    monkeypatch.setattr(searching, "hit", hit)
    results, errors = [], []

    def run():
        try:
            results.append(ids(search(sclient, q="数据清洗", per_page=1)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and results == [expected, expected]


def test_a_parallel_rebuild_indexes_the_same_documents_as_one_process(tmp_path):
    from registry.search import SearchRequest
    from registry.search.whoosh import WhooshIndex

    versions = records()
    totals = []
    for procs in (1, 2):
        index = WhooshIndex(tmp_path / f"p{procs}")
        report = index.rebuild(ListFeed(versions), procs=procs)
        result = index.search(SearchRequest(q="数据 OR data", all_versions=True, per_page=100))
        totals.append((report["documents"], result.total, [(h["code"], h["item_id"]) for h in result.hits]))
        index.close()
    assert totals[0] == totals[1]


def test_meta_seq_is_committed_with_the_changes(tmp_path):
    from registry.search.whoosh import WhooshIndex

    versions = records()
    index = WhooshIndex(tmp_path / "index")
    index.rebuild(ListFeed([]), procs=1)
    assert index.last_seq() == 0
    index.apply(versions[:1], seq=7)
    assert index.last_seq() == 7
    index.apply(versions[1:2], seq=3)  # never goes backwards
    assert index.last_seq() == 7
    index.close()


def test_an_index_ahead_of_a_restored_catalog_is_rebuilt(tmp_path):
    from registry.search import IndexProblem
    from registry.search.whoosh import WhooshIndex

    versions = records()
    index = WhooshIndex(tmp_path / "index")
    index.rebuild(ListFeed(versions[:2]), procs=1)
    index.apply(versions[2:3], seq=5)

    class Behind(ListFeed):
        def head(self):
            return 2  # the catalog was restored from a backup taken before change 5

    with pytest.raises(IndexProblem, match="ahead of the catalog"):
        index.catch_up(Behind(versions))
    before = index.generation_dir()
    assert index.ensure(Behind(versions[:2]), procs=1, replace=before) is not None
    assert index.generation_dir() != before and index.last_seq() == 2
    index.close()


def test_a_new_segment_is_mirrored_before_the_index_lists_it(tmp_path, monkeypatch):
    """Other processes open a new table of contents within a tick: a segment it lists must already
    have its mirror, or each of them would copy the segment's postings into memory."""
    from registry.search import postings
    from registry.search.whoosh import WhooshIndex
    from registry.search.whoosh.generations import open_index

    versions = records()
    index = WhooshIndex(tmp_path / "index")
    index.rebuild(ListFeed(versions[:1]), procs=1)
    listed_when_mirrored = []
    write_mirror = postings.write_mirror

    def watching(mirror, directory, prefix):
        toc = open_index(directory)._read_toc()
        listed_when_mirrored.append(prefix in {seg.segment_id() for seg in toc.segments})
        return write_mirror(mirror, directory, prefix)

    monkeypatch.setattr(postings, "write_mirror", watching)
    index.apply(versions[1:3], seq=3)
    assert listed_when_mirrored and not any(listed_when_mirrored)
    folder = Path(index.generation_dir())
    for segment in open_index(folder)._read_toc().segments:
        assert postings.read_mirror(folder, segment.segment_id()) is not None
    index.close()
