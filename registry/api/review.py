"""The drafts of new versions and their review, under /api/v1/drafts (and .../next of a version).

Every route needs a bearer token. The routes belong to the ``api`` blueprint: the package imports this
module once its helpers are defined.
"""

from __future__ import annotations

from flask import Response, request, url_for

from ..db import read_session, write_session
from ..errors import PreconditionRequired
from ..services import drafts, standing
from . import actor, bp, clock, engine, serialize
from . import models as m
from . import requests as q
from .contract import BEARER, Answer, JsonBody, RawBody, reply, route
from .requests import json_body, yaml_body

DRAFT = "The draft; ETag is its current entity tag."
CREATED = "Created; Location is the draft, ETag its entity tag."
BAD_STATE = "The draft's state does not allow this step."
IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string", "pattern": r"\S"},
            "description": "The ETag of the draft revision that was edited (missing or blank: 428)."}


def _declare(method: str, rule: str, summary: str, answers: dict, errors: dict, **declared):
    """A draft route: bearer-authenticated, tagged drafts; 401 and 500 always possible."""
    return route(bp, method, rule, summary=summary, tag="drafts", security=BEARER, answers=answers,
                 errors={401: None, **errors}, **declared)


def _tagged(status: int, description: str = DRAFT) -> dict:
    headers = ("ETag", "Location") if status == 201 else ("ETag",)
    return {status: Answer(description, m.Draft, headers=headers)}


@_declare("POST", "/drafts", "Create a draft of a new version (body members)", _tagged(201, CREATED),
          {403: "The caller is not a member of a standards body, or the standard is kept by another body, or has no "
                "keeper yet.", 409: "The caller's body already has a draft of that version, or it is published.",
           413: None, 415: None, 422: None, 503: None}, body=RawBody("StandardYaml"))
def create_draft():
    """The standard is validated first: nothing invalid is stored."""
    who = actor()
    source = yaml_body()
    with write_session(engine()) as session:
        draft = drafts.create_draft(session, source, who)
    return _draft_response(draft, 201)


@_declare("GET", "/drafts", "Drafts the caller may see",
          {200: Answer("The caller's body's drafts (every draft for registrars), by id.", m.DraftList)},
          {400: "status is not a draft state."}, query=q.ListDrafts)
def list_drafts():
    who = actor()
    args = q.ListDrafts.parse(request.args)
    with read_session(engine()) as session:
        return reply(serialize.drafts(drafts.list_drafts(session, who, status=args.status)))


@_declare("GET", "/drafts/<int:draft_id>", "One draft", _tagged(200), {404: None})
def get_draft(draft_id: int):
    who = actor()
    with read_session(engine()) as session:
        draft = drafts.get_draft(session, draft_id, who)
    return _draft_response(draft, 200)


@_declare("GET", "/drafts/<int:draft_id>/source", "The draft's YAML",
          {200: Answer("The draft's source bytes.", content={"application/yaml": "Standard"}, headers=("ETag",))},
          {404: None})
def get_draft_source(draft_id: int):
    who = actor()
    with read_session(engine()) as session:
        draft = drafts.get_draft(session, draft_id, who)
    response = Response(draft.source, mimetype="application/yaml")
    response.set_etag(drafts.etag(draft))
    return response


@_declare("PUT", "/drafts/<int:draft_id>", "Replace a draft's YAML (compare-and-set on If-Match)", _tagged(200),
          {403: "Only members of the draft's body may edit it.",
           404: None, 409: "The new text has another code, or the draft is no longer editable (only draft and "
                           "changes-requested are).",
           412: "If-Match is not the draft's current ETag (details.etag is the current one), or is a weak tag "
                "(W/...), which If-Match never matches.", 413: None, 415: None, 422: None,
           428: "If-Match is missing.", 503: None}, body=RawBody("StandardYaml"), headers=(IF_MATCH,))
def update_draft(draft_id: int):
    """An edit puts a draft under changes-requested back to draft."""
    who = actor()
    if_match = request.headers.get("If-Match", "").strip()
    if not if_match:
        raise PreconditionRequired("send If-Match with the ETag of the draft you edited")
    source = yaml_body()
    with write_session(engine()) as session:
        draft = drafts.update_draft(session, draft_id, source, who, if_match)
    return _draft_response(draft, 200)


def _transition_route(rule: str, summary: str, who: str):
    return _declare("POST", rule, summary, _tagged(200), {403: who, 404: None, 409: BAD_STATE, 503: None})


@_transition_route("/drafts/<int:draft_id>/submit", "Submit a draft for review",
                   "Only members of the draft's body may submit it.")
def submit(draft_id: int):
    return _transition(drafts.submit, draft_id)


