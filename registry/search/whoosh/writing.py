"""Writing the index: one commit of changes, or a whole generation from the catalog.

Every commit writes the mirror of each new segment before its table of contents lists it, and records
the new files' checksums after. A whole generation is built in one process or several: with several,
each worker reads its share of the versions from the catalog and writes its own segment (and that
segment's mirror); the segments are then listed in one table of contents without being merged
(merging is what made Whoosh's own ``procs=2`` slower than one process).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from whoosh import index as windex

from ..analysis import jieba_trie_path, segmenter, set_cache_dir
from ..documents import document_from
from ..interfaces import ChangeFeed
from ..records import Removal, VersionRecord
from .generations import INDEX_NAME, meta_doc, open_index, record_checksums
from .mirrors import mirror_before_listing, write_mirrors
from .names import install as install_unique_names
from .schema import schema

#: below this many versions a rebuild runs in one process (starting workers costs more than it saves)
PARALLEL_MIN_VERSIONS = 200


def commit(ix, path: Path, records: Sequence[VersionRecord | Removal], seq: int | None,
           gaps: dict[str, float] | None = None) -> None:
    """Write ``records`` to the generation at ``path`` in one commit (index published and superseded
    versions, drop the rest), with the meta document of ``seq`` and ``gaps`` (under the write lock)."""
    writer = ix.writer(timeout=30.0, delay=0.05)
    try:
        for record in records:
            writer.delete_by_term("vid", record.key)
            if isinstance(record, VersionRecord) and record.status in ("published", "superseded"):
                for doc in document_from(record):
                    writer.add_document(**doc)
        if seq is not None:
            writer.update_document(**meta_doc(seq, gaps))
    except BaseException:
        writer.cancel()
        raise
    mirror_before_listing(writer, path)
    writer.commit()
    record_checksums(path)


def default_procs(feed: ChangeFeed) -> int:
    """Two build processes when there are two cores and enough versions to pay for starting them."""
    cores = min(2, os.cpu_count() or 1)
    count = getattr(feed, "count", None)
    if cores > 1 and count is not None and count() < PARALLEL_MIN_VERSIONS:
        return 1
    return cores


def build(target: Path, feed: ChangeFeed, seq: int, procs: int) -> int:
    """Write every published and superseded version into a new index at ``target``.

    With ``procs`` > 1, each worker process reads its share of the versions from the catalog and
    writes its own segment; the segments are then listed in one table of contents without being
    merged (merging is what made Whoosh's own ``procs=2`` slower than one process). Workers are
    forked when this is the process's only thread, else spawned (forking a process that runs other
    threads can copy their locks held).
    """
    from whoosh.writing import SegmentWriter

    segmenter()  # load once before forking: the workers share it
    install_unique_names()
    ix = windex.create_in(str(target), schema(), indexname=INDEX_NAME)
    if procs <= 1:
        writer = ix.writer(limitmb=256)
        count = 0
        for record in feed.versions(0, 1):
            for doc in document_from(record):
                writer.add_document(**doc)
                count += 1
        writer.add_document(**meta_doc(seq))
        mirror_before_listing(writer, target)
        writer.commit(merge=False)
        record_checksums(target)
        return count + 1

    import multiprocessing

    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    results = context.Queue()
    cache = str(jieba_trie_path().parent)
    workers = [context.Process(target=_build_part, args=(str(target), feed, part, procs, results, cache), daemon=True)
               for part in range(procs)]
    for worker in workers:
        worker.start()
    segments, count, errors = [], 0, []
    for _ in workers:
        try:
            status, payload, n = results.get(timeout=24 * 3600)
        except Exception as exc:  # pragma: no cover - a worker died without reporting
            errors.append(repr(exc))
            break
        if status == "ok":
            if payload is not None:
                segments.append(payload)
            count += n
        else:
            errors.append(payload)
    for worker in workers:
        worker.join(timeout=60)
    if errors or any(w.exitcode not in (0, None) for w in workers):
        raise RuntimeError(f"index build failed: {'; '.join(errors) or 'a worker exited abnormally'}")
    writer = SegmentWriter(ix, timeout=30.0)
    writer.add_document(**meta_doc(seq))
    final = segments + [writer._finalize_segment()]
    write_mirrors(target, final)  # the meta document's segment (the workers wrote their own), before it is listed
    writer._commit_toc(final)
    writer._finish()
    record_checksums(target)
    return count + 1


def _build_part(path: str, feed: ChangeFeed, part: int, parts: int, results, cache: str) -> None:
    try:
        from whoosh.writing import SegmentWriter

        set_cache_dir(cache)
        own = feed.worker_copy()
        ix = open_index(path)
        writer = SegmentWriter(ix, _lk=False, limitmb=192)
        count = 0
        for record in own.versions(part, parts):
            for doc in document_from(record):
                writer.add_document(**doc)
                count += 1
        if count:
            segment = writer._finalize_segment()
            write_mirrors(Path(path), [segment])  # in this worker: both cores mirror their own segment
        else:
            writer.cancel()
            segment = None
        results.put(("ok", segment, count))
    except BaseException as exc:  # report, never hang the parent
        results.put(("error", f"{type(exc).__name__}: {exc}", 0))
