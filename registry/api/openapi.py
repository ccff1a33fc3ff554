"""The OpenAPI 3.1 description of the JSON API, served at ``GET /api/v1/openapi.json``.

:func:`document` builds it on each call from the constants below (nothing happens at import time
beyond defining them). Paths are relative to the one server, ``/api/v1``. Schemas are JSON Schema
2020-12, as OpenAPI 3.1 prescribes; the objects the API writes itself are closed
(``additionalProperties: false``) so that ``tests/test_openapi.py`` notices when a serializer
gains a field the document does not describe. ``operationId`` is the name of the view function
(the blueprint endpoint), so the document and the routes can be matched one to one.
"""

from __future__ import annotations

from typing import Any

from ..diff import MAJOR, MINOR, NONE
from ..lifecycle import DRAFT_STATES, STANDINGS, START_NOT_STATED, START_PUBLICATION, START_STATED
from ..next_edition import BUMPS
from .openapi_parts import (
    BEARER,
    ERROR_HEADERS,
    ERRORS,
    OPTIONAL_BEARER,
    _array,
    _errors,
    _integer,
    _items,
    _json,
    _json_body,
    _nullable,
    _object,
    _operation,
    _query,
    _ref,
    _response,
    _schema,
    _string,
    _yaml_source,
)
from .requests import MAX_PER_PAGE, YAML_TYPES

OPENAPI_VERSION = "3.1.0"
TITLE = "Occupational Standards Registry API"
API_VERSION = "1.0.0"
SERVER = "/api/v1"

AUDIT_MAX_LIMIT = 1000  # registry.api.audit_trail clamps ?limit to this
AUDIT_DEFAULT_LIMIT = 100
DEFAULT_PER_PAGE = 50
CHANGE_CLASSES = (MAJOR, MINOR, NONE)

DESCRIPTION = """\
Read the published occupational standards, their versions, differences and audit trail; validate
a standard; and take a new version through review (draft, submit, approve or request changes,
publish).

Every error is a JSON object `{"error": {"code", "message", "details"}}`. Routes that change
something need an `Authorization: Bearer <token>` header (tokens are issued with
`registry token create`); reading is public. Published versions are immutable: their
representations carry the version's sha256 as a strong ETag and may be cached forever.
"""


# --- components ----------------------------------------------------------------------------------


def _version_properties() -> dict[str, Any]:
    return {
        "code": _string("The occupation code, e.g. 4-04-05-05."),
        "version": _string("MAJOR.MINOR", pattern=r"^[0-9]+\.[0-9]+$"),
        "status": _string("The version's standing on the day asked about (today by default).",
                          enum=list(STANDINGS)),
        "sha256": _string("SHA-256 of the exact source bytes.", pattern="^[0-9a-f]{64}$"),
        "effective_from": _nullable(_string("The first day in force its document states (null: not stated).",
                                            format="date")),
        "effective_until": _nullable(_string("The last day in force its document states (null: none).",
                                             format="date")),
        "published_at": _string(format="date-time"),
        "published_by": _string("The account that published it."),
        "withdrawn_reason": _nullable(_string()),
        "bump_reason": _nullable(_string("Why a smaller version bump than the changes need was accepted.")),
        "standing": _schema("Standing"),
    }


def _standing_properties() -> dict[str, Any]:
    """``services.verification.standing_fields``: a standing derived from the dates (docs/lifecycle.md)."""
    return {
        "standing": _string(enum=list(STANDINGS)),
        "current": {"type": "boolean", "description": "Whether it is the version in force."},
        "in_force_from": _nullable(_string("Its first day in force (null: not stated, see start_basis).",
                                           format="date")),
        "start_basis": _string("stated: its document states the day; publication: it states none, so the day it "
                               "was published in this registry; not-stated: it states none and is the first "
                               "version, in force before any other.",
                               enum=[START_STATED, START_PUBLICATION, START_NOT_STATED]),
        "in_force_until": _nullable(_string("Its last day in force (inclusive); null while open-ended.",
                                            format="date")),
        "never_in_force": {"type": "boolean", "description": "A later version started first."},
        "superseded_by": _nullable(_string("The version that supersedes it, now or from superseded_from.")),
        "superseded_from": _nullable(_string(format="date")),
        "withdrawn_at": _nullable(_string(format="date-time")),
        "withdrawn_reason": _nullable(_string()),
    }


