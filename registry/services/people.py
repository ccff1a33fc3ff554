"""Password accounts for people (body members and registrars), and a sign-in rate limit.

Passwords are hashed with Argon2id (argon2-cffi). Failed sign-ins are recorded in the audit
trail (``login-failed``), which every process shares through the catalog, so the limit holds
across gunicorn workers and machines without another store.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from ..errors import BadRequest, Conflict, NotFound, Unauthorized
from ..models import ROLE_BODY_MEMBER, ROLE_REGISTRAR, Account, AuditEvent, Body, utcnow
from .audit import record
from .context import SYSTEM, Actor

#: failed sign-ins allowed per account and address within WINDOW before sign-in is refused
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# verified against when the account does not exist, so that a miss costs as long as a hit
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class TooManyAttempts(Unauthorized):
    """Sign-in refused for a while: too many failures for this account from this address."""

    code = "too_many_attempts"


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


def recent_failures(session: Session, email: str, address: str) -> int:
    """Failed sign-ins for this account from this address within the window."""
    since = utcnow() - WINDOW
    rows = session.exec(select(AuditEvent.details).where(
        AuditEvent.action == "login-failed", AuditEvent.actor == _who(email), AuditEvent.at >= since))
    return sum(1 for details in rows if (details or {}).get("ip") == address)


def _who(email: str) -> str:
    return f"login:{email.strip().lower()}"[:254]


def sign_in(session: Session, email: str, password: str, address: str) -> Account | None:
    """Check a password, inside a write transaction; a failure is recorded and gives None.

    The failure is returned, not raised, so that the caller's transaction commits its record.

    :raises TooManyAttempts: after MAX_FAILURES failures within WINDOW (nothing is checked)
    :returns: the account, or None for a wrong e-mail, password or a disabled account
    """
    if recent_failures(session, email, address) >= MAX_FAILURES:
        raise TooManyAttempts("too many failed sign-ins; try again in 15 minutes")
    account = session.exec(select(Account).where(Account.name == email.strip().lower())).first()
    ok = False
    try:
        ok = _hasher.verify(account.password_hash if account and account.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or account is None or not account.password_hash or not account.active:
        record(session, Actor(_who(email), "anonymous"), "login-failed", details={"ip": address})
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
        session.add(account)
    record(session, Actor(account.name, account.role, account.body_id), "login", details={"ip": address})
    return account


def get_active(session: Session, account_id: int) -> Account | None:
    """The account behind a web session, or None when it is gone or disabled."""
    account = session.get(Account, account_id)
    return account if account is not None and account.active and account.password_hash else None


def count_accounts(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Account)).one()
