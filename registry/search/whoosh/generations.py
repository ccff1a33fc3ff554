"""The generations of an index directory, their format and their checksums.

``<root>/current`` is a symlink to the generation in use, a ``gen-*`` directory. Whoosh commits by
writing a new table of contents atomically, so readers only ever open a complete generation; each new
segment's CRC-32 is recorded in the generation's ``checksums.json`` (under the write lock) and verified
when a process first opens the segment. A meta document committed together with the changes records
the format, the last change-log ``seq`` applied and the gaps below it still to re-read. A rebuild
writes a fresh directory and swaps the symlink atomically; the previous generation is kept for
readers still using it.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import re
import shutil
import struct
import tempfile
import threading
import time
import traceback
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.index import IndexError as WhooshIndexError

from .. import postings
from ..documents import facet_bytes
from ..interfaces import IndexDamaged, IndexProblem
from .names import install as install_unique_names
from .schema import schema

#: Bump when the schema, the analyzers or the document mapping change: older indexes are rebuilt.
FORMAT_VERSION = 8
#: the oldest format this code can still answer searches from while the new one is being built
#: (format 5 has the same schema but no mirrors of its postings: each process mirrors them in memory)
MIN_SERVABLE_FORMAT = 5
INDEX_NAME = "MAIN"
META_ID = "__meta__"
CHECKSUMS = "checksums.json"

#: what reading damaged files raises, in the engine or in this package's use of what it read: zlib,
#: struct and pickle errors, short reads, bad values and positions, Whoosh's own bare ``Exception``
#: ("Block tag error") and its index errors (``EmptyIndexError``: no table of contents). The index is
#: declared damaged only when its checksums then disagree: the same errors from sound files are
#: mistakes (500), not damage.
_DAMAGE_ERRORS = (zlib.error, struct.error, pickle.UnpicklingError, EOFError, OSError, ValueError, KeyError,
                  IndexError, UnicodeDecodeError, OverflowError, MemoryError, WhooshIndexError)
#: what opening a generation raises when its files are gone or unreadable (a writer may have deleted
#: an old generation's files a moment ago; someone may have deleted or damaged them)
OPEN_ERRORS = (OSError, EOFError, ValueError, KeyError, WhooshIndexError)
_SEGMENT_FILE = re.compile(rf"{INDEX_NAME}_[0-9a-z]+\.[A-Za-z0-9_.]+")


def may_be_damage(exc: BaseException) -> bool:
    """Whether damaged files could have caused ``exc``."""
    return type(exc) is Exception or isinstance(exc, _DAMAGE_ERRORS)


_quiet = threading.local()  # this thread's depth of quiet_files blocks, and whether an open failed in them


@contextmanager
def quiet_files() -> Iterator[None]:
    """Free what failed opens left behind, without ResourceWarnings for the files Whoosh left open.

    Whoosh leaves a damaged TOC's file open when it fails to read it, held by the error's frames or in a
    cycle: they are freed by one garbage collection when the outermost block ends, while the warning is
    still ignored, not when the caller drops the error. An error leaving a block counts as a failed open;
    one caught inside is reported with :func:`open_failed`. One collection for a whole retry loop: each
    takes a tenth of a second or more in a worker.
    """
    depth = getattr(_quiet, "depth", 0)
    _quiet.depth = depth + 1
    if not depth:
        _quiet.failed = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                yield
            except BaseException as exc:
                open_failed(exc)
                raise
            finally:
                if not depth and _quiet.failed:
                    gc.collect()
    finally:
        _quiet.depth = depth


def open_failed(exc: BaseException) -> None:
    """Within :func:`quiet_files`: an open that failed with ``exc`` (caught) may have left files open."""
    traceback.clear_frames(exc.__traceback__)
    _quiet.failed = True


def open_index(path: str | Path):
    """The index in ``path``, its files read with ``pread``-like calls rather than memory-mapped: Whoosh
    copies each memory-mapped part it opens into a private buffer (every searcher would hold a copy
    of the whole index), while reads leave the data in the page cache, shared by every process."""
    install_unique_names()
    with quiet_files():  # opening reads the TOC: a damaged one is left open by Whoosh when it fails
        return FileStorage(str(path), supports_mmap=False).open_index(INDEX_NAME, schema=schema())


def toc_mark(path: str | Path, generation: int) -> tuple[int, int]:
    """Size and modification time of the table of contents of ``generation`` (written once: a change
    means someone damaged it); ``FileNotFoundError`` once a writer's newer commit deleted it."""
    info = (Path(path) / f"_{INDEX_NAME}_{generation}.toc").stat()
    return info.st_size, info.st_mtime_ns


# --- the meta document ---------------------------------------------------------------------------


def meta_doc(seq: int, gaps: dict[str, float] | None = None) -> dict[str, Any]:
    """The meta document of a generation: its format, the last seq applied and the gaps below it."""
    return {"id": META_ID, "kind": "meta", "current": "n",
            "data": json.dumps({"seq": seq, "format": FORMAT_VERSION, "written_at": time.time(),
                                "gaps": gaps or {}}),
            "facets": facet_bytes("", "", "", "", "meta", "", "n", "", ""), "sort": (1 << 64) - 1}


def stored_meta(ix) -> dict[str, Any]:
    """What the meta document of ``ix`` says."""
    with ix.searcher() as searcher:
        meta = searcher.document(id=META_ID)
    return json.loads(meta["data"]) if meta else {"seq": 0, "format": FORMAT_VERSION}