def _standard_properties() -> dict[str, Any]:
    return {
        "code": _string(),
        "title": _string("The title in the standard's master language."),
        "title_en": _string("The English title ('' when there is none)."),
        "sector": _string(),
        "type": _string("The standard type (skill, technical, ...)."),
        "body": _nullable(_string("The id of its keeper: the standards body whose drafts may change it (null: "
                                  "none assigned yet).")),
    }


def _diff_schemas() -> dict[str, Any]:
    location = _object({name: _nullable(_string()) for name in
                        ("level", "direction", "function", "work_content", "group", "number")})
    added_removed = _object({"added": _array(_string()), "removed": _array(_string())})
    change = _object({"path": _string(), "old": {}, "new": {}},
                     description="One metadata field; null on a side means the field is absent there.")
    return {
        "DiffLocation": location,
        "ItemChange": _object({
            "kind": _string("added, removed, or +-joined flags among moved/reordered and reworded",
                            pattern=r"^(added|removed|(moved|reordered|reworded)(\+(moved|reordered|reworded))*)$"),
            "item_id": _string("The item's stable ID."),
            "item_kind": _string("level, direction, function, requirement, knowledge, ..."),
            "old_location": _nullable(_schema("DiffLocation")),
            "new_location": _nullable(_schema("DiffLocation")),
            "old_text": {"description": "The full text as written: a string or a {language: text} map."},
            "new_text": {"description": "The full text as written: a string or a {language: text} map."},
        }),
        "WeightChange": _object({
            "table": _string(), "level": _string(), "direction": _nullable(_string()),
            "row": _string("ethics, basic_knowledge or a function ID"),
            "old": _nullable(_integer()), "new": _nullable(_integer()),
        }),
        "MetadataChange": change,
        "Diff": _object({
            "change_class": _string(enum=list(CHANGE_CLASSES)),
            "summary": _string(),
            "counts": {"type": "object", "additionalProperties": _integer(minimum=0)},
            "items": _array(_schema("ItemChange")),
            "levels": added_removed,
            "directions": added_removed,
            "functions": added_removed,
            "weights": _array(_schema("WeightChange")),
            "metadata": _array(_schema("MetadataChange")),
            "release": _array(_schema("MetadataChange")),
        }, description="Item-level differences between two versions, compared by stable ID "
                       "(registry.diff.Diff.to_dict; docs/format.md section 6)."),
    }


