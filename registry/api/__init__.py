"""JSON API under /api/v1. Views parse the request, call one service function, and serialize."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for

from ..clock import parse_day
from ..db import read_session, write_session
from ..services import accounts, audit, catalog, reading, standing, stewardship
from . import models as m
from . import requests as q
from . import serialize
from .contract import BEARER, OPTIONAL, Answer, JsonBody, RawBody, reply, route
from .requests import json_body, pdf_body, yaml_body

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

CACHED = ("ETag", "Cache-Control")
NOT_MODIFIED = Answer("Not modified: the If-None-Match ETag matches.", headers=CACHED)
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "An ETag seen before: answered with 304 when it still matches."}
AS_OF_400 = "as_of is not a date YYYY-MM-DD."


@route(bp, "GET", "/standards", summary="List standards with the version in force and the latest", tag="standards",
       query=q.ListStandards, answers={200: Answer("A page of standards, ordered by code.", m.StandardPage)},
       errors={400: "A parameter is not valid: page, per_page or status out of its range."})
def list_standards():
    args = q.ListStandards.parse(request.args)
    with read_session(engine()) as session:
        total, rows = reading.list_standards(
            session, clock(), sector=args.sector, standard_type=args.type, status=args.status, body=args.body,
            offset=(args.page - 1) * args.per_page, limit=args.per_page)
        return reply(m.StandardPage(total=total, page=args.page, per_page=args.per_page,
                                    items=[serialize.standard_summary(row) for row in rows]))


@route(bp, "GET", "/standards/<code>", summary="A standard, its versions and their standings", tag="standards",
       query=q.AsOf, answers={200: Answer("The standard, its versions in version order with their standings today "
                                          "(or on ?as_of), and the version in force then (null when none was).",
                                          m.StandardDetail, headers=("Cache-Control",))},
       errors={400: AS_OF_400, 404: "No such standard."})
def get_standard(code: str):
    """A standard and its versions with their standings today, or on ``?as_of=``."""
    day = _as_of()
    with read_session(engine()) as session:
        hist = standing.history(session, code, clock(), day)
        response = reply(serialize.standard_detail(catalog.get_standard(session, code), hist))
    return _revalidate(response)


@route(bp, "GET", "/standards/<code>/versions/<version>", tag="standards",
       summary="One published version, with its parsed document and standing today", headers=(IF_NONE_MATCH,),
       answers={200: Answer("The version; the ETag changes when its standing does.", m.VersionDetail,
                            headers=CACHED), 304: NOT_MODIFIED}, errors={404: None})
def get_version(code: str, version: str):
    with read_session(engine()) as session:
        hist = standing.history(session, code, clock())
        found = catalog.get_version(session, code, version)
        response = reply(serialize.version_detail(found, hist.standing(version)))
    # the document never changes, its standing may: revalidate, with a tag of both
    response.set_etag(f"{found.sha256}-{_short(hist.standing(version).key())}")
    return _revalidate(response)


@route(bp, "GET", "/standards/<code>/versions/<version>/source", tag="standards", headers=(IF_NONE_MATCH,),
       summary="The exact YAML bytes of a published version",
       answers={200: Answer("The source, byte for byte as published.", content={"application/yaml": "Standard"},
                            headers=(*CACHED, "Content-Disposition")), 304: NOT_MODIFIED}, errors={404: None})
def get_source(code: str, version: str):
    with read_session(engine()) as session:
        found = catalog.get_version(session, code, version)
        response = Response(found.source, mimetype="application/yaml")
        response.headers["Content-Disposition"] = f'inline; filename="{code}-{version}.yaml"'
        return _immutable(response, found.sha256)


@route(bp, "GET", "/standards/<code>/latest", summary="Redirect to the version in force now, or on a day",
       tag="standards", query=q.AsOf,
       answers={302: Answer("Found: Location is the version in force today (or on ?as_of); when no version is in "
                            "force then, the standard itself, whose in_force is null.",
                            headers=("Location", "Cache-Control"))},
       errors={400: AS_OF_400, 404: "No such standard."})
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


@route(bp, "PUT", "/standards/<code>/keeper", summary="Assign or transfer a standard to its keeper (registrars only)",
       tag="standards", security=BEARER, body=JsonBody(q.KeeperBody, "The body that is to keep the standard "
                                                                     "(audited)."),
       answers={200: Answer("The standard's keeper now.", m.Keeper)},
       errors={400: "The body is not a JSON object, or it has no non-empty 'body'.", 401: None,
               403: "Only registrars may assign keepers.", 404: "No such standard, or no such standards body.",
               413: None, 415: None, 503: None})
def assign_keeper(code: str):
    """A registrar makes a standards body the keeper of a standard (audited)."""
    who = actor()
    body = json_body(q.KeeperBody).body.strip()
    with write_session(engine()) as session:
        found = stewardship.assign(session, code, body, who)
        result = m.Keeper(code=found.code, body=found.body_id)
    return reply(result)


@route(bp, "GET", "/standards/<code>/diff", summary="Item-level differences between two versions", tag="standards",
       query=q.Versions, answers={200: Answer("The differences and the change class they amount to.",
                                              m.StandardDiff)},
       errors={400: "from or to is missing or empty.", 404: "One of the versions does not exist."})
def diff(code: str):
    args = q.Versions.parse(request.args)
    with read_session(engine()) as session:
        result = catalog.diff_versions(session, code, args.from_, args.to)
    return reply(m.StandardDiff(code=code, **{"from": args.from_}, to=args.to, change_class=result.change_class,
                                summary=result.summary(), diff=result.to_dict()))


@route(bp, "POST", "/standards/<code>/versions/<version>/withdraw", summary="Withdraw a version (registrars only)",
       tag="standards", security=BEARER,
       body=JsonBody(q.WithdrawBody, "Why the version is withdrawn (recorded in the version and the audit trail)."),
       answers={200: Answer("The withdrawn version.", m.VersionSummary)},
       errors={400: "The body is not a JSON object, or it has no non-empty 'reason'.", 401: None,
               403: "Only registrars may withdraw.", 404: None, 409: "The version is already withdrawn.", 413: None,
               415: None, 503: None})
def withdraw(code: str, version: str):
    who = actor()
    reason = json_body(q.WithdrawBody, optional=True).reason
    with write_session(engine()) as session:
        found = catalog.withdraw(session, code, version, who, reason.strip())
        body = serialize.version_summary(found, standing.history(session, code, clock()).standing(version))
    return reply(body)


@route(bp, "GET", "/audit", summary="The audit trail, oldest first", tag="audit", security=OPTIONAL,
       query=q.AuditQuery, answers={200: Answer("Events with id > after, at most limit of them.", m.AuditPage)},
       errors={400: "after, limit or draft_id is not a whole number from 0 to 2147483647.",
               401: "An Authorization header was sent, and its token is invalid or revoked (send none for the "
                    "public trail)."})
def audit_trail():
    """Without a token: the public trail, the lifecycle of standards and their drafts, with actors named
    by role. With a registrar's or admin's token: every event, including account, sign-in and token
    events, with account names."""
    viewer = optional_actor()
    args = q.AuditQuery.parse(request.args)
    with read_session(engine()) as session:
        entries = audit.trail(session, viewer, code=args.code, after_id=args.after,
                              limit=min(args.limit, q.AUDIT_MAX_LIMIT), draft_id=args.draft_id)
    return reply(m.AuditPage(items=[serialize.audit_event(e) for e in entries]))


@route(bp, "POST", "/validate", summary="Validate a standard without storing it", tag="validation",
       body=RawBody("AnyYaml"), errors={413: None, 415: None},
       answers={200: Answer("The validation result: valid, or the issues found (200 either way); at most "
                            f"{serialize.MAX_LISTED} are listed, and then more says how many others there are.",
                            m.ValidationResult)})
def validate():
    report = catalog.check_upload(yaml_body())
    return reply(serialize.validation(report.valid, report.issues), exclude_unset=True)


@route(bp, "GET", "/verify/<sha256>", summary="Is a document one the registry issued, and is its version in force?",
       tag="verification",
       answers={200: Answer("The verdict: authentic or not and, when authentic, which version and format, its "
                            "standing today and the version in force today.", m.Verification,
                            headers=("Cache-Control",))})
def verify(sha256: str):
    from ..services.verification import verify as verify_digest

    with read_session(engine()) as session:
        result = verify_digest(session, sha256, clock())
    return _revalidate(reply(m.Verification(**result), exclude_unset=True))  # "not authentic" is an answer


@route(bp, "POST", "/verify", summary="Check a PDF: its own bytes, and the source embedded in it", tag="verification",
       body=RawBody("Pdf"), errors={400: "The body is not a readable PDF.", 413: None, 415: None},
       answers={200: Answer("Whether the registry issued these bytes, and what the embedded source is.",
                            m.PdfVerification)})
def verify_upload():
    """A PDF sent as the body: were these bytes issued by the registry, and is the source embedded
    in them an authentic version?"""
    from ..services.verification import verify_pdf

    pdf = pdf_body()
    with read_session(engine()) as session:
        result = verify_pdf(session, pdf, clock())
    return reply(m.PdfVerification(**result), exclude_unset=True)


@route(bp, "GET", "/openapi.json", summary="This document", tag="meta",
       answers={200: Answer("The OpenAPI 3.1 description of the API.", content={"application/json": None})})
def openapi():
    from .openapi import document

    return jsonify(document())

# --- helpers -------------------------------------------------------------------------------------


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


from . import review  # noqa: E402,F401  (adds the routes of drafts and their review)
