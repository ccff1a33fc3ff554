"""GET /api/v1/search: full-text search over requirements, knowledge items and standards.

The route belongs to the ``api`` blueprint (endpoint ``api.search``, the operationId of the OpenAPI
document): importing this module adds it, and ``create_app`` imports it before registering the
blueprint. :func:`openapi_paths` describes it for ``registry.api.openapi.document``.
"""

from __future__ import annotations

from flask import current_app, jsonify, request

from ..errors import BadRequest, Unauthorized
from ..search import KINDS, MAX_PER_PAGE, PARTS, SearchRequest
from ..vocabulary import STANDARD_TYPES
from . import bp

FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


def _int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise BadRequest(f"{name} must be a positive integer", details={"field": name})
    return int(raw)


def _flag(name: str) -> bool:
    raw = request.args.get(name, "").lower()
    if raw not in FLAGS:
        raise BadRequest(f"{name} must be 1 or 0", details={"field": name})
    return FLAGS[raw]


def _text(name: str, limit: int = 64) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise BadRequest(f"{name} is not a valid value", details={"field": name})
    return value


def _choice(name: str, choices: tuple[str, ...]) -> str | None:
    value = _text(name)
    if value is not None and value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}", details={"field": name})
    return value


def search_request() -> SearchRequest:
    """Read the query string into a search request (400 for anything malformed)."""
    per_page = _int("per_page", 20)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}", details={"field": "per_page"})
    page = _int("page", 1)
    if page < 1:
        raise BadRequest("page must be a positive integer", details={"field": "page"})
    return SearchRequest(q=request.args.get("q", ""), kind=_choice("kind", KINDS), sector=_text("sector"),
                         level=_text("level"), direction=_text("direction"), code=_text("code"),
                         type=_choice("type", tuple(STANDARD_TYPES)),
                         lang=_text("lang", 16), page=page, per_page=per_page, all_versions=_flag("all"),
                         part=_choice("part", PARTS), function=_text("function", 80),
                         work_content=_text("work_content", 80))


def _drafts_overlay():
    """The drafts the caller may see, or None when the request has no valid bearer token."""
    from ..db import read_session
    from ..services.search import drafts_overlay
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
    from ..services.search import service_for

    query = search_request()
    overlay = _drafts_overlay() if _flag("drafts") else None
    result = service_for(current_app).search(query, overlay)
    base = request.script_root + bp.url_prefix
    for hit in result.hits:
        hit["url"] = _url(base, hit)
    return jsonify({"total": result.total, "page": result.page, "per_page": result.per_page, "hits": result.hits,
                    "facets": result.facets, "suggestion": result.suggestion, "drafts": overlay is not None})


def _url(base: str, hit: dict) -> str:
    if hit.get("draft_id") is not None:
        path = f"{base}/drafts/{hit['draft_id']}"
    else:
        path = f"{base}/standards/{hit['code']}/versions/{hit['version']}"
    return path + (f"#{hit['item_id']}" if hit.get("item_id") else "")


