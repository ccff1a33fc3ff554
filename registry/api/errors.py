"""The one table from domain errors to HTTP statuses, and JSON error bodies for everything under /api."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .. import errors as e
from ..render import RenderAssetError, RenderFailed

log = logging.getLogger(__name__)

#: domain error -> HTTP status (the most specific class wins: the table is searched along the MRO)
STATUS: dict[type[e.RegistryError], int] = {
    e.BadRequest: 400,
    e.UnknownSchemaVersion: 422,
    e.InvalidStandard: 422,
    e.Unauthorized: 401,
    e.Forbidden: 403,
    e.NotFound: 404,
    e.Conflict: 409,
    e.PreconditionFailed: 412,
    e.PreconditionRequired: 428,
    e.PayloadTooLarge: 413,
    e.UnsupportedMediaType: 415,
    e.TooManyAttempts: 429,
    e.ServiceUnavailable: 503,
    e.DatabaseUnavailable: 503,
    RenderFailed: 422,
    RenderAssetError: 500,
}


def status_of(error: e.RegistryError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def status_headers(status: int) -> dict[str, str]:
    """The headers a domain error's status calls for, on pages and API alike: a 401 says how to
    authenticate, a 503 when to retry."""
    if status == 401:
        return {"WWW-Authenticate": 'Bearer realm="registry"'}
    if status == 503:
        return {"Retry-After": "1"}
    return {}


def error_body(code: str, message: str, details=None):
    return {"error": {"code": code, "message": message, "details": details}}


#: paths answered for machines: errors there are JSON, elsewhere (pages) HTML
MACHINE_PATHS = ("/api/", "/ims/")


def keep_headers(error: HTTPException, response) -> None:
    """Copy what Werkzeug says about the status onto our own answer: Allow on a 405 (RFC 9110 requires
    it), Retry-After where it has one."""
    headers = dict(error.get_headers())
    for name in ("Allow", "Retry-After"):
        if name in headers:
            response.headers[name] = headers[name]


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(e.RegistryError)
    def _domain(error: e.RegistryError):
        status = status_of(error)
        response = jsonify(error_body(error.code, error.message, error.details))
        response.headers.update(status_headers(status))
        return response, status

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if not request.path.startswith(MACHINE_PATHS):
            # pages get the site's error page (registered by registry.web), in the reader's language
            page = current_app.extensions.get("registry.error_page")
            return page(error) if page is not None else error
        code = "payload_too_large" if error.code == 413 else (error.name or "error").lower().replace(" ", "_")
        response = jsonify(error_body(code, error.description or error.name))
        response.status_code = error.code
        keep_headers(error, response)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        log.exception("unexpected error on %s %s", request.method, request.path)
        if not request.path.startswith(MACHINE_PATHS):
            return _http(InternalServerError())  # a page: the site's HTML error page
        return jsonify(error_body("internal_error", "an unexpected error occurred; it has been logged")), 500
