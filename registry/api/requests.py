"""Reading request bodies and query arguments, with the 4xx a client can act on."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import BadRequest, UnsupportedMediaType

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000
MAX_ID = 2**31 - 1  # catalog ids are 32-bit integers on every backend


def limit_streamed_bodies(app: Flask) -> None:
    """Refuse a body sent without ``Content-Length`` (chunked) that is over ``MAX_CONTENT_LENGTH`` with
    413, as one with it is. Werkzeug stops reading such a body at the limit and hands on what it read,
    so an oversized chunked upload was silently cut and stored. The body is read here, before any
    route or form parser sees it (at most the limit and one byte), and handed on with its length."""

    @app.before_request
    def _bound_streamed_body():
        environ = request.environ
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit is None or "wsgi.input_terminated" not in environ or environ.get("CONTENT_LENGTH"):
            return
        data = environ["wsgi.input"].read(limit + 1)
        if len(data) > limit:
            raise RequestEntityTooLarge(f"the body is larger than the limit of {limit} bytes")
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        request.__dict__.pop("stream", None)


def yaml_body() -> bytes:
    """The raw YAML bytes of the request (never decoded by Flask: the loader checks the encoding)."""
    if request.mimetype not in YAML_TYPES:
        raise UnsupportedMediaType(f"send the standard as application/yaml, not {request.mimetype or 'nothing'}",
                                   details={"accepted": list(YAML_TYPES)})
    return request.get_data(cache=False)  # MAX_CONTENT_LENGTH turns an oversized body into a 413


def pdf_body() -> bytes:
    """The raw bytes of a PDF sent as the request body (``application/pdf``)."""
    if request.mimetype != "application/pdf":
        raise UnsupportedMediaType(f"send the PDF as application/pdf, not {request.mimetype or 'nothing'}",
                                   details={"accepted": ["application/pdf"]})
    return request.get_data(cache=False)


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
    if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        raise BadRequest(f"page must be an integer from 1 to {MAX_PAGE}", details={"field": "page"})
    if not per_page.isdigit() or not 1 <= int(per_page) <= MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}", details={"field": "per_page"})
    return int(page), int(per_page)


def optional_text(payload: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """A string field of a JSON body: absent or null is None (unless required), anything else is a 400."""
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"{key!r} must be {'a non-empty' if required else 'a'} string", details={"field": key})
    return value


def choice_arg(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}", details={"field": name})
    return value


def int_arg(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise BadRequest(f"{name} must be an integer from 0 to {MAX_ID}", details={"field": name})
    return int(raw)