def openapi_paths() -> dict:
    """The OpenAPI path item of the route, built with ``registry.api.openapi``'s helpers, for
    ``document()`` to merge: ``"paths": {..., **search.openapi_paths()}``."""
    from .openapi import _errors, _json, _operation, _query, _response

    text = {"type": "string"}
    maybe = {"type": ["string", "null"]}
    hit = {"type": "object", "additionalProperties": False, "properties": {
        "code": text, "version": text, "title": text, "occupation": text, "level": maybe, "level_name": maybe,
        "direction": maybe, "function": maybe, "function_id": maybe, "work_content": maybe, "work_content_id": maybe,
        "item_id": maybe, "number": maybe, "kind": {"type": "string", "enum": list(KINDS)},
        "part": {"type": ["string", "null"], "enum": [*PARTS, None],
                 "description": "basic: an item of the basic requirements (职业道德, 基础知识), for every level; "
                                "work: an item of the work requirements; null for a standard."},
        "group": {"type": ["string", "null"], "description": "The basic-knowledge group of a basic item."},
        "lang": text,
        "text": {"type": "string", "description": "The item's text (a standard's definition) in the shown language."},
        "snippet": {"type": "string", "description": "HTML: the text escaped, the matched words in <mark>."},
        "score": {"type": "number"}, "status": {"type": "string", "enum": ["published", "superseded", "draft"]},
        "draft_id": {"type": ["integer", "null"]}, "sector": maybe,
        "url": {"type": "string", "description": "The version (or draft) the hit comes from, #item_id."}},
        "required": ["code", "version", "title", "level", "direction", "function", "item_id", "kind", "part", "text",
                     "snippet", "score", "url"]}
    facet = {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                        "properties": {"value": text, "count": {"type": "integer", "minimum": 1}},
                                        "required": ["value", "count"]}}
    body = {"type": "object", "additionalProperties": False, "properties": {
        "total": {"type": "integer", "minimum": 0}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "hits": {"type": "array", "items": hit},
        "facets": {"type": "object", "additionalProperties": False, "properties": {
            name: facet for name in ("sector", "level", "direction", "occupation", "kind", "type", "part")}},
        "suggestion": {"type": ["string", "null"], "description": "The query with misspelt English words "
                                                                  "corrected, when some word is unknown and the "
                                                                  "corrected query finds something."},
        "drafts": {"type": "boolean", "description": "Whether drafts were searched too (drafts=1 with a valid "
                                                     "bearer token)."}},
        "required": ["total", "page", "per_page", "hits", "facets", "suggestion", "drafts"]}
    flag = {"type": "string", "enum": ["0", "1"]}
    parameters = [
        _query("q", {"type": "string", "maxLength": 256}, "The query. Words are ANDed; Chinese typed without "
               "spaces is segmented and its words ANDed (particles such as 的 are ignored); OR, NOT or -word, "
               "(groups), \"phrases\" (exact), prefix* (3+ letters, 2+ Chinese characters) and word~1 / word~2. "
               "An occupation code (2-02-38-03, or 2-02-38-03@1.1 for one version, whatever its status) finds the "
               "standard and its items; an item, function or work content ID finds those items. Traditional "
               "characters (Taiwan words too) and full-width forms match simplified and half-width ones. Empty: "
               "list in a stable order (code, version, item order)."),
        _query("kind", {"type": "string", "enum": list(KINDS)}, "Only this kind of hit."),
        _query("part", {"type": "string", "enum": list(PARTS)}, "Only items of the basic or the work requirements."),
        _query("sector", text, "Only this sector (slug)."),
        _query("level", text, "Only this level id (L4, intermediate ...); basic items belong to every level."),
        _query("direction", text, "Only this direction id."),
        _query("code", text, "Only this standard (occupation code)."),
        _query("function", text, "Only the items of this function (its id)."),
        _query("work_content", text, "Only the items of this work content (its id)."),
        _query("type", {"type": "string", "enum": ["skill", "technical-skill", "unified"]}, "Only this type."),
        _query("lang", text, "Only items with text in this language, shown in it."),
        _query("all", flag, "1: every published version (superseded ones too), not only the current one."),
        _query("drafts", flag, "1: with a valid bearer token, the drafts the caller may see (its body's) too."),
        _query("page", {"type": "integer", "minimum": 1}, "Page number; page × per_page is at most 1000."),
        _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Hits per page."),
    ]
    responses = {"200": _response("Hits in one total order (score, then code, version and item order), so pages "
                                  "never overlap; facet counts over every match; a spelling suggestion.", _json(body)),
                 **_errors(400, 503, notes={
                     400: "A malformed query (unbalanced parenthesis or quote, leading wildcard, too short a "
                          "prefix, too broad an expansion, too long or too many terms) or parameter.",
                     503: "The search index is being built or rebuilt, or the server is too busy to finish the "
                          "search in time; retry after Retry-After seconds."})}
    operation = _operation("search", "Search requirements, knowledge items and standards", "search", responses,
                           parameters=parameters,
                           description="Only the current published version of each standard is searched "
                                       "unless all=1. Exact, ID and title matches rank first.")
    return {"/search": {"get": operation}}
