"""Drafts and their review: draft -> submitted -> changes-requested | approved -> published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import select

from ..errors import BadRequest, Conflict, Forbidden, InvalidStandard, InvalidTransition, NotFound, PreconditionFailed
from ..lifecycle import DRAFT, EDITABLE, PUBLISHED, TransitionRefused, next_state
from ..models import Draft, ReviewComment, Standard, StandardVersion, utcnow
from .audit import record
from .catalog import PublishResult, get_version, previous_version, publish, sha256, validate_upload
from .context import Actor
from .stewardship import check_may_draft

if TYPE_CHECKING:
    from ..diff import Diff


def etag(draft: Draft) -> str:
    """The entity tag of a draft: changes with every edit and every state change."""
    return f"{draft.id}.{draft.revision}"


def create_draft(session: Session, source: bytes, actor: Actor, *, details: dict | None = None) -> Draft:
    """Store a new draft for the actor's body (validated first: nothing invalid is stored)."""
    if actor.body_id is None:
        raise Forbidden("only members of a standards body may create drafts")
    loaded = validate_upload(source)
    doc = loaded.data
    check_may_draft(session, doc["code"], actor.body_id)
    draft = Draft(body_id=actor.body_id, code=doc["code"], version=doc["version"], source=source,
                  sha256=sha256(source), document=doc, created_by=actor.name)
    session.add(draft)
    session.flush()
    record(session, actor, "draft-create", code=draft.code, version=draft.version, draft_id=draft.id,
           to_state=DRAFT, details=details)
    return draft


def start_next_version(session: Session, code: str, version: str, actor: Actor, *, bump: str, today: date) -> Draft:
    """A draft of the version after a published one: its exact source with the next number (``bump``:
    minor or major) and ``today``'s year as the edition; comments and layout kept. Only members of the
    standard's keeper body may start one (the refusal names the keeper); audited as ``draft-create``.

    :raise Conflict: when that number is already published, or the body already has a draft of it open.
    """
    from ..next_edition import BUMPS, NextEditionError, next_number, with_release

    if bump not in BUMPS:
        raise BadRequest(f"bump must be {' or '.join(BUMPS)}, not {bump!r}", details={"field": "bump"})
    if actor.body_id is None:
        raise Forbidden("only members of a standards body may create drafts")
    start = get_version(session, code, version)
    check_may_draft(session, code, actor.body_id)
    # the standard's row, locked: two requests for the same next version are made one after the other
    session.exec(select(Standard).where(Standard.code == code).with_for_update()).first()
    number = next_number(version, bump)
    if session.exec(select(StandardVersion.id).where(StandardVersion.code == code,
                                                     StandardVersion.version == number)).first() is not None:
        raise Conflict(f"{code} {number} is already published: start the next version from the latest one",
                       details={"code": code, "version": number})
    open_draft = session.exec(select(Draft).where(Draft.code == code, Draft.version == number,
                                                  Draft.body_id == actor.body_id, Draft.status != PUBLISHED)).first()
    if open_draft is not None:
        raise Conflict(f"your body already has draft {open_draft.id} of {code} {number}: continue that one",
                       details={"code": code, "version": number, "draft_id": open_draft.id})
    try:
        source = with_release(start.source, number, today.year)
    except NextEditionError as error:
        raise InvalidStandard(f"{code} {version} cannot be given a new version: {error}") from None
    return create_draft(session, source, actor, details={"from_version": version, "bump": bump})


def get_draft(session: Session, draft_id: int, actor: Actor, *, for_update: bool = False) -> Draft:
    if not 0 < draft_id < 2**31:  # beyond any id the catalog can hold
        raise NotFound(f"no draft {draft_id}")
    query = select(Draft).where(Draft.id == draft_id)
    if for_update:
        query = query.with_for_update()
    draft = session.exec(query).first()
    if draft is None or not (actor.is_registrar or actor.body_id == draft.body_id):
        raise NotFound(f"no draft {draft_id}")  # other bodies' drafts are not even acknowledged
    return draft


