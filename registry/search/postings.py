"""The postings of a segment as arrays: a :class:`Mirror`, written once and memory-mapped by every process.

The engine (:mod:`registry.search.whoosh`) holds the index: analysis, segments, postings, stored
fields, the lexicon for prefixes, fuzzy words and spelling. What it does slowly, in pure Python, is
walk postings one document at a time, while a search must count *every* match (the total and the
facets); on a national corpus a common word matches 100,000 items. So each immutable segment also
gets a :class:`Mirror`: its postings copied once into numpy arrays (documents, weights and positions
per term), written next to the segment's own files when the segment is written
(:func:`write_mirror`), and memory-mapped by every process that searches it (:func:`read_mirror`).
:mod:`registry.search.scoring` evaluates queries over them.

This module knows nothing of the engine: :mod:`registry.search.whoosh.mirrors` reads the postings out
of Whoosh's segments into a :class:`MirrorBuilder`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Protocol

import marisa_trie
import numpy as np

#: the arrays of a mirror, as files ``<prefix>.mirror_<name>.npy``
_ARRAYS = ("t_start", "t_scored", "docs", "weights", "p_start", "positions")


# --- one segment's postings --------------------------------------------------------------------------


class TermIds(Protocol):
    """Term ``(field, text)`` -> its number in a mirror."""

    def get(self, key: tuple[str, str], default: int | None = None) -> int | None: ...

    def __len__(self) -> int: ...

    def items(self) -> Iterator[tuple[tuple[str, str], int]]: ...

    def field_items(self, fieldname: str) -> Iterator[tuple[str, int]]: ...


_KEY_SEP = "\x1f"


class TrieTermIds:
    """The term numbers of a written mirror: a memory-mapped marisa trie of ``field<US>text`` keys,
    and the term number of each of the trie's key ids. A dict of the same terms costs every process
    about 45 MB per segment of 150,000 items, in private memory; the trie is a few MB of file pages
    that the processes share."""

    __slots__ = ("trie", "numbers")

    def __init__(self, trie: marisa_trie.Trie, numbers: np.ndarray):
        self.trie, self.numbers = trie, numbers

    def get(self, key: tuple[str, str], default: int | None = None) -> int | None:
        found = self.trie.get(key[0] + _KEY_SEP + key[1])
        return default if found is None else int(self.numbers[found])

    def __len__(self) -> int:
        return len(self.trie)

    def items(self) -> Iterator[tuple[tuple[str, str], int]]:
        for key, key_id in self.trie.iteritems():
            fieldname, text = key.split(_KEY_SEP, 1)
            yield (fieldname, text), int(self.numbers[key_id])

    def field_items(self, fieldname: str) -> Iterator[tuple[str, int]]:
        """The texts of one field's terms and their numbers (a walk of that field's keys only)."""
        prefix = fieldname + _KEY_SEP
        for key, key_id in self.trie.iteritems(prefix):
            yield key[len(prefix):], int(self.numbers[key_id])


@dataclass
class Mirror:
    """The postings of one segment as arrays.

    Term ``i`` (``terms[(field, text)] == i``) has postings ``t_start[i]:t_start[i + 1]``: their
    documents, ascending, in ``docs``. The terms of scored fields (the text) keep more, from
    ``t_scored[i]`` on (-1 for the others, which only filter): each posting's weight (the term's
    frequency in the document, times the boost of its tokens) in ``weights``, and its positions
    ``positions[p_start[j]:p_start[j + 1]]``. ``lengths[field]`` is each document's length in a
    scored field, as Whoosh stores it (rounded).
    """

    doc_count: int
    terms: dict[tuple[str, str], int] | TermIds
    t_start: np.ndarray
    t_scored: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    p_start: np.ndarray
    positions: np.ndarray
    lengths: dict[str, np.ndarray]
    field_lengths: dict[str, int]
    #: the files read through memory maps (:func:`read_mirror`): path -> (inode, size) when mapped
    mapped: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False, compare=False)
    _value_codes: dict[str, tuple[np.ndarray, dict[str, int]]] = field(default_factory=dict, init=False,
                                                                       repr=False, compare=False)
    _members: dict[tuple[str, frozenset[str]], np.ndarray] = field(default_factory=dict, init=False, repr=False,
                                                                   compare=False)

    def cut_short(self) -> str | None:
        """The name of a mapped file cut short in place since it was mapped (same inode, smaller), else
        None. Reading a map past its file's end kills the process (SIGBUS) instead of raising: the
        caller checks before it reads (a ``stat`` per file)."""
        for path, (inode, size) in self.mapped.items():
            try:
                info = os.stat(path)
            except FileNotFoundError:
                continue  # unlinked (an old generation removed): its maps stay readable
            if info.st_ino == inode and info.st_size < size:
                return os.path.basename(path)
        return None

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray | None, int]:
        """(documents, weights, first scored posting) of a term: no documents when it is absent, no
        weights (and -1) for a term of a field that is not scored."""
        i = self.terms.get((fieldname, text))
        if i is None:
            return _NO_DOCS, _NO_WEIGHTS, -1
        start, end = int(self.t_start[i]), int(self.t_start[i + 1])
        scored = int(self.t_scored[i])
        if scored < 0:
            return self.docs[start:end], None, -1
        return self.docs[start:end], self.weights[scored:scored + end - start], scored

    def doc_frequency(self, fieldname: str, text: str) -> int:
        i = self.terms.get((fieldname, text))
        return 0 if i is None else int(self.t_start[i + 1] - self.t_start[i])

    def value_codes(self, fieldname: str) -> tuple[np.ndarray, dict[str, int]]:
        """Each document's value of a field that holds one value per document (``vid``: its version),
        as a number into the returned values (-1: none); worked out on first use, then kept."""
        found = self._value_codes.get(fieldname)
        if found is None:
            values: dict[str, int] = {}
            codes = np.full(self.doc_count, -1, dtype=np.int32)
            if isinstance(self.terms, dict):
                items: Iterator[tuple[str, int]] = ((t, i) for (f, t), i in self.terms.items() if f == fieldname)
            else:
                items = self.terms.field_items(fieldname)
            for text, i in items:
                codes[self.docs[int(self.t_start[i]):int(self.t_start[i + 1])]] = values.setdefault(text, len(values))
            found = self._value_codes[fieldname] = (codes, values)
        return found

    def members(self, fieldname: str, values: frozenset[str]) -> np.ndarray:
        """Per document (read-only): whether its value of a one-value field is one of ``values``. The
        masks of the last sets asked are kept: the same set (a day's versions in force) comes again."""
        key = (fieldname, values)
        mask = self._members.get(key)
        if mask is None:
            codes, numbers = self.value_codes(fieldname)
            wanted = np.zeros(len(numbers) + 1, dtype=bool)  # the last one: documents without a value (-1)
            if len(values) <= len(numbers):
                wanted[[numbers[v] for v in values if v in numbers]] = True
            else:
                wanted[[i for v, i in numbers.items() if v in values]] = True
            mask = wanted[codes]
            mask.flags.writeable = False
            if len(self._members) >= 8:
                self._members.clear()
            self._members[key] = mask
        return mask


_NO_DOCS = np.zeros(0, dtype=np.int32)
_NO_WEIGHTS = np.zeros(0, dtype=np.float32)


class MirrorBuilder:
    """Collects a segment's postings term by term, then makes (or writes) its :class:`Mirror`.

    Each term's postings become arrays as they come, so a large segment never sits in memory as
    Python numbers.
    """

    def __init__(self, doc_count: int):
        self.doc_count = doc_count
        self._terms: list[tuple[str, str]] = []
        self._counts: list[int] = []
        self._scored: list[int] = []
        self._docs: list[np.ndarray] = []
        self._weights: list[np.ndarray] = []
        self._weight_count = 0
        self._position_counts: list[np.ndarray] = []
        self._gaps: list[np.ndarray] = []
        self.lengths: dict[str, np.ndarray] = {}
        self.field_lengths: dict[str, int] = {}

    def add(self, fieldname: str, text: str, docs: Sequence[int], weights: Sequence[float] | None = None,
            positions: Sequence[Sequence[int]] | None = None) -> None:
        """One term's postings; ``weights`` for a term of a scored field (``positions`` if it keeps them:
        per posting, the gaps between its positions, the first counted from 0, as Whoosh stores them)."""
        self._terms.append((fieldname, text))
        self._counts.append(len(docs))
        self._docs.append(np.asarray(docs, dtype=np.int32))
        if weights is None:
            self._scored.append(-1)
            return
        self._scored.append(self._weight_count)
        self._weights.append(np.asarray(weights, dtype=np.float32))
        self._weight_count += len(docs)
        if positions is None:
            self._position_counts.append(np.zeros(len(docs), dtype=np.int64))
        else:
            self._position_counts.append(np.fromiter(map(len, positions), dtype=np.int64, count=len(docs)))
            self._gaps.append(np.fromiter(chain.from_iterable(positions), dtype=np.int64))

    def set_lengths(self, fieldname: str, lengths: Sequence[float], total: int) -> None:
        self.lengths[fieldname] = np.asarray(lengths, dtype=np.float32)
        self.field_lengths[fieldname] = int(total)

    def build(self) -> Mirror:
        t_start = np.zeros(len(self._counts) + 1, dtype=np.int64)
        np.cumsum(self._counts, out=t_start[1:])
        docs = _joined(self._docs, np.int32)
        weights = _joined(self._weights, np.float32)
        counts = _joined(self._position_counts, np.int64)
        gaps = _joined(self._gaps, np.int64)
        # offsets into the positions: 32 bits while they fit (they do, short of two billion positions)
        p_start = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=p_start[1:])
        positions = _undelta(gaps, p_start).astype(np.int32)
        if len(gaps) < 2 ** 31:
            p_start = p_start.astype(np.int32)
        terms = {term: i for i, term in enumerate(self._terms)}
        return Mirror(self.doc_count, terms, t_start, np.asarray(self._scored, dtype=np.int64), docs, weights,
                      p_start, positions, dict(self.lengths), dict(self.field_lengths))


