"""The building blocks of the OpenAPI document: security requirements, the error table's responses
and small schema builders, shared by ``registry.api.openapi`` and the routes that describe themselves
(``registry.api.lint``)."""

from __future__ import annotations

from typing import Any

PUBLIC: list[dict[str, list]] = []
BEARER: list[dict[str, list]] = [{"bearerAuth": []}]
OPTIONAL_BEARER: list[dict[str, list]] = [{}, {"bearerAuth": []}]  # public, and more with a token

#: HTTP status -> (component name, description) of the error responses (registry/api/errors.py)
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed: a query argument or a JSON field is missing or invalid."),
    401: ("Unauthorized", "No bearer token, or the token is invalid, revoked or its account disabled."),
    403: ("Forbidden", "The caller's role or standards body does not allow this."),
    404: ("NotFound", "No such resource (drafts of other bodies are reported as missing too)."),
    409: ("Conflict", "The request contradicts what the catalog holds (a state, a published version, "
                      "or a concurrent change)."),
    412: ("PreconditionFailed", "The entity tag given does not match the resource's current one."),
    413: ("PayloadTooLarge", "The request body is larger than the configured MAX_UPLOAD_BYTES."),
    415: ("UnsupportedMediaType", "The request body has a media type this route does not accept."),
    422: ("InvalidStandard", "The standard does not load or validate; `details` lists every issue "
                            "(Issue objects, with `file` null)."),
    428: ("PreconditionRequired", "The route needs an If-Match header."),
    500: ("InternalError", "An unexpected error; it has been logged."),
    503: ("ServiceUnavailable", "The catalog is busy (the write lock could not be had in time); retry later."),
}
#: headers an error response of that status always carries
ERROR_HEADERS: dict[int, tuple[str, ...]] = {401: ("WWW-Authenticate",), 503: ("Retry-After",)}


# --- small builders ------------------------------------------------------------------------------


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name: str) -> dict[str, str]:
    return _ref("schemas", name)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema["type"]
    return {**schema, "type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"]}


def _string(description: str | None = None, **keywords: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **keywords}
    if description:
        schema["description"] = description
    return schema


def _integer(description: str | None = None, **keywords: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", **keywords}
    if description:
        schema["description"] = description
    return schema


def _object(properties: dict[str, Any], *, required: list[str] | None = None, closed: bool = True,
            description: str | None = None) -> dict[str, Any]:
    """An object schema; every property is required unless ``required`` says otherwise."""
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": list(properties) if required is None else required}
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _items(name: str) -> dict[str, Any]:
    """The ``{"items": [...]}`` envelope of the list routes."""
    return _object({"items": _array(_schema(name))})


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _yaml_source() -> dict[str, Any]:
    return {"application/yaml": {"schema": _string("The exact YAML bytes of the standard.")}}


def _response(description: str, content: dict[str, Any] | None = None,
              headers: tuple[str, ...] = ()) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if headers:
        response["headers"] = {name: _ref("headers", name) for name in headers}
    if content is not None:
        response["content"] = content
    return response


def _errors(*statuses: int, notes: dict[int, str] | None = None) -> dict[str, Any]:
    """Error responses for ``statuses`` (500 is always added), as references to the shared ones;
    ``notes`` replaces the generic description where a route says more precisely when it happens."""
    notes = notes or {}
    out: dict[str, Any] = {}
    for status in sorted({*statuses, 500}):
        ref = _ref("responses", ERRORS[status][0])
        if status in notes:
            ref["description"] = notes[status]  # OpenAPI 3.1 lets a reference override its description
        out[str(status)] = ref
    return out


def _query(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _json_body(schema: dict[str, Any], description: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "description": description, "content": _json(schema)}


def _operation(operation_id: str, summary: str, tag: str, responses: dict[str, Any], *,
               security: list | None = None, parameters: list | None = None,
               body: dict[str, Any] | None = None, description: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    op["responses"] = responses
    op["security"] = PUBLIC if security is None else security
    return op
