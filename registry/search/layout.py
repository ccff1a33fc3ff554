"""The segments of one generation laid end to end: what the vectorised evaluation runs over.

Each immutable segment contributes its mirror (:mod:`registry.search.postings`) and two arrays computed
once per process: each document's facet combination (:mod:`registry.search.facets`) and its place in
the stable order (:func:`registry.search.documents.sort_key`). Each generation adds which of the
segment's documents are still live. A search evaluates its plan over every part at once
(:meth:`Layout.matches`); the document numbers of the result are offsets into the concatenation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import scoring
from .interfaces import SearchUnavailable
from .postings import Mirror
from .request import QUERY_TIME_LIMIT


@dataclass
class Segment:
    """What a search needs of one immutable segment, computed once per process."""

    mirror: Mirror
    combos: np.ndarray  # per document: the id of its combination of facet values
    keys: np.ndarray  # per document: its place in the stable order (code, version, item order)


@dataclass
class Part:
    """A segment as one generation holds it."""

    segment: Segment
    offset: int
    live: np.ndarray  # per document: not deleted in this generation


@dataclass
class Layout:
    """The segments of one generation (plus, for a body's search, its drafts), laid end to end."""

    parts: list[Part]
    stats: scoring.Statistics = field(init=False)
    combos: np.ndarray = field(init=False)
    keys: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.stats = scoring.Statistics([p.segment.mirror for p in self.parts])
        self.combos = np.concatenate([p.segment.combos for p in self.parts]) if self.parts else np.zeros(0, np.int64)
        self.keys = np.concatenate([p.segment.keys for p in self.parts]) if self.parts else np.zeros(0, np.uint64)

    @property
    def doc_count(self) -> int:
        return sum(p.segment.mirror.doc_count for p in self.parts)

    def matches(self, plan: scoring.Plan, deadline: float) -> tuple[np.ndarray, np.ndarray]:
        """The mask of the live documents ``plan`` matches, and their scores, over every part."""
        masks, scores = [], []
        for part in self.parts:
            try:
                mask, score = scoring.evaluate(plan, part.segment.mirror, self.stats, deadline)
            except scoring.TimeLimit:
                raise SearchUnavailable(f"the search took longer than {QUERY_TIME_LIMIT:g} s: the server is busy, "
                                        "retry shortly") from None
            masks.append(mask & part.live)
            scores.append(score)
        if not masks:
            return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.float32)
        return np.concatenate(masks), np.concatenate(scores)
