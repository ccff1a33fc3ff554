"""Whoosh queries: the filters of a request, how they combine with the text query, and the plan of a
query for the vectorised evaluation (:mod:`registry.search.scoring`).

A search compiles to a Whoosh query (:mod:`registry.search.whoosh.compiler` for the words, :func:`filters`
for the table of filters), which :func:`plan` translates for :func:`registry.search.scoring.evaluate`.
Whoosh's own matchers can run the same query, one document at a time (the tests compare the two).
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.matching import AndNotMatcher

from .. import scoring
from ..request import SearchRequest, filter_terms
from .schema import schema


class _AndNotMatcher(AndNotMatcher):
    """Whoosh's AndNotMatcher checks the first document against the excluded list only when both
    lists start on the same document, so an excluded first match slips through."""

    def _find_first(self):
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class AndNot(wq.AndNot):
    """``a`` but not ``b``, without Whoosh's slip on the first document."""

    def matcher(self, searcher, context=None):
        return _AndNotMatcher(self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


class Or(wq.Or):
    """Or as a tree of union matchers, always (Whoosh preloads every posting into arrays for indexes
    under 5,000 documents, which costs more than the search itself)."""

    matcher_type = wq.Or.DEFAULT_MATCHER


def one_of(queries: list[wq.Query]) -> wq.Query | None:
    """None for no query, the query itself for one, else their :class:`Or`."""
    return None if not queries else queries[0] if len(queries) == 1 else Or(queries)


def text(term) -> str:
    """A term as text (Whoosh gives bytes or str)."""
    return term.decode("utf-8") if isinstance(term, bytes) else term


def filters(request: SearchRequest) -> tuple[list[wq.Query], list[wq.Query]]:
    """Terms every hit must have (the request's filters), and terms no hit may have (small lists:
    cheap to skip over)."""
    terms: list[wq.Query] = [wq.Term(fieldname, term) for fieldname, term in filter_terms(request)]
    # which versions are searched is the request's ``versions`` (decided when the search runs, from the
    # dates: the service passes the versions in force on the day); the index holds every version that is
    # not withdrawn, and its meta document, which no search finds
    return terms, [wq.Term("kind", "meta")]


def combine(text_query: wq.Query | None, filtering: tuple[list[wq.Query], list[wq.Query]]) -> wq.Query:
    """The text query (None: every document) restricted by :func:`filters`, which add nothing to scores."""
    required, excluded = filtering
    if text_query is None:
        query = (wq.And(required) if len(required) > 1 else required[0]) if required else wq.Every()
    elif required:
        # the filters restrict the matches and add nothing to the score (not wq.Require: its matcher
        # trips an assertion when block-quality skipping lands both sides on the same document)
        restriction = wq.And(required) if len(required) > 1 else required[0]
        query = wq.And([text_query, wq.ConstantScoreQuery(restriction, 0.0)])
    else:
        query = text_query
    return AndNot(query, excluded[0] if len(excluded) == 1 else Or(excluded))


class Unplannable(Exception):
    """A query the vectorised evaluation does not know (a mistake in this package, not the user's)."""


def plan(query: wq.Query) -> scoring.Plan:
    """The plan of a compiled Whoosh query, for :func:`registry.search.scoring.evaluate`."""
    if query is wq.NullQuery:
        return scoring.Nothing()
    kind = type(query)
    if kind is wq.Term:
        field_type = schema()[query.fieldname]
        return scoring.Term(query.fieldname, text(query.text), float(query.boost), bool(field_type.scorable))
    if getattr(query, "boost", 1.0) != 1.0 and kind is not wq.Phrase:
        raise Unplannable(f"a boosted {kind.__name__}")
    if isinstance(query, AndNot):
        return scoring.AndNot(plan(query.a), plan(query.b))
    if kind is wq.AndMaybe:
        return scoring.Maybe(plan(query.a), plan(query.b))
    if kind is wq.And:
        return scoring.And(tuple(plan(q) for q in query.subqueries))
    if isinstance(query, wq.Or) and not query.minmatch and query.scale is None:
        return scoring.Or(tuple(plan(q) for q in query.subqueries))
    if kind is wq.Not:
        return scoring.Not(plan(query.query))
    if kind is wq.ConstantScoreQuery:
        return scoring.Const(plan(query.child), float(query.score))
    if kind is wq.Phrase:
        return scoring.Phrase(query.fieldname, tuple(text(w) for w in query.words), int(query.slop),
                              float(query.boost))
    if kind is wq.Every:
        return scoring.Every()
    raise Unplannable(kind.__name__)
