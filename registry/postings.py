"""Vectorised query execution over a mirror of the search index's postings.

Whoosh (:mod:`registry.search`) holds the index: analysis, segments, postings, stored fields,
the lexicon for prefixes, fuzzy words and spelling. What it does slowly, in pure Python, is walk
postings one document at a time: a search must count *every* match (the total and the facets),
and on a national corpus a common word matches 100,000 items. So each immutable segment also
gets a :class:`Mirror`: its postings copied once into numpy arrays (documents, weights and
positions per term), written next to the segment's own files when the segment is written, and
memory-mapped by every process that searches it. A query compiled to a small plan
(:class:`Term`, :class:`And`, :class:`Or`, :class:`Phrase`, ...) is then evaluated over whole
arrays: a boolean mask of the matches and a score per document, BM25F as Whoosh computes it.
The total, the facet counts and the top of the ranking all come from those arrays.

This module knows nothing of Whoosh: :mod:`registry.search` reads the postings out of Whoosh's
segments and translates its queries into plans.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Iterator, Protocol, Sequence, Union

import marisa_trie
import numpy as np

#: BM25F parameters, Whoosh's defaults (so scores are Whoosh's own)
B = 0.75
K1 = 1.2

#: the arrays of a mirror, as files ``<prefix>.mirror_<name>.npy``
_ARRAYS = ("t_start", "t_scored", "docs", "weights", "p_start", "positions")
#: how positions and documents are packed into one sortable key: document * 2**_SHIFT + position
_SHIFT = 32


# --- plans -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    field: str
    text: str
    boost: float = 1.0
    scored: bool = True  # False: every posting scores ``boost`` (fields that keep no frequencies)


@dataclass(frozen=True)
class And:
    children: tuple["Plan", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Plan", ...]


@dataclass(frozen=True)
class AndNot:
    positive: "Plan"
    negative: "Plan"


@dataclass(frozen=True)
class Not:
    child: "Plan"


@dataclass(frozen=True)
class Const:
    """The matches of ``child``, each scoring ``score``."""

    child: "Plan"
    score: float


@dataclass(frozen=True)
class Maybe:
    """The matches of ``required``; those that also match ``optional`` add its score."""

    required: "Plan"
    optional: "Plan"


@dataclass(frozen=True)
class Phrase:
    """``terms`` in this order in ``field``, each within ``slop`` positions of the one before."""

    field: str
    terms: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class Every:
    pass


@dataclass(frozen=True)
class Nothing:
    pass


Plan = Union[Term, And, Or, AndNot, Not, Const, Maybe, Phrase, Every, Nothing]


# --- one segment's postings --------------------------------------------------------------------------


class TermIds(Protocol):
    """Term ``(field, text)`` -> its number in a mirror."""

    def get(self, key: tuple[str, str], default: int | None = None) -> int | None: ...

    def __len__(self) -> int: ...

    def items(self) -> Iterator[tuple[tuple[str, str], int]]: ...


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
    terms: "dict[tuple[str, str], int] | TermIds"
    t_start: np.ndarray
    t_scored: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    p_start: np.ndarray
    positions: np.ndarray
    lengths: dict[str, np.ndarray]
    field_lengths: dict[str, int]

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


_NO_DOCS = np.zeros(0, dtype=np.int32)
_NO_WEIGHTS = np.zeros(0, dtype=np.float32)
_NO_KEYS = np.zeros(0, dtype=np.int64)


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
    arrays = {name: np.load(directory / f"{prefix}.mirror_{name}.npy", mmap_mode="r", allow_pickle=False)
              for name in _ARRAYS}
    lengths = {name: np.load(directory / f"{prefix}.mirror_len_{name}.npy", mmap_mode="r", allow_pickle=False)
               for name in meta["field_lengths"]}
    terms: dict[tuple[str, str], int] | TermIds
    if "terms" in meta:  # written by format 6 (a generation still served while its successor is built)
        terms = {tuple(key.split(_KEY_SEP, 1)): i for i, key in enumerate(meta["terms"])}  # type: ignore[misc]
    else:
        trie = marisa_trie.Trie()
        trie.mmap(str(directory / f"{prefix}.mirror_terms.marisa"))
        terms = TrieTermIds(trie, np.load(directory / f"{prefix}.mirror_term_numbers.npy", mmap_mode="r",
                                          allow_pickle=False))
    return Mirror(int(meta["doc_count"]), terms, lengths=lengths, field_lengths=meta["field_lengths"],  # type: ignore[arg-type]
                  **arrays)


# --- statistics of the whole index -------------------------------------------------------------------


@dataclass
class Statistics:
    """What BM25F needs from every segment at once: document count, document frequencies, and
    average field lengths (Whoosh counts deleted documents too; so do these)."""

    mirrors: Sequence[Mirror]
    doc_count: int = 0
    _df: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.doc_count = sum(m.doc_count for m in self.mirrors)

    def idf(self, fieldname: str, text: str) -> float:
        key = (fieldname, text)
        df = self._df.get(key)
        if df is None:
            df = self._df[key] = sum(m.doc_frequency(fieldname, text) for m in self.mirrors)
        return math.log(self.doc_count / (df + 1)) + 1 if self.doc_count else 1.0

    def average_length(self, fieldname: str) -> float:
        total = sum(m.field_lengths.get(fieldname, 0) for m in self.mirrors)
        return (total / self.doc_count if self.doc_count else 0.0) or 1.0


# --- evaluation --------------------------------------------------------------------------------------


class TimeLimit(Exception):
    """The evaluation passed its deadline."""


def evaluate(plan: Plan, mirror: Mirror, stats: Statistics, deadline: float = math.inf) -> tuple[np.ndarray, np.ndarray]:
    """The documents of ``mirror`` that ``plan`` matches (a boolean mask) and their scores.

    Scores outside the mask are meaningless. Deleted documents are not removed here: the caller
    masks them, once. Raises :class:`TimeLimit` when ``time.monotonic()`` passes ``deadline``
    (checked before each term and phrase: a plan of many terms over a large segment stops there).
    """
    return _Evaluator(mirror, stats, deadline).run(plan)


class _Evaluator:
    def __init__(self, mirror: Mirror, stats: Statistics, deadline: float = math.inf):
        self.mirror, self.stats, self.n, self.deadline = mirror, stats, mirror.doc_count, deadline

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TimeLimit()

    def run(self, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
        kind = type(plan)
        if kind is Term:
            return self.term(plan)  # type: ignore[arg-type]
        if kind is And:
            mask, score = self.run(plan.children[0])  # type: ignore[union-attr]
            mask, score = mask.copy(), score.copy()
            for child in plan.children[1:]:  # type: ignore[union-attr]
                if not mask.any():
                    break
                other_mask, other_score = self.run(child)
                mask &= other_mask
                score += other_score
            return mask, score
        if kind is Or:
            mask, score = self.empty()
            for child in plan.children:  # type: ignore[union-attr]
                other_mask, other_score = self.run(child)
                mask |= other_mask
                score += np.where(other_mask, other_score, 0)
            return mask, score
        if kind is AndNot:
            mask, score = self.run(plan.positive)  # type: ignore[union-attr]
            if mask.any():
                excluded, _ = self.run(plan.negative)  # type: ignore[union-attr]
                mask = mask & ~excluded
            return mask, score
        if kind is Not:
            excluded, _ = self.run(plan.child)  # type: ignore[union-attr]
            return ~excluded, np.zeros(self.n, dtype=np.float32)
        if kind is Const:
            mask, _ = self.run(plan.child)  # type: ignore[union-attr]
            return mask, np.where(mask, np.float32(plan.score), np.float32(0))  # type: ignore[union-attr]
        if kind is Maybe:
            mask, score = self.run(plan.required)  # type: ignore[union-attr]
            if mask.any():
                extra_mask, extra = self.run(plan.optional)  # type: ignore[union-attr]
                score = score + np.where(extra_mask & mask, extra, 0)
            return mask, score
        if kind is Phrase:
            return self.phrase(plan)  # type: ignore[arg-type]
        if kind is Every:
            return np.ones(self.n, dtype=bool), np.zeros(self.n, dtype=np.float32)
        if kind is Nothing:
            return self.empty()
        raise TypeError(f"not a plan: {plan!r}")

    def empty(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.n, dtype=bool), np.zeros(self.n, dtype=np.float32)

    def term_scores(self, plan: Term, docs: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        if not plan.scored or weights is None:
            return np.full(len(docs), plan.boost, dtype=np.float32)
        lengths = self.mirror.lengths.get(plan.field)
        idf = self.stats.idf(plan.field, plan.text)
        if lengths is None:
            return (weights * (idf * plan.boost)).astype(np.float32)
        norm = K1 * ((1 - B) + B * lengths[docs] / self.stats.average_length(plan.field))
        return (plan.boost * idf * (weights * (K1 + 1)) / (weights + norm)).astype(np.float32)

    def term(self, plan: Term) -> tuple[np.ndarray, np.ndarray]:
        self.check_time()
        docs, weights, _ = self.mirror.postings(plan.field, plan.text)
        mask, score = self.empty()
        if len(docs):
            mask[docs] = True
            score[docs] = self.term_scores(plan, docs, weights)
        return mask, score

    def phrase(self, plan: Phrase) -> tuple[np.ndarray, np.ndarray]:
        self.check_time()
        mask, score = self.empty()
        found = [self.mirror.postings(plan.field, text) for text in plan.terms]
        if any(len(docs) == 0 or scored < 0 for docs, _, scored in found):
            return mask, score  # absent, or in a field that keeps no positions
        # documents with every term, then their positions in order
        candidates = np.ones(self.n, dtype=bool)
        for docs, _, _ in found:
            present = np.zeros(self.n, dtype=bool)
            present[docs] = True
            candidates &= present
        if not candidates.any():
            return mask, score
        ends = None
        for docs, _, scored in found:
            selected = np.flatnonzero(candidates[docs])
            keys = _select_keys(self.mirror, docs, scored, selected)
            if ends is None:
                ends = keys
                continue
            reached = np.zeros(len(keys), dtype=bool)
            for gap in range(1, max(1, plan.slop) + 1):
                reached |= _contains(ends, keys - gap)
            ends = keys[reached]
            if not len(ends):
                return mask, score
        assert ends is not None
        matched = np.unique(ends >> _SHIFT).astype(np.int64)
        mask[matched] = True
        for (docs, weights, _), text in zip(found, plan.terms):
            inside = mask[docs]
            score[docs[inside]] += self.term_scores(Term(plan.field, text, plan.boost), docs[inside], weights[inside])
        return mask, score


def _select_keys(mirror: Mirror, docs: np.ndarray, scored: int, selected: np.ndarray) -> np.ndarray:
    """The document-and-position keys of a term's postings ``selected`` (sorted): ``docs`` are the
    term's documents, ``scored`` its first scored posting."""
    if not len(selected):
        return _NO_KEYS
    postings = scored + selected.astype(np.int64)
    first = mirror.p_start[postings].astype(np.int64)
    counts = mirror.p_start[postings + 1].astype(np.int64) - first
    total = int(counts.sum())
    if total == 0:
        return _NO_KEYS
    offsets = np.repeat(first - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    positions = mirror.positions[np.arange(total, dtype=np.int64) + offsets].astype(np.int64)
    return (np.repeat(docs[selected].astype(np.int64), counts) << _SHIFT) | positions


def _contains(sorted_keys: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """For each probe, whether it is in ``sorted_keys``."""
    if not len(sorted_keys):
        return np.zeros(len(probes), dtype=bool)
    at = np.searchsorted(sorted_keys, probes)
    at[at == len(sorted_keys)] = 0
    return sorted_keys[at] == probes


# --- ranking and counting ----------------------------------------------------------------------------


def top(candidates: np.ndarray, scores: np.ndarray | None, sort_keys: np.ndarray, window: int) -> np.ndarray:
    """The first ``window`` of ``candidates`` (document numbers), best score first, ties in the stable
    order of ``sort_keys`` then document number; by ``sort_keys`` alone when ``scores`` is None.

    Pages of any size cut one total order: everything tied with the last one kept is sorted with
    it before the cut.
    """
    if not len(candidates) or window <= 0:
        return candidates[:0]
    keys = sort_keys[candidates]
    if scores is None:
        if len(candidates) > window:
            bound = np.partition(keys, window - 1)[window - 1]
            keep = keys <= bound
            candidates, keys = candidates[keep], keys[keep]
        order = np.lexsort((candidates, keys))
        return candidates[order][:window]
    values = scores[candidates]
    if len(candidates) > window:
        bound = np.partition(values, len(values) - window)[len(values) - window]
        keep = values >= bound
        candidates, keys, values = candidates[keep], keys[keep], values[keep]
    order = np.lexsort((candidates, keys, -values))
    return candidates[order][:window]


def facet_counts(combo_ids: np.ndarray, mask: np.ndarray, combos: int) -> np.ndarray:
    """How many matched documents have each combination of facet values."""
    return np.bincount(combo_ids[mask], minlength=combos)
