"""JSON API under /api/v1. Views parse the request, call one service function, and serialize."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for

from ..clock import parse_day
from ..db import read_session, write_session
from ..errors import BadRequest, PreconditionRequired
from ..lifecycle import DRAFT_STATES, STANDINGS
from ..services import accounts, audit, catalog, drafts, reading, standing, stewardship
from . import serialize
from .requests import choice_arg, int_arg, json_body, optional_text, page_args, pdf_body, yaml_body

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def engine():
    return current_app.extensions["registry.engine"]


def clock():
    return current_app.extensions["registry.clock"]


def actor():
    """The authenticated caller; every route that changes something calls this first."""
    from ..errors import Unauthorized

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("this route needs an 'Authorization: Bearer <token>' header")
    with read_session(engine()) as session:
        return accounts.authenticate(session, token.strip())


def optional_actor():
    """The caller when an Authorization header is sent (a bad one is still a 401), else None."""
    return actor() if "Authorization" in request.headers else None


# --- public ---------------------------------------------------------------------------------------


@bp.get("/standards")
def list_standards():
    page, per_page = page_args()
    with read_session(engine()) as session:
        total, rows = reading.list_standards(
            session, clock(), sector=request.args.get("sector"), standard_type=request.args.get("type"),
            status=choice_arg("status", STANDINGS), body=request.args.get("body"),
            offset=(page - 1) * per_page, limit=per_page)
        return jsonify({"total": total, "page": page, "per_page": per_page,
                        "items": [serialize.standard_summary(row) for row in rows]})


@bp.get("/standards/<code>")
def get_standard(code: str):
    """A standard and its versions with their standings today, or on ``?as_of=``."""
    with read_session(engine()) as session:
        hist = standing.history(session, code, clock(), _as_of())
        response = jsonify(serialize.standard_detail(catalog.get_standard(session, code), hist))
    return _revalidate(response)


@bp.get("/standards/<code>/versions/<version>")
def get_version(code: str, version: str):
    with read_session(engine()) as session:
        hist = standing.history(session, code, clock())
        found = catalog.get_version(session, code, version)
        response = jsonify(serialize.version_detail(found, hist.standing(version)))
    # the document never changes, its standing may: revalidate, with a tag of both
    response.set_etag(f"{found.sha256}-{_short(hist.standing(version).key())}")
    return _revalidate(response)


@bp.get("/standards/<code>/versions/<version>/source")
def get_source(code: str, version: str):
    with read_session(engine()) as session:
        found = catalog.get_version(session, code, version)
        response = Response(found.source, mimetype="application/yaml")
        response.headers["Content-Disposition"] = f'inline; filename="{code}-{version}.yaml"'
        return _immutable(response, found.sha256)


@bp.get("/standards/<code>/latest")
def latest(code: str):
    """The version in force today (or on ``?as_of=``). When none is, the standard itself, which says
    so and lists its versions with their standings: never a 404 for a standard that exists."""
    day = _as_of()
    with read_session(engine()) as session:
        current = standing.history(session, code, clock(), day).in_force()
    if current is not None:
        target = url_for("api.get_version", code=code, version=current.version)
    else:
        target = url_for("api.get_standard", code=code, **({"as_of": day.isoformat()} if day else {}))
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.put("/standards/<code>/keeper")
def assign_keeper(code: str):
    """A registrar makes a standards body the keeper of a standard (audited)."""
    who = actor()
    body = optional_text(json_body(), "body", required=True).strip()
    with write_session(engine()) as session:
        found = stewardship.assign(session, code, body, who)
        result = {"code": found.code, "body": found.body_id}
    return jsonify(result)


@bp.get("/standards/<code>/diff")
def diff(code: str):
    old_v, new_v = request.args.get("from"), request.args.get("to")
    if not old_v or not new_v:
        raise BadRequest("give both ?from=X&to=Y", details={"field": "from" if not old_v else "to"})
    with read_session(engine()) as session:
        result = catalog.diff_versions(session, code, old_v, new_v)
    return jsonify({"code": code, "from": old_v, "to": new_v, "change_class": result.change_class,
                    "summary": result.summary(), "diff": result.to_dict()})


@bp.get("/audit")
def audit_trail():
    """The public lifecycle trail; with a registrar's or admin's token, every event."""
    viewer = optional_actor()
    after = int_arg("after", 0)
    limit = min(int_arg("limit", 100), 1000)
    with read_session(engine()) as session:
        entries = audit.trail(session, viewer, code=request.args.get("code"), after_id=after, limit=limit,
                              draft_id=int_arg("draft_id", None))
    return jsonify({"items": [serialize.audit_event(e) for e in entries]})


@bp.post("/validate")
def validate():
    report = catalog.check_upload(yaml_body())
    return jsonify({"valid": report.valid, "errors": [serialize.issue(i) for i in report.issues]})


@bp.get("/verify/<sha256>")
def verify(sha256: str):
    from ..services.verification import verify as verify_digest

    with read_session(engine()) as session:
        result = verify_digest(session, sha256, clock())
    return _revalidate(jsonify(result))  # "not authentic" is an answer, not an error


@bp.post("/verify")
def verify_upload():
    """A PDF sent as the body: were these bytes issued by the registry, and is the source embedded
    in them an authentic version?"""
    from ..services.verification import verify_pdf

    pdf = pdf_body()
    with read_session(engine()) as session:
        result = verify_pdf(session, pdf, clock())
    return jsonify(result)


@bp.get("/openapi.json")
def openapi():
    from .openapi import document

    return jsonify(document())


# --- drafts (authenticated) -------------------------------------------------------------------


@bp.post("/drafts")
def create_draft():
    who = actor()
    source = yaml_body()
    with write_session(engine()) as session:
        draft = drafts.create_draft(session, source, who)
    return _draft_response(draft, 201)


@bp.get("/drafts")
def list_drafts():
    who = actor()
    with read_session(engine()) as session:
        items = drafts.list_drafts(session, who, status=choice_arg("status", DRAFT_STATES))
        return jsonify({"items": [serialize.draft(d) for d in items]})


@bp.get("/drafts/<int:draft_id>")
def get_draft(draft_id: int):
    who = actor()
    with read_session(engine()) as session:
        draft = drafts.get_draft(session, draft_id, who)
    return _draft_response(draft, 200)


@bp.get("/drafts/<int:draft_id>/source")
def get_draft_source(draft_id: int):
    who = actor()
    with read_session(engine()) as session:
        draft = drafts.get_draft(session, draft_id, who)
    response = Response(draft.source, mimetype="application/yaml")
    response.set_etag(drafts.etag(draft))
    return response


@bp.put("/drafts/<int:draft_id>")
def update_draft(draft_id: int):
    who = actor()
    if_match = request.headers.get("If-Match")
    if not if_match:
        raise PreconditionRequired("send If-Match with the ETag of the draft you edited")
    source = yaml_body()
    with write_session(engine()) as session:
        draft = drafts.update_draft(session, draft_id, source, who, if_match)
    return _draft_response(draft, 200)


@bp.post("/drafts/<int:draft_id>/submit")
def submit(draft_id: int):
    return _transition(drafts.submit, draft_id)


@bp.post("/drafts/<int:draft_id>/approve")
def approve(draft_id: int):
    return _transition(drafts.approve, draft_id)


@bp.post("/drafts/<int:draft_id>/request-changes")
def request_changes(draft_id: int):
    who = actor()
    comment = optional_text(json_body(optional=True), "comment")
    with write_session(engine()) as session:
        draft = drafts.request_changes(session, draft_id, who, comment)
    return _draft_response(draft, 200)


@bp.post("/drafts/<int:draft_id>/publish")
def publish(draft_id: int):
    who = actor()
    reason = optional_text(json_body(optional=True), "bump_reason")
    with write_session(engine()) as session:
        result = drafts.publish_draft(session, draft_id, who, bump_reason=reason)
        body = serialize.version_summary(result.version, standing.history(session, result.version.code, clock())
                                         .standing(result.version.version))
    response = jsonify(body)
    response.headers["Location"] = url_for("api.get_version", code=body["code"], version=body["version"])
    return response, 201


@bp.get("/drafts/<int:draft_id>/comments")
def list_comments(draft_id: int):
    who = actor()
    with read_session(engine()) as session:
        items = drafts.list_comments(session, draft_id, who)
        return jsonify({"items": [serialize.comment(c) for c in items]})


@bp.post("/drafts/<int:draft_id>/comments")
def add_comment(draft_id: int):
    who = actor()
    payload = json_body()
    text = optional_text(payload, "body", required=True)
    with write_session(engine()) as session:
        comment = drafts.add_comment(session, draft_id, who, text, optional_text(payload, "path"))
        body = serialize.comment(comment)
    return jsonify(body), 201


@bp.get("/drafts/<int:draft_id>/diff")
def draft_diff(draft_id: int):
    who = actor()
    with read_session(engine()) as session:
        base, result = drafts.compare_with_published(session, draft_id, who)
    if result is None:
        return jsonify({"base": None, "change_class": "major", "summary": "a new standard", "diff": None})
    return jsonify({"base": base.version, "change_class": result.change_class, "summary": result.summary(),
                    "diff": result.to_dict()})


@bp.post("/standards/<code>/versions/<version>/withdraw")
def withdraw(code: str, version: str):
    who = actor()
    reason = optional_text(json_body(optional=True), "reason", required=True)
    with write_session(engine()) as session:
        found = catalog.withdraw(session, code, version, who, reason.strip())
        body = serialize.version_summary(found, standing.history(session, code, clock()).standing(version))
    return jsonify(body)


@bp.post("/standards/<code>/versions/<version>/next")
def next_version(code: str, version: str):
    """A draft of the next version from this version's exact source (members of the keeper body)."""
    who = actor()
    bump = optional_text(json_body(optional=True), "bump") or "minor"
    with write_session(engine()) as session:
        draft = drafts.start_next_version(session, code, version, who, bump=bump, today=clock().today())
    return _draft_response(draft, 201)


# --- helpers -------------------------------------------------------------------------------------


def _transition(step, draft_id: int):
    who = actor()
    with write_session(engine()) as session:
        draft = step(session, draft_id, who)
    return _draft_response(draft, 200)


def _draft_response(draft, status: int):
    response = jsonify(serialize.draft(draft))
    response.status_code = status
    response.set_etag(drafts.etag(draft))
    if status == 201:
        response.headers["Location"] = url_for("api.get_draft", draft_id=draft.id)
    return response


def _short(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _revalidate(response: Response) -> Response:
    """What depends on the day (a standing) may be kept by caches, but checked before each use."""
    response.headers["Cache-Control"] = "no-cache"
    if response.get_etag()[0] and request.if_none_match.contains(response.get_etag()[0]):
        response.status_code = 304
        response.set_data(b"")
    return response


def _immutable(response: Response, digest: str) -> Response:
    """A versioned resource never changes: cache it forever, revalidate by its sha256."""
    response.set_etag(digest)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    if request.if_none_match.contains(digest):
        response.status_code = 304
        response.set_data(b"")
    return response


def _as_of() -> date | None:
    """``?as_of=YYYY-MM-DD``, or None."""
    value = request.args.get("as_of")
    return None if value is None else parse_day(value)