def _schemas() -> dict[str, Any]:
    version = _version_properties()
    standard = _standard_properties()
    diff_head = {"change_class": _string(enum=list(CHANGE_CLASSES)), "summary": _string()}
    return {
        "Error": _object({"error": _object({
            "code": _string("A stable, machine-readable code (not_found, version_conflict, ...)."),
            "message": _string("For people."),
            "details": {"description": "More about the error, or null: e.g. the issues of an invalid "
                                      "standard, the field at fault, the current ETag."},
        })}),
        "Issue": _object({
            "line": _nullable(_integer(minimum=1)),
            "column": _nullable(_integer(minimum=1)),
            "path": _string("A JSONPath to the problem, like $.levels[0].id."),
            "rule": _string("yaml-*, schema.<keyword>, or a rule ID of registry.rules."),
            "message": _string(),
            "file": _nullable(_string("Only in the details of a 422 error; always null there.")),
        }, required=["line", "column", "path", "rule", "message"],
            description="One problem at one place of a document (lines and columns are 1-based)."),
        "ValidationResult": _object({"valid": {"type": "boolean"}, "errors": _array(_schema("Issue"))}),
        "VersionSummary": _object(version),
        "VersionDetail": _object({**version, "document": {
            "type": "object", "description": "The parsed standard (format 1.0; see docs/format.md)."}}),
        "Standing": _object(_standing_properties(), description="A version's standing on a day, derived from "
                                                                "the dates its document states."),
        "StandardSummary": _object({
            **standard,
            "in_force": _nullable(_schema("VersionSummary")),
            "latest": _nullable(_schema("VersionSummary")),
        }, description="in_force: the version in force today (null when none is); latest: the highest version "
                       "number, whatever its standing."),
        "StandardDetail": _object({
            **standard,
            "as_of": _string("The day the standings are for: today, or ?as_of.", format="date"),
            "in_force": _nullable(_schema("VersionSummary")),
            "versions": _array(_schema("VersionSummary")),
        }),
        "Keeper": _object({"code": _string(), "body": _string("The keeper's id.")}),
        "Verification": _object({
            "authentic": {"type": "boolean"}, "sha256": _string(), "reason": _string(),
            "format": _nullable(_string("The format of the file with this sha256 (yaml: the source).")),
            "lang": _nullable(_string()), "issued_at": _string(format="date-time"),
            "code": _string(), "version": _string(), "source_sha256": _string(),
            "effective_from": _nullable(_string(format="date")), "effective_until": _nullable(_string(format="date")),
            "as_of": _string(format="date"), "in_force_version": _nullable(_string()),
            **_standing_properties(),
        }, required=["authentic", "sha256"]),
        "PdfVerification": _object({
            "file_sha256": _string(),
            "issued": {"type": "boolean", "description": "These exact bytes are a file the registry issued."},
            "embedded": _array({"type": "object", "description": "Each embedded YAML: its name and a "
                                                                  "Verification of its sha256."}),
            "authentic_source": _nullable(_schema("Verification")),
            "verdict": _string(enum=["issued", "authentic-source", "unknown-source", "no-source"]),
        }),
        "StandardPage": _object({
            "total": _integer("Standards matching the filters, on all pages.", minimum=0),
            "page": _integer(minimum=1),
            "per_page": _integer(minimum=1, maximum=MAX_PER_PAGE),
            "items": _array(_schema("StandardSummary")),
        }),
        "StandardDiff": _object({"code": _string(), "from": _string(), "to": _string(), **diff_head,
                                 "diff": _schema("Diff")}),
        "DraftDiff": _object({
            "base": _nullable(_string("The published version compared with (null: the standard is new).")),
            **diff_head,
            "diff": _nullable(_schema("Diff")),
        }),
        "Draft": _object({
            "id": _integer(),
            "body": _string("The standards body the draft belongs to."),
            "code": _string(),
            "version": _string(),
            "status": _string(enum=list(DRAFT_STATES)),
            "revision": _integer("Grows with every edit and every state change.", minimum=1),
            "sha256": _string(pattern="^[0-9a-f]{64}$"),
            "created_by": _string(),
            "created_at": _string(format="date-time"),
            "updated_at": _string(format="date-time"),
            "published_version_id": _nullable(_integer()),
        }),
        "Comment": _object({
            "id": _integer(), "draft_id": _integer(), "author": _string(), "body": _string(),
            "path": _nullable(_string("The JSON path of the draft the comment is about.")),
            "created_at": _string(format="date-time"),
        }),
        "AuditEvent": _object({
            "id": _integer("Increasing in commit order: an event committed later never gets a smaller id, so "
                           "paging with ?after=<last id> misses nothing."),
            "at": _string(format="date-time"),
            "actor": _string("Who acted. In the public trail by role, never an e-mail: body:<id> for a "
                             "body's members, a registrar token's name (registrar:<name>) or registrar, "
                             "system:loader for the corpus loader. Registrars see the account name."),
            "action": _string("publish, withdraw, assign (a keeper), draft-create, draft-update, submit, "
                              "approve, request-changes, publish-draft, comment (supersede in catalogs of "
                              "earlier releases); for registrars also account, sign-in and token events."),
            "code": _nullable(_string()),
            "version": _nullable(_string()),
            "draft_id": _nullable(_integer()),
            "from_state": _nullable(_string()),
            "to_state": _nullable(_string()),
            "details": {"type": "object"},
        }),
        "DraftList": _items("Draft"),
        "CommentList": _items("Comment"),
        "AuditPage": _items("AuditEvent"),
        **_diff_schemas(),
    }


def _error_responses() -> dict[str, Any]:
    return {name: _response(description, _json(_schema("Error")), ERROR_HEADERS.get(status, ()))
            for status, (name, description) in ERRORS.items()}


def _headers() -> dict[str, Any]:
    def header(description: str) -> dict[str, Any]:
        return {"description": description, "required": True, "schema": _string()}

    return {
        "ETag": header("A strong entity tag: a version's sha256, or `<draft id>.<revision>` for a draft."),
        "Location": header("Where the resource is (a path under the server)."),
        "Cache-Control": header("`public, max-age=31536000, immutable` on a version's source; `no-cache` "
                                "where a standing is shown (it changes with the day) and on the redirect."),
        "Content-Disposition": header('`inline; filename="<code>-<version>.yaml"`'),
        "WWW-Authenticate": header('`Bearer realm="registry"`'),
        "Retry-After": header("Seconds to wait before retrying."),
    }