def list_drafts(session: Session, actor: Actor, *, status: str | None = None) -> list[Draft]:
    query = select(Draft)
    if not actor.is_registrar:
        query = query.where(Draft.body_id == actor.body_id)
    if status:
        query = query.where(Draft.status == status)
    return list(session.exec(query.order_by(Draft.id)))


def update_draft(session: Session, draft_id: int, source: bytes, actor: Actor, if_match: str) -> Draft:
    """Replace a draft's YAML, only if the caller saw the current revision (compare-and-set)."""
    draft = get_draft(session, draft_id, actor, for_update=True)  # its state stays what we read
    actor.require_body(draft.body_id)
    check_may_draft(session, draft.code, draft.body_id)
    loaded = validate_upload(source)
    doc = loaded.data
    if doc["code"] != draft.code:
        raise Conflict(f"a draft keeps its code: this draft is for {draft.code}, the new text says {doc['code']}")
    expected = _revision_from_etag(draft_id, if_match)
    previous = draft.status
    # One UPDATE checks the revision and the state and writes, so two editors can never both win.
    result = session.execute(
        update(Draft)
        .where(Draft.id == draft_id, Draft.revision == expected, Draft.status.in_(EDITABLE))  # type: ignore[attr-defined]
        .values(source=source, sha256=sha256(source), document=doc, version=doc["version"],
                revision=Draft.revision + 1, status=DRAFT, updated_at=utcnow())
    )
    if result.rowcount != 1:
        session.refresh(draft)
        if draft.status not in EDITABLE:
            raise InvalidTransition(f"draft {draft_id} is {draft.status} and cannot be edited")
        raise PreconditionFailed(f"draft {draft_id} has changed since you read it (now {etag(draft)})",
                                 details={"etag": etag(draft)})
    session.expire(draft)
    session.refresh(draft)
    record(session, actor, "draft-update", code=draft.code, version=draft.version, draft_id=draft.id,
           from_state=previous, to_state=draft.status, details={"revision": draft.revision, "sha256": draft.sha256})
    return draft


def _revision_from_etag(draft_id: int, if_match: str) -> int:
    """The revision an If-Match names (quoted, or bare as the web form sends it)."""
    value = if_match.strip()
    if value.startswith("W/"):
        # If-Match compares strongly (RFC 9110 13.1.1): a weak tag never matches
        raise PreconditionFailed(f"If-Match {if_match!r} is a weak entity tag; send the draft's ETag as given")
    value = value.strip('"')
    prefix = f"{draft_id}."
    if not value.startswith(prefix) or not value[len(prefix):].isdigit():
        raise PreconditionFailed(f"If-Match {if_match!r} is not an entity tag of draft {draft_id}")
    return int(value[len(prefix):])


def _target(draft: Draft, action: str) -> str:
    """The state ``action`` moves the draft to (``lifecycle.DRAFT_TRANSITIONS``), or InvalidTransition."""
    try:
        return next_state(action, draft.status)
    except TransitionRefused as refused:
        raise InvalidTransition(f"draft {draft.id} is {draft.status}; {action} needs "
                                f"{' or '.join(refused.allowed)}") from None


def _transition(session: Session, draft: Draft, actor: Actor, action: str, details: dict | None = None) -> Draft:
    """Move a draft by one of ``lifecycle.DRAFT_TRANSITIONS``, audited."""
    to_state = _target(draft, action)
    previous = draft.status
    draft.status = to_state
    draft.revision += 1
    draft.updated_at = utcnow()
    session.add(draft)
    record(session, actor, action, code=draft.code, version=draft.version, draft_id=draft.id,
           from_state=previous, to_state=to_state, details=details)
    return draft


