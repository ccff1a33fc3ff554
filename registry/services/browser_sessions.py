"""Signed-in browser sessions, kept in the catalog so that signing out ends them everywhere.

The signed cookie alone cannot be revoked: a copy made before signing out would stay valid
until it expires. So the cookie carries a random session id and the catalog keeps its SHA-256;
each request looks the id up (with the account, in one query), and signing out deletes the row.
Every process and machine sees the same rows. Expired rows are deleted when someone signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlmodel import select

from ..models import Account, WebSession, utcnow

#: how long a sign-in lasts at most, however active the person is (the cookie's lifetime too)
LIFETIME = timedelta(hours=12)
#: a session unused for this long is over (checked by the web layer against the signed cookie)
IDLE_TIMEOUT = timedelta(minutes=30)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(session: Session, account: Account) -> str:
    """A new session for ``account``; returns the id for the cookie (shown once, stored hashed)."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))  # type: ignore[arg-type]
    session_id = secrets.token_urlsafe(32)
    session.add(WebSession(id_hash=_hash(session_id), account_id=account.id, created_at=now,
                           expires_at=now + LIFETIME))
    return session_id


def account_of(session: Session, session_id: str) -> Account | None:
    """The active account behind a live session id, or None (unknown, ended, expired, disabled)."""
    row = session.exec(select(Account).join(WebSession, WebSession.account_id == Account.id).where(
        WebSession.id_hash == _hash(session_id), WebSession.expires_at > utcnow())).first()
    return row if row is not None and row.active and row.password_hash else None


def end(session: Session, session_id: str) -> None:
    """Sign out: the id stops working at once, in every process."""
    session.execute(delete(WebSession).where(WebSession.id_hash == _hash(session_id)))  # type: ignore[arg-type]