def _parameters() -> dict[str, Any]:
    def path(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}

    return {
        "code": path("code", _string(), "The occupation code of the standard, e.g. 4-04-05-05."),
        "version": path("version", _string(), "A version number, e.g. 2.0."),
        "draft_id": path("draft_id", _integer(minimum=0), "The draft's id."),
        "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": False, "schema": _string(),
                        "description": "An ETag seen before: answered with 304 when it still matches."},
    }


def _request_bodies() -> dict[str, Any]:
    return {"StandardYaml": {
        "required": True,
        "description": "A standard in YAML (format 1.0), sent as bytes: the server checks the encoding. "
                       f"Accepted media types: {', '.join(YAML_TYPES)}.",
        "content": {media: {"schema": _string()} for media in YAML_TYPES},
    }}


# --- paths ---------------------------------------------------------------------------------------


def _standards_paths() -> dict[str, Any]:
    code, version = _ref("parameters", "code"), _ref("parameters", "version")
    if_none_match = _ref("parameters", "IfNoneMatch")
    cached = ("ETag", "Cache-Control")
    not_modified = _response("Not modified: the If-None-Match ETag matches.", headers=cached)
    return {
        "/standards": {"get": _operation(
            "list_standards", "List standards with the version in force and the latest", "standards",
            {"200": _response("A page of standards, ordered by code.", _json(_schema("StandardPage"))),
             **_errors(400, notes={400: "page or per_page is not a valid number."})},
            parameters=[
                _query("sector", _string(), "Only standards of this sector."),
                _query("type", _string(), "Only standards of this type (skill, technical, ...)."),
                _query("status", _string(enum=list(STANDINGS)),
                       "Only standards having a version with this standing today."),
                _query("body", _string(), "Only standards kept by this standards body."),
                _query("page", _integer(minimum=1, default=1), "The page, from 1."),
                _query("per_page", _integer(minimum=1, maximum=MAX_PER_PAGE, default=DEFAULT_PER_PAGE),
                       "Standards per page."),
            ])},
        "/standards/{code}": {"parameters": [code], "get": _operation(
            "get_standard", "A standard, its versions and their standings", "standards",
            {"200": _response("The standard, its versions in version order with their standings today (or on "
                              "?as_of), and the version in force then (null when none was).",
                              _json(_schema("StandardDetail")), ("Cache-Control",)),
             **_errors(400, 404, notes={400: "as_of is not a date YYYY-MM-DD.", 404: "No such standard."})},
            parameters=[_query("as_of", _string(format="date"),
                               "A date YYYY-MM-DD: the standings on that day instead of today.")])},
        "/standards/{code}/versions/{version}": {"parameters": [code, version], "get": _operation(
            "get_version", "One published version, with its parsed document and standing today", "standards",
            {"200": _response("The version; the ETag changes when its standing does.",
                              _json(_schema("VersionDetail")), cached),
             "304": not_modified, **_errors(404)},
            parameters=[if_none_match])},
        "/standards/{code}/versions/{version}/source": {"parameters": [code, version], "get": _operation(
            "get_source", "The exact YAML bytes of a published version", "standards",
            {"200": _response("The source, byte for byte as published.", _yaml_source(),
                              (*cached, "Content-Disposition")),
             "304": not_modified, **_errors(404)},
            parameters=[if_none_match])},
        "/standards/{code}/latest": {"parameters": [code], "get": _operation(
            "latest", "Redirect to the version in force now, or on a day", "standards",
            {"302": _response("Found: Location is the version in force today (or on ?as_of); when no version "
                              "is in force then, the standard itself, whose in_force is null.",
                              headers=("Location", "Cache-Control")),
             **_errors(400, 404, notes={400: "as_of is not a date YYYY-MM-DD.", 404: "No such standard."})},
            parameters=[_query("as_of", _string(format="date"),
                               "A date YYYY-MM-DD: the version in force that day instead of the current one.")])},
        "/standards/{code}/diff": {"parameters": [code], "get": _operation(
            "diff", "Item-level differences between two versions", "standards",
            {"200": _response("The differences and the change class they amount to.",
                              _json(_schema("StandardDiff"))),
             **_errors(400, 404, notes={400: "from or to is missing.",
                                        404: "One of the versions does not exist."})},
            parameters=[_query("from", _string(), "The older version, e.g. 1.0.", required=True),
                        _query("to", _string(), "The newer version, e.g. 2.0.", required=True)])},
        "/standards/{code}/keeper": {"parameters": [code], "put": _operation(
            "assign_keeper", "Assign or transfer a standard to its keeper (registrars only)", "standards",
            {"200": _response("The standard's keeper now.", _json(_schema("Keeper"))),
             **_errors(400, 401, 403, 404, 413, 415, 503,
                       notes={400: "The body is not a JSON object, or it has no non-empty 'body'.",
                              403: "Only registrars may assign keepers.",
                              404: "No such standard, or no such standards body."})},
            security=BEARER,
            body=_json_body(_object({"body": _string("The standards body's id.", minLength=1)}, closed=False),
                            "The body that is to keep the standard (audited)."))},
        "/standards/{code}/versions/{version}/withdraw": {"parameters": [code, version], "post": _operation(
            "withdraw", "Withdraw a version (registrars only)", "standards",
            {"200": _response("The withdrawn version.", _json(_schema("VersionSummary"))),
             **_errors(400, 401, 403, 404, 409, 413, 415, 503,
                       notes={400: "The body is not a JSON object, or it has no non-empty 'reason'.",
                              403: "Only registrars may withdraw.",
                              409: "The version is already withdrawn."})},
            security=BEARER,
            body=_json_body(_object({"reason": _string(minLength=1)}, closed=False),
                            "Why the version is withdrawn (recorded in the version and the audit trail)."))},
        "/standards/{code}/versions/{version}/next": {"parameters": [code, version], "post": _operation(
            "next_version", "Start the next version from a published one (members of the keeper body)", "drafts",
            {"201": _response("A draft of the version's exact source with the next number and the registry's "
                              "current year as edition; Location is the draft, ETag its entity tag.",
                              _json(_schema("Draft")), ("ETag", "Location")),
             **_errors(400, 401, 403, 404, 409, 413, 415, 422, 503, notes={
                 400: "The body is not a JSON object, or bump is not minor or major.",
                 403: "The caller is not a member of the standard's keeper body (the message names the keeper).",
                 404: "No such version.", 422: "The version's text no longer validates under today's rules.",
                 409: "That number is already published, or the caller's body has a draft of it (details.draft_id)."})},
            security=BEARER,
            body=_json_body(_object({"bump": _string("minor: 2.3 -> 2.4; major: 2.3 -> 3.0.", enum=list(BUMPS),
                                                     default="minor")}, required=[], closed=False),
                            "Optional: which part of the number grows (minor by default).", required=False))},
    }


