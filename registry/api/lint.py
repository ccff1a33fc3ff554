"""POST /api/v1/lint: the quality linter over a YAML body, compared with the published standards.

The route belongs to the ``api`` blueprint (endpoint ``api.lint``, the operationId of the OpenAPI
document): importing this module adds it, and ``create_app`` imports it before registering the
blueprint. :func:`openapi_paths` describes it for ``registry.api.openapi.document``. Nothing is
stored; the corpus index is built once per process and follows the catalog's change log.
"""

from __future__ import annotations

from flask import current_app, jsonify

from . import bp
from .requests import yaml_body


def corpus_cache():
    """This process's index of the versions in force (the API and the portal share it)."""
    from ..services.lint_corpus import CorpusCache

    return current_app.extensions.setdefault("registry.lint_corpus", CorpusCache())


@bp.post("/lint")
def lint():
    from ..services.lint_corpus import lint_upload

    extensions = current_app.extensions
    report = lint_upload(extensions["registry.engine"], extensions["registry.clock"], yaml_body(), corpus_cache())
    return jsonify({"valid": report.valid, "counts": report.counts,
                    "findings": [_finding(issue) for issue in report.issues]})


def _finding(issue) -> dict:
    return {"rule": issue.rule, "severity": issue.severity, "message": issue.message, "hint": issue.hint,
            "path": issue.path, "line": issue.line, "column": issue.column, "related": issue.related}


def openapi_paths() -> dict:
    """The OpenAPI path item of the route, built with ``registry.api.openapi``'s helpers."""
    from ..lint.base import SEVERITIES
    from .openapi_parts import _errors, _json, _operation, _ref, _response

    text, maybe = {"type": "string"}, {"type": ["string", "null"]}
    place = {"type": ["integer", "null"], "minimum": 1}
    related = {"type": ["object", "null"], "additionalProperties": False, "description": (
        "The other item of a near-duplicate or a repeat, to show side by side: its standard, version, id, "
        "text and place, and the similarity score (0-100); more: how many other matches were found."),
        "properties": {"code": text, "version": text, "item_id": text, "text": text, "score": {"type": "number"},
                       "level": text, "direction": maybe, "file": maybe, "path": text, "line": place,
                       "column": place, "more": {"type": "integer", "minimum": 0}},
        "required": ["code", "version", "item_id", "text", "score", "level", "path"]}
    finding = {"type": "object", "additionalProperties": False, "properties": {
        "rule": {"type": "string", "description": "A lint rule ID (docs/lint.md), or a validation rule ID."},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "message": text, "hint": {"type": "string", "description": "How to fix it, in one line."},
        "path": {"type": "string", "description": "A JSONPath to the problem, like $.levels[0].id."},
        "line": place, "column": place, "related": related},
        "required": ["rule", "severity", "message", "hint", "path", "line", "column", "related"]}
    body = {"type": "object", "additionalProperties": False, "properties": {
        "valid": {"type": "boolean", "description": "No finding of severity error."},
        "counts": {"type": "object", "additionalProperties": False,
                   "properties": {s: {"type": "integer", "minimum": 0} for s in SEVERITIES},
                   "required": list(SEVERITIES)},
        "findings": {"type": "array", "items": finding}}, "required": ["valid", "counts", "findings"]}
    return {"/lint": {"post": _operation(
        "lint", "Lint a standard without storing it", "validation",
        {"200": _response("Every finding: the validator's problems (errors), then the quality rules (200 "
                          "either way). Near-duplicates are looked up among the published standards.", _json(body)),
         **_errors(413, 415)},
        body=_ref("requestBodies", "StandardYaml"))}}