def _joined(arrays: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)


def _undelta(gaps: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Positions from the gaps between them, each run ``starts[j]:starts[j + 1]`` summed on its own."""
    if not len(gaps):
        return gaps
    total = np.cumsum(gaps)
    before = np.concatenate(([0], total))[starts[:-1].astype(np.int64)]  # the sum before each run
    return total - np.repeat(before, np.diff(starts.astype(np.int64)))


def write_mirror(mirror: Mirror, directory: Path, prefix: str) -> list[Path]:
    """Write ``mirror`` as files ``<prefix>.mirror*`` in ``directory`` (each written whole, then
    renamed into place; the JSON last, so a mirror without its JSON is not there). Returns them."""
    written = []
    for name in _ARRAYS:
        written.append(_write_array(directory / f"{prefix}.mirror_{name}.npy", getattr(mirror, name)))
    for fieldname, lengths in mirror.lengths.items():
        written.append(_write_array(directory / f"{prefix}.mirror_len_{fieldname}.npy", lengths))
    keys = [_KEY_SEP.join(term) for term, _ in sorted(mirror.terms.items(), key=lambda item: item[1])]
    trie = marisa_trie.Trie(keys)
    numbers = np.zeros(len(keys), dtype=np.int32)
    numbers[np.fromiter((trie[key] for key in keys), dtype=np.int64, count=len(keys))] = np.arange(len(keys))
    written.append(_write_file(directory / f"{prefix}.mirror_terms.marisa", trie.save))
    written.append(_write_array(directory / f"{prefix}.mirror_term_numbers.npy", numbers))
    meta = {"doc_count": mirror.doc_count, "field_lengths": mirror.field_lengths}
    path = _write_file(directory / f"{prefix}.mirror.json",
                       lambda temp: Path(temp).write_text(json.dumps(meta, separators=(",", ":")), encoding="utf-8"))
    fsync_directory(directory)  # the renames too
    return [*written, path]


def _write_array(path: Path, array: np.ndarray) -> Path:
    def write(temp: str) -> None:
        with open(temp, "wb") as handle:  # (given a name, np.save would add ".npy" to it)
            np.save(handle, np.ascontiguousarray(array), allow_pickle=False)

    return _write_file(path, write)


def _write_file(path: Path, write) -> Path:
    """``write(temporary path)``, flushed to disk, then renamed into place; no temporary file is
    left behind when writing fails."""
    temp = path.with_name("." + path.name + ".tmp")
    try:
        write(str(temp))
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_mirror(directory: Path, prefix: str) -> Mirror | None:
    """The mirror written by :func:`write_mirror`, memory-mapped; None when it is not there."""
    try:
        with open(directory / f"{prefix}.mirror.json", encoding="utf-8") as handle:
            meta = json.load(handle)
    except FileNotFoundError:
        return None
    mapped: dict[str, tuple[int, int]] = {}

    def mapping(name: str) -> str:
        path = str(directory / f"{prefix}.{name}")
        info = os.stat(path)
        mapped[path] = (info.st_ino, info.st_size)
        return path

    def array(name: str) -> np.ndarray:
        return np.load(mapping(name), mmap_mode="r", allow_pickle=False)

    arrays = {name: array(f"mirror_{name}.npy") for name in _ARRAYS}
    lengths = {name: array(f"mirror_len_{name}.npy") for name in meta["field_lengths"]}
    terms: dict[tuple[str, str], int] | TermIds
    if "terms" in meta:  # written by format 6 (a generation still served while its successor is built)
        terms = {tuple(key.split(_KEY_SEP, 1)): i for i, key in enumerate(meta["terms"])}  # type: ignore[misc]
    else:
        trie = marisa_trie.Trie()
        trie.mmap(mapping("mirror_terms.marisa"))
        terms = TrieTermIds(trie, array("mirror_term_numbers.npy"))
    return Mirror(int(meta["doc_count"]), terms, lengths=lengths, field_lengths=meta["field_lengths"],  # type: ignore[arg-type]
                  mapped=mapped, **arrays)