def _misc_paths() -> dict[str, Any]:
    return {
        "/audit": {"get": _operation(
            "audit_trail", "The audit trail, oldest first", "audit",
            {"200": _response("Events with id > after, at most limit of them.", _json(_schema("AuditPage"))),
             **_errors(400, 401, notes={400: "after or limit is not a non-negative integer.",
                                        401: "An Authorization header was sent, and its token is invalid or "
                                             "revoked (send none for the public trail)."})},
            description="Without a token: the public trail, the lifecycle of standards and their drafts, with "
                        "actors named by role. With a registrar's or admin's token: every event, including "
                        "account, sign-in and token events, with account names.",
            security=OPTIONAL_BEARER,
            parameters=[
                _query("code", _string(), "Only events about this standard."),
                _query("draft_id", _integer(minimum=0), "Only events about this draft."),
                _query("after", _integer(minimum=0, default=0), "Only events with a larger id (for paging)."),
                _query("limit", _integer(minimum=0, default=AUDIT_DEFAULT_LIMIT),
                       f"At most this many events (values above {AUDIT_MAX_LIMIT} count as {AUDIT_MAX_LIMIT})."),
            ])},
        "/validate": {"post": _operation(
            "validate", "Validate a standard without storing it", "validation",
            {"200": _response("The validation result: valid, or every issue found (200 either way).",
                              _json(_schema("ValidationResult"))),
             **_errors(413, 415)},
            body=_ref("requestBodies", "StandardYaml"))},
        "/verify/{sha256}": {"parameters": [{"name": "sha256", "in": "path", "required": True,
                                             "description": "The sha256 printed on a document (or computed from "
                                                            "its YAML source).", "schema": _string()}],
                             "get": _operation(
            "verify", "Is a document one the registry issued, and is its version in force?", "verification",
            {"200": _response("The verdict: authentic or not and, when authentic, which version and format, "
                              "its standing today and the version in force today.",
                              _json(_schema("Verification")), ("Cache-Control",)),
             **_errors()})},
        "/verify": {"post": _operation(
            "verify_upload", "Check a PDF: its own bytes, and the source embedded in it", "verification",
            {"200": _response("Whether the registry issued these bytes, and what the embedded source is.",
                              _json(_schema("PdfVerification"))),
             **_errors(400, 413, 415, notes={400: "The body is not a readable PDF."})},
            body={"required": True, "description": "The PDF, as bytes.",
                  "content": {"application/pdf": {"schema": _string(contentMediaType="application/pdf")}}})},
        "/openapi.json": {"get": _operation(
            "openapi", "This document", "meta",
            {"200": _response("The OpenAPI 3.1 description of the API.", _json({"type": "object"})),
             **_errors()})},
    }


