"""Reading request bodies and query arguments, with the 4xx a client can act on."""

from __future__ import annotations

from typing import Any

from flask import request

from ..errors import BadRequest, UnsupportedMediaType

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
MAX_PER_PAGE = 200


def yaml_body() -> bytes:
    """The raw YAML bytes of the request (never decoded by Flask: the loader checks the encoding)."""
    if request.mimetype not in YAML_TYPES:
        raise UnsupportedMediaType(f"send the standard as application/yaml, not {request.mimetype or 'nothing'}",
                                   details={"accepted": list(YAML_TYPES)})
    return request.get_data(cache=False)  # MAX_CONTENT_LENGTH turns an oversized body into a 413


def json_body(*, optional: bool = False) -> dict[str, Any]:
    if not request.content_length and optional:
        return {}
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send a JSON object as application/json")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    return payload


def page_args() -> tuple[int, int]:
    page, per_page = request.args.get("page", "1"), request.args.get("per_page", "50")
    if not page.isdigit() or int(page) < 1:
        raise BadRequest("page must be a positive integer", details={"field": "page"})
    if not per_page.isdigit() or not 1 <= int(per_page) <= MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}", details={"field": "per_page"})
    return int(page), int(per_page)