@_transition_route("/drafts/<int:draft_id>/approve", "Approve a submitted draft (registrars)",
                   "Only registrars may approve.")
def approve(draft_id: int):
    return _transition(drafts.approve, draft_id)


@_declare("POST", "/drafts/<int:draft_id>/request-changes", "Send a submitted draft back to its body (registrars)",
          _tagged(200), {400: "The body is not a JSON object, or comment is not a string.",
                         403: "Only registrars may request changes.", 404: None, 409: BAD_STATE, 413: None,
                         415: None, 503: None},
          body=JsonBody(q.RequestChangesBody, "Optional: a comment explaining what to change.", required=False))
def request_changes(draft_id: int):
    who = actor()
    comment = json_body(q.RequestChangesBody, optional=True).comment
    with write_session(engine()) as session:
        draft = drafts.request_changes(session, draft_id, who, comment)
    return _draft_response(draft, 200)


@_declare("POST", "/drafts/<int:draft_id>/publish", "Publish an approved draft as a new version (registrars)",
          {201: Answer("Published; Location is the new version.", m.VersionSummary, headers=("Location",))},
          {400: "The body is not a JSON object, or bump_reason is not a string.",
           403: "Only registrars may publish.", 404: None,
           409: "version_conflict (other bytes are published under this version), version_bump_too_small (the "
                "changes need a larger version and no bump_reason was given), invalid_transition (the draft is "
                "not approved), or conflict (already published).", 413: None, 415: None,
           422: "The draft no longer validates (the rules changed since it was written).", 503: None},
          body=JsonBody(q.PublishBody, "Optional.", required=False))
def publish(draft_id: int):
    who = actor()
    reason = json_body(q.PublishBody, optional=True).bump_reason
    with write_session(engine()) as session:
        result = drafts.publish_draft(session, draft_id, who, bump_reason=reason)
        body = serialize.version_summary(result.version, standing.history(session, result.version.code, clock())
                                         .standing(result.version.version))
    response = reply(body, 201)
    response.headers["Location"] = url_for("api.get_version", code=body.code, version=body.version)
    return response


@_declare("GET", "/drafts/<int:draft_id>/comments", "Review comments on a draft",
          {200: Answer("The comments, oldest first.", m.CommentList)}, {404: None})
def list_comments(draft_id: int):
    who = actor()
    with read_session(engine()) as session:
        items = drafts.list_comments(session, draft_id, who)
        return reply(m.CommentList(items=[serialize.comment(c) for c in items]))


@_declare("POST", "/drafts/<int:draft_id>/comments", "Comment on a draft", {201: Answer("The comment.", m.Comment)},
          {400: "The body is not a JSON object, or 'body' is not a non-empty string.", 404: None, 413: None,
           415: None, 503: None}, body=JsonBody(q.CommentBody, "The comment."))
def add_comment(draft_id: int):
    who = actor()
    payload = json_body(q.CommentBody)
    with write_session(engine()) as session:
        comment = drafts.add_comment(session, draft_id, who, payload.body, payload.path)
        body = serialize.comment(comment)
    return reply(body, 201)


@_declare("GET", "/drafts/<int:draft_id>/diff", "The draft against the version in force",
          {200: Answer("The differences (base and diff are null for a new standard).", m.DraftDiff)}, {404: None})
def draft_diff(draft_id: int):
    who = actor()
    with read_session(engine()) as session:
        base, result = drafts.compare_with_published(session, draft_id, who)
    if result is None:
        return reply(m.DraftDiff(base=None, change_class="major", summary="a new standard", diff=None))
    return reply(m.DraftDiff(base=base.version, change_class=result.change_class, summary=result.summary(),
                             diff=result.to_dict()))


@_declare("POST", "/standards/<code>/versions/<version>/next",
          "Start the next version from a published one (members of the keeper body)",
          _tagged(201, "A draft of the version's exact source with the next number and the registry's current year "
                       "as edition; Location is the draft, ETag its entity tag."),
          {400: "The body is not a JSON object, or bump is not minor or major.",
           403: "The caller is not a member of the standard's keeper body (the message names the keeper).",
           404: "No such version.", 409: "That number is already published, or the caller's body has a draft of it "
                                         "(details.draft_id).",
           413: None, 415: None, 422: "The version's text no longer validates under today's rules.", 503: None},
          body=JsonBody(q.NextBody, "Optional: which part of the number grows (minor by default).", required=False))
def next_version(code: str, version: str):
    """A draft of the next version from this version's exact source (members of the keeper body)."""
    who = actor()
    bump = json_body(q.NextBody, optional=True).bump or "minor"
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
    response = reply(serialize.draft(draft), status)
    response.set_etag(drafts.etag(draft))
    if status == 201:
        response.headers["Location"] = url_for("api.get_draft", draft_id=draft.id)
    return response
