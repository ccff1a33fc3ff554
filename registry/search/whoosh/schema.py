"""The Whoosh schema: the index fields the documents of :mod:`registry.search.documents` fill, and the
analyzers of the text fields (Whoosh's side of :func:`registry.search.analysis.analyze`).

The schema is built on first use, then shared. Indexes are opened with it (never with the copy Whoosh
pickles into each table of contents), so the analyzers' module paths may change without a rebuild.
"""

from __future__ import annotations

import functools
from typing import Any

from whoosh import columns as wcolumns
from whoosh import fields as wfields
from whoosh.analysis import Token, Tokenizer

from ..analysis import STEMMER, analyze
from ..documents import CONTEXT_MARK, CONTEXT_WEIGHT


class MixedTokenizer(Tokenizer):
    """Whoosh analyzer over :func:`analyze` (picklable: it holds only the stemmer's name)."""

    def __init__(self, stem: str | None = "english"):
        self.stem = stem

    def __eq__(self, other):
        return type(other) is type(self) and other.stem == self.stem

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text, _, context = value.partition(CONTEXT_MARK)
        parts = [(text, 1.0, 0, 0)]
        if context:  # context words weigh less, and sit far enough away that no phrase spans both
            parts.append((context, CONTEXT_WEIGHT, 1000, len(text) + 1))
        for part, boost, base_pos, base_char in parts:
            for term, pos, start, end in analyze(part, self.stem, subwords=mode != "query"):
                token.text = term
                token.boost = boost
                token.stopped = False
                if keeporiginal:
                    token.original = term
                if positions:
                    token.pos = start_pos + base_pos + pos
                if chars:
                    token.startchar = start_char + base_char + start
                    token.endchar = start_char + base_char + end
                yield token


class SpellTokenizer(Tokenizer):
    """Unstemmed, lower-cased Latin words (the vocabulary for "did you mean" and expansions)."""

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for word in value.split():
            token.text = word
            token.boost = 1.0
            token.stopped = False
            yield token


def make_schema() -> wfields.Schema:
    """A new schema of the index (:func:`schema` shares one)."""
    fields: dict[str, Any] = {
        "id": wfields.ID(stored=True, unique=True),
        "vid": wfields.ID(),
        "code": wfields.ID(stored=True),
        "version": wfields.ID(stored=True),
        "kind": wfields.ID(stored=True),
        "part": wfields.ID(),
        "function": wfields.ID(),
        "work_content": wfields.ID(),
        "ids": wfields.KEYWORD(lowercase=True),
        "sector": wfields.ID(),
        "type": wfields.ID(),
        "level": wfields.KEYWORD(),
        "level_upto": wfields.KEYWORD(),
        "direction": wfields.KEYWORD(),
        "lang": wfields.KEYWORD(),
        "current": wfields.ID(),
        "exact": wfields.KEYWORD(),
        "spell": wfields.TEXT(analyzer=SpellTokenizer(), phrase=False),
        "data": wfields.STORED(),
        "facets": wfields.COLUMN(wcolumns.VarBytesColumn()),
        "sort": wfields.COLUMN(wcolumns.NumericColumn("Q")),
    }
    fields["body"] = wfields.TEXT(analyzer=MixedTokenizer(STEMMER), phrase=True)
    fields["title"] = wfields.TEXT(analyzer=MixedTokenizer(STEMMER), phrase=True)
    return wfields.Schema(**fields)


@functools.cache
def schema() -> wfields.Schema:
    """The index schema (built on first use, then shared)."""
    return make_schema()
