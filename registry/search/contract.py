"""The contract of GET /api/v1/search, in OpenAPI 3.1 terms: its query parameters and the JSON it answers.

The parameters come from the table of filters (:data:`registry.search.request.FILTERS`, read on each
call) and the limits that :func:`registry.search.request.from_args` enforces, so that what is documented
is what is parsed; :mod:`registry.api.openapi` puts them into the API's document.
"""

from __future__ import annotations

from typing import Any

from ..lifecycle import DRAFT_STANDING, STANDINGS
from . import request
from .documents import KINDS, PARTS
from .facets import FACETS
from .query import MAX_QUERY_CHARS
from .request import MAX_PER_PAGE, MAX_RESULT_WINDOW, Filter

QUERY_DESCRIPTION = (
    "The query. Words are ANDed; Chinese typed without spaces is segmented and its words ANDed (particles such "
    "as 的 are ignored); OR, NOT or -word, (groups), \"phrases\" (exact), prefix* (3+ letters, 2+ Chinese "
    "characters) and word~1 / word~2. An occupation code (2-02-38-03, or 2-02-38-03@1.1 for one version, whatever "
    "its status) finds the standard and its items; an item, function or work content ID finds those items. "
    "Traditional characters (Taiwan words too) and full-width forms match simplified and half-width ones. Empty: "
    "list in a stable order (code, version, item order).")


def _parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _filter_schema(f: Filter) -> dict[str, Any]:
    return {"type": "string", "enum": list(f.choices)} if f.choices is not None else {"type": "string"}


def parameters() -> list[dict[str, Any]]:
    """The OpenAPI parameter objects of GET /api/v1/search: ``q``, every filter, ``all``, ``cumulative``, ``as_of``,
    ``drafts``, ``page`` and ``per_page``."""
    flag = {"type": "string", "enum": ["0", "1"]}
    return [
        _parameter("q", {"type": "string", "maxLength": MAX_QUERY_CHARS}, QUERY_DESCRIPTION),
        *(_parameter(f.name, _filter_schema(f), f.description) for f in request.FILTERS),
        _parameter("all", flag, "1: every version that is not withdrawn (superseded and upcoming ones too), not only "
                                "the one in force."),
        _parameter("cumulative", flag, "1: with level=, the level as a person at it must know it: its items and those "
                                       "of the lower levels, where the standard states that a higher level includes "
                                       "the lower levels' requirements (each standard's own level order)."),
        _parameter("as_of", {"type": "string", "format": "date"},
                   "A day YYYY-MM-DD: the versions in force on that day instead of today's (docs/lifecycle.md)."),
        _parameter("drafts", flag, "1: with a valid bearer token, the drafts the caller may see (its body's) too."),
        _parameter("page", {"type": "integer", "minimum": 1},
                   f"Page number; page × per_page is at most {MAX_RESULT_WINDOW}."),
        _parameter("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Hits per page."),
    ]


def result_schema() -> dict[str, Any]:
    """The JSON Schema of the answer: hits (with the ``url`` the API adds), facets, suggestion, drafts."""
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
        "score": {"type": "number"}, "status": {"type": "string", "enum": [*STANDINGS, DRAFT_STANDING],
                                           "description": "The version's standing on the day searched "
                                                          "(today, or as_of), or draft."},
        "draft_id": {"type": ["integer", "null"]}, "sector": maybe,
        "url": {"type": "string", "description": "The version (or draft) the hit comes from, #item_id."},
        "permalink": {"type": ["string", "null"], "description": "The item's permalink page "
                                                                 "(/standards/{code}/{version}/items/{id}); null for "
                                                                 "a standard or a draft."}},
        "required": ["code", "version", "title", "level", "direction", "function", "item_id", "kind", "part", "text",
                     "snippet", "score", "url"]}
    facet = {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                        "properties": {"value": text, "count": {"type": "integer", "minimum": 1}},
                                        "required": ["value", "count"]}}
    return {"type": "object", "additionalProperties": False, "properties": {
        "total": {"type": "integer", "minimum": 0}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "hits": {"type": "array", "items": hit},
        "facets": {"type": "object", "additionalProperties": False,
                   "properties": {name: facet for name in FACETS}},
        "suggestion": {"type": ["string", "null"], "description": "The query with misspelt English words "
                                                                  "corrected, when some word is unknown and the "
                                                                  "corrected query finds something."},
        "drafts": {"type": "boolean", "description": "Whether drafts were searched too (drafts=1 with a valid "
                                                     "bearer token)."}},
        "required": ["total", "page", "per_page", "hits", "facets", "suggestion", "drafts"]}
