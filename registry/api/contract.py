"""The declarations of the JSON API: what each operation takes and answers.

One declaration serves three purposes, so that what is enforced is what is documented:

* parsing: a view reads its query parameters with ``SomeQuery.parse(request.args)`` and its JSON
  body with ``SomeBody.parse(raw)`` (:mod:`registry.declared`); anything that breaks the declared
  schema is a 400 naming the field (``details.field``);
* answering: a view builds a :class:`Reply` model and answers it with :func:`reply`, so an answer
  that breaks its schema fails where it is built, not in a client;
* documenting: :func:`route` registers the view on the blueprint and records an :class:`Operation`,
  from which :mod:`registry.api.openapi` generates the OpenAPI document.

The models are pydantic v2 models; their JSON Schemas are the OpenAPI schemas.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel

from ..declared import Body, Query

#: security of an operation: none, a bearer token, or optional (public, more with a token)
PUBLIC, BEARER, OPTIONAL = "public", "bearer", "optional"


# --- operations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One documented answer: its description, and a JSON model or other content, and its headers."""

    description: str
    model: type[BaseModel] | None = None
    content: dict[str, Any] | None = None  # media type -> schema, for answers that are not JSON models
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class JsonBody:
    model: type[Body]
    description: str
    required: bool = True


@dataclass(frozen=True)
class RawBody:
    """A body that is not JSON (a YAML standard, a PDF): a shared request body component."""

    component: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI's template, relative to the server (/api/v1)
    endpoint: str  # the view's name: the operationId
    summary: str
    tag: str
    answers: dict[int, Answer]
    errors: dict[int, str | None]  # status -> what it means here (None: the shared description)
    security: str = PUBLIC
    query: type[Query] | Callable[[], type[Query]] | None = None
    body: JsonBody | RawBody | None = None
    headers: tuple[dict[str, Any], ...] = ()  # header parameters
    description: str | None = None

    def query_model(self) -> type[Query] | None:
        if self.query is None or isinstance(self.query, type):
            return self.query
        return self.query()


#: every declared operation, in the order the view modules declare them
OPERATIONS: list[Operation] = []

_CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def route(bp: Blueprint, method: str, rule: str, *, summary: str, tag: str, answers: dict[int, Answer],
          errors: dict[int, str | None] | None = None, **declared: Any) -> Callable:
    """Register the view for ``method rule`` on ``bp`` and declare it (see :class:`Operation`)."""

    def decorate(view: Callable) -> Callable:
        bp.add_url_rule(rule, view.__name__, view, methods=[method])
        OPERATIONS.append(Operation(method=method.lower(), path=_CONVERTER.sub(r"{\1}", rule), endpoint=view.__name__,
                                   summary=summary, tag=tag, answers=answers, errors=dict(errors or {}),
                                   description=view.__doc__ and " ".join(view.__doc__.split()), **declared))
        return view

    return decorate


# --- answers ---------------------------------------------------------------------------------------


def reply(model: BaseModel, status: int = 200, *, exclude_unset: bool = False) -> Response:
    """The JSON answer of a model (serialized as its schema says)."""
    response = jsonify(model.model_dump(mode="json", by_alias=True, exclude_unset=exclude_unset))
    response.status_code = status
    return response
