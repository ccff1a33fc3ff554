"""The append-only audit trail, and who may read which part of it.

The public trail is the lifecycle of standards and their drafts; its actors are named by role
(``body:<id>``, a registrar's token name, ``registrar``), never by e-mail. Account, sign-in and
token events, and the accounts behind the actors, are for registrars and admins only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from ..db import append_in_commit_order
from ..lifecycle import PUBLIC_ACTIONS
from ..models import ROLE_ADMIN, ROLE_BODY_MEMBER, ROLE_REGISTRAR, Account, AuditEvent
from .context import Actor

#: what the public trail shows: how standards and drafts move through their lifecycle
LIFECYCLE_ACTIONS = PUBLIC_ACTIONS


def record(session: Session, actor: Actor, action: str, *, code: str | None = None, version: str | None = None,
           draft_id: int | None = None, from_state: str | None = None, to_state: str | None = None,
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event, in the caller's transaction (it commits or rolls back with the change).

    The row is inserted when the transaction commits, so its id follows commit order.
    """
    event = AuditEvent(actor=actor.name, action=action, code=code, version=version, draft_id=draft_id,
                       from_state=from_state, to_state=to_state, details=details or {})
    append_in_commit_order(session, event)
    return event


@dataclass(frozen=True)
class TrailEntry:
    """One event as a reader may see it."""

    id: int
    at: datetime
    actor: str
    action: str
    code: str | None
    version: str | None
    draft_id: int | None
    from_state: str | None
    to_state: str | None
    details: dict[str, Any]


def trail(session: Session, viewer: Actor | None, *, code: str | None = None, draft_id: int | None = None,
          after_id: int = 0, limit: int = 100) -> list[TrailEntry]:
    """Events with id > ``after_id``, oldest first: all of them for registrars and admins, else the
    public lifecycle with actors named by role."""
    full = viewer is not None and viewer.is_registrar
    query = (select(AuditEvent, Account.role, Account.body_id)
             .outerjoin(Account, Account.name == AuditEvent.actor)  # type: ignore[arg-type]
             .where(AuditEvent.id > after_id))
    if not full:
        query = query.where(AuditEvent.action.in_(LIFECYCLE_ACTIONS))  # type: ignore[attr-defined]
    if code:
        query = query.where(AuditEvent.code == code)
    if draft_id is not None:
        query = query.where(AuditEvent.draft_id == draft_id)
    rows = session.exec(query.order_by(AuditEvent.id).limit(limit))  # type: ignore[arg-type]
    return [_entry(event, event.actor if full else public_name(event.actor, role, body_id))
            for event, role, body_id in rows]


def public_name(name: str, role: str | None, body_id: str | None) -> str:
    """How the public trail names an actor: the body for its members, never an e-mail."""
    if role == ROLE_BODY_MEMBER and body_id:
        return f"body:{body_id}"
    if "@" not in name:
        return name  # a token's service name (registrar:wang) or the loader (system:loader)
    return "registrar" if role in (ROLE_REGISTRAR, ROLE_ADMIN) else "someone"


def _entry(event: AuditEvent, actor: str) -> TrailEntry:
    return TrailEntry(id=event.id, at=event.at, actor=actor, action=event.action, code=event.code,
                      version=event.version, draft_id=event.draft_id, from_state=event.from_state,
                      to_state=event.to_state, details=event.details)