def _draft_paths() -> dict[str, Any]:
    draft_id = _ref("parameters", "draft_id")
    draft = _json(_schema("Draft"))
    tagged = _response("The draft; ETag is its current entity tag.", draft, ("ETag",))
    bad_state = "The draft's state does not allow this step."

    def transition(operation_id: str, summary: str, who: str) -> dict[str, Any]:
        return {"parameters": [draft_id], "post": _operation(
            operation_id, summary, "drafts", {"200": tagged, **_errors(
                401, 403, 404, 409, 503, notes={403: who, 409: bad_state})},
            security=BEARER)}

    return {
        "/drafts": {
            "post": _operation(
                "create_draft", "Create a draft of a new version (body members)", "drafts",
                {"201": _response("Created; Location is the draft, ETag its entity tag.", draft,
                                  ("ETag", "Location")),
                 **_errors(401, 403, 413, 415, 422, 503,
                           notes={403: "The caller is not a member of a standards body, or the standard "
                                       "is kept by another body, or has no keeper yet."})},
                security=BEARER, body=_ref("requestBodies", "StandardYaml"),
                description="The standard is validated first: nothing invalid is stored."),
            "get": _operation(
                "list_drafts", "Drafts the caller may see", "drafts",
                {"200": _response("The caller's body's drafts (every draft for registrars), by id.",
                                  _json(_schema("DraftList"))),
                 **_errors(401)},
                security=BEARER,
                parameters=[_query("status", _string(enum=list(DRAFT_STATES)), "Only drafts in this state.")]),
        },
        "/drafts/{draft_id}": {
            "parameters": [draft_id],
            "get": _operation("get_draft", "One draft", "drafts", {"200": tagged, **_errors(401, 404)},
                              security=BEARER),
            "put": _operation(
                "update_draft", "Replace a draft's YAML (compare-and-set on If-Match)", "drafts",
                {"200": tagged, **_errors(
                    401, 403, 404, 409, 412, 413, 415, 422, 428, 503,
                    notes={403: "Only members of the draft's body may edit it.",
                           409: "The new text has another code, or the draft is no longer editable "
                                "(only draft and changes-requested are).",
                           412: "If-Match is not the draft's current ETag (details.etag is the current one), "
                                "or is a weak tag (W/...), which If-Match never matches.",
                           428: "If-Match is missing."})},
                security=BEARER, body=_ref("requestBodies", "StandardYaml"),
                parameters=[{"name": "If-Match", "in": "header", "required": True, "schema": _string(),
                             "description": "The ETag of the draft revision that was edited."}],
                description="An edit puts a draft under changes-requested back to draft."),
        },
        "/drafts/{draft_id}/source": {"parameters": [draft_id], "get": _operation(
            "get_draft_source", "The draft's YAML", "drafts",
            {"200": _response("The draft's source bytes.", _yaml_source(), ("ETag",)), **_errors(401, 404)},
            security=BEARER)},
        "/drafts/{draft_id}/submit": transition(
            "submit", "Submit a draft for review", "Only members of the draft's body may submit it."),
        "/drafts/{draft_id}/approve": transition(
            "approve", "Approve a submitted draft (registrars)", "Only registrars may approve."),
        "/drafts/{draft_id}/request-changes": {"parameters": [draft_id], "post": _operation(
            "request_changes", "Send a submitted draft back to its body (registrars)", "drafts",
            {"200": tagged, **_errors(400, 401, 403, 404, 409, 413, 415, 503,
                                      notes={403: "Only registrars may request changes.",
                                             409: bad_state})},
            security=BEARER,
            body=_json_body(_object({"comment": _string("Added to the draft as a review comment.")},
                                    required=[], closed=False),
                            "Optional: a comment explaining what to change.", required=False))},
        "/drafts/{draft_id}/publish": {"parameters": [draft_id], "post": _operation(
            "publish", "Publish an approved draft as a new version (registrars)", "drafts",
            {"201": _response("Published; Location is the new version.", _json(_schema("VersionSummary")),
                              ("Location",)),
             **_errors(400, 401, 403, 404, 409, 413, 415, 422, 503, notes={
                 403: "Only registrars may publish.",
                 409: "version_conflict (other bytes are published under this version), "
                      "version_bump_too_small (the changes need a larger version and no bump_reason was "
                      "given), invalid_transition (the draft is not approved), or conflict (already "
                      "published).",
                 422: "The draft no longer validates (the rules changed since it was written)."})},
            security=BEARER,
            body=_json_body(_object({"bump_reason": _string("Accept a smaller version bump than the "
                                                            "changes need, for this reason.")},
                                    required=[], closed=False),
                            "Optional.", required=False))},
        "/drafts/{draft_id}/comments": {
            "parameters": [draft_id],
            "get": _operation("list_comments", "Review comments on a draft", "drafts",
                              {"200": _response("The comments, oldest first.", _json(_schema("CommentList"))),
                               **_errors(401, 404)},
                              security=BEARER),
            "post": _operation(
                "add_comment", "Comment on a draft", "drafts",
                {"201": _response("The comment.", _json(_schema("Comment"))),
                 **_errors(400, 401, 404, 413, 415, 503,
                           notes={400: "The body is not a JSON object, or 'body' is not a non-empty string."})},
                security=BEARER,
                body=_json_body(_object({"body": _string(minLength=1),
                                         "path": _nullable(_string("The JSON path of the draft it is about."))},
                                        required=["body"], closed=False), "The comment.")),
        },
        "/drafts/{draft_id}/diff": {"parameters": [draft_id], "get": _operation(
            "draft_diff", "The draft against the version in force", "drafts",
            {"200": _response("The differences (base and diff are null for a new standard).",
                              _json(_schema("DraftDiff"))),
             **_errors(401, 404)},
            security=BEARER)},
    }


