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
    """The OpenAPI path item of this blueprint, for ``registry.api.openapi`` to merge."""
    param = lambda name, schema, text: {"name": name, "in": "query", "required": False, "schema": schema,  # noqa: E731
                                        "description": text}
    string = {"type": "string"}
    hit = {"type": "object", "properties": {
        "code": string, "version": string, "title": string, "level": {"type": ["string", "null"]},
        "level_name": {"type": ["string", "null"]}, "direction": {"type": ["string", "null"]},
        "function": {"type": ["string", "null"]}, "work_content": {"type": ["string", "null"]},
        "item_id": {"type": ["string", "null"]}, "number": {"type": ["string", "null"]},
        "kind": {"type": "string", "enum": list(KINDS)}, "lang": string, "text": string,
        "snippet": {"type": "string", "description": "HTML: escaped text with the matched words in <mark>"},
        "score": {"type": "number"}, "status": string, "draft_id": {"type": ["integer", "null"]},
        "sector": {"type": ["string", "null"]}, "occupation": string, "url": string},
        "required": ["code", "version", "title", "level", "direction", "function", "item_id", "kind", "text",
                     "snippet", "score", "url"]}
    facet = {"type": "array", "items": {"type": "object", "properties": {"value": string, "count": {"type": "integer"}},
                                        "required": ["value", "count"]}}
    return {"/search": {"get": {
        "operationId": "search", "tags": ["search"],
        "summary": "Search requirements, knowledge items and standards (Chinese and English)",
        "description": "Words are ANDed; use OR, NOT or -word, (groups), \"phrases\", prefix* (3+ letters) and "
                       "word~1 / word~2 (fuzzy). Traditional and full-width forms match their simplified and "
                       "half-width forms. Only the current published version of each standard is searched "
                       "unless all=1. Facet counts are over all matches.",
        "parameters": [
            param("q", {"type": "string", "maxLength": 256}, "The query; empty lists everything (with the filters)."),
            param("kind", {"type": "string", "enum": list(KINDS)}, "Only this kind of result."),
            param("sector", string, "Only this sector (slug)."),
            param("level", string, "Only this level id (e.g. L4, intermediate)."),
            param("direction", string, "Only this direction id."),
            param("code", string, "Only this standard (occupation code)."),
            param("type", string, "Only this standard type (skill, technical-skill, unified)."),
            param("lang", string, "Only items with text in this language, shown in it."),
            param("all", {"type": "string", "enum": ["0", "1"]}, "1: search every published version, not only "
                                                                 "the current one."),
            param("drafts", {"type": "string", "enum": ["0", "1"]}, "1: add the caller's drafts (needs a token)."),
            param("page", {"type": "integer", "minimum": 1}, "Page number (page × per_page ≤ 1000)."),
            param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Hits per page."),
        ],
        "responses": {
            "200": {"description": "Hits, facets and a spelling suggestion", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "hits": {"type": "array", "items": hit},
                    "facets": {"type": "object", "additionalProperties": facet},
                    "suggestion": {"type": ["string", "null"]}},
                    "required": ["total", "hits", "facets", "suggestion"]}}}},
            "400": {"description": "Malformed query or parameters (the message says what and where)."},
            "401": {"description": "drafts=1 without a valid token."},
            "503": {"description": "The index is being rebuilt; retry after Retry-After seconds."},
        }}}}
