"""Vectorised query evaluation over the mirrors of the postings (:mod:`registry.search.postings`).

A query compiled to a small plan (:class:`Term`, :class:`And`, :class:`Or`, :class:`Phrase`, ...) is
evaluated over whole arrays, one segment at a time: a boolean mask of the matches and a score per
document, BM25F as Whoosh computes it (so the scores are the engine's own). The total, the facet
counts and the top of the ranking (:func:`top`) all come from those arrays. :class:`Among` restricts
the matches to documents whose value of a one-value field (such as ``vid``, the version) is in a set
given at query time, through a per-segment array of value ordinals computed once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .postings import Mirror

#: BM25F parameters, Whoosh's defaults (so scores are Whoosh's own)
B = 0.75
K1 = 1.2

#: how positions and documents are packed into one sortable key: document * 2**_SHIFT + position
_SHIFT = 32
_NO_KEYS = np.zeros(0, dtype=np.int64)


# --- plans -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    field: str
    text: str
    boost: float = 1.0
    scored: bool = True  # False: every posting scores ``boost`` (fields that keep no frequencies)


@dataclass(frozen=True)
class And:
    children: tuple[Plan, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Plan, ...]


@dataclass(frozen=True)
class AndNot:
    positive: Plan
    negative: Plan


@dataclass(frozen=True)
class Not:
    child: Plan


@dataclass(frozen=True)
class Const:
    """The matches of ``child``, each scoring ``score``."""

    child: Plan
    score: float


@dataclass(frozen=True)
class Maybe:
    """The matches of ``required``; those that also match ``optional`` add its score."""

    required: Plan
    optional: Plan


@dataclass(frozen=True)
class Phrase:
    """``terms`` in this order in ``field``, each within ``slop`` positions of the one before."""

    field: str
    terms: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class Among:
    """The documents whose value of ``field`` (one value per document, such as ``vid``) is one of
    ``values``, each scoring 0: a restriction given at query time (the versions in force on a day)."""

    field: str
    values: frozenset[str]


@dataclass(frozen=True)
class Every:
    pass


@dataclass(frozen=True)
class Nothing:
    pass


Plan = Term | And | Or | AndNot | Not | Const | Maybe | Phrase | Among | Every | Nothing


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


def evaluate(plan: Plan, mirror: Mirror, stats: Statistics,
             deadline: float = math.inf) -> tuple[np.ndarray, np.ndarray]:
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
        if kind is Among:
            return self.among(plan)  # type: ignore[arg-type]
        if kind is Every:
            return np.ones(self.n, dtype=bool), np.zeros(self.n, dtype=np.float32)
        if kind is Nothing:
            return self.empty()
        raise TypeError(f"not a plan: {plan!r}")

    def among(self, plan: Among) -> tuple[np.ndarray, np.ndarray]:
        return self.mirror.members(plan.field, plan.values), np.zeros(self.n, dtype=np.float32)

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