def _lint_paths() -> dict[str, Any]:
    from .lint import openapi_paths  # the lint route describes itself (registry/api/lint.py)

    return openapi_paths()


def _search_paths() -> dict[str, Any]:
    from ..search import contract  # parameters and answer from the search package's table of filters

    responses = {"200": _response("Hits in one total order (score, then code, version and item order), so pages "
                                  "never overlap; facet counts over every match; a spelling suggestion.",
                                  _json(contract.result_schema())),
                 **_errors(400, 503, notes={
                     400: "A malformed query (unbalanced parenthesis or quote, leading wildcard, too short a "
                          "prefix, too broad an expansion, too long or too many terms) or parameter.",
                     503: "The search index is being built or rebuilt, or the server is too busy to finish the "
                          "search in time; retry after Retry-After seconds."})}
    return {"/search": {"get": _operation(
        "search", "Search requirements, knowledge items and standards", "search", responses,
        parameters=contract.parameters(),
        description="Only the current published version of each standard is searched unless all=1. Exact, ID and "
                    "title matches rank first.")}}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API (a new, JSON-ready dict on every call)."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": API_VERSION, "description": DESCRIPTION},
        "servers": [{"url": SERVER}],
        "tags": [{"name": "standards", "description": "Published standards and their versions."},
                 {"name": "drafts", "description": "New versions under review (authenticated)."},
                 {"name": "audit", "description": "The append-only audit trail."},
                 {"name": "validation", "description": "Checking a standard without storing it."},
                 {"name": "search", "description": "Full-text search over requirements, knowledge and standards."},
                 {"name": "meta", "description": "This description."}],
        "paths": {**_standards_paths(), **_misc_paths(), **_draft_paths(), **_search_paths(),
                  **_lint_paths()},
        "components": {
            "schemas": _schemas(),
            "responses": _error_responses(),
            "parameters": _parameters(),
            "headers": _headers(),
            "requestBodies": _request_bodies(),
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API token (osr_...) issued with `registry token create`."}},
        },
    }
