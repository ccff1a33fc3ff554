"""How alike two requirements are, and an index to find a draft's near-duplicates in a large corpus.

Similarity is RapidFuzz's ``fuzz.ratio`` (normalised Indel similarity, 0-100) of the two texts
normalised by :func:`normalize`: compatibility forms folded, case, punctuation and spacing removed,
and the opening (能 / 能够 / 会, "Can") dropped, since every requirement shares it. Characters are
the unit, which suits Chinese (no word segmentation, no dictionary to load) and works for English.
See docs/lint.md for why RapidFuzz rather than MinHash over jieba words.

:class:`CorpusIndex` finds, for each requirement of a draft, every requirement of the corpus whose
score reaches the cut-off, without comparing against all of them: an inverted index of character
bigrams proposes the candidates that share enough bigrams to possibly reach the cut-off (the q-gram
count filter: a text within Indel distance d of another keeps at least max(|a|,|b|) - 1 - 2d of
its bigrams), and only those are scored. The filter never drops a pair that reaches the cut-off,
so the answer is the one the naive all-pairs comparison gives (the benchmark checks it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: score (0-100) from which two requirements are near-duplicates
NEAR_DUPLICATE = 90.0
#: texts shorter than this (normalised) are not compared: "能编程" and "能编码" say little
MIN_LENGTH = 6

_NON_WORD = re.compile(r"[\W_]+")
_OPENINGS = ("能够", "能", "会", "can ", "be able to ", "is able to ", "able to ")


def normalize(text: str) -> str:
    """The form requirements are compared in (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    spaced = _NON_WORD.sub(" ", folded).strip()
    if not spaced.isascii():  # Chinese: spaces carry nothing
        spaced = spaced.replace(" ", "")
    for opening in _OPENINGS:
        if spaced.startswith(opening):
            return spaced[len(opening):].strip()
    return spaced


def score(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return fuzz.ratio(a, b)


def similar(query: str, choices: list[str], cutoff: float = NEAR_DUPLICATE) -> list[tuple[int, float]]:
    """(index, score) of the choices whose score with ``query`` reaches ``cutoff``."""
    from rapidfuzz import fuzz, process

    return [(index, value) for _, value, index in
            process.extract(query, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)]


@dataclass(frozen=True)
class Occurrence:
    """A requirement of the corpus."""

    code: str
    version: str
    item_id: str
    text: str            # as written, in the master language
    level: str
    direction: str | None
    file: str | None
    path: str            # JSON path in its document


@dataclass(frozen=True)
class Match:
    occurrence: Occurrence
    score: float

    def to_related(self) -> dict[str, Any]:
        o = self.occurrence
        return {"code": o.code, "version": o.version, "item_id": o.item_id, "text": o.text,
                "score": round(self.score, 1), "level": o.level, "direction": o.direction, "file": o.file,
                "path": o.path}


class CorpusIndex:
    """The requirements of a corpus (published standards), indexed by their bigrams.

    Built once (:meth:`build`), then queried for any number of drafts. Identical normalised texts
    are stored once, with all their occurrences.
    """

    def __init__(self, groups: dict[str, _Group]):
        self._groups = groups

    @property
    def size(self) -> int:
        """How many requirements the corpus holds."""
        return sum(len(g.occurrences) for g in self._groups.values())

    @classmethod
    def build(cls, documents: Iterable[tuple[dict, str | None]]) -> CorpusIndex:
        """Index the requirements of ``(document, file or None)`` pairs (schema-valid documents)."""
        from ..issues import json_path
        from .walk import requirements  # noqa: PLC0415

        rows: dict[str, list[tuple[str, Occurrence]]] = {}
        for doc, file in documents:
            master = doc["languages"]["master"]
            for req in requirements(doc):
                rows.setdefault(master, []).append((normalize(req.master_text), Occurrence(
                    doc["code"], doc["version"], req.item_id, req.master_text, req.level, req.direction, file,
                    json_path(req.path))))
        return cls({lang: _Group.build(entries) for lang, entries in rows.items()})

    def query(self, texts: list[str], lang: str, *, exclude_code: str | None = None,
              cutoff: float = NEAR_DUPLICATE) -> list[list[Match]]:
        """For each normalised text, its matches in the corpus (best first), leaving out the
        standard ``exclude_code`` (a new version of a standard resembles its old one)."""
        group = self._groups.get(lang)
        if group is None:
            return [[] for _ in texts]
        return [group.matches(text, exclude_code, cutoff) for text in texts]


class _Group:
    """The index of one master language."""

    def __init__(self, texts: list[str], occurrences: list[list[Occurrence]], keys: np.ndarray,
                 starts: np.ndarray, postings: np.ndarray, lengths: np.ndarray):
        self.texts, self.occurrences = texts, occurrences
        self.keys, self.starts, self.postings, self.lengths = keys, starts, postings, lengths

    @classmethod
    def build(cls, entries: list[tuple[str, Occurrence]]) -> _Group:
        import numpy as np

        by_text: dict[str, list[Occurrence]] = {}
        for text, occurrence in entries:
            by_text.setdefault(text, []).append(occurrence)
        texts = list(by_text)
        occurrences = [by_text[t] for t in texts]
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int32, count=len(texts))
        # every bigram of every text, as (key, text number), at once: code points of all texts
        # joined, pairs that do not cross a boundary, keys = first * 2**21 + second
        joined = "".join(texts)
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        owner = np.repeat(np.arange(len(texts), dtype=np.int32), lengths)
        same = owner[:-1] == owner[1:] if len(owner) > 1 else np.zeros(0, dtype=bool)
        pair_keys = (points[:-1] << 21 | points[1:])[same]
        pair_owner = owner[:-1][same]
        combined = np.unique(pair_keys.astype(np.int64) * len(texts) + pair_owner)  # distinct (key, text)
        keys_all, owners = np.divmod(combined, max(1, len(texts)))
        keys, starts = np.unique(keys_all, return_index=True)
        starts = np.append(starts, len(keys_all)).astype(np.int64)
        return cls(texts, occurrences, keys, starts, owners.astype(np.int32), lengths)

    def matches(self, text: str, exclude_code: str | None, cutoff: float) -> list[Match]:
        import numpy as np

        length = len(text)
        if length < MIN_LENGTH or not self.texts:
            return []
        grams = [text[i:i + 2] for i in range(length - 1)]
        distinct = set(grams)
        repeats = len(grams) - len(distinct)
        query = np.array([ord(g[0]) << 21 | ord(g[1]) for g in distinct], dtype=np.int64)
        where = np.searchsorted(self.keys, query)
        found = where < len(self.keys)
        where = where[found][self.keys[where[found]] == query[found]]
        if len(where) == 0:
            return []
        hits = np.concatenate([self.postings[self.starts[w]:self.starts[w + 1]] for w in where])
        counts = np.bincount(hits, minlength=len(self.texts))
        ratio = cutoff / 100.0
        lengths = self.lengths
        longest = np.maximum(lengths, length)
        most_edits = np.floor((1.0 - ratio) * (lengths + length) + 1e-9)
        needed = longest - 1 - 2 * most_edits - repeats
        fits = (lengths >= MIN_LENGTH) & (lengths * (2.0 - ratio) >= length * ratio - 1e-9) & (
            length * (2.0 - ratio) >= lengths * ratio - 1e-9)
        candidates = np.nonzero(fits & (counts >= np.maximum(needed, 1)))[0]
        if len(candidates) == 0:
            return []
        choices = [self.texts[c] for c in candidates]
        out = []
        for index, value in similar(text, choices, cutoff):
            for occurrence in self.occurrences[candidates[index]]:
                if occurrence.code != exclude_code:
                    out.append(Match(occurrence, value))
        out.sort(key=lambda m: (-m.score, m.occurrence.code, m.occurrence.version, m.occurrence.item_id))
        return out


def naive_matches(texts: list[str], corpus: list[tuple[str, Occurrence]], *, exclude_code: str | None = None,
                  cutoff: float = NEAR_DUPLICATE) -> list[list[Match]]:
    """The baseline: every text against every corpus requirement (for the benchmark and the tests)."""
    choices = [t for t, _ in corpus]
    out = []
    for text in texts:
        found = [] if len(text) < MIN_LENGTH else [
            Match(corpus[i][1], value) for i, value in similar(text, choices, cutoff)
            if len(choices[i]) >= MIN_LENGTH and corpus[i][1].code != exclude_code]
        found.sort(key=lambda m: (-m.score, m.occurrence.code, m.occurrence.version, m.occurrence.item_id))
        out.append(found)
    return out
