"""The append-only audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from ..models import AuditEvent
from .context import Actor


def record(session: Session, actor: Actor, action: str, *, code: str | None = None, version: str | None = None,
           draft_id: int | None = None, from_state: str | None = None, to_state: str | None = None,
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event, in the caller's transaction (it commits or rolls back with the change)."""
    event = AuditEvent(actor=actor.name, action=action, code=code, version=version, draft_id=draft_id,
                       from_state=from_state, to_state=to_state, details=details or {})
    session.add(event)
    return event


def list_events(session: Session, *, code: str | None = None, draft_id: int | None = None,
                after_id: int = 0, limit: int = 100) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.id > after_id)
    if code:
        query = query.where(AuditEvent.code == code)
    if draft_id is not None:
        query = query.where(AuditEvent.draft_id == draft_id)
    return list(session.exec(query.order_by(AuditEvent.id).limit(limit)))