def check_format(info: dict[str, Any]) -> None:
    """Raise :class:`IndexProblem` unless the meta document ``info`` is of this code's format."""
    if info.get("format") != FORMAT_VERSION:
        raise IndexProblem(f"of format {info.get('format')} (this code writes {FORMAT_VERSION})",
                           servable=(info.get("format") or 0) >= MIN_SERVABLE_FORMAT)


# --- checksums -----------------------------------------------------------------------------------


def crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def read_checksums(path: Path) -> dict[str, list[int]]:
    try:
        return json.loads((path / CHECKSUMS).read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise IndexProblem(f"damaged ({CHECKSUMS}: {exc})") from None


def record_checksums(path: Path) -> None:
    """Add the segment files written since the last call to the generation's checksums (under the
    write lock); files already listed are never re-read, so later damage cannot be blessed."""
    try:
        checksums = read_checksums(path)
    except IndexProblem:
        checksums = {}
    names = {n for n in os.listdir(path) if _SEGMENT_FILE.fullmatch(n)}
    changed = False
    for name in sorted(names - set(checksums)):
        checksums[name] = [(path / name).stat().st_size, crc32(path / name)]
        changed = True
    for name in set(checksums) - names:
        del checksums[name]
        changed = True
    if changed:
        fd, temp = tempfile.mkstemp(dir=path, prefix=".checksums-", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump(checksums, handle, sort_keys=True)
        os.replace(temp, path / CHECKSUMS)


# --- the directory -------------------------------------------------------------------------------


class Generations:
    """The generations of one index directory: where they are, which is current, and whether its
    files are sound."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._verified: set[tuple] = set()

    @property
    def write_lock_path(self) -> Path:
        return self.root / "write.lock"

    @property
    def build_lock_path(self) -> Path:
        return self.root / "build.lock"

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def current_dir(self) -> Path | None:
        try:
            target = os.readlink(self.current_link)
        except OSError:
            return None
        return (self.root / target).resolve()

    def check(self) -> None:
        """Raise :class:`IndexProblem` unless the current generation opens, reads cleanly, matches its
        checksums and is of this code's format."""
        path = self.current_dir()
        if path is None or not path.is_dir():
            raise IndexProblem("missing")
        reason = None
        with quiet_files():  # a damaged index leaves half-opened files to the garbage collector
            try:
                self._probe(path)
            except IndexProblem:
                raise
            except Exception as exc:  # any failure to open or read means the files are damaged
                reason = f"unreadable ({type(exc).__name__}: {exc})"
                open_failed(exc)
        if reason is not None:
            raise IndexProblem(reason)

    def _probe(self, path: Path) -> None:
        ix = open_index(path)
        toc = ix._read_toc()
        self.verify(path, toc.segments, full=True)
        with ix.searcher() as searcher:
            meta = searcher.document(id=META_ID)
            if meta is None:
                raise IndexProblem("damaged (no meta document)")
            check_format(json.loads(meta["data"]))
            reader = searcher.reader()
            for docnum in range(reader.doc_count_all()):
                if not reader.is_deleted(docnum):
                    reader.stored_fields(docnum)
                    break
            searcher.search(wq.Term("kind", "standard"), limit=1)

    def verify(self, path: Path, segments, *, full: bool) -> int:
        """Check the files of ``segments`` against the generation's checksums (each file once per
        process unless ``full``); raise :class:`IndexProblem` on a mismatch. Returns how many files
        had no checksum to check (written by an older version, or listed a moment after commit).

        Raises ``FileNotFoundError`` when the generation, a segment or a file its checksums list is
        gone: merged away by a writer after ``segments`` were read, or deleted by someone (the caller
        tells which: :meth:`registry.search.whoosh.views.Views.refresh`).
        """
        names = os.listdir(path)
        if segments and CHECKSUMS not in names:  # every generation of a servable format has them
            raise IndexDamaged(f"damaged (its {CHECKSUMS} is missing)")
        checksums = read_checksums(path)
        present = set(names)
        unlisted = 0
        for segment in segments:
            prefix = segment.segment_id() + "."
            files = [n for n in names if n.startswith(prefix)]
            if not files:
                raise FileNotFoundError(f"segment {segment.segment_id()} has no files")
            gone = sorted(n for n in checksums if n.startswith(prefix) and n not in present)
            if gone:
                raise FileNotFoundError(f"{gone[0]} of segment {segment.segment_id()} is missing")
            for name in files:
                expected = checksums.get(name)
                if expected is None:
                    unlisted += 1
                    continue
                file = path / name
                info = file.stat()
                mark = (str(file), info.st_size, info.st_mtime_ns)
                if not full and mark in self._verified:
                    continue
                if info.st_size != expected[0] or crc32(file) != expected[1]:
                    raise IndexDamaged(f"damaged ({name} does not match its checksum)")
                self._verified.add(mark)
        return unlisted

    def new(self) -> Path:
        """A fresh, empty generation directory (not current yet)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"gen-{time.strftime('%Y%m%dT%H%M%S')}-", dir=self.root))

    def swap(self, target: Path) -> Path | None:
        """Make ``target`` the current generation, atomically; returns the previous one."""
        previous = self.current_dir()
        link = self.root / f".current-{os.getpid()}-{threading.get_ident()}"
        if link.is_symlink():
            link.unlink()
        os.symlink(target.name, link)
        os.replace(link, self.current_link)
        postings.fsync_directory(self.root)
        return previous

    def clean(self, keep: set) -> None:
        """Delete every generation but those in ``keep``."""
        keep = {p.resolve() for p in keep if p is not None}
        for entry in self.root.glob("gen-*"):
            if entry.resolve() not in keep:
                shutil.rmtree(entry, ignore_errors=True)
