"""GET /api/v1/search: full-text search over requirements, knowledge items and standards.

The route belongs to the ``api`` blueprint (endpoint ``api.search``, the operationId of the OpenAPI
document): importing this module adds it, and ``create_app`` imports it before registering the
blueprint. Its parameters are read, and documented, by the query model the search package builds
from its table of filters (:mod:`registry.search.contract`); it answers a ``SearchAnswer``.
"""

from __future__ import annotations

from flask import current_app, request

from ..errors import Unauthorized
from ..search import contract
from . import bp
from .contract import Answer, reply, route


def _drafts_overlay():
    """The drafts the caller may see, or None when the request has no valid bearer token."""
    from ..db import read_session
    from ..search.feed import drafts_overlay
    from . import actor

    if not request.headers.get("Authorization"):
        return None
    try:
        who = actor()
    except Unauthorized:
        return None
    with read_session(current_app.extensions["registry.engine"]) as session:
        return drafts_overlay(session, who)


@route(bp, "GET", "/search", summary="Search requirements, knowledge items and standards", tag="search",
       query=contract.query_model,
       answers={200: Answer("Hits in one total order (score, then code, version and item order), so pages never "
                            "overlap; facet counts over every match; a spelling suggestion.", contract.SearchAnswer)},
       errors={400: "A malformed query (unbalanced parenthesis or quote, leading wildcard, too short a prefix, too "
                    "broad an expansion, too long or too many terms) or parameter, or a page beyond the first "
                    f"{contract.MAX_RESULT_WINDOW} results.",
               503: "The search index is being built or rebuilt, or the server is too busy to finish the search in "
                    "time; retry after Retry-After seconds."})
def search():
    """Only the version in force of each standard is searched unless all=1. Exact, ID and title matches
    rank first. A filter given empty (sector=) filters nothing."""
    from ..search.service import service_for

    query, with_drafts = contract.parse(request.args)
    overlay = _drafts_overlay() if with_drafts else None
    result = service_for(current_app).search(query, overlay)
    base = request.script_root + bp.url_prefix
    for hit in result.hits:
        hit["url"] = _url(base, hit)
        hit["permalink"] = _permalink(hit)
    return reply(contract.SearchAnswer(total=result.total, page=result.page, per_page=result.per_page,
                                       hits=result.hits, facets=result.facets, suggestion=result.suggestion,
                                       drafts=overlay is not None), exclude_unset=True)


def _permalink(hit: dict) -> str | None:
    """The item's permalink (``/standards/{code}/{version}/items/{id}``); None for a standard or a draft."""
    if hit.get("draft_id") is not None or not hit.get("item_id"):
        return None
    return f"{request.script_root}/standards/{hit['code']}/{hit['version']}/items/{hit['item_id']}"


def _url(base: str, hit: dict) -> str:
    if hit.get("draft_id") is not None:
        path = f"{base}/drafts/{hit['draft_id']}"
    else:
        path = f"{base}/standards/{hit['code']}/versions/{hit['version']}"
    return path + (f"#{hit['item_id']}" if hit.get("item_id") else "")
