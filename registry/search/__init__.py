"""Full-text search over published standards (and a body's drafts), in Chinese and English.

Each machine keeps its own index, a rebuildable cache of the catalog; the catalog's change log is the
one source of truth. Callers see a small interface that does not mention the engine: the service
(:mod:`registry.search.service`: ``init_app``, ``service_for``, ``SearchService.search``), plain
records in (:class:`SearchRequest`) and out (:class:`SearchResult`), and the table of filters
(:data:`registry.search.request.FILTERS`). Nothing happens at import time: the engine, jieba's dictionary and the OpenCC
converters are loaded on first use, and importing this package loads none of them.

Engine-neutral modules, from the bottom up:

``records``     what goes into the index (versions, removals, what a change feed read)
``interfaces``  what an engine offers (``SearchIndex``) and needs (``ChangeFeed``); its problems
``changes``     reading a change feed, gaps included
``folding``     width, compatibility forms and traditional characters (OpenCC)
``analysis``    the tokenizer: jieba (its dictionary in a marisa trie) and Snowball stemming
``documents``   a version of a standard to its index documents
``request``     the request and result records, the limits and the table of filters
``contract``    the OpenAPI parameters and answer of GET /api/v1/search, from that table
``query``       the query language: lexer, parser, limits
``postings``    each segment's postings as arrays (mirrors), written once, memory-mapped
``scoring``     the vectorised evaluation of a query over the mirrors (BM25F), and the ranking
``layout``      a generation's segments laid end to end for one evaluation
``facets``      facet counts over every match
``highlight``   hits as answered: the language shown, snippets with the query's terms marked
``suggest``     "did you mean"
``locks``       the writers' lock file
``feed``        the catalog as a change feed, and the drafts a caller may see
``service``     the service of one process and its catch-up thread; the choice of the engine
``cli``         ``registry reindex``

The engine is :mod:`registry.search.whoosh`, the only package that imports Whoosh.
"""

from __future__ import annotations

from .interfaces import IndexDamaged, IndexProblem, SearchUnavailable
from .records import Changes, Removal, VersionRecord
from .request import SearchRequest, SearchResult

__all__ = ["Changes", "IndexDamaged", "IndexProblem", "Removal", "SearchRequest", "SearchResult", "SearchUnavailable",
           "VersionRecord"]
