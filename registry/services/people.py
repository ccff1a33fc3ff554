"""Password accounts for people (body members and registrars), and signing in.

Passwords are hashed with Argon2id (argon2-cffi). Sign-in attempts are rate-limited by counters in
the catalog (:mod:`.throttle`), which every process shares, so the limits hold across gunicorn
workers and machines without another store. A successful sign-in starts a browser session
(:mod:`.browser_sessions`) and is audited; failures are logged, not audited, so that a flood of
wrong passwords cannot grow the audit trail.
"""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from ..db import write_session
from ..errors import BadRequest, Conflict, NotFound, Unauthorized
from ..models import ROLE_BODY_MEMBER, ROLE_REGISTRAR, Account, Body
from . import browser_sessions, throttle
from .audit import record
from .context import SYSTEM, Actor

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so that a miss costs as long as a hit
    (made on first use: nothing is hashed at import time)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def add_person(session: Session, email: str, password: str, *, body_id: str | None = None,
               registrar: bool = False, actor: Actor = SYSTEM) -> Account:
    """Create a person's account (a body member when ``body_id``, else a registrar)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise BadRequest(f"{email!r} is not an e-mail address")
    if (body_id is None) == (not registrar):
        raise BadRequest("give exactly one of --body and --registrar")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if body_id is not None and session.get(Body, body_id) is None:
        raise NotFound(f"no body {body_id!r}; add it with `registry body add`")
    if session.exec(select(Account).where(Account.name == email)).first() is not None:
        raise Conflict(f"account {email!r} already exists")
    account = Account(name=email, role=ROLE_REGISTRAR if registrar else ROLE_BODY_MEMBER, body_id=body_id,
                      password_hash=_hasher.hash(password))
    session.add(account)
    session.flush()
    record(session, actor, "account-add", details={"account": email, "role": account.role, "body": body_id})
    return account


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session_id: str  # for the cookie; the catalog keeps only its hash


def _normal(email: str) -> str:
    return email.strip().lower()[:254]


def sign_in(engine: Engine, email: str, password: str, address: str) -> SignedIn:
    """Check a password and start a browser session, in two short transactions around Argon2.

    :raises TooManyAttempts: over a limit of :mod:`.throttle` (the password is not checked)
    :raises Unauthorized: wrong e-mail or password, or a disabled account (the attempt stays counted)
    """
    email = _normal(email)
    with write_session(engine) as session:
        throttle.count_attempt(session, email, address)
        throttle.prune(session)
        account = session.exec(select(Account).where(Account.name == email)).first()
        stored = account.password_hash if account is not None and account.active else None
    if not _verify(stored, password):  # outside any transaction: no row stays locked while Argon2 runs
        log.warning("failed sign-in for %r from %s", email, address)
        raise Unauthorized("wrong e-mail or password")
    with write_session(engine) as session:
        throttle.give_back(session, email, address)
        account = session.get(Account, account.id)
        if account is None or not account.active or account.password_hash != stored:
            raise Unauthorized("wrong e-mail or password")  # disabled or changed meanwhile
        if _hasher.check_needs_rehash(stored):
            account.password_hash = _hasher.hash(password)
            session.add(account)
        record(session, Actor(account.name, account.role, account.body_id), "login", details={"ip": address})
        return SignedIn(account, browser_sessions.start(session, account))


def _verify(stored: str | None, password: str) -> bool:
    """Argon2 verification; an unknown account is checked against a dummy hash, so it costs as long."""
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def count_accounts(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Account)).one()
