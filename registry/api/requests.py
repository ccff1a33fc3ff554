"""What the JSON API takes: the query parameters and JSON bodies of its operations (pydantic models,
their JSON Schemas the OpenAPI ones), and the raw bodies (YAML, PDF), with the 4xx a client can act on."""

from __future__ import annotations

import io
from typing import Annotated, Literal

from flask import Flask, request
from pydantic import Field
from werkzeug.exceptions import RequestEntityTooLarge

from ..declared import MAX_ID, NOT_BLANK, Body, Query, Whole
from ..errors import BadRequest, UnsupportedMediaType
from ..lifecycle import DRAFT_STATES, STANDINGS
from ..next_edition import BUMPS

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000
AUDIT_DEFAULT_LIMIT = 100
AUDIT_MAX_LIMIT = 1000  # a larger ?limit counts as this

Day = Annotated[str, Field(json_schema_extra={"format": "date"})]
NonBlank = Annotated[str, Field(pattern=NOT_BLANK)]


# --- raw bodies ------------------------------------------------------------------------------------


def _body_bytes() -> bytes:
    """The request body: at most MAX_UPLOAD_BYTES, as Werkzeug refuses a longer Content-Length and
    :func:`limit_streamed_bodies` a longer chunked body before any route runs."""
    return request.get_data(cache=False)


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
    return _body_bytes()


def pdf_body() -> bytes:
    """The raw bytes of a PDF sent as the request body (``application/pdf``)."""
    if request.mimetype != "application/pdf":
        raise UnsupportedMediaType(f"send the PDF as application/pdf, not {request.mimetype or 'nothing'}",
                                   details={"accepted": ["application/pdf"]})
    return _body_bytes()


def json_body(model: type[Body], *, optional: bool = False):
    """The JSON object of the request as ``model``; no body at all is ``{}`` when ``optional``."""
    data = _body_bytes()
    if not data and optional:
        return model.parse(b"")
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send a JSON object as application/json")
    if not data:
        raise BadRequest("the body must be a JSON object")
    return model.parse(data)


# --- query parameters ------------------------------------------------------------------------------


class ListStandards(Query):
    sector: str | None = Field(None, description="Only standards of this sector.")
    type: str | None = Field(None, description="Only standards of this type (skill, technical, ...).")
    status: Literal[STANDINGS] | None = Field(  # type: ignore[valid-type]
        None, description="Only standards having a version with this standing today.")
    body: str | None = Field(None, description="Only standards kept by this standards body.")
    page: Whole = Field(1, ge=1, le=MAX_PAGE, description="The page, from 1.")
    per_page: Whole = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Standards per page.")


class AsOf(Query):
    as_of: Day | None = Field(None, description="A date YYYY-MM-DD: the standings on that day instead of today "
                                                   "(the version in force that day, for latest).")


class Versions(Query):
    from_: str = Field(alias="from", min_length=1, description="The older version, e.g. 1.0.")
    to: str = Field(min_length=1, description="The newer version, e.g. 2.0.")


class AuditQuery(Query):
    code: str | None = Field(None, description="Only events about this standard.")
    draft_id: Whole | None = Field(None, ge=0, le=MAX_ID, description="Only events about this draft.")
    after: Whole = Field(0, ge=0, le=MAX_ID, description="Only events with a larger id (for paging).")
    limit: Whole = Field(AUDIT_DEFAULT_LIMIT, ge=0, le=MAX_ID,
                         description=f"At most this many events (values above {AUDIT_MAX_LIMIT} count as "
                                     f"{AUDIT_MAX_LIMIT}).")


class ListDrafts(Query):
    status: Literal[DRAFT_STATES] | None = Field(None, description="Only drafts in this state.")  # type: ignore


# --- JSON bodies -----------------------------------------------------------------------------------


class KeeperBody(Body):
    body: NonBlank = Field(description="The standards body's id.")


class WithdrawBody(Body):
    reason: NonBlank = Field(description="Why the version is withdrawn (recorded in the version and the audit "
                                         "trail).")


class NextBody(Body):
    bump: Literal[BUMPS] | None = Field(  # type: ignore[valid-type]
        None, description="minor (the default): 2.3 -> 2.4; major: 2.3 -> 3.0.")


class RequestChangesBody(Body):
    comment: str | None = Field(None, description="Added to the draft as a review comment.")


class PublishBody(Body):
    bump_reason: str | None = Field(None, description="Accept a smaller version bump than the changes need, "
                                                         "for this reason.")


class CommentBody(Body):
    body: NonBlank = Field(description="The comment.")
    path: str | None = Field(None, description="The JSON path of the draft it is about.")
