"""GET /api/v1/search: full-text search over requirements, knowledge items and standards."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..errors import BadRequest, Unauthorized
from ..search import KINDS, MAX_PER_PAGE, SearchRequest

bp = Blueprint("search_api", __name__, url_prefix="/api/v1")

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


def search_request() -> SearchRequest:
    """Read the query string into a search request (400 for anything malformed)."""
    kind = _text("kind")
    if kind is not None and kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}", details={"field": "kind"})
    per_page = _int("per_page", 20)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}", details={"field": "per_page"})
    page = _int("page", 1)
    if page < 1:
        raise BadRequest("page must be a positive integer", details={"field": "page"})
    return SearchRequest(q=request.args.get("q", ""), kind=kind, sector=_text("sector"), level=_text("level"),
                         direction=_text("direction"), code=_text("code"), type=_text("type"),
                         lang=_text("lang", 16), page=page, per_page=per_page, all_versions=_flag("all"))


@bp.get("/search")
def search():
    from ..db import read_session
    from ..services.search import drafts_overlay, service_for

    query = search_request()
    overlay = None
    if _flag("drafts"):
        from . import actor

        if not request.headers.get("Authorization"):
            raise Unauthorized("drafts=1 shows your body's drafts: send 'Authorization: Bearer <token>'")
        who = actor()
        with read_session(current_app.extensions["registry.engine"]) as session:
            overlay = drafts_overlay(session, who)
    result = service_for(current_app).search(query, overlay)
    base = request.script_root + bp.url_prefix
    for hit in result.hits:
        hit["url"] = _url(base, hit)
    return jsonify({"total": result.total, "page": result.page, "per_page": result.per_page, "hits": result.hits,
                    "facets": result.facets, "suggestion": result.suggestion})


def _url(base: str, hit: dict) -> str:
    if hit.get("draft_id") is not None:
        path = f"{base}/drafts/{hit['draft_id']}"
    else:
        path = f"{base}/standards/{hit['code']}/versions/{hit['version']}"
    return path + (f"#{hit['item_id']}" if hit.get("item_id") else "")


def openapi_paths() -> dict:
    """The OpenAPI path item of this blueprint, built with ``registry.api.openapi``'s helpers, for
    ``document()`` to merge: ``"paths": {..., **search.openapi_paths()}``."""
    from .openapi import _errors, _json, _operation, _query, _response

    text = {"type": "string"}
    maybe = {"type": ["string", "null"]}
    hit = {"type": "object", "additionalProperties": False, "properties": {
        "code": text, "version": text, "title": text, "occupation": text, "level": maybe, "level_name": maybe,
        "direction": maybe, "function": maybe, "work_content": maybe, "item_id": maybe, "number": maybe,
        "kind": {"type": "string", "enum": list(KINDS)}, "lang": text,
        "text": {"type": "string", "description": "The item's text (a standard's definition) in the shown language."},
        "snippet": {"type": "string", "description": "HTML: the text escaped, the matched words in <mark>."},
        "score": {"type": "number"}, "status": {"type": "string", "enum": ["published", "superseded", "draft"]},
        "draft_id": {"type": ["integer", "null"]}, "sector": maybe,
        "url": {"type": "string", "description": "The version (or draft) the hit comes from, #item_id."}},
        "required": ["code", "version", "title", "level", "direction", "function", "item_id", "kind", "text",
                     "snippet", "score", "url"]}
    facet = {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                        "properties": {"value": text, "count": {"type": "integer", "minimum": 1}},
                                        "required": ["value", "count"]}}
    body = {"type": "object", "additionalProperties": False, "properties": {
        "total": {"type": "integer", "minimum": 0}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "hits": {"type": "array", "items": hit},
        "facets": {"type": "object", "additionalProperties": False, "properties": {
            name: facet for name in ("sector", "level", "direction", "occupation", "kind", "type")}},
        "suggestion": {"type": ["string", "null"], "description": "The query with misspelt English words "
                                                                  "corrected, when some word is unknown."}},
        "required": ["total", "page", "per_page", "hits", "facets", "suggestion"]}
    flag = {"type": "string", "enum": ["0", "1"]}
    parameters = [
        _query("q", {"type": "string", "maxLength": 256}, "The query. Words are ANDed; OR, NOT or -word, "
               "(groups), \"phrases\", prefix* (3+ letters, 2+ Chinese characters) and word~1 / word~2. "
               "Traditional and full-width forms match simplified and half-width ones. Empty: list all."),
        _query("kind", {"type": "string", "enum": list(KINDS)}, "Only this kind of hit."),
        _query("sector", text, "Only this sector (slug)."),
        _query("level", text, "Only this level id (L4, intermediate ...)."),
        _query("direction", text, "Only this direction id."),
        _query("code", text, "Only this standard (occupation code)."),
        _query("type", {"type": "string", "enum": ["skill", "technical-skill", "unified"]}, "Only this type."),
        _query("lang", text, "Only items with text in this language, shown in it."),
        _query("all", flag, "1: every published version (superseded ones too), not only the current one."),
        _query("drafts", flag, "1: add the drafts the caller may see (its body's); needs a bearer token."),
        _query("page", {"type": "integer", "minimum": 1}, "Page number; page × per_page is at most 1000."),
        _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Hits per page."),
    ]
    responses = {"200": _response("Hits in a stable order, facet counts over every match, and a spelling "
                                  "suggestion.", _json(body)),
                 **_errors(400, 401, 503, notes={
                     400: "A malformed query (unbalanced parenthesis or quote, leading wildcard, too short a "
                          "prefix, too broad an expansion, too long or too many terms) or parameter.",
                     401: "drafts=1 without a valid bearer token.",
                     503: "The search index is being rebuilt; retry after Retry-After seconds."})}
    operation = _operation("search", "Search requirements, knowledge items and standards", "search", responses,
                           security=[{}, {"bearerAuth": []}], parameters=parameters,
                           description="Only the current published version of each standard is searched "
                                       "unless all=1. Exact and title matches rank first.")
    return {"/search": {"get": operation}}
