"""Running one search on an opened generation: compile, evaluate over the mirrors, rank, count, show.

The query is compiled against the searcher's lexicon (:mod:`registry.search.whoosh.compiler`) and
restricted by the request's filters (:mod:`registry.search.whoosh.queries`); its plan is evaluated over
every segment's mirror at once (:meth:`registry.search.layout.Layout.matches`). The total, the facets
and the ranking come from the arrays; only the hits of the page shown read stored fields.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence

import numpy as np
from whoosh import query as wq
from whoosh.reading import MultiReader
from whoosh.searching import Searcher

from ...errors import BadRequest
from .. import scoring
from ..facets import FacetCombinations
from ..highlight import display_language, hit
from ..interfaces import SearchUnavailable
from ..layout import Layout, Part
from ..query import Node, parse_query
from ..records import VersionRecord, version_key
from ..request import QUERY_TIME_LIMIT, SearchRequest, SearchResult
from ..suggest import suggest
from .compiler import Compiler, SpellLexicon, boosts
from .queries import combine, filters, plan
from .views import View, Views

#: how long a search may spend indexing a body's new drafts in memory (a 503 past it; those indexed
#: are kept, so the retry goes on from there)
OVERLAY_TIME_LIMIT = QUERY_TIME_LIMIT


def run(searcher, layout: Layout, facets: FacetCombinations, request: SearchRequest, node: Node | None, seq: int,
        drafts: Sequence[str] | None = None) -> SearchResult:
    """One page of hits, the total and facets over every match, and a spelling suggestion.

    ``drafts``: the version keys of the drafts laid out after the index's segments (None: no drafts).
    """
    deadline = time.monotonic() + QUERY_TIME_LIMIT
    compiler = Compiler(searcher.reader())
    text_query = None if node is None else compiler.compile(node)
    query = combine(text_query, filters(request))
    if text_query is not None:
        boost = boosts(request.q, compiler, node)
        query = wq.AndMaybe(query, boost) if boost is not None else query
    mask, scores = layout.matches(_within_versions(plan(query), request, compiler, drafts), deadline)
    candidates = np.flatnonzero(mask)
    window = request.page * request.per_page
    ranked = scoring.top(candidates, None if text_query is None else scores, layout.keys, window)
    display = display_language(request, compiler.scripts)
    first = (request.page - 1) * request.per_page
    hits = [hit(searcher.stored_fields(int(d)), round(float(scores[d]), 4) if text_query is not None else 0.0,
                display, compiler.highlight, fixed=bool(request.filters.get("lang")))
            for d in ranked[first:window]]
    counts = facets.counts(layout.combos, candidates)
    suggestion = None
    if compiler.unknown:
        suggestion = suggest(request.q, compiler.unknown, SpellLexicon(searcher.reader()),
                             lambda text: _has_hits(searcher, layout, text, request, drafts, deadline))
    return SearchResult(len(candidates), hits, counts, suggestion, request.page, request.per_page, seq)


def run_with_overlay(views: Views, view: View, searcher, request: SearchRequest, node: Node | None,
                     overlay: Sequence[VersionRecord]) -> SearchResult:
    """:func:`run` over the generation and, laid out after it, the versions of ``overlay`` (drafts);
    the drafts not yet indexed in memory are indexed within the query's time limit."""
    overlays = views.overlay(overlay, time.monotonic() + OVERLAY_TIME_LIMIT)
    ram_readers = [ram.reader() for ram, _ in overlays]
    readers = [r for r, _ in searcher.reader().leaf_readers()]
    for ram_reader in ram_readers:
        readers += [r for r, _ in ram_reader.leaf_readers()]
    combined = Searcher(MultiReader(readers), fromindex=None, closereader=False)
    offset = view.layout.doc_count
    parts = list(view.layout.parts)
    for _, drafts in overlays:
        for part in drafts:
            parts.append(Part(part.segment, offset, part.live))
            offset += part.segment.mirror.doc_count
    try:
        return run(combined, Layout(parts), views.facets, request, node, view.seq, [r.key for r in overlay])
    finally:
        for ram_reader in ram_readers:
            ram_reader.close()


def _within_versions(query_plan: scoring.Plan, request: SearchRequest, compiler: Compiler,
                     drafts: Sequence[str] | None) -> scoring.Plan:
    """``query_plan`` restricted to the versions ``request`` names (and the drafts searched with them),
    unless the query itself names a version (2-02-38-03@1.0: searched whatever its status)."""
    if request.versions is None or compiler.explicit_version:
        return query_plan
    keys = _version_keys(request.versions)
    return scoring.And((query_plan, scoring.Among("vid", keys | frozenset(drafts) if drafts else keys)))


@functools.lru_cache(maxsize=8)
def _version_keys(versions: frozenset[tuple[str, str]]) -> frozenset[str]:
    """The index keys (``vid``) of a set of versions (the same set, a day's, comes again and again)."""
    return frozenset(version_key(code, version) for code, version in versions)


def _has_hits(searcher, layout: Layout, text: str, request: SearchRequest, drafts: Sequence[str] | None,
              deadline: float) -> bool:
    try:
        node = parse_query(text)
        if node is None:
            return False
        compiler = Compiler(searcher.reader())
        query = combine(compiler.compile(node), filters(request))
    except BadRequest:
        return False
    try:
        mask, _ = layout.matches(_within_versions(plan(query), request, compiler, drafts), deadline)
    except SearchUnavailable:  # out of time: the results found stand, without a suggestion
        return False
    return bool(mask.any())
