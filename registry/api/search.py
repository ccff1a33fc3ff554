"""GET /api/v1/search: full-text search over requirements, knowledge items and standards.

The route belongs to the ``api`` blueprint (endpoint ``api.search``, the operationId of the OpenAPI
document): importing this module adds it, and ``create_app`` imports it before registering the
blueprint. Its parameters are read by :func:`registry.search.request.from_args`, from the table of
filters that also documents them (:mod:`registry.search.contract`).
"""

from __future__ import annotations

from flask import current_app, jsonify, request

from ..errors import Unauthorized
from ..search.request import flag, from_args
from . import bp


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


@bp.get("/search")
def search():
    from ..search.service import service_for

    query = from_args(request.args)
    overlay = _drafts_overlay() if flag(request.args, "drafts") else None
    result = service_for(current_app).search(query, overlay)
    base = request.script_root + bp.url_prefix
    for hit in result.hits:
        hit["url"] = _url(base, hit)
        hit["permalink"] = _permalink(hit)
    return jsonify({"total": result.total, "page": result.page, "per_page": result.per_page, "hits": result.hits,
                    "facets": result.facets, "suggestion": result.suggestion, "drafts": overlay is not None})


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