def submit(session: Session, draft_id: int, actor: Actor) -> Draft:
    draft = get_draft(session, draft_id, actor, for_update=True)
    actor.require_body(draft.body_id)
    check_may_draft(session, draft.code, draft.body_id)
    return _transition(session, draft, actor, "submit")


def request_changes(session: Session, draft_id: int, actor: Actor, comment: str | None = None) -> Draft:
    actor.require_registrar()
    draft = get_draft(session, draft_id, actor, for_update=True)
    if comment:
        add_comment(session, draft_id, actor, comment)
    return _transition(session, draft, actor, "request-changes")


def approve(session: Session, draft_id: int, actor: Actor) -> Draft:
    actor.require_registrar()
    draft = get_draft(session, draft_id, actor, for_update=True)
    return _transition(session, draft, actor, "approve")


def publish_draft(session: Session, draft_id: int, actor: Actor, *, bump_reason: str | None = None) -> PublishResult:
    """Publish an approved draft as a version; the draft, version, log and audit change together."""
    actor.require_registrar()
    draft = get_draft(session, draft_id, actor, for_update=True)
    _target(draft, "publish-draft")  # only an approved draft
    check_may_draft(session, draft.code, draft.body_id)
    loaded = validate_upload(draft.source)  # the rules may have changed since the draft was written
    result = publish(session, loaded, actor, bump_reason=bump_reason, body_id=draft.body_id)
    if not result.created:
        raise Conflict(f"{draft.code} {draft.version} is already published")
    draft.published_version_id = result.version.id
    _transition(session, draft, actor, "publish-draft", details={"version_id": result.version.id})
    return result


def add_comment(session: Session, draft_id: int, actor: Actor, body: str, path: str | None = None) -> ReviewComment:
    draft = get_draft(session, draft_id, actor)
    if not body.strip():
        raise BadRequest("a comment needs text", details={"field": "body"})
    comment = ReviewComment(draft_id=draft.id, author=actor.name, body=body, path=path)
    session.add(comment)
    session.flush()
    record(session, actor, "comment", code=draft.code, version=draft.version, draft_id=draft.id,
           details={"comment_id": comment.id})
    return comment


def list_comments(session: Session, draft_id: int, actor: Actor) -> list[ReviewComment]:
    get_draft(session, draft_id, actor)
    query = select(ReviewComment).where(ReviewComment.draft_id == draft_id).order_by(ReviewComment.id)
    return list(session.exec(query))


@dataclass
class Succession:
    """How a text follows the published version before its number: the diff, and the number it needs."""

    base: StandardVersion | None  # the published version it follows (None: a new standard)
    diff: Diff | None
    required: str | None  # the smallest version number the changes need
    sufficient: bool  # the text's own number is at least that
    version: str  # the text's own number
    early_start: str | None = None  # its stated first day in force, when it is not after the base's own


def _early_start(base: StandardVersion, doc: dict) -> str | None:
    """The text's ``effective_from`` when it comes no later than the base's (a new version started from
    the base's text carries its date): published so, it would take the base's place from that day."""
    stated = (doc.get("provenance") or {}).get("effective_from")
    if stated and base.effective_from is not None and date.fromisoformat(stated) <= base.effective_from:
        return stated
    return None


def succession(session: Session, doc: dict) -> Succession:
    """Compare a (valid) document with the published version its number follows (``catalog.previous_version``)."""
    from ..diff import bump_is_sufficient, diff_documents, required_bump

    base = previous_version(session, doc["code"], doc["version"])
    version = doc["version"]
    if base is None:
        return Succession(None, None, None, True, version)
    diff = diff_documents(base.document, doc)
    return Succession(base, diff, required_bump(base.version, diff), bump_is_sufficient(base.version, version, diff),
                      version, _early_start(base, doc))


def compare_with_published(session: Session, draft_id: int, actor: Actor):
    """The diff between the published version the draft follows and the draft (None when there is none)."""
    found = succession(session, get_draft(session, draft_id, actor).document)
    return found.base, found.diff
