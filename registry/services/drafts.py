"""Drafts and their review: draft -> submitted -> changes-requested | approved -> published."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import select

from ..errors import Conflict, Forbidden, InvalidTransition, NotFound, PreconditionFailed
from ..lifecycle import DRAFT, EDITABLE, TransitionRefused, next_state
from ..models import Draft, ReviewComment, utcnow
from .audit import record
from .catalog import PublishResult, previous_version, publish, sha256, validate_upload
from .context import Actor
from .stewardship import check_may_draft


def etag(draft: Draft) -> str:
    """The entity tag of a draft: changes with every edit and every state change."""
    return f"{draft.id}.{draft.revision}"


def create_draft(session: Session, source: bytes, actor: Actor) -> Draft:
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
           to_state=DRAFT)
    return draft


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
        from ..errors import BadRequest

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


def compare_with_published(session: Session, draft_id: int, actor: Actor):
    """The diff between the published version the draft follows and the draft (None when there is none)."""
    from ..diff import diff_documents

    draft = get_draft(session, draft_id, actor)
    base = previous_version(session, draft.code, draft.version)
    if base is None:
        return None, None
    return base, diff_documents(base.document, draft.document)
